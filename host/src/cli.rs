//! `onewindow adapter call`: load one adapter package with its manifest's grants
//! and limits, call one export, and give back the unified result as JSON.
//! `onewindow adapter install`: hand a package to a running platform's API.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::adapter::{Adapter, CallError, LoadError};
use crate::model;
use crate::runtime::Runtime;

/// The functions `adapter call` knows, with the JSON argument each takes.
pub const FUNCTIONS: &[(&str, &str)] = &[
    ("matters.list", "no argument"),
    ("cases.submit", "a case submission object"),
    (
        "cases.events",
        "the cursor as a JSON string or number, or nothing",
    ),
    (
        "cases.supplement",
        r#"{"case_no": "...", "attachments": [attachment objects], "note": "..."}"#,
    ),
    ("cases.withdraw", r#"{"case_no": "...", "reason": "..."}"#),
    (
        "cases.on-notify",
        r#"{"content_type": "...", "body": "..."} or {"content_type": "...", "body_base64": "..."}, optionally with "headers": {"name": "value", ...}"#,
    ),
    ("licenses.by-holder", "a party object"),
    ("licenses.verify", r#"["<type code>", "<number>"]"#),
];

/// Why `adapter call` failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("unknown function {0:?}; known: {list}", list = FUNCTIONS.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(", "))]
    UnknownFunction(String),
    #[error("the argument of {function} must be {expected}: {problem}")]
    BadArgument {
        function: &'static str,
        expected: &'static str,
        problem: String,
    },
    #[error(transparent)]
    Call(#[from] CallError),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Notification {
    content_type: String,
    /// More headers of the push, as a department sends them.
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
}

/// Loads the package in `dir` and calls `function` with `argument` (JSON).
pub async fn adapter_call(
    runtime: &Runtime,
    dir: &Path,
    function: &str,
    argument: Option<&str>,
) -> Result<Value, CliError> {
    let (name, expected) = lookup(function)?;
    let argument = match argument {
        None => Value::Null,
        Some(text) => serde_json::from_str(text).map_err(|e| CliError::BadArgument {
            function: name,
            expected,
            problem: e.to_string(),
        })?,
    };
    // Check the argument before loading, so a typo does not cost a compile.
    Call::new(name, expected, argument)?
        .run(&runtime.load_dir(dir)?)
        .await
}

/// The entry of [`FUNCTIONS`] for `function`.
fn lookup(function: &str) -> Result<(&'static str, &'static str), CliError> {
    FUNCTIONS
        .iter()
        .find(|(f, _)| *f == function)
        .copied()
        .ok_or_else(|| CliError::UnknownFunction(function.to_owned()))
}

/// One checked call of an adapter function.
pub(crate) struct Call {
    argument: Argument,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Supplement {
    case_no: String,
    attachments: Vec<model::Attachment>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Withdrawal {
    case_no: String,
    reason: String,
}

enum Argument {
    None,
    Submission(Box<model::CaseSubmission>),
    Supplement(Supplement),
    Withdrawal(Withdrawal),
    Cursor(Option<String>),
    /// The push's headers (lower-case names) and body.
    Notification(Vec<(String, String)>, Vec<u8>),
    Party(model::Party),
    License(String, String),
}

impl Call {
    /// Checks `argument` (JSON) against what the function `name` takes.
    fn new(name: &'static str, expected: &'static str, argument: Value) -> Result<Self, CliError> {
        let bad = |problem: String| CliError::BadArgument {
            function: name,
            expected,
            problem,
        };
        fn typed<T: serde::de::DeserializeOwned>(
            value: Value,
            bad: &dyn Fn(String) -> CliError,
        ) -> Result<T, CliError> {
            serde_json::from_value(value).map_err(|e| bad(e.to_string()))
        }
        let argument = match name {
            "matters.list" => {
                if !argument.is_null() {
                    return Err(bad("it takes none".into()));
                }
                Argument::None
            }
            "cases.submit" => Argument::Submission(Box::new(typed(argument, &bad)?)),
            "cases.supplement" => Argument::Supplement(typed(argument, &bad)?),
            "cases.withdraw" => Argument::Withdrawal(typed(argument, &bad)?),
            "cases.events" => Argument::Cursor(match argument {
                Value::Null => None,
                Value::String(s) => Some(s),
                Value::Number(n) => Some(n.to_string()),
                other => return Err(bad(format!("got {other}"))),
            }),
            "cases.on-notify" => {
                let n: Notification = typed(argument, &bad)?;
                let body = match (n.body, n.body_base64) {
                    (Some(text), None) => text.into_bytes(),
                    (None, Some(b64)) => {
                        use base64::Engine as _;
                        base64::engine::general_purpose::STANDARD
                            .decode(b64)
                            .map_err(|e| bad(format!("body_base64 is not base64: {e}")))?
                    }
                    _ => return Err(bad("give exactly one of body and body_base64".into())),
                };
                let headers = std::iter::once(("content-type".to_owned(), n.content_type))
                    .chain(
                        n.headers
                            .into_iter()
                            .filter(|(name, _)| !name.eq_ignore_ascii_case("content-type"))
                            .map(|(name, value)| (name.to_ascii_lowercase(), value)),
                    )
                    .collect();
                Argument::Notification(headers, body)
            }
            "licenses.by-holder" => Argument::Party(typed(argument, &bad)?),
            "licenses.verify" => {
                let (type_code, number) = typed(argument, &bad)?;
                Argument::License(type_code, number)
            }
            _ => unreachable!("every name in FUNCTIONS is handled"),
        };
        Ok(Self { argument })
    }

    /// Looks `function` up in [`FUNCTIONS`] and checks its argument.
    pub(crate) fn parse(function: &str, argument: Value) -> Result<Self, CliError> {
        let (name, expected) = lookup(function)?;
        Self::new(name, expected, argument)
    }

    pub(crate) async fn run(&self, adapter: &dyn Adapter) -> Result<Value, CliError> {
        Ok(match &self.argument {
            Argument::None => to_json(&adapter.list_matters().await?),
            Argument::Submission(submission) => to_json(&adapter.submit_case(submission).await?),
            Argument::Cursor(cursor) => to_json(&adapter.case_events(cursor.as_deref()).await?),
            Argument::Supplement(s) => to_json(
                &adapter
                    .supplement_case(&s.case_no, &s.attachments, &s.note)
                    .await?,
            ),
            Argument::Withdrawal(w) => {
                to_json(&adapter.withdraw_case(&w.case_no, &w.reason).await?)
            }
            Argument::Notification(headers, body) => {
                to_json(&adapter.on_notify(headers, body).await?)
            }
            Argument::Party(holder) => to_json(&adapter.licenses_by_holder(holder).await?),
            Argument::License(type_code, number) => {
                to_json(&adapter.verify_license(type_code, number).await?)
            }
        })
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("the unified types always serialize")
}

/// Uploads the package at `path` (a `.tar.gz` or a package directory) to the
/// platform at `server` with an operator's `token`, and activates it when
/// `activate` is set (a version lower than the active one only with
/// `allow_downgrade`). Says what was done, or the platform's reason for refusing.
pub async fn install(
    path: &Path,
    server: &str,
    token: &str,
    activate: bool,
    allow_downgrade: bool,
) -> Result<String, String> {
    let files = crate::registry::package::PackageFiles::read(path).map_err(|e| e.to_string())?;
    let base = server.trim_end_matches('/');
    let client = reqwest::Client::new();
    let answer = |response: reqwest::Response| async move {
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("{status}: the answer is not JSON: {e}"))?;
        if status.is_success() {
            Ok(body)
        } else {
            Err(format!(
                "{status}: {}",
                body["message"].as_str().unwrap_or("no reason given")
            ))
        }
    };
    let unreachable = |e: reqwest::Error| format!("cannot reach {base}: {e}");
    let installed = answer(
        client
            .post(format!("{base}/api/v1/admin/adapters"))
            .bearer_auth(token)
            .header("content-type", "application/gzip")
            .body(files.to_tar_gz())
            .send()
            .await
            .map_err(unreachable)?,
    )
    .await?;
    let id = installed["id"].as_str().unwrap_or_default().to_owned();
    let version = installed["version"].as_str().unwrap_or_default().to_owned();
    let mut done = format!(
        "installed {id} {version} (sha256 {}, {})",
        installed["sha256"].as_str().unwrap_or_default(),
        installed["signer"]
            .as_str()
            .map_or_else(|| "unsigned".to_owned(), |s| format!("signed by {s}"))
    );
    if activate {
        answer(
            client
                .post(format!(
                    "{base}/api/v1/admin/adapters/{id}/activate/{version}"
                ))
                .query(&[("allow_downgrade", allow_downgrade)])
                .bearer_auth(token)
                .send()
                .await
                .map_err(unreachable)?,
        )
        .await?;
        done.push_str("; active now");
    } else {
        done.push_str(&format!(
            "; activate it with `onewindow adapter install --activate` or POST {base}/api/v1/admin/adapters/{id}/activate/{version}"
        ));
    }
    Ok(done)
}
