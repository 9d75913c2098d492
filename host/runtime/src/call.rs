//! One call of a loaded adapter: a fresh instance in its own store, with its
//! WASI and HTTP contexts, its memory limiter and its budgets (time, memory,
//! log, outbound requests and responses, exchange folder), and the failure
//! classified as the platform's [`CallError`].

use super::*;
use onewindow_platform::exchange_log::{self, CallRecord, Mode, Policy, is_credential};

/// Runs one call of `$interface` on whichever contract version the adapter is
/// built on: the versions' bindings are different types with the same method
/// names, so `$body` (with `$guest` loaded in `$store`) and `$then` (applied to
/// its answer) are written once and compiled for each.
macro_rules! call_guest {
    ($self:ident, $function:expr, $budget:expr, $interface:ident,
        |$store:ident, $guest:ident| $body:expr, then $then:expr) => {
        match &$self.inner.indices {
            Indices::V0_1(guests) => {
                let indices = $self.indices($function, guests.$interface.as_ref())?;
                $self
                    .call($function, $budget, async move |$store, instance| {
                        let $guest = indices.load(&mut *$store, instance)?;
                        $body
                    })
                    .await
                    .and_then($then)
            }
            Indices::V0_2(guests) => {
                let indices = $self.indices($function, guests.$interface.as_ref())?;
                $self
                    .call($function, $budget, async move |$store, instance| {
                        let $guest = indices.load(&mut *$store, instance)?;
                        $body
                    })
                    .await
                    .and_then($then)
            }
        }
    };
}

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
    /// What the exchange log keeps of the call, if it keeps anything.
    pub(crate) log: Option<CallLog>,
}

/// The call's record for the exchange log, filled in as it runs.
pub(crate) struct CallLog {
    policy: Policy,
    http: record::HttpLog,
    /// The cases it concerns.
    case_nos: Vec<String>,
    /// Its argument as `adapter call` takes it (full mode only).
    argument: Option<serde_json::Value>,
    /// The exchange folder's files before the call.
    files_before: Option<record::Listing>,
    /// The exchange folder's files it opened.
    opened: record::Opened,
    /// A status poll that found nothing new: not kept when it succeeds, or
    /// the polls every few seconds would drown the log.
    idle: bool,
}

impl CallLog {
    /// Notes a file or folder of the exchange folder the call opened.
    pub(crate) fn opened(
        &mut self,
        parent: u32,
        opened: u32,
        path: &str,
        oflags: wasmtime_wasi::p2::bindings::filesystem::types::OpenFlags,
        flags: wasmtime_wasi::p2::bindings::filesystem::types::DescriptorFlags,
    ) {
        use wasmtime_wasi::p2::bindings::filesystem::types::{DescriptorFlags, OpenFlags};
        let writes = flags.contains(DescriptorFlags::WRITE)
            || oflags.intersects(OpenFlags::CREATE | OpenFlags::TRUNCATE);
        self.opened.note(
            parent,
            opened,
            path,
            oflags.contains(OpenFlags::DIRECTORY),
            writes,
        );
    }
}

impl CallState {
    /// Notes the cases the call concerns, for the exchange log.
    fn note_cases(&mut self, case_nos: impl IntoIterator<Item = String>) {
        if let Some(log) = &mut self.log {
            log.case_nos.extend(case_nos);
        }
    }

    /// Notes the cases of the events a push was translated into.
    fn note_events<E>(&mut self, events: &Result<model::Events, E>) {
        if let Ok(events) = events {
            self.note_cases(events.events.iter().map(|e| e.case_no.clone()));
        }
    }

    /// Notes the call's argument (built only when the log keeps it), for the
    /// exchange log; one longer than the body limit is noted by its size.
    fn note_argument(&mut self, argument: impl FnOnce() -> serde_json::Value) {
        if let Some(log) = &mut self.log
            && log.policy.mode == Mode::Full
        {
            let argument = argument();
            let size = argument.to_string().len();
            log.argument = Some(if size > log.policy.max_body_bytes {
                serde_json::json!({ "omitted": format!("{size} bytes, over the exchange log's max-body-kib") })
            } else {
                argument
            });
        }
    }
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

    fn contract(&self) -> &'static str {
        self.inner.contract
    }

    /// `matters.list`.
    async fn list_matters(&self) -> Result<Vec<model::Matter>, CallError> {
        call_guest!(self, "matters.list", Budget::PLATFORM, matters,
            |store, guest| guest.call_list(store).await,
            then |matters: Vec<_>| Ok(matters.into_iter().map(Into::into).collect()))
    }

    /// `cases.submit`.
    async fn submit_case(&self, submission: &model::CaseSubmission) -> Result<String, CallError> {
        let names: Vec<String> = std::iter::once(&submission.applicant)
            .chain(submission.licenses.iter().map(|l| &l.license.holder))
            .map(|party| party.name().to_owned())
            .collect();
        call_guest!(self, "cases.submit", Budget::PLATFORM, cases,
            |store, guest| {
                store.data_mut().names.set(names);
                store.data_mut().note_cases([submission.case_no.clone()]);
                store.data_mut().note_argument(|| serde_json::to_value(submission).unwrap_or_default());
                let arg = submission.clone().into();
                guest.call_submit(store, &arg).await
            },
            then Ok)
    }

    /// `cases.events`.
    async fn case_events(&self, cursor: Option<&str>) -> Result<model::EventPage, CallError> {
        const F: &str = "cases.events";
        call_guest!(
            self,
            F,
            Budget::PLATFORM,
            cases,
            |store, guest| {
                store.data_mut().note_argument(|| serde_json::json!(cursor));
                let page = guest.call_events(&mut *store, cursor).await?;
                Ok(page.map(|page| {
                    let page: Result<model::EventPage, _> = page.try_into();
                    if let Ok(page) = &page {
                        let idle = page.events.is_empty() && page.license_events.is_empty();
                        let state = store.data_mut();
                        state.note_cases(page.events.iter().map(|e| e.case_no.clone()));
                        if idle && let Some(log) = &mut state.log {
                            log.idle = true;
                        }
                    }
                    page
                }))
            },
            then | page | page.map_err(|e| self.bad_output(F, e))
        )
    }

    /// `cases.supplement`; an adapter on 0.1.0 has none.
    async fn supplement_case(
        &self,
        case_no: &str,
        attachments: &[model::Attachment],
        note: &str,
    ) -> Result<(), CallError> {
        const F: &str = "cases.supplement";
        let Indices::V0_2(guests) = &self.inner.indices else {
            return Err(self.older_contract(F));
        };
        let indices = self.indices(F, guests.cases.as_ref())?;
        let files: Vec<_> = attachments.iter().map(Into::into).collect();
        self.call(F, Budget::PLATFORM, async move |store, instance| {
            store.data_mut().note_cases([case_no.to_owned()]);
            store.data_mut().note_argument(|| {
                serde_json::json!({ "case_no": case_no, "attachments": attachments, "note": note })
            });
            let guest = indices.load(&mut *store, instance)?;
            guest.call_supplement(store, case_no, &files, note).await
        })
        .await
    }

    /// `cases.withdraw`; an adapter on 0.1.0 has none.
    async fn withdraw_case(&self, case_no: &str, reason: &str) -> Result<(), CallError> {
        const F: &str = "cases.withdraw";
        let Indices::V0_2(guests) = &self.inner.indices else {
            return Err(self.older_contract(F));
        };
        let indices = self.indices(F, guests.cases.as_ref())?;
        self.call(F, Budget::PLATFORM, async move |store, instance| {
            store.data_mut().note_cases([case_no.to_owned()]);
            store
                .data_mut()
                .note_argument(|| serde_json::json!({ "case_no": case_no, "reason": reason }));
            let guest = indices.load(&mut *store, instance)?;
            guest.call_withdraw(store, case_no, reason).await
        })
        .await
    }

    /// `cases.on-notify`: on 0.1.0 with the body and media type only.
    async fn on_notify(
        &self,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<model::Events, CallError> {
        const F: &str = "cases.on-notify";
        let bad = |e| self.bad_output(F, e);
        match &self.inner.indices {
            Indices::V0_1(guests) => {
                let indices = self.indices(F, guests.cases.as_ref())?;
                let content_type = headers
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
                    .map_or("", |(_, value)| value.as_str());
                self.call(F, Budget::PUSH, async move |store, instance| {
                    store
                        .data_mut()
                        .note_argument(|| notify_argument(headers, body));
                    let guest = indices.load(&mut *store, instance)?;
                    let events = guest
                        .call_on_notify(&mut *store, body, content_type)
                        .await?;
                    Ok(events.map(|events| {
                        let events = events
                            .into_iter()
                            .map(TryInto::try_into)
                            .collect::<Result<Vec<model::CaseEvent>, _>>()
                            .map(|events| model::Events {
                                events,
                                license_events: Vec::new(),
                            });
                        store.data_mut().note_events(&events);
                        events
                    }))
                })
                .await?
                .map_err(bad)
            }
            Indices::V0_2(guests) => {
                let indices = self.indices(F, guests.cases.as_ref())?;
                let pushed = headers;
                let headers: Vec<_> = headers
                    .iter()
                    .map(|(key, value)| bindings::types::Field {
                        key: key.to_ascii_lowercase(),
                        value: value.clone(),
                    })
                    .collect();
                self.call(F, Budget::PUSH, async move |store, instance| {
                    store
                        .data_mut()
                        .note_argument(|| notify_argument(pushed, body));
                    let guest = indices.load(&mut *store, instance)?;
                    let events = guest.call_on_notify(&mut *store, &headers, body).await?;
                    Ok(events.map(|events| {
                        let events = bindings::events(events);
                        store.data_mut().note_events(&events);
                        events
                    }))
                })
                .await?
                .map_err(bad)
            }
        }
    }

    /// `licenses.by-holder`, given up (as a timeout) after `within` if that is
    /// shorter than the call timeout.
    async fn licenses_by_holder_within(
        &self,
        holder: &model::Party,
        within: Duration,
    ) -> Result<Vec<model::License>, CallError> {
        const F: &str = "licenses.by-holder";
        let names = vec![holder.name().to_owned()];
        call_guest!(self, F, Budget::within(within), licenses,
            |store, guest| {
                store.data_mut().names.set(names);
                store.data_mut().note_argument(|| serde_json::to_value(holder).unwrap_or_default());
                let holder = holder.clone().into();
                guest.call_by_holder(store, &holder).await
            },
            then |licenses: Vec<_>| licenses
                .into_iter()
                .map(TryInto::try_into)
                .collect::<Result<_, _>>()
                .map_err(|e| self.bad_output(F, e)))
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
        call_guest!(self, F, Budget::within(within), licenses,
            |store, guest| {
                store.data_mut().note_argument(|| serde_json::json!([type_code, number]));
                guest.call_verify(store, type_code, number).await
            },
            then |license: Option<_>| license
                .map(TryInto::try_into)
                .transpose()
                .map_err(|e| self.bad_output(F, e)))
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

    fn older_contract(&self, function: &'static str) -> CallError {
        CallError::OlderContract {
            adapter: self.id().to_owned(),
            function,
            contract: self.inner.contract,
        }
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
        let log = inner.shared.recorder.as_ref().and_then(|recorder| {
            let policy = recorder.policy(&inner.shared.id);
            let http = record::HttpLog::new(policy)?;
            Some(CallLog {
                policy,
                http,
                case_nos: Vec::new(),
                argument: None,
                files_before: inner
                    .exchange
                    .as_ref()
                    .and_then(|exchange| exchange.listing().ok()),
                opened: record::Opened::default(),
                idle: false,
            })
        });
        let state = CallState {
            hooks: outbound::Hooks::new(
                inner.shared.clone(),
                inner.manifest.limits.outbound_requests,
                inner.manifest.limits.response_mib,
                stop.clone(),
                log.as_ref().map(|log| log.http.clone()),
            ),
            log,
            shared: inner.shared.clone(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
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
        let span = trace::adapter_call(&inner.shared.id, &inner.manifest.version, function);
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
        let started_at = chrono::Utc::now();
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
        let outcome = with_timeout(Duration::from_millis(timeout_ms), run)
            .instrument(span.clone())
            .await;
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
        if let Some(log) = store.data_mut().log.take() {
            self.record(
                log,
                &store.data().names.names(),
                function,
                started_at,
                elapsed,
                &result,
            );
        }
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
        trace::call_ended(&span, &result);
        result
    }
}

/// A push as `onewindow adapter call cases.on-notify` takes it.
fn notify_argument(headers: &[(String, String)], body: &[u8]) -> serde_json::Value {
    let content_type = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map_or("", |(_, value)| value.as_str());
    let others: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
        .map(|(name, value)| {
            let value = if is_credential(name) { "***" } else { value };
            (name.to_ascii_lowercase(), serde_json::json!(value))
        })
        .collect();
    let mut argument = serde_json::json!({ "content_type": content_type, "headers": others });
    match std::str::from_utf8(body) {
        Ok(text) => argument["body"] = serde_json::json!(text),
        Err(_) => {
            use base64::Engine as _;
            argument["body_base64"] =
                serde_json::json!(base64::engine::general_purpose::STANDARD.encode(body));
        }
    }
    argument
}

impl WasmAdapter {
    /// Hands the call's record to the exchange log.
    fn record<R>(
        &self,
        log: CallLog,
        names: &[String],
        function: &'static str,
        started_at: chrono::DateTime<chrono::Utc>,
        elapsed: Duration,
        result: &Result<R, CallError>,
    ) {
        let inner = &*self.inner;
        let Some(recorder) = &inner.shared.recorder else {
            return;
        };
        if log.idle && result.is_ok() {
            return;
        }
        // The adapter's own passwords and keys, as its configuration holds them.
        let secrets: Vec<String> = inner
            .shared
            .config
            .iter()
            .filter(|(key, value)| is_credential(key) && value.chars().count() >= 4)
            .map(|(_, value)| value.clone())
            .collect();
        let files = match (&inner.exchange, &log.files_before) {
            (Some(exchange), Some(before)) => match exchange.listing() {
                Ok(after) => record::file_changes(
                    before,
                    &after,
                    &log.opened.read,
                    exchange.dir(),
                    log.policy,
                    names,
                    &secrets,
                ),
                Err(_) => Vec::new(),
            },
            _ => Vec::new(),
        };
        recorder.record(CallRecord {
            adapter: inner.shared.id.clone(),
            version: inner.shared.version.clone(),
            function: function.to_owned(),
            case_nos: log.case_nos,
            started_at: onewindow_platform::store::timestamp(started_at),
            duration_ms: u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            outcome: match result {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.kind().to_owned(),
            },
            error: result
                .as_ref()
                .err()
                .map(|e| exchange_log::error_value(e, names)),
            mode: log.policy.mode,
            argument: log
                .argument
                .map(|argument| exchange_log::mask_json(&argument, names)),
            http: log.http.finish(names, &secrets),
            files,
        });
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
    cases: WarmCases,
}

enum WarmCases {
    V0_1(v0_1::cases::Guest),
    V0_2(v0_2::cases::Guest),
}

impl WarmInstance {
    /// `cases.events` on the kept instance.
    pub async fn case_events(&mut self, cursor: Option<&str>) -> wasmtime::Result<()> {
        match &self.cases {
            WarmCases::V0_1(cases) => {
                let page = cases.call_events(&mut self.store, cursor).await?;
                std::hint::black_box(page.ok());
            }
            WarmCases::V0_2(cases) => {
                let page = cases.call_events(&mut self.store, cursor).await?;
                std::hint::black_box(page.ok());
            }
        }
        Ok(())
    }
}

impl WasmAdapter {
    /// Instantiates once for repeated calls; see [`WarmInstance`].
    #[doc(hidden)]
    pub async fn warm_instance(&self) -> wasmtime::Result<WarmInstance> {
        let missing = || wasmtime::format_err!("the adapter does not export cases");
        let mut store = self.new_store();
        // No deadline: the instance lives as long as the benchmark needs it.
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.inner.pre.instantiate_async(&mut store).await?;
        let cases = match &self.inner.indices {
            Indices::V0_1(guests) => WarmCases::V0_1(
                guests
                    .cases
                    .as_ref()
                    .ok_or_else(missing)?
                    .load(&mut store, &instance)?,
            ),
            Indices::V0_2(guests) => WarmCases::V0_2(
                guests
                    .cases
                    .as_ref()
                    .ok_or_else(missing)?
                    .load(&mut store, &instance)?,
            ),
        };
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
