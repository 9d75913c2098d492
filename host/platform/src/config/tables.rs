//! The tables only the file sets: `[[tokens]]` (who may call the API, in which
//! role), `[hooks.*]`, `[[themes]]` and `[exchange-log]`. An error is "`key` problem".

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::exchange_log::{Mode, Policy};

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(super) struct Tables {
    pub tokens: Vec<RawToken>,
    pub themes: Vec<RawTheme>,
    pub hooks: BTreeMap<String, Hook>,
    #[serde(rename = "exchange-log")]
    pub exchange_log: RawExchangeLog,
    #[serde(rename = "applicant-sign-in")]
    pub applicant_sign_in: Option<RawApplicantSignIn>,
}

/// `[applicant-sign-in]`: the identity platform applicants sign in with.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawApplicantSignIn {
    issuer: String,
    client_id: String,
    client_secret: String,
}

/// How applicants sign in (一证通用): the provincial identity platform, an
/// OpenID Provider, with the platform registered there as a client.
#[derive(Clone)]
pub struct ApplicantSignIn {
    /// The OpenID Provider's issuer URL; its discovery document is read from
    /// `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// `<public-url>/my/callback`: the redirect URI registered with the provider.
    pub redirect_url: String,
}

impl fmt::Debug for ApplicantSignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplicantSignIn")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

pub(super) fn applicant_sign_in(
    raw: Option<RawApplicantSignIn>,
    public_url: Option<&str>,
) -> Result<Option<ApplicantSignIn>, String> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let web = |url: &str| url.starts_with("https://") || url.starts_with("http://");
    if !web(&raw.issuer) {
        return Err(format!(
            "`issuer` of [applicant-sign-in] is {:?}; it must be the identity platform's http(s) URL",
            raw.issuer
        ));
    }
    for (key, value) in [
        ("client-id", &raw.client_id),
        ("client-secret", &raw.client_secret),
    ] {
        if value.trim().is_empty() {
            return Err(format!("`{key}` of [applicant-sign-in] is empty"));
        }
    }
    let Some(public_url) = public_url.filter(|url| web(url)) else {
        return Err("[applicant-sign-in] needs `public-url`, the http(s) address applicants reach the platform at: \
             its /my/callback is the redirect URI registered with the identity platform"
            .to_owned());
    };
    Ok(Some(ApplicantSignIn {
        issuer: raw.issuer,
        client_id: raw.client_id,
        client_secret: raw.client_secret,
        redirect_url: format!("{}/my/callback", public_url.trim_end_matches('/')),
    }))
}

/// `[exchange-log]`: the defaults, and `[exchange-log.adapters.<id>]` for one adapter.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawExchangeLog {
    mode: Option<Mode>,
    retention_days: Option<u32>,
    max_body_kib: Option<u32>,
    adapters: BTreeMap<String, RawLogPolicy>,
}

#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawLogPolicy {
    mode: Option<Mode>,
    retention_days: Option<u32>,
    max_body_kib: Option<u32>,
}

/// What the exchange log keeps: by default, and for each adapter named.
#[derive(Debug, Clone, Default)]
pub struct ExchangeLog {
    pub default: Policy,
    pub adapters: BTreeMap<String, Policy>,
}

impl ExchangeLog {
    /// What is kept of `adapter`'s calls.
    pub fn policy(&self, adapter: &str) -> Policy {
        self.adapters.get(adapter).copied().unwrap_or(self.default)
    }
}

/// The retention and body limits an operator may set.
const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;
const MAX_BODY_KIB: std::ops::RangeInclusive<u32> = 0..=10 * 1024;

fn policy(
    base: Policy,
    mode: Option<Mode>,
    retention_days: Option<u32>,
    max_body_kib: Option<u32>,
    table: &str,
) -> Result<Policy, String> {
    let mut policy = base;
    if let Some(mode) = mode {
        policy.mode = mode;
    }
    if let Some(days) = retention_days {
        if !RETENTION_DAYS.contains(&days) {
            return Err(format!(
                "`retention-days` of [{table}] is {days}; it must be from {} to {}",
                RETENTION_DAYS.start(),
                RETENTION_DAYS.end()
            ));
        }
        policy.retention_days = days;
    }
    if let Some(kib) = max_body_kib {
        if !MAX_BODY_KIB.contains(&kib) {
            return Err(format!(
                "`max-body-kib` of [{table}] is {kib}; it must be from {} to {}",
                MAX_BODY_KIB.start(),
                MAX_BODY_KIB.end()
            ));
        }
        policy.max_body_bytes = kib as usize * 1024;
    }
    Ok(policy)
}

pub(super) fn exchange_log(raw: RawExchangeLog) -> Result<ExchangeLog, String> {
    let default = policy(
        Policy::default(),
        raw.mode,
        raw.retention_days,
        raw.max_body_kib,
        "exchange-log",
    )?;
    let mut adapters = BTreeMap::new();
    for (id, p) in raw.adapters {
        let table = format!("exchange-log.adapters.{id}");
        crate::manifest::check_id(&id).map_err(|problem| format!("[{table}] {problem}"))?;
        let policy = policy(default, p.mode, p.retention_days, p.max_body_kib, &table)?;
        adapters.insert(id, policy);
    }
    Ok(ExchangeLog { default, adapters })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawToken {
    name: String,
    role: Role,
    #[serde(default)]
    department: Option<String>,
    token: Option<String>,
    token_sha256: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTheme {
    #[serde(deserialize_with = "code")]
    code: String,
    #[serde(deserialize_with = "name")]
    name: String,
    #[serde(deserialize_with = "matters")]
    matters: Vec<String>,
    #[serde(deserialize_with = "promised_days")]
    promised_days: u32,
    #[serde(default)]
    after: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    issues: BTreeMap<String, Vec<String>>,
}

/// What a token's holder may do; each endpoint requires one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Window staff: accept applications, track cases, check licenses.
    Clerk,
    /// Runs the platform: installs, swaps and watches adapters, retries deliveries.
    Operator,
    /// Reads and verifies the audit log.
    Auditor,
    /// 督查: sees every department's 差评 follow-ups and complaints, presses
    /// those past their limit (督办), and reads the reform's statistics.
    Supervisor,
    /// A department's staff: handles that department's 差评 follow-ups and
    /// complaints, and sees no other department's.
    Department,
}

impl Role {
    /// Every role, in the order they are listed in messages.
    pub const ALL: [Role; 5] = [
        Role::Clerk,
        Role::Operator,
        Role::Auditor,
        Role::Supervisor,
        Role::Department,
    ];

    /// The role's name as written in the configuration and in API errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Operator => "operator",
            Role::Auditor => "auditor",
            Role::Supervisor => "supervisor",
            Role::Department => "department",
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
    /// The department a `department` token's holder works for, as the
    /// catalogue names it (e.g. 县税务局); none for the other roles.
    pub department: Option<String>,
    pub(super) digest: [u8; 32],
    /// The token as written in the file (`token = …`), kept only so the demo can print it.
    plain: Option<String>,
}

impl Token {
    /// The token as written in the file (`None` for `token-sha256`), for printing the demo's.
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

/// `1st`, `2nd`, … for the entry at index `i`.
pub(super) fn ordinal(i: usize) -> String {
    let n = i + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The name of `field` of the entry at index `i` of `[[table]]`, labelled with its name or code.
pub(super) fn entry(table: &str, i: usize, field: &str, label: &str) -> String {
    let label = if label.trim().is_empty() {
        String::new()
    } else {
        format!(" ({label:?})")
    };
    format!("`{field}` of the {} [[{table}]] entry{label}", ordinal(i))
}

const BOTH: &str =
    "are both set; give exactly one of them (token-sha256 keeps the token itself out of the file)";
const NEITHER: &str = "is missing; give `token = \"...\"` (a random one of at least 128 bits, e.g. from `openssl rand -hex 24`) or `token-sha256 = \"<64 hex digits>\"`";

/// The `[[tokens]]` entries, each with its own name and token, of 128 bits outside the demo.
pub(super) fn tokens(raw: Vec<RawToken>, demo: bool) -> Result<Vec<Token>, String> {
    let mut out: Vec<Token> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        let at = |field: &str, problem: &str| {
            format!("{} {problem}", entry("tokens", i, field, &t.name))
        };
        let name = t.name.trim();
        if name.is_empty() {
            return Err(at(
                "name",
                "is empty; it names the holder on case timelines and in the audit log",
            ));
        }
        if let Some(first) = out.iter().position(|e| e.name == name) {
            let first = ordinal(first);
            return Err(at(
                "name",
                &format!(
                    "is also the name of the {first} entry; every token needs its own name (it is the actor in the audit log)"
                ),
            ));
        }
        let (field, digest) = match (&t.token, &t.token_sha256) {
            (Some(_), Some(_)) => return Err(at("token` and `token-sha256", BOTH)),
            (None, None) => return Err(at("token", NEITHER)),
            (Some(text), None) => ("token", plain_secret(text, demo)),
            (None, Some(hex)) => ("token-sha256", hashed_secret(hex)),
        };
        let digest = digest.map_err(|problem| at(field, &problem))?;
        if let Some(first) = out.iter().position(|e| e.digest == digest) {
            let (first, holder) = (ordinal(first), &out[first].name);
            return Err(at(
                field,
                &format!(
                    "is the same token as that of the {first} entry ({holder:?}); every holder needs their own token"
                ),
            ));
        }
        let department = t.department.as_deref().map(str::trim);
        let department = match (t.role, department) {
            (Role::Department, Some(d)) if !d.is_empty() => Some(d.to_owned()),
            (Role::Department, _) => {
                return Err(at(
                    "department",
                    "is missing; a `department` token names the department its holder works for, as the catalogue does (e.g. `department = \"县税务局\"`)",
                ));
            }
            (_, Some(_)) => {
                return Err(at(
                    "department",
                    "is only for `role = \"department\"`; leave it out of the other roles' tokens",
                ));
            }
            (_, None) => None,
        };
        let (name, role, plain) = (name.to_owned(), t.role, t.token.clone());
        out.push(Token {
            name,
            role,
            department,
            digest,
            plain,
        });
    }
    Ok(out)
}

/// The most bits a token can carry: its length times the bits of a character of the
/// smallest usual alphabet holding all its characters (hex, base32, base64url, or
/// visible ASCII). A random token reaches this; a chosen one carries less.
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
    let (len, bits) = (text.chars().count(), token_bits(text));
    if len < 16 {
        Err(format!(
            "is {len} characters long; it must be at least 16 (use a long random string, e.g. from `openssl rand -hex 24`)"
        ))
    } else if !text.bytes().all(|b| b.is_ascii_graphic()) {
        Err("contains a space, control or non-ASCII character; it travels in an HTTP header, so use visible ASCII only".into())
    } else if !demo && bits < 128.0 {
        Err(format!(
            "carries at most {bits:.0} bits (a token of {len} such characters); outside the demo a token needs at least 128, so that it cannot be guessed: use e.g. `openssl rand -hex 24` (32 hex digits are 128 bits), or give its sha256 as token-sha256"
        ))
    } else {
        Ok(sha256(text))
    }
}

fn hashed_secret(text: &str) -> Result<[u8; 32], String> {
    let mut digest = [0u8; 32];
    if text.len() != 64 || hex::decode_to_slice(text, &mut digest).is_err() {
        Err("must be 64 hex digits: the sha256 of the token, e.g. from `printf %s 'TOKEN' | sha256sum`".into())
    } else if digest == sha256("") {
        Err("is the sha256 of an empty text; hash the token itself".into())
    } else {
        Ok(digest)
    }
}

/// The credentials of one adapter's hook, set by the operator (never in the package).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Hook {
    /// HMAC-SHA256 keys; a push signed with any of them is accepted (two during a rotation).
    #[serde(deserialize_with = "secrets")]
    pub secrets: Vec<String>,
    /// The networks pushes may come from; empty: any address.
    #[serde(default, deserialize_with = "networks")]
    pub allow_from: Vec<ipnet::IpNet>,
}

impl fmt::Debug for Hook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hook")
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .field("allow_from", &self.allow_from)
            .finish()
    }
}

/// One or two (while rotating) secrets of at least 128 bits as hex.
fn secrets<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    let secrets = Vec::<String>::deserialize(de)?;
    let n = secrets.len();
    let weak = secrets
        .iter()
        .find(|s| s.len() < 32 || !s.bytes().all(|b| b.is_ascii_graphic()));
    let problem = if !(1..=2).contains(&n) {
        format!(
            "has {n} entries; give one secret, or two while the department moves from the old to the new"
        )
    } else if let Some(weak) = weak {
        let len = weak.chars().count();
        format!(
            "holds a secret of {len} characters; each must be at least 32 visible ASCII characters (e.g. from `openssl rand -hex 32`)"
        )
    } else if n == 2 && secrets[0] == secrets[1] {
        "holds the same secret twice".into()
    } else {
        return Ok(secrets);
    };
    Err(D::Error::custom(problem))
}

fn networks<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let parse = |text: &String| {
        let net = text
            .parse()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(Into::into));
        let problem = "which is neither an address nor a network such as 10.8.0.0/16";
        net.map_err(|_| D::Error::custom(format!("holds {text:?}, {problem}")))
    };
    Vec::<String>::deserialize(de)?.iter().map(parse).collect()
}

/// 一件事: a named bundle of matters across departments, accepted as one application.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Theme {
    /// Stable code, `[a-z0-9-]`, e.g. `open-business`.
    pub code: String,
    /// Name shown to clerks and citizens, e.g. 开办企业.
    pub name: String,
    /// The matter codes it bundles, at least two, each once.
    pub matters: Vec<String>,
    /// Working days promised for the whole bundle.
    pub promised_days: u32,
    /// 一件事 in order: a matter code, and the matters listed before it whose
    /// licenses it needs (公章刻制备案 after 企业设立登记). Its part is delivered
    /// once they have issued them, and those licenses stand in for its materials.
    pub after: BTreeMap<String, Vec<String>>,
    /// A matter code, and the licenses (their type names, e.g. 营业执照) it
    /// issues: those stand in for the materials of the matters waiting for it.
    pub issues: BTreeMap<String, Vec<String>>,
}

/// `T`, unless `check` finds a problem with it.
fn checked<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    de: D,
    check: impl FnOnce(&T) -> Option<String>,
) -> Result<T, D::Error> {
    let value = T::deserialize(de)?;
    check(&value).map_or(Ok(value), |problem| Err(D::Error::custom(problem)))
}

fn code<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    checked(de, |code: &String| crate::manifest::check_id(code).err())
}

fn name<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    let problem = "is empty; it is what clerks and applicants see, e.g. 开办企业";
    let name = checked(de, |name: &String| {
        name.trim().is_empty().then(|| problem.into())
    })?;
    Ok(name.trim().to_owned())
}

/// At least 2 matter codes, each once.
fn matters<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    checked(de, |matters: &Vec<String>| {
        let (n, mut seen) = (matters.len(), BTreeSet::new());
        let twice = matters.iter().find(|m| !seen.insert(m.as_str()));
        if n < 2 {
            Some(format!(
                "lists {n} matter(s); a theme bundles at least 2 (a single matter is applied for directly)"
            ))
        } else if matters.iter().any(|m| m.trim().is_empty()) {
            Some("has an empty matter code".into())
        } else {
            twice.map(|matter| format!("lists {matter:?} twice; each matter once"))
        }
    })
}

fn promised_days<'de, D: Deserializer<'de>>(de: D) -> Result<u32, D::Error> {
    checked(de, |days: &u32| {
        (*days == 0).then(|| "is 0; it must be at least 1 working day".into())
    })
}

/// The `[[themes]]` entries, each with its own code.
pub(super) fn themes(raw: Vec<RawTheme>) -> Result<Vec<Theme>, String> {
    let mut out: Vec<Theme> = Vec::new();
    for (i, t) in raw.into_iter().enumerate() {
        if let Some(first) = out.iter().position(|e| e.code == t.code) {
            let (key, first) = (entry("themes", i, "code", &t.code), ordinal(first));
            return Err(format!(
                "{key} is also the code of the {first} entry; every theme needs its own code"
            ));
        }
        for (waiting, awaited) in &t.after {
            let key = entry("themes", i, &format!("after.{waiting:?}"), &t.code);
            let Some(at) = t.matters.iter().position(|m| m == waiting) else {
                return Err(format!(
                    "{key} names a matter the theme does not bundle; its matters are {}",
                    t.matters.join(", ")
                ));
            };
            if awaited.is_empty() {
                return Err(format!(
                    "{key} is empty; list the matters it waits for, or leave it out"
                ));
            }
            for first in awaited {
                match t.matters.iter().position(|m| m == first) {
                    Some(before) if before < at => {}
                    Some(_) => {
                        return Err(format!(
                            "{key} waits for {first:?}, which is not listed before it in `matters`; \
                             list the matters in the order they are done"
                        ));
                    }
                    None => {
                        return Err(format!(
                            "{key} waits for {first:?}, a matter the theme does not bundle; its matters are {}",
                            t.matters.join(", ")
                        ));
                    }
                }
            }
        }
        for (matter, licenses) in &t.issues {
            let key = entry("themes", i, &format!("issues.{matter:?}"), &t.code);
            if !t.matters.contains(matter) {
                return Err(format!(
                    "{key} names a matter the theme does not bundle; its matters are {}",
                    t.matters.join(", ")
                ));
            }
            if licenses.is_empty() || licenses.iter().any(|l| l.trim().is_empty()) {
                return Err(format!(
                    "{key} needs the type names of the licenses the matter issues, e.g. [\"营业执照\"]"
                ));
            }
        }
        out.push(Theme {
            code: t.code,
            name: t.name,
            matters: t.matters,
            promised_days: t.promised_days,
            after: t.after,
            issues: t.issues,
        });
    }
    Ok(out)
}
