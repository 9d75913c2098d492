//! Writing the department's files: tables rendered as GBK CSV, damaged on purpose
//! when a fault is set, and published atomically (temporary name, then rename).

use std::io;
use std::path::Path;

use onewindow_codes::gbk;

use super::csv;
use crate::common::Fault;

/// A table with a header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    /// Column names.
    pub header: Vec<String>,
    /// Data rows, each as long as the header.
    pub rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A sheet with `header` and `rows`.
    pub fn new(header: &[&str], rows: Vec<Vec<String>>) -> Self {
        Self {
            header: header.iter().map(|&c| c.to_owned()).collect(),
            rows,
        }
    }

    fn remove_column(&mut self, column: &str) {
        if let Some(i) = self.header.iter().position(|c| c == column) {
            self.header.remove(i);
            for row in &mut self.rows {
                if i < row.len() {
                    row.remove(i);
                }
            }
        }
    }

    fn set_first(&mut self, column: &str, value: &str) {
        let Some(i) = self.header.iter().position(|c| c == column) else {
            return;
        };
        if let Some(cell) = self.rows.first_mut().and_then(|row| row.get_mut(i)) {
            value.clone_into(cell);
        }
    }

    /// The CSV text, header first.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        csv::write_record(&mut out, &self.header);
        for row in &self.rows {
            csv::write_record(&mut out, row);
        }
        out
    }
}

/// Which of the department's files a sheet is, which decides how a fault shows in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `sxqd.csv`.
    Matters,
    /// `clqd.csv`.
    Materials,
    /// `bdqd.csv`.
    Forms,
    /// `zsqd.csv`.
    Register,
    /// `bjjg/JG_….csv`.
    Results,
}

impl Kind {
    /// The required column `missing-element` leaves out.
    pub fn dropped_column(self) -> &'static str {
        match self {
            Kind::Matters => "事项名称",
            Kind::Materials => "材料名称",
            Kind::Forms => "字段名",
            Kind::Register => "不动产权证号",
            Kind::Results => "状态代码",
        }
    }

    /// The column and undefined code `unknown-code` puts in the first row.
    pub fn unknown_code(self) -> Option<(&'static str, &'static str)> {
        match self {
            Kind::Matters => Some(("事项类型", "99")),
            Kind::Materials => None,
            Kind::Forms => Some(("字段类型", "9")),
            Kind::Register => Some(("证书状态", "9")),
            Kind::Results => Some(("状态代码", "07")),
        }
    }
}

/// Whether files written under `fault` come out damaged.
pub fn damages(fault: Fault) -> bool {
    matches!(
        fault,
        Fault::Truncated | Fault::WrongEncoding | Fault::MissingElement | Fault::UnknownCode
    )
}

/// GBK bytes of `text`; characters GBK lacks (which no case file can carry) become `?`.
pub fn gbk(text: &str) -> Vec<u8> {
    gbk::encode(text).unwrap_or_else(|_| {
        text.chars()
            .flat_map(|c| gbk::encode(&c.to_string()).unwrap_or_else(|_| b"?".to_vec()))
            .collect()
    })
}

/// The bytes of `sheet` as the department writes it, damaged as `fault` says.
pub fn render(sheet: &Sheet, kind: Kind, fault: Fault) -> Vec<u8> {
    let mut sheet = sheet.clone();
    match fault {
        Fault::MissingElement => sheet.remove_column(kind.dropped_column()),
        Fault::UnknownCode => {
            if let Some((column, code)) = kind.unknown_code() {
                sheet.set_first(column, code);
            }
        }
        _ => {}
    }
    let text = sheet.to_text();
    match fault {
        Fault::WrongEncoding => text.into_bytes(),
        Fault::Truncated => cut(gbk(&text)),
        _ => gbk(&text),
    }
}

/// Cuts GBK bytes in the middle of the first two-byte character of their second half
/// (or, when that half is all ASCII, in the middle of a row).
pub fn cut(mut bytes: Vec<u8>) -> Vec<u8> {
    let half = bytes.len() / 2;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] < 0x80 {
            i += 1;
            continue;
        }
        if i >= half {
            bytes.truncate(i + 1);
            return bytes;
        }
        i += 2;
    }
    bytes.truncate(half);
    while bytes.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        bytes.pop();
    }
    bytes
}

/// Writes `bytes` to `dir/name` through a temporary `.name.tmp` and a rename.
pub fn publish(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temporary = dir.join(format!(".{name}.tmp"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, dir.join(name))
}
