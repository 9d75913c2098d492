//! The seam between the platform and whatever runs adapters: the platform
//! owns this contract and reaches a department only through it. The wasmtime
//! sandbox (the `onewindow-runtime` crate) implements it; the domain's tests use an
//! in-memory fake ([`fake`]).

pub mod breaker;
pub mod fake;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::manifest::{Manifest, ManifestError, Package};
use crate::model;

/// A loaded adapter: one department's system, as the platform sees it. Cheap to
/// share, safe to call from many tasks at once.
#[async_trait::async_trait]
pub trait Adapter: Send + Sync + std::fmt::Debug {
    /// The adapter id from its manifest.
    fn id(&self) -> &str;

    /// The manifest it was loaded with.
    fn manifest(&self) -> &Manifest;

    /// sha256 of its component.
    fn sha256(&self) -> &str;

    /// Which interfaces it serves.
    fn exports(&self) -> Interfaces;

    /// The version of `onewindow:adapter` it is built on, e.g. `0.2.0`.
    fn contract(&self) -> &'static str;

    /// The interfaces its component imports, e.g. `wasi:http/outgoing-handler@0.2.6`.
    fn imports(&self) -> Vec<String>;

    /// How it has fared since it was loaded.
    fn health(&self) -> Health;

    /// `matters.list`.
    async fn list_matters(&self) -> Result<Vec<model::Matter>, CallError>;

    /// `cases.submit`: the department's reference.
    async fn submit_case(&self, submission: &model::CaseSubmission) -> Result<String, CallError>;

    /// `cases.events` after `cursor`.
    async fn case_events(&self, cursor: Option<&str>) -> Result<model::EventPage, CallError>;

    /// `cases.supplement`: hands a case's supplementary materials (补正) in.
    async fn supplement_case(
        &self,
        case_no: &str,
        attachments: &[model::Attachment],
        note: &str,
    ) -> Result<(), CallError>;

    /// `cases.withdraw`: withdraws a case at the department.
    async fn withdraw_case(&self, case_no: &str, reason: &str) -> Result<(), CallError>;

    /// `cases.on-notify`: the events a department's push carries. `headers`
    /// are the push's headers, names in lower case.
    async fn on_notify(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<model::Events, CallError>;

    /// `licenses.by-holder`, given up (as a timeout) after `within` if that is
    /// shorter than the call timeout.
    async fn licenses_by_holder_within(
        &self,
        holder: &model::Party,
        within: Duration,
    ) -> Result<Vec<model::License>, CallError>;

    /// `licenses.verify`, given up (as a timeout) after `within` if that is
    /// shorter than the call timeout.
    async fn verify_license_within(
        &self,
        type_code: &str,
        number: &str,
        within: Duration,
    ) -> Result<Option<model::License>, CallError>;

    /// `licenses.by-holder` with no limit but the call timeout.
    async fn licenses_by_holder(
        &self,
        holder: &model::Party,
    ) -> Result<Vec<model::License>, CallError> {
        self.licenses_by_holder_within(holder, Duration::MAX).await
    }

    /// `licenses.verify` with no limit but the call timeout.
    async fn verify_license(
        &self,
        type_code: &str,
        number: &str,
    ) -> Result<Option<model::License>, CallError> {
        self.verify_license_within(type_code, number, Duration::MAX)
            .await
    }
}

/// Turns checked packages into adapters the platform can call.
pub trait Loader: Send + Sync {
    /// Prepares `component` for calls under `manifest`; nothing of it runs here.
    fn load(
        &self,
        manifest: Manifest,
        component: &[u8],
        sha256: String,
    ) -> Result<Arc<dyn Adapter>, LoadError>;

    /// Packages found already prepared in a cache, and prepared afresh, so far;
    /// none without a cache.
    fn cache_stats(&self) -> Option<(usize, usize)> {
        None
    }

    /// Reads a package folder and loads its adapter.
    fn load_dir(&self, dir: &Path) -> Result<Arc<dyn Adapter>, LoadError> {
        let package = Package::read(dir)?;
        self.load(package.manifest, &package.component, package.sha256)
    }
}

/// How an adapter has fared since it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// Calls asked of it.
    pub calls: u64,
    /// Of those, the ones that failed (its own answers such as `invalid`
    /// included) or were refused by an open breaker.
    pub failed_calls: u64,
    /// Its circuit breaker: `closed`, `open` or `half_open`.
    pub breaker: &'static str,
    /// The most linear memory any call has reached, bytes.
    pub memory_high_water: u64,
}

/// Why an adapter could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("adapter {adapter}: {message}")]
    Contract { adapter: String, message: String },
    #[error("adapter {adapter}: the component cannot be compiled: {message}")]
    Compile { adapter: String, message: String },
    #[error("adapter {adapter}: the component cannot be linked: {message}")]
    Link { adapter: String, message: String },
    #[error("adapter {adapter}: cannot prepare exchange directory {path}: {source}")]
    Exchange {
        adapter: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "adapter {adapter}: its core modules start with {} of linear memory, more than its limits.memory-mib = {mib}; raise memory-mib to at least {}", mib_text(*.bytes), .bytes.div_ceil(1024 * 1024)
    )]
    InitialMemory {
        adapter: String,
        bytes: u64,
        mib: u32,
    },
    #[error(
        "adapter {adapter}: the exchange folder {folder:?} belongs to adapter {owner}; each exchange folder serves one adapter id"
    )]
    ExchangeTaken {
        adapter: String,
        folder: String,
        owner: String,
    },
}

/// Why a call to an adapter did not produce an answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallError {
    /// The adapter answered with its own error.
    #[error("adapter {adapter}: {function}: {error}")]
    Adapter {
        adapter: String,
        function: &'static str,
        error: model::AdapterError,
    },
    /// The component does not export the interface of the function.
    #[error("adapter {adapter} does not serve {function} (it exports {exports})")]
    NotExported {
        adapter: String,
        function: &'static str,
        exports: String,
    },
    /// The adapter is built on a contract version that has no such function.
    #[error(
        "adapter {adapter} is built on onewindow:adapter {contract}, which has no {function}; rebuild it on {}",
        crate::manifest::CURRENT_API_VERSION
    )]
    OlderContract {
        adapter: String,
        function: &'static str,
        contract: &'static str,
    },
    /// The adapter trapped (a panic, an out-of-bounds access, `unreachable`).
    #[error("adapter {adapter} trapped in {function}: {cause}")]
    Trap {
        adapter: String,
        function: &'static str,
        cause: String,
    },
    /// The call ran past its time limit and was stopped.
    #[error("adapter {adapter}: {function} timed out after {ms} ms and was stopped")]
    Timeout {
        adapter: String,
        function: &'static str,
        ms: u64,
    },
    /// The call tried to use more memory than its cap and was stopped.
    #[error("adapter {adapter}: {function} exceeded its memory cap of {mib} MiB and was stopped")]
    MemoryLimit {
        adapter: String,
        function: &'static str,
        mib: u32,
    },
    /// The call went past one of its per-call budgets (`limits.*` of the
    /// manifest) and was stopped.
    #[error("adapter {adapter}: {function} went past its {limit} and was stopped")]
    Budget {
        adapter: String,
        function: &'static str,
        /// The budget, as the manifest names it, e.g. `limits.outbound-requests = 100`.
        limit: String,
    },
    /// The adapter's circuit breaker is open after repeated failures; it was not called.
    #[error(
        "adapter {adapter}: {function} was not called: it failed repeatedly and its circuit breaker is open for another {retry_in_ms} ms"
    )]
    BreakerOpen {
        adapter: String,
        function: &'static str,
        retry_in_ms: u64,
    },
    /// The host could not run the call (no free instance slot, instantiation failed).
    #[error("adapter {adapter}: {function} could not be run: {message}")]
    Host {
        adapter: String,
        function: &'static str,
        message: String,
    },
}

impl CallError {
    /// Whether retrying later may succeed: the adapter is unavailable, or the
    /// call failed in a way that does not depend on its arguments alone.
    pub fn is_retryable(&self) -> bool {
        match self {
            CallError::Adapter { error, .. } => {
                matches!(error, model::AdapterError::Unavailable(_))
            }
            CallError::NotExported { .. } | CallError::OlderContract { .. } => false,
            CallError::Trap { .. }
            | CallError::Timeout { .. }
            | CallError::MemoryLimit { .. }
            | CallError::Budget { .. }
            | CallError::BreakerOpen { .. }
            | CallError::Host { .. } => true,
        }
    }

    /// A short machine-readable name of the kind of failure.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Adapter { error, .. } => match error {
                model::AdapterError::Invalid(_) => "invalid",
                model::AdapterError::NotFound(_) => "not_found",
                model::AdapterError::Unavailable(_) => "unavailable",
                model::AdapterError::Refused(_) => "refused",
            },
            CallError::NotExported { .. } => "not_exported",
            CallError::OlderContract { .. } => "older_contract",
            CallError::Trap { .. } => "trap",
            CallError::Timeout { .. } => "timeout",
            CallError::MemoryLimit { .. } => "memory",
            CallError::Budget { .. } => "budget",
            CallError::BreakerOpen { .. } => "breaker_open",
            CallError::Host { .. } => "host",
        }
    }
}

/// Which of the contract's interfaces a component exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interfaces {
    pub matters: bool,
    pub cases: bool,
    pub licenses: bool,
}

impl std::fmt::Display for Interfaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = [
            (self.matters, "matters"),
            (self.cases, "cases"),
            (self.licenses, "licenses"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if names.is_empty() {
            f.write_str("none of matters, cases, licenses")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}

fn mib_text(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
