//! `onewindow exchanges`: the exchange log in a terminal, read from the
//! platform's database, and one call saved as an `adapter test` fixtures folder.

use std::path::Path;

use anyhow::Context as _;

use crate::config::{Config, Overrides};
use crate::exchange_log::{Body, FileChange};
use crate::platform::exchanges::{self, Entry, Filter};

async fn store(
    config: Option<&Path>,
    overrides: &Overrides,
) -> anyhow::Result<crate::store::Store> {
    let config = Config::load(config, overrides)?;
    Ok(crate::store::Store::open(&config.database_url).await?)
}

/// The calls `filter` asks for, as the command prints them.
pub async fn print(
    config: Option<&Path>,
    overrides: &Overrides,
    filter: &Filter,
) -> anyhow::Result<String> {
    let store = store(config, overrides).await?;
    let entries = exchanges::list(&store, filter).await?;
    if entries.is_empty() {
        return Ok("no exchange is kept that matches\n".into());
    }
    Ok(entries.iter().map(render).collect())
}

/// Writes exchange `id` as a fixtures folder at `out`.
pub async fn save_fixture(
    config: Option<&Path>,
    overrides: &Overrides,
    id: i64,
    out: &Path,
) -> anyhow::Result<String> {
    let store = store(config, overrides).await?;
    let entry = exchanges::get(&store, id)
        .await?
        .with_context(|| format!("no exchange {id} is kept"))?;
    let files = exchanges::fixture(&entry).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(
        !out.exists(),
        "{} already exists; name a new folder",
        out.display()
    );
    for (path, bytes) in &files {
        let path = out.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(format!(
        "exchange {id} ({} {}) written to {}; replay it with `onewindow adapter test <package> --fixtures {}`\n",
        entry.record.adapter,
        entry.record.function,
        out.display(),
        out.display()
    ))
}

/// One call as the terminal shows it: the call, then each request with its
/// answer, then the files.
pub fn render(entry: &Entry) -> String {
    let r = &entry.record;
    let mut out = format!(
        "#{}  {}  {} {}  {}  {} ms  {}\n",
        entry.id, r.started_at, r.adapter, r.version, r.function, r.duration_ms, r.outcome
    );
    if !r.case_nos.is_empty() {
        out.push_str(&format!("    cases: {}\n", r.case_nos.join(", ")));
    }
    if let Some(error) = &r.error {
        out.push_str(&format!("    error: {error}\n"));
    }
    for h in &r.http {
        let answer = match (h.status, &h.error) {
            (Some(status), _) => status.to_string(),
            (None, Some(error)) => error.clone(),
            (None, None) => "no answer".into(),
        };
        out.push_str(&format!(
            "    → {} {}  {answer}  {} ms\n",
            h.method, h.url, h.duration_ms
        ));
        body(&mut out, "request", h.request_body.as_ref());
        body(&mut out, "response", h.response_body.as_ref());
    }
    for f in &r.files {
        let change = match f.change {
            FileChange::Written => "written",
            FileChange::Removed => "removed",
            FileChange::Read => "read",
        };
        out.push_str(&format!(
            "    file {change}: {} ({} bytes)\n",
            f.path, f.size
        ));
        body(&mut out, "content", f.content.as_ref());
    }
    out.push('\n');
    out
}

fn body(out: &mut String, label: &str, body: Option<&Body>) {
    let Some(body) = body else {
        return;
    };
    let mut about = format!("{} bytes", body.size);
    if let Some(charset) = &body.charset {
        about = format!("{charset}, {about}");
    }
    if body.truncated {
        about.push_str(", cut");
    }
    out.push_str(&format!("      {label} ({about}):\n"));
    let text = match (&body.text, &body.base64) {
        (Some(text), _) => text.clone(),
        (None, Some(b64)) => format!("base64 {b64}"),
        (None, None) => String::new(),
    };
    for line in text.lines() {
        out.push_str(&format!("        {line}\n"));
    }
}
