//! The front end's pages over plain HTTP: signing in and out, what each role
//! may open, and the console's retry of a case whose delivery failed.
//! (`tests/browser` drives the same pages in headless Chromium.)

use std::time::Duration;

use legacy_systems::common::fault::Fault;
use onewindow_tests::{AUDITOR, CLERK, Db, MARKET_STAFF, OPERATOR, SUPERVISOR, TAX_STAFF};
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
    pub(crate) location: String,
    pub(crate) set_cookie: String,
    /// Every cookie set, as `name=value`.
    cookies: Vec<String>,
    headers: reqwest::header::HeaderMap,
    pub(crate) body: String,
}

impl Answer {
    /// The session cookie with the banner cookie this answer set, for the next page.
    fn with_banner(&self, session: &str) -> String {
        let banner = self
            .cookies
            .iter()
            .find(|c| c.starts_with("onewindow_flash="))
            .expect("a banner cookie");
        format!("{session}; {banner}")
    }
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
    let cookies = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect();
    Answer {
        status: response.status(),
        location,
        set_cookie,
        cookies,
        headers: response.headers().clone(),
        body: response.text().await.unwrap(),
    }
}

pub(crate) async fn get(s: &Server, path: &str, cookie: Option<&str>) -> Answer {
    send(browser().get(format!("{}{path}", s.url())), cookie).await
}

/// Posts a form as the window's own pages do: with the session's token.
async fn post(s: &Server, path: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Answer {
    let mut form = form.to_vec();
    let token = match cookie {
        Some(cookie) => Some(csrf_token(s, cookie).await),
        None => None,
    };
    if let Some(token) = &token {
        form.push(("csrf", token));
    }
    post_as_is(s, path, &form, cookie).await
}

/// Posts exactly `form`, with no token added.
pub(crate) async fn post_as_is(
    s: &Server,
    path: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> Answer {
    send(
        browser().post(format!("{}{path}", s.url())).form(form),
        cookie,
    )
    .await
}

/// Posts exactly `fields` as `multipart/form-data`, as the window's forms with
/// files send them: a field named `file:<material>` is a PDF file with that
/// content.
pub(crate) async fn post_multipart(
    s: &Server,
    path: &str,
    fields: &[(&str, &str)],
    cookie: &str,
) -> Answer {
    let boundary = "onewindow-test-boundary";
    let mut body: String = fields
        .iter()
        .map(|(name, value)| {
            let file = if name.starts_with("file:") {
                "; filename=\"材料.pdf\"\r\nContent-Type: application/pdf"
            } else {
                ""
            };
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"
            )
        })
        .collect();
    body += &format!("--{boundary}--\r\n");
    let request = browser()
        .post(format!("{}{path}", s.url()))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    send(request, Some(cookie)).await
}

/// The token a page of the session shows in its forms.
pub(crate) async fn csrf_token(s: &Server, cookie: &str) -> String {
    let page = get(s, "/cases", Some(cookie)).await;
    let (_, rest) = page
        .body
        .split_once(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no token on the page: {}", page.body));
    rest.split('"').next().unwrap().to_owned()
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
    assert_eq!(retried.location, "/admin");
    let shown = get(&s, "/admin", Some(&retried.with_banner(&operator))).await;
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
    let shown = get(&s, "/admin", Some(&again.with_banner(&operator))).await;
    assert!(shown.body.contains("操作未完成"), "{}", shown.body);
    assert!(shown.body.contains("no failed delivery"), "{}", shown.body);
    // Shown once; and a banner of another session, or one in the address, is not shown.
    let later = get(
        &s,
        "/admin?done=攻击者的文字&error=攻击者的文字",
        Some(&operator),
    )
    .await;
    assert!(!later.body.contains("操作未完成"), "{}", later.body);
    assert!(!later.body.contains("攻击者的文字"), "{}", later.body);
    let other = sign_in(&s, "运维", OPERATOR).await;
    let foreign = get(&s, "/admin", Some(&again.with_banner(&other))).await;
    assert!(!foreign.body.contains("操作未完成"), "{}", foreign.body);
    // Clerks cannot retry.
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    assert_eq!(
        post(&s, &retry, &[], Some(&clerk)).await.status,
        StatusCode::FORBIDDEN
    );
}

/// How many entries the audit log holds.
/// 一表申请 at the window: a field per declared field, each wrong one marked
/// next to it, and what the applicant gave on an earlier case offered again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_asks_each_field_marks_the_wrong_ones_and_offers_what_the_applicant_gave_before()
{
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    let page = get(&s, "/accept?matter_code=330122-SCJG-XK-001", Some(&clerk)).await;
    for field in [
        "企业名称",
        "企业类型",
        "法定代表人",
        "注册资本",
        "住所",
        "经营范围",
    ] {
        assert!(
            page.body.contains(&format!(r#"name="f:{field}""#)),
            "{field}: {}",
            page.body
        );
    }
    assert!(
        page.body
            .contains("<option>有限责任公司（自然人独资）</option>")
    );

    let csrf = csrf_token(&s, &clerk).await;
    let applicant = [
        ("matter_code", "330122-SCJG-XK-001"),
        ("applicant_type", "person"),
        ("id_number", "11010519491231002X"),
        ("name", "陈晓东"),
        ("csrf", csrf.as_str()),
    ];
    // Nothing known of the applicant yet.
    let before = audited(&s).await;
    let nothing = post_multipart(&s, "/accept/prefill", &applicant, &clerk).await;
    assert_eq!(nothing.status, StatusCode::OK, "{}", nothing.body);
    assert!(
        nothing.body.contains("没有可带出的信息"),
        "{}",
        nothing.body
    );
    assert_eq!(audited(&s).await, before, "nothing was read");

    // Wrong fields are marked each next to its input, and nothing is stored.
    let mut wrong = applicant.to_vec();
    wrong.extend([
        ("f:企业名称", "桐庐晓东茶业有限公司"),
        ("f:企业类型", "合伙企业"),
    ]);
    let refused = post_multipart(&s, "/accept", &wrong, &clerk).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("申请表有 5 处需更正"),
        "{}",
        refused.body
    );
    for message in [
        "「企业类型」应为以下之一",
        "请填写「法定代表人」",
        "请填写「注册资本（如：100万元人民币）」",
        "请填写「住所」",
        "请填写「经营范围」",
    ] {
        assert!(
            refused.body.contains(message),
            "{message}: {}",
            refused.body
        );
    }
    assert!(
        refused.body.contains(r#"value="桐庐晓东茶业有限公司""#),
        "what was typed stays: {}",
        refused.body
    );

    // A case with the applicant's address and legal representative...
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    // ... which the next case offers again, audited.
    let offered = post_multipart(&s, "/accept/prefill", &applicant, &clerk).await;
    assert_eq!(offered.status, StatusCode::OK, "{}", offered.body);
    assert!(
        offered
            .body
            .contains("已带出申请人以往办件中填写的法定代表人、住所"),
        "{}",
        offered.body
    );
    assert!(
        offered
            .body
            .contains(r#"value="浙江省杭州市桐庐县桐君街道迎春南路277号""#),
        "{}",
        offered.body
    );
    let read: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, subject FROM audit WHERE action = 'applicant.details' ORDER BY seq",
    )
    .fetch_all(s.platform().store.pool())
    .await
    .unwrap();
    assert_eq!(read.len(), 1, "{read:?}");
    assert_eq!(read[0].0, "clerk:窗口一号");
    assert!(
        !read[0].1.contains("11010519491231002X"),
        "masked: {read:?}"
    );
}

/// 补正 and 撤回 at the window: the files reach the department, which resumes
/// and completes the case; a withdrawal reaches it too, and one of a finished
/// case is refused next to the form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_hands_in_a_supplement_and_withdraws_a_case_at_the_department() {
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    let mut app = application();
    app["form"]["模拟结果"] = serde_json::json!("补正");
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(app))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    s.wait_for_status(&case_no, "supplement_requested").await;
    let page = get(&s, &format!("/cases/{case_no}"), Some(&clerk)).await;
    assert!(page.body.contains("提交补正材料"), "{}", page.body);
    assert!(page.body.contains(r#"name="file:002""#), "{}", page.body);

    let csrf = csrf_token(&s, &clerk).await;
    let path = format!("/cases/{case_no}/supplement");
    let fields = [
        ("csrf", csrf.as_str()),
        ("note", "补交全体股东签字的章程"),
        ("file:002", "%PDF-1.4 signed"),
    ];
    let sent = post_multipart(&s, &path, &fields, &clerk).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let at_mock = crate::platform::stored_at(s.mock.addr(), &case_no).await;
    let supplement = &at_mock["supplements"][0];
    assert_eq!(supplement["note"], "补交全体股东签字的章程", "{at_mock:#}");
    assert_eq!(
        supplement["attachments"][0]["material"], "002",
        "{at_mock:#}"
    );
    s.wait_for_status(&case_no, "completed").await;

    // Finished, it cannot be withdrawn: said next to the form, nothing changes.
    let path = format!("/cases/{case_no}/withdraw");
    let refused = post(&s, &path, &[("reason", "申请人不再需要")], Some(&clerk)).await;
    assert!(refused.body.contains("不能撤回"), "{}", refused.body);
    assert_eq!(
        s.wait_for_status(&case_no, "completed").await["status"],
        "completed"
    );

    // Undecided at a department that takes its time, it is withdrawn there too.
    let slow = server_with(
        Db::Sqlite,
        Setup {
            stage: Duration::from_secs(600),
            ..Setup::default()
        },
    )
    .await;
    let clerk = sign_in(&slow, "窗口一号", CLERK).await;
    let (_, case) = slow
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    slow.wait_for_status(&case_no, "delivered").await;
    let path = format!("/cases/{case_no}/withdraw");
    let empty = post(&slow, &path, &[("reason", " ")], Some(&clerk)).await;
    assert!(empty.body.contains("请填写撤回原因"), "{}", empty.body);
    let withdrawn = post(&slow, &path, &[("reason", "申请人不再开办")], Some(&clerk)).await;
    assert_eq!(
        withdrawn.status,
        StatusCode::SEE_OTHER,
        "{}",
        withdrawn.body
    );
    let case = slow.wait_for_status(&case_no, "withdrawn").await;
    assert!(
        case["timeline"]
            .to_string()
            .contains("申请人不再开办（部门已撤回）"),
        "{case:#}"
    );
    let at_mock = crate::platform::stored_at(slow.mock.addr(), &case_no).await;
    assert_eq!(
        at_mock["withdrawal"]["reason"], "申请人不再开办",
        "{at_mock:#}"
    );
}

async fn audited(s: &Server) -> u64 {
    let (status, verified) = s
        .call("GET", "/api/v1/audit/verify", Some(AUDITOR), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{verified:#}");
    verified["entries"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_from_another_site_or_without_the_sessions_token_change_nothing() {
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    let token = csrf_token(&s, &clerk).await;
    let other = sign_in(&s, "窗口一号", CLERK).await;
    let others_token = csrf_token(&s, &other).await;
    assert_ne!(token, others_token, "each session has its own token");

    let logout = format!("{}/logout", s.url());
    let lookup = format!("{}/licenses", s.url());
    let forged = "00".repeat(20);
    let before = audited(&s).await;
    for (why, request) in [
        ("no token", browser().post(&logout).form(&[("x", "y")])),
        (
            "another session's token",
            browser().post(&logout).form(&[("csrf", &others_token)]),
        ),
        (
            "a forged token",
            browser().post(&logout).form(&[("csrf", &forged)]),
        ),
        (
            "another session's token in htmx's header",
            browser()
                .post(&logout)
                .header("x-csrf-token", &others_token)
                .form(&[("x", "y")]),
        ),
        (
            "another port of this host (a mock department's page)",
            browser()
                .post(&logout)
                .header("origin", "http://127.0.0.1:9101")
                .form(&[("csrf", &token)]),
        ),
        (
            "a sibling site, by fetch metadata",
            browser()
                .post(&logout)
                .header("sec-fetch-site", "same-site")
                .form(&[("csrf", &token)]),
        ),
        (
            "an audited lookup with no token",
            browser()
                .post(&lookup)
                .form(&[("holder", "11010519491231002X")]),
        ),
        (
            "an audited lookup from another site",
            browser()
                .post(&lookup)
                .header("origin", "https://evil.example")
                .form(&[
                    ("holder", "11010519491231002X"),
                    ("name", "陈晓东"),
                    ("csrf", &token),
                ]),
        ),
    ] {
        let refused = send(request, Some(&clerk)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{why}");
        assert!(
            refused.body.contains("只能从本平台自己的页面提交"),
            "{why}: {}",
            refused.body
        );
        assert_eq!(
            get(&s, "/cases", Some(&clerk)).await.status,
            StatusCode::OK,
            "{why}: still signed in"
        );
    }
    assert_eq!(audited(&s).await, before, "no lookup was made or audited");

    // The site's own form, as a browser sends it; and htmx's header.
    let own = send(
        browser()
            .post(&lookup)
            .header("origin", s.url())
            .header("sec-fetch-site", "same-origin")
            .form(&[
                ("holder", "11010519491231002X"),
                ("name", "陈晓东"),
                ("csrf", &token),
            ]),
        Some(&clerk),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    assert!(own.body.contains("查询结果"), "{}", own.body);
    assert!(audited(&s).await > before, "the lookup is audited");
    let out = send(
        browser()
            .post(&logout)
            .header("x-csrf-token", &others_token)
            .form(&[("x", "y")]),
        Some(&other),
    )
    .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location, "/login");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_get_looks_up_personal_data_and_every_page_is_guarded_by_its_headers() {
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    let operator = sign_in(&s, "运维", OPERATOR).await;
    let before = audited(&s).await;
    let by_get = get(&s, "/licenses?holder=11010519491231002X", Some(&clerk)).await;
    assert_eq!(by_get.status, StatusCode::OK);
    assert!(!by_get.body.contains("查询结果"), "{}", by_get.body);
    let materials = get(
        &s,
        "/accept/materials?matter_code=330122-SCJG-XK-001&consent=on&applicant_type=person&id_number=11010519491231002X&name=%E7%8E%8B%E8%8A%B3&purpose=x",
        Some(&clerk),
    )
    .await;
    assert_eq!(materials.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(audited(&s).await, before, "nothing was looked up");

    // Only clerks ask for a 好差评 code, in the window as in the API.
    let evaluation = post(
        &s,
        "/cases/20990101-000001/rating-code",
        &[],
        Some(&operator),
    )
    .await;
    assert_eq!(evaluation.status, StatusCode::FORBIDDEN);
    assert!(
        evaluation.body.contains("仅限窗口人员"),
        "{}",
        evaluation.body
    );

    for (path, cookie) in [
        ("/login", None),
        ("/", Some(&clerk)),
        ("/cases", Some(&clerk)),
        ("/licenses", Some(&clerk)),
        ("/accept?matter_code=330122-SCJG-XK-001", Some(&clerk)),
        ("/admin", Some(&operator)),
        ("/admin", Some(&clerk)),
        ("/assets/app.css", None),
        ("/assets/app.js", None),
    ] {
        let answer = get(&s, path, cookie.map(String::as_str)).await;
        let header = |name: &str| {
            answer
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{path}: no {name}"))
        };
        let policy = header("content-security-policy");
        for directive in [
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("referrer-policy"), "same-origin", "{path}");
        assert_eq!(header("x-frame-options"), "DENY", "{path}");
        if path.starts_with("/assets") {
            continue;
        }
        // No script of the page's own: the policy would stop it.
        for (at, _) in answer.body.match_indices("<script") {
            let tag = &answer.body[at..answer.body[at..].find('>').unwrap() + at];
            assert!(tag.contains("src="), "{path}: inline script {tag}");
        }
        let lower = answer.body.to_ascii_lowercase();
        for handler in [
            " onclick=",
            " onload=",
            " onchange=",
            " onsubmit=",
            "javascript:",
        ] {
            assert!(!lower.contains(handler), "{path}: {handler}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_names_a_person_the_same_way_at_the_window_and_through_the_api() {
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    let token = csrf_token(&s, &clerk).await;
    let at_the_window = send(
        browser()
            .post(format!("{}/licenses", s.url()))
            .header("origin", s.url())
            .form(&[
                ("holder", "11010519491231002X"),
                ("name", "陈晓东"),
                ("csrf", &token),
            ]),
        Some(&clerk),
    )
    .await;
    assert_eq!(
        at_the_window.status,
        StatusCode::OK,
        "{}",
        at_the_window.body
    );
    let (status, _) = s
        .call(
            "GET",
            "/api/v1/licenses?holder=11010519491231002X&purpose=核验",
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    let actors: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "license.lookup")
        .map(|e| e.actor.as_str())
        .collect();
    assert_eq!(actors, ["clerk:窗口一号", "clerk:窗口一号"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_department_handles_its_own_follow_ups_and_the_supervisor_reads_the_statistics() {
    let s = server_with(Db::Sqlite, Setup::default()).await;
    let (status, case) = s
        .call("POST", "/api/v1/cases", Some(CLERK), Some(application()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case:#}");
    let case_no = case["case_no"].as_str().unwrap().to_owned();
    s.wait_for_status(&case_no, "completed").await;
    let code = s.rating_code(&case_no).await;
    let (status, _) = s
        .call(
            "POST",
            &format!("/api/v1/cases/{case_no}/evaluation"),
            None,
            Some(serde_json::json!({"rating": 1, "code": code})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let market = sign_in(&s, "市场监管 孙立", MARKET_STAFF).await;
    let tax = sign_in(&s, "税务 周洁", TAX_STAFF).await;
    let supervisor = sign_in(&s, "督查", SUPERVISOR).await;
    let clerk = sign_in(&s, "窗口一号", CLERK).await;
    // Each department sees its own only, and reads no case list.
    let own = get(&s, "/supervision", Some(&market)).await;
    assert!(own.body.contains(&case_no), "{}", own.body);
    let other = get(&s, "/supervision", Some(&tax)).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(!other.body.contains(&case_no), "{}", other.body);
    let path = format!("/supervision/follow-ups/{case_no}");
    assert_eq!(
        get(&s, &path, Some(&tax)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&s, "/cases", Some(&tax)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&s, "/supervision", Some(&clerk)).await.status,
        StatusCode::FORBIDDEN
    );
    // Closing before the 回访 and the 整改 is refused on the page, which says why.
    let early = post(&s, &format!("{path}/close"), &[], Some(&market)).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert!(
        early.body.contains("回访和整改都记录后才能办结"),
        "{}",
        early.body
    );
    // Without the session's token a step is refused, and records nothing.
    let forged = post_as_is(
        &s,
        &format!("{path}/callback"),
        &[("note", "伪造")],
        Some(&market),
    )
    .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // The tax office cannot record the market's, nor can the supervisor.
    for cookie in [&tax, &supervisor] {
        let refused = post(
            &s,
            &format!("{path}/callback"),
            &[("note", "代记")],
            Some(cookie),
        )
        .await;
        assert!(refused.status.is_client_error(), "{}", refused.body);
    }
    for (step, note) in [
        ("callback", "已回访"),
        ("rectification", "已整改"),
        ("close", ""),
    ] {
        let done = post(
            &s,
            &format!("{path}/{step}"),
            &[("note", note)],
            Some(&market),
        )
        .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{step}: {}", done.body);
    }
    assert!(
        get(&s, &path, Some(&market))
            .await
            .body
            .contains("按期办结")
    );

    // The statistics are the supervisor's: the page with its three charts,
    // and each table as CSV.
    let stats = get(&s, "/stats", Some(&supervisor)).await;
    assert_eq!(stats.status, StatusCode::OK);
    assert_eq!(stats.body.matches("<svg").count(), 3, "{}", stats.body);
    assert!(stats.body.contains("差评 15 个工作日内整改率"));
    let refused = get(&s, "/stats", Some(&market)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body.contains("仅限督查人员"), "{}", refused.body);
    let csv = get(&s, "/stats/csv/ratings?from=", Some(&supervisor)).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.body.starts_with("等级,评价,数量\n1,非常不满意,1\n"),
        "{}",
        csv.body
    );
    let wrong = get(&s, "/stats?from=yesterday", Some(&supervisor)).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("不是日期"), "{}", wrong.body);
    assert_eq!(
        get(
            &s,
            "/supervision/complaints/not-a-number",
            Some(&supervisor)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
}
