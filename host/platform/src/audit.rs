//! The audit chain: an append-only, hash-chained log of every case action,
//! every license lookup (who looked up whose licenses, for what purpose) and
//! every adapter change.
//!
//! Each [`Entry`] carries the hash of the entry before it, so editing,
//! reordering or deleting any stored entry breaks the chain from that point;
//! [`verify`] walks the log and names the first [`Break`] in words an auditor
//! can act on. Deleting the newest entries leaves a shorter chain that is still
//! consistent; only a head (sequence number and hash) recorded elsewhere
//! reveals that, which is what [`verify_with_head`] checks.
//!
//! This module is pure: the store appends what [`NewEntry::seal`] returns and
//! hands the stored entries back to [`verify`].
//!
//! # The encoding that is hashed (version 1)
//!
//! So that another implementation can verify the chain, and so that the hash
//! survives a database that rewrites JSON (PostgreSQL `jsonb` reorders object
//! keys and drops whitespace), the hash is defined on a canonical encoding,
//! never on stored text:
//!
//! ```text
//! hash  = lowercase_hex(SHA-256(
//!           field("onewindow-audit-v1") ‖ field(seq) ‖ field(at) ‖ field(actor) ‖
//!           field(action) ‖ field(subject) ‖ field(canonical(detail)) ‖ field(prev_hash)))
//! field(s) = the byte length of s as an unsigned 64-bit big-endian integer (8 bytes),
//!            followed by the UTF-8 bytes of s
//! ```
//!
//! - `seq` is written in decimal ASCII (`"17"`), with `-` if negative.
//! - `at`, `actor`, `action`, `subject` and `prev_hash` are taken byte for
//!   byte as stored: `at` must therefore be kept as text (a `timestamptz`
//!   column would rewrite its offset), and `prev_hash` is lowercase hex.
//! - The first entry's `prev_hash` is [`GENESIS`], 64 zeros.
//! - `canonical(detail)` is compact JSON ([`canonical_json`]):
//!   - `null`, `true`, `false` as such;
//!   - a number that is an integer fitting in a signed or unsigned 64-bit
//!     integer in decimal (`-12`, `18446744073709551615`); any other number
//!     is read as an IEEE-754 double and written with the fewest significant
//!     digits that read back as the same double, in plain positional notation
//!     without exponent or trailing `.0` (`1.5`, `0.0000001`, `1e20` as
//!     `100000000000000000000`), and negative zero as `0`. Thus `100`,
//!     `100.0`, `1e2` and `1.00e2` are the same number, as JSON says they are
//!     and as `jsonb`, which keeps `1.50` but prints `1e2` as `100`, needs;
//!   - a string in double quotes, with `"` as `\"`, `\` as `\\`, U+0008,
//!     U+000C, U+000A, U+000D, U+0009 as `\b`, `\f`, `\n`, `\r`, `\t`, the
//!     other characters below U+0020 as `\u00xx` (lowercase hex), and every
//!     other character (Chinese text, `/`, U+007F, …) as its raw UTF-8;
//!   - an array as `[` elements joined by `,` `]`;
//!   - an object as `{` `"key":value` members joined by `,` `}`, sorted by
//!     the UTF-8 bytes of their keys (that is, by code point), recursively.
//!
//! No whitespace is added anywhere.

pub mod seal;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The domain tag hashed first, so a chain can never be confused with another
/// use of the same encoding, and a future encoding can say it is version 2.
const DOMAIN: &str = "onewindow-audit-v1";

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the log: 1, 2, 3, … with no gaps.
    pub seq: i64,
    /// When it happened, RFC 3339 with offset, kept as text.
    pub at: String,
    /// Who did it: `clerk:窗口一号`, `adapter:market-supervision`, `operator:…`, `system`.
    pub actor: String,
    /// What was done: `case.accepted`, `case.status`, `license.lookup`, `adapter.activated`, ….
    pub action: String,
    /// What it concerns: a case number, a holder's (masked) id, an adapter id.
    pub subject: String,
    /// Everything else: the purpose of a lookup, a note, versions, ….
    pub detail: Value,
    /// The hash of the previous entry, or [`GENESIS`] for the first.
    pub prev_hash: String,
    /// The hash over all fields above (see the module docs for the encoding).
    pub hash: String,
    /// The HMAC of `hash` under the audit key (see [`seal`]); none in a
    /// log that was never sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Entry {
    /// The hash this entry's contents call for; differs from `hash` if it was edited.
    pub fn computed_hash(&self) -> String {
        hash_of(
            self.seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            &self.prev_hash,
        )
    }
}

/// What the caller fills in; [`NewEntry::seal`] numbers and chains it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// When it happened, RFC 3339 with offset.
    pub at: String,
    /// Who did it (see [`Entry::actor`]).
    pub actor: String,
    /// What was done (see [`Entry::action`]).
    pub action: String,
    /// What it concerns; personal identifiers already masked by the caller.
    pub subject: String,
    /// Everything else.
    pub detail: Value,
}

impl NewEntry {
    /// Makes the stored entry number `seq` that follows the entry whose hash is `prev_hash`.
    pub fn seal(self, seq: i64, prev_hash: &str) -> Entry {
        let hash = hash_of(
            seq,
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.detail,
            prev_hash,
        );
        Entry {
            seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            subject: self.subject,
            detail: self.detail,
            prev_hash: prev_hash.to_owned(),
            hash,
            seal: None,
        }
    }
}

/// The lowercase hex SHA-256 of an entry's fields in the canonical encoding.
pub fn hash_of(
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &Value,
    prev_hash: &str,
) -> String {
    let mut hasher = Sha256::new();
    let detail = canonical_json(detail);
    for field in [
        DOMAIN,
        &seq.to_string(),
        at,
        actor,
        action,
        subject,
        &detail,
        prev_hash,
    ] {
        // The length prefix keeps field boundaries unambiguous: ("ab", "c")
        // and ("a", "bc") must not hash alike.
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// `value` as canonical JSON: sorted keys, no whitespace, numbers by value.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => write_number(out, number),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            // Sorted here rather than trusting the map: serde_json keeps
            // insertion order when its `preserve_order` feature is on.
            let mut members: Vec<(&String, &Value)> = members.iter().collect();
            members.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (key, item)) in members.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_string(out, key);
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, number: &serde_json::Number) {
    if let Some(int) = number.as_i64() {
        let _ = write!(out, "{int}");
    } else if let Some(int) = number.as_u64() {
        let _ = write!(out, "{int}");
    } else if let Some(float) = number.as_f64() {
        // Rust's `Display` for f64 is the shortest round-trip form, without
        // exponent; integral values print without ".0", so 1e19 read as a
        // double and 10000000000000000000 read as a u64 encode alike.
        if float == 0.0 {
            out.push('0');
        } else {
            let _ = write!(out, "{float}");
        }
    } else {
        // Unreachable without serde_json's arbitrary_precision; then keep its text.
        out.push_str(&number.to_string());
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ch if ch < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(ch));
            }
            ch => out.push(ch),
        }
    }
    out.push('"');
}

/// The first problem found in the log, worded for the auditor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Break {
    /// The entry's contents (or its stored hash) were changed after sealing.
    #[error("{}", edited(.seq, .position))]
    Edited {
        /// The entry's number as stored.
        seq: i64,
        /// Its place in the log, which is the number it should have.
        position: i64,
    },
    /// One or more entries are missing from the log.
    #[error("{}", deleted(.missing, .after_seq, .next_seq))]
    Deleted {
        /// The first missing number.
        missing: i64,
        /// The last entry before the gap (0 if the log starts with the gap).
        after_seq: i64,
        /// The entry found after the gap.
        next_seq: i64,
    },
    /// An entry stands earlier than it should; the one it displaced comes later.
    #[error("entry {seq} is out of order: it stands where entry {position} should be")]
    Reordered {
        /// The misplaced entry's number.
        seq: i64,
        /// Its place in the log, which is the number that belongs there.
        position: i64,
    },
    /// A number that already occurred appears again: an entry was inserted or copied.
    #[error(
        "entry {seq} appears twice: a second entry {seq} stands where entry {position} should be \
         (an entry was inserted or copied into the log)"
    )]
    Duplicate {
        /// The repeated number.
        seq: i64,
        /// Where the second one stands.
        position: i64,
    },
    /// The entry's own hash is right but it does not link to the entry before it.
    #[error("{}", relinked(.seq))]
    Relinked {
        /// The entry whose `prev_hash` is wrong.
        seq: i64,
    },
    /// The log does not end at the head recorded elsewhere.
    #[error("{}", head(.expected_seq, .found))]
    Head {
        /// The number of the recorded head.
        expected_seq: i64,
        /// The number of the log's last entry (0 if the log is empty).
        found: i64,
    },
    /// The entry's seal is not the audit key's seal of its hash.
    #[error(
        "entry {seq} is not sealed by the platform's audit key: it was written or rewritten (and \
         perhaps every later hash recomputed) by someone without the key"
    )]
    Unsealed {
        /// The first entry whose seal is wrong or missing.
        seq: i64,
    },
    /// The log ends at the head's number, but with a different hash.
    #[error(
        "entry {seq} does not match the recorded head (its hash differs): the log up to it was \
         rewritten and re-sealed, or the recorded head is wrong"
    )]
    HeadMismatch {
        /// The number of the recorded head.
        seq: i64,
    },
}

fn edited(seq: &i64, position: &i64) -> String {
    let mut message = format!("entry {seq} was edited: its contents no longer match its hash");
    if seq != position {
        let _ = write!(
            message,
            " (it stands where entry {position} should be, so its number was changed too)"
        );
    }
    message
}

fn deleted(missing: &i64, after_seq: &i64, next_seq: &i64) -> String {
    let last_missing = next_seq - 1;
    let what = if *missing == last_missing {
        format!("entry {missing} is missing")
    } else {
        format!("entries {missing} to {last_missing} are missing")
    };
    if *after_seq == 0 {
        format!("{what} (the log starts at entry {next_seq})")
    } else {
        format!("{what} (the chain jumps from {after_seq} to {next_seq})")
    }
}

fn relinked(seq: &i64) -> String {
    if *seq == 1 {
        "entry 1 does not start the chain (its prev_hash is not 64 zeros): it was forged, or \
         the log was re-sealed"
            .to_owned()
    } else {
        let before = seq - 1;
        format!(
            "entry {seq} does not link to entry {before} (its prev_hash differs): one of the two \
             was replaced by a forged entry"
        )
    }
}

fn head(expected_seq: &i64, found: &i64) -> String {
    let range = |from: i64, to: i64| {
        if from == to {
            format!("entry {from} was")
        } else {
            format!("entries {from} to {to} were")
        }
    };
    if found < expected_seq {
        let ends = if *found == 0 {
            "the log is empty".to_owned()
        } else {
            format!("the log ends at entry {found}")
        };
        format!(
            "{ends} but the recorded head is entry {expected_seq}: {} deleted",
            range(found + 1, *expected_seq)
        )
    } else {
        format!(
            "the log continues past the recorded head, entry {expected_seq}, to entry {found}: {} \
             added without updating the head",
            range(expected_seq + 1, *found)
        )
    }
}

/// Walks entries in storage order; `Ok(count)` or the first [`Break`].
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> Result<u64, Break> {
    let entries: Vec<&Entry> = entries.into_iter().collect();
    walk(&entries)?;
    Ok(entries.len() as u64)
}

/// Like [`verify`], and the log must end exactly at `head` (seq, hash), a
/// head recorded elsewhere: this detects deleting the newest entries.
///
/// An empty log's head is `(0, GENESIS)`. To check against an older
/// checkpoint, pass only the entries up to its number.
pub fn verify_with_head<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    head: (i64, &str),
) -> Result<u64, Break> {
    let entries: Vec<&Entry> = entries.into_iter().collect();
    walk(&entries)?;
    let (expected_seq, expected_hash) = head;
    let (found, found_hash) = entries
        .last()
        .map_or((0, GENESIS), |last| (last.seq, last.hash.as_str()));
    if found != expected_seq {
        return Err(Break::Head {
            expected_seq,
            found,
        });
    }
    if found_hash != expected_hash {
        return Err(Break::HeadMismatch { seq: found });
    }
    Ok(entries.len() as u64)
}

/// Checks every entry's seal against `key`, in order: the first wrong or
/// missing one is named. A rewritten and rehashed entry passes the chain walk,
/// but not this.
pub fn verify_seals<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    key: &seal::AuditKey,
) -> Result<(), Break> {
    for entry in entries {
        let sealed = entry
            .seal
            .as_deref()
            .is_some_and(|seal| key.sealed(&entry.hash, seal));
        if !sealed {
            return Err(Break::Unsealed { seq: entry.seq });
        }
    }
    Ok(())
}

/// Checks each entry in turn: its own hash first (so an edit is named as an
/// edit, not as the next entry's broken link), then its number, then its link.
fn walk(entries: &[&Entry]) -> Result<(), Break> {
    let mut prev_hash = GENESIS;
    for (index, entry) in entries.iter().enumerate() {
        // Every entry before this one had seq == its position, so the
        // position is the number this entry must have.
        let position = index as i64 + 1;
        if entry.computed_hash() != entry.hash {
            return Err(Break::Edited {
                seq: entry.seq,
                position,
            });
        }
        if entry.seq != position {
            return Err(misnumbered(entry.seq, position, &entries[index + 1..]));
        }
        if entry.prev_hash != prev_hash {
            return Err(Break::Relinked { seq: entry.seq });
        }
        prev_hash = &entry.hash;
    }
    Ok(())
}

/// Names why entry `seq` stands at `position`; `rest` are the entries after it.
fn misnumbered(seq: i64, position: i64, rest: &[&Entry]) -> Break {
    if (1..position).contains(&seq) {
        // Numbers 1..position were all seen already, in order.
        Break::Duplicate { seq, position }
    } else if seq > position && !rest.iter().any(|entry| entry.seq == position) {
        Break::Deleted {
            missing: position,
            after_seq: position - 1,
            next_seq: seq,
        }
    } else {
        // The entry that belongs here comes later (or the number is not a
        // valid one at all): this one has been moved forward.
        Break::Reordered { seq, position }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn new(at: &str, actor: &str, action: &str, subject: &str, detail: Value) -> NewEntry {
        NewEntry {
            at: at.to_owned(),
            actor: actor.to_owned(),
            action: action.to_owned(),
            subject: subject.to_owned(),
            detail,
        }
    }

    /// One case from acceptance to evaluation, with a license lookup and an
    /// adapter upgrade in between: ten entries.
    fn entries() -> Vec<NewEntry> {
        let case = "YW-20250314-0001";
        vec![
            new(
                "2025-03-14T09:02:11+08:00",
                "clerk:窗口一号",
                "license.lookup",
                "330106********123X",
                json!({
                    "purpose": "办理开办企业一件事，核验申请人已有证照",
                    "sources": {"answered": ["县市场监督管理局", "县公安局"], "unavailable": ["县税务局"]},
                    "found": 2
                }),
            ),
            new(
                "2025-03-14T09:05:40+08:00",
                "clerk:窗口一号",
                "case.accepted",
                case,
                json!({
                    "matter": {"code": "330100-SCJG-001", "name": "企业设立登记"},
                    "applicant": {"type": "organization", "credit_code": "91330106MA2*****7X", "name": "杭州某某科技有限公司"},
                    "covered_by_license": ["营业执照", "居民身份证"],
                    "consent": {"reuse_licenses": true, "purpose": "免提交已有证照"},
                    "promised_by": "2025-03-19",
                    "fee": 0
                }),
            ),
            new(
                "2025-03-14T09:05:42+08:00",
                "system",
                "case.status",
                case,
                json!({"from": "accepted", "to": "delivered", "adapter": {"id": "market-supervision", "version": "1.2.0"}, "attempt": 1}),
            ),
            new(
                "2025-03-14T10:30:00+08:00",
                "operator:运维值班",
                "adapter.activated",
                "market-supervision",
                json!({"version": "1.3.0", "previous": "1.2.0", "sha256": "9f2c…", "note": "修复营业执照字段映射"}),
            ),
            new(
                "2025-03-14T14:12:09+08:00",
                "adapter:market-supervision",
                "case.status",
                case,
                json!({"from": "delivered", "to": "in_review", "reference": "SCJG2025031400017"}),
            ),
            new(
                "2025-03-17T11:00:00+08:00",
                "adapter:market-supervision",
                "case.status",
                case,
                json!({"from": "in_review", "to": "supplement_requested", "note": "请补正：股东会决议缺少签字页", "clock": {"stopped": true}}),
            ),
            new(
                "2025-03-18T09:30:00+08:00",
                "clerk:窗口二号",
                "case.status",
                case,
                json!({"from": "supplement_requested", "to": "in_review", "note": "已补正签字页", "clock": {"stopped": false, "paused_days": 1}}),
            ),
            new(
                "2025-03-19T16:45:00+08:00",
                "adapter:market-supervision",
                "case.status",
                case,
                json!({"from": "in_review", "to": "approved", "result": {"type_code": "营业执照", "number": "330106000123456", "face": {"名称": "杭州某某科技有限公司", "注册资本": "100万元"}}}),
            ),
            new(
                "2025-03-20T10:00:00+08:00",
                "clerk:窗口一号",
                "case.status",
                case,
                json!({"from": "approved", "to": "completed", "note": "证照已送达\n申请人签收"}),
            ),
            new(
                "2025-03-20T10:05:00+08:00",
                "system",
                "case.evaluated",
                case,
                json!({"rating": 5, "label": "非常满意", "comment": "一次都没跑，\"不见面\"办好了", "score": 4.5}),
            ),
        ]
    }

    /// Seals `news` in order, as the store would on each append.
    fn seal_all(news: Vec<NewEntry>) -> Vec<Entry> {
        let mut chain: Vec<Entry> = Vec::new();
        for new in news {
            let prev = chain.last().map_or(GENESIS.to_owned(), |e| e.hash.clone());
            let seq = chain.len() as i64 + 1;
            chain.push(new.seal(seq, &prev));
        }
        chain
    }

    fn chain() -> Vec<Entry> {
        seal_all(entries())
    }

    fn head_of(chain: &[Entry]) -> (i64, &str) {
        let last = chain.last().unwrap();
        (last.seq, last.hash.as_str())
    }

    /// Verifies and returns the break with its message, for assertions that
    /// read like the auditor's screen.
    fn broken(chain: &[Entry]) -> (Break, String) {
        let found = verify(chain).expect_err("the chain should be broken");
        let message = found.to_string();
        (found, message)
    }

    #[test]
    fn an_untouched_chain_verifies_and_starts_at_genesis() {
        let chain = chain();
        assert_eq!(verify(&chain), Ok(10));
        assert_eq!(verify_with_head(&chain, head_of(&chain)), Ok(10));
        assert_eq!(chain[0].prev_hash, GENESIS);
        assert_eq!(GENESIS.len(), 64);
        assert!(GENESIS.bytes().all(|b| b == b'0'));
        for pair in chain.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        for entry in &chain {
            assert_eq!(entry.hash.len(), 64);
            assert!(
                entry
                    .hash
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            );
        }
    }

    #[test]
    fn an_empty_log_verifies() {
        assert_eq!(verify(&[]), Ok(0));
        assert_eq!(verify_with_head(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn the_first_entry_must_link_to_genesis() {
        let mut news = entries();
        news.truncate(3);
        let mut chain = seal_all(news);
        // Re-seal entry 1 so its own hash is right but it links elsewhere.
        let first = chain[0].clone();
        chain[0] = new(
            &first.at,
            &first.actor,
            &first.action,
            &first.subject,
            first.detail,
        )
        .seal(1, &"1".repeat(64));
        let (found, message) = broken(&chain);
        assert_eq!(found, Break::Relinked { seq: 1 });
        assert_eq!(
            message,
            "entry 1 does not start the chain (its prev_hash is not 64 zeros): it was forged, or \
             the log was re-sealed"
        );
    }

    #[test]
    fn detail_as_postgresql_returns_it_still_verifies() {
        let chain = chain();
        // jsonb orders keys by length, then bytes, adds ", " and ": ", and
        // keeps the scale of a decimal (4.50); the text below is entry 10's
        // detail as `SELECT detail::text` would print it.
        let from_jsonb: Value = serde_json::from_str(
            r#"{"label": "非常满意", "score": 4.50, "rating": 5, "comment": "一次都没跑，\"不见面\"办好了"}"#,
        )
        .unwrap();
        let mut reread = chain.clone();
        reread[9].detail = from_jsonb;
        assert_eq!(verify(&reread), Ok(10));

        // Nested objects too, written in yet another order and spacing.
        let nested: Value = serde_json::from_str(
            r#"{ "result" : { "face" : { "注册资本" : "100万元", "名称" : "杭州某某科技有限公司" },
                 "number": "330106000123456", "type_code": "营业执照" },
                 "to": "approved", "from": "in_review" }"#,
        )
        .unwrap();
        reread[7].detail = nested;
        assert_eq!(verify(&reread), Ok(10));
    }

    #[test]
    fn canonical_json_sorts_keys_and_writes_numbers_by_value() {
        let a: Value =
            serde_json::from_str(r#"{"b": [1, {"z": null, "a": true}], "a": "x"}"#).unwrap();
        assert_eq!(
            canonical_json(&a),
            r#"{"a":"x","b":[1,{"a":true,"z":null}]}"#
        );
        for same in ["100", "100.0", "1e2", "1.00e2"] {
            let number: Value = serde_json::from_str(same).unwrap();
            assert_eq!(canonical_json(&number), "100", "{same}");
        }
        let cases = [
            ("4.50", "4.5"),
            ("-0.0", "0"),
            ("1e-7", "0.0000001"),
            ("1e19", "10000000000000000000"),
            ("10000000000000000000", "10000000000000000000"),
            ("1e20", "100000000000000000000"),
            ("-9223372036854775808", "-9223372036854775808"),
        ];
        for (text, canonical) in cases {
            let number: Value = serde_json::from_str(text).unwrap();
            assert_eq!(canonical_json(&number), canonical, "{text}");
        }
        let text = json!("引号\"反斜杠\\/\u{1}\t\n\u{7f}");
        assert_eq!(
            canonical_json(&text),
            "\"引号\\\"反斜杠\\\\/\\u0001\\t\\n\u{7f}\""
        );
    }

    #[test]
    fn the_hash_follows_the_documented_encoding() {
        // An independent rendering of the module docs' encoding, so that a
        // change to the code that would orphan every stored chain fails here.
        let detail = json!({"purpose": "核验身份", "n": 1});
        let mut bytes = Vec::new();
        for field in [
            "onewindow-audit-v1",
            "7",
            "2025-03-14T09:02:11+08:00",
            "clerk:窗口一号",
            "license.lookup",
            "330106********123X",
            r#"{"n":1,"purpose":"核验身份"}"#,
            GENESIS,
        ] {
            bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
            bytes.extend_from_slice(field.as_bytes());
        }
        let expected = hex::encode(Sha256::digest(&bytes));
        let hash = hash_of(
            7,
            "2025-03-14T09:02:11+08:00",
            "clerk:窗口一号",
            "license.lookup",
            "330106********123X",
            &detail,
            GENESIS,
        );
        assert_eq!(hash, expected);
        assert_eq!(
            hash,
            "a7ff2f28a9ee66b6c5d14b8b12dfd31d6bc8317c7c359195b03ce8a95cd96d84"
        );
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let detail = json!({});
        let one = hash_of(1, "t", "clerk:ab", "c", "s", &detail, GENESIS);
        let two = hash_of(1, "t", "clerk:a", "bc", "s", &detail, GENESIS);
        assert_ne!(one, two);
    }

    #[test]
    fn an_edited_entry_is_named_as_edited() {
        let mut chain = chain();
        chain[3].detail["note"] = json!("修复营业执照字段映射（已改）");
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Edited {
                seq: 4,
                position: 4
            }
        );
        assert_eq!(
            message,
            "entry 4 was edited: its contents no longer match its hash"
        );

        // Any field counts, the actor included.
        let mut chain = self::chain();
        chain[3].actor = "operator:其他人".to_owned();
        assert_eq!(
            broken(&chain).0,
            Break::Edited {
                seq: 4,
                position: 4
            }
        );

        // And so does the stored hash itself.
        let mut chain = self::chain();
        chain[3].hash = "f".repeat(64);
        assert_eq!(
            broken(&chain).0,
            Break::Edited {
                seq: 4,
                position: 4
            }
        );
    }

    #[test]
    fn an_edit_that_changes_the_number_says_so() {
        let mut chain = chain();
        chain[3].seq = 40;
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Edited {
                seq: 40,
                position: 4
            }
        );
        assert_eq!(
            message,
            "entry 40 was edited: its contents no longer match its hash (it stands where entry 4 \
             should be, so its number was changed too)"
        );
    }

    #[test]
    fn an_edited_and_resealed_entry_breaks_the_next_link() {
        let mut chain = chain();
        let original = chain[3].clone();
        let mut detail = original.detail.clone();
        detail["version"] = json!("9.9.9");
        chain[3] = new(
            &original.at,
            &original.actor,
            &original.action,
            &original.subject,
            detail,
        )
        .seal(4, &original.prev_hash);
        let (found, message) = broken(&chain);
        assert_eq!(found, Break::Relinked { seq: 5 });
        assert_eq!(
            message,
            "entry 5 does not link to entry 4 (its prev_hash differs): one of the two was \
             replaced by a forged entry"
        );
    }

    #[test]
    fn a_deleted_entry_is_named() {
        let mut chain = chain();
        chain.remove(4);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Deleted {
                missing: 5,
                after_seq: 4,
                next_seq: 6
            }
        );
        assert_eq!(message, "entry 5 is missing (the chain jumps from 4 to 6)");
    }

    #[test]
    fn several_deleted_entries_are_named_as_a_range() {
        let mut chain = chain();
        chain.drain(4..7);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Deleted {
                missing: 5,
                after_seq: 4,
                next_seq: 8
            }
        );
        assert_eq!(
            message,
            "entries 5 to 7 are missing (the chain jumps from 4 to 8)"
        );
    }

    #[test]
    fn deleting_the_first_entry_is_named() {
        let mut chain = chain();
        chain.remove(0);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Deleted {
                missing: 1,
                after_seq: 0,
                next_seq: 2
            }
        );
        assert_eq!(message, "entry 1 is missing (the log starts at entry 2)");
    }

    #[test]
    fn swapped_entries_are_named_as_reordered() {
        let mut chain = chain();
        chain.swap(5, 6);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Reordered {
                seq: 7,
                position: 6
            }
        );
        assert_eq!(
            message,
            "entry 7 is out of order: it stands where entry 6 should be"
        );
    }

    #[test]
    fn an_entry_moved_to_the_end_is_named_where_the_order_first_breaks() {
        let mut chain = chain();
        let moved = chain.remove(2);
        chain.push(moved);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Reordered {
                seq: 4,
                position: 3
            }
        );
        assert_eq!(
            message,
            "entry 4 is out of order: it stands where entry 3 should be"
        );
    }

    /// A forger writes an entry that claims seq 6 and links to entry 5.
    fn forged_sixth(chain: &[Entry]) -> Entry {
        new(
            "2025-03-17T11:00:00+08:00",
            "clerk:窗口一号",
            "case.status",
            "YW-20250314-0001",
            json!({"from": "in_review", "to": "approved", "note": "伪造的审批"}),
        )
        .seal(6, &chain[4].hash)
    }

    #[test]
    fn a_forged_entry_inserted_with_a_taken_number_is_a_duplicate() {
        let mut chain = chain();
        let forged = forged_sixth(&chain);
        chain.insert(5, forged);
        let (found, message) = broken(&chain);
        assert_eq!(
            found,
            Break::Duplicate {
                seq: 6,
                position: 7
            }
        );
        assert_eq!(
            message,
            "entry 6 appears twice: a second entry 6 stands where entry 7 should be (an entry \
             was inserted or copied into the log)"
        );
    }

    #[test]
    fn a_forged_entry_replacing_one_breaks_the_next_link() {
        let mut chain = chain();
        chain[5] = forged_sixth(&chain);
        let (found, message) = broken(&chain);
        assert_eq!(found, Break::Relinked { seq: 7 });
        assert_eq!(
            message,
            "entry 7 does not link to entry 6 (its prev_hash differs): one of the two was \
             replaced by a forged entry"
        );
    }

    #[test]
    fn a_forged_entry_that_links_elsewhere_is_relinked() {
        let mut chain = chain();
        let original = chain[5].clone();
        // Valid own hash, right number, but chained onto entry 3.
        chain[5] = new(
            &original.at,
            &original.actor,
            &original.action,
            &original.subject,
            original.detail,
        )
        .seal(6, &chain[2].hash);
        let (found, message) = broken(&chain);
        assert_eq!(found, Break::Relinked { seq: 6 });
        assert_eq!(
            message,
            "entry 6 does not link to entry 5 (its prev_hash differs): one of the two was \
             replaced by a forged entry"
        );
    }

    #[test]
    fn dropping_the_newest_entries_needs_the_head_to_be_seen() {
        let full = chain();
        let head = head_of(&full);
        let truncated = &full[..8];
        // The shorter chain is consistent in itself …
        assert_eq!(verify(truncated), Ok(8));
        // … but not against the head recorded elsewhere.
        let found = verify_with_head(truncated, head).unwrap_err();
        assert_eq!(
            found,
            Break::Head {
                expected_seq: 10,
                found: 8
            }
        );
        assert_eq!(
            found.to_string(),
            "the log ends at entry 8 but the recorded head is entry 10: entries 9 to 10 were \
             deleted"
        );

        let found = verify_with_head(&full[..9], head).unwrap_err();
        assert_eq!(
            found.to_string(),
            "the log ends at entry 9 but the recorded head is entry 10: entry 10 was deleted"
        );

        let found = verify_with_head(&[], head).unwrap_err();
        assert_eq!(
            found.to_string(),
            "the log is empty but the recorded head is entry 10: entries 1 to 10 were deleted"
        );

        // A checkpoint taken at entry 8 is checked against the prefix.
        assert_eq!(verify_with_head(&full[..8], head_of(&full[..8])), Ok(8));
    }

    #[test]
    fn entries_appended_behind_the_heads_back_are_reported() {
        let mut chain = chain();
        let head = (chain[9].seq, chain[9].hash.clone());
        let forged = new(
            "2025-03-21T08:00:00+08:00",
            "clerk:窗口一号",
            "license.lookup",
            "330106********123X",
            json!({"purpose": "无"}),
        )
        .seal(11, &chain[9].hash);
        chain.push(forged);
        assert_eq!(verify(&chain), Ok(11));
        let found = verify_with_head(&chain, (head.0, &head.1)).unwrap_err();
        assert_eq!(
            found,
            Break::Head {
                expected_seq: 10,
                found: 11
            }
        );
        assert_eq!(
            found.to_string(),
            "the log continues past the recorded head, entry 10, to entry 11: entry 11 was \
             added without updating the head"
        );
    }

    #[test]
    fn a_chain_resealed_from_the_start_does_not_match_its_head() {
        let original = chain();
        let mut news = entries();
        news[1].detail["fee"] = json!(300);
        let resealed = seal_all(news);
        assert_eq!(verify(&resealed), Ok(10));
        let found = verify_with_head(&resealed, head_of(&original)).unwrap_err();
        assert_eq!(found, Break::HeadMismatch { seq: 10 });
        assert_eq!(
            found.to_string(),
            "entry 10 does not match the recorded head (its hash differs): the log up to it was \
             rewritten and re-sealed, or the recorded head is wrong"
        );
    }

    #[test]
    fn entries_survive_a_json_round_trip() {
        let chain = chain();
        let text = serde_json::to_string(&chain).unwrap();
        let back: Vec<Entry> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, chain);
        assert_eq!(verify(&back), Ok(10));
    }
}
