//! The {{department}} adapter ({{id}}), written in Rust.
//!
//! It serves the department's service catalogue: `matters.list` reads the
//! legacy system's `GET {endpoint}/matters`, a JSON list such as
//!
//! ```json
//! [{"code": "330122-XX-GG-001", "name": "示例事项", "days": 5,
//!   "online": 1, "updated": "2026年12月1日"}]
//! ```
//!
//! and turns each entry into a matter of the onewindow contract. Change the
//! reading to your department's format, record fixtures against its system
//! (`onewindow adapter test . --fixtures fixtures --record`), and add the
//! `cases` and `licenses` interfaces to the world when the department takes
//! applications or issues licenses (`department-adapter` in wit/adapter.wit).

mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "onewindow:adapter/matters-adapter",
    });
    use super::Adapter;
    export!(Adapter);
}

use std::time::Duration;

use bindings::exports::onewindow::adapter::matters::Guest;
use bindings::onewindow::adapter::common::{AdapterError, Matter, MatterKind};
use bindings::onewindow::adapter::host::config;
use onewindow_sdk::codes;
use onewindow_sdk::http::{HttpError, Request};

struct Adapter;

/// One entry of the legacy system's catalogue.
#[derive(serde::Deserialize)]
struct Entry {
    code: String,
    name: String,
    days: u32,
    online: u8,
    updated: String,
}

fn require_config(key: &str) -> Result<String, AdapterError> {
    config(key).ok_or_else(|| {
        AdapterError::Invalid(format!("the adapter's manifest has no `{key}` in its [config] table"))
    })
}

fn unavailable(what: String) -> AdapterError {
    AdapterError::Unavailable(what)
}

impl Guest for Adapter {
    fn list() -> Result<Vec<Matter>, AdapterError> {
        let url = format!("{}/matters", require_config("endpoint")?.trim_end_matches('/'));
        let response = Request::get(&url)
            .timeout(Duration::from_secs(4))
            .send()
            .map_err(|e| match e {
                HttpError::Denied { .. } | HttpError::InvalidUrl { .. } => {
                    AdapterError::Invalid(e.to_string())
                }
                _ => unavailable(e.to_string()),
            })?;
        if response.status != 200 {
            return Err(unavailable(format!(
                "{url} answered HTTP {}; try again later",
                response.status
            )));
        }
        // Legacy systems often write GBK; the codecs read any charset strictly.
        let charset = require_config("charset")?;
        let text = codes::gbk::decode_declared(&response.body, &charset)
            .map_err(|e| unavailable(format!("the catalogue is not {charset} text: {e}")))?;
        let entries: Vec<Entry> = serde_json::from_str(&text)
            .map_err(|e| unavailable(format!("the catalogue is not the expected JSON: {e}")))?;
        let department = require_config("department")?;
        entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| {
                codes::date::parse(&entry.updated).map_err(|e| {
                    unavailable(format!(
                        "the catalogue's entry {} has an updated date that is not one: {e}",
                        i + 1
                    ))
                })?;
                Ok(Matter {
                    code: entry.code,
                    name: entry.name,
                    department: department.clone(),
                    kind: MatterKind::PublicService,
                    legal_days: entry.days,
                    promised_days: entry.days,
                    visits: u32::from(entry.online == 0),
                    online: entry.online != 0,
                    fee: "不收费".into(),
                    conditions: String::new(),
                    materials: Vec::new(),
                    form: Vec::new(),
                })
            })
            .collect()
    }
}
