//! An adapter's stdout and stderr: each line goes to `tracing` with the adapter
//! id (masked like everything else it logs), and the last lines of stderr are
//! kept so a trap can be reported with what the adapter said before it (a Rust
//! panic message, for example).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use onewindow_platform::mask;

/// Lines longer than this are logged in pieces, so an adapter cannot make the
/// host buffer without bound.
const MAX_LINE: usize = 8 * 1024;
const TAIL_LINES: usize = 4;

/// The last lines an adapter wrote to stderr in one call.
#[derive(Clone, Default)]
pub(super) struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    fn push(&self, line: String) {
        let mut lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if lines.len() == TAIL_LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    /// What the adapter said last, skipping Rust's backtrace hint.
    pub(super) fn last(&self) -> Option<String> {
        let lines = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let said: Vec<&str> = lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
            .collect();
        (!said.is_empty()).then(|| said.join(" "))
    }
}

/// What a call may say: the names of the people it concerns (its applicant,
/// the holders of its licenses), set when the call starts and masked in all the
/// adapter says, and the bytes it may still log (`limits.log-kib`, stdout,
/// stderr and `host.log` together); the rest is dropped and counted.
#[derive(Clone)]
pub(super) struct Names(Arc<Mutex<Said>>);

struct Said {
    names: Vec<String>,
    left: usize,
    dropped: usize,
}

impl Names {
    pub(super) fn new(budget: usize) -> Self {
        Self(Arc::new(Mutex::new(Said {
            names: Vec::new(),
            left: budget,
            dropped: 0,
        })))
    }

    fn said(&self) -> std::sync::MutexGuard<'_, Said> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn set(&self, names: Vec<String>) {
        self.said().names = names;
    }

    /// The names set for the call.
    pub(super) fn names(&self) -> Vec<String> {
        self.said().names.clone()
    }

    /// `text` with every ID number and each of these names masked, if the
    /// call may still log it; `None` once its budget is spent.
    pub(super) fn mask(&self, text: &str) -> Option<String> {
        let mut said = self.said();
        if text.len() > said.left {
            said.left = 0;
            said.dropped += text.len();
            return None;
        }
        said.left -= text.len();
        Some(mask::text_with_names(text, &said.names))
    }

    /// Bytes the call logged past its budget.
    pub(super) fn dropped(&self) -> usize {
        self.said().dropped
    }
}

#[derive(Clone)]
pub(super) struct LogStream {
    adapter: Arc<str>,
    stream: &'static str,
    tail: Option<Tail>,
    names: Names,
    pending: Vec<u8>,
}

impl LogStream {
    pub(super) fn new(
        adapter: &str,
        stream: &'static str,
        tail: Option<Tail>,
        names: Names,
    ) -> Self {
        Self {
            adapter: adapter.into(),
            stream,
            tail,
            names,
            pending: Vec::new(),
        }
    }

    fn emit(&self, line: &[u8]) {
        let Some(text) = self
            .names
            .mask(String::from_utf8_lossy(line).trim_end_matches('\r'))
        else {
            return;
        };
        if text.trim().is_empty() {
            return;
        }
        tracing::info!(target: "adapter", adapter = %self.adapter, stream = self.stream, "{text}");
        if let Some(tail) = &self.tail {
            tail.push(text);
        }
    }

    fn accept(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
        if self.pending.len() > MAX_LINE {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl Drop for LogStream {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit(&line);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.accept(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
