//! The sandbox: a wasmtime engine that runs department adapters, one fresh
//! instance per call, each call bounded in time, memory and reach.
//!
//! Each capability an adapter can be granted is its own module that decides, from
//! the adapter's manifest, what is allowed: [`outbound`] (HTTP), [`exchange`]
//! (files), [`host_api`] (log and config), [`stdio`], and [`limits`] (memory).
//! [`WasmAdapter`] is how the platform's [`adapter::Adapter`] seam is served:
//! this file sets up the engine and loads components, [`call`] runs each call.

// Public (hidden) only so that tests/fuzz can feed its conversions the data an
// adapter returns without running a component.
#[doc(hidden)]
pub mod bindings;
mod call;
mod codecs;
mod exchange;
mod host_api;
mod limits;
mod outbound;
mod record;
mod stdio;
pub mod tape;
mod trace;

use std::collections::BTreeMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tracing::Instrument as _;
use wasmtime::component::{Component, HasSelf, InstancePre, Linker, ResourceTable};
use wasmtime::{
    Cache, CacheConfig, Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    Trap,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use bindings::{v0_1, v0_2};
use onewindow_platform::adapter::breaker::{Breaker, BreakerConfig, BreakerState};
use onewindow_platform::adapter::{self, Adapter as _, CallError, Interfaces, LoadError};
use onewindow_platform::exchange_log::Recorder;
use onewindow_platform::manifest::{self, Manifest, OutboundPrefix, Package};
use onewindow_platform::model;

pub use call::WarmInstance;
pub(crate) use call::{CallState, Stop};
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
    /// Where every call is recorded (the platform's exchange log); none records nothing.
    pub recorder: Option<Arc<dyn Recorder>>,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            exchange_root: PathBuf::from("data/exchange"),
            max_instances: 1000,
            breaker: BreakerConfig::default(),
            cache_dir: None,
            tape: None,
            recorder: None,
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
            // Between calls a slot's memory is reset to its initial image.
            // Where the kernel has PAGEMAP_SCAN (Linux 6.7+), only the pages
            // the call wrote are reset, and up to 1 MiB of them stay resident
            // for the next call instead of being given back and faulted in
            // again; without it, the first 1 MiB is copied back and zeroed
            // whole. Beyond that, pages are returned in batches to share the
            // cost of the syscall. Measured with `make bench`: see the README.
            .pagemap_scan(wasmtime::Enabled::Auto)
            .linear_memory_keep_resident(1024 * 1024)
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
            .and_then(|()| v0_1::host::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state))
            .and_then(|()| v0_2::host::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state))
            .and_then(|()| v0_2::codecs::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state))
            .and_then(|()| exchange::refuse_links(&mut linker))
            .and_then(|()| record::note_reads(&mut linker))
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
        let (exports, contract) = contract_exports(&self.engine, &component, &manifest)?;
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
        // The same for either version: their bindings differ only in type.
        macro_rules! guests {
            ($version:ident) => {
                Guests {
                    matters: exports
                        .matters
                        .then(|| $version::matters::GuestIndices::new(&pre))
                        .transpose()
                        .map_err(contract_error)?,
                    cases: exports
                        .cases
                        .then(|| $version::cases::GuestIndices::new(&pre))
                        .transpose()
                        .map_err(contract_error)?,
                    licenses: exports
                        .licenses
                        .then(|| $version::licenses::GuestIndices::new(&pre))
                        .transpose()
                        .map_err(contract_error)?,
                }
            };
        }
        let indices = match contract {
            "0.1.0" => Indices::V0_1(guests!(v0_1)),
            _ => Indices::V0_2(guests!(v0_2)),
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
                    recorder: self.config.recorder.clone(),
                    version: manifest.version.to_string(),
                }),
                permits: Semaphore::new(manifest.limits.max_concurrency as usize),
                breaker: Breaker::new(self.config.breaker),
                memory_high_water: AtomicU64::new(0),
                calls: AtomicU64::new(0),
                failed_calls: AtomicU64::new(0),
                manifest,
                sha256,
                exports,
                contract,
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

/// Reads the contract version and interfaces from the component's type before
/// anything is instantiated, so a mismatch is refused with a message rather
/// than a link error.
fn contract_exports(
    engine: &Engine,
    component: &Component,
    manifest: &Manifest,
) -> Result<(Interfaces, &'static str), LoadError> {
    let ty = component.component_type();
    let mut found = Interfaces::default();
    let mut other_versions = Vec::new();
    let mut versions = std::collections::BTreeSet::new();
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
        let Some(version) = served.iter().find(|v| **v == version) else {
            other_versions.push(format!("{interface}@{version}"));
            continue;
        };
        versions.insert(*version);
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
            "the component targets onewindow:adapter {} but this host serves versions {}; rebuild it against the served contract",
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
    let contract = match versions.into_iter().collect::<Vec<_>>()[..] {
        [one] => one,
        ref several => {
            return Err(contract_error(format!(
                "the component mixes onewindow:adapter versions {}; build it on one",
                several.join(" and ")
            )));
        }
    };
    if manifest.api_version() != contract {
        return Err(contract_error(format!(
            "its manifest says api = \"{}\" but the component is built on {}@{contract}; correct the manifest's api",
            manifest.api,
            manifest::API_PACKAGE
        )));
    }
    Ok((found, contract))
}

/// Where each exported interface's functions are in a component.
struct Guests<M, C, L> {
    matters: Option<M>,
    cases: Option<C>,
    licenses: Option<L>,
}

/// The component's exports, in the bindings of the version it is built on.
enum Indices {
    V0_1(
        Guests<
            v0_1::matters::GuestIndices,
            v0_1::cases::GuestIndices,
            v0_1::licenses::GuestIndices,
        >,
    ),
    V0_2(
        Guests<
            v0_2::matters::GuestIndices,
            v0_2::cases::GuestIndices,
            v0_2::licenses::GuestIndices,
        >,
    ),
}

/// What the host side of a call needs to know about its adapter.
struct Shared {
    id: String,
    outbound: Vec<OutboundPrefix>,
    config: BTreeMap<String, String>,
    tape: Option<Arc<tape::Tape>>,
    /// Where each call is recorded for the exchange log.
    recorder: Option<Arc<dyn Recorder>>,
    version: String,
}

struct AdapterInner {
    shared: Arc<Shared>,
    manifest: Manifest,
    sha256: String,
    exports: Interfaces,
    /// The contract version it is built on.
    contract: &'static str,
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
