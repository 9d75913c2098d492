//! The checks of single values and of the `[hooks.*]` and `[[themes]]` tables.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use serde::Deserialize;

use super::sources::Origin;
use super::{ConfigError, DEFAULT_LISTEN, Hook, Theme};

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawHook {
    secrets: Vec<String>,
    #[serde(default)]
    allow_from: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawTheme {
    code: String,
    name: String,
    matters: Vec<String>,
    promised_days: u32,
}

/// A public address: `http://` or `https://` and a host, with no path, query or
/// credentials; kept without a trailing `/`.
pub(super) fn check_public_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("is {text:?}; give the address users open, starting with https:// (or http://), e.g. https://onewindow.example.gov.cn")
        })?;
    if rest.is_empty()
        || rest.contains(['/', '?', '#', '@'])
        || rest.chars().any(char::is_whitespace)
    {
        return Err(format!(
            "is {text:?}; give only the scheme, host and port, e.g. https://onewindow.example.gov.cn"
        ));
    }
    Ok(text.to_owned())
}

pub(super) fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.trim().parse::<SocketAddr>() {
        return Ok(addr);
    }
    let hint = if let Ok(port) = text.trim().parse::<u16>() {
        format!(" (for port {port} on this machine only: 127.0.0.1:{port})")
    } else {
        String::new()
    };
    Err(format!(
        "is {text:?}; it must be an address such as {DEFAULT_LISTEN} or 0.0.0.0:8080 (an IP address and a port; host names are not resolved){hint}"
    ))
}

pub(super) fn check_database_url(url: &str) -> Result<(), String> {
    // Only the redacted form is ever echoed back: the URL may carry a password.
    let shown = redact_url(url);
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(format!(
                "is {shown:?}, which names no database file; write e.g. sqlite://data/onewindow.db?mode=rwc"
            ));
        }
        return Ok(());
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(());
    }
    Err(format!(
        "is {shown:?}; it must start with sqlite:// (embedded, e.g. sqlite://data/onewindow.db?mode=rwc) or postgres:// (or postgresql://)"
    ))
}

/// `scheme://user:***@host/…?password=***`: the URL without its secrets.
pub(super) fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (url, None),
    };
    let mut out = match head.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(end);
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _password)) => format!("{user}:***@{host}"),
                    None => format!("{userinfo}@{host}"),
                },
                None => authority.to_owned(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => head.to_owned(),
    };
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// How an entry of `[[tokens]]` or `[[themes]]` is named in messages.
pub(super) fn entry_key(field: &str, section: &str, index: usize, label: &str) -> String {
    let label = if label.trim().is_empty() {
        String::new()
    } else {
        format!(" ({label:?})")
    };
    format!(
        "`{field}` of the {} [[{section}]] entry{label}",
        ordinal(index + 1)
    )
}

pub(super) fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The shortest hook secret: 128 bits as hex.
const HOOK_SECRET_MIN: usize = 32;

/// The `[hooks.*]` tables, checked.
pub(super) fn hooks(
    raw: BTreeMap<String, RawHook>,
    origin: &Origin,
) -> Result<BTreeMap<String, Hook>, ConfigError> {
    let err = |key: String, problem: String| ConfigError::Invalid {
        origin: origin.clone(),
        key,
        problem,
    };
    let mut hooks = BTreeMap::new();
    for (id, hook) in raw {
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(err(
                format!("[hooks.{id}]"),
                "must be named after an adapter id: a-z, 0-9 and -".into(),
            ));
        }
        let hook =
            check_hook(hook).map_err(|(field, p)| err(format!("`{field}` of [hooks.{id}]"), p))?;
        hooks.insert(id, hook);
    }
    Ok(hooks)
}

fn check_hook(hook: RawHook) -> Result<Hook, (&'static str, String)> {
    let secrets = hook.secrets;
    if !(1..=2).contains(&secrets.len()) {
        let n = secrets.len();
        return Err((
            "secrets",
            format!(
                "has {n} entries; give one secret, or two while the department moves from the old to the new"
            ),
        ));
    }
    if let Some(short) = secrets
        .iter()
        .find(|s| s.chars().count() < HOOK_SECRET_MIN || !s.bytes().all(|b| b.is_ascii_graphic()))
    {
        let len = short.chars().count();
        return Err((
            "secrets",
            format!(
                "holds a secret of {len} characters; each must be at least {HOOK_SECRET_MIN} visible ASCII characters (e.g. from `openssl rand -hex 32`)"
            ),
        ));
    }
    if secrets.len() == 2 && secrets[0] == secrets[1] {
        return Err(("secrets", "holds the same secret twice".into()));
    }
    let net = |net: &String| {
        net.parse::<ipnet::IpNet>()
            .or_else(|_| net.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
            .map_err(|_| ("allow-from", format!("holds {net:?}, which is neither an address nor a network such as 10.8.0.0/16")))
    };
    let allow_from = hook.allow_from.iter().map(net).collect::<Result<_, _>>()?;
    Ok(Hook {
        secrets,
        allow_from,
    })
}

/// The `[[themes]]` entries, checked: each with its own code.
pub(super) fn themes(raw: Vec<RawTheme>, origin: &Origin) -> Result<Vec<Theme>, ConfigError> {
    let mut out: Vec<Theme> = Vec::with_capacity(raw.len());
    for (i, t) in raw.into_iter().enumerate() {
        let theme = check_theme(&t, &out).map_err(|(field, problem)| ConfigError::Invalid {
            origin: origin.clone(),
            key: entry_key(field, "themes", i, &t.code),
            problem,
        })?;
        out.push(theme);
    }
    Ok(out)
}

fn check_theme(t: &RawTheme, earlier: &[Theme]) -> Result<Theme, (&'static str, String)> {
    crate::manifest::check_id(&t.code).map_err(|p| ("code", p))?;
    if let Some(first) = earlier.iter().position(|e| e.code == t.code) {
        let first = ordinal(first + 1);
        return Err((
            "code",
            format!("is also the code of the {first} entry; every theme needs its own code"),
        ));
    }
    let name = t.name.trim();
    if name.is_empty() {
        return Err((
            "name",
            "is empty; it is what clerks and applicants see, e.g. 开办企业".into(),
        ));
    }
    let n = t.matters.len();
    if n < 2 {
        return Err((
            "matters",
            format!(
                "lists {n} matter(s); a theme bundles at least 2 (a single matter is applied for directly)"
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for matter in &t.matters {
        if matter.trim().is_empty() {
            return Err(("matters", "has an empty matter code".into()));
        }
        if !seen.insert(matter.as_str()) {
            return Err((
                "matters",
                format!("lists {matter:?} twice; each matter once"),
            ));
        }
    }
    if t.promised_days == 0 {
        return Err((
            "promised-days",
            "is 0; it must be at least 1 working day".into(),
        ));
    }
    let (code, matters) = (t.code.clone(), t.matters.clone());
    Ok(Theme {
        code,
        name: name.to_owned(),
        matters,
        promised_days: t.promised_days,
    })
}
