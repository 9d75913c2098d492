//! The `onewindow` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use onewindow::config::{Config, Overrides};
use onewindow::runtime::{Runtime, RuntimeConfig};

#[derive(Parser)]
#[command(
    name = "onewindow",
    version,
    about = "The integration core of a unified government service platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the platform: the HTTP API, the delivery worker and the adapters.
    Serve {
        /// The configuration file (onewindow.toml).
        #[arg(long, env = "ONEWINDOW_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Work with the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Work with adapter packages.
    Adapter {
        #[command(subcommand)]
        command: AdapterCommand,
    },
    /// Read the exchange log: what each adapter call sent to its department and
    /// what came back (masked), newest first; or save one call as an `adapter
    /// test` fixtures folder to replay it offline.
    Exchanges {
        /// The configuration file (onewindow.toml), for the database URL.
        #[arg(long, env = "ONEWINDOW_CONFIG")]
        config: Option<PathBuf>,
        /// Only calls concerning this case number.
        #[arg(long = "case", value_name = "CASE_NO")]
        case_no: Option<String>,
        /// Only this adapter's calls.
        #[arg(long)]
        adapter: Option<String>,
        /// Only calls with this outcome: ok, or a failure's kind (unavailable, trap, timeout, …).
        #[arg(long)]
        outcome: Option<String>,
        /// Calls started at or after this instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Calls started before this instant (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// At most this many calls (1 to 500).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Write exchange ID as a fixtures folder for `onewindow adapter test --fixtures`.
        #[arg(long, value_name = "ID", requires = "out")]
        fixture: Option<i64>,
        /// Where to write the fixtures folder (created; must not exist yet).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Print the HTTP API's OpenAPI document (as served at /api/v1/openapi.json).
    Openapi,
    /// Signing keys for adapter packages.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make an ed25519 key pair: <name>.key (secret, keep it safe) and <name>.pub
    /// (give it to the operators for their trust store).
    New {
        /// The signer's name, e.g. the integrator team: a-z, 0-9 and -.
        name: String,
        /// Where to write the two files.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
    },
    /// Trust a signer's public key (<name>.pub) for signing the given adapter
    /// ids: writes it to the trust folder with that scope (operators).
    Trust {
        /// The public key file the signer gave you.
        public_key: PathBuf,
        /// The adapter ids it may sign, comma-separated; `*` for any.
        #[arg(long, value_delimiter = ',', required = true)]
        adapters: Vec<String>,
        /// The platform's trust folder (trust-dir).
        #[arg(long, env = "ONEWINDOW_TRUST_DIR", default_value = "data/trusted-keys")]
        trust_dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and check every entry's seal (with the audit key);
    /// name the first edited, resealed, reordered or deleted entry.
    Verify {
        /// The configuration file (onewindow.toml), for the database URL and the audit key.
        #[arg(long, env = "ONEWINDOW_CONFIG")]
        config: Option<PathBuf>,
        /// A checkpoint file from `onewindow audit checkpoint`: also prove that
        /// nothing up to it changed.
        #[arg(long)]
        checkpoint: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Write a signed checkpoint of the audit log's head (number, hash, time),
    /// for the auditor to keep outside the platform.
    Checkpoint {
        /// The configuration file (onewindow.toml), for the database URL and the audit key.
        #[arg(long, env = "ONEWINDOW_CONFIG")]
        config: Option<PathBuf>,
        /// Where to write it [default: audit-checkpoint-<seq>.toml here].
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
    },
}

/// Where `adapter call` and `adapter test` keep compiled components.
#[derive(clap::Args)]
struct CompileCache {
    /// Keep compiled components here, so a second run of the same component
    /// does not compile it again [default: the user's cache folder,
    /// e.g. ~/.cache/onewindow/compiled].
    #[arg(long, env = "ONEWINDOW_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Compile afresh and keep nothing.
    #[arg(long, conflicts_with = "cache_dir")]
    no_cache: bool,
}

impl CompileCache {
    /// The folder to use, if any.
    fn dir(self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.or_else(|| {
            directories_next::ProjectDirs::from("", "", "onewindow")
                .map(|dirs| dirs.cache_dir().join("compiled"))
        })
    }
}

#[derive(Subcommand)]
enum AdapterCommand {
    /// Make a new adapter folder, in Rust, Python or JavaScript, that builds
    /// with its language's toolchain and passes its own offline test at once:
    /// the manifest, the contract's WIT, a fixture and a README that says how.
    New {
        /// The adapter id, which names the folder: a-z, 0-9 and -.
        id: String,
        /// The language.
        #[arg(long, value_enum)]
        lang: onewindow::scaffold::Lang,
        /// The department's name, e.g. 县档案馆.
        #[arg(long, default_value = "县某某局")]
        department: String,
        /// Where to make the folder.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// For Rust: the onewindow SDK crate [default: $ONEWINDOW/plugins/sdk].
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Load one adapter package with its manifest's grants and limits, call one
    /// export and print the unified result as JSON.
    #[command(after_help = call_help())]
    Call {
        /// The package directory (with adapter.toml).
        package: PathBuf,
        /// interface.function, e.g. matters.list.
        function: String,
        /// The function's argument as JSON.
        argument: Option<String>,
        /// Where exchange directories live.
        #[arg(long, env = "ONEWINDOW_EXCHANGE_ROOT", default_value = "data/exchange")]
        exchange_root: PathBuf,
        #[command(flatten)]
        cache: CompileCache,
    },
    /// Test an adapter offline against fixtures: outbound HTTP answered from
    /// recorded exchanges, the exchange directory from fixture files, every
    /// call's result compared with its golden JSON (a diff for each difference).
    #[command(
        after_help = "Fixtures: calls/NN-name.json ({\"call\": \"matters.list\", \"argument\": ..., \"wait_ms\": 0 (in recording, wait before the call)}) with calls/NN-name.expected.json beside each, http.json (recorded exchanges), exchange/<call>/ (the exchange directory's files before each call).\n\nExample: onewindow adapter test plugins/market-supervision --fixtures plugins/market-supervision/fixtures"
    )]
    Test {
        /// The package directory (with adapter.toml).
        package: PathBuf,
        /// The fixtures folder.
        #[arg(long)]
        fixtures: PathBuf,
        /// Make the calls against the running legacy system and write the
        /// fixtures (exchanges, exchange-directory snapshot, golden results).
        #[arg(long)]
        record: bool,
        /// With --record: where the live exchange directories are.
        #[arg(long, env = "ONEWINDOW_EXCHANGE_ROOT", default_value = "data/exchange")]
        exchange_root: PathBuf,
        #[command(flatten)]
        cache: CompileCache,
    },
    /// Pack and sign an adapter: writes <id>-<version>.tar.gz with adapter.toml
    /// (component and sha256 filled in), adapter.wasm and adapter.sig.
    Pack {
        /// The package directory (with adapter.toml naming the built component).
        dir: PathBuf,
        /// The secret key file made by `onewindow keys new`.
        #[arg(long)]
        key: PathBuf,
        /// The package file to write [default: <id>-<version>.tar.gz here].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Install a package on a running platform through its API (operator token).
    Install {
        /// The package: a .tar.gz or a directory.
        package: PathBuf,
        /// The platform, e.g. http://127.0.0.1:8080.
        #[arg(long, env = "ONEWINDOW_SERVER")]
        server: String,
        /// An operator's token.
        #[arg(long, env = "ONEWINDOW_TOKEN", hide_env_values = true)]
        token: String,
        /// Make it the active version once installed.
        #[arg(long)]
        activate: bool,
        /// With --activate: confirm activating a version lower than the active one.
        #[arg(long, requires = "activate")]
        allow_downgrade: bool,
    },
    /// Check a package as the platform will before installing it.
    Verify {
        /// The package: a .tar.gz or a directory.
        package: PathBuf,
        /// The folder of trusted public keys (*.pub).
        #[arg(long)]
        trust_dir: PathBuf,
        /// Accept a package without a signature.
        #[arg(long)]
        allow_unsigned: bool,
    },
}

fn call_help() -> String {
    let mut help = String::from("Functions and their argument:\n");
    for (function, argument) in onewindow::cli::FUNCTIONS {
        help.push_str(&format!("  {function:<20} {argument}\n"));
    }
    help.push_str("\nExample: onewindow adapter call plugins/market-supervision matters.list");
    help
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // `adapter call`: what the adapter itself logs and host errors (the
    // failure of the call is printed as the command's own error); `serve`: the
    // platform's own operation too, and its spans when an OTLP endpoint is set.
    let serving = matches!(cli.command, Command::Serve { .. });
    let telemetry = onewindow::telemetry::init(
        if serving {
            "info"
        } else {
            "error,adapter=info"
        },
        serving,
    );
    match cli.command {
        Command::Serve { config, overrides } => {
            let served = onewindow::serve::run(config.as_deref(), &overrides).await;
            telemetry.shutdown().await;
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Audit {
            command:
                AuditCommand::Checkpoint {
                    config,
                    out,
                    overrides,
                },
        } => match audit_checkpoint(config.as_deref(), out, &overrides).await {
            Ok(done) => {
                println!("{done}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Audit {
            command:
                AuditCommand::Verify {
                    config,
                    checkpoint,
                    overrides,
                },
        } => match audit_verify(config.as_deref(), checkpoint.as_deref(), &overrides).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(2),
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Exchanges {
            config,
            case_no,
            adapter,
            outcome,
            from,
            to,
            limit,
            fixture,
            out,
            overrides,
        } => {
            let filter = onewindow::platform::exchanges::Filter {
                case_no,
                adapter,
                outcome,
                from,
                to,
                limit: Some(limit),
            };
            let done = match (fixture, out) {
                (Some(id), Some(out)) => {
                    onewindow::exchanges::save_fixture(config.as_deref(), &overrides, id, &out).await
                }
                _ => onewindow::exchanges::print(config.as_deref(), &overrides, &filter).await,
            };
            match done {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Openapi => report(onewindow::http::openapi().to_pretty_json()),
        Command::Keys {
            command: KeysCommand::New { name, dir },
        } => report(
            onewindow::registry::package::new_key_pair(&name, &dir).map(|(secret, public)| {
                format!(
                    "secret key: {} (keep it; sign with `onewindow adapter pack --key`)\npublic key: {} (for the operators' trust store)",
                    secret.display(),
                    public.display()
                )
            }),
        ),
        Command::Keys {
            command:
                KeysCommand::Trust {
                    public_key,
                    adapters,
                    trust_dir,
                },
        } => report(
            onewindow::registry::package::trust_key(&public_key, &trust_dir, &adapters).map(
                |path| {
                    format!(
                        "trusted {} for signing {}; restart the platform to use it",
                        path.display(),
                        adapters.join(", ")
                    )
                },
            ),
        ),
        Command::Adapter {
            command: AdapterCommand::Pack { dir, key, out },
        } => report(pack(&dir, &key, out)),
        Command::Adapter {
            command:
                AdapterCommand::New {
                    id,
                    lang,
                    department,
                    dir,
                    sdk,
                },
        } => report(
            onewindow::scaffold::new_adapter(&onewindow::scaffold::Options {
                id: id.clone(),
                lang,
                parent: dir,
                department,
                sdk,
            })
            .map(|made| {
                let [setup, build] = lang.build_steps(&id);
                format!(
                    "made {} ({lang:?}); next:\n  cd {}\n  {setup}\n  {build}\n  onewindow adapter test . --fixtures fixtures",
                    made.display(),
                    made.display(),
                )
            }),
        ),
        Command::Adapter {
            command:
                AdapterCommand::Test {
                    package,
                    fixtures,
                    record,
                    exchange_root,
                    cache,
                },
        } => {
            let options = onewindow::kit::Options {
                package,
                fixtures,
                record,
                exchange_root,
                cache_dir: cache.dir(),
            };
            match onewindow::kit::run(&options).await {
                Ok(report) => {
                    print!("{}", report.render());
                    if report.passed() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Adapter {
            command:
                AdapterCommand::Install {
                    package,
                    server,
                    token,
                    activate,
                    allow_downgrade,
                },
        } => report(
            onewindow::cli::install(&package, &server, &token, activate, allow_downgrade).await,
        ),
        Command::Adapter {
            command:
                AdapterCommand::Verify {
                    package,
                    trust_dir,
                    allow_unsigned,
                },
        } => report(verify(&package, &trust_dir, allow_unsigned)),
        Command::Adapter {
            command:
                AdapterCommand::Call {
                    package,
                    function,
                    argument,
                    exchange_root,
                    cache,
                },
        } => {
            let cache_dir = cache.dir();
            let runtime = match Runtime::new(RuntimeConfig {
                exchange_root,
                max_instances: 16,
                cache_dir: cache_dir.clone(),
                ..RuntimeConfig::default()
            }) {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    return ExitCode::FAILURE;
                }
            };
            match onewindow::cli::adapter_call(&runtime, &package, &function, argument.as_deref())
                .await
            {
                Ok(value) => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&value).expect("JSON values print")
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The store of `config`, with its audit key (which must exist: these
/// commands read the log, they never make a key).
async fn audit_store(
    config: Option<&std::path::Path>,
    overrides: &Overrides,
) -> anyhow::Result<onewindow::store::Store> {
    let config = Config::load(config, overrides)?;
    let mut store = onewindow::store::Store::open(&config.database_url).await?;
    anyhow::ensure!(
        config.audit_key.is_file(),
        "no audit key at {} (audit-key): run this where the platform runs, with its configuration",
        config.audit_key.display()
    );
    let key = onewindow::audit::seal::AuditKey::load_or_create(&config.audit_key)
        .map_err(anyhow::Error::msg)?;
    store
        .install_audit_key(key, &config.audit_key.display().to_string())
        .await?;
    Ok(store)
}

async fn audit_verify(
    config: Option<&std::path::Path>,
    checkpoint: Option<&std::path::Path>,
    overrides: &Overrides,
) -> anyhow::Result<bool> {
    let store = audit_store(config, overrides).await?;
    let entries = match store.verify_audit().await? {
        Ok(entries) => entries,
        Err(broken) => {
            println!("audit chain broken: {broken}");
            return Ok(false);
        }
    };
    println!("audit chain valid: {entries} entries, every one sealed");
    let Some(path) = checkpoint else {
        return Ok(true);
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let checkpoint: onewindow::audit::seal::Checkpoint = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{} is not a checkpoint: {e}", path.display()))?;
    let key = store.audit_key().expect("installed above");
    if let Err(problem) = checkpoint.verify(&key.public()) {
        println!("checkpoint refused: {problem}");
        return Ok(false);
    }
    let (log, _) = store.audit_log().await?;
    match log.iter().find(|e| e.seq == checkpoint.seq) {
        Some(entry) if entry.hash == checkpoint.hash => {
            println!(
                "checkpoint of {} holds: entries 1 to {} are as they were then",
                checkpoint.at, checkpoint.seq
            );
            Ok(true)
        }
        Some(_) => {
            println!(
                "checkpoint of {} broken: entry {} is not what it was then, so the log up to it was rewritten",
                checkpoint.at, checkpoint.seq
            );
            Ok(false)
        }
        None => {
            println!(
                "checkpoint of {} broken: entry {} is gone",
                checkpoint.at, checkpoint.seq
            );
            Ok(false)
        }
    }
}

async fn audit_checkpoint(
    config: Option<&std::path::Path>,
    out: Option<PathBuf>,
    overrides: &Overrides,
) -> anyhow::Result<String> {
    let store = audit_store(config, overrides).await?;
    if let Err(broken) = store.verify_audit().await? {
        anyhow::bail!("the audit chain is broken, so no checkpoint is written: {broken}");
    }
    let (_, (seq, hash)) = store.audit_log().await?;
    let key = store.audit_key().expect("installed above");
    let checkpoint = key.checkpoint(seq, &hash, &onewindow::store::now());
    let out = out.unwrap_or_else(|| PathBuf::from(format!("audit-checkpoint-{seq}.toml")));
    std::fs::write(&out, toml::to_string(&checkpoint)?)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    Ok(format!(
        "checkpoint of entry {seq} written to {}; keep it outside the platform, and check it with `onewindow audit verify --checkpoint`",
        out.display()
    ))
}

fn report<E: std::fmt::Display>(result: Result<String, E>) -> ExitCode {
    match result {
        Ok(done) => {
            println!("{done}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn pack(
    dir: &std::path::Path,
    key: &std::path::Path,
    out: Option<PathBuf>,
) -> Result<String, onewindow::registry::package::PackageError> {
    use onewindow::registry::package;
    let key = package::SecretKey::read(key)?;
    let (manifest, files) = package::pack(dir, &key)?;
    let out = out
        .unwrap_or_else(|| PathBuf::from(format!("{}-{}.tar.gz", manifest.id, manifest.version)));
    std::fs::write(&out, files.to_tar_gz()).map_err(|source| package::PackageError::Write {
        path: out.clone(),
        source,
    })?;
    Ok(format!(
        "packed {} {} signed by {} ({}): {}",
        manifest.id,
        manifest.version,
        key.name,
        package::fingerprint(&key.public()),
        out.display()
    ))
}

fn verify(
    path: &std::path::Path,
    trust_dir: &std::path::Path,
    allow_unsigned: bool,
) -> Result<String, onewindow::registry::package::PackageError> {
    use onewindow::registry::package;
    let trust = package::TrustStore::load_dir(trust_dir)?;
    let verified = package::verify(package::PackageFiles::read(path)?, &trust, !allow_unsigned)?;
    Ok(format!(
        "ok: {} {} for {}, sha256 {}, {}",
        verified.manifest.id,
        verified.manifest.version,
        verified.manifest.department,
        verified.sha256,
        verified
            .signer
            .map_or_else(|| "unsigned".to_owned(), |s| format!("signed by {s}"))
    ))
}
