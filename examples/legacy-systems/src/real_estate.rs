//! 县不动产登记中心's 不动产登记系统: no network interface, only a batch job that
//! exchanges GBK CSV files with the platform through a shared folder.
//!
//! The layout of the folder and of every file is specified in
//! `examples/legacy-systems/real-estate.md`.

mod case_file;
mod catalogue;
pub mod csv;
mod export;
mod followup;
mod register;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use crate::common::Fault;
pub use crate::common::department::Config;
pub use state::Stats;

/// The department's name, as its files and the startup line spell it.
pub const DEPARTMENT: &str = "县不动产登记中心";

/// The default exchange folder: the department's folder in the platform's default
/// exchange root.
pub const DEFAULT_EXCHANGE_DIR: &str = "data/exchange/real-estate";

/// The longest pause between two runs of the batch job.
const POLL: Duration = Duration::from_millis(50);

struct App {
    dir: PathBuf,
    state: Mutex<state::State>,
}

impl App {
    fn state(&self) -> MutexGuard<'_, state::State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running batch job: its folder and how to steer and stop it.
pub struct Handle {
    app: Arc<App>,
    job: Option<JoinHandle<()>>,
}

impl Handle {
    /// The exchange folder the job works in.
    pub fn dir(&self) -> &Path {
        &self.app.dir
    }

    /// Switches the fault mode; the catalogue and the register are exported again at once
    /// in the new form (see the spec).
    pub fn set_fault(&self, fault: Fault) {
        if let Err(err) = self.app.state().set_fault(fault) {
            tracing::error!(%err, "cannot export the department's files");
        }
    }

    /// Current counters.
    pub fn stats(&self) -> Stats {
        self.app.state().stats()
    }

    /// A stored case by 平台办件编号, 业务号 or 交换编号, as JSON (including the 证照
    /// rows it carried).
    pub fn case(&self, reference: &str) -> Option<serde_json::Value> {
        let state = self.app.state();
        let case = state.case(reference)?;
        serde_json::to_value(case).ok()
    }

    /// The register as it stands, as JSON.
    pub fn certificates(&self) -> serde_json::Value {
        serde_json::to_value(self.app.state().certificates()).unwrap_or_default()
    }

    /// Stops the batch job and returns once it has stopped.
    pub async fn shutdown(mut self) {
        if let Some(job) = self.job.take() {
            job.abort();
            let _ = job.await;
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if let Some(job) = &self.job {
            job.abort();
        }
    }
}

/// Creates the folders in `exchange_dir`, exports the catalogue and the register, and
/// runs the batch job in the background; returns at once.
pub async fn start(exchange_dir: PathBuf, config: Config) -> anyhow::Result<Handle> {
    anyhow::ensure!(!config.stage.is_zero(), "the stage time must be positive");
    anyhow::ensure!(
        (0.0..=1.0).contains(&config.fail_rate),
        "fail rate must be between 0.0 and 1.0, got {}",
        config.fail_rate
    );
    let state = state::State::open(
        exchange_dir.clone(),
        config.stage,
        config.fail_rate,
        config.fault,
    )?;
    let app = Arc::new(App {
        dir: exchange_dir,
        state: Mutex::new(state),
    });
    let period = config.stage.min(POLL).max(Duration::from_millis(1));
    // Without a network interface, `latency` is an extra processing delay before each run
    // of the batch job and `fail_rate` the share of runs that fail and answer with `99` rows.
    let job = tokio::spawn(batch_job(app.clone(), period, config.latency));
    tracing::info!(
        dir = %app.dir.display(),
        stage_ms = config.stage.as_millis() as u64,
        "{DEPARTMENT} mock started"
    );
    Ok(Handle {
        app,
        job: Some(job),
    })
}

async fn batch_job(app: Arc<App>, period: Duration, latency: Duration) {
    let mut interval = tokio::time::interval(period);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let fault = app.state().fault();
        match fault {
            Fault::Down => continue,
            Fault::Slow(delay) => tokio::time::sleep(delay).await,
            _ => {}
        }
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut state = app.state();
        if state.fault() == Fault::Down {
            continue;
        }
        if let Err(err) = state.run(Instant::now()) {
            tracing::error!(err = format!("{err:#}"), "batch run failed");
        }
    }
}
