//! Shared pieces of the end-to-end tests and benchmarks: where the components
//! built from plugins/ are, packages made from them in a temporary folder, and
//! the whole platform serving HTTP on 127.0.0.1 against a mock legacy system.

use onewindow::registry::package::{PackageFiles, SecretKey};
use std::path::{Path, PathBuf};

pub mod adapter_test;
pub mod otlp;

/// Paths of the components built by `build.rs`.
pub mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}

/// An adapter package in a temporary directory: `adapter.toml` pointing at a
/// component built from plugins/.
pub struct TestPackage {
    dir: tempfile::TempDir,
}

impl TestPackage {
    /// Writes `adapter.toml` with `manifest` (everything but `component`, which
    /// is set to `component`).
    pub fn new(component: &str, manifest: &str) -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary package directory");
        let text = format!("component = {component:?}\n{manifest}");
        std::fs::write(dir.path().join("adapter.toml"), text).expect("writing adapter.toml");
        Self { dir }
    }

    /// The package directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A manifest for the fixture adapter with the given behaviour and extra lines.
pub fn fixture_manifest(id: &str, behaviour: &str, extra_config: &str, limits: &str) -> String {
    format!(
        r#"id = "{id}"
version = "0.1.0"
department = "测试部门"
api = "onewindow:adapter@0.1.0"
[limits]
{limits}
[config]
behaviour = "{behaviour}"
{extra_config}
"#
    )
}

/// The fixture adapter's manifest for a package at `version`: its component,
/// `[limits]`, and `[config]` with `behaviour = "ok"` and `config` lines. Add
/// [`FIXTURE_GRANT`] for a package the platform installs.
pub fn fixture_package_manifest(version: &str, config: &str, limits: &str) -> String {
    format!(
        "component = {:?}\n{}",
        components::FIXTURE_ADAPTER,
        fixture_manifest("fixture", "ok", config, limits)
            .replace("version = \"0.1.0\"", &format!("version = \"{version}\""))
    )
}

/// The outbound grant a fixture package needs: its component can make HTTP requests.
pub const FIXTURE_GRANT: &str = "[grants]\noutbound = [\"http://127.0.0.1:9\"]\n";

/// `manifest` (and the component it names) packed and signed by the
/// [`INTEGRATOR`], whose key [`platform_config_with`] made in `dir`.
pub fn signed_package(dir: &Path, manifest: &str) -> PackageFiles {
    let key = SecretKey::read(&dir.join(format!("trusted-keys/{INTEGRATOR}.key")))
        .expect("the integrator's key that platform_config_with made");
    let source = tempfile::tempdir().expect("a package folder");
    std::fs::write(source.path().join("adapter.toml"), manifest).expect("writing a manifest");
    onewindow::registry::package::pack(source.path(), &key)
        .expect("packing")
        .1
}

/// A runtime whose exchange root is a fresh temporary folder.
pub fn runtime() -> (onewindow::runtime::Runtime, tempfile::TempDir) {
    runtime_with(onewindow::adapter::breaker::BreakerConfig::default())
}

/// [`runtime`] with its adapters' circuit breakers set to `breaker`.
pub fn runtime_with(
    breaker: onewindow::adapter::breaker::BreakerConfig,
) -> (onewindow::runtime::Runtime, tempfile::TempDir) {
    test_runtime(onewindow::runtime::RuntimeConfig {
        breaker,
        ..onewindow::runtime::RuntimeConfig::default()
    })
}

/// A runtime like [`runtime`]'s whose every call is handed to `recorder`.
pub fn runtime_recording(
    recorder: std::sync::Arc<dyn onewindow::exchange_log::Recorder>,
) -> (onewindow::runtime::Runtime, tempfile::TempDir) {
    test_runtime(onewindow::runtime::RuntimeConfig {
        recorder: Some(recorder),
        ..onewindow::runtime::RuntimeConfig::default()
    })
}

/// `config` with a fresh exchange root, room for 100 instances and the shared compile cache.
fn test_runtime(
    config: onewindow::runtime::RuntimeConfig,
) -> (onewindow::runtime::Runtime, tempfile::TempDir) {
    let exchange = tempfile::tempdir().expect("creating an exchange root");
    let runtime = onewindow::runtime::Runtime::new(onewindow::runtime::RuntimeConfig {
        exchange_root: exchange.path().to_owned(),
        max_instances: 100,
        // The platforms' shared cache: a Python component takes seconds to compile.
        cache_dir: Some(repo_root().join("target/test-compile-cache")),
        ..config
    })
    .expect("creating the runtime");
    (runtime, exchange)
}

/// The repository's top folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// The `onewindow` binary, built as `make test` builds the workspace (at once
/// when it is up to date). The whole workspace with all its targets, not `-p
/// onewindow`: cargo resolves features per selection, and the binary alone
/// would select other features of shared dependencies and rebuild wasmtime.
/// It is looked for in `CARGO_TARGET_DIR` when that is set, as cargo puts it there.
pub fn onewindow_binary() -> PathBuf {
    let root = repo_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args(["build", "-q", "--workspace", "--all-targets"])
        .current_dir(&root)
        .status()
        .expect("running cargo");
    assert!(built.success(), "building the onewindow binary failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |dir| root.join(dir));
    target.join("debug/onewindow")
}

pub use onewindow::store::testing::{Db, fresh_database};

/// The demo tokens of the platforms [`platform_config`] describes.
pub const CLERK: &str = "test-clerk-token-0123456789";
pub const OPERATOR: &str = "test-operator-token-0123456789";
pub const AUDITOR: &str = "test-auditor-token-0123456789";
pub const SUPERVISOR: &str = "test-supervisor-token-0123456789";
/// A token of 县市场监督管理局's staff.
pub const MARKET_STAFF: &str = "test-market-staff-token-0123456789";
/// A token of 县税务局's staff.
pub const TAX_STAFF: &str = "test-tax-staff-token-0123456789";

/// The name of the key pair [`platform_config`] makes and trusts: its secret is
/// `<dir>/trusted-keys/test-integrator.key`.
pub const INTEGRATOR: &str = "test-integrator";

/// Makes an adapter folder `id` in `lang` under `parent` with `onewindow
/// adapter new`, and builds it with the command it prints, the toolchains
/// `make setup` installed linked where its README puts them (a Rust build
/// shares the guide's target folder). The folder, or what went wrong.
pub fn build_new_adapter(
    lang: onewindow::scaffold::Lang,
    id: &str,
    parent: &Path,
) -> Result<PathBuf, String> {
    use onewindow::scaffold::Lang;
    use std::process::Command;
    let root = repo_root();
    let bin = onewindow_binary();
    let said = |output: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    };
    let name = match lang {
        Lang::Rust => "rust",
        Lang::Python => "python",
        Lang::Js => "js",
    };
    let made = Command::new(&bin)
        .args([
            "adapter",
            "new",
            id,
            "--lang",
            name,
            "--department",
            "县档案馆",
            "--dir",
        ])
        .arg(parent)
        .env("ONEWINDOW", &root)
        .output()
        .map_err(|e| e.to_string())?;
    let [_, build] = lang.build_steps(id);
    if !made.status.success() || !said(&made).contains(&build) {
        return Err(format!("{lang:?}: adapter new: {}", said(&made)));
    }
    let dir = parent.join(id);
    let (link, toolchain) = match lang {
        Lang::Python => (".venv", "target/toolchains/python"),
        Lang::Js => ("node_modules", "plugins/sdk/js/node_modules"),
        Lang::Rust => ("target", "target/guide-adapter"),
    };
    std::fs::create_dir_all(root.join(toolchain)).map_err(|e| e.to_string())?;
    std::os::unix::fs::symlink(root.join(toolchain), dir.join(link)).map_err(|e| e.to_string())?;
    let built = Command::new("bash")
        .args(["-c", &build])
        .current_dir(&dir)
        // The outer build's settings are not the integrator's.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .map_err(|e| e.to_string())?;
    if !built.status.success() {
        return Err(format!("{lang:?}: {build}: {}", said(&built)));
    }
    Ok(dir)
}

/// `component`, which a make target builds rather than cargo; a missing one
/// stops the test with the command that builds it.
pub fn built_outside_cargo(component: &'static str) -> &'static str {
    assert!(
        Path::new(component).exists(),
        "{component} is missing: build it with `make python-plugins js-plugins` (make test does)"
    );
    component
}

/// A department a test platform connects: its adapter's package, pointed at its
/// mock legacy system.
#[derive(Debug, Clone)]
pub struct Department {
    pub id: &'static str,
    pub component: &'static str,
    pub name: &'static str,
    /// The `[grants]` lines.
    pub grants: String,
    /// The `[config]` lines.
    pub config: String,
    /// The `[limits]` lines (none: no `[limits]` table).
    pub limits: String,
}

impl Department {
    fn http(
        id: &'static str,
        component: &'static str,
        name: &'static str,
        addr: std::net::SocketAddr,
        endpoint: String,
    ) -> Self {
        Self {
            id,
            component,
            name,
            grants: format!(r#"outbound = ["http://{addr}"]"#),
            config: format!(r#"endpoint = "{endpoint}""#),
            limits: String::new(),
        }
    }

    pub fn market_supervision(mock: &legacy_systems::market_supervision::Handle) -> Self {
        Self::http(
            "market-supervision",
            components::MARKET_SUPERVISION,
            "县市场监督管理局",
            mock.addr(),
            mock.endpoint(),
        )
    }

    pub fn public_security(mock: &legacy_systems::public_security::Handle) -> Self {
        Self::http(
            "public-security",
            components::PUBLIC_SECURITY,
            "县公安局",
            mock.addr(),
            mock.endpoint(),
        )
    }

    pub fn tax(mock: &legacy_systems::tax::Handle) -> Self {
        Self::http(
            "tax",
            components::TAX,
            "县税务局",
            mock.addr(),
            mock.endpoint(),
        )
    }

    pub fn social_security(mock: &legacy_systems::social_security::Handle) -> Self {
        Self::http(
            "social-security",
            components::SOCIAL_SECURITY,
            "县人力资源和社会保障局",
            mock.addr(),
            mock.endpoint(),
        )
    }

    /// 县民政局, whose adapter is written in Python (`make python-plugins`
    /// builds it before the tests).
    pub fn civil_affairs(mock: &legacy_systems::civil_affairs::Handle) -> Self {
        Self::http(
            "civil-affairs",
            built_outside_cargo(components::CIVIL_AFFAIRS),
            "县民政局",
            mock.addr(),
            mock.endpoint(),
        )
    }

    /// 县医疗保障局, whose adapter is written in JavaScript (`make js-plugins`
    /// builds it before the tests); it logs in with the mock's password.
    pub fn medical_insurance(mock: &legacy_systems::medical_insurance::Handle) -> Self {
        Self::http(
            "medical-insurance",
            built_outside_cargo(components::MEDICAL_INSURANCE),
            "县医疗保障局",
            mock.addr(),
            mock.endpoint(),
        )
        .with_config(&format!(
            r#"password = "{}""#,
            legacy_systems::medical_insurance::DEFAULT_PASSWORD
        ))
    }

    /// 县不动产登记中心: granted its exchange folder `real-estate`, which the
    /// adapter sees as `/exchange`, and no outbound HTTP.
    pub fn real_estate() -> Self {
        Self {
            id: "real-estate",
            component: components::REAL_ESTATE,
            name: "县不动产登记中心",
            grants: r#"exchange-dir = "real-estate""#.into(),
            config: r#"exchange = "/exchange""#.into(),
            limits: String::new(),
        }
    }

    /// With `line` added to the `[config]` lines.
    pub fn with_config(mut self, line: &str) -> Self {
        self.config = format!("{}\n{line}", self.config);
        self
    }

    /// The package's `adapter.toml`, but for its `component` line.
    pub fn manifest(&self) -> String {
        format!(
            r#"id = "{id}"
version = "0.1.0"
department = "{name}"
api = "onewindow:adapter@0.2.0"
[grants]
{grants}
{limits}
[config]
{config}
"#,
            id = self.id,
            name = self.name,
            grants = self.grants,
            limits = if self.limits.is_empty() {
                String::new()
            } else {
                format!("[limits]\n{}", self.limits)
            },
            config = self.config,
        )
    }

    /// Writes the package folder `<adapters>/<id>`: a package signed with `key`,
    /// packed from a source folder beside `adapters`.
    fn write(&self, adapters: &Path, key: &SecretKey) {
        let source = adapters
            .parent()
            .expect("the adapter folder has a parent")
            .join("adapter-sources")
            .join(self.id);
        std::fs::create_dir_all(&source).expect("creating the adapter's source folder");
        std::fs::write(
            source.join("adapter.toml"),
            format!("component = \"{}\"\n{}", self.component, self.manifest()),
        )
        .expect("writing adapter.toml");
        let (_, files) = onewindow::registry::package::pack(&source, key)
            .unwrap_or_else(|e| panic!("packing {}: {e}", self.id));
        let package = adapters.join(self.id);
        std::fs::create_dir_all(&package).expect("creating the adapter directory");
        for (name, bytes) in [
            ("adapter.toml", &files.manifest),
            ("adapter.wasm", &files.component),
            (
                "adapter.sig",
                files.signature.as_ref().expect("a signed package"),
            ),
        ] {
            std::fs::write(package.join(name), bytes).expect("writing the package");
        }
    }
}

/// The form of 企业设立登记 (330122-SCJG-XK-001) with every required field
/// filled: the company `name` and its `representative` (法定代表人).
pub fn company_form(name: &str, representative: &str) -> serde_json::Value {
    serde_json::json!({
        "企业名称": name,
        "法定代表人": representative,
        "注册资本": "100万元人民币",
        "住所": "浙江省杭州市桐庐县桐君街道迎春南路277号",
        "经营范围": "一般项目：茶叶种植；初级农产品收购",
    })
}

/// The theme 开办企业 as `make run` configures it.
pub const OPEN_BUSINESS: &str = r#"
[[themes]]
code = "open-business"
name = "开办企业"
matters = ["330122-SCJG-XK-001", "330122-GA-BA-003", "330122-SW-FP-001"]
promised-days = 3
[themes.after]
"330122-GA-BA-003" = ["330122-SCJG-XK-001"]
"330122-SW-FP-001" = ["330122-SCJG-XK-001"]
[themes.issues]
"330122-SCJG-XK-001" = ["营业执照"]
"#;

/// The configuration of a platform in `dir` on `database`, with the
/// market-supervision adapter granted and pointed at the mock `mock`, delivery
/// polling every 100 ms, the [`CLERK`], [`OPERATOR`], [`AUDITOR`], [`SUPERVISOR`],
/// [`MARKET_STAFF`] and [`TAX_STAFF`] tokens, and
/// the [`INTEGRATOR`]'s key trusted (signatures required).
pub fn platform_config(
    dir: &Path,
    database: &str,
    mock: &legacy_systems::market_supervision::Handle,
) -> onewindow::config::Config {
    platform_config_with(dir, database, &[Department::market_supervision(mock)], "")
}

/// [`platform_config`] with these `departments` connected and `extra` TOML
/// (e.g. themes) at the end.
pub fn platform_config_with(
    dir: &Path,
    database: &str,
    departments: &[Department],
    extra: &str,
) -> onewindow::config::Config {
    platform_config_delivering(dir, database, departments, TEST_DELIVERY, extra)
}

/// The secret of adapter `id`'s hook on the test platforms.
pub fn hook_secret(id: &str) -> String {
    format!("test-hook-secret-of-{id}-0123456789abcdef")
}

/// The headers a department signs a push of `body` to adapter `id`'s hook with, now.
pub fn signed_push(id: &str, body: &[u8]) -> [(&'static str, String); 2] {
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
        .to_string();
    let signature = onewindow::platform::pushes::sign(&hook_secret(id), &timestamp, body);
    [
        (onewindow::platform::pushes::TIMESTAMP_HEADER, timestamp),
        (onewindow::platform::pushes::SIGNATURE_HEADER, signature),
    ]
}

/// The `[delivery]` keys of the test platforms: quick polls, retries and breakers.
pub const TEST_DELIVERY: &str = "poll-interval-ms = 100
initial-backoff-ms = 100
breaker-cool-down-ms = 200";

/// [`platform_config_with`] with `delivery` as the keys of `[delivery]`.
pub fn platform_config_delivering(
    dir: &Path,
    database: &str,
    departments: &[Department],
    delivery: &str,
    extra: &str,
) -> onewindow::config::Config {
    std::fs::create_dir_all(dir.join("trusted-keys")).expect("creating the trust folder");
    share_compile_cache(&dir.join("data"));
    let (secret, public) =
        onewindow::registry::package::new_key_pair(INTEGRATOR, &dir.join("trusted-keys"))
            .expect("making the integrator's key pair");
    onewindow::registry::package::trust_key(&public, &dir.join("trusted-keys"), &["*".into()])
        .expect("trusting the integrator's key for every adapter");
    let key = SecretKey::read(&secret).expect("reading the integrator's key");
    for department in departments {
        department.write(&dir.join("adapters"), &key);
    }
    let hooks: String = departments
        .iter()
        .map(|d| format!("[hooks.{}]\nsecrets = [\"{}\"]\n", d.id, hook_secret(d.id)))
        .collect();
    let toml = format!(
        r#"listen = "127.0.0.1:0"
data-dir = "{data}"
database-url = "{database}"
adapter-dir = "{adapters}"
calendar-dir = "{calendar}"
max-body-bytes = 65536
trust-dir = "{trust}"
[delivery]
{delivery}
{hooks}
[[tokens]]
name = "窗口一号"
role = "clerk"
token = "{CLERK}"
[[tokens]]
name = "运维"
role = "operator"
token = "{OPERATOR}"
[[tokens]]
name = "审计"
role = "auditor"
token = "{AUDITOR}"
[[tokens]]
name = "督查"
role = "supervisor"
token = "{SUPERVISOR}"
[[tokens]]
name = "市场监管 孙立"
role = "department"
department = "县市场监督管理局"
token = "{MARKET_STAFF}"
[[tokens]]
name = "税务 周洁"
role = "department"
department = "县税务局"
token = "{TAX_STAFF}"
{extra}
"#,
        data = dir.join("data").display(),
        adapters = dir.join("adapters").display(),
        calendar = repo_root().join("host/holidays").display(),
        trust = dir.join("trusted-keys").display(),
    );
    // Written out too, for tests that run the `onewindow` binary on it.
    std::fs::write(dir.join("onewindow.toml"), &toml).expect("writing onewindow.toml");
    onewindow::config::Config::from_toml(
        &toml,
        &dir.join("onewindow.toml"),
        &onewindow::config::Overrides::default(),
    )
    .expect("the test configuration is valid")
}

/// Points the compile cache of a platform whose data folder is `data` at one
/// folder every test platform shares: the same components are then compiled
/// once per run instead of once per test server. wasmtime's cache is keyed by
/// the component and the engine's settings, and written by rename, so servers
/// may share it at once.
fn share_compile_cache(data: &Path) {
    let shared = repo_root().join("target/test-compile-cache");
    std::fs::create_dir_all(&shared).expect("creating the shared compile cache");
    std::fs::create_dir_all(data).expect("creating the data folder");
    match std::os::unix::fs::symlink(&shared, data.join("cache")) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            panic!("linking the shared compile cache: {e}")
        }
        _ => {}
    }
}

/// A platform serving HTTP on a fresh port of 127.0.0.1; dropping it stops it.
pub struct Running {
    pub url: String,
    pub platform: onewindow::platform::Platform,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Loads the adapters of `config`, syncs the catalogue, serves HTTP, and
    /// runs the delivery worker when `deliver` is set; `clock` tells the time.
    pub async fn start(
        config: onewindow::config::Config,
        deliver: bool,
        clock: onewindow::platform::Clock,
    ) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a port on 127.0.0.1");
        Running::start_on(listener, config, deliver, clock).await
    }

    /// [`Running::start`] on a port bound already: for a platform whose
    /// configuration names its own address (`public-url`).
    pub async fn start_on(
        listener: tokio::net::TcpListener,
        config: onewindow::config::Config,
        deliver: bool,
        clock: onewindow::platform::Clock,
    ) -> Running {
        let mut platform = onewindow::serve::platform(config)
            .await
            .expect("starting the platform");
        platform.clock = clock;
        let report = platform.sync_catalogue().await;
        assert!(report.failed.is_empty(), "{report:?}");
        let mut tasks = if deliver {
            onewindow::delivery::spawn(platform.clone())
        } else {
            Vec::new()
        };
        let url = format!("http://{}", listener.local_addr().expect("a bound address"));
        let app = onewindow::serve::app(platform.clone());
        let limits = platform.config.server.clone();
        tasks.push(tokio::spawn(async move {
            onewindow::serve::serve_http(listener, app, &limits, std::future::pending())
                .await
                .expect("serving HTTP");
        }));
        Running {
            url,
            platform,
            tasks,
        }
    }

    /// Stops serving and delivering, and closes the database pool.
    pub async fn stop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.platform.store.pool().close().await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A push's headers with only its media type, for `Adapter::on_notify`.
pub fn content_type(media_type: &str) -> Vec<(String, String)> {
    vec![("content-type".to_owned(), media_type.to_owned())]
}

/// The identity platform of examples/identity (oidc-provider, run by node) on a
/// fresh port of 127.0.0.1, with the platform at `platform_url` as its client;
/// dropping it stops it.
pub struct IdentityPlatform {
    pub issuer: String,
    _node: Serving,
}

/// The client secret examples/identity gives the platform.
pub const IDENTITY_CLIENT_SECRET: &str = "test-oidc-client-secret-0123456789";

impl IdentityPlatform {
    pub async fn start(platform_url: &str) -> IdentityPlatform {
        let folder = repo_root().join("examples/identity");
        assert!(
            folder.join("node_modules/oidc-provider").is_dir(),
            "examples/identity has no node_modules: `make setup` installs oidc-provider"
        );
        let port = free_port();
        let issuer = format!("http://127.0.0.1:{port}");
        let child = std::process::Command::new("node")
            .arg("provider.mjs")
            .current_dir(&folder)
            .env("IDENTITY_ADDR", format!("127.0.0.1:{port}"))
            .env("ONEWINDOW_URL", platform_url)
            .env("ONEWINDOW_OIDC_CLIENT_SECRET", IDENTITY_CLIENT_SECRET)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("starting node examples/identity/provider.mjs");
        let identity = IdentityPlatform {
            issuer,
            _node: Serving(child),
        };
        let discovery = format!("{}/.well-known/openid-configuration", identity.issuer);
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if client
                .get(&discovery)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return identity;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the identity platform did not answer at {discovery} within 10 s");
    }

    /// The `[applicant-sign-in]` of a platform at `platform_url` that uses it.
    pub fn sign_in(&self, platform_url: &str) -> onewindow::config::ApplicantSignIn {
        onewindow::config::ApplicantSignIn {
            issuer: self.issuer.clone(),
            client_id: "onewindow".to_owned(),
            client_secret: IDENTITY_CLIENT_SECRET.to_owned(),
            redirect_url: format!("{platform_url}/my/callback"),
        }
    }
}

/// The people the tests apply for, with their ID numbers: none of them may
/// reach a log line, a span or an audit detail in full.
pub const PEOPLE: &[(&str, &str)] = &[
    ("陈晓东", "11010519491231002X"),
    ("王镕", "330122198203150014"),
];

/// A process the test started; dropping it kills it.
pub struct Serving(pub std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port of 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}
