//! The 征管 front-office service's transport.
//!
//! Requests are HTML-form bodies (`application/x-www-form-urlencoded`) whose names
//! and values are GBK bytes, percent-encoded; [`Form`] writes them with the
//! `form_urlencoded` crate. Answers are GBK `text/plain`, one `key=value` per
//! line, closed by the line `jsbz=1`; [`Reply::read`] checks an answer's HTTP
//! status, media type, charset and completeness, and hands out its values by key
//! with errors that name the key.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Display;

use onewindow_sdk::codes::gbk::{self, EncodingError};
use onewindow_sdk::types::AdapterError;

/// What requests are sent as.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=GBK";

/// 渠道标识: the platform's channel as the 征管 system knows it (一网通办).
pub const CHANNEL: &str = "YWTB";

/// The key of the line that closes every complete answer (结束标志).
pub const END_KEY: &str = "jsbz";

/// The status codes (`fhdm`) the specification defines, for messages.
const DEFINED_CODES: &str = "0, 1001, 1002, 1003, 1004, 2001, 3001, 3002, 3003, 9001, 9999";

/// A legacy system's raw HTTP answer, as the translation functions take it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: String,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// A request body under construction: `jylx` and `qdbs` first, then the fields in order.
#[derive(Debug, Clone)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// A request for the operation (交易类型) `jylx`.
    pub fn new(jylx: &str) -> Self {
        Self {
            pairs: vec![
                ("jylx".to_owned(), jylx.to_owned()),
                ("qdbs".to_owned(), CHANNEL.to_owned()),
            ],
        }
    }

    /// Adds the field `key` with `value`.
    pub fn field(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.pairs.push((key.into(), value.into()));
        self
    }

    /// The fields as a form body: GBK, percent-encoded.
    ///
    /// A character GBK lacks (a rare name character such as 𠮷) travels as an HTML
    /// numeric character reference, `&#134071;`, which is what browsers send for a
    /// form of a GBK page and what the 征管 system turns back into the character.
    pub fn finish(&self) -> Vec<u8> {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.encoding_override(Some(&to_gbk));
        for (key, value) in &self.pairs {
            serializer.append_pair(key, value);
        }
        serializer.finish().into_bytes()
    }
}

fn to_gbk(text: &str) -> Cow<'_, [u8]> {
    encoding_rs::GBK.encode(text).0
}

/// One value of an answer and the line it came from.
#[derive(Debug, Clone)]
struct Line {
    number: usize,
    value: String,
}

/// A complete, decoded answer: its values by key.
#[derive(Debug, Clone)]
pub struct Reply {
    op: String,
    what: String,
    lines: BTreeMap<String, Line>,
}

impl Reply {
    /// Checks the answer to `op` and reads its lines.
    ///
    /// Fails `unavailable` on an HTTP error status, a media type other than
    /// `text/plain`, bytes that are not valid in the declared charset (GBK when
    /// none is declared), a line that is not `key=value`, a key given twice, and
    /// an answer that does not end with `jsbz=1` (a truncated one).
    pub fn read(op: &str, answer: &Answer) -> Result<Self, AdapterError> {
        let what = format!("the answer to {op}");
        if !(200..300).contains(&answer.status) {
            return Err(AdapterError::Unavailable(format!(
                "the 征管 system answered HTTP {} to {op} instead of key=value lines; it is down or overloaded, try again later",
                answer.status
            )));
        }
        let media = answer
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim();
        if !media.is_empty() && !media.eq_ignore_ascii_case("text/plain") {
            return Err(AdapterError::Unavailable(format!(
                "{what} is {media}, not the text/plain key=value lines the 征管 system answers with; something between the platform and the system (a proxy, an error page) answered instead"
            )));
        }
        // The protocol specifies GBK, so an answer that declares nothing is read as GBK;
        // decoding is strict, so a wrong guess fails loudly instead of garbling text.
        let charset = gbk::content_type_charset(&answer.content_type).unwrap_or("GBK");
        let text = gbk::decode_declared(&answer.body, charset).map_err(|e| match e {
            EncodingError::Truncated { offset, .. } => AdapterError::Unavailable(format!(
                "{what} is truncated: {e} ({})",
                place(&answer.body, offset)
            )),
            EncodingError::Malformed { offset, .. } => AdapterError::Unavailable(format!(
                "{what} cannot be read in its declared charset {charset}: {e} ({}); the 征管 system is specified to send GBK",
                place(&answer.body, offset)
            )),
            other => AdapterError::Unavailable(format!("{what} cannot be read: {other}")),
        })?;

        let mut pieces: Vec<&str> = text.split('\n').collect();
        // The text after the last line break: empty when the answer ends with one.
        let tail = pieces.pop().unwrap_or_default();
        if !tail.trim().is_empty() {
            return Err(AdapterError::Unavailable(format!(
                "{what} is truncated: its last line \"{}\" has no line break and the closing line {END_KEY}=1 never came",
                shorten(tail)
            )));
        }
        let mut lines = BTreeMap::new();
        let mut last_key: Option<&str> = None;
        let mut ended = false;
        for (index, raw) in pieces.into_iter().enumerate() {
            let number = index + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            if ended {
                return Err(AdapterError::Unavailable(format!(
                    "{what} goes on after its closing line {END_KEY}=1: line {number} is \"{}\"",
                    shorten(line)
                )));
            }
            let Some((key, raw_value)) = line.split_once('=').filter(|(k, _)| is_key(k)) else {
                return Err(AdapterError::Unavailable(format!(
                    "{what}: line {number} (\"{}\") is not a key=value line",
                    shorten(line)
                )));
            };
            if key == END_KEY {
                if raw_value != "1" {
                    return Err(AdapterError::Unavailable(format!(
                        "{what}: line {number} is {END_KEY}={}; the closing line is always {END_KEY}=1",
                        shorten(raw_value)
                    )));
                }
                ended = true;
                continue;
            }
            let value = unescape(raw_value).map_err(|problem| {
                AdapterError::Unavailable(format!(
                    "{what}: the value of {key} on line {number} {problem}"
                ))
            })?;
            if let Some(first) = lines.insert(key.to_owned(), Line { number, value }) {
                return Err(AdapterError::Unavailable(format!(
                    "{what} gives {key} twice, on lines {} and {number}",
                    first.number
                )));
            }
            last_key = Some(key);
        }
        if !ended {
            let last = match last_key {
                Some(key) => format!("the last line read holds {key}"),
                None => "it holds no line at all".to_owned(),
            };
            return Err(AdapterError::Unavailable(format!(
                "{what} is truncated: it ends without the closing line {END_KEY}=1 ({last})"
            )));
        }
        Ok(Self {
            op: op.to_owned(),
            what,
            lines,
        })
    }

    /// `fhdm`, the status code, as sent.
    pub fn code(&self) -> Result<&str, AdapterError> {
        self.require("fhdm", "返回代码")
    }

    /// `fhxx`, the status message; empty when absent.
    pub fn message(&self) -> &str {
        self.get("fhxx").unwrap_or_default()
    }

    /// Maps `fhdm` to the contract: `0` is success, every other code an error.
    pub fn outcome(&self) -> Result<(), AdapterError> {
        let op = &self.op;
        let code = self.code()?;
        let message = self.message();
        let said = |fallback: String| {
            if message.is_empty() {
                fallback
            } else {
                message.to_owned()
            }
        };
        match code {
            "0" => Ok(()),
            "1001" | "1002" | "1003" | "1004" => Err(AdapterError::Invalid(format!(
                "the 征管 system rejected {op} as malformed (fhdm={code}): {}",
                said("no reason given".to_owned())
            ))),
            "2001" => Err(AdapterError::NotFound(said(format!(
                "the 征管 system found nothing for {op} (fhdm=2001)"
            )))),
            "3001" | "3002" | "3003" => Err(AdapterError::Refused(said(format!(
                "the 征管 system refused {op} by its business rules (fhdm={code})"
            )))),
            "9001" | "9999" => Err(AdapterError::Unavailable(format!(
                "the 征管 system could not serve {op} (fhdm={code}): {}; try again later",
                said("no reason given".to_owned())
            ))),
            other => Err(self.error(format_args!(
                "fhdm={other} (返回代码) is not a status code the 征管 system's specification defines ({DEFINED_CODES}); its message was \"{message}\""
            ))),
        }
    }

    /// The trimmed value of `key`; none when the key is absent or its value blank.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines
            .get(key)
            .map(|l| l.value.trim())
            .filter(|v| !v.is_empty())
    }

    /// Like [`Reply::get`], but an absent or blank value is an error naming the key and its `meaning`.
    pub fn require(&self, key: &str, meaning: &str) -> Result<&str, AdapterError> {
        match self.lines.get(key) {
            None => Err(AdapterError::Unavailable(format!(
                "{} has no {key} ({meaning})",
                self.what
            ))),
            Some(line) if line.value.trim().is_empty() => Err(AdapterError::Unavailable(format!(
                "{} has an empty {key} ({meaning}) on line {}",
                self.what, line.number
            ))),
            Some(line) => Ok(line.value.trim()),
        }
    }

    /// Whether any key starts with `prefix` followed by a dot.
    pub fn has_record(&self, prefix: &str) -> bool {
        let start = format!("{prefix}.");
        self.lines
            .range(start.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&start))
    }

    /// The number of entries of the list `list`, from its `{list}.ts` (条数).
    pub fn count(&self, list: &str, meaning: &str) -> Result<usize, AdapterError> {
        let key = format!("{list}.ts");
        let n = self.number(&key, &format!("{meaning}条数"))?;
        usize::try_from(n).map_err(|_| self.unexpected(&key, meaning, &n.to_string(), "a count"))
    }

    /// `key` as a whole number.
    pub fn number(&self, key: &str, meaning: &str) -> Result<u64, AdapterError> {
        let text = self.require(key, meaning)?;
        text.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| text.parse().ok())
            .flatten()
            .ok_or_else(|| self.unexpected(key, meaning, text, "a whole number"))
    }

    /// `key` as the service's `Y`/`N` flag.
    pub fn flag(&self, key: &str, meaning: &str) -> Result<bool, AdapterError> {
        match self.require(key, meaning)? {
            "Y" => Ok(true),
            "N" => Ok(false),
            other => Err(self.unexpected(key, meaning, other, "Y (yes) or N (no)")),
        }
    }

    /// `key` as one of the codes in `table`; any other code is an error that lists them.
    pub fn coded<T: Copy>(
        &self,
        key: &str,
        meaning: &str,
        table: &[(&str, T)],
    ) -> Result<T, AdapterError> {
        let code = self.require(key, meaning)?;
        match table.iter().find(|(c, _)| *c == code) {
            Some(&(_, value)) => Ok(value),
            None => {
                let codes: Vec<&str> = table.iter().map(|(c, _)| *c).collect();
                Err(self.error(format_args!(
                    "{key}={code} ({meaning}){} is not a code the 征管 system's specification defines; expected one of {}",
                    self.on_line(key),
                    codes.join(", ")
                )))
            }
        }
    }

    /// The error for `key` holding `value` where `expected` belongs.
    pub fn unexpected(
        &self,
        key: &str,
        meaning: &str,
        value: &str,
        expected: &str,
    ) -> AdapterError {
        self.error(format_args!(
            "{key}={value} ({meaning}){}; expected {expected}",
            self.on_line(key)
        ))
    }

    /// An `unavailable` error: "the answer to OP: {problem}".
    pub fn error(&self, problem: impl Display) -> AdapterError {
        AdapterError::Unavailable(format!("{}: {problem}", self.what))
    }

    fn on_line(&self, key: &str) -> String {
        self.lines
            .get(key)
            .map(|l| format!(" on line {}", l.number))
            .unwrap_or_default()
    }
}

/// Whether `key` is a key of the protocol: lower-case ASCII letters, digits and dots.
fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'_')
}

/// Undoes the answer's escapes: `\n`, `\r`, `\\`, and `&#N;` for characters GBK lacks.
fn unescape(raw: &str) -> Result<String, String> {
    if !raw.contains(['\\', '&']) {
        return Ok(raw.to_owned());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\\' => {
                let escaped = rest.chars().next();
                let ch = match escaped {
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('\\') => '\\',
                    Some(other) => {
                        return Err(format!(
                            "holds the escape \\{other}, which the protocol does not define (only \\n, \\r and \\\\)"
                        ));
                    }
                    None => return Err("ends with a lone backslash".to_owned()),
                };
                out.push(ch);
                rest = &rest[1..];
            }
            '&' => match character_reference(rest) {
                Some((ch, used)) => {
                    out.push(ch);
                    rest = &rest[used..];
                }
                // A plain ampersand, as in "AT&T".
                None => out.push('&'),
            },
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `#123;` at the start of `rest` (after an ampersand): the character and the bytes used.
fn character_reference(rest: &str) -> Option<(char, usize)> {
    let digits = rest.strip_prefix('#')?;
    let len = digits.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=7).contains(&len) || digits.as_bytes().get(len) != Some(&b';') {
        return None;
    }
    let ch = char::from_u32(digits[..len].parse().ok()?)?;
    Some((ch, 1 + len + 1))
}

/// Where byte `offset` of an answer is, by the key of its line: "in the value of sx.1.mc on line 4".
fn place(body: &[u8], offset: usize) -> String {
    let offset = offset.min(body.len());
    let start = body[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let number = body[..start].iter().filter(|&&b| b == b'\n').count() + 1;
    let line = &body[start..];
    let key = line
        .iter()
        .position(|&b| b == b'=')
        .and_then(|at| std::str::from_utf8(&line[..at]).ok())
        .filter(|k| is_key(k));
    match key {
        Some(key) => format!("in the value of {key} on line {number}"),
        None => format!("on line {number}"),
    }
}

/// At most 40 characters of `text`, for quoting in messages.
fn shorten(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(40) {
        Some((at, _)) => Cow::Owned(format!("{}…", &text[..at])),
        None => Cow::Borrowed(text),
    }
}
