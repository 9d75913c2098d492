"""A blocking HTTP client over `wasi:http/outgoing-handler`, for onewindow
adapters written in Python (componentize-py, a `*-http` world).

The host sends a request only when its URL starts with one of the prefixes in
the manifest's `grants.outbound`; any other request raises `HttpError` with
`denied` set. Put this folder on componentize-py's path (`-p plugins/sdk/python`)
and `import onewindow_http`.
"""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

from componentize_py_types import Err, Ok
from wit_world.imports import outgoing_handler, types
from wit_world.imports.streams import StreamError_Closed

# Answers larger than this are refused rather than read into the adapter's memory.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class HttpError(Exception):
    """Why a request did not produce a response. `denied` is set when the host
    refused it (the manifest does not grant the URL), `invalid` when the URL
    cannot be requested at all: neither can succeed on retry."""

    def __init__(self, message: str, denied: bool = False, invalid: bool = False):
        super().__init__(message)
        self.message = message
        self.denied = denied
        self.invalid = invalid

    @property
    def retryable(self) -> bool:
        return not (self.denied or self.invalid)


@dataclass
class Response:
    """A legacy system's answer: status, headers (names in lower case) and body."""

    status: int
    headers: List[Tuple[str, bytes]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> Optional[str]:
        """The first value of header `name` (any case), if it is text."""
        for n, v in self.headers:
            if n == name.lower():
                try:
                    return v.decode("ascii")
                except UnicodeDecodeError:
                    return None
        return None


def _error(url: str, code) -> HttpError:
    if isinstance(code, types.ErrorCode_HttpRequestDenied):
        return HttpError(
            f"the host denied the request to {url}: the adapter's manifest does "
            "not grant it in grants.outbound",
            denied=True,
        )
    if isinstance(
        code,
        (
            types.ErrorCode_ConnectionTimeout,
            types.ErrorCode_ConnectionReadTimeout,
            types.ErrorCode_HttpResponseTimeout,
        ),
    ):
        return HttpError(f"{url} did not answer in time")
    if isinstance(code, types.ErrorCode_ConnectionRefused):
        return HttpError(f"cannot reach {url}: connection refused")
    return HttpError(f"request to {url} failed: {type(code).__name__.removeprefix('ErrorCode_')}")


def request(
    method: str,
    url: str,
    body: bytes = b"",
    headers: Optional[List[Tuple[str, bytes]]] = None,
    timeout_ms: Optional[int] = None,
    max_response_bytes: int = MAX_RESPONSE_BYTES,
) -> Response:
    """Sends a request and reads the whole answer. `timeout_ms` limits the
    connection, the first byte and the gap between two bytes; without it, the
    adapter's call timeout (set by the host) is the only limit."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HttpError(f"cannot request {url}: not an absolute http or https URL", invalid=True)
    methods = {"GET": types.Method_Get(), "POST": types.Method_Post(), "PUT": types.Method_Put()}
    if method not in methods:
        raise HttpError(f"cannot request {url}: method {method} is not supported", invalid=True)

    outgoing = types.OutgoingRequest(types.Fields.from_list(headers or []))
    outgoing.set_method(methods[method])
    outgoing.set_scheme(types.Scheme_Http() if parts.scheme == "http" else types.Scheme_Https())
    outgoing.set_authority(parts.netloc)
    outgoing.set_path_with_query((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    options = None
    if timeout_ms is not None:
        options = types.RequestOptions()
        ns = timeout_ms * 1_000_000
        options.set_connect_timeout(ns)
        options.set_first_byte_timeout(ns)
        options.set_between_bytes_timeout(ns)

    outgoing_body = outgoing.body()
    # Hand the request over before writing the body: the host streams it, so a
    # body larger than its buffer would otherwise never drain.
    try:
        pending = outgoing_handler.handle(outgoing, options)
    except Err as e:
        raise _error(url, e.value) from None
    # A request the host refuses closes the body: its reason comes with the answer.
    unsent = None
    try:
        with outgoing_body.write() as stream:
            for start in range(0, len(body), 4096):
                stream.blocking_write_and_flush(body[start : start + 4096])
        types.OutgoingBody.finish(outgoing_body, None)
    except Err as e:
        unsent = e.value

    with pending:
        with pending.subscribe() as ready:
            ready.block()
        answer = pending.get()
    if not isinstance(answer, Ok):
        raise HttpError(f"request to {url} failed: the response was not ready after waiting")
    if isinstance(answer.value, Err):
        raise _error(url, answer.value.value)
    if unsent is not None:
        raise HttpError(f"cannot send the request to {url}: {unsent}")
    response = answer.value.value

    status = response.status()
    with response.headers() as fields:
        received = [(name.lower(), value) for name, value in fields.entries()]
    incoming = response.consume()
    chunks = []
    size = 0
    with incoming.stream() as stream:
        while True:
            try:
                chunk = stream.blocking_read(64 * 1024)
            except Err as e:
                if isinstance(e.value, StreamError_Closed):
                    break
                raise HttpError(f"the answer from {url} broke off") from None
            size += len(chunk)
            if size > max_response_bytes:
                raise HttpError(f"the answer from {url} is larger than {max_response_bytes} bytes")
            chunks.append(chunk)
    types.IncomingBody.finish(incoming)
    response.__exit__(None, None, None)
    return Response(status, received, b"".join(chunks))


def post(url: str, content_type: str, body: bytes, timeout_ms: Optional[int] = None) -> Response:
    """A `POST` of `body` to `url` with the given content type."""
    return request("POST", url, body, [("content-type", content_type.encode())], timeout_ms)
