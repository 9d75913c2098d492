//! RFC 4180 CSV as the department's batch job writes and reads it, with the `csv`
//! crate: CRLF line ends, fields quoted only when they hold a comma, a quote or
//! a line break. (GBK is decoded before and encoded after, in `case_file` and
//! `export`.)

/// Appends one record to `out`, ending it with CRLF.
pub fn write_record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer
        .write_record(fields.iter().map(AsRef::as_ref))
        .expect("writing to memory cannot fail");
    let bytes = writer.into_inner().expect("flushing to memory cannot fail");
    out.push_str(std::str::from_utf8(&bytes).expect("text in, text out"));
}

/// The text of `records`, one line each.
pub fn to_text<S: AsRef<str>>(records: &[Vec<S>]) -> String {
    let mut out = String::new();
    for record in records {
        write_record(&mut out, record);
    }
    out
}

/// Splits `text` into records of fields; blank lines are skipped. The error says
/// which line is wrong (in Chinese, as the batch job's error files are).
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| {
            record
                .map(|r| r.iter().map(str::to_owned).collect())
                .map_err(|e| match e.position() {
                    Some(at) => format!("第{}行：{e}", at.line()),
                    None => e.to_string(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let records = vec![
            vec!["a".to_owned(), "b,c".to_owned(), "say \"hi\"".to_owned()],
            vec!["line\r\nbreak".to_owned(), String::new(), "镕".to_owned()],
        ];
        let text = to_text(&records);
        assert_eq!(
            text,
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n\"line\r\nbreak\",,镕\r\n"
        );
        assert_eq!(parse(&text).unwrap(), records);
        assert_eq!(parse("x,y").unwrap(), vec![vec!["x", "y"]]);
        assert_eq!(parse("\r\n\r\nx\r\n").unwrap(), vec![vec!["x"]]);
    }
}
