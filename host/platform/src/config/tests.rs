use std::path::Path;

use super::tables::sha256;
use super::*;

const FILE: &str = "onewindow.toml";

/// A valid file: one token, nothing else.
const MINIMAL: &str = r#"
[[tokens]]
name = "窗口一号 王芳"
role = "clerk"
token = "test-clerk-token-0123456789"
"#;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new(FILE), &Overrides::default())
}

fn error(text: &str) -> String {
    match parse(text) {
        Ok(config) => panic!("expected an error, got {config:?}"),
        Err(e) => e.to_string(),
    }
}

fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(
            message.contains(part),
            "message {message:?} should contain {part:?}"
        );
    }
}

#[test]
fn example_file_parses_with_the_demo_values() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/onewindow.toml");
    let config = Config::load(Some(&path), &Overrides::default()).unwrap();
    assert_eq!(
        config.listen,
        "127.0.0.1:8080".parse::<SocketAddr>().unwrap()
    );
    assert_eq!(config.data_dir, Path::new("data"));
    assert_eq!(config.database_url.0, "sqlite://data/onewindow.db?mode=rwc");
    assert_eq!(config.adapter_dir, Path::new("plugins"));
    assert_eq!(config.exchange_root, Path::new("data/exchange"));
    assert_eq!(config.calendar_dir, Path::new("host/holidays"));
    assert_eq!(config.max_body_bytes, 20 * 1024 * 1024);
    assert_eq!(config.delivery, Delivery::from(&DeliveryKeys::default()));
    let sign_in = config
        .applicant_sign_in
        .as_ref()
        .expect("the demo signs applicants in");
    assert_eq!(sign_in.issuer, "http://127.0.0.1:9200");
    assert_eq!(sign_in.redirect_url, "http://127.0.0.1:8080/my/callback");

    let demo = [
        ("demo-clerk-token-0001", Role::Clerk),
        ("demo-operator-token-0001", Role::Operator),
        ("demo-auditor-token-0001", Role::Auditor),
        ("demo-supervisor-token-0001", Role::Supervisor),
        ("demo-department-token-0001", Role::Department),
        ("demo-department-token-0002", Role::Department),
    ];
    assert_eq!(config.tokens.len(), 6);
    assert_eq!(
        config
            .token("demo-department-token-0002")
            .unwrap()
            .department
            .as_deref(),
        Some("县税务局")
    );
    assert_eq!(config.complaint_days, 5);
    for (text, role) in demo {
        let token = config.token(text).expect(text);
        assert_eq!(token.role, role);
        // `make run` prints these, so they must stay readable.
        assert_eq!(token.plain_text(), Some(text));
    }

    let [theme] = config.themes.as_slice() else {
        panic!("one theme expected: {:?}", config.themes)
    };
    assert_eq!(theme.code, "open-business");
    assert_eq!(theme.name, "开办企业");
    assert_eq!(
        theme.matters,
        ["330122-SCJG-XK-001", "330122-GA-BA-003", "330122-SW-FP-001"]
    );
    assert_eq!(theme.promised_days, 3);
    let after: Vec<(&str, &[String])> = theme
        .after
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let first = ["330122-SCJG-XK-001".to_owned()];
    assert_eq!(
        after,
        [
            ("330122-GA-BA-003", &first[..]),
            ("330122-SW-FP-001", &first[..])
        ]
    );
    assert_eq!(theme.issues["330122-SCJG-XK-001"], ["营业执照"]);
}

#[test]
fn without_a_file_every_default_applies() {
    let config = Config::load(None, &Overrides::default()).unwrap();
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.data_dir, Path::new("data"));
    assert_eq!(config.database_url.0, "sqlite://data/onewindow.db?mode=rwc");
    assert_eq!(config.adapter_dir, Path::new("data/adapters"));
    assert_eq!(config.exchange_root, Path::new("data/exchange"));
    assert_eq!(config.calendar_dir, Path::new("host/holidays"));
    assert_eq!(config.max_body_bytes, 20_971_520);
    assert_eq!(config.delivery.retry_horizon, Duration::from_secs(86_400));
    assert_eq!(config.delivery.initial_backoff, Duration::from_millis(500));
    assert_eq!(config.delivery.max_backoff, Duration::from_millis(60_000));
    assert_eq!(config.delivery.poll_interval, Duration::from_millis(2000));
    assert_eq!(config.delivery.claim_lease, Duration::from_secs(300));
    assert_eq!(
        config.delivery.catalogue_sync_interval,
        Duration::from_secs(300)
    );
    assert!(config.tokens.is_empty());
    assert!(config.themes.is_empty());
    assert!(config.token("demo-clerk-token-0001").is_none());
}

#[test]
fn a_given_file_that_does_not_exist_is_an_error_naming_it() {
    let path = Path::new("no/such/onewindow.toml");
    let err = Config::load(Some(path), &Overrides::default()).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }));
    assert_names(&err.to_string(), &["no/such/onewindow.toml"]);
}

#[test]
fn overrides_win_over_the_file_and_the_file_over_defaults() {
    let text = format!(
        r#"
listen = "127.0.0.1:9000"
data-dir = "/srv/file-data"
adapter-dir = "/srv/file-adapters"
max-body-bytes = 4096
[delivery]
poll-interval-ms = 100
retry-horizon-secs = 600
claim-lease-secs = 20
{MINIMAL}"#
    );
    let overrides = Overrides {
        listen: Some("0.0.0.0:7000".to_owned().into()),
        data_dir: Some("/srv/flag-data".to_owned().into()),
        delivery: DeliveryKeys {
            retry_horizon_secs: Some("60".to_owned().into()),
            catalogue_sync_secs: Some("5".to_owned().into()),
            ..DeliveryKeys::default()
        },
        ..Overrides::default()
    };
    let config = Config::from_toml(&text, Path::new(FILE), &overrides).unwrap();
    // Overridden.
    assert_eq!(config.listen.to_string(), "0.0.0.0:7000");
    assert_eq!(config.data_dir, Path::new("/srv/flag-data"));
    assert_eq!(config.delivery.retry_horizon, Duration::from_secs(60));
    assert_eq!(
        config.delivery.catalogue_sync_interval,
        Duration::from_secs(5)
    );
    // From the file, not overridden.
    assert_eq!(config.adapter_dir, Path::new("/srv/file-adapters"));
    assert_eq!(config.max_body_bytes, 4096);
    assert_eq!(config.delivery.poll_interval, Duration::from_millis(100));
    assert_eq!(config.delivery.claim_lease, Duration::from_secs(20));
    // Defaults derived from the overridden data directory.
    assert_eq!(
        config.database_url.0,
        "sqlite:///srv/flag-data/onewindow.db?mode=rwc"
    );
    assert_eq!(config.exchange_root, Path::new("/srv/flag-data/exchange"));
    // Plain defaults.
    assert_eq!(config.delivery.initial_backoff, Duration::from_millis(500));
    assert_eq!(config.calendar_dir, Path::new("host/holidays"));
}

#[test]
fn flags_have_the_documented_names() {
    use clap::{CommandFactory, Parser};
    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        overrides: Overrides,
    }
    Serve::command().debug_assert();
    let serve = Serve::try_parse_from([
        "serve",
        "--listen",
        "0.0.0.0:8443",
        "--database-url",
        "postgres://onewindow@db/onewindow",
        "--max-body-bytes",
        "65536",
        "--max-backoff-ms",
        "1000",
        "--poll-interval-ms",
        "50",
        "--claim-lease-secs",
        "15",
    ])
    .unwrap();
    let config = Config::load(None, &serve.overrides).unwrap();
    assert_eq!(config.listen.to_string(), "0.0.0.0:8443");
    assert_eq!(config.database_url.0, "postgres://onewindow@db/onewindow");
    assert_eq!(config.max_body_bytes, 65536);
    assert_eq!(config.delivery.max_backoff, Duration::from_millis(1000));
    assert_eq!(config.delivery.poll_interval, Duration::from_millis(50));
    assert_eq!(config.delivery.claim_lease, Duration::from_secs(15));
}

#[test]
fn an_unknown_key_is_named_with_a_suggestion() {
    let message = error(&format!("lisen = \"127.0.0.1:8080\"\n{MINIMAL}"));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "unknown key `lisen`",
            "did you mean `listen`?",
        ],
    );

    let message = error(&format!("{MINIMAL}rol = \"clerk\"\n"));
    assert_names(
        &message,
        &["onewindow.toml", "`rol`", "1st [[tokens]] entry", "`role`"],
    );

    // A top-level key written after a table header lands in that table.
    let message = error(&format!(
        "[delivery]\npoll-interval-ms = 10\nlisten = \"0.0.0.0:1\"\n{MINIMAL}"
    ));
    assert_names(
        &message,
        &["`listen`", "in [delivery]", "before the first [table]"],
    );
}

#[test]
fn a_bad_listen_address_names_the_key_and_its_source() {
    let message = error(&format!("listen = \"localhost\"\n{MINIMAL}"));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`listen`",
            "\"localhost\"",
            "127.0.0.1:8080",
        ],
    );

    let overrides = Overrides {
        listen: Some("8080".to_owned().into()),
        ..Overrides::default()
    };
    let message = Config::load(None, &overrides).unwrap_err().to_string();
    assert_names(
        &message,
        &["--listen", "`listen`", "\"8080\"", "127.0.0.1:8080"],
    );
}

#[test]
fn an_unsupported_database_scheme_is_refused_without_echoing_the_password() {
    let message = error(&format!(
        "database-url = \"mysql://root:hunter2@db/onewindow\"\n{MINIMAL}"
    ));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`database-url`",
            "mysql://root:***@db",
            "sqlite://",
            "postgres://",
        ],
    );
    assert!(!message.contains("hunter2"), "{message}");

    for ok in [
        "sqlite://data/x.db",
        "postgres://u:p@localhost/onewindow",
        "postgresql://localhost/onewindow",
    ] {
        let overrides = Overrides {
            database_url: Some(ok.to_owned().into()),
            ..Overrides::default()
        };
        assert_eq!(Config::load(None, &overrides).unwrap().database_url.0, ok);
    }
}

#[test]
fn signatures_are_required_unless_switched_off_with_true_or_false() {
    let config = Config::load(None, &Overrides::default()).unwrap();
    assert!(config.require_signatures);
    assert_eq!(config.trust_dir, Path::new("data/trusted-keys"));
    let config = Config::from_toml(
        &format!("require-signatures = false\ntrust-dir = \"keys\"\n{MINIMAL}"),
        Path::new("onewindow.toml"),
        &Overrides::default(),
    )
    .unwrap();
    assert!(!config.require_signatures);
    assert_eq!(config.trust_dir, Path::new("keys"));
    let overrides = Overrides {
        require_signatures: Some("no".to_owned().into()),
        ..Overrides::default()
    };
    let message = Config::load(None, &overrides).unwrap_err().to_string();
    assert_names(
        &message,
        &[
            "--require-signatures",
            "`require-signatures`",
            "true or false",
        ],
    );
}

#[test]
fn a_zero_or_malformed_duration_names_the_key_and_its_source() {
    let message = error(&format!("[delivery]\npoll-interval-ms = 0\n{MINIMAL}"));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`delivery.poll-interval-ms`",
            "is 0",
            "from 1",
        ],
    );

    let overrides = Overrides {
        delivery: DeliveryKeys {
            retry_horizon_secs: Some("0".to_owned().into()),
            ..DeliveryKeys::default()
        },
        ..Overrides::default()
    };
    let message = Config::load(None, &overrides).unwrap_err().to_string();
    assert_names(
        &message,
        &[
            "--retry-horizon-secs",
            "`delivery.retry-horizon-secs`",
            "is \"0\"",
        ],
    );

    let overrides = Overrides {
        max_body_bytes: Some("20MiB".to_owned().into()),
        ..Overrides::default()
    };
    let message = Config::load(None, &overrides).unwrap_err().to_string();
    assert_names(
        &message,
        &[
            "--max-body-bytes",
            "`max-body-bytes`",
            "\"20MiB\"",
            "whole number from 1024 to 536870912",
        ],
    );
}

#[test]
fn the_longest_backoff_cannot_be_shorter_than_the_first() {
    let message = error(&format!(
        "[delivery]\ninitial-backoff-ms = 120000\n{MINIMAL}"
    ));
    // The maximum is the default here, so the key that was set is blamed.
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`delivery.initial-backoff-ms`",
            "120000",
            "60000",
        ],
    );
}

#[test]
fn a_file_without_tokens_is_an_error() {
    let message = error("listen = \"127.0.0.1:8080\"\n");
    assert_names(&message, &["onewindow.toml", "[[tokens]]", "missing"]);
}

#[test]
fn outside_the_demo_a_token_under_128_bits_is_refused() {
    let weak = |demo: &str, token: &str| {
        parse(&format!(
            "{demo}\n[[tokens]]\nname = \"窗口\"\nrole = \"clerk\"\ntoken = \"{token}\"\n"
        ))
    };
    // 16 hex digits are 64 bits; 21 base64url characters 126.
    for token in ["0123456789abcdef0123", "demo-clerk-token-0001"] {
        let message = weak("", token).unwrap_err().to_string();
        assert_names(
            &message,
            &["onewindow.toml", "`token`", "128", "openssl rand -hex 24"],
        );
        assert!(!message.contains(token), "the token is never in a message");
        let config = weak("demo = true", token).expect("the demo may use it");
        assert!(config.demo);
    }
    // 32 hex digits, 22 base64url characters: 128 bits and more.
    for token in ["0123456789abcdef0123456789abcdef", "AbCdEfGhIjKlMnOpQrStUv"] {
        assert!(!weak("", token).unwrap().demo, "{token}");
    }
}

#[test]
fn public_url_and_server_limits_are_checked() {
    let config = parse(&format!(
        "public-url = \"https://onewindow.example.gov.cn/\"\n[server]\nheader-timeout-ms = 2000\nmax-connections = 100\n{MINIMAL}"
    ))
    .unwrap();
    assert_eq!(
        config.public_url.as_deref(),
        Some("https://onewindow.example.gov.cn")
    );
    assert_eq!(config.server.header_timeout, Duration::from_secs(2));
    assert_eq!(config.server.max_connections, 100);
    assert_eq!(config.server.max_requests, 1024);
    for (url, why) in [
        ("onewindow.example.gov.cn", "https://"),
        ("https://x.example/window", "only the scheme, host and port"),
    ] {
        let message = error(&format!("public-url = \"{url}\"\n{MINIMAL}"));
        assert_names(&message, &["`public-url`", why]);
    }
    let message = error(&format!("[server]\nmax-conections = 10\n{MINIMAL}"));
    assert_names(&message, &["max-conections", "[server]", "max-connections"]);
    let message = error(&format!("[server]\nheader-timeout-ms = 5\n{MINIMAL}"));
    assert_names(&message, &["`server.header-timeout-ms`", "100 to 600000"]);
}

#[test]
fn a_token_both_plain_and_hashed_is_refused() {
    let message = error(&format!(
        r#"{MINIMAL}
[[tokens]]
name = "运维 陈建国"
role = "operator"
token = "operator-token-0001"
token-sha256 = "{}"
"#,
        hex::encode(sha256("operator-token-0001"))
    ));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`token` and `token-sha256`",
            "2nd [[tokens]]",
            "运维 陈建国",
            "exactly one",
        ],
    );
}

#[test]
fn a_department_token_names_its_department_and_only_it_does() {
    let entry = |role: &str, department: &str| {
        format!(
            "{MINIMAL}\n[[tokens]]\nname = \"税务 周洁\"\nrole = \"{role}\"\n{department}token = \"department-token-00000000000000001\"\n"
        )
    };
    for department in ["", "department = \"  \"\n"] {
        let message = error(&entry("department", department));
        assert_names(
            &message,
            &["`department`", "2nd [[tokens]]", "税务 周洁", "is missing"],
        );
    }
    let message = error(&entry("clerk", "department = \"县税务局\"\n"));
    assert_names(
        &message,
        &["`department`", "only for `role = \"department\"`"],
    );
}

#[test]
fn a_short_plain_token_is_refused_without_echoing_it() {
    let message = error(
        r#"
[[tokens]]
name = "窗口一号 王芳"
role = "clerk"
token = "short-secret"
"#,
    );
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`token`",
            "1st [[tokens]]",
            "12 characters",
            "at least 16",
        ],
    );
    assert!(!message.contains("short-secret"), "{message}");
}

#[test]
fn a_token_given_twice_is_refused_even_once_hashed() {
    let message = error(&format!(
        r#"{MINIMAL}
[[tokens]]
name = "窗口二号 李强"
role = "clerk"
token-sha256 = "{}"
"#,
        hex::encode(sha256("test-clerk-token-0123456789"))
    ));
    assert_names(
        &message,
        &[
            "`token-sha256`",
            "2nd [[tokens]]",
            "same token",
            "窗口一号 王芳",
        ],
    );
}

#[test]
fn a_bad_role_names_the_entry() {
    let message = error(
        r#"
[[tokens]]
name = "窗口一号 王芳"
role = "admin"
token = "test-clerk-token-0123456789"
"#,
    );
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`role`",
            "1st [[tokens]]",
            "\"admin\"",
            "clerk, operator, auditor",
        ],
    );
}

#[test]
fn a_duplicate_theme_code_is_refused() {
    let message = error(&format!(
        r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["A-1", "B-1"]
promised-days = 3
[[themes]]
code = "open-business"
name = "开办餐饮店"
matters = ["A-1", "C-1"]
promised-days = 5
"#
    ));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`code`",
            "2nd [[themes]]",
            "open-business",
            "1st",
        ],
    );
}

#[test]
fn a_theme_with_one_matter_is_refused() {
    let message = error(&format!(
        r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["330122-SCJG-XK-001"]
promised-days = 3
"#
    ));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`matters` of the 1st [[themes]] entry",
            "at least 2",
        ],
    );
}

#[test]
fn a_theme_promising_no_days_is_refused() {
    let message = error(&format!(
        r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["330122-SCJG-XK-001", "330122-SW-DJ-001"]
promised-days = 0
"#
    ));
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`promised-days` of the 1st [[themes]] entry",
            "is 0; it must be at least 1 working day",
        ],
    );
}

#[test]
fn token_finds_plain_and_hashed_tokens_and_rejects_others() {
    let config = parse(&format!(
        r#"{MINIMAL}
[[tokens]]
name = "数据局 陈建国"
role = "operator"
token-sha256 = "{}"
"#,
        hex::encode_upper(sha256("hashed-operator-token"))
    ))
    .unwrap();
    let clerk = config.token("test-clerk-token-0123456789").unwrap();
    assert_eq!(
        (clerk.name.as_str(), clerk.role),
        ("窗口一号 王芳", Role::Clerk)
    );
    let operator = config.token("hashed-operator-token").unwrap();
    assert_eq!(
        (operator.name.as_str(), operator.role),
        ("数据局 陈建国", Role::Operator)
    );
    assert_eq!(operator.plain_text(), None);
    for wrong in [
        "",
        "test-clerk-token-000",
        "test-clerk-token-01234567891",
        "TEST-CLERK-TOKEN-0001",
        "hashed-operator-token ",
        &hex::encode(sha256("hashed-operator-token")),
    ] {
        assert!(config.token(wrong).is_none(), "{wrong:?} must not match");
    }
}

#[test]
fn debug_output_hides_tokens_and_database_passwords() {
    let secret = "hashed-operator-token";
    let hash = hex::encode(sha256(secret));
    let text = format!(
        r#"database-url = "postgres://onewindow:s3cret-pw@db:5432/onewindow?sslmode=require&password=other-pw"
{MINIMAL}
[[tokens]]
name = "数据局 陈建国"
role = "operator"
token-sha256 = "{hash}"
"#
    );
    let config = parse(&text).unwrap();
    let debug = format!("{config:?}");
    for hidden in [
        "test-clerk-token-0123456789",
        &hash,
        "s3cret-pw",
        "other-pw",
    ] {
        assert!(!debug.contains(hidden), "{hidden:?} leaked in {debug}");
    }
    assert_names(
        &debug,
        &[
            "窗口一号 王芳",
            "Clerk",
            "postgres://onewindow:***@db:5432/onewindow",
        ],
    );
    assert_eq!(
        config.redacted_database_url(),
        "postgres://onewindow:***@db:5432/onewindow?sslmode=require&password=***"
    );
}

#[test]
fn a_value_of_the_wrong_type_or_a_missing_field_names_the_key_and_the_file() {
    let message = error(&format!("listen = 8080\n{MINIMAL}"));
    assert_names(&message, &["onewindow.toml", "`listen`"]);

    let message = error("[[tokens]]\nname = \"窗口\"\ntoken = \"test-clerk-token-0123456789\"\n");
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`role` of the 1st [[tokens]] entry",
            "is missing",
        ],
    );

    let message = error(&format!("poll-interval-ms = 10\n{MINIMAL}"));
    assert_names(
        &message,
        &["`poll-interval-ms`", "belongs under [delivery]"],
    );
}

#[test]
fn hooks_need_long_secrets_and_real_networks() {
    let hook = |body: &str| error(&format!("{MINIMAL}[hooks.market-supervision]\n{body}\n"));
    let message = hook("secrets = [\"too-short\"]");
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`secrets` of [hooks.market-supervision]",
            "at least 32",
        ],
    );
    let secret = "0123456789abcdef0123456789abcdef";
    let message = hook(&format!(
        "secrets = [\"{secret}\"]\nallow-from = [\"10.8.0.0/33\"]"
    ));
    assert_names(&message, &["`allow-from`", "10.8.0.0/33"]);
    let config = parse(&format!(
        "{MINIMAL}[hooks.market-supervision]\nsecrets = [\"{secret}\"]\nallow-from = [\"10.8.0.0/16\", \"192.0.2.1\"]\n"
    ))
    .unwrap();
    let hook = &config.hooks["market-supervision"];
    assert_eq!(hook.allow_from.len(), 2);
    assert!(
        !format!("{hook:?}").contains(secret),
        "secrets are redacted"
    );
}

#[test]
fn the_overrides_debug_hides_the_database_password() {
    let overrides = Overrides {
        database_url: Some("postgres://u:hunter2@db/x".to_owned().into()),
        ..Overrides::default()
    };
    let debug = format!("{overrides:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert_names(&debug, &["postgres://u:***@db/x"]);
}

/// `[themes.after]` of a theme bundling A-1, B-1 and C-1, and what it says.
fn ordered_theme(after: &str) -> String {
    error(&format!(
        r#"{MINIMAL}
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["A-1", "B-1", "C-1"]
promised-days = 3
[themes.after]
{after}
"#
    ))
}

#[test]
fn a_theme_waiting_out_of_order_is_refused() {
    let message = ordered_theme(r#""A-1" = ["B-1"]"#);
    assert_names(
        &message,
        &[
            "onewindow.toml",
            "`after.\"A-1\"` of the 1st [[themes]] entry",
            "\"B-1\", which is not listed before it",
        ],
    );
    let message = ordered_theme(r#""B-1" = ["B-1"]"#);
    assert_names(&message, &["\"B-1\", which is not listed before it"]);
    let message = ordered_theme(r#""B-1" = ["Z-9"]"#);
    assert_names(
        &message,
        &[
            "waits for \"Z-9\", a matter the theme does not bundle",
            "A-1, B-1, C-1",
        ],
    );
    let message = ordered_theme(r#""Z-9" = ["A-1"]"#);
    assert_names(
        &message,
        &[
            "`after.\"Z-9\"`",
            "names a matter the theme does not bundle",
        ],
    );
    let message = ordered_theme(r#""C-1" = []"#);
    assert_names(&message, &["`after.\"C-1\"`", "is empty"]);
    let message = ordered_theme("[themes.issues]\n\"Z-9\" = [\"营业执照\"]");
    assert_names(
        &message,
        &[
            "`issues.\"Z-9\"`",
            "names a matter the theme does not bundle",
        ],
    );
    let message = ordered_theme("[themes.issues]\n\"A-1\" = [\" \"]");
    assert_names(&message, &["`issues.\"A-1\"`", "e.g. [\"营业执照\"]"]);
}

#[test]
fn applicant_sign_in_needs_the_public_url_and_hides_its_secret() {
    const SIGN_IN: &str = r#"
[applicant-sign-in]
issuer = "https://tyrz.example.gov.cn"
client-id = "onewindow"
client-secret = "the-client-secret-0123456789"
"#;
    let message = error(&format!("{MINIMAL}{SIGN_IN}"));
    assert_names(
        &message,
        &["onewindow.toml", "[applicant-sign-in]", "`public-url`"],
    );

    let config = parse(&format!(
        "public-url = \"https://onewindow.example.gov.cn/\"\n{MINIMAL}{SIGN_IN}"
    ))
    .unwrap();
    let sign_in = config.applicant_sign_in.expect("configured");
    assert_eq!(
        sign_in.redirect_url,
        "https://onewindow.example.gov.cn/my/callback"
    );
    let shown = format!("{sign_in:?}");
    assert!(!shown.contains("the-client-secret"), "{shown}");

    let message = error(&format!(
        "public-url = \"https://onewindow.example.gov.cn\"\n{MINIMAL}{}",
        SIGN_IN.replace("https://tyrz.example.gov.cn", "tyrz.example.gov.cn")
    ));
    assert_names(&message, &["`issuer`", "[applicant-sign-in]", "http(s)"]);
    let message = error(&format!(
        "public-url = \"https://onewindow.example.gov.cn\"\n{MINIMAL}{}",
        SIGN_IN.replace("the-client-secret-0123456789", " ")
    ));
    assert_names(&message, &["`client-secret`", "empty"]);
    let message = error(&format!(
        "public-url = \"https://onewindow.example.gov.cn\"\n{MINIMAL}{SIGN_IN}scope = \"x\"\n"
    ));
    assert_names(&message, &["`scope`"]);
    // Without the table, applicants have the public catalogue only.
    assert!(parse(MINIMAL).unwrap().applicant_sign_in.is_none());
}
