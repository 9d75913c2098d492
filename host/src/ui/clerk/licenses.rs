//! License lookups: a holder's licenses, or one license verified by its
//! type and number.

use super::*;

/// `/licenses`: a holder's licenses (`holder`, `name`), or one license verified
/// by its type and number (`type_code`, `number`).
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct LicenseForm {
    #[serde(default)]
    holder: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    number: String,
}

/// `GET /licenses`: the forms, and a license verified by type and number
/// (the links of a holder's list); a holder is looked up only by `POST`.
pub async fn licenses(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Query(form): Query<LicenseForm>,
) -> Response {
    let form = LicenseForm {
        holder: String::new(),
        name: String::new(),
        ..form
    };
    licenses_page(user, platform, form).await
}

/// `POST /licenses`: a holder's licenses, an audited lookup of personal data.
pub async fn licenses_of(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Form(form): Form<LicenseForm>,
) -> Response {
    licenses_page(user, platform, form).await
}

async fn licenses_page(user: User, platform: Platform, form: LicenseForm) -> Response {
    let mut view = Page::new("licenses.html", Some(&user)).with("nav", "licenses");
    let mut errors: BTreeMap<&str, String> = BTreeMap::new();
    let holder = form.holder.trim();
    if !holder.is_empty() {
        let organization = holder.chars().any(|c| c.is_ascii_alphabetic() && c != 'X')
            || onewindow_codes::credit_code::validate(holder).is_ok();
        match id_problem(organization, holder, true) {
            Some(problem) => {
                errors.insert("holder", problem);
            }
            None => {
                let party = crate::platform::licenses::holder_party(holder, form.name.trim());
                let found = match party {
                    Ok(party) => {
                        platform
                            .lookup_licenses(&party, None, &user.actor(), "窗口查询证照")
                            .await
                    }
                    Err(e) => Err(e),
                };
                match found {
                    Ok(lookup) => view = view.with("lookup", lookup),
                    Err(PlatformError::Invalid { message, .. }) => {
                        errors.insert("holder", message);
                    }
                    Err(e) => return failed(&user, e),
                }
            }
        }
    }
    let (type_code, number) = (form.type_code.trim(), form.number.trim());
    if !type_code.is_empty() || !number.is_empty() {
        if type_code.is_empty() || number.is_empty() {
            errors.insert("number", "核验证照需填写证照类型代码和证照编号。".into());
        } else {
            match platform.verify_license(type_code, number).await {
                Ok(license) => view = view.with("verified", license),
                Err(PlatformError::NotFound(_)) => {
                    errors.insert(
                        "number",
                        format!("未找到类型为 {type_code}、编号为 {number} 的证照。"),
                    );
                }
                Err(e) => return failed(&user, e),
            }
        }
    }
    let failed_form = !errors.is_empty();
    let mut response = page(view.with("form", &form).with("errors", errors));
    if failed_form {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}
