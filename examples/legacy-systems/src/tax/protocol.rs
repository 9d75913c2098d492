//! The 征管 service's wire format: GBK form requests in, GBK `key=value` answers out,
//! with the fault modes that depend on the format.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onewindow_codes::gbk::{self, EncodingError};

use crate::common::Fault;

/// The key of the closing line of every answer (结束标志).
pub const END_LINE: &str = "jsbz=1";

/// A status code the specification does not define, for the `unknown-code` fault.
pub const UNDEFINED_STATUS: &str = "8001";

/// Why a request body could not be read; each maps to an `fhdm`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A `%` not followed by two hex digits (1002).
    #[error("请求报文第{index}个字段的百分号编码无效：“{piece}”")]
    BadPercent {
        /// 1-based position of the field in the body.
        index: usize,
        /// The field as sent (shortened).
        piece: String,
    },
    /// The declared charset is unknown (1004).
    #[error("请求编码错误：不支持的字符集“{0}”，应为GBK")]
    UnknownCharset(String),
    /// A name or value is not valid in the declared charset (1004).
    #[error("请求编码错误：第{index}个字段不是有效的{charset}编码（{error}）")]
    Encoding {
        /// 1-based position of the field in the body.
        index: usize,
        /// The charset used.
        charset: String,
        /// What was wrong.
        error: EncodingError,
    },
    /// The same field name twice (1002).
    #[error("请求字段{0}重复出现")]
    Duplicate(String),
}

impl RequestError {
    /// The `fhdm` of the answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadPercent { .. } | Self::Duplicate(_) => "1002",
            Self::UnknownCharset(_) | Self::Encoding { .. } => "1004",
        }
    }
}

/// A decoded request: its fields in the order sent.
#[derive(Debug, Clone, Default)]
pub struct Request {
    fields: Vec<(String, String)>,
}

impl Request {
    /// The trimmed value of `name`; none when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name` as sent (untrimmed); none when absent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Decodes a form body in the charset of `content_type` (GBK when it names none).
///
/// `+` is a space, `%XX` a byte; the bytes of each name and value are then decoded
/// strictly, and HTML character references (`&#134071;`), which browsers and the
/// platform send for characters GBK lacks, become the characters again.
pub fn decode_request(body: &[u8], content_type: Option<&str>) -> Result<Request, RequestError> {
    let charset = content_type
        .and_then(gbk::content_type_charset)
        .unwrap_or("GBK");
    if encoding_rs::Encoding::for_label_no_replacement(charset.as_bytes()).is_none() {
        return Err(RequestError::UnknownCharset(charset.to_owned()));
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    for (i, piece) in body
        .split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let index = i + 1;
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let bad = || RequestError::BadPercent {
            index,
            piece: String::from_utf8_lossy(&piece[..piece.len().min(40)]).into_owned(),
        };
        let decode = |bytes: &[u8]| -> Result<String, RequestError> {
            let bytes = percent_decode(bytes).ok_or_else(bad)?;
            let text =
                gbk::decode_declared(&bytes, charset).map_err(|error| RequestError::Encoding {
                    index,
                    charset: charset.to_owned(),
                    error,
                })?;
            Ok(unescape_references(&text))
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if fields.iter().any(|(n, _)| *n == name) {
            return Err(RequestError::Duplicate(name));
        }
        fields.push((name, value));
    }
    Ok(Request { fields })
}

fn percent_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(out)
}

/// Turns `&#N;` (decimal) into the character; anything else stays as it is.
pub fn unescape_references(text: &str) -> String {
    if !text.contains("&#") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let len = after.bytes().take_while(u8::is_ascii_digit).count();
        let ch = ((1..=7).contains(&len) && after.as_bytes().get(len) == Some(&b';'))
            .then(|| after[..len].parse().ok().and_then(char::from_u32))
            .flatten();
        match ch {
            Some(ch) => {
                out.push(ch);
                rest = &after[len + 1..];
            }
            None => {
                out.push_str("&#");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An answer under construction: `fhdm`, `fhxx`, then the lines in order.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The operation answered (for logs).
    pub jylx: String,
    lines: Vec<(String, String)>,
    /// For paged answers, the cursor asked for (`yb`), which `endless-pages` repeats.
    requested: Option<u64>,
}

impl Reply {
    /// An answer with status `fhdm` and message `fhxx`.
    pub fn new(jylx: &str, fhdm: &str, fhxx: &str) -> Self {
        Self {
            jylx: jylx.to_owned(),
            lines: vec![
                ("fhdm".to_owned(), fhdm.to_owned()),
                ("fhxx".to_owned(), fhxx.to_owned()),
            ],
            requested: None,
        }
    }

    /// Adds the line `key=value`.
    pub fn line(&mut self, key: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.lines.push((key.into(), value.into()));
        self
    }

    /// Marks the answer as the page asked for after `yb`.
    pub fn page_of(&mut self, yb: u64) -> &mut Self {
        self.requested = Some(yb);
        self
    }

    /// The value of `key`, if the answer has it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|(k, _)| k.as_str())
    }

    /// Applies the format-specific faults and writes the HTTP answer.
    pub fn into_response(mut self, fault: Fault) -> Response {
        match fault {
            Fault::MissingElement => {
                if let Some(at) = self.lines.iter().position(|(k, _)| droppable(k)) {
                    self.lines.remove(at);
                }
            }
            Fault::UnknownCode => self.unknown_code(),
            Fault::EndlessPages => {
                if let Some(yb) = self.requested {
                    self.set("xyb", yb.to_string());
                    self.set("sfyhy", "Y".to_owned());
                }
            }
            _ => {}
        }
        let content_type = if fault == Fault::WrongEncoding {
            "text/plain; charset=UTF-8"
        } else {
            "text/plain; charset=GBK"
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, content_type)],
            self.to_bytes(),
        )
            .into_response()
    }

    /// The answer's text in GBK (characters GBK lacks as `&#N;`), closed by `jsbz=1`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = String::new();
        for (key, value) in &self.lines {
            text.push_str(key);
            text.push('=');
            for c in value.chars() {
                match c {
                    '\\' => text.push_str("\\\\"),
                    '\n' => text.push_str("\\n"),
                    '\r' => text.push_str("\\r"),
                    c => text.push(c),
                }
            }
            text.push_str("\r\n");
        }
        text.push_str(END_LINE);
        text.push_str("\r\n");
        encoding_rs::GBK.encode(&text).0.into_owned()
    }

    fn set(&mut self, key: &str, value: String) {
        match self.lines.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.lines.push((key.to_owned(), value)),
        }
    }

    /// The first type code becomes one the specification does not define; an answer
    /// without one gets an undefined `fhdm`.
    fn unknown_code(&mut self) {
        for (key, value) in &mut self.lines {
            let undefined = if is_field(key, "sx", "sxlx") {
                "ZZ"
            } else if is_field(key, "zt", "ztdm") {
                "99"
            } else if is_field(key, "ly", "zt") || is_license_status_of_event(key) {
                "9"
            } else {
                continue;
            };
            *value = undefined.to_owned();
            return;
        }
        self.set("fhdm", UNDEFINED_STATUS.to_owned());
    }
}

/// Keys the `missing-element` fault may drop: the first of them goes.
fn droppable(key: &str) -> bool {
    key == "ywlsh"
        || is_field(key, "sx", "mc")
        || is_field(key, "zt", "ztdm")
        || is_field(key, "ly", "zzbh")
}

/// Whether `key` is `{list}.{n}.{field}`.
fn is_field(key: &str, list: &str, field: &str) -> bool {
    key.strip_prefix(list)
        .and_then(|k| k.strip_prefix('.'))
        .and_then(|k| k.strip_suffix(field))
        .and_then(|k| k.strip_suffix('.'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `key` is `zt.{n}.ly.zt`, the status of a record issued with a change.
fn is_license_status_of_event(key: &str) -> bool {
    key.strip_suffix(".ly.zt")
        .and_then(|k| k.strip_prefix("zt."))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_gbk_forms() {
        let body = b"jylx=SXQD&qdbs=YWTB&sqrmc=%D5%C5%C8%FD+%26&x=&y";
        let request = decode_request(body, Some("application/x-www-form-urlencoded")).unwrap();
        assert_eq!(request.get("sqrmc"), Some("张三 &"));
        assert_eq!(request.get("x"), None);
        assert_eq!(request.raw("y"), Some(""));
        let request = decode_request(
            b"a=%E5%BC%A0",
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
        )
        .unwrap();
        assert_eq!(request.get("a"), Some("张"));
        let request = decode_request(b"a=%D5%C5%26%23134071%3B", None).unwrap();
        assert_eq!(request.get("a"), Some("张𠮷"));
    }

    #[test]
    fn bad_requests_have_codes() {
        assert_eq!(decode_request(b"a=%G1", None).unwrap_err().code(), "1002");
        assert_eq!(decode_request(b"a=%4", None).unwrap_err().code(), "1002");
        assert_eq!(decode_request(b"a=1&a=2", None).unwrap_err().code(), "1002");
        assert_eq!(decode_request(b"a=%FF", None).unwrap_err().code(), "1004");
        assert_eq!(
            decode_request(b"a=1", Some("text/plain; charset=klingon"))
                .unwrap_err()
                .code(),
            "1004"
        );
    }

    #[test]
    fn references_only_when_well_formed() {
        assert_eq!(
            unescape_references("AT&T &#; &#12a; &#38;"),
            "AT&T &#; &#12a; &"
        );
    }

    #[test]
    fn answers_escape_and_close() {
        let mut reply = Reply::new("BJSB", "0", "成功");
        reply.line("a", "x\\y\r\nz").line("b", "𠮷");
        let text = gbk::decode(&reply.to_bytes()).unwrap();
        assert_eq!(
            text,
            "fhdm=0\r\nfhxx=成功\r\na=x\\\\y\\r\\nz\r\nb=&#134071;\r\njsbz=1\r\n"
        );
    }

    #[test]
    fn fault_keys() {
        assert!(droppable("sx.1.mc"));
        assert!(!droppable("sx.1.cl.1.mc"));
        assert!(droppable("zt.12.ztdm"));
        assert!(droppable("ly.2.zzbh"));
        assert!(!droppable("zt.1.ly.zzbh"));
        assert!(is_license_status_of_event("zt.3.ly.zt"));
        let mut reply = Reply::new("BJSB", "0", "成功");
        reply.line("ywlsh", "1");
        reply.unknown_code();
        assert_eq!(reply.get("fhdm"), Some(UNDEFINED_STATUS));
    }
}
