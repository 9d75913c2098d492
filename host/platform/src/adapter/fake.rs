//! An in-memory department for the domain's tests: it answers from what a test
//! gives it, records what it was asked, and fails when told to, so cases,
//! delivery and license reuse can be tested in seconds, with no component and
//! no mock legacy system.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Adapter, CallError, Health, Interfaces, LoadError, Loader};
use crate::manifest::Manifest;
use crate::model;

/// A department that lives in memory.
#[derive(Debug)]
pub struct FakeAdapter {
    manifest: Manifest,
    exports: Interfaces,
    /// The contract version it acts as: on 0.1.0 it takes no 补正 or withdrawal.
    contract: &'static str,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    matters: Vec<model::Matter>,
    licenses: Vec<model::License>,
    /// Every submission received, in order (a re-delivery appears twice).
    submissions: Vec<model::CaseSubmission>,
    /// Events the department has reported; `cases.events` pages through them.
    events: Vec<model::CaseEvent>,
    /// License changes reported; `cases.events` returns them all each time.
    license_events: Vec<model::LicenseEvent>,
    /// Supplementary materials handed in: case number, files, note.
    supplements: Vec<(String, Vec<model::Attachment>, String)>,
    /// Withdrawals asked for: case number, reason.
    withdrawals: Vec<(String, String)>,
    /// Failures the next calls of a function meet, first in first out.
    failures: VecDeque<(&'static str, CallError)>,
    calls: u64,
    failed_calls: u64,
}

impl FakeAdapter {
    /// A department `id` serving all three interfaces, with nothing in it yet.
    pub fn new(id: &str, department: &str) -> Self {
        let text = format!(
            "id = \"{id}\"\nversion = \"1.0.0\"\ndepartment = \"{department}\"\napi = \"onewindow:adapter@0.2.0\"\n"
        );
        let manifest = Manifest::parse(&text, Path::new("fake adapter.toml"))
            .unwrap_or_else(|e| panic!("a fake adapter's manifest: {e}"));
        Self {
            manifest,
            exports: Interfaces {
                matters: true,
                cases: true,
                licenses: true,
            },
            contract: crate::manifest::CURRENT_API_VERSION,
            state: Mutex::default(),
        }
    }

    /// Acts as an adapter built on contract 0.1.0: `cases.supplement` and
    /// `cases.withdraw` do not exist.
    pub fn on_contract_0_1(mut self) -> Self {
        self.contract = "0.1.0";
        self
    }

    fn older_contract(&self, function: &'static str) -> Option<CallError> {
        (self.contract == "0.1.0").then(|| CallError::OlderContract {
            adapter: self.manifest.id.clone(),
            function,
            contract: self.contract,
        })
    }

    /// Serves these matters.
    pub fn with_matters(self, matters: Vec<model::Matter>) -> Self {
        self.state().matters = matters;
        self
    }

    /// Holds these licenses.
    pub fn with_licenses(self, licenses: Vec<model::License>) -> Self {
        self.state().licenses = licenses;
        self
    }

    /// Issues `license`: from now on the department holds it.
    pub fn issue(&self, license: model::License) {
        self.state().licenses.push(license);
    }

    /// The department reports `event` (found by the next `cases.events`).
    pub fn report(&self, event: model::CaseEvent) {
        self.state().events.push(event);
    }

    /// The issuer reports a license change (found by every `cases.events`).
    pub fn report_license(&self, event: model::LicenseEvent) {
        self.state().license_events.push(event);
    }

    /// Supplementary materials handed in so far: case number, files, note.
    pub fn supplements(&self) -> Vec<(String, Vec<model::Attachment>, String)> {
        self.state().supplements.clone()
    }

    /// Withdrawals asked for so far: case number, reason.
    pub fn withdrawals(&self) -> Vec<(String, String)> {
        self.state().withdrawals.clone()
    }

    /// The next call of `function` (e.g. `cases.submit`) fails with `kind`:
    /// `unavailable`, `invalid`, `refused`, `trap` or `timeout`.
    pub fn fail_next(&self, function: &'static str, kind: &str) {
        let adapter = self.manifest.id.clone();
        let message = format!("the fake was told to fail with {kind}");
        let error = match kind {
            "unavailable" => model::AdapterError::Unavailable(message),
            "invalid" => model::AdapterError::Invalid(message),
            "refused" => model::AdapterError::Refused(message),
            "trap" => {
                return self.state().failures.push_back((
                    function,
                    CallError::Trap {
                        adapter,
                        function,
                        cause: message,
                    },
                ));
            }
            "timeout" => {
                return self.state().failures.push_back((
                    function,
                    CallError::Timeout {
                        adapter,
                        function,
                        ms: 2000,
                    },
                ));
            }
            other => panic!("no such failure: {other}"),
        };
        self.state().failures.push_back((
            function,
            CallError::Adapter {
                adapter,
                function,
                error,
            },
        ));
    }

    /// Every submission received, in order.
    pub fn submissions(&self) -> Vec<model::CaseSubmission> {
        self.state().submissions.clone()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a call of `function` and takes the failure waiting for it, if any.
    fn enter(&self, function: &'static str) -> Result<std::sync::MutexGuard<'_, State>, CallError> {
        let mut state = self.state();
        state.calls += 1;
        let waiting = state.failures.iter().position(|(f, _)| *f == function);
        if let Some(error) = waiting.and_then(|i| state.failures.remove(i)) {
            state.failed_calls += 1;
            return Err(error.1);
        }
        Ok(state)
    }
}

#[async_trait::async_trait]
impl Adapter for FakeAdapter {
    fn id(&self) -> &str {
        &self.manifest.id
    }

    fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    fn sha256(&self) -> &str {
        "fake"
    }

    fn exports(&self) -> Interfaces {
        self.exports
    }

    fn contract(&self) -> &'static str {
        self.contract
    }

    fn imports(&self) -> Vec<String> {
        Vec::new()
    }

    fn health(&self) -> Health {
        let state = self.state();
        Health {
            calls: state.calls,
            failed_calls: state.failed_calls,
            breaker: "closed",
            memory_high_water: 0,
        }
    }

    async fn list_matters(&self) -> Result<Vec<model::Matter>, CallError> {
        Ok(self.enter("matters.list")?.matters.clone())
    }

    async fn submit_case(&self, submission: &model::CaseSubmission) -> Result<String, CallError> {
        let mut state = self.enter("cases.submit")?;
        state.submissions.push(submission.clone());
        Ok(format!("{}-{}", self.manifest.id, submission.case_no))
    }

    async fn case_events(&self, cursor: Option<&str>) -> Result<model::EventPage, CallError> {
        let state = self.enter("cases.events")?;
        let from: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let events: Vec<_> = state.events.iter().skip(from).cloned().collect();
        Ok(model::EventPage {
            next_cursor: Some((from + events.len()).to_string()),
            events,
            license_events: state.license_events.clone(),
            more: false,
        })
    }

    async fn supplement_case(
        &self,
        case_no: &str,
        attachments: &[model::Attachment],
        note: &str,
    ) -> Result<(), CallError> {
        if let Some(e) = self.older_contract("cases.supplement") {
            return Err(e);
        }
        let mut state = self.enter("cases.supplement")?;
        state
            .supplements
            .push((case_no.to_owned(), attachments.to_vec(), note.to_owned()));
        Ok(())
    }

    async fn withdraw_case(&self, case_no: &str, reason: &str) -> Result<(), CallError> {
        if let Some(e) = self.older_contract("cases.withdraw") {
            return Err(e);
        }
        let mut state = self.enter("cases.withdraw")?;
        state
            .withdrawals
            .push((case_no.to_owned(), reason.to_owned()));
        Ok(())
    }

    /// The push's body is a JSON list of case events.
    async fn on_notify(
        &self,
        _headers: &[(String, String)],
        body: &[u8],
    ) -> Result<model::Events, CallError> {
        drop(self.enter("cases.on-notify")?);
        let events = serde_json::from_slice(body).map_err(|e| CallError::Adapter {
            adapter: self.manifest.id.clone(),
            function: "cases.on-notify",
            error: model::AdapterError::Invalid(format!("not a JSON list of events: {e}")),
        })?;
        Ok(model::Events {
            events,
            license_events: Vec::new(),
        })
    }

    async fn licenses_by_holder_within(
        &self,
        holder: &model::Party,
        _within: Duration,
    ) -> Result<Vec<model::License>, CallError> {
        let state = self.enter("licenses.by-holder")?;
        Ok(state
            .licenses
            .iter()
            .filter(|l| l.holder.id() == holder.id())
            .cloned()
            .collect())
    }

    async fn verify_license_within(
        &self,
        type_code: &str,
        number: &str,
        _within: Duration,
    ) -> Result<Option<model::License>, CallError> {
        let state = self.enter("licenses.verify")?;
        Ok(state
            .licenses
            .iter()
            .find(|l| l.type_code == type_code && l.number == number)
            .cloned())
    }
}

/// A loader for platforms that only ever get fakes: every package is refused.
#[derive(Debug, Default)]
pub struct NoPackages;

impl Loader for NoPackages {
    fn load(
        &self,
        manifest: Manifest,
        _component: &[u8],
        _sha256: String,
    ) -> Result<Arc<dyn Adapter>, LoadError> {
        Err(LoadError::Compile {
            adapter: manifest.id,
            message: "this platform runs only in-memory adapters".into(),
        })
    }
}
