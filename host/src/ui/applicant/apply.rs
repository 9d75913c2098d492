//! Applying online (全程网办): `/my/apply/{matter code}`.
//!
//! The applicant is who signed in; nothing on the page can change that. The
//! page shows the matter's form and materials and, for each material a
//! license can stand in for, a preview of the applicant's license the platform
//! would use, with a box to consent to that one (as the EU's Once-Only system
//! does). The lookup behind the preview is audited with its purpose, and the
//! consent (its purpose and the license types) is recorded and audited with
//! the case. The case is accepted as the window accepts one: the same case
//! number, deadlines and receipt, and every wrong field and missing material
//! told at once.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use super::{SITE, SignedIn};
use crate::model::{Attachment, License, LicenseStatus, Party};
use crate::oidc::Applicant;
use crate::platform::cases::{Application, Consent, FieldError, fields_of};
use crate::platform::catalogue::CatalogueMatter;
use crate::platform::licenses::same_party;
use crate::platform::{Platform, PlatformError};
use crate::ui::clerk::{FIELD, form_fields, read_multipart};
use crate::ui::{Page, error_page, failed, page};

/// The prefix of a consent box: `license:<license type>`.
const CONSENT: &str = "license:";

/// How the timeline and the audit log name an applicant acting online: their
/// name masked (the case itself holds who they are).
pub(crate) fn actor(applicant: &Applicant) -> String {
    format!("applicant:{}", crate::mask::name(applicant.party.name()))
}

fn purpose(matter: &CatalogueMatter) -> String {
    format!("网上申请「{}」", matter.matter.name)
}

/// A material as the page lists it.
#[derive(Serialize)]
struct MaterialRow {
    code: String,
    name: String,
    required: bool,
    /// The applicant's license the platform would use for it, previewed.
    license: Option<Preview>,
    /// Whether the applicant ticked the consent to that license.
    consented: bool,
    /// Required, and neither attached nor covered on the last submission.
    missing: bool,
}

/// What the applicant sees of a license before consenting to its reuse.
#[derive(Clone, Serialize)]
struct Preview {
    type_name: String,
    number: String,
    holder: String,
    issuer: String,
    issued_on: String,
    valid_until: Option<String>,
}

impl Preview {
    fn of(license: &License) -> Preview {
        Preview {
            type_name: license.type_name.clone(),
            number: crate::mask::id_number(&license.number),
            holder: license.holder.name().to_owned(),
            issuer: license.issuer.clone(),
            issued_on: license.issued_on.clone(),
            valid_until: license.valid_until.clone(),
        }
    }
}

/// The matter, if it may be applied for online.
async fn online_matter(platform: &Platform, code: &str) -> Result<CatalogueMatter, Response> {
    let matter = platform.matter(code).await.map_err(|e| failed(None, e))?;
    if !matter.matter.online {
        return Err(error_page(
            StatusCode::FORBIDDEN,
            None,
            &format!(
                "「{}」暂不能全程网办，请查阅办事指南，到综合窗口办理。",
                matter.matter.name
            ),
        ));
    }
    Ok(matter)
}

/// The valid licenses of the applicant (and an enterprise's legal
/// representative) by type, looked up for the preview; audited.
async fn licenses_by_type(
    platform: &Platform,
    applicant: &Applicant,
    matter: &CatalogueMatter,
) -> Result<BTreeMap<String, License>, PlatformError> {
    let wanted: BTreeSet<&String> = matter
        .matter
        .materials
        .iter()
        .filter_map(|m| m.license_type.as_ref())
        .collect();
    let mut found = BTreeMap::new();
    if wanted.is_empty() {
        return Ok(found);
    }
    let holders: Vec<&Party> = std::iter::once(&applicant.party)
        .chain(&applicant.representative)
        .collect();
    for holder in &holders {
        let lookup = platform
            .lookup_licenses(holder, None, &actor(applicant), &purpose(matter))
            .await?;
        for item in lookup.items {
            let license = item.license;
            if wanted.contains(&license.type_name)
                && license.status == LicenseStatus::Valid
                && holders.iter().any(|h| same_party(h, &license.holder))
            {
                found.entry(license.type_name.clone()).or_insert(license);
            }
        }
    }
    Ok(found)
}

/// What was sent, and what was wrong with it.
#[derive(Default)]
struct Sent {
    fields: BTreeMap<String, String>,
    consented: BTreeSet<String>,
    form_errors: Vec<FieldError>,
    missing: Vec<String>,
    notice: Option<String>,
}

async fn apply_page(
    platform: &Platform,
    applicant: &Applicant,
    matter: CatalogueMatter,
    sent: Sent,
) -> Response {
    let licenses = match licenses_by_type(platform, applicant, &matter).await {
        Ok(licenses) => licenses,
        Err(e) => return failed(None, e),
    };
    let materials: Vec<MaterialRow> = matter
        .matter
        .materials
        .iter()
        .map(|m| {
            let license = m
                .license_type
                .as_ref()
                .and_then(|t| licenses.get(t))
                .map(Preview::of);
            MaterialRow {
                code: m.code.clone(),
                name: m.name.clone(),
                required: m.required,
                consented: m
                    .license_type
                    .as_ref()
                    .is_some_and(|t| sent.consented.contains(t)),
                license,
                missing: sent.missing.contains(&m.code),
            }
        })
        .collect();
    let asked = fields_of([&matter.matter]);
    let form_errors: BTreeMap<&str, &str> = sent
        .form_errors
        .iter()
        .map(|e| (e.key.as_str(), e.message.as_str()))
        .collect();
    let refused = !form_errors.is_empty() || sent.notice.is_some();
    let mut response = page(
        Page::new("my_apply.html", None)
            .with("site", SITE)
            .with("nav", "my")
            .with("applicant", applicant)
            .with("matter", &matter)
            .with("asked", &asked)
            .with("fields", &sent.fields)
            .with("form_errors", &form_errors)
            .with("materials", &materials)
            .with("notice", &sent.notice),
    );
    if refused {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// `GET /my/apply/{code}`: the online application form.
pub async fn form(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(code): Path<String>,
) -> Response {
    match online_matter(&platform, &code).await {
        Ok(matter) => apply_page(&platform, &applicant, matter, Sent::default()).await,
        Err(refused) => refused,
    }
}

/// `POST /my/apply/{code}`: applies; the receipt, or the form again with
/// everything that was wrong.
pub async fn apply(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Path(code): Path<String>,
    multipart: Multipart,
) -> Response {
    let matter = match online_matter(&platform, &code).await {
        Ok(matter) => matter,
        Err(refused) => return refused,
    };
    let (values, attachments, csrf) = match read_multipart(multipart).await {
        Ok(read) => read,
        Err(message) => return error_page(StatusCode::BAD_REQUEST, None, &message),
    };
    if let Some(refused) = crate::ui::guard::refuse_field(csrf.as_deref()) {
        return refused;
    }
    let mut sent = Sent::default();
    for (name, value) in values {
        if let Some(license_type) = name.strip_prefix(CONSENT) {
            sent.consented.insert(license_type.to_owned());
        } else if name.starts_with(FIELD) {
            sent.fields.insert(name, value);
        }
    }
    let application = application(&applicant, &matter, &sent, attachments);
    match platform.accept(application, &actor(&applicant)).await {
        Ok(case) => {
            tracing::info!(case_no = %case.case_no, matter = %code, "a case was applied for online");
            Redirect::to(&format!("/my/cases/{}", case.case_no)).into_response()
        }
        Err(PlatformError::InvalidForm(errors)) => {
            sent.notice = Some(format!(
                "申请表有 {} 处需要修改，见各栏下的提示。",
                errors.len()
            ));
            sent.form_errors = errors;
            apply_page(&platform, &applicant, matter, sent).await
        }
        Err(PlatformError::MissingMaterials(missing)) => {
            let names: Vec<&str> = missing.iter().map(|m| m.name.as_str()).collect();
            sent.notice = Some(format!(
                "还缺 {} 项必交材料：{}。请上传，或同意复用对应的电子证照。",
                missing.len(),
                names.join("、")
            ));
            sent.missing = missing.into_iter().map(|m| m.code).collect();
            apply_page(&platform, &applicant, matter, sent).await
        }
        Err(e) => failed(None, e),
    }
}

/// The application of `sent`: the applicant and an enterprise's legal
/// representative as the identity platform said, and consent to exactly the
/// license types ticked.
fn application(
    applicant: &Applicant,
    matter: &CatalogueMatter,
    sent: &Sent,
    attachments: Vec<Attachment>,
) -> Application {
    let form = form_fields(&sent.fields);
    Application {
        matter_code: Some(matter.matter.code.clone()),
        theme_code: None,
        applicant: applicant.party.clone(),
        representative: applicant.representative.clone(),
        form,
        attachments,
        consent: (!sent.consented.is_empty()).then(|| Consent {
            reuse_licenses: true,
            purpose: purpose(matter),
            license_types: Some(sent.consented.iter().cloned().collect()),
        }),
    }
}
