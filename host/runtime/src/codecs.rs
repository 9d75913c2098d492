//! The `onewindow:adapter/codecs` interface (0.2.0): the legacy formats done by
//! the host with `plugins/codes`, the code Rust adapters link, so that adapters
//! in other languages need no codec of their own.
//!
//! Every input comes out of the adapter's own memory, so its size is bounded by
//! the adapter's memory cap; the one thing an adapter could make the host
//! allocate beyond that is a fixed-width record from huge column widths, and
//! that is capped at [`MAX_RECORD_BYTES`].

use onewindow_codes::{chrono::NaiveDate, credit_code, date, fixed, gbk, id_number};

use super::CallState;
use super::bindings::v0_2::codecs::{Column, DateStyle, Host};
use super::bindings::v0_2::types::Field;

/// The widest fixed-width record `format-fixed` writes or `parse-fixed` reads:
/// legacy records are some hundred bytes, and the host allocates the record.
pub const MAX_RECORD_BYTES: u64 = 1 << 20;

fn layout(columns: &[Column]) -> Result<fixed::Layout, String> {
    let width: u64 = columns.iter().map(|c| u64::from(c.width)).sum();
    if width > MAX_RECORD_BYTES {
        return Err(format!(
            "the columns add up to {width} bytes, more than the {MAX_RECORD_BYTES} bytes a record may have"
        ));
    }
    let columns: Vec<(&str, usize)> = columns
        .iter()
        .map(|c| (c.name.as_str(), c.width as usize))
        .collect();
    fixed::Layout::try_new(&columns).map_err(|e| e.to_string())
}

fn iso_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("\"{text}\" is not an ISO date such as 2018-11-25"))
}

impl Host for CallState {
    fn decode(&mut self, bytes: Vec<u8>, charset: String) -> Result<String, String> {
        gbk::decode_declared(&bytes, &charset).map_err(|e| e.to_string())
    }

    fn encode(&mut self, text: String, charset: String) -> Result<Vec<u8>, String> {
        gbk::encode_declared(&text, &charset).map_err(|e| e.to_string())
    }

    fn parse_fixed(&mut self, columns: Vec<Column>, record: Vec<u8>) -> Result<Vec<Field>, String> {
        let layout = layout(&columns)?;
        let parsed = layout.parse(&record).map_err(|e| e.to_string())?;
        Ok(columns
            .into_iter()
            .map(|c| Field {
                value: parsed.get(&c.name).unwrap_or_default().to_owned(),
                key: c.name,
            })
            .collect())
    }

    fn format_fixed(
        &mut self,
        columns: Vec<Column>,
        values: Vec<Field>,
    ) -> Result<Vec<u8>, String> {
        let values: Vec<(&str, &str)> = values
            .iter()
            .map(|f| (f.key.as_str(), f.value.as_str()))
            .collect();
        layout(&columns)?.format(&values).map_err(|e| e.to_string())
    }

    fn parse_date(&mut self, text: String) -> Result<String, String> {
        date::parse(&text)
            .map(date::to_iso)
            .map_err(|e| e.to_string())
    }

    fn parse_datetime(&mut self, text: String) -> Result<String, String> {
        date::parse_datetime(&text)
            .map(|dt| dt.format("%Y-%m-%dT%H:%M:%S").to_string())
            .map_err(|e| e.to_string())
    }

    fn format_date(&mut self, iso_date: String, style: DateStyle) -> Result<String, String> {
        let day = self::iso_date(&iso_date)?;
        Ok(match style {
            DateStyle::Chinese => date::to_chinese(day),
            DateStyle::Compact => date::to_compact(day),
        })
    }

    fn check_id_number(&mut self, text: String) -> Result<(), String> {
        id_number::validate(&text).map_err(|e| e.to_string())
    }

    fn check_credit_code(&mut self, text: String) -> Result<(), String> {
        credit_code::validate(&text).map_err(|e| e.to_string())
    }
}
