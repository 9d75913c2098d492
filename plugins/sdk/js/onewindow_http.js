// A blocking HTTP client over `wasi:http/outgoing-handler`, for onewindow
// adapters written in JavaScript (componentize-js, a `*-http` world).
//
// The host sends a request only when its URL starts with one of the prefixes in
// the manifest's `grants.outbound`; any other request throws an `HttpError`
// with `denied` set. Import it with a relative path:
// `import { request, post, HttpError } from '../sdk/js/onewindow_http.js'`.

import { handle } from 'wasi:http/outgoing-handler@0.2.12';
import { Fields, OutgoingBody, OutgoingRequest, RequestOptions } from 'wasi:http/types@0.2.12';

/** Answers larger than this are refused rather than read into the adapter's memory. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

const encoder = new TextEncoder();

/**
 * Why a request did not produce a response. `denied` is set when the host
 * refused it (the manifest does not grant the URL), `invalid` when the URL
 * cannot be requested at all: neither can succeed on retry.
 */
export class HttpError extends Error {
  constructor(message, { denied = false, invalid = false } = {}) {
    super(message);
    this.denied = denied;
    this.invalid = invalid;
  }

  get retryable() {
    return !(this.denied || this.invalid);
  }
}

function fromCode(url, code) {
  const tag = code?.tag ?? String(code);
  switch (tag) {
    case 'HTTP-request-denied':
      return new HttpError(
        `the host denied the request to ${url}: the adapter's manifest does not grant it in grants.outbound`,
        { denied: true },
      );
    case 'connection-timeout':
    case 'connection-read-timeout':
    case 'HTTP-response-timeout':
      return new HttpError(`${url} did not answer in time`);
    case 'connection-refused':
      return new HttpError(`cannot reach ${url}: connection refused`);
    default:
      return new HttpError(`request to ${url} failed: ${tag}`);
  }
}

/** Drops a resource handle now: a parent cannot be finished while a child lives. */
function drop(resource) {
  resource[Symbol.dispose]?.();
}

const METHODS = { GET: 'get', POST: 'post', PUT: 'put' };

/**
 * Sends a request and reads the whole answer: `{status, headers, body}`, header
 * names in lower case with their values as text, the body as bytes.
 * `timeoutMs` limits the connection, the first byte and the gap between two
 * bytes; without it, the adapter's call timeout (set by the host) is the only
 * limit. `body` is a string (sent as UTF-8) or bytes.
 */
export function request(method, url, { headers = [], body = new Uint8Array(), timeoutMs } = {}) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new HttpError(`cannot request ${url}: not an absolute URL`, { invalid: true });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new HttpError(`cannot request ${url}: the scheme is not http or https`, { invalid: true });
  }
  if (!METHODS[method]) {
    throw new HttpError(`cannot request ${url}: method ${method} is not supported`, { invalid: true });
  }
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const outgoing = new OutgoingRequest(
    Fields.fromList(headers.map(([name, value]) => [name.toLowerCase(), encoder.encode(value)])),
  );
  outgoing.setMethod({ tag: METHODS[method] });
  outgoing.setScheme({ tag: parsed.protocol === 'https:' ? 'HTTPS' : 'HTTP' });
  outgoing.setAuthority(parsed.host);
  outgoing.setPathWithQuery(parsed.pathname + parsed.search);
  let options;
  if (timeoutMs !== undefined) {
    options = new RequestOptions();
    const ns = BigInt(timeoutMs) * 1_000_000n;
    options.setConnectTimeout(ns);
    options.setFirstByteTimeout(ns);
    options.setBetweenBytesTimeout(ns);
  }

  const outgoingBody = outgoing.body();
  // Hand the request over before writing the body: the host streams it, so a
  // body larger than its buffer would otherwise never drain.
  let pending;
  try {
    pending = handle(outgoing, options);
  } catch (e) {
    throw fromCode(url, e.payload);
  }
  // A request the host refuses closes the body: its reason comes with the answer.
  let unsent;
  try {
    const stream = outgoingBody.write();
    for (let start = 0; start < bytes.length; start += 4096) {
      stream.blockingWriteAndFlush(bytes.subarray(start, start + 4096));
    }
    drop(stream);
    OutgoingBody.finish(outgoingBody, undefined);
  } catch (e) {
    unsent = e;
  }

  const ready = pending.subscribe();
  ready.block();
  drop(ready);
  const answer = pending.get();
  drop(pending);
  if (answer?.tag !== 'ok') {
    throw new HttpError(`request to ${url} failed: the response was not ready after waiting`);
  }
  if (answer.val.tag === 'err') {
    throw fromCode(url, answer.val.val);
  }
  if (unsent) {
    throw new HttpError(`cannot send the request to ${url}: ${unsent.payload?.tag ?? unsent}`);
  }
  const response = answer.val.val;
  const status = response.status();
  const fields = response.headers();
  const decoder = new TextDecoder();
  const received = fields.entries().map(([name, value]) => [name.toLowerCase(), decoder.decode(value)]);
  drop(fields);
  const incoming = response.consume();
  const input = incoming.stream();
  const chunks = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = input.blockingRead(65536n);
    } catch (e) {
      if (e.payload?.tag === 'closed') break;
      throw new HttpError(`the answer from ${url} broke off`);
    }
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      throw new HttpError(`the answer from ${url} is larger than ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  drop(input);
  drop(incoming);
  drop(response);
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return {
    status,
    headers: received,
    body: all,
    /** The first value of header `name` (any case). */
    header(name) {
      return received.find(([n]) => n === name.toLowerCase())?.[1];
    },
  };
}

/** A `POST` of `body` to `url` with the given content type. */
export function post(url, contentType, body, { headers = [], timeoutMs } = {}) {
  return request('POST', url, {
    headers: [['content-type', contentType], ...headers],
    body,
    timeoutMs,
  });
}
