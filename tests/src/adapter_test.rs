//! The set-up of the per-department tests (`all/<department>.rs`): the
//! department's mock legacy system and its real adapter, loaded straight into a
//! runtime without the platform around it.

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use onewindow::adapter::breaker::BreakerConfig;
use onewindow::adapter::{Adapter as _, CallError};
use onewindow::model::{AdapterError, CaseEvent, CaseStatus, LicenseEvent};
use onewindow::runtime::{Runtime, WasmAdapter};

use crate::{Department, TestPackage};

/// The time the mocks of the per-department tests give each case step.
pub const STAGE: Duration = Duration::from_millis(30);

/// The `[limits]` of the adapters under test: each call may take 5 s.
pub const LIMITS: &str = "call-timeout-ms = 5000";

/// A mock's configuration: [`STAGE`] per step, no faults.
pub fn mock_config() -> legacy_systems::common::department::Config {
    legacy_systems::common::department::Config {
        stage: STAGE,
        ..Default::default()
    }
}

/// A running mock department and its adapter, loaded; the package, the runtime
/// and the runtime's exchange root live as long as this does.
pub struct AdapterTest<M> {
    pub mock: M,
    pub adapter: WasmAdapter,
    _package: TestPackage,
    pub runtime: Runtime,
    pub exchange: tempfile::TempDir,
}

impl<M> AdapterTest<M> {
    /// Makes a runtime whose exchange root is a fresh temporary folder, starts
    /// the mock with `start` (given that root), and loads the adapter of
    /// `department` (given the mock) with [`LIMITS`].
    ///
    /// The adapter's circuit breaker opens only after 1000 failures: these tests
    /// make the legacy system fail on purpose, many times in a row, and the
    /// breaker (tested in runtime.rs) must not stand in their way.
    pub async fn start<F>(
        start: impl FnOnce(&Path) -> F,
        department: impl FnOnce(&M) -> Department,
    ) -> Self
    where
        F: Future<Output = anyhow::Result<M>>,
    {
        let (runtime, exchange) = crate::runtime_with(BreakerConfig {
            failures: 1000,
            ..BreakerConfig::default()
        });
        let mock = start(exchange.path())
            .await
            .expect("starting the mock legacy system");
        let department = Department {
            limits: LIMITS.into(),
            ..department(&mock)
        };
        let package = TestPackage::new(department.component, &department.manifest());
        let adapter = runtime
            .load_dir(package.path())
            .expect("loading the adapter");
        Self {
            mock,
            adapter,
            _package: package,
            runtime,
            exchange,
        }
    }
}

impl<M> AdapterTest<M> {
    /// Every event from `cursor` on, as far as they go now: case events and
    /// license events; `cursor` moves past them.
    pub async fn events_now(
        &self,
        cursor: &mut Option<String>,
    ) -> (Vec<CaseEvent>, Vec<LicenseEvent>) {
        let (mut cases, mut licenses) = (Vec::new(), Vec::new());
        loop {
            let page = self.adapter.case_events(cursor.as_deref()).await.unwrap();
            cases.extend(page.events);
            licenses.extend(page.license_events);
            *cursor = page.next_cursor.or(cursor.take());
            if !page.more {
                return (cases, licenses);
            }
        }
    }

    /// Follows the events from `cursor` until `case_no` reaches `status`
    /// (within 30 s); its case events.
    pub async fn events_until(
        &self,
        case_no: &str,
        cursor: &mut Option<String>,
        status: CaseStatus,
    ) -> Vec<CaseEvent> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut mine = Vec::new();
        loop {
            let (cases, _) = self.events_now(cursor).await;
            mine.extend(cases.into_iter().filter(|e| e.case_no == case_no));
            if mine.last().is_some_and(|e| e.status == status) {
                return mine;
            }
            assert!(
                Instant::now() < deadline,
                "{case_no} never reached {status:?}: {mine:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The statuses of `events`, in order.
pub fn statuses(events: &[CaseEvent]) -> Vec<CaseStatus> {
    events.iter().map(|e| e.status).collect()
}

/// The adapter's own answer in `err`; anything else (a trap, a timeout) fails the test.
#[track_caller]
pub fn adapter_error(err: &CallError) -> &AdapterError {
    match err {
        CallError::Adapter { error, .. } => error,
        other => panic!("expected the adapter's own error, got {other:?}"),
    }
}
