//! Runs the mock legacy department systems: `legacy-systems <department> [options]`.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use legacy_systems::common::{Fault, shutdown_signal};
use legacy_systems::{
    civil_affairs, market_supervision, medical_insurance, public_security, real_estate,
    social_security, tax,
};
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
        /// Push every status change to this platform hook, e.g.
        /// http://127.0.0.1:8080/hooks/market-supervision (polls work without it).
        #[arg(long, requires = "push_secret")]
        push_url: Option<String>,
        /// The hook's secret the pushes are signed with (the platform's [hooks.…] secrets).
        #[arg(long, env = "MOCK_PUSH_SECRET", requires = "push_url")]
        push_secret: Option<String>,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县公安局 人口信息管理系统 (GBK fixed-width records at /rkxt).
    PublicSecurity {
        /// Address to listen on.
        #[arg(long, default_value = public_security::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县人力资源和社会保障局 金保工程业务系统 (JSON at /jbgc/api).
    SocialSecurity {
        /// Address to listen on.
        #[arg(long, default_value = social_security::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县民政局 婚姻登记和社会救助信息系统 (GB 18030 XML at /mzxt/jk).
    CivilAffairs {
        /// Address to listen on.
        #[arg(long, default_value = civil_affairs::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县医疗保障局 医保经办服务 (WCF-style JSON with a session cookie at /YbService.svc).
    MedicalInsurance {
        /// Address to listen on.
        #[arg(long, default_value = medical_insurance::DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// The password `Login` accepts for the user onewindow.
        #[arg(long, env = "MOCK_YB_PASSWORD", default_value = medical_insurance::DEFAULT_PASSWORD)]
        password: String,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县税务局 征管系统 (GBK form requests, key=value answers at /zg/service).
    Tax {
        /// Address to listen on.
        #[arg(long, default_value = tax::DEFAULT_LISTEN)]
        listen: SocketAddr,
        #[command(flatten)]
        behaviour: Behaviour,
    },
    /// 县不动产登记中心 登记系统: a batch job exchanging GBK CSV files in a folder.
    RealEstate {
        /// The exchange folder shared with the adapter (the platform's
        /// <exchange-root>/real-estate).
        #[arg(long, default_value = real_estate::DEFAULT_EXCHANGE_DIR)]
        exchange_dir: PathBuf,
        #[command(flatten)]
        behaviour: Behaviour,
    },
}

/// How a department behaves: its pace and its bad days.
#[derive(Debug, Args)]
struct Behaviour {
    /// Time a case spends in each lifecycle stage, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    stage_ms: u64,
    /// Delay added to every answer (or batch run), in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of requests (or batch runs) that fail (0.0–1.0).
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Initial fault: none, truncated, wrong-encoding, missing-element,
    /// unknown-code, endless-pages, down or slow:MS.
    #[arg(long, default_value = "none")]
    fault: Fault,
}

/// Builds the department's `Config` from [`Behaviour`], starts it (with the push
/// hook, and whatever else its `start` takes after the config), says where it is,
/// and runs it until Ctrl-C or SIGTERM.
macro_rules! run {
    ($department:ident, $at:expr, $behaviour:expr) => {
        run!($department, $at, $behaviour, None)
    };
    ($department:ident, $at:expr, $behaviour:expr, $push:expr $(, $extra:expr)*) => {{
        let b = $behaviour;
        let config = $department::Config {
            stage: Duration::from_millis(b.stage_ms),
            latency: Duration::from_millis(b.latency_ms),
            fail_rate: b.fail_rate,
            fault: b.fault,
            push: $push,
        };
        let handle = $department::start($at, config $(, $extra)*).await?;
        println!(
            "{} legacy system running at {}",
            $department::DEPARTMENT,
            handle.at()
        );
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
    }};
}

/// Where a running mock can be reached: its endpoint, or its exchange folder.
trait Where {
    fn at(&self) -> String;
}

macro_rules! endpoint {
    ($($department:ident),*) => {
        $(impl Where for $department::Handle {
            fn at(&self) -> String {
                self.endpoint()
            }
        })*
    };
}
endpoint!(
    civil_affairs,
    market_supervision,
    medical_insurance,
    public_security,
    social_security,
    tax
);

impl Where for real_estate::Handle {
    fn at(&self) -> String {
        self.dir().display().to_string()
    }
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
            push_url,
            push_secret,
            behaviour,
        } => {
            let push = push_url
                .zip(push_secret)
                .map(|(url, secret)| market_supervision::Push { url, secret });
            run!(market_supervision, listen, behaviour, push)
        }
        Department::PublicSecurity { listen, behaviour } => {
            run!(public_security, listen, behaviour)
        }
        Department::SocialSecurity { listen, behaviour } => {
            run!(social_security, listen, behaviour)
        }
        Department::CivilAffairs { listen, behaviour } => {
            run!(civil_affairs, listen, behaviour)
        }
        Department::MedicalInsurance {
            listen,
            password,
            behaviour,
        } => {
            let sessions = medical_insurance::Sessions {
                password,
                ..medical_insurance::Sessions::default()
            };
            run!(medical_insurance, listen, behaviour, None, sessions)
        }
        Department::Tax { listen, behaviour } => run!(tax, listen, behaviour),
        Department::RealEstate {
            exchange_dir,
            behaviour,
        } => run!(real_estate, exchange_dir, behaviour),
    }
    Ok(())
}
