//! Who may call the API: roles, bearer tokens and the rules a token must meet.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::ConfigError;
use super::checks::{entry_key, ordinal};
use super::sources::Origin;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawToken {
    name: String,
    // Text, not `Role`, so a wrong role gets a message naming the entry.
    role: String,
    token: Option<String>,
    token_sha256: Option<String>,
}

/// What a token's holder may do; each endpoint requires one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Window staff: accept applications, track cases, check licenses.
    Clerk,
    /// Runs the platform: installs, swaps and watches adapters, retries deliveries.
    Operator,
    /// Reads and verifies the audit log.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed in messages.
    pub const ALL: [Role; 3] = [Role::Clerk, Role::Operator, Role::Auditor];

    /// The role's name as written in the configuration and in API errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
        }
    }

    /// The role called `name` (lower case, as in the configuration).
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One bearer token: who holds it and in which role. Its secret never appears in `Debug`.
#[derive(Clone)]
pub struct Token {
    /// Who holds it; the actor named on timelines and in the audit log.
    pub name: String,
    /// What it may do.
    pub role: Role,
    pub(super) digest: [u8; 32],
    // The plain text is kept only so the demo can print its tokens at start-up.
    plain: Option<String>,
}

impl Token {
    /// Whether `presented` is this token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        !presented.is_empty() && digest_eq(&sha256(presented), &self.digest)
    }

    /// The token as written in the file when it was given in plain (`token = …`);
    /// `None` for `token-sha256`. Only for printing the demo tokens at start-up.
    pub fn plain_text(&self) -> Option<&str> {
        self.plain.as_deref()
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.plain.is_some() {
            "plain"
        } else {
            "sha256"
        };
        f.debug_struct("Token")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("secret", &format_args!("<{kind}, redacted>"))
            .finish()
    }
}

pub(super) fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

// Comparing digests (not the texts) makes the time independent of the token's
// length, and subtle's comparison independent of where they differ.
pub(super) fn digest_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    subtle::ConstantTimeEq::ct_eq(&a[..], &b[..]).into()
}

/// The `[[tokens]]` entries, checked: each with its own name and its own token.
pub(super) fn tokens(
    raw: Vec<RawToken>,
    origin: &Origin,
    demo: bool,
) -> Result<Vec<Token>, ConfigError> {
    let err = |key: String, problem: String| ConfigError::Invalid {
        origin: origin.clone(),
        key,
        problem,
    };
    if raw.is_empty() {
        let problem = "is empty; add at least one [[tokens]] entry, or nobody can use the API";
        return Err(err("`tokens`".into(), problem.into()));
    }
    let mut out: Vec<Token> = Vec::with_capacity(raw.len());
    for (i, t) in raw.iter().enumerate() {
        let token = token(t, &out, demo)
            .map_err(|(field, p)| err(entry_key(field, "tokens", i, &t.name), p))?;
        out.push(token);
    }
    Ok(out)
}

fn token(t: &RawToken, earlier: &[Token], demo: bool) -> Result<Token, (&'static str, String)> {
    let name = t.name.trim();
    if name.is_empty() {
        return Err((
            "name",
            "is empty; it names the holder on case timelines and in the audit log".into(),
        ));
    }
    if let Some(first) = earlier.iter().position(|e| e.name == name) {
        let first = ordinal(first + 1);
        return Err((
            "name",
            format!(
                "is also the name of the {first} entry; every token needs its own name (it is the actor in the audit log)"
            ),
        ));
    }
    let role = Role::from_name(&t.role).ok_or_else(|| {
        (
            "role",
            format!("is {:?}; it must be clerk, operator or auditor", t.role),
        )
    })?;
    let (field, digest, plain) = match (&t.token, &t.token_sha256) {
        (Some(_), Some(_)) => return Err(("token` and `token-sha256", "are both set; give exactly one of them (token-sha256 keeps the token itself out of the file)".into())),
        (None, None) => return Err(("token", "is missing; give `token = \"...\"` (a random one of at least 128 bits, e.g. from `openssl rand -hex 24`) or `token-sha256 = \"<64 hex digits>\"`".into())),
        (Some(text), None) => ("token", plain_secret(text, demo).map_err(|p| ("token", p))?, Some(text.clone())),
        (None, Some(hex)) => ("token-sha256", hashed_secret(hex).map_err(|p| ("token-sha256", p))?, None),
    };
    if let Some(first) = earlier.iter().position(|e| e.digest == digest) {
        let (first, holder) = (ordinal(first + 1), &earlier[first].name);
        return Err((
            field,
            format!(
                "is the same token as that of the {first} entry ({holder:?}); every holder needs their own token"
            ),
        ));
    }
    Ok(Token {
        name: name.to_owned(),
        role,
        digest,
        plain,
    })
}

/// The fewest bits a token outside the demo may carry.
const TOKEN_BITS: f64 = 128.0;

/// The most a token can carry: its length times the bits of a character of the
/// smallest usual alphabet that holds all its characters (hex, base32,
/// base64url, or all of visible ASCII). A random token reaches this; a chosen
/// one carries less, which no rule can see.
fn token_bits(text: &str) -> f64 {
    let all = |f: fn(&u8) -> bool| text.as_bytes().iter().all(f);
    let per_char = if all(u8::is_ascii_hexdigit) {
        4.0
    } else if all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b)) {
        5.0
    } else if all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_') {
        6.0
    } else {
        94f64.log2()
    };
    per_char * text.len() as f64
}

// The token itself is never part of a message: it may be a real one with a typo.
fn plain_secret(text: &str, demo: bool) -> Result<[u8; 32], String> {
    let len = text.chars().count();
    if len < 16 {
        return Err(format!(
            "is {len} characters long; it must be at least 16 (use a long random string, e.g. from `openssl rand -hex 24`)"
        ));
    }
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "contains a space, control or non-ASCII character; it travels in an HTTP header, so use visible ASCII only".into(),
        );
    }
    let bits = token_bits(text);
    if !demo && bits < TOKEN_BITS {
        return Err(format!(
            "carries at most {bits:.0} bits (a token of {len} such characters); outside the demo a token needs at least 128, so that it cannot be guessed: use e.g. `openssl rand -hex 24` (32 hex digits are 128 bits), or give its sha256 as token-sha256"
        ));
    }
    Ok(sha256(text))
}

fn hashed_secret(text: &str) -> Result<[u8; 32], String> {
    let mut digest = [0u8; 32];
    if text.len() != 64 || hex::decode_to_slice(text, &mut digest).is_err() {
        return Err("must be 64 hex digits: the sha256 of the token, e.g. from `printf %s 'TOKEN' | sha256sum`".into());
    }
    if digest == sha256("") {
        return Err("is the sha256 of an empty text; hash the token itself".into());
    }
    Ok(digest)
}
