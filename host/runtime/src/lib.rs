//! The sandbox: a wasmtime engine that runs department adapters, one fresh
//! instance per call, each call bounded in time, memory and reach.
//!
//! Each capability an adapter can be granted is its own module that decides, from
//! the adapter's manifest, what is allowed: [`outbound`] (HTTP), [`exchange`]
//! (files), [`host_api`] (log and config), [`stdio`], and [`limits`] (memory).
//! [`WasmAdapter`] is how the platform's [`adapter::Adapter`] seam is served.

// Public (hidden) only so that tests/fuzz can feed its conversions the data an
// adapter returns without running a component.
#[doc(hidden)]
pub mod bindings;
mod exchange;
mod host_api;
mod limits;
mod outbound;
mod stdio;
pub mod tape;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    Trap,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use bindings::exports::onewindow::adapter::{cases, licenses, matters};
use onewindow_platform::adapter::breaker::{Breaker, BreakerConfig, BreakerState};
use onewindow_platform::adapter::{self, Adapter as _, CallError, Interfaces, LoadError};
use onewindow_platform::manifest::{self, Manifest, OutboundPrefix, Package};
use onewindow_platform::model;

pub use limits::MemoryCapExceeded;

/// How often the epoch ticks; call deadlines are counted in ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);

/// What one adapter's component may hold, and so what each of the pool's
/// `max_instances` slots is sized for. A component needing more is refused
/// when it is loaded, with its count. Rust adapters hold 2 to 3 core instances
/// and one memory; a Python adapter built with componentize-py holds 14 core
/// instances (CPython and its libraries, linked as separate modules).
pub mod per_call {
    /// Core module instances.
    pub const CORE_INSTANCES: u32 = 20;
    /// Linear memories.
    pub const MEMORIES: u32 = 2;
    /// Tables.
    pub const TABLES: u32 = 8;
}

/// How the runtime is set up.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// The folder under which adapters' exchange directories live.
    pub exchange_root: PathBuf,
    /// Adapter instances alive at once across all adapters (pooling allocator slots).
    pub max_instances: u32,
    /// When an adapter's circuit breaker opens, and for how long.
    pub breaker: BreakerConfig,
    /// Where compiled components are cached, keyed by the component's hash and
    /// the engine's configuration (wasmtime's own cache: only files it wrote are
    /// read back); none compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Outbound HTTP answered from (or recorded onto) a tape instead of the
    /// network, for `onewindow adapter test`; the grants still apply.
    pub tape: Option<Arc<tape::Tape>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            exchange_root: PathBuf::from("data/exchange"),
            max_instances: 1000,
            breaker: BreakerConfig::default(),
            cache_dir: None,
            tape: None,
        }
    }
}

/// The wasmtime engine and linker shared by every adapter.
pub struct Runtime {
    engine: Engine,
    linker: Linker<CallState>,
    config: RuntimeConfig,
    compile_cache: Option<Cache>,
    /// Which adapter id each exchange folder belongs to: the first to be
    /// loaded with it. Another id granted the same folder is refused.
    exchange_owners: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Sets up the engine (component model, pooling allocator, epoch deadlines)
    /// and starts the epoch ticker.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Self> {
        let mut pool = PoolingAllocationConfig::new();
        let slots = config.max_instances;
        pool.total_component_instances(slots)
            .max_core_instances_per_component(per_call::CORE_INSTANCES)
            .max_memories_per_component(per_call::MEMORIES)
            .max_tables_per_component(per_call::TABLES)
            .total_core_instances(slots.saturating_mul(per_call::CORE_INSTANCES))
            .total_memories(slots.saturating_mul(per_call::MEMORIES))
            .total_tables(slots.saturating_mul(per_call::TABLES))
            .total_stacks(slots)
            .max_memory_size(manifest::maxima::MEMORY_MIB as usize * 1024 * 1024)
            // Between calls a slot's memory is reset. Zeroing the first 256 KiB
            // (an adapter's 128 KiB stack, its data and the start of its heap,
            // see plugins/.cargo/config.toml) is cheaper than giving those pages
            // back and faulting them in again on the next call; beyond that,
            // pages are returned in batches to share the cost of the syscall.
            // Measured with `make bench`: see the README.
            .linear_memory_keep_resident(256 * 1024)
            .table_keep_resident(64 * 1024)
            .decommit_batch_size(16);
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_init_cow(true)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        let compile_cache = match &config.cache_dir {
            None => None,
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    anyhow::anyhow!("creating the compile cache {}: {e}", dir.display())
                })?;
                // wasmtime wants an absolute folder; the configuration may be relative.
                let dir = std::fs::canonicalize(dir).map_err(|e| {
                    anyhow::anyhow!("finding the compile cache {}: {e}", dir.display())
                })?;
                let mut cache = CacheConfig::new();
                cache.with_directory(dir);
                let cache = Cache::new(cache).map_err(|e| anyhow::anyhow!("{e:#}"))?;
                wasm.cache(Some(cache.clone()));
                Some(cache)
            }
        };
        let engine = Engine::new(&wasm).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        start_epoch_ticker(&engine);

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .and_then(|()| wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker))
            .and_then(|()| {
                bindings::onewindow::adapter::host::add_to_linker::<_, HasSelf<_>>(
                    &mut linker,
                    |state| state,
                )
            })
            .and_then(|()| exchange::refuse_links(&mut linker))
            .map_err(|e| anyhow::anyhow!("cannot set up the adapter linker: {e:#}"))?;
        Ok(Self {
            engine,
            linker,
            config,
            compile_cache,
            exchange_owners: Default::default(),
        })
    }

    /// Components found in the compile cache and compiled afresh so far; none
    /// without a cache.
    pub fn compile_cache_stats(&self) -> Option<(usize, usize)> {
        self.compile_cache
            .as_ref()
            .map(|cache| (cache.cache_hits(), cache.cache_misses()))
    }

    /// The engine, for the precompile cache and benchmarks.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Reads a package directory and loads its adapter.
    pub fn load_dir(&self, dir: &Path) -> Result<WasmAdapter, LoadError> {
        let package = Package::read(dir)?;
        self.load(package.manifest, &package.component, package.sha256)
    }

    /// Compiles and checks a component against its manifest and prepares it for
    /// calls. Nothing of the adapter runs here.
    pub fn load(
        &self,
        manifest: Manifest,
        wasm: &[u8],
        sha256: String,
    ) -> Result<WasmAdapter, LoadError> {
        let id = manifest.id.clone();
        let component = Component::new(&self.engine, wasm).map_err(|e| LoadError::Compile {
            adapter: id.clone(),
            message: format!("{e:#}"),
        })?;
        let bytes = initial_memory(wasm).map_err(|message| LoadError::Compile {
            adapter: id.clone(),
            message,
        })?;
        if bytes > u64::from(manifest.limits.memory_mib) * 1024 * 1024 {
            return Err(LoadError::InitialMemory {
                adapter: id,
                bytes,
                mib: manifest.limits.memory_mib,
            });
        }
        let exports = contract_exports(&self.engine, &component, &manifest)?;
        let imports: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect();
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link {
                adapter: id.clone(),
                message: format!("{e:#}"),
            })?;
        let contract_error = |e: wasmtime::Error| LoadError::Contract {
            adapter: id.clone(),
            message: format!("{e:#}"),
        };
        let indices = Indices {
            matters: exports
                .matters
                .then(|| matters::GuestIndices::new(&pre))
                .transpose()
                .map_err(contract_error)?,
            cases: exports
                .cases
                .then(|| cases::GuestIndices::new(&pre))
                .transpose()
                .map_err(contract_error)?,
            licenses: exports
                .licenses
                .then(|| licenses::GuestIndices::new(&pre))
                .transpose()
                .map_err(contract_error)?,
        };
        if let Some(folder) = &manifest.grants.exchange_dir {
            let mut owners = self
                .exchange_owners
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let owner = owners.entry(folder.clone()).or_insert_with(|| id.clone());
            if *owner != id {
                return Err(LoadError::ExchangeTaken {
                    adapter: id.clone(),
                    folder: folder.clone(),
                    owner: owner.clone(),
                });
            }
        }
        let quota = exchange::Quota {
            bytes: u64::from(manifest.limits.exchange_mib) * 1024 * 1024,
            files: u64::from(manifest.limits.exchange_files),
            mib: manifest.limits.exchange_mib,
        };
        let exchange = manifest
            .grants
            .exchange_dir
            .as_ref()
            .map(|name| {
                exchange::Exchange::open(&self.config.exchange_root, name, quota)
                    .map(Arc::new)
                    .map_err(|(path, source)| LoadError::Exchange {
                        adapter: id.clone(),
                        path,
                        source,
                    })
            })
            .transpose()?;
        Ok(WasmAdapter {
            inner: Arc::new(AdapterInner {
                shared: Arc::new(Shared {
                    id: id.clone(),
                    outbound: manifest.outbound(),
                    config: manifest.config.clone(),
                    tape: self.config.tape.clone(),
                }),
                permits: Semaphore::new(manifest.limits.max_concurrency as usize),
                breaker: Breaker::new(self.config.breaker),
                memory_high_water: AtomicU64::new(0),
                calls: AtomicU64::new(0),
                failed_calls: AtomicU64::new(0),
                manifest,
                sha256,
                exports,
                imports,
                indices,
                pre,
                exchange,
            }),
        })
    }
}

impl adapter::Loader for Runtime {
    fn load(
        &self,
        manifest: Manifest,
        component: &[u8],
        sha256: String,
    ) -> Result<Arc<dyn adapter::Adapter>, LoadError> {
        Runtime::load(self, manifest, component, sha256)
            .map(|adapter| Arc::new(adapter) as Arc<dyn adapter::Adapter>)
    }

    fn cache_stats(&self) -> Option<(usize, usize)> {
        self.compile_cache_stats()
    }
}

fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("onewindow-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch ticker thread");
}

/// Reads the contract version and interfaces from the component's type, so a
/// mismatch is refused with a message rather than a link error.
fn contract_exports(
    engine: &Engine,
    component: &Component,
    manifest: &Manifest,
) -> Result<Interfaces, LoadError> {
    let ty = component.component_type();
    let mut found = Interfaces::default();
    let mut other_versions = Vec::new();
    let served = manifest::SERVED_API_VERSIONS;
    let names = ty
        .exports(engine)
        .map(|(name, _)| name.to_owned())
        .chain(ty.imports(engine).map(|(name, _)| name.to_owned()));
    for name in names {
        let Some(rest) = name.strip_prefix("onewindow:adapter/") else {
            continue;
        };
        let (interface, version) = rest.split_once('@').unwrap_or((rest, ""));
        if !served.contains(&version) {
            other_versions.push(format!("{interface}@{version}"));
            continue;
        }
        match interface {
            "matters" => found.matters = true,
            "cases" => found.cases = true,
            "licenses" => found.licenses = true,
            _ => {}
        }
    }
    let contract_error = |message: String| LoadError::Contract {
        adapter: manifest.id.clone(),
        message,
    };
    if !other_versions.is_empty() {
        return Err(contract_error(format!(
            "the component targets onewindow:adapter {} but this host serves version {}; rebuild it against the served contract",
            other_versions.join(", "),
            served.join(", ")
        )));
    }
    if found == Interfaces::default() {
        return Err(contract_error(format!(
            "the component exports none of onewindow:adapter/matters, cases or licenses @{}; is it built with the onewindow SDK?",
            served.join(", ")
        )));
    }
    Ok(found)
}

struct Indices {
    matters: Option<matters::GuestIndices>,
    cases: Option<cases::GuestIndices>,
    licenses: Option<licenses::GuestIndices>,
}

/// What the host side of a call needs to know about its adapter.
struct Shared {
    id: String,
    outbound: Vec<OutboundPrefix>,
    config: BTreeMap<String, String>,
    tape: Option<Arc<tape::Tape>>,
}

struct AdapterInner {
    shared: Arc<Shared>,
    manifest: Manifest,
    sha256: String,
    exports: Interfaces,
    /// The names of the interfaces the component imports.
    imports: Vec<String>,
    indices: Indices,
    pre: InstancePre<CallState>,
    exchange: Option<Arc<exchange::Exchange>>,
    permits: Semaphore,
    breaker: Breaker,
    /// The most linear memory any call has reached, bytes.
    memory_high_water: AtomicU64,
    /// Calls asked of it, and those that failed (its own answers such as
    /// `invalid` included; refusals of an open breaker too).
    calls: AtomicU64,
    failed_calls: AtomicU64,
}

/// An adapter loaded into the sandbox: cheap to clone, safe to call from many
/// tasks at once. The platform reaches it as an [`adapter::Adapter`].
#[derive(Clone)]
pub struct WasmAdapter {
    inner: Arc<AdapterInner>,
}

impl std::fmt::Debug for WasmAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmAdapter")
            .field("id", &self.id())
            .field("version", &self.inner.manifest.version)
            .field("exports", &self.inner.exports)
            .finish_non_exhaustive()
    }
}

/// Per-call state: one WASI context, one HTTP context, one memory limiter.
pub(crate) struct CallState {
    shared: Arc<Shared>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: outbound::Hooks,
    table: ResourceTable,
    limits: limits::MemoryLimit,
    stderr: stdio::Tail,
    /// The names of the people the call concerns, masked in what the adapter
    /// logs, and what it may still log.
    names: stdio::Names,
    /// Set when the call went past a budget: it is stopped at the next tick.
    stop: Stop,
    /// The exchange folder's quota, measured as the call runs.
    exchange: Option<exchange::Watch>,
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

#[async_trait::async_trait]
impl adapter::Adapter for WasmAdapter {
    fn id(&self) -> &str {
        &self.inner.shared.id
    }

    fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    fn sha256(&self) -> &str {
        &self.inner.sha256
    }

    fn exports(&self) -> Interfaces {
        self.inner.exports
    }

    fn imports(&self) -> Vec<String> {
        self.inner.imports.clone()
    }

    fn health(&self) -> adapter::Health {
        adapter::Health {
            calls: self.inner.calls.load(Ordering::Relaxed),
            failed_calls: self.inner.failed_calls.load(Ordering::Relaxed),
            breaker: self.inner.breaker.state().name(),
            memory_high_water: self.inner.memory_high_water.load(Ordering::Relaxed),
        }
    }

    /// `matters.list`.
    async fn list_matters(&self) -> Result<Vec<model::Matter>, CallError> {
        const F: &str = "matters.list";
        let indices = self.indices(F, self.inner.indices.matters.as_ref())?;
        self.call(F, Budget::PLATFORM, async move |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_list(&mut *store).await
        })
        .await
        .map(|matters| matters.into_iter().map(Into::into).collect())
    }

    /// `cases.submit`.
    async fn submit_case(&self, submission: &model::CaseSubmission) -> Result<String, CallError> {
        const F: &str = "cases.submit";
        let indices = self.indices(F, self.inner.indices.cases.as_ref())?;
        let arg = bindings::types::CaseSubmission::from(submission.clone());
        let names: Vec<String> = std::iter::once(&submission.applicant)
            .chain(submission.licenses.iter().map(|l| &l.license.holder))
            .map(|party| party.name().to_owned())
            .collect();
        self.call(F, Budget::PLATFORM, async move |store, instance| {
            store.data_mut().names.set(names);
            let guest = indices.load(&mut *store, instance)?;
            guest.call_submit(&mut *store, &arg).await
        })
        .await
    }

    /// `cases.events`.
    async fn case_events(&self, cursor: Option<&str>) -> Result<model::EventPage, CallError> {
        const F: &str = "cases.events";
        let indices = self.indices(F, self.inner.indices.cases.as_ref())?;
        let cursor = cursor.map(str::to_owned);
        self.call(F, Budget::PLATFORM, async move |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_events(&mut *store, cursor.as_deref()).await
        })
        .await
        .and_then(|page| page.try_into().map_err(|e| self.bad_output(F, e)))
    }

    /// `cases.on-notify`.
    async fn on_notify(
        &self,
        body: &[u8],
        content_type: &str,
    ) -> Result<Vec<model::CaseEvent>, CallError> {
        const F: &str = "cases.on-notify";
        let indices = self.indices(F, self.inner.indices.cases.as_ref())?;
        let (body, content_type) = (body.to_vec(), content_type.to_owned());
        self.call(F, Budget::PUSH, async move |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest
                .call_on_notify(&mut *store, &body, &content_type)
                .await
        })
        .await
        .and_then(|events| {
            events
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()
                .map_err(|e| self.bad_output(F, e))
        })
    }

    /// `licenses.by-holder`, given up (as a timeout) after `within` if that is
    /// shorter than the call timeout.
    async fn licenses_by_holder_within(
        &self,
        holder: &model::Party,
        within: Duration,
    ) -> Result<Vec<model::License>, CallError> {
        const F: &str = "licenses.by-holder";
        let indices = self.indices(F, self.inner.indices.licenses.as_ref())?;
        let names = vec![holder.name().to_owned()];
        let holder = bindings::types::Party::from(holder.clone());
        self.call(F, Budget::within(within), async move |store, instance| {
            store.data_mut().names.set(names);
            let guest = indices.load(&mut *store, instance)?;
            guest.call_by_holder(&mut *store, &holder).await
        })
        .await
        .and_then(|licenses| {
            licenses
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()
                .map_err(|e| self.bad_output(F, e))
        })
    }

    /// `licenses.verify`, given up (as a timeout) after `within` if that is
    /// shorter than the call timeout.
    async fn verify_license_within(
        &self,
        type_code: &str,
        number: &str,
        within: Duration,
    ) -> Result<Option<model::License>, CallError> {
        const F: &str = "licenses.verify";
        let indices = self.indices(F, self.inner.indices.licenses.as_ref())?;
        let (type_code, number) = (type_code.to_owned(), number.to_owned());
        self.call(F, Budget::within(within), async move |store, instance| {
            let guest = indices.load(&mut *store, instance)?;
            guest.call_verify(&mut *store, &type_code, &number).await
        })
        .await
        .and_then(|license| {
            license
                .map(TryInto::try_into)
                .transpose()
                .map_err(|e| self.bad_output(F, e))
        })
    }
}

impl WasmAdapter {
    fn indices<'a, I>(
        &self,
        function: &'static str,
        indices: Option<&'a I>,
    ) -> Result<&'a I, CallError> {
        indices.ok_or_else(|| CallError::NotExported {
            adapter: self.id().to_owned(),
            function,
            exports: self.inner.exports.to_string(),
        })
    }

    fn bad_output(&self, function: &'static str, problem: String) -> CallError {
        CallError::Adapter {
            adapter: self.id().to_owned(),
            function,
            error: model::AdapterError::Unavailable(format!(
                "the adapter answered with data the platform cannot use: {problem}"
            )),
        }
    }

    fn new_store(&self) -> Store<CallState> {
        let inner = &*self.inner;
        let stderr = stdio::Tail::default();
        let names = stdio::Names::new(inner.manifest.limits.log_kib as usize * 1024);
        let stop = Stop::default();
        let mut wasi = WasiCtx::builder();
        wasi.stdout(stdio::LogStream::new(
            &inner.shared.id,
            "stdout",
            None,
            names.clone(),
        ))
        .stderr(stdio::LogStream::new(
            &inner.shared.id,
            "stderr",
            Some(stderr.clone()),
            names.clone(),
        ));
        if let Some(exchange) = &inner.exchange {
            // The folder was opened at load time and is given by its handle; if
            // it cannot be, the adapter sees no /exchange and reports that itself.
            if let Err(e) = wasi.preopened_dir(
                exchange.handle_path(),
                exchange::GUEST_PATH,
                wasmtime_wasi::FsPerms::ReadWrite,
            ) {
                tracing::warn!(adapter = %inner.shared.id, dir = %exchange.path().display(), "exchange directory unavailable: {e:#}");
            }
        }
        let state = CallState {
            shared: inner.shared.clone(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            hooks: outbound::Hooks::new(
                inner.shared.clone(),
                inner.manifest.limits.outbound_requests,
                inner.manifest.limits.response_mib,
                stop.clone(),
            ),
            table: ResourceTable::new(),
            limits: limits::MemoryLimit::new(inner.manifest.limits.memory_mib),
            stderr,
            names,
            stop: stop.clone(),
            exchange: inner.exchange.clone().map(exchange::Watch::new),
        };
        let mut store = Store::new(self.inner.pre.engine(), state);
        store.limiter(|state| &mut state.limits);
        // The guest yields to the executor at every epoch tick, so a looping
        // adapter never holds a worker thread (and every other adapter's calls)
        // for longer than a tick, and the call's timer can stop it. Past the
        // call timeout it is interrupted where it runs, should the timer not be
        // polled in time.
        let timeout = Duration::from_millis(inner.manifest.limits.call_timeout_ms);
        let created = Instant::now();
        store.epoch_deadline_callback(move |mut store| {
            let state = store.data_mut();
            if let Some(limit) = state.exchange.as_mut().and_then(exchange::Watch::tick) {
                state.stop.stop(limit);
            }
            Ok(if created.elapsed() > timeout || state.stop.is_set() {
                wasmtime::UpdateDeadline::Interrupt
            } else {
                // tokio's own yield puts the call behind every task waiting.
                wasmtime::UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now()))
            })
        });
        store.set_epoch_deadline(1);
        store
    }

    /// Runs one call on a fresh instance, bounded by the adapter's concurrency
    /// limit and call timeout, and turns every way it can fail into a [`CallError`].
    async fn call<R, W>(
        &self,
        function: &'static str,
        budget: Budget,
        body: impl AsyncFnOnce(
            &mut Store<CallState>,
            &wasmtime::component::Instance,
        ) -> wasmtime::Result<Result<R, W>>,
    ) -> Result<R, CallError>
    where
        W: Into<model::AdapterError>,
    {
        let inner = &*self.inner;
        let adapter = || inner.shared.id.clone();
        let limits = &inner.manifest.limits;
        let labels = [
            ("adapter", inner.shared.id.clone()),
            ("version", inner.manifest.version.to_string()),
        ];
        inner.calls.fetch_add(1, Ordering::Relaxed);
        let refused = |wait: Duration| {
            inner.failed_calls.fetch_add(1, Ordering::Relaxed);
            let error = CallError::BreakerOpen {
                adapter: adapter(),
                function,
                retry_in_ms: u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            };
            metrics::counter!(
                "onewindow_adapter_calls_total",
                &[
                    &labels[..],
                    &[
                        ("function", function.to_owned()),
                        ("outcome", error.kind().to_owned())
                    ]
                ]
                .concat()
            )
            .increment(1);
            error
        };
        // An open breaker refuses at once, without queueing for a slot; the
        // call is admitted (and may become the trial) only once it holds one,
        // so time spent waiting for a slot is never the adapter's failure.
        if budget.breaker {
            inner.breaker.check(Instant::now()).map_err(refused)?;
        }
        let _permit = inner.permits.acquire().await.map_err(|_| CallError::Host {
            adapter: adapter(),
            function,
            message: "the adapter is shutting down".into(),
        })?;
        let admission = if budget.breaker {
            Some(inner.breaker.enter().map_err(refused)?)
        } else {
            None
        };
        let timeout_ms = limits
            .call_timeout_ms
            .min(u64::try_from(budget.within.as_millis()).unwrap_or(u64::MAX));
        let started = Instant::now();
        let mut store = self.new_store();
        let stderr = store.data().stderr.clone();
        let stop = store.data().stop.clone();
        let run = async {
            let instance = inner
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(Failure::Instantiate)?;
            body(&mut store, &instance).await.map_err(Failure::Call)
        };
        let outcome = with_timeout(Duration::from_millis(timeout_ms), run).await;
        // A call that went past a budget fails with it, however it ended: trapped
        // at the tick, or answered before the tick came. One that grew its
        // exchange folder past the quota too: what it wrote stays for the
        // department, and a retry waits until the department has collected it.
        let over_budget = stop.reason().or_else(|| {
            store
                .data()
                .exchange
                .as_ref()
                .and_then(exchange::Watch::check)
        });
        let result = match outcome {
            _ if over_budget.is_some() => Err(CallError::Budget {
                adapter: adapter(),
                function,
                limit: over_budget.unwrap_or_default(),
            }),
            Some(Ok(Ok(answer))) => Ok(answer),
            Some(Ok(Err(error))) => Err(CallError::Adapter {
                adapter: adapter(),
                function,
                error: error.into(),
            }),
            None => Err(CallError::Timeout {
                adapter: adapter(),
                function,
                ms: timeout_ms,
            }),
            Some(Err(failure)) => Err(classify(failure, adapter(), function, limits, &stderr)),
        };
        let dropped = store.data().names.dropped();
        if dropped > 0 {
            metrics::counter!("onewindow_adapter_log_dropped_bytes_total", &labels)
                .increment(dropped as u64);
            tracing::warn!(
                adapter = %inner.shared.id,
                function,
                dropped,
                "the call logged more than its limits.log-kib = {}; the rest was dropped",
                limits.log_kib
            );
        }
        let elapsed = started.elapsed();
        if result.is_err() {
            inner.failed_calls.fetch_add(1, Ordering::Relaxed);
        }
        let reached = store.data().limits.high_water as u64;
        let high_water = inner
            .memory_high_water
            .fetch_max(reached, Ordering::Relaxed)
            .max(reached);
        metrics::gauge!("onewindow_adapter_memory_high_water_bytes", &labels)
            .set(high_water as f64);
        if let Some(admission) = admission {
            admission.finish(result.as_ref().is_err_and(CallError::is_retryable));
        }
        let open = !matches!(inner.breaker.state(), BreakerState::Closed { .. });
        metrics::gauge!("onewindow_adapter_breaker_open", &labels).set(f64::from(u8::from(open)));
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind(),
        };
        let labels = [
            labels[0].clone(),
            labels[1].clone(),
            ("function", function.to_owned()),
        ];
        metrics::counter!(
            "onewindow_adapter_calls_total",
            &[&labels[..], &[("outcome", outcome.to_owned())]].concat()
        )
        .increment(1);
        metrics::histogram!("onewindow_adapter_call_seconds", &labels)
            .record(elapsed.as_secs_f64());
        match &result {
            Ok(_) => {
                tracing::debug!(adapter = %inner.shared.id, function, ?elapsed, "adapter call")
            }
            Err(e) => {
                tracing::warn!(adapter = %inner.shared.id, function, ?elapsed, kind = e.kind(), "{e}")
            }
        }
        result
    }
}

/// The linear memory a component's core modules define at their start, bytes:
/// what each call takes before it runs a line (imported memories are counted
/// where they are defined).
fn initial_memory(wasm: &[u8]) -> Result<u64, String> {
    let binary = wat::parse_bytes(wasm).map_err(|e| e.to_string())?;
    let mut total: u64 = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&binary) {
        if let wasmparser::Payload::MemorySection(memories) = payload.map_err(|e| e.to_string())? {
            for memory in memories {
                let memory = memory.map_err(|e| e.to_string())?;
                let page = 1u64 << memory.page_size_log2.unwrap_or(16);
                total = total.saturating_add(memory.initial.saturating_mul(page));
            }
        }
    }
    Ok(total)
}

/// Why a call is to be stopped at the next epoch tick: the budget it went past.
#[derive(Clone, Default)]
pub(crate) struct Stop(Arc<std::sync::OnceLock<String>>);

impl Stop {
    /// Stops the call for going past `limit` (the first reason stays).
    pub(crate) fn stop(&self, limit: String) {
        let _ = self.0.set(limit);
    }

    fn reason(&self) -> Option<String> {
        self.0.get().cloned()
    }

    fn is_set(&self) -> bool {
        self.0.get().is_some()
    }
}

/// How a call counts and how long it may take.
#[derive(Debug, Clone, Copy)]
struct Budget {
    /// Whether its outcome counts toward the breaker (and an open breaker refuses it).
    breaker: bool,
    /// How long the caller waits, when shorter than the call timeout.
    within: Duration,
}

impl Budget {
    /// A call the platform makes of its own accord: delivery, polling, the catalogue.
    const PLATFORM: Budget = Budget {
        breaker: true,
        within: Duration::MAX,
    };
    /// A push from the department: anyone may send one, so it neither counts
    /// toward the breaker nor is refused by it.
    const PUSH: Budget = Budget {
        breaker: false,
        within: Duration::MAX,
    };

    /// A platform call whose caller waits at most `within`.
    fn within(within: Duration) -> Budget {
        Budget {
            within,
            ..Budget::PLATFORM
        }
    }
}

/// An instance kept alive across calls, so benchmarks can tell the cost of a
/// call from the cost of instantiation. The platform itself always calls a fresh
/// instance, so no state survives from one call to the next.
#[doc(hidden)]
pub struct WarmInstance {
    store: Store<CallState>,
    cases: cases::Guest,
}

impl WarmInstance {
    /// `cases.events` on the kept instance.
    pub async fn case_events(&mut self, cursor: Option<&str>) -> wasmtime::Result<()> {
        let page = self.cases.call_events(&mut self.store, cursor).await?;
        std::hint::black_box(page.ok());
        Ok(())
    }
}

impl WasmAdapter {
    /// Instantiates once for repeated calls; see [`WarmInstance`].
    #[doc(hidden)]
    pub async fn warm_instance(&self) -> wasmtime::Result<WarmInstance> {
        let indices = self
            .inner
            .indices
            .cases
            .as_ref()
            .ok_or_else(|| wasmtime::format_err!("the adapter does not export cases"))?;
        let mut store = self.new_store();
        // No deadline: the instance lives as long as the benchmark needs it.
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.inner.pre.instantiate_async(&mut store).await?;
        let cases = indices.load(&mut store, &instance)?;
        Ok(WarmInstance { store, cases })
    }
}

enum Failure {
    Instantiate(wasmtime::Error),
    Call(wasmtime::Error),
}

async fn with_timeout<T>(limit: Duration, fut: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(limit, fut).await.ok()
}

fn classify(
    failure: Failure,
    adapter: String,
    function: &'static str,
    limits: &manifest::Limits,
    stderr: &stdio::Tail,
) -> CallError {
    let (error, instantiating) = match failure {
        Failure::Instantiate(e) => (e, true),
        Failure::Call(e) => (e, false),
    };
    if error.downcast_ref::<MemoryCapExceeded>().is_some() {
        return CallError::MemoryLimit {
            adapter,
            function,
            mib: limits.memory_mib,
        };
    }
    if let Some(trap) = error.downcast_ref::<Trap>() {
        if *trap == Trap::Interrupt {
            return CallError::Timeout {
                adapter,
                function,
                ms: limits.call_timeout_ms,
            };
        }
        let said = stderr.last();
        let cause = match said {
            Some(line) => format!("{trap} (the adapter said: {line})"),
            None => trap.to_string(),
        };
        return CallError::Trap {
            adapter,
            function,
            cause,
        };
    }
    if instantiating {
        CallError::Host {
            adapter,
            function,
            message: format!("cannot instantiate: {error:#}"),
        }
    } else {
        CallError::Trap {
            adapter,
            function,
            cause: format!("{error:#}"),
        }
    }
}
