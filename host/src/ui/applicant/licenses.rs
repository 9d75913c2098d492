//! The applicant's licenses (`/my/licenses`) and 亮证: showing one with a
//! short-lived verification code that anyone checks at the public `/verify`
//! (see [`crate::platform::showings`]).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use super::apply::actor;
use super::{SITE, SignedIn};
use crate::platform::Platform;
use crate::platform::licenses::same_party;
use crate::platform::showings::VALID_FOR;
use crate::ui::{Page, failed, page};

/// `GET /my/licenses`: the applicant's own licenses, as their issuers answer;
/// the lookup is audited.
pub async fn list(SignedIn(applicant): SignedIn, State(platform): State<Platform>) -> Response {
    let found = platform
        .lookup_licenses(
            &applicant.party,
            None,
            &actor(&applicant),
            "查看本人电子证照",
        )
        .await;
    match found {
        Ok(lookup) => {
            let own: Vec<_> = lookup
                .items
                .into_iter()
                .filter(|f| same_party(&applicant.party, &f.license.holder))
                .collect();
            page(
                Page::new("my_licenses.html", None)
                    .with("site", SITE)
                    .with("nav", "licenses")
                    .with("applicant", &applicant)
                    .with("licenses", own)
                    .with("unavailable", lookup.unavailable),
            )
        }
        Err(e) => failed(None, e),
    }
}

#[derive(Deserialize)]
pub struct ShowForm {
    #[serde(default)]
    type_code: String,
    #[serde(default)]
    number: String,
}

/// `POST /my/licenses/show`: 亮证. The page with the license's face and its
/// verification code; the code is never put in an address.
pub async fn show(
    SignedIn(applicant): SignedIn,
    State(platform): State<Platform>,
    Form(form): Form<ShowForm>,
) -> Response {
    let showing = platform
        .show_license(
            &applicant.party,
            form.type_code.trim(),
            form.number.trim(),
            &actor(&applicant),
        )
        .await;
    match showing {
        Ok(showing) => {
            let mut response = page(
                Page::new("my_license_shown.html", None)
                    .with("site", SITE)
                    .with("nav", "licenses")
                    .with("applicant", &applicant)
                    .with("minutes", VALID_FOR.as_secs() / 60)
                    .with("showing", showing),
            );
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => failed(None, e),
    }
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: Option<String>,
}

/// `GET /verify?code=…`: the public check of a shown license. Anyone may use
/// it; it shows only what it takes to trust the license.
pub async fn verify(State(platform): State<Platform>, Query(query): Query<CodeQuery>) -> Response {
    let base = || {
        Page::new("verify.html", None)
            .with("site", SITE)
            .with("nav", "verify")
    };
    let Some(code) = query.code.filter(|c| !c.trim().is_empty()) else {
        return page(base());
    };
    match platform.check_shown_license(&code).await {
        Ok(Some(checked)) => page(base().with("code", &code).with("checked", checked)),
        Ok(None) => {
            let mut response = page(
                base()
                    .with("code", &code)
                    .with("error", "验证码无效或已过期：请让持证人重新亮证。"),
            );
            *response.status_mut() = StatusCode::NOT_FOUND;
            response
        }
        Err(e) => failed(None, e),
    }
}
