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

    /// The matter catalogue (`sxqd.csv` with `clqd.csv` and `bdqd.csv`).
    pub fn matters(&self) -> Result<Vec<Matter>, AdapterError> {
        let sxqd = self.read(legacy::CATALOGUE)?;
        let clqd = self.read(legacy::MATERIALS)?;
        let bdqd = self.read(legacy::FORMS)?;
        let mut matters = legacy::parse_catalogue(&sxqd, &clqd)?;
        legacy::add_forms(&mut matters, &bdqd)?;
        Ok(matters)
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

    /// Hands the supplementary materials (补正) of case `case_no` to the department:
    /// a supplement file in `bzcl/`, which the batch job picks up. Handing the same
    /// files in again writes nothing. Refused when the result files show the case
    /// is not waiting at 需补正, or when another supplement for the same request is
    /// already with the department.
    pub fn supplement(
        &self,
        case_no: &str,
        attachments: &[Attachment],
        note: &str,
    ) -> Result<(), AdapterError> {
        let (name, bytes) = legacy::supplement_file(case_no, attachments, note)?;
        if self.exists(&format!("{}/{name}", legacy::SUPPLEMENTS))?
            || self.exists(&format!("{}/{name}", legacy::SUPPLEMENTS_READ))?
        {
            return Ok(());
        }
        let Some(matter_code) = self.case_matter(case_no)? else {
            return Err(Self::unknown_case(case_no));
        };
        if let Some(matter) = self.matters()?.into_iter().find(|m| m.code == matter_code)
            && let Some(stranger) = attachments
                .iter()
                .find(|a| !matter.materials.iter().any(|m| m.code == a.material_code))
        {
            let codes: Vec<&str> = matter.materials.iter().map(|m| m.code.as_str()).collect();
            return Err(AdapterError::Invalid(format!(
                "the file {} of the supplement of case {case_no} is for material {}, which {} ({}) does not have; its materials are {}",
                stranger.file_name,
                stranger.material_code,
                matter.code,
                matter.name,
                codes.join(", ")
            )));
        }
        let standing = self.standing(case_no)?;
        if let Some(reason) = standing.supplement_refusal() {
            return Err(AdapterError::Refused(reason));
        }
        // One supplement answers one request (02): a different one while the
        // first is still with the department would be refused by the batch job
        // after this call has returned.
        let handed_in = self.supplements_of(case_no)?;
        if handed_in.len() >= standing.supplement_requests {
            return Err(AdapterError::Refused(format!(
                "该办件的补正材料已提交（{}），{}正在处理，请待其审核后再提交",
                handed_in.join("、"),
                legacy::DEPARTMENT
            )));
        }
        self.publish_in_folder(legacy::SUPPLEMENTS, &name, &bytes)
    }

    /// Withdraws case `case_no` at the department (撤回): a withdrawal file in
    /// `chsq/`, which the batch job picks up. Refused at once when the result
    /// files show the department has decided; a withdrawn case, or one whose
    /// withdrawal file is already there, is withdrawn again without a file.
    pub fn withdraw(&self, case_no: &str, reason: &str) -> Result<(), AdapterError> {
        let (name, bytes) = legacy::withdrawal_file(case_no, reason)?;
        let standing = self.standing(case_no)?;
        if standing.withdrawn() {
            return Ok(());
        }
        if let Some(refusal) = standing.withdrawal_refusal() {
            return Err(AdapterError::Refused(refusal));
        }
        if self.exists(&format!("{}/{name}", legacy::WITHDRAWALS))?
            || self.exists(&format!("{}/{name}", legacy::WITHDRAWALS_READ))?
        {
            return Ok(());
        }
        if self.case_matter(case_no)?.is_none() {
            return Err(Self::unknown_case(case_no));
        }
        self.publish_in_folder(legacy::WITHDRAWALS, &name, &bytes)
    }

    /// [`Exchange::publish`] into a folder the batch job made; `unavailable` while
    /// it has not made it.
    fn publish_in_folder(
        &self,
        folder: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), AdapterError> {
        if !self.exists(folder)? {
            return Err(self.io_error(folder, &ErrorKind::NotFound.into(), "open"));
        }
        self.publish(folder, name, bytes)
    }

    fn unknown_case(case_no: &str) -> AdapterError {
        AdapterError::NotFound(format!(
            "the {} has no case {case_no}: its case file {} is neither waiting in {}/ nor read into {}/",
            legacy::DEPARTMENT,
            legacy::case_file_name(case_no).unwrap_or_default(),
            legacy::OUTGOING,
            legacy::READ
        ))
    }

    /// The 事项编码 of case `case_no` from its case file (waiting or read), or
    /// `None` when the department has no such case.
    fn case_matter(&self, case_no: &str) -> Result<Option<String>, AdapterError> {
        let name = legacy::case_file_name(case_no)?;
        for folder in [legacy::READ, legacy::OUTGOING] {
            let relative = format!("{folder}/{name}");
            if self.exists(&relative)? {
                let bytes = self.read(&relative)?;
                return legacy::case_file_matter(&bytes).map(Some).ok_or_else(|| {
                    AdapterError::Unavailable(format!(
                        "{relative} cannot be read back: it is not a case file as this adapter writes them"
                    ))
                });
            }
        }
        Ok(None)
    }

    /// The names of the supplement files of case `case_no` waiting in `bzcl/` or
    /// read into `bzcl/bak/` (not those the batch job refused).
    fn supplements_of(&self, case_no: &str) -> Result<Vec<String>, AdapterError> {
        let mut names = Vec::new();
        for folder in [legacy::SUPPLEMENTS, legacy::SUPPLEMENTS_READ] {
            names.extend(
                self.names(folder)?
                    .into_iter()
                    .filter(|n| legacy::supplement_case_no(n) == Some(case_no)),
            );
        }
        names.sort();
        Ok(names)
    }

    /// Where case `case_no` stands, from every result file in `bjjg/`.
    pub fn standing(&self, case_no: &str) -> Result<legacy::Standing, AdapterError> {
        let mut names: Vec<String> = self
            .result_names()?
            .into_iter()
            .filter(|n| legacy::is_result_file(n))
            .collect();
        names.sort();
        let mut rows = Vec::new();
        for name in names {
            let bytes = self.read(&format!("{}/{name}", legacy::RESULTS))?;
            rows.extend(legacy::case_rows(&name, &bytes, case_no)?);
        }
        Ok(legacy::Standing::of(rows))
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
    fn result_names(&self) -> Result<Vec<String>, AdapterError> {
        self.names(legacy::RESULTS)
    }

    /// The names in `folder`; none when the folder is missing (the batch job has
    /// not made it yet), unless the exchange folder itself is.
    fn names(&self, folder: &str) -> Result<Vec<String>, AdapterError> {
        if folder != legacy::RESULTS && !self.exists(folder)? {
            if !self.root.is_dir() {
                return Err(self.io_error(folder, &ErrorKind::NotFound.into(), "list"));
            }
            return Ok(Vec::new());
        }
        self.listing(folder)
    }

    /// The names in `folder`.
    ///
    /// Under WASI every entry of a listing is looked up again as it is read, so a
    /// file the batch job renames in the meantime (its `.tmp` on the way to being
    /// published) is listed and then not found. That is the folder changing, not
    /// a missing folder: list it again (up to 20 times).
    fn listing(&self, relative: &str) -> Result<Vec<String>, AdapterError> {
        const ATTEMPTS: usize = 20;
        let folder = self.root.join(relative);
        let list_error = |e: &std::io::Error| self.io_error(relative, e, "list");
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
        for notice in &page.notices {
            onewindow_sdk::log::info(notice);
        }
        Ok(page.page)
    }

    fn supplement(
        case_no: String,
        attachments: Vec<Attachment>,
        note: String,
    ) -> Result<(), AdapterError> {
        Exchange::configured().supplement(&case_no, &attachments, &note)
    }

    fn withdraw(case_no: String, reason: String) -> Result<(), AdapterError> {
        Exchange::configured().withdraw(&case_no, &reason)
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
