//! The 县不动产登记中心 adapter: translates the department's batch file exchange
//! (GBK CSV files in a shared folder, see `examples/legacy-systems/real-estate.md`)
//! into the onewindow contract's `matters`, `cases` and `licenses`.
//!
//! The department's system has no network interface. The host preopens the
//! exchange folder the manifest grants (`exchange-dir`) as `/exchange`; the adapter
//! reads the catalogue and the certificate register the batch job exports there,
//! writes case files into `sqbj/` (to a temporary name, then renamed) and reads the
//! result files the batch job writes into `bjjg/`. The translation is pure
//! ([`legacy`]) and tested natively; this module does the file I/O ([`Exchange`]),
//! which works natively as well.

use std::fs;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use onewindow_sdk::types::{
    AdapterError, Attachment, CaseSubmission, Event, EventPage, Field, License, Matter, Party,
};
use onewindow_sdk::{CasesGuest, LicensesGuest, MattersGuest};

pub mod legacy;
pub mod table;

#[cfg(test)]
mod tests;

/// Where the host preopens the exchange folder in the guest.
pub const GUEST_PATH: &str = "/exchange";

/// The department's exchange folder, as the adapter sees it.
#[derive(Debug, Clone)]
pub struct Exchange {
    root: PathBuf,
}

impl Exchange {
    /// The exchange folder at `root` (`/exchange` in the guest).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The folder the manifest's `[config] exchange` names, else `/exchange`.
    pub fn configured() -> Self {
        Self::new(onewindow_sdk::config("exchange").unwrap_or_else(|| GUEST_PATH.to_owned()))
    }

    /// An error for a missing or unreadable `relative`, telling a missing grant apart.
    fn io_error(&self, relative: &str, e: &std::io::Error, doing: &str) -> AdapterError {
        if !self.root.is_dir() {
            return AdapterError::Invalid(format!(
                "the adapter has no exchange folder {}: its manifest must grant the department's folder with grants.exchange-dir",
                self.root.display()
            ));
        }
        if e.kind() == ErrorKind::NotFound {
            AdapterError::Unavailable(format!(
                "{relative} is not in the department's exchange folder: its batch job has not exported it (yet)"
            ))
        } else {
            AdapterError::Unavailable(format!(
                "cannot {doing} {relative} in the exchange folder: {e}"
            ))
        }
    }

    /// The bytes of the file at `relative`.
    pub fn read(&self, relative: &str) -> Result<Vec<u8>, AdapterError> {
        fs::read(self.root.join(relative)).map_err(|e| self.io_error(relative, &e, "read"))
    }

    fn exists(&self, relative: &str) -> Result<bool, AdapterError> {
        match fs::metadata(self.root.join(relative)) {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io_error(relative, &e, "look for")),
        }
    }

    /// The matter catalogue (`sxqd.csv` with `clqd.csv`).
    pub fn matters(&self) -> Result<Vec<Matter>, AdapterError> {
        let sxqd = self.read(legacy::CATALOGUE)?;
        let clqd = self.read(legacy::MATERIALS)?;
        legacy::parse_catalogue(&sxqd, &clqd)
    }

    /// Writes the case file of `submission` into `sqbj/` unless the department
    /// already has it, and returns the case's reference.
    pub fn submit(&self, submission: &CaseSubmission) -> Result<String, AdapterError> {
        let reference = legacy::reference(&submission.case_no)?;
        let name = legacy::case_file_name(&submission.case_no)?;
        let bytes = legacy::case_file(submission)?;
        let waiting = format!("{}/{name}", legacy::OUTGOING);
        let read = format!("{}/{name}", legacy::READ);
        if self.exists(&waiting)? || self.exists(&read)? {
            return Ok(reference);
        }
        if !self.exists(legacy::OUTGOING)? {
            return Err(self.io_error(
                legacy::OUTGOING,
                &std::io::Error::from(ErrorKind::NotFound),
                "open",
            ));
        }
        // Only an existing matter: the department would refuse the file later, when
        // the platform could no longer tell the clerk.
        let matters = self.matters()?;
        if !matters.iter().any(|m| m.code == submission.matter_code) {
            return Err(AdapterError::NotFound(format!(
                "the matter {} is not in the catalogue of the 县不动产登记中心 ({})",
                submission.matter_code,
                legacy::CATALOGUE
            )));
        }
        self.publish(legacy::OUTGOING, &name, &bytes)?;
        Ok(reference)
    }

    /// Writes `bytes` to `folder/name` under a temporary name first, so the batch job
    /// never reads half a file.
    fn publish(&self, folder: &str, name: &str, bytes: &[u8]) -> Result<(), AdapterError> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let temporary = format!("{folder}/.{name}.{nanos}.tmp");
        let target = format!("{folder}/{name}");
        let written = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.root.join(&temporary))
            .and_then(|mut file| {
                file.write_all(bytes)?;
                file.sync_all()
            });
        if let Err(e) = written {
            let _ = fs::remove_file(self.root.join(&temporary));
            return Err(self.io_error(&temporary, &e, "write"));
        }
        fs::rename(self.root.join(&temporary), self.root.join(&target)).map_err(|e| {
            let _ = fs::remove_file(self.root.join(&temporary));
            self.io_error(&target, &e, "publish")
        })
    }

    /// The events after `cursor` in `bjjg/`, and what `99` rows said on the way.
    pub fn events(&self, cursor: Option<&str>) -> Result<legacy::Page, AdapterError> {
        if let Some(cursor) = cursor {
            legacy::Cursor::parse(cursor)?;
        }
        let names = self.result_names()?;
        legacy::events_page(cursor, &names, |name| {
            self.read(&format!("{}/{name}", legacy::RESULTS))
        })
    }

    /// The names in `bjjg/`.
    ///
    /// Under WASI every entry of a listing is looked up again as it is read, so a
    /// file the batch job renames in the meantime (its `.tmp` on the way to being
    /// published) is listed and then not found. That is the folder changing, not
    /// a missing folder: list it again (up to 20 times).
    fn result_names(&self) -> Result<Vec<String>, AdapterError> {
        const ATTEMPTS: usize = 20;
        let folder = self.root.join(legacy::RESULTS);
        let list_error = |e: &std::io::Error| self.io_error(legacy::RESULTS, e, "list");
        let mut attempt = 0;
        'listing: loop {
            attempt += 1;
            let mut names = Vec::new();
            for entry in fs::read_dir(&folder).map_err(|e| list_error(&e))? {
                match entry {
                    Ok(entry) => names.extend(entry.file_name().to_str().map(str::to_owned)),
                    Err(e) if e.kind() == ErrorKind::NotFound && attempt < ATTEMPTS => {
                        continue 'listing;
                    }
                    Err(e) => return Err(list_error(&e)),
                }
            }
            return Ok(names);
        }
    }

    /// The register `zsqd.csv`.
    pub fn register(&self) -> Result<Vec<u8>, AdapterError> {
        self.read(legacy::REGISTER)
    }

    /// The folder's path.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// The adapter, exported as the component's `department-adapter` world.
pub struct Adapter;

impl MattersGuest for Adapter {
    fn list() -> Result<Vec<Matter>, AdapterError> {
        Exchange::configured().matters()
    }
}

impl CasesGuest for Adapter {
    fn submit(submission: CaseSubmission) -> Result<String, AdapterError> {
        Exchange::configured().submit(&submission)
    }

    fn events(cursor: Option<String>) -> Result<EventPage, AdapterError> {
        let page = Exchange::configured().events(cursor.as_deref())?;
        for warning in &page.warnings {
            onewindow_sdk::log::warn(warning);
        }
        Ok(page.page)
    }

    fn supplement(
        _case_no: String,
        _attachments: Vec<Attachment>,
        _note: String,
    ) -> Result<(), AdapterError> {
        Err(AdapterError::Refused(
            "县不动产登记中心的系统尚未开通网上补正，补正材料请交到部门窗口".to_owned(),
        ))
    }

    fn withdraw(_case_no: String, _reason: String) -> Result<(), AdapterError> {
        Err(AdapterError::Refused(
            "县不动产登记中心的系统尚未开通网上撤回，撤回申请请交到部门窗口".to_owned(),
        ))
    }

    fn on_notify(_headers: Vec<Field>, _body: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        Err(AdapterError::Invalid(
            "the 县不动产登记中心 exchanges files only and never pushes notifications; its results are read from the exchange folder by cases.events".to_owned(),
        ))
    }
}

impl LicensesGuest for Adapter {
    fn by_holder(holder: Party) -> Result<Vec<License>, AdapterError> {
        let register = Exchange::configured().register()?;
        legacy::holder_licenses(&register, &holder)
    }

    fn verify(type_code: String, number: String) -> Result<Option<License>, AdapterError> {
        if type_code != legacy::CERTIFICATE {
            return Ok(None);
        }
        let register = Exchange::configured().register()?;
        legacy::verify(&register, &type_code, &number)
    }
}

// Natively the crate is a library of the translation only (tests).
#[cfg(target_arch = "wasm32")]
onewindow_sdk::export!(Adapter);
