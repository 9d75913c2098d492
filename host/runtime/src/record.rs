//! The call's side of the exchange log ([`onewindow_platform::exchange_log`]):
//! each outbound request and its answer as they pass through the hooks, the
//! bodies teed off as the adapter and the department stream them (never more
//! than the policy's size), and the exchange folder's files before and after
//! the call. What is kept is masked when the call ends.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Frame, SizeHint};
use onewindow_platform::exchange_log::{
    Body, FileChange, FileRecord, HttpRecord, Mode, Policy, redact_headers,
};
use wasmtime_wasi_http::{Error, WasiBody};

use super::exchange::FILESYSTEM_TYPES;
use super::outbound::ResponseFuture;

/// What a call's HTTP exchanges were, as they happen.
#[derive(Clone)]
pub(super) struct HttpLog {
    policy: Policy,
    started: Instant,
    entries: Arc<Mutex<Vec<Pending>>>,
}

struct Pending {
    method: String,
    url: String,
    request_headers: Vec<(String, String)>,
    request_type: Option<String>,
    request_body: Option<Tap>,
    status: Option<u16>,
    response_headers: Vec<(String, String)>,
    response_type: Option<String>,
    response_body: Option<Tap>,
    error: Option<String>,
    at: std::time::Duration,
    duration: std::time::Duration,
}

/// Bytes teed off a body: the first `max`, and how many passed in all.
#[derive(Clone, Default)]
struct Tap(Arc<Mutex<(Vec<u8>, u64)>>);

impl Tap {
    fn take(&self, data: &[u8], max: usize) {
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let room = max.saturating_sub(kept.0.len());
        kept.0.extend_from_slice(&data[..data.len().min(room)]);
        kept.1 += data.len() as u64;
    }

    fn body(
        &self,
        content_type: Option<&str>,
        max: usize,
        names: &[String],
        secrets: &[String],
    ) -> Body {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut body = Body::capture(&kept.0, kept.1, content_type, max, names);
        body.text = body.text.map(|text| hide(text, secrets));
        body
    }
}

/// `text` with each of `secrets` shown as `***`.
fn hide(mut text: String, secrets: &[String]) -> String {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "***");
        }
    }
    text
}

fn content_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    redact_headers(
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or("(not text)"))),
    )
}

impl HttpLog {
    /// A log for a call under `policy`; none when the policy keeps nothing.
    pub(super) fn new(policy: Policy) -> Option<Self> {
        (policy.mode != Mode::Off).then(|| Self {
            policy,
            started: Instant::now(),
            entries: Arc::default(),
        })
    }

    fn full(&self) -> bool {
        self.policy.mode == Mode::Full
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, request: &http::Request<WasiBody>, body: Option<Tap>) -> usize {
        let mut entries = self.entries();
        entries.push(Pending {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            request_headers: header_pairs(request.headers()),
            request_type: content_type(request.headers()),
            request_body: body,
            status: None,
            response_headers: Vec::new(),
            response_type: None,
            response_body: None,
            error: None,
            at: self.started.elapsed(),
            duration: std::time::Duration::ZERO,
        });
        entries.len() - 1
    }

    /// Notes a request that was not sent, and why.
    pub(super) fn refused(&self, request: &http::Request<WasiBody>, why: &str) {
        let at = self.push(request, None);
        self.entries()[at].error = Some(why.to_owned());
    }

    /// Notes `request` and, in full mode, tees its body; the request goes on
    /// with the entry's index.
    pub(super) fn request(
        &self,
        request: http::Request<WasiBody>,
    ) -> (http::Request<WasiBody>, usize) {
        if !self.full() {
            let at = self.push(&request, None);
            return (request, at);
        }
        let tap = Tap::default();
        let at = self.push(&request, Some(tap.clone()));
        let max = self.policy.max_body_bytes;
        let request = request.map(|inner| Tee { inner, tap, max }.boxed_unsync());
        (request, at)
    }

    /// `response` noted in entry `at` as it comes: status, headers, the time
    /// taken and (in full mode) its body.
    pub(super) fn response(&self, at: usize, response: ResponseFuture) -> ResponseFuture {
        let log = self.clone();
        Box::new(async move {
            let answer = Box::into_pin(response).await;
            let mut entries = log.entries();
            let entry = &mut entries[at];
            entry.duration = log.started.elapsed().saturating_sub(entry.at);
            match answer {
                Ok((response, io)) => {
                    entry.status = Some(response.status().as_u16());
                    entry.response_headers = header_pairs(response.headers());
                    entry.response_type = content_type(response.headers());
                    if !log.full() {
                        return Ok((response, io));
                    }
                    let tap = Tap::default();
                    entry.response_body = Some(tap.clone());
                    let max = log.policy.max_body_bytes;
                    Ok((
                        response.map(|inner| Tee { inner, tap, max }.boxed_unsync()),
                        io,
                    ))
                }
                Err(e) => {
                    entry.error = Some(e.to_string());
                    Err(e)
                }
            }
        })
    }

    /// The exchanges as kept: bodies decoded and masked with `names`, and the
    /// adapter's `secrets` (its configured passwords and keys) hidden.
    pub(super) fn finish(&self, names: &[String], secrets: &[String]) -> Vec<HttpRecord> {
        let max = self.policy.max_body_bytes;
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        self.entries()
            .iter()
            .map(|e| HttpRecord {
                method: e.method.clone(),
                url: hide(
                    onewindow_platform::mask::text_with_names(&e.url, names),
                    secrets,
                ),
                request_headers: e.request_headers.clone(),
                request_body: e
                    .request_body
                    .as_ref()
                    .map(|t| t.body(e.request_type.as_deref(), max, names, secrets)),
                status: e.status,
                response_headers: e.response_headers.clone(),
                response_body: e
                    .response_body
                    .as_ref()
                    .map(|t| t.body(e.response_type.as_deref(), max, names, secrets)),
                error: e.error.clone(),
                at_ms: ms(e.at),
                duration_ms: ms(e.duration),
            })
            .collect()
    }
}

/// A body passed on unchanged, its first bytes teed off into a [`Tap`].
struct Tee {
    inner: WasiBody,
    tap: Tap,
    max: usize,
}

impl hyper::body::Body for Tee {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            self.tap.take(data, self.max);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An exchange folder's files: size and modification time by relative path.
pub(super) type Listing = BTreeMap<String, (u64, Option<SystemTime>)>;

/// What the call did in its exchange folder: the files it created or changed
/// between `before` and `after`, those it removed, and those it opened to read
/// (`read`, as the folder holds them after the call); in full mode with the
/// contents of the files written and read, from `dir`.
#[allow(clippy::too_many_arguments)]
pub(super) fn file_changes(
    before: &Listing,
    after: &Listing,
    read: &[String],
    dir: &cap_std::fs::Dir,
    policy: Policy,
    names: &[String],
    secrets: &[String],
) -> Vec<FileRecord> {
    let content = |path: &str, size: u64| {
        (policy.mode == Mode::Full).then(|| {
            let mut kept = Vec::new();
            if let Ok(file) = dir.open(path) {
                use std::io::Read as _;
                let _ = file
                    .take(policy.max_body_bytes as u64)
                    .read_to_end(&mut kept);
            }
            let mut body = Body::capture(&kept, size, None, policy.max_body_bytes, names);
            body.text = body.text.map(|text| hide(text, secrets));
            body
        })
    };
    let mut changes = Vec::new();
    for (path, &(size, modified)) in after {
        if before.get(path) == Some(&(size, modified)) {
            continue;
        }
        changes.push(FileRecord {
            path: path.clone(),
            change: FileChange::Written,
            size,
            content: content(path, size),
        });
    }
    for (path, &(size, _)) in before {
        if !after.contains_key(path) {
            changes.push(FileRecord {
                path: path.clone(),
                change: FileChange::Removed,
                size,
                content: None,
            });
        }
    }
    for path in read {
        let Some(&(size, _)) = after.get(path) else {
            continue;
        };
        if changes.iter().any(|c| &c.path == path) {
            continue;
        }
        changes.push(FileRecord {
            path: path.clone(),
            change: FileChange::Read,
            size,
            content: content(path, size),
        });
    }
    changes
}

/// Replaces `open-at` of `wasi:filesystem/types` with one that notes, for the
/// exchange log, each file of the exchange folder the call opens to read (and
/// each folder it opens, to name the files inside by their whole path), then
/// opens it as wasmtime-wasi does.
pub(super) fn note_reads(
    linker: &mut wasmtime::component::Linker<super::CallState>,
) -> wasmtime::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi::filesystem::{Descriptor, WasiFilesystemView as _};
    use wasmtime_wasi::p2::bindings::filesystem::types::{
        DescriptorFlags, ErrorCode, Host as _, HostDescriptor as _, OpenFlags, PathFlags,
    };

    type Args = (
        Resource<Descriptor>,
        PathFlags,
        String,
        OpenFlags,
        DescriptorFlags,
    );
    linker.allow_shadowing(true);
    let mut types = linker.instance(FILESYSTEM_TYPES)?;
    types.func_wrap_async(
        "[method]descriptor.open-at",
        |mut store, (fd, path_flags, path, oflags, flags): Args| {
            Box::new(async move {
                let parent = fd.rep();
                let opened = {
                    let mut view = store.data_mut().filesystem();
                    match view
                        .open_at(fd, path_flags, path.clone(), oflags, flags)
                        .await
                    {
                        Ok(opened) => Ok(opened),
                        Err(e) => Err(view.convert_error_code(e)?),
                    }
                };
                if let (Ok(opened), Some(log)) = (&opened, store.data_mut().log.as_mut()) {
                    log.opened(parent, opened.rep(), &path, oflags, flags);
                }
                Ok((opened,))
            })
                as Box<
                    dyn Future<
                            Output = wasmtime::Result<(Result<Resource<Descriptor>, ErrorCode>,)>,
                        > + Send,
                >
        },
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The files a call opened, as the exchange log names them.
#[derive(Default)]
pub(super) struct Opened {
    /// Folders opened, by descriptor, with their path in the exchange folder.
    folders: BTreeMap<u32, String>,
    /// Files opened to read only, in the order first opened.
    pub(super) read: Vec<String>,
}

impl Opened {
    pub(super) fn note(
        &mut self,
        parent: u32,
        opened: u32,
        path: &str,
        folder: bool,
        writes: bool,
    ) {
        let path = match self.folders.get(&parent) {
            Some(prefix) => format!("{prefix}/{path}"),
            None => path.to_owned(),
        };
        let path = path.trim_start_matches("./").to_owned();
        if folder {
            self.folders.insert(opened, path);
        } else if !writes && !self.read.contains(&path) {
            self.read.push(path);
        }
    }
}
