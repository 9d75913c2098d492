//! The department's GBK CSV tables: strict decoding, columns found by their Chinese
//! header names, and errors that name the file, the row and the column.

use std::fmt;

use onewindow_sdk::codes::gbk::{self, EncodingError};
use onewindow_sdk::types::AdapterError;

/// A GBK CSV file with a header row, decoded and split into records.
#[derive(Debug)]
pub struct Table {
    /// The file's path inside the exchange folder, for messages.
    file: String,
    columns: Vec<String>,
    records: Vec<csv::StringRecord>,
    /// The column that names a row in messages, when the table has one.
    key: Option<&'static str>,
}

/// An `unavailable` error about the file `file`.
pub fn damaged(file: &str, what: impl fmt::Display) -> AdapterError {
    AdapterError::Unavailable(format!("{file} {what}"))
}

/// Decodes the bytes of a file the department wrote, which must be GBK and end with a
/// line break.
pub fn decode(file: &str, bytes: &[u8]) -> Result<String, AdapterError> {
    if bytes.is_empty() {
        return Err(damaged(
            file,
            "is empty: not even its header row was written; the department's batch job must export it again",
        ));
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Err(damaged(
            file,
            "starts with a UTF-8 byte order mark: it was written in UTF-8, but the exchange requires GBK; the department's batch job must export it again in GBK",
        ));
    }
    if !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok() {
        return Err(damaged(
            file,
            "is UTF-8 text, but the exchange requires GBK (its Chinese text is valid UTF-8, which GBK text practically never is); the department's batch job must export it again in GBK",
        ));
    }
    let text = gbk::decode(bytes).map_err(|e| match e {
        EncodingError::Truncated { offset, .. } => damaged(
            file,
            format_args!(
                "is cut off: it ends in the middle of a GBK character (at byte {offset} of {}); the department's batch job did not finish writing it",
                bytes.len()
            ),
        ),
        other => damaged(
            file,
            format_args!("is not valid GBK text: {other}"),
        ),
    })?;
    if !text.ends_with('\n') {
        let lines = text.lines().count();
        return Err(damaged(
            file,
            format_args!(
                "is cut off mid-row: its last line (line {lines}) has no line break, and every file of the exchange ends with one"
            ),
        ));
    }
    Ok(text)
}

impl Table {
    /// Reads `bytes` of `file`, which must have every column of `required`; rows are
    /// named by their value in the `key` column in messages.
    pub fn read(
        file: &str,
        bytes: &[u8],
        required: &[&str],
        key: Option<&'static str>,
    ) -> Result<Table, AdapterError> {
        let text = decode(file, bytes)?;
        Self::parse(file, &text, required, key)
    }

    /// [`Table::read`] of decoded text.
    pub fn parse(
        file: &str,
        text: &str,
        required: &[&str],
        key: Option<&'static str>,
    ) -> Result<Table, AdapterError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(file, &e))?
            .iter()
            .map(|c| c.trim().to_owned())
            .collect();
        for (i, column) in columns.iter().enumerate() {
            if columns[..i].contains(column) {
                return Err(damaged(
                    file,
                    format_args!("has the column {column} twice in its header row"),
                ));
            }
        }
        for column in required {
            if !columns.iter().any(|c| c == column) {
                return Err(damaged(
                    file,
                    format_args!(
                        "has no column {column} (its header row is: {}); the department's batch job must export it with every column of the exchange spec",
                        columns.join(",")
                    ),
                ));
            }
        }
        let records = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| csv_error(file, &e))?;
        Ok(Table {
            file: file.to_owned(),
            columns,
            records,
            key,
        })
    }

    /// The file's path inside the exchange folder.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// How many data rows the table has.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the table has no data rows.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether the header has `column`.
    pub fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// The data rows, numbered from 1.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.records.iter().enumerate().map(move |(i, record)| Row {
            table: self,
            number: i + 1,
            record,
        })
    }
}

fn csv_error(file: &str, e: &csv::Error) -> AdapterError {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => {
            // The record index counts data rows from 1 (the header is record 0); the
            // reader's line numbers are not reliable with CRLF line ends.
            let row = pos.as_ref().map_or(0, csv::Position::record);
            damaged(
                file,
                format_args!(
                    "is damaged: row {row} has {len} fields but the header row has {expected_len}"
                ),
            )
        }
        _ => damaged(file, format_args!("is not readable CSV: {e}")),
    }
}

/// One data row of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    table: &'a Table,
    number: usize,
    record: &'a csv::StringRecord,
}

impl<'a> Row<'a> {
    /// The row's number among the data rows, from 1.
    pub fn number(&self) -> usize {
        self.number
    }

    /// The trimmed value of `column`; `None` when the table has no such column.
    pub fn get(&self, column: &str) -> Option<&'a str> {
        let index = self.table.columns.iter().position(|c| c == column)?;
        self.record.get(index).map(str::trim)
    }

    /// The value of `column`, which must be there and not empty.
    pub fn require(&self, column: &str) -> Result<&'a str, AdapterError> {
        match self.get(column) {
            Some("") => Err(self.error(format_args!("has an empty {column}"))),
            Some(value) => Ok(value),
            None => Err(self.error(format_args!("has no column {column}"))),
        }
    }

    /// The value of `column` if it is there and not empty.
    pub fn optional(&self, column: &str) -> Option<&'a str> {
        self.get(column).filter(|v| !v.is_empty())
    }

    /// An `unavailable` error about this row: `<file> row <n> (<key>): <what>`.
    pub fn error(&self, what: impl fmt::Display) -> AdapterError {
        AdapterError::Unavailable(format!("{}: {what}", self.place()))
    }

    /// An error for a value of `column` that is not what the spec allows.
    pub fn unexpected(&self, column: &str, value: &str, expected: &str) -> AdapterError {
        self.error(format_args!(
            "has {column} \"{value}\"; expected {expected}"
        ))
    }

    /// `<file> row <n>`, with the row's key when there is one.
    pub fn place(&self) -> String {
        let key = self
            .table
            .key
            .and_then(|k| Some((k, self.optional(k)?)))
            .map(|(k, v)| format!(" ({k} {v})"))
            .unwrap_or_default();
        format!("{} row {}{key}", self.table.file, self.number)
    }
}
