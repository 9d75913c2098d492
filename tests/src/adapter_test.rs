//! The set-up of the per-department tests (`all/<department>.rs`): the
//! department's mock legacy system and its real adapter, loaded straight into a
//! runtime without the platform around it.

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use onewindow::adapter::breaker::BreakerConfig;
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
