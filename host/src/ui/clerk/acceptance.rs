//! Acceptance at the window: the form with its 一次告知 of materials, the
//! inline ID check, the licenses that cover materials, and the accepted case.

use super::*;

/// What an acceptance is for: one matter, or a theme (一件事).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Target {
    #[serde(default)]
    matter_code: String,
    #[serde(default)]
    theme_code: String,
}

/// The matters of `target`, and the theme when it is one.
async fn target_matters(
    platform: &Platform,
    target: &Target,
) -> Result<(Option<Theme>, Vec<CatalogueMatter>), PlatformError> {
    if !target.theme_code.is_empty() {
        let theme = platform
            .config
            .themes
            .iter()
            .find(|t| t.code == target.theme_code)
            .cloned()
            .ok_or_else(|| {
                PlatformError::NotFound(format!("没有编码为 {} 的一件事主题", target.theme_code))
            })?;
        let mut matters = Vec::new();
        for code in &theme.matters {
            matters.push(platform.matter(code).await?);
        }
        return Ok((Some(theme), matters));
    }
    Ok((None, vec![platform.matter(&target.matter_code).await?]))
}

/// A material as the acceptance form lists it.
#[derive(Debug, Serialize)]
struct MaterialRow {
    /// As the application names it: qualified by the matter in a theme.
    code: String,
    name: String,
    matter_name: String,
    required: bool,
    license_type: Option<String>,
    /// The license standing in for it, described.
    covered_by: Option<String>,
    missing: bool,
}

/// The materials of `matters`, marked by `check`. After a refused submission
/// (`attached` then names what was attached), a required material that is
/// neither missing nor attached was covered by a license: the applicant's, or
/// one a matter the theme waits for is to issue.
fn material_rows(
    theme: Option<&Theme>,
    matters: &[CatalogueMatter],
    check: Option<&MaterialCheck>,
    attached: Option<&[String]>,
) -> Vec<MaterialRow> {
    let name_of = |code: &String| {
        matters
            .iter()
            .find(|m| &m.matter.code == code)
            .map_or_else(|| code.clone(), |m| m.matter.name.clone())
    };
    let to_come = |issuers: &[String], license_type: &str| {
        let issuers: String = issuers.iter().map(|name| format!("「{name}」")).collect();
        format!("{issuers}发放的{license_type}（发证后免提交）")
    };
    let mut rows = Vec::new();
    for m in matters {
        for material in &m.matter.materials {
            let code = if theme.is_some() {
                format!("{}/{}", m.matter.code, material.code)
            } else {
                material.code.clone()
            };
            let missing = check.is_some_and(|c| c.missing.iter().any(|x| x.code == code));
            let deferred = check.and_then(|c| c.deferred.iter().find(|d| d.code == code));
            let covered_by = check
                .and_then(|c| c.covered.iter().find(|r| r.material_code == code))
                .map(|r| describe(&r.license))
                .or_else(|| deferred.map(|d| to_come(&d.after, &d.license_type)))
                .or_else(|| {
                    let attached = attached?;
                    let license_type = material.license_type.as_ref()?;
                    if !material.required || missing || attached.contains(&code) {
                        return None;
                    }
                    let issuers: Vec<String> = theme
                        .and_then(|t| Some((t, t.after.get(&m.matter.code)?)))
                        .into_iter()
                        .flat_map(|(t, after)| {
                            after.iter().filter(|first| {
                                t.issues
                                    .get(*first)
                                    .is_some_and(|l| l.contains(license_type))
                            })
                        })
                        .map(name_of)
                        .collect();
                    Some(if issuers.is_empty() {
                        format!("申请人的{license_type}")
                    } else {
                        to_come(&issuers, license_type)
                    })
                });
            rows.push(MaterialRow {
                code,
                name: material.name.clone(),
                matter_name: m.matter.name.clone(),
                required: material.required,
                license_type: material.license_type.clone(),
                covered_by,
                missing,
            });
        }
    }
    rows
}

fn describe(license: &License) -> String {
    format!(
        "{} {}（{}）",
        license.type_name,
        license.number,
        license.holder.name()
    )
}

/// What the clerk typed into the acceptance form (everything but the files).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Fields {
    #[serde(flatten)]
    target: Target,
    #[serde(default)]
    applicant_type: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rep_id_number: String,
    #[serde(default)]
    rep_name: String,
    #[serde(default)]
    form_text: String,
    #[serde(default)]
    consent: Option<String>,
    #[serde(default)]
    purpose: String,
    /// The form's fields as the page names them, `f:<key>`, with whatever
    /// else the page sent.
    #[serde(flatten)]
    values: BTreeMap<String, String>,
}

/// The prefix of a form field's name on the page.
pub(crate) const FIELD: &str = "f:";

/// The application form's fields among what a page sent (`f:<key>`), those
/// left blank left out.
pub(crate) fn form_fields<'a>(
    values: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> IndexMap<String, String> {
    values
        .into_iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix(FIELD)?;
            let value = value.trim();
            (!value.is_empty()).then(|| (key.to_owned(), value.to_owned()))
        })
        .collect()
}

impl Fields {
    fn organization(&self) -> bool {
        self.applicant_type == "organization"
    }

    /// The errors found without asking the platform, by form field, in Chinese.
    fn check(&self) -> BTreeMap<&'static str, String> {
        let mut errors = BTreeMap::new();
        if let Some(e) = id_problem(self.organization(), &self.id_number, true) {
            errors.insert("id_number", e);
        }
        if self.name.trim().is_empty() {
            let what = if self.organization() {
                "单位名称"
            } else {
                "申请人姓名"
            };
            errors.insert("name", format!("请填写{what}。"));
        }
        let rep_id = self.rep_id_number.trim();
        if !rep_id.is_empty() || !self.rep_name.trim().is_empty() {
            if let Some(e) = id_problem(false, rep_id, true) {
                errors.insert("rep_id_number", e);
            }
            if self.rep_name.trim().is_empty() {
                errors.insert("rep_name", "请填写法定代表人或经办人的姓名。".into());
            }
        }
        if let Err(e) = self.form() {
            errors.insert("form_text", e);
        }
        if self.consent.is_some() && self.purpose.trim().is_empty() {
            errors.insert("purpose", "请写明查询电子证照的用途。".into());
        }
        errors
    }

    /// The form: its fields (`f:<key>`), then one `名称：内容` per line of the
    /// free text.
    fn form(&self) -> Result<IndexMap<String, String>, String> {
        let mut form = form_fields(&self.values);
        for (i, line) in self.form_text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((key, value)) = line.split_once(['：', ':']) else {
                return Err(format!("第 {} 行缺少“：”，请写成“名称：内容”。", i + 1));
            };
            form.insert(key.trim().to_owned(), value.trim().to_owned());
        }
        Ok(form)
    }

    fn party(&self) -> Party {
        Party::new(
            self.organization(),
            self.id_number.trim().to_owned(),
            self.name.trim().to_owned(),
        )
    }

    fn application(&self, attachments: Vec<Attachment>) -> Application {
        let representative = (!self.rep_id_number.trim().is_empty()).then(|| Party::Person {
            id_number: self.rep_id_number.trim().to_owned(),
            name: self.rep_name.trim().to_owned(),
        });
        let code = |c: &str| Some(c.to_owned()).filter(|c| !c.is_empty());
        Application {
            matter_code: code(&self.target.matter_code),
            theme_code: code(&self.target.theme_code),
            applicant: self.party(),
            representative,
            form: self.form().unwrap_or_default(),
            attachments,
            consent: self.consent.is_some().then(|| Consent {
                reuse_licenses: true,
                purpose: self.purpose.trim().to_owned(),
                license_types: None,
            }),
        }
    }
}

/// What the acceptance page shows besides what was typed.
#[derive(Default)]
struct View<'a> {
    /// Problems by the page's field name.
    errors: BTreeMap<&'static str, String>,
    /// The materials check, and what was attached to a refused submission.
    check: Option<(&'a MaterialCheck, &'a [String])>,
    notice: Option<&'a str>,
    /// The wrong fields of the application's form.
    form_errors: Vec<FieldError>,
    /// The labels of the fields filled from the applicant's earlier cases.
    prefilled: Vec<String>,
}

/// The acceptance page, with what was typed and what was wrong.
async fn accept_page(
    platform: &Platform,
    user: &User,
    fields: &Fields,
    view: View<'_>,
) -> Response {
    let View {
        errors,
        check,
        notice,
        form_errors,
        prefilled,
    } = view;
    let (theme, matters) = match target_matters(platform, &fields.target).await {
        Ok(found) => found,
        Err(e) => return failed(user, e),
    };
    // 一表申请: each field once, however many matters share it.
    let asked = fields_of(matters.iter().map(|m| &m.matter));
    let form_errors: BTreeMap<&str, &str> = form_errors
        .iter()
        .map(|e| (e.key.as_str(), e.message.as_str()))
        .collect();
    let materials = material_rows(
        theme.as_ref(),
        &matters,
        check.map(|(c, _)| c),
        check.map(|(_, attached)| attached),
    );
    let mut license_types: Vec<&String> = materials
        .iter()
        .filter_map(|m| m.license_type.as_ref())
        .collect();
    license_types.sort();
    license_types.dedup();
    let mut response = page(
        Page::new("accept.html", Some(user))
            .with("license_types", &license_types)
            .with("nav", "matters")
            .with("fields", fields)
            .with("errors", &errors)
            .with("asked", &asked)
            .with("form_errors", &form_errors)
            .with("prefilled", &prefilled)
            .with("theme", theme)
            .with("matters", matters)
            .with("materials", materials)
            .with("checked", check.is_some())
            .with("notice", notice),
    );
    if !errors.is_empty() || !form_errors.is_empty() || notice.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `GET /accept?matter_code=…` or `?theme_code=…`: the acceptance form.
pub async fn accept_form(
    user: User,
    State(platform): State<Platform>,
    Query(target): Query<Target>,
) -> Response {
    let fields = Fields {
        target,
        applicant_type: "person".into(),
        ..Fields::default()
    };
    accept_page(&platform, &user, &fields, View::default()).await
}

/// `POST /accept/prefill`: the acceptance form again, with the fields the
/// applicant filled on earlier cases (address, phone, legal representative)
/// filled in where still empty. A POST, as it reads personal data; audited.
pub async fn prefill(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    multipart: Multipart,
) -> Response {
    let (mut fields, _, csrf) = match read_form(multipart).await {
        Ok(read) => read,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &user, &message),
    };
    if let Some(refused) = crate::ui::guard::refuse_field(csrf.as_deref()) {
        return refused;
    }
    let mut view = View::default();
    if let Some(e) = id_problem(fields.organization(), &fields.id_number, true) {
        view.errors.insert("id_number", e);
        return accept_page(&platform, &user, &fields, view).await;
    }
    let asked = match target_matters(&platform, &fields.target).await {
        Ok((_, matters)) => fields_of(matters.iter().map(|m| &m.matter)),
        Err(e) => return failed(&user, e),
    };
    let known = match platform
        .prefill(fields.id_number.trim(), &asked, &user.actor())
        .await
    {
        Ok(known) => known,
        Err(e) => return failed(&user, e),
    };
    for (key, value) in known {
        let slot = fields.values.entry(format!("{FIELD}{key}")).or_default();
        if slot.trim().is_empty() {
            *slot = value;
            if let Some(a) = asked.iter().find(|a| a.field.key == key) {
                view.prefilled.push(a.field.label.clone());
            }
        }
    }
    let notice = view
        .prefilled
        .is_empty()
        .then_some("没有可带出的信息：该申请人以往办件未填写过住所、联系电话或法定代表人。");
    view.notice = notice;
    let mut response = accept_page(&platform, &user, &fields, view).await;
    if response.status() == StatusCode::UNPROCESSABLE_ENTITY && notice.is_some() {
        *response.status_mut() = StatusCode::OK;
    }
    response
}

#[derive(Deserialize)]
pub struct IdCheck {
    #[serde(default)]
    applicant_type: String,
    #[serde(default)]
    id_number: Option<String>,
    #[serde(default)]
    rep_id_number: Option<String>,
}

/// `GET /accept/check-id`: the inline check of an ID number or credit code
/// while it is typed (htmx swaps the answer in next to the field).
pub async fn check_id(_: User, Query(check): Query<IdCheck>) -> Response {
    let (field, problem) = match (&check.id_number, &check.rep_id_number) {
        (Some(id), _) => (
            "id_number",
            id_problem(check.applicant_type == "organization", id, false),
        ),
        (None, Some(id)) => ("rep_id_number", id_problem(false, id, false)),
        (None, None) => ("id_number", None),
    };
    page(
        Page::new("id_check.html", None)
            .with("field", field)
            .with("error", problem),
    )
}

/// `POST /accept/materials`: which materials the applicant's licenses cover,
/// asked once the applicant consents (htmx swaps the list in). A `POST`,
/// since it is an audited lookup of personal data.
pub async fn materials(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    Form(fields): Form<Fields>,
) -> Response {
    let (theme, matters) = match target_matters(&platform, &fields.target).await {
        Ok(found) => found,
        Err(e) => return failed(&user, e),
    };
    let errors = fields.check();
    let (check, note) = if fields.consent.is_none() {
        (None, None)
    } else if let Some(problem) = ["id_number", "name", "rep_id_number", "rep_name", "purpose"]
        .iter()
        .find_map(|f| errors.get(f))
    {
        (
            None,
            Some(format!("先更正申请人信息再查询电子证照：{problem}")),
        )
    } else {
        match platform
            .check_materials(&fields.application(Vec::new()), &user.actor())
            .await
        {
            // Nothing is submitted yet: what licenses do not cover still gets a file.
            Ok(check) => (
                Some(MaterialCheck {
                    missing: Vec::new(),
                    ..check
                }),
                None,
            ),
            Err(e) => (None, Some(format!("电子证照查询失败：{}", e.for_reader()))),
        }
    };
    page(
        Page::new("materials.html", Some(&user))
            .with(
                "materials",
                material_rows(theme.as_ref(), &matters, check.as_ref(), None),
            )
            .with("checked", check.is_some())
            .with("consent", fields.consent.is_some())
            .with("materials_note", note),
    )
}

/// The acceptance form as read: its fields, the attached files and its `csrf`.
type AcceptanceForm = (Fields, Vec<Attachment>, Option<String>);

/// Reads the acceptance form: its fields, the attached files and its token.
async fn read_form(multipart: Multipart) -> Result<AcceptanceForm, String> {
    let (values, attachments, csrf) = read_multipart(multipart).await?;
    let encoded = serde_urlencoded::to_string(&values).map_err(|e| e.to_string())?;
    let fields = serde_urlencoded::from_str(&encoded).map_err(|e| format!("表单有误：{e}"))?;
    Ok((fields, attachments, csrf))
}

/// `POST /accept`: accepts the case, then shows its receipt.
pub async fn accept(
    Clerk(user): Clerk,
    State(platform): State<Platform>,
    multipart: Multipart,
) -> Response {
    let (fields, attachments, csrf) = match read_form(multipart).await {
        Ok(read) => read,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, &user, &message),
    };
    if let Some(refused) = crate::ui::guard::refuse_field(csrf.as_deref()) {
        return refused;
    }
    let errors = fields.check();
    if !errors.is_empty() {
        let view = View {
            errors,
            ..View::default()
        };
        return accept_page(&platform, &user, &fields, view).await;
    }
    let attached: Vec<String> = attachments
        .iter()
        .map(|a| a.material_code.clone())
        .collect();
    match platform
        .accept(fields.application(attachments), &user.actor())
        .await
    {
        Ok(case) => Redirect::to(&format!("/cases/{}/receipt", case.case_no)).into_response(),
        Err(PlatformError::MissingMaterials(missing)) => {
            // Whatever is required, not attached and not missing is covered.
            let check = MaterialCheck {
                missing,
                ..MaterialCheck::default()
            };
            let notice = format!(
                "还缺 {} 项材料（已在下方标出），请补齐后再提交。{}",
                check.missing.len(),
                if attached.is_empty() {
                    ""
                } else {
                    "已选择的文件需重新选择。"
                }
            );
            let view = View {
                check: Some((&check, &attached)),
                notice: Some(&notice),
                ..View::default()
            };
            accept_page(&platform, &user, &fields, view).await
        }
        Err(PlatformError::InvalidForm(form_errors)) => {
            let notice = format!(
                "申请表有 {} 处需更正（已在下方标出）。{}",
                form_errors.len(),
                if attached.is_empty() {
                    ""
                } else {
                    "已选择的文件需重新选择。"
                }
            );
            let view = View {
                notice: Some(&notice),
                form_errors,
                ..View::default()
            };
            accept_page(&platform, &user, &fields, view).await
        }
        Err(e @ PlatformError::Invalid { .. }) => {
            // The clerk reads it: its words if Chinese, else its code's.
            let message = e.for_reader();
            let PlatformError::Invalid { field, .. } = e else {
                unreachable!("matched above")
            };
            let mut errors = BTreeMap::new();
            let key = match field.as_str() {
                f if f.starts_with("applicant.name") => "name",
                f if f.starts_with("applicant") => "id_number",
                f if f.starts_with("representative.name") => "rep_name",
                f if f.starts_with("representative") => "rep_id_number",
                f if f.starts_with("consent") => "purpose",
                f if f.starts_with("form") => "form_text",
                _ => "",
            };
            if key.is_empty() {
                let view = View {
                    notice: Some(&message),
                    ..View::default()
                };
                accept_page(&platform, &user, &fields, view).await
            } else {
                errors.insert(key, message);
                let view = View {
                    errors,
                    ..View::default()
                };
                accept_page(&platform, &user, &fields, view).await
            }
        }
        Err(e @ PlatformError::Conflict(_)) => {
            let message = e.for_reader();
            let view = View {
                notice: Some(&message),
                ..View::default()
            };
            accept_page(&platform, &user, &fields, view).await
        }
        Err(e) => failed(&user, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_checked_in_chinese_while_typed() {
        // Incomplete while typing: no complaint yet.
        assert_eq!(id_problem(false, "33012219", false), None);
        assert_eq!(id_problem(false, "11010519491231002X", false), None);
        let wrong = id_problem(false, "110105194912310022", false).unwrap();
        assert!(wrong.contains("校验位不正确"), "{wrong}");
        let short = id_problem(false, "11010519", true).unwrap();
        assert!(short.contains("18 位"), "{short}");
        let letter = id_problem(true, "91330122MA2H1234XO", false).unwrap();
        assert!(
            letter.contains("第 18 位") || letter.contains("校验位"),
            "{letter}"
        );
    }

    #[test]
    fn form_lines_become_fields() {
        let fields = Fields {
            form_text: "企业名称：桐庐蜂语新创科技有限公司\n\n注册资本: 100万元".into(),
            ..Fields::default()
        };
        let form = fields.form().unwrap();
        assert_eq!(form["企业名称"], "桐庐蜂语新创科技有限公司");
        assert_eq!(form["注册资本"], "100万元");
        let wrong = Fields {
            form_text: "企业名称 桐庐".into(),
            ..Fields::default()
        };
        assert!(wrong.form().unwrap_err().contains("第 1 行"));
    }
}
