//! The `onewindow` command.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    /// Work with adapter packages.
    Adapter {
        #[command(subcommand)]
        command: AdapterCommand,
    },
}

#[derive(Subcommand)]
enum AdapterCommand {
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                // What the adapter itself logs, and host errors; the failure of
                // the call is printed as the command's own error.
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error,adapter=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Adapter {
            command:
                AdapterCommand::Call {
                    package,
                    function,
                    argument,
                    exchange_root,
                },
        } => {
            let runtime = match Runtime::new(RuntimeConfig {
                exchange_root,
                max_instances: 16,
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
