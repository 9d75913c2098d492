//! The exchange log (X-Road's message log, seed item 17's 全过程留痕): for every
//! adapter call, what the platform asked, each HTTP request that went to the
//! department and what came back, and the files the call wrote to or removed
//! from its exchange folder. Bodies are decoded to text where their charset
//! allows, masked like the logs and kept up to a size; credentials never are.
//!
//! The sandbox records ([`Recorder`]); the platform keeps the records in the
//! database, prunes them after their retention and serves them to operators
//! (`platform::exchanges`).

use serde::{Deserialize, Serialize};

use crate::adapter::CallError;
use crate::mask;

/// How much of an adapter's exchanges is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Everything, bodies and file contents included (up to the size limit).
    #[default]
    Full,
    /// The call, its requests and files, without any body or content.
    Metadata,
    /// Nothing.
    Off,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Metadata => "metadata",
            Mode::Off => "off",
        }
    }
}

/// What is kept of one adapter's exchanges, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub mode: Mode,
    /// Records older than this many days are pruned.
    pub retention_days: u32,
    /// Each body or file content is kept up to this many bytes.
    pub max_body_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            mode: Mode::Full,
            retention_days: 30,
            max_body_bytes: 64 * 1024,
        }
    }
}

/// One adapter call, as kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallRecord {
    pub adapter: String,
    pub version: String,
    /// `cases.submit`, `cases.events`, …
    pub function: String,
    /// The cases the call concerns: the one submitted, or those its events are about.
    pub case_nos: Vec<String>,
    /// When the call started (RFC 3339, UTC).
    pub started_at: String,
    pub duration_ms: u64,
    /// `ok`, or the kind of the failure (`unavailable`, `trap`, `timeout`, …).
    pub outcome: String,
    /// The failure as `onewindow adapter test` writes it: `{"error": {…}}` for
    /// the adapter's own error, `{"failure": "…"}` for anything else; masked.
    pub error: Option<serde_json::Value>,
    pub mode: Mode,
    /// The call's argument as `onewindow adapter call` takes it, masked; only in full mode.
    pub argument: Option<serde_json::Value>,
    pub http: Vec<HttpRecord>,
    pub files: Vec<FileRecord>,
}

/// One outbound HTTP request and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HttpRecord {
    pub method: String,
    pub url: String,
    /// Credentials (authorization, cookies, keys, tokens) shown as `***`.
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<Body>,
    /// None when no answer came.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    pub response_body: Option<Body>,
    /// Why no answer came (refused by the grants, connection failed, …).
    pub error: Option<String>,
    /// When it was sent, from the start of the call.
    pub at_ms: u64,
    pub duration_ms: u64,
}

/// A file of the exchange folder the call wrote, removed or read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileRecord {
    /// Relative to the exchange folder.
    pub path: String,
    pub change: FileChange,
    pub size: u64,
    pub content: Option<Body>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    /// Created or changed by the call.
    Written,
    /// Removed by the call.
    Removed,
    /// Opened by the call to read (as it was after the call).
    Read,
}

/// A body or file content as kept: text when it decodes in its charset (then
/// masked), else base64 of the bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Body {
    /// The whole body's size, bytes.
    pub size: u64,
    /// Whether only the first `max-body-kib` were kept.
    pub truncated: bool,
    /// The charset it was decoded with (`UTF-8`, `GBK`, `GB18030`, …).
    pub charset: Option<String>,
    pub text: Option<String>,
    pub base64: Option<String>,
}

impl Body {
    /// The first `max` bytes of `bytes` (of `size` in all), decoded with the
    /// charset of `content_type` (or UTF-8, or GB18030, the departments' usual
    /// ones) and masked; base64 if none decodes them.
    pub fn capture(
        bytes: &[u8],
        size: u64,
        content_type: Option<&str>,
        max: usize,
        names: &[String],
    ) -> Body {
        let truncated = size as usize > bytes.len().min(max) || bytes.len() > max;
        let kept = &bytes[..bytes.len().min(max)];
        let declared = content_type
            .and_then(|t| {
                t.split(';')
                    .filter_map(|p| p.trim().split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                    .map(|(_, v)| v.trim().trim_matches('"').to_owned())
            })
            .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()));
        let candidates = declared
            .into_iter()
            .chain([encoding_rs::UTF_8, encoding_rs::GB18030]);
        for encoding in candidates {
            let (text, malformed) = encoding.decode_without_bom_handling(kept);
            // A body cut at the limit may end inside a character.
            let text = if malformed && truncated {
                let trimmed = text.trim_end_matches('\u{FFFD}');
                if trimmed.contains('\u{FFFD}') {
                    continue;
                }
                trimmed.to_owned()
            } else if malformed {
                continue;
            } else {
                text.into_owned()
            };
            return Body {
                size,
                truncated,
                charset: Some(encoding.name().to_owned()),
                text: Some(mask::text_with_names(&text, names)),
                base64: None,
            };
        }
        use base64::Engine as _;
        Body {
            size,
            truncated,
            charset: None,
            text: None,
            base64: Some(base64::engine::general_purpose::STANDARD.encode(kept)),
        }
    }

    /// The bytes the body stands for: the text encoded back in its charset, or the base64's.
    pub fn bytes(&self) -> Vec<u8> {
        if let Some(text) = &self.text {
            let encoding = self
                .charset
                .as_deref()
                .and_then(|c| encoding_rs::Encoding::for_label(c.as_bytes()))
                .unwrap_or(encoding_rs::UTF_8);
            return encoding.encode(text).0.into_owned();
        }
        use base64::Engine as _;
        self.base64
            .as_deref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .unwrap_or_default()
    }
}

/// Header names whose values are credentials: never kept.
pub fn is_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie" | "set-cookie"
    ) || [
        "token",
        "secret",
        "password",
        "passwd",
        "api-key",
        "apikey",
        "signature",
        "session",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// `headers` with every credential's value replaced by `***`.
pub fn redact_headers<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(name, value)| {
            let value = if is_credential(name) { "***" } else { value };
            (name.to_owned(), value.to_owned())
        })
        .collect()
}

/// A failed call as `onewindow adapter test` writes its expected result, masked.
pub fn error_value(error: &CallError, names: &[String]) -> serde_json::Value {
    let value = match error {
        CallError::Adapter { error, .. } => serde_json::json!({ "error": error }),
        other => serde_json::json!({ "failure": other.to_string() }),
    };
    mask_json(&value, names)
}

/// `value` with every ID number and each of `names` masked in its strings.
pub fn mask_json(value: &serde_json::Value, names: &[String]) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(mask::text_with_names(s, names)),
        Value::Array(items) => Value::Array(items.iter().map(|v| mask_json(v, names)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), mask_json(v, names)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Where the sandbox hands its records: the platform's exchange log.
pub trait Recorder: Send + Sync + std::fmt::Debug {
    /// What to keep of `adapter`'s calls.
    fn policy(&self, adapter: &str) -> Policy;
    /// Keeps `record` (never blocks the call; a full queue drops and counts it).
    fn record(&self, record: CallRecord);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gbk_body_is_kept_as_masked_text_and_encodes_back() {
        let (bytes, _, _) = encoding_rs::GBK.encode("申请人：张三 身份证 110105199003070012");
        let body = Body::capture(
            &bytes,
            bytes.len() as u64,
            Some("text/xml; charset=GBK"),
            1024,
            &["张三".into()],
        );
        assert_eq!(body.charset.as_deref(), Some("GBK"));
        assert_eq!(
            body.text.as_deref(),
            Some("申请人：张* 身份证 110105********0012")
        );
        assert!(!body.truncated);
        assert_eq!(
            body.bytes(),
            encoding_rs::GBK
                .encode("申请人：张* 身份证 110105********0012")
                .0
                .into_owned()
        );
    }

    #[test]
    fn a_body_is_cut_at_the_limit_even_inside_a_character() {
        let text = "办件".repeat(10);
        let body = Body::capture(text.as_bytes(), text.len() as u64, None, 7, &[]);
        assert!(body.truncated);
        assert_eq!(body.size, 60);
        assert_eq!(body.text.as_deref(), Some("办件"));
    }

    #[test]
    fn binary_is_kept_as_base64() {
        let bytes = [0xff, 0x00, 0xfe, 0x80];
        let body = Body::capture(&bytes, 4, Some("application/octet-stream"), 1024, &[]);
        assert_eq!(body.text, None);
        assert_eq!(body.bytes(), bytes);
    }

    #[test]
    fn credentials_are_never_kept() {
        let kept = redact_headers([
            ("Authorization", "Bearer abc"),
            ("Cookie", "ASP.NET_SessionId=1"),
            ("X-Api-Key", "k"),
            ("X-Sign-Token", "t"),
            ("Content-Type", "application/json"),
        ]);
        let values: Vec<&str> = kept.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["***", "***", "***", "***", "application/json"]);
    }
}
