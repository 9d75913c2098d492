//! The applicant's channel end to end: the public catalogue (API and pages),
//! read without a token, the very data the window reads.

use onewindow::platform::Clock;
use onewindow_tests::{CLERK, Db, IdentityPlatform, Running, fresh_database, platform_config_with};
use reqwest::header::{CACHE_CONTROL, COOKIE, ETAG, IF_NONE_MATCH, LOCATION};
use reqwest::{Response, StatusCode};

use crate::platform::{Server, Setup, idle_server, on_both_databases, server_with};

on_both_databases!(
    the_catalogue_is_public_cacheable_and_the_same_as_the_windows,
    residents_and_enterprises_sign_in_through_the_identity_platform,
    a_resident_applies_online_consenting_to_each_license_and_follows_the_case,
    a_license_is_shown_with_a_short_lived_code_that_anyone_checks,
);

async fn the_catalogue_is_public_cacheable_and_the_same_as_the_windows(db: Db) {
    let server = idle_server(db).await;
    let s = &server;
    for path in [
        "/api/v1/matters",
        "/api/v1/matters?online=true",
        "/api/v1/matters/330122-SCJG-XK-001",
        "/api/v1/themes",
    ] {
        // Without a token: answered, and checked against the OpenAPI document.
        let (status, public) = s.call("GET", path, None, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {public}");
        // The clerk's token changes nothing: one source for every channel.
        let (_, windows) = s.call("GET", path, Some(CLERK), None).await;
        assert_eq!(public, windows, "{path}");

        let first = s
            .client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap();
        let tag = first.headers()[ETAG].to_str().unwrap().to_owned();
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{path}: {tag}");
        assert_eq!(first.headers()[CACHE_CONTROL], "public, max-age=60");
        let again = |tag: String| {
            s.client
                .get(format!("{}{path}", s.url()))
                .header(IF_NONE_MATCH, tag)
                .send()
        };
        let unchanged = again(tag.clone()).await.unwrap();
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(unchanged.headers()[ETAG].to_str().unwrap(), tag);
        assert!(unchanged.bytes().await.unwrap().is_empty());
        // A weak comparison and a list both match; another tag does not.
        let listed = again(format!("\"other\", W/{tag}")).await.unwrap();
        assert_eq!(listed.status(), StatusCode::NOT_MODIFIED, "{path}");
        let other = again("\"0123\"".to_owned()).await.unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    let (_, all) = s.call("GET", "/api/v1/matters", None, None).await;
    let (_, online) = s
        .call("GET", "/api/v1/matters?online=true", None, None)
        .await;
    let tag_of = |path: &'static str| async move {
        s.client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap()
            .headers()[ETAG]
            .clone()
    };
    assert_ne!(
        tag_of("/api/v1/matters").await,
        tag_of("/api/v1/matters?online=true").await,
        "different answers, different tags"
    );
    assert!(all["items"].as_array().unwrap().len() >= online["items"].as_array().unwrap().len());

    // A matter that does not exist is a 404 in the API's error shape, cached by no one.
    let (status, missing) = s
        .call("GET", "/api/v1/matters/330122-NO-SUCH-001", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");

    // The pages: the catalogue with its themes and search, and a guide.
    let page = |path: &'static str| async move {
        let response = s
            .client
            .get(format!("{}{path}", s.url()))
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    };
    let (status, html) = page("/services").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("网上办事大厅"), "{html}");
    assert!(html.contains("企业设立登记"), "{html}");
    assert!(
        html.contains("href=\"/services/330122-SCJG-XK-001\""),
        "{html}"
    );
    assert!(
        !html.contains("/accept"),
        "the public page offers no acceptance: {html}"
    );
    let (status, html) = page("/services?q=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("没有符合条件的事项"), "{html}");
    let (status, html) = page("/services/330122-SCJG-XK-001").await;
    assert_eq!(status, StatusCode::OK);
    for shown in ["企业设立登记", "受理条件", "承诺办结时限", "申请材料"] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let (status, html) = page("/services/330122-NO-SUCH-001").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("没有") || html.contains("不存在"), "{html}");
}

/// A browser: keeps cookies, follows redirects itself so each hop can be seen.
struct Browser {
    client: reqwest::Client,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new() -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            jar,
        }
    }

    /// The value of cookie `name` this browser sends to `url`.
    fn cookie(&self, url: &str, name: &str) -> String {
        use reqwest::cookie::CookieStore as _;
        let header = self
            .jar
            .cookies(&reqwest::Url::parse(url).unwrap())
            .unwrap();
        header
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no cookie {name} for {url}"))
            .to_owned()
    }

    /// Follows `response`'s redirects until one leads to `stop` (a prefix) or
    /// to a page; the last URL and answer.
    async fn follow(
        &self,
        mut url: String,
        mut response: Response,
        stop: &str,
    ) -> (String, Response) {
        for _ in 0..10 {
            if !response.status().is_redirection() {
                return (url, response);
            }
            let to = response.headers()[LOCATION].to_str().unwrap().to_owned();
            url = reqwest::Url::parse(&url)
                .unwrap()
                .join(&to)
                .unwrap()
                .to_string();
            if !stop.is_empty() && url.starts_with(stop) {
                return (url, response);
            }
            response = self.client.get(&url).send().await.unwrap();
        }
        panic!("more than 10 redirects from {url}");
    }

    async fn get(&self, url: &str) -> (String, Response) {
        let response = self.client.get(url).send().await.unwrap();
        self.follow(url.to_owned(), response, "").await
    }

    /// Signs in at the identity platform's page `at` as `login`; the answer
    /// to the password, followed until it is back at `stop`.
    async fn sign_in(
        &self,
        at: &str,
        login: &str,
        password: &str,
        stop: &str,
    ) -> (String, Response) {
        let action = format!("{at}/login");
        let response = self
            .client
            .post(&action)
            .form(&[("login", login), ("password", password)])
            .send()
            .await
            .unwrap();
        self.follow(action, response, stop).await
    }
}

async fn residents_and_enterprises_sign_in_through_the_identity_platform(db: Db) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let identity = IdentityPlatform::start(&url).await;
    let dir = tempfile::tempdir().unwrap();
    let database = fresh_database(db, dir.path()).await;
    let mut config = platform_config_with(dir.path(), &database, &[], "");
    config.public_url = Some(url.clone());
    config.applicant_sign_in = Some(identity.sign_in(&url));
    let _running = Running::start_on(listener, config, false, Clock::System).await;

    // Not signed in: /my sends the browser to sign in, and back to /my after.
    let browser = Browser::new();
    let first = browser
        .client
        .get(format!("{url}/my"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    // The page goes on to sign in, and back to /my (the address HTML-escaped).
    let html = first.text().await.unwrap();
    assert!(html.contains("请先登录"), "{html}");
    assert!(
        html.contains("url=&#x2f;my&#x2f;login?next=%2Fmy\""),
        "{html}"
    );

    // The sign-in page is the identity platform's, reached through discovery.
    let (at, page) = browser.get(&format!("{url}/my/login")).await;
    assert!(
        at.starts_with(&format!("{}/interaction/", identity.issuer)),
        "{at}"
    );
    assert!(page.text().await.unwrap().contains("统一身份认证"));

    // A wrong password is the identity platform's to refuse.
    let (_, wrong) = browser
        .sign_in(&at, "11010519491231002X", "not-the-password", "")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("证件号码或密码不正确"));

    // The right one: back at the platform's callback with a code.
    let callback = format!("{url}/my/callback");
    let (back, answer) = browser
        .sign_in(&at, "11010519491231002X", "demo-resident-0001", &callback)
        .await;
    assert!(back.starts_with(&callback), "{back}");
    assert!(answer.status().is_redirection());
    // The callback opens the session and goes on to /my.
    let (home_url, home) = browser.get(&back).await;
    assert_eq!(home_url, format!("{url}/my"));
    assert_eq!(home.status(), StatusCode::OK);
    let html = home.text().await.unwrap();
    assert!(html.contains("陈晓东"), "{html}");
    assert!(
        html.contains(&onewindow::mask::id_number("11010519491231002X")),
        "{html}"
    );
    assert!(
        !html.contains("11010519491231002X"),
        "the page shows the ID number masked"
    );

    // The same answer cannot be used twice, nor by another browser.
    let replayed = browser.client.get(&back).send().await.unwrap();
    assert_eq!(replayed.status(), StatusCode::BAD_REQUEST);
    assert!(replayed.text().await.unwrap().contains("请重新登录"));
    let elsewhere = Browser::new().client.get(&back).send().await.unwrap();
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);

    // Signed in once (一次登录): another sign-in comes straight back from the
    // identity platform with a code. A callback whose state is not the one
    // this browser's sign-in sent is refused.
    let login = format!("{url}/my/login");
    let started = browser.client.get(&login).send().await.unwrap();
    let (back, _) = browser.follow(login, started, &callback).await;
    assert!(back.starts_with(&callback), "{back}");
    let forged = reqwest::Url::parse(&back).unwrap();
    let code = forged
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let forged = format!("{callback}?code={code}&state=another-state");
    let refused = browser.client.get(&forged).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("登录回调无效"));

    // The applicant's session opens no page of the window or the console, even
    // when its cookie is presented as a clerk's.
    let (window, _) = browser.get(&format!("{url}/")).await;
    assert!(window.starts_with(&format!("{url}/login")), "{window}");
    let session = browser.cookie(&url, "onewindow_applicant");
    let as_clerk = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{url}/admin"))
        .header(COOKIE, format!("onewindow_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(as_clerk.status(), StatusCode::SEE_OTHER);
    assert!(
        as_clerk.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );

    // Signing out needs the page's token, and ends the session.
    let no_token = browser
        .client
        .post(format!("{url}/my/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let (_, home) = browser.get(&format!("{url}/my")).await;
    let html = home.text().await.unwrap();
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its session's token")
        .to_owned();
    let out = browser
        .client
        .post(format!("{url}/my/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.headers()[LOCATION], "/services");
    let again = browser
        .client
        .get(format!("{url}/my"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);

    // An enterprise signs in by its credit code, with its legal representative.
    let company = Browser::new();
    let (at, _) = company.get(&format!("{url}/my/login")).await;
    let (back, _) = company
        .sign_in(&at, "91330122704218653L", "demo-enterprise-0001", &callback)
        .await;
    let (_, home) = company.get(&back).await;
    let html = home.text().await.unwrap();
    for shown in [
        "桐庐晓东茶业有限公司",
        "91330122704218653L",
        "法定代表人",
        "陈晓东",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
}

/// A browser signed in as `login` at the identity platform of `s`.
async fn signed_in(s: &Server, login: &str, password: &str) -> Browser {
    let url = s.url();
    let browser = Browser::new();
    let (at, _) = browser.get(&format!("{url}/my/login")).await;
    let identity = s.identity.as_ref().expect("the setup signs applicants in");
    assert!(at.starts_with(&identity.issuer), "{at}");
    let (home, answer) = browser.sign_in(&at, login, password, "").await;
    assert_eq!(
        home,
        format!("{url}/my"),
        "{}",
        answer.text().await.unwrap()
    );
    browser
}

/// The session's token from a page of it.
fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page carries its session's token")
        .to_owned()
}

const ONLINE_MATTER: &str = "330122-SCJG-XK-001";

async fn a_resident_applies_online_consenting_to_each_license_and_follows_the_case(db: Db) {
    let s = server_with(
        db,
        Setup {
            deliver: false,
            departments: true,
            applicants: true,
            ..Setup::default()
        },
    )
    .await;
    let url = s.url().to_owned();
    let apply = format!("{url}/my/apply/{ONLINE_MATTER}");

    // Not signed in: to the identity platform first.
    let stranger = Browser::new();
    let first = stranger.client.get(&apply).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::UNAUTHORIZED);
    assert!(first.text().await.unwrap().contains("请先登录"));

    let chen = signed_in(&s, "11010519491231002X", "demo-resident-0001").await;
    // The form previews the resident's own 居民身份证 from 县公安局, masked, and
    // asks for consent to reuse it for each material it stands in for.
    let (_, page) = chen.get(&apply).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("居民身份证 110105********002X"), "{html}");
    assert!(html.contains("同意复用此居民身份证"), "{html}");
    assert!(
        !html.contains("11010519491231002X"),
        "the preview masks the number"
    );
    let csrf = csrf_of(&html);

    let form = |consent: bool, files: &[&str]| {
        let consent: &[(&str, &str)] = if consent {
            &[("license:居民身份证", "on")]
        } else {
            &[]
        };
        application_form(&csrf, consent, files)
    };
    // Without consent and without files: every missing material at once, and
    // no case is stored.
    let refused = chen
        .client
        .post(&apply)
        .multipart(form(false, &["001"]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    for missing in [
        "还缺 4 项必交材料",
        "公司章程",
        "法定代表人身份证明",
        "住所使用相关文件",
    ] {
        assert!(html.contains(missing), "{missing}: {html}");
    }
    let (_, cases) = s
        .call(
            "GET",
            "/api/v1/cases?applicant=11010519491231002X",
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 0, "{cases}");

    // With consent to the 居民身份证 and the other files: a case, as the window gives.
    let accepted = chen
        .client
        .post(&apply)
        .multipart(form(true, &["001", "002", "005"]))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let to = accepted.headers()[LOCATION].to_str().unwrap().to_owned();
    let case_no = to
        .strip_prefix("/my/cases/")
        .expect("the case page")
        .to_owned();
    let (_, case) = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(case["status"], "accepted");
    assert_eq!(case["applicant"]["id_number"], "11010519491231002X");
    assert_eq!(
        case["covered_by_license"],
        serde_json::json!(["003", "004"])
    );
    assert_eq!(
        case["consent"]["license_types"],
        serde_json::json!(["居民身份证"])
    );
    assert_eq!(case["consent"]["purpose"], "网上申请「企业设立登记」");
    assert!(case["promised_by"].as_str().is_some());
    assert_eq!(case["timeline"][0]["actor"], "applicant:陈**");
    // The audit log has the preview's lookup with its purpose, and the consent
    // with the licenses reused, masked.
    let details: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit WHERE actor = 'applicant:陈**' ORDER BY seq")
            .fetch_all(s.platform().store.pool())
            .await
            .unwrap();
    let all = details.join("\n");
    assert!(all.contains("网上申请「企业设立登记」"), "{all}");
    assert!(all.contains("\"license_types\":[\"居民身份证\"]"), "{all}");
    assert!(all.contains("licenses_reused"), "{all}");
    assert!(
        !all.contains("11010519491231002X"),
        "the audit masks: {all}"
    );

    // The applicant follows it: the receipt, the deadlines, the timeline.
    let (_, page) = chen.get(&format!("{url}{to}")).await;
    let html = page.text().await.unwrap();
    for shown in [
        case_no.as_str(),
        "企业设立登记",
        "承诺办结日期",
        "办理过程",
        "003、004",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    let (_, list) = chen.get(&format!("{url}/my/cases")).await;
    assert!(list.text().await.unwrap().contains(&case_no));
    let (_, receipt) = chen.get(&format!("{url}{to}/receipt")).await;
    let html = receipt.text().await.unwrap();
    for shown in [
        "政务服务事项受理回执",
        case_no.as_str(),
        "承诺办结日期",
        "003、004",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }

    // Another resident sees neither the case nor it in their list.
    let wang = signed_in(&s, "330122198203150014", "demo-resident-0002").await;
    let (_, theirs) = wang.get(&format!("{url}{to}")).await;
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    assert!(
        theirs
            .text()
            .await
            .unwrap()
            .contains("不是以您的名义申请的")
    );
    let (_, list) = wang.get(&format!("{url}/my/cases")).await;
    assert!(!list.text().await.unwrap().contains(&case_no));

    // The authorization matrix: without a session every page and request of
    // the applicant's channel is 401; on another applicant's case, each is 403.
    let on_the_case = [
        ("GET", format!("/my/cases/{case_no}")),
        ("GET", format!("/my/cases/{case_no}/receipt")),
        ("POST", format!("/my/cases/{case_no}/supplement")),
        ("POST", format!("/my/cases/{case_no}/withdraw")),
        ("POST", format!("/my/cases/{case_no}/evaluation")),
    ];
    let elsewhere = [
        ("GET", "/my".to_owned()),
        ("GET", "/my/cases".to_owned()),
        ("GET", "/my/licenses".to_owned()),
        ("POST", "/my/licenses/show".to_owned()),
        ("GET", format!("/my/apply/{ONLINE_MATTER}")),
        ("POST", format!("/my/apply/{ONLINE_MATTER}")),
    ];
    for (method, path) in on_the_case.iter().chain(&elsewhere) {
        let answer = Browser::new()
            .client
            .request(method.parse().unwrap(), format!("{url}{path}"))
            .form(&[("reason", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let (_, wang_page) = wang.get(&format!("{url}/my")).await;
    let wang_csrf = csrf_of(&wang_page.text().await.unwrap());
    for (method, path) in &on_the_case {
        let request = wang
            .client
            .request(method.parse().unwrap(), format!("{url}{path}"));
        let request = if path.ends_with("/supplement") {
            request.multipart(reqwest::multipart::Form::new().text("csrf", wang_csrf.clone()))
        } else {
            request.form(&[("csrf", wang_csrf.as_str()), ("reason", "不要了")])
        };
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert!(
            answer
                .text()
                .await
                .unwrap()
                .contains("不是以您的名义申请的")
        );
    }
    let (_, case) = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(case["status"], "accepted", "nothing changed: {case:#}");

    // A matter that is not 全程网办 is not applied for online.
    let (_, matters) = s
        .call("GET", "/api/v1/matters?online=false", None, None)
        .await;
    let offline = matters["items"][0]["code"]
        .as_str()
        .expect("an offline matter");
    let (_, page) = chen.get(&format!("{url}/my/apply/{offline}")).await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("暂不能全程网办"));
}

/// The online application form for 企业设立登记 as a browser sends it: the
/// session's token, the form's fields, `extra` fields by their page names, and
/// a PDF for each material of `files`. Field names go as browsers send them:
/// UTF-8, not percent-encoded.
fn application_form(
    csrf: &str,
    extra: &[(&str, &str)],
    files: &[&str],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .percent_encode_noop()
        .text("csrf", csrf.to_owned());
    let fields = onewindow_tests::company_form("桐庐晓东茶业有限公司", "陈晓东");
    for (key, value) in fields.as_object().unwrap() {
        form = form.text(format!("f:{key}"), value.as_str().unwrap().to_owned());
    }
    for (name, value) in extra {
        form = form.text(name.to_string(), value.to_string());
    }
    for code in files {
        let part = reqwest::multipart::Part::bytes(b"%PDF-1.4\n".to_vec())
            .file_name(format!("{code}.pdf"))
            .mime_str("application/pdf")
            .unwrap();
        form = form.part(format!("file:{code}"), part);
    }
    form
}

/// Applies online for 企业设立登记 as the signed-in `browser`, attaching every
/// material, with `extra` form fields; the case number.
async fn apply_with_files(s: &Server, browser: &Browser, extra: &[(&str, &str)]) -> String {
    let apply = format!("{}/my/apply/{ONLINE_MATTER}", s.url());
    let (_, page) = browser.get(&apply).await;
    let csrf = csrf_of(&page.text().await.unwrap());
    let extra: Vec<(String, &str)> = extra.iter().map(|(k, v)| (format!("f:{k}"), *v)).collect();
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let form = application_form(&csrf, &extra, &["001", "002", "003", "004", "005"]);
    let answer = browser
        .client
        .post(&apply)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let to = answer.headers()[LOCATION].to_str().unwrap();
    to.strip_prefix("/my/cases/").unwrap().to_owned()
}

/// 补正 and 撤回 by the applicant: the files reach the department, which
/// resumes and completes the case; a finished case is not withdrawn, an open
/// one is, at the department too; another applicant can do neither.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applicant_answers_a_supplement_request_and_withdraws_a_case_online() {
    let s = server_with(
        Db::Sqlite,
        Setup {
            applicants: true,
            ..Setup::default()
        },
    )
    .await;
    let url = s.url().to_owned();
    let chen = signed_in(&s, "11010519491231002X", "demo-resident-0001").await;
    let case_no = apply_with_files(&s, &chen, &[("模拟结果", "补正")]).await;
    s.wait_for_status(&case_no, "supplement_requested").await;
    let page_url = format!("{url}/my/cases/{case_no}");
    let (_, page) = chen.get(&page_url).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("提交补正材料"), "{html}");
    assert!(html.contains(r#"name="file:002""#), "{html}");
    let csrf = csrf_of(&html);

    // Another applicant cannot hand in files for it.
    let wang = signed_in(&s, "330122198203150014", "demo-resident-0002").await;
    let (_, wang_page) = wang.get(&format!("{url}/my")).await;
    let wang_csrf = csrf_of(&wang_page.text().await.unwrap());
    let supplement = |csrf: String| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("note", "补交全体股东签字的章程")
            .part(
                "file:002",
                reqwest::multipart::Part::bytes(b"%PDF-1.4 signed".to_vec())
                    .file_name("002.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            )
    };
    let path = format!("{page_url}/supplement");
    let theirs = wang
        .client
        .post(&path)
        .multipart(supplement(wang_csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);
    let withdrawal =
        |csrf: &str, reason: &str| [("csrf", csrf.to_owned()), ("reason", reason.to_owned())];
    let theirs = wang
        .client
        .post(format!("{page_url}/withdraw"))
        .form(&withdrawal(&wang_csrf, "不要了"))
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::FORBIDDEN);

    let sent = chen
        .client
        .post(&path)
        .multipart(supplement(csrf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let at_mock = crate::platform::stored_at(s.mock.addr(), &case_no).await;
    let handed_in = &at_mock["supplements"][0];
    assert_eq!(handed_in["note"], "补交全体股东签字的章程", "{at_mock:#}");
    assert_eq!(
        handed_in["attachments"][0]["material"], "002",
        "{at_mock:#}"
    );
    let case = s.wait_for_status(&case_no, "completed").await;
    assert!(
        case["timeline"].to_string().contains("applicant:陈**"),
        "{case:#}"
    );

    // Completed, the applicant rates it in their own channel, once.
    let (_, page) = chen.get(&page_url).await;
    let html = page.text().await.unwrap();
    assert!(
        html.contains("好差评") && html.contains("非常满意"),
        "{html}"
    );
    let rate = |rating: &str| {
        chen.client
            .post(format!("{page_url}/evaluation"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("rating", rating),
                ("comment", "网上办理很方便"),
            ])
            .send()
    };
    let unchosen = rate("").await.unwrap();
    assert_eq!(unchosen.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unchosen.text().await.unwrap().contains("请选择评价等级"));
    assert_eq!(rate("4").await.unwrap().status(), StatusCode::SEE_OTHER);
    let (_, rated) = s
        .call(
            "GET",
            &format!("/api/v1/cases/{case_no}"),
            Some(CLERK),
            None,
        )
        .await;
    assert_eq!(rated["status"], "completed");
    let evaluation = s.platform().evaluation(&case_no).await.unwrap().unwrap();
    assert_eq!(
        (evaluation.rating, evaluation.channel),
        (4, onewindow::platform::cases::RatingChannel::Online)
    );
    let again = rate("5").await.unwrap();
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, page) = chen.get(&page_url).await;
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("您的评价：满意（4 分）")
    );
    let rater: String =
        sqlx::query_scalar("SELECT actor FROM audit WHERE action = 'case.evaluated'")
            .fetch_one(s.platform().store.pool())
            .await
            .unwrap();
    assert_eq!(rater, "applicant:陈**");

    // Finished, it is not withdrawn: said on the page, nothing changes.
    let refused = chen
        .client
        .post(format!("{page_url}/withdraw"))
        .form(&withdrawal(&csrf, "申请人不再需要"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("不能撤回"));
    assert_eq!(
        s.wait_for_status(&case_no, "completed").await["status"],
        "completed"
    );

    // An open case is withdrawn at the department too; a reason is needed.
    let slow = server_with(
        Db::Sqlite,
        Setup {
            applicants: true,
            stage: std::time::Duration::from_secs(600),
            ..Setup::default()
        },
    )
    .await;
    let chen = signed_in(&slow, "11010519491231002X", "demo-resident-0001").await;
    let case_no = apply_with_files(&slow, &chen, &[]).await;
    slow.wait_for_status(&case_no, "delivered").await;
    let page_url = format!("{}/my/cases/{case_no}", slow.url());
    let (_, page) = chen.get(&page_url).await;
    let csrf = csrf_of(&page.text().await.unwrap());
    let empty = chen
        .client
        .post(format!("{page_url}/withdraw"))
        .form(&withdrawal(&csrf, " "))
        .send()
        .await
        .unwrap();
    assert!(empty.text().await.unwrap().contains("请填写撤回原因"));
    let withdrawn = chen
        .client
        .post(format!("{page_url}/withdraw"))
        .form(&withdrawal(&csrf, "申请人不再开办"))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    slow.wait_for_status(&case_no, "withdrawn").await;
    let at_mock = crate::platform::stored_at(slow.mock.addr(), &case_no).await;
    assert_eq!(
        at_mock["withdrawal"]["reason"], "申请人不再开办",
        "{at_mock:#}"
    );
}

/// The value of the hidden input `name` on `html`.
fn hidden(html: &str, name: &str) -> String {
    html.split(&format!(r#"name="{name}" value=""#))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no input {name}: {html}"))
        .to_owned()
}

async fn a_license_is_shown_with_a_short_lived_code_that_anyone_checks(db: Db) {
    let s = server_with(
        db,
        Setup {
            deliver: false,
            departments: true,
            applicants: true,
            ..Setup::default()
        },
    )
    .await;
    let url = s.url().to_owned();
    let chen = signed_in(&s, "11010519491231002X", "demo-resident-0001").await;
    let (_, page) = chen.get(&format!("{url}/my/licenses")).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("居民身份证"), "{html}");
    assert!(html.contains("110105********002X"), "{html}");
    // The 居民身份证's 亮证 button (the 居民户口簿 is listed too).
    let card = html
        .split("<strong>居民身份证</strong>")
        .nth(1)
        .expect("the ID card is listed");
    let (csrf, type_code, number) = (
        csrf_of(&html),
        hidden(card, "type_code"),
        hidden(card, "number"),
    );
    let show = |browser: &Browser, csrf: &str| {
        browser
            .client
            .post(format!("{url}/my/licenses/show"))
            .form(&[
                ("csrf", csrf),
                ("type_code", &type_code),
                ("number", &number),
            ])
            .send()
    };

    // Not signed in, nothing is shown; another resident cannot show it.
    let stranger = show(&Browser::new(), "").await.unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    let wang = signed_in(&s, "330122198203150014", "demo-resident-0002").await;
    let (_, wang_page) = wang.get(&format!("{url}/my")).await;
    let wang_csrf = csrf_of(&wang_page.text().await.unwrap());
    let theirs = show(&wang, &wang_csrf).await.unwrap();
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    assert!(theirs.text().await.unwrap().contains("您名下没有这本证照"));

    // 亮证: the face and a code.
    let shown = show(&chen, &csrf).await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(shown.headers()["cache-control"], "no-store");
    let html = shown.text().await.unwrap();
    let code = html
        .split(r#"<strong class="code">"#)
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a verification code")
        .to_owned();
    assert_eq!(code.len(), 11, "{code}");

    // Anyone checks it, typed however; the page shows no more than needed.
    let anyone = Browser::new();
    for typed in [code.clone(), code.to_lowercase().replace('-', " ")] {
        let at = reqwest::Url::parse_with_params(&format!("{url}/verify"), [("code", &typed)]);
        let (_, checked) = anyone.get(at.unwrap().as_str()).await;
        assert_eq!(checked.status(), StatusCode::OK);
        let html = checked.text().await.unwrap();
        for shown in ["证照有效", "居民身份证", "陈**", "签发机关刚刚确认"] {
            assert!(html.contains(shown), "{shown}: {html}");
        }
        assert!(
            !html.contains("陈晓东"),
            "the holder's name is masked: {html}"
        );
        assert!(!html.contains("11010519491231002X"), "{html}");
    }
    // A wrong or made-up code says so, and changes nothing.
    for wrong in [
        "ABCDE-FGHJK",
        "not a code",
        "'; DROP TABLE license_showings; --",
    ] {
        let at = reqwest::Url::parse_with_params(&format!("{url}/verify"), [("code", wrong)]);
        let (_, refused) = anyone.get(at.unwrap().as_str()).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND, "{wrong}");
        assert!(refused.text().await.unwrap().contains("验证码无效或已过期"));
    }
    let actions: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor, action FROM audit WHERE action IN ('license.shown', 'license.checked') ORDER BY seq",
    )
    .fetch_all(s.platform().store.pool())
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            ("applicant:陈**".to_owned(), "license.shown".to_owned()),
            ("public".to_owned(), "license.checked".to_owned()),
            ("public".to_owned(), "license.checked".to_owned()),
        ]
    );
}
