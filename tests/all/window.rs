//! The front end's pages over plain HTTP: signing in and out, what each role
//! may open, and the console's retry of a case whose delivery failed.
//! (`tests/browser` drives the same pages in headless Chromium.)

use std::time::Duration;

use legacy_systems::common::fault::Fault;
use onewindow_tests::{CLERK, Db, OPERATOR};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::platform::{Server, Setup, application, server_with};

/// A browser that does not follow redirects, so each one can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    location: String,
    set_cookie: String,
    pub(crate) body: String,
}

async fn send(request: reqwest::RequestBuilder, cookie: Option<&str>) -> Answer {
    let request = match cookie {
        Some(cookie) => request.header(COOKIE, cookie),
        None => request,
    };
    let response = request.send().await.unwrap();
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (location, set_cookie) = (header(LOCATION), header(SET_COOKIE));
    Answer {
        status: response.status(),
        location,
        set_cookie,
        body: response.text().await.unwrap(),
    }
}

pub(crate) async fn get(s: &Server, path: &str, cookie: Option<&str>) -> Answer {
    send(browser().get(format!("{}{path}", s.url())), cookie).await
}

async fn post(s: &Server, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Answer {
    send(
        browser().post(format!("{}{path}", s.url())).form(form),
        cookie,
    )
    .await
}

/// Signs in and gives the session cookie (`name=value`).
pub(crate) async fn sign_in(s: &Server, account: &str, password: &str) -> String {
    let answer = post(
        s,
        "/login",
        &[("account", account), ("password", password)],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    answer.set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_opens_a_session_that_signing_out_ends() {
    let s = server_with(Db::Sqlite, Setup::default()).await;

    let anonymous = get(&s, "/cases?status=accepted", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.location,
        "/login?next=%2Fcases%3Fstatus%3Daccepted"
    );

    for (account, password, why) in [
        ("窗口一号", "not-the-token-at-all", "a wrong password"),
        ("运维", CLERK, "another account's token"),
        ("", "", "nothing"),
    ] {
        let refused = post(
            &s,
            "/login",
            &[("account", account), ("password", password)],
            None,
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{why}");
        assert!(refused.set_cookie.is_empty(), "{why}");
        assert!(
            refused.body.contains("账号或口令不正确") || refused.body.contains("请输入账号和口令"),
            "{why}: {}",
            refused.body
        );
    }

    // After signing in, only this site's paths are followed.
    let answer = post(
        &s,
        "/login",
        &[
            ("account", "窗口一号"),
            ("password", CLERK),
            ("next", "//evil.example/"),
        ],
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.location, "/");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(
            answer.set_cookie.contains(attribute),
            "{}",
            answer.set_cookie
        );
    }
    let clerk = answer.set_cookie.split(';').next().unwrap().to_owned();

    let home = get(&s, "/", Some(&clerk)).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("企业设立登记"), "{}", home.body);
    let console = get(&s, "/admin", Some(&clerk)).await;
    assert_eq!(console.status, StatusCode::FORBIDDEN);
    assert!(console.body.contains("仅限运维人员"), "{}", console.body);
    let unknown = get(&s, "/cases/20990101-000001", Some(&clerk)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    let out = post(&s, "/logout", &[], Some(&clerk)).await;
    assert_eq!(out.location, "/login");
    assert_eq!(
        get(&s, "/", Some(&clerk)).await.status,
        StatusCode::SEE_OTHER
    );
    // A forged cookie is no session either.
    let forged =
        "onewindow_session=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_eq!(
        get(&s, "/", Some(forged)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_retries_from_the_console_a_case_whose_delivery_failed() {
    let s = server_with(
        Db::Sqlite,
        Setup {
            retry_horizon: Some(Duration::from_millis(300)),
            ..Setup::default()
        },
    )
    .await;
    s.mock.set_fault(Fault::Down);
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    s.wait_for_status(&case_no, "delivery_failed").await;

    let operator = sign_in(&s, "运维", OPERATOR).await;
    let console = get(&s, "/admin", Some(&operator)).await;
    assert_eq!(console.status, StatusCode::OK);
    assert!(
        console
            .body
            .contains(&format!("/admin/cases/{case_no}/retry")),
        "{}",
        console.body
    );

    s.mock.set_fault(Fault::None);
    let retry = format!("/admin/cases/{case_no}/retry");
    let retried = post(&s, &retry, &[], Some(&operator)).await;
    assert_eq!(retried.status, StatusCode::SEE_OTHER);
    let shown = get(&s, &retried.location, Some(&operator)).await;
    assert!(
        shown
            .body
            .contains(&format!("办件 {case_no} 已重新排队推送")),
        "{}",
        shown.body
    );
    s.wait_for_status(&case_no, "completed").await;

    // A second retry has nothing to retry, and says so.
    let again = post(&s, &retry, &[], Some(&operator)).await;
    let shown = get(&s, &again.location, Some(&operator)).await;
    assert!(shown.body.contains("操作未完成"), "{}", shown.body);
    assert!(shown.body.contains("no failed delivery"), "{}", shown.body);
    // Clerks cannot retry.
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    assert_eq!(
        post(&s, &retry, &[], Some(&clerk)).await.status,
        StatusCode::FORBIDDEN
    );
}
