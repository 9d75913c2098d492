//! One call of a loaded adapter: a fresh instance in its own store, with its
//! WASI and HTTP contexts, its memory limiter and its budgets (time, memory,
//! log, outbound requests and responses, exchange folder), and the failure
//! classified as the platform's [`CallError`].

use super::*;

/// Per-call state: one WASI context, one HTTP context, one memory limiter.
pub(crate) struct CallState {
    pub(crate) shared: Arc<Shared>,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: outbound::Hooks,
    table: ResourceTable,
    limits: limits::MemoryLimit,
    stderr: stdio::Tail,
    /// The names of the people the call concerns, masked in what the adapter
    /// logs, and what it may still log.
    pub(crate) names: stdio::Names,
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
