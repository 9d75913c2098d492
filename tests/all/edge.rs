//! The edge of the platform: slow and numerous clients, invented methods,
//! guessed passwords and tokens, and sessions shared by replicas.

use std::time::{Duration, Instant};

use onewindow::config::ServerLimits;
use onewindow_tests::{CLERK, Db, Running};
use reqwest::StatusCode;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::platform::{Server, Setup, idle_server, server_with};
use crate::window::{get, post_as_is, sign_in};

/// How many entries of the audit log have `action`.
async fn audited(s: &Server, action: &str) -> usize {
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    entries.iter().filter(|e| e.action == action).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_hold_no_server_hostage_and_are_closed_after_the_header_timeout() {
    let s = server_with(
        Db::Sqlite,
        Setup {
            deliver: false,
            server: Some(ServerLimits {
                header_timeout: Duration::from_secs(1),
                ..ServerLimits::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let address = s.url().trim_start_matches("http://").to_owned();
    let mut slow = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        // A request head that never ends.
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    let healthz = tokio::time::timeout(
        Duration::from_secs(1),
        reqwest::get(format!("{}/healthz", s.url())),
    )
    .await
    .expect("/healthz answers within a second while 2,000 requests are half sent")
    .unwrap();
    assert_eq!(healthz.status(), StatusCode::OK);

    // Each is closed by the server once its header timeout has passed.
    let closed = futures::future::join_all(slow.iter_mut().map(|stream| async move {
        let mut buffer = [0u8; 512];
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {} // hyper may say 408 first
                }
            }
        })
        .await
        .is_ok()
    }))
    .await;
    assert_eq!(
        closed.iter().filter(|c| !**c).count(),
        0,
        "every half-sent request is closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_and_requests_past_their_caps_get_a_quick_503() {
    let s = server_with(
        Db::Sqlite,
        Setup {
            deliver: false,
            server: Some(ServerLimits {
                max_connections: 16,
                ..ServerLimits::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let address = s.url().trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..16 {
        held.push(tokio::net::TcpStream::connect(&address).await.unwrap());
    }
    let mut extra = tokio::net::TcpStream::connect(&address).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_string(&mut answer))
        .await
        .expect("the connection past the cap is answered at once")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");
    drop(held);
    // Once they are gone, the platform answers again (as soon as it has seen
    // them close).
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match reqwest::get(format!("{}/healthz", s.url())).await {
            Ok(answer) if answer.status() == StatusCode::OK => break,
            other => assert!(
                Instant::now() < deadline,
                "the platform does not answer after the connections closed: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invented_methods_add_no_metric_series() {
    let s = idle_server(Db::Sqlite).await;
    let client = reqwest::Client::new();
    let series = || async {
        let text = client
            .get(format!("{}/metrics", s.url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // The label sets a request's method and path make. Its status is left
        // out: a request shed or timed out while the machine is busy is a
        // real new series, but not one an invented method made.
        let labels = |line: &str, name: &str| {
            let start = line.find(&format!("{name}=\""))? + name.len() + 2;
            let end = start + line[start..].find('"')?;
            Some(line[start..end].to_owned())
        };
        text.lines()
            .filter(|l| l.starts_with("onewindow_http_"))
            .map(|l| (labels(l, "method"), labels(l, "route")))
            .collect::<std::collections::BTreeSet<_>>()
    };
    let invent = |i: usize| {
        let method = reqwest::Method::from_bytes(format!("X{i:04}Y").as_bytes()).unwrap();
        let path = if i.is_multiple_of(2) {
            "/healthz"
        } else {
            "/no/such/path"
        };
        client
            .request(method, format!("{}{path}?n={i}", s.url()))
            .send()
    };
    // The series of /metrics itself, and of the first invented method on each path.
    for i in 0..2 {
        invent(i).await.unwrap();
    }
    let _ = series().await;
    let before = series().await;
    for i in 2..1002 {
        let answer = invent(i).await.unwrap();
        assert!(answer.status().is_client_error(), "{}", answer.status());
    }
    let after = series().await;
    assert_eq!(after, before, "1,000 invented methods added series");
    assert!(
        after
            .iter()
            .all(|(method, _)| method.as_deref().is_none_or(|m| !m.starts_with('X'))),
        "an invented method is a label: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_wrong_password_in_a_minute_locks_the_account_and_is_audited() {
    let s = idle_server(Db::Sqlite).await;
    let wrong = [
        ("account", "窗口一号"),
        ("password", "not-the-password-at-all"),
    ];
    for attempt in 1..=5 {
        let answer = post_as_is(&s, "/login", &wrong, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(answer.body.contains("账号或口令不正确"), "{}", answer.body);
    }
    assert_eq!(audited(&s, "sign_in.failed").await, 5);
    let sixth = post_as_is(&s, "/login", &wrong, None).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(sixth.body.contains("已暂时锁定"), "{}", sixth.body);
    let (entries, _) = s.platform().store.audit_log().await.unwrap();
    let locked = entries
        .iter()
        .find(|e| e.action == "sign_in.locked")
        .expect("the lock is audited");
    assert_eq!(locked.subject, "窗口一号");
    assert_eq!(locked.detail["address"], "127.0.0.1");
    assert_eq!(locked.detail["channel"], "window");
    assert!(
        !serde_json::to_string(&entries)
            .unwrap()
            .contains("not-the-password"),
        "no password is audited"
    );
    // Locked: even the right password waits.
    let right = post_as_is(
        &s,
        "/login",
        &[("account", "窗口一号"), ("password", CLERK)],
        None,
    )
    .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
    // Another account is not locked.
    sign_in(&s, "运维", onewindow_tests::OPERATOR).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_guessing_tokens_gets_429_while_known_tokens_still_pass() {
    let s = idle_server(Db::Sqlite).await;
    for guess in 0..20 {
        let (status, body) = s
            .call(
                "GET",
                "/api/v1/cases",
                Some(&format!("guessed-token-{guess:08}")),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (status, body) = s
        .call("GET", "/api/v1/cases", Some("guessed-token-99999999"), None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "too_many_failures");
    assert_eq!(audited(&s, "sign_in.locked").await, 1);
    assert_eq!(
        audited(&s, "sign_in.failed").await,
        20,
        "failures past the lock are not audited"
    );
    let (status, _) = s.call("GET", "/api/v1/cases", Some(CLERK), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a known token from that address passes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_signing_in_only_a_local_path_is_followed() {
    let s = idle_server(Db::Sqlite).await;
    for next in [
        "/\t/evil.example/",
        "/\\evil.example/",
        "//evil.example/",
        "/\n/evil.example/",
        "https://evil.example/",
    ] {
        let answer = post_as_is(
            &s,
            "/login",
            &[("account", "窗口一号"), ("password", CLERK), ("next", next)],
            None,
        )
        .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(answer.location, "/", "{next:?}");
    }
    let answer = post_as_is(
        &s,
        "/login",
        &[
            ("account", "窗口一号"),
            ("password", CLERK),
            ("next", "/cases?status=accepted"),
        ],
        None,
    )
    .await;
    assert_eq!(answer.location, "/cases?status=accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_on_one_postgresql_share_sessions() {
    let s = idle_server(Db::Postgres).await;
    let replica = Running::start(s.config.clone(), false, Default::default()).await;
    let cookie = sign_in(&s, "窗口一号", CLERK).await;
    let on_replica = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = |url: String| {
        let on_replica = on_replica.clone();
        let cookie = cookie.clone();
        async move {
            on_replica
                .get(url)
                .header(reqwest::header::COOKIE, cookie)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        page(format!("{}/cases", replica.url)).await,
        StatusCode::OK,
        "signed in on one replica, valid on the other"
    );
    // The database keeps only the cookie's digest.
    let (kept,): (String,) = sqlx::query_as("SELECT id_sha256 FROM sessions")
        .fetch_one(s.platform().store.pool())
        .await
        .unwrap();
    assert!(!cookie.contains(&kept));

    // Signing out on the replica ends the session on both.
    let token = crate::window::csrf_token(&s, &cookie).await;
    let out = on_replica
        .post(format!("{}/logout", replica.url))
        .header(reqwest::header::COOKIE, &cookie)
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(&s, "/cases", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER,
        "signed out everywhere"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_an_https_public_url_the_session_cookie_is_secure() {
    let s = idle_server(Db::Sqlite).await;
    let plain = post_as_is(
        &s,
        "/login",
        &[("account", "窗口一号"), ("password", CLERK)],
        None,
    )
    .await;
    assert!(!plain.set_cookie.contains("Secure"), "{}", plain.set_cookie);
    let mut config = s.config.clone();
    config.public_url = Some("https://onewindow.example.gov.cn".into());
    let proxied = Running::start(config, false, Default::default()).await;
    let answer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/login", proxied.url))
        .form(&[("account", "窗口一号"), ("password", CLERK)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let cookie = answer.headers()[reqwest::header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}
