//! The operator console: adapters with their versions, health and call
//! statistics; installing a package; activating, rolling back and disabling;
//! cases whose delivery failed, with retry; the exchange log.

use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;

use super::Page;
use super::failed;
use super::guard::{flash, refuse_field, take_flash};
use super::page;
use super::session::Operator;
use crate::platform::cases::CaseQuery;
use crate::platform::exchanges::{self, Filter};
use crate::platform::lifecycle::Status;
use crate::platform::{Platform, PlatformError};

/// Back to the console, which shows once what happened (in a cookie signed
/// for the session, never in the address: a link cannot make it say anything).
fn back(jar: CookieJar, outcome: Result<String, PlatformError>) -> Response {
    let jar = match outcome {
        Ok(done) => flash(jar, true, &done),
        Err(e) => flash(jar, false, &e.to_string()),
    };
    (jar, Redirect::to("/admin")).into_response()
}

/// `GET /admin`.
pub async fn console(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
) -> Response {
    let (jar, banner) = take_flash(jar);
    let (done, error) = match banner {
        Some((true, message)) => (Some(message), None),
        Some((false, message)) => (None, Some(message)),
        None => (None, None),
    };
    let failed_query = CaseQuery {
        status: Some(Status::DeliveryFailed.as_str().to_owned()),
        ..CaseQuery::default()
    };
    let result = async {
        Ok::<_, PlatformError>((
            platform.adapter_infos().await?,
            platform.cases(&failed_query).await?,
            platform.rejected_licenses().await?,
        ))
    }
    .await;
    match result {
        Ok((mut adapters, failed_cases, rejected_licenses)) => {
            // Each adapter's newest version first.
            let version = |v: &str| semver::Version::parse(v).ok();
            adapters.sort_by(|a, b| {
                a.id.cmp(&b.id)
                    .then_with(|| version(&b.version).cmp(&version(&a.version)))
            });
            // Versions below their adapter's active one: activating them asks
            // for a confirmation.
            let downgrades: Vec<String> = adapters
                .iter()
                .filter(|a| {
                    adapters.iter().any(|active| {
                        active.id == a.id
                            && active.state == "active"
                            && version(&a.version) < version(&active.version)
                    })
                })
                .map(|a| format!("{}@{}", a.id, a.version))
                .collect();
            let console = page(
                Page::new("admin.html", Some(&user))
                    .with("nav", "admin")
                    .with("adapters", adapters)
                    .with("downgrades", downgrades)
                    .with("failed_cases", failed_cases)
                    .with("rejected_licenses", rejected_licenses)
                    .with("done", done)
                    .with("error", error),
            );
            (jar, console).into_response()
        }
        Err(e) => failed(&user, e),
    }
}

/// `POST /admin/adapters`: installs the uploaded package (not yet active).
pub async fn install(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
    mut multipart: Multipart,
) -> Response {
    let (mut package, mut csrf) = (None, None);
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("package") => match field.bytes().await {
                Ok(bytes) => package = Some(bytes),
                Err(e) => return back(jar, Err(invalid(format!("上传未完成：{e}")))),
            },
            Ok(Some(field)) if field.name() == Some("csrf") => csrf = field.text().await.ok(),
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return back(jar, Err(invalid(format!("上传未完成：{e}")))),
        }
    }
    if let Some(refused) = refuse_field(csrf.as_deref()) {
        return refused;
    }
    let Some(package) = package.filter(|p| !p.is_empty()) else {
        return back(
            jar,
            Err(invalid("请选择要安装的适配器包（.tar.gz）。".into())),
        );
    };
    back(
        jar,
        platform
            .install_package(&package, &user.actor())
            .await
            .map(|v| format!("已安装 {} {}（尚未启用）", v.id, v.version)),
    )
}

fn invalid(message: String) -> PlatformError {
    PlatformError::Invalid {
        field: "package".into(),
        message,
    }
}

/// The activation form: a downgrade needs its box ticked.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Activation {
    #[serde(default)]
    allow_downgrade: Option<String>,
}

/// `POST /admin/adapters/{id}/activate/{version}`.
pub async fn activate(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
    Path((id, version)): Path<(String, String)>,
    Form(form): Form<Activation>,
) -> Response {
    back(
        jar,
        platform
            .activate_adapter(&id, &version, &user.actor(), form.allow_downgrade.is_some())
            .await
            .map(|v| format!("{} 已启用 {}", v.id, v.version)),
    )
}

/// `POST /admin/adapters/{id}/rollback`.
pub async fn rollback(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Response {
    back(
        jar,
        platform
            .rollback_adapter(&id, &user.actor())
            .await
            .map(|v| format!("{} 已回滚到 {}", v.id, v.version)),
    )
}

/// `POST /admin/adapters/{id}/disable`.
pub async fn disable(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
    Path(id): Path<String>,
) -> Response {
    back(
        jar,
        platform
            .disable_adapter(&id, &user.actor())
            .await
            .map(|()| format!("{id} 已停用；其办件在推送队列中等待")),
    )
}

/// `POST /admin/cases/{case_no}/retry`.
pub async fn retry(
    Operator(user): Operator,
    State(platform): State<Platform>,
    jar: CookieJar,
    Path(case_no): Path<String>,
) -> Response {
    back(
        jar,
        crate::delivery::retry(&platform, &case_no, &user.actor())
            .await
            .map(|()| format!("办件 {case_no} 已重新排队推送")),
    )
}

/// `GET /admin/exchanges?case_no=&adapter=&outcome=`: the exchange log, one
/// case's calls or an adapter's, newest first, each request beside its answer.
pub async fn exchanges(
    Operator(user): Operator,
    State(platform): State<Platform>,
    Query(filter): Query<Filter>,
) -> Response {
    // An empty box of the form filters nothing.
    let given = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
    let filter = Filter {
        case_no: given(filter.case_no),
        adapter: given(filter.adapter),
        outcome: given(filter.outcome),
        from: given(filter.from),
        to: given(filter.to),
        limit: Some(filter.limit.unwrap_or(50)),
    };
    let (entries, error) = match exchanges::list(&platform.store, &filter).await {
        Ok(entries) => (entries, None),
        Err(PlatformError::Invalid { message, .. }) => (Vec::new(), Some(message)),
        Err(e) => return failed(&user, e),
    };
    page(
        Page::new("exchanges.html", Some(&user))
            .with("nav", "admin")
            .with("entries", entries)
            .with("filter", filter)
            .with("error", error),
    )
}

/// `GET /admin/exchanges/{id}/fixture`: the call as an `adapter test` fixtures folder.
pub async fn exchange_fixture(
    Operator(user): Operator,
    State(platform): State<Platform>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return failed(
            &user,
            PlatformError::NotFound(format!("没有编号为 {id} 的交换记录")),
        );
    };
    let archive = match exchanges::get(&platform.store, id).await {
        Ok(Some(entry)) => exchanges::fixture_archive(&entry).map_err(PlatformError::Conflict),
        Ok(None) => Err(PlatformError::NotFound(format!(
            "没有编号为 {id} 的交换记录"
        ))),
        Err(e) => Err(e.into()),
    };
    match archive {
        Ok(bytes) => crate::http::fixture_download(id, bytes),
        Err(e) => failed(&user, e),
    }
}
