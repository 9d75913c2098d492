//! Runs the mock legacy department systems: `legacy-systems <department> [options]`.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use legacy_systems::common::{Fault, shutdown_signal};
use legacy_systems::market_supervision;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(
    version,
    about = "Mock legacy department systems for onewindow's adapters"
)]
struct Cli {
    #[command(subcommand)]
    department: Department,
}

#[derive(Debug, Subcommand)]
enum Department {
    /// 县市场监督管理局 登记注册业务系统 (GBK SOAP at /ws/djzc).
    MarketSupervision {
        /// Address to listen on.
        #[arg(long, default_value = market_supervision::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        lifecycle: Lifecycle,
        #[command(flatten)]
        faults: Faults,
    },
}

/// Options of departments whose cases move through stages.
#[derive(Debug, Args)]
struct Lifecycle {
    /// Time a case spends in each lifecycle stage, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    stage_ms: u64,
}

/// Fault-injection options every department takes.
#[derive(Debug, Args)]
struct Faults {
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests answered 503 (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Initial fault: none, truncated, wrong-encoding, missing-element, down or slow:MS.
    #[arg(long, default_value = "none")]
    fault: Fault,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match Cli::parse().department {
        Department::MarketSupervision {
            listen,
            lifecycle,
            faults,
        } => {
            let config = market_supervision::Config {
                stage: Duration::from_millis(lifecycle.stage_ms),
                latency: Duration::from_millis(faults.latency_ms),
                fail_rate: faults.fail_rate,
                fault: faults.fault,
            };
            let handle = market_supervision::start(listen, config).await?;
            println!(
                "{} legacy system listening on {}",
                market_supervision::DEPARTMENT,
                handle.endpoint()
            );
            shutdown_signal().await;
            tracing::info!("shutting down");
            handle.shutdown().await;
        }
    }
    Ok(())
}
