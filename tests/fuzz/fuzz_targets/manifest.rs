//! `Manifest::parse` on arbitrary text never panics, and a manifest it accepts
//! keeps every promise of its checks: a valid id, a department, a served
//! contract version, a 64-hex-digit sha256, a component file, an exchange folder
//! name, limits within the maxima, and outbound grants that all parse. Every line
//! of the text is also tried as an outbound prefix (`OutboundPrefix::parse`): a
//! prefix prints and parses back to itself, and a URL it allows is the prefix
//! itself or lies below it (never a sibling, never a `..` escape, also not a
//! percent-encoded one).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use onewindow::manifest::{
    API_PACKAGE, Manifest, OutboundPrefix, SERVED_API_VERSIONS, check_id, maxima,
};

fuzz_target!(|text: &str| {
    if let Ok(m) = Manifest::parse(text, Path::new("adapter.toml")) {
        check_accepted(&m);
    }
    let prefixes: Vec<OutboundPrefix> = text
        .lines()
        .filter_map(|line| OutboundPrefix::parse(line.trim()).ok())
        .collect();
    for prefix in &prefixes {
        check_prefix(prefix);
        for line in text.lines() {
            if let Ok(uri) = line.trim().parse::<http::Uri>() {
                check_allows(prefix, &uri);
            }
        }
    }
});

fn check_accepted(m: &Manifest) {
    check_id(&m.id).expect("an accepted manifest has a valid id");
    assert!(!m.department.trim().is_empty());
    assert!(SERVED_API_VERSIONS.contains(&m.api_version()));
    assert_eq!(m.api, format!("{API_PACKAGE}@{}", m.api_version()));
    if let Some(sha) = &m.sha256 {
        assert_eq!(sha.len(), 64);
        assert!(sha.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    assert!(!m.component.as_os_str().is_empty());
    if let Some(dir) = &m.grants.exchange_dir {
        assert!(!dir.is_empty() && dir.len() <= 64 && dir != "." && dir != "..");
        assert!(
            dir.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "exchange-dir {dir:?} is more than one plain folder name"
        );
    }
    assert!((1..=maxima::MEMORY_MIB).contains(&m.limits.memory_mib));
    assert!((1..=maxima::CALL_TIMEOUT_MS).contains(&m.limits.call_timeout_ms));
    assert!((1..=maxima::MAX_CONCURRENCY).contains(&m.limits.max_concurrency));
    let outbound = m.outbound();
    assert_eq!(
        outbound.len(),
        m.grants.outbound.len(),
        "every outbound grant of an accepted manifest parses"
    );
    for prefix in &outbound {
        check_prefix(prefix);
    }
}

/// A prefix prints as `scheme://host:port[/path]` and parses back to itself.
fn check_prefix(prefix: &OutboundPrefix) {
    let shown = prefix.to_string();
    assert!(shown.starts_with("http://") || shown.starts_with("https://"));
    let again = OutboundPrefix::parse(&shown)
        .unwrap_or_else(|e| panic!("{prefix:?} prints as {shown:?}, which does not parse: {e}"));
    assert_eq!(&again, prefix, "{shown:?} parses to something else");
}

/// What `prefix` allows is the prefix itself or lies below it.
fn check_allows(prefix: &OutboundPrefix, uri: &http::Uri) {
    if !prefix.allows(uri) {
        return;
    }
    let path = uri.path();
    // As a legacy server may read it: `%2e` is `.`, `%2f` and `%5c` are `/`.
    let decoded = path
        .to_ascii_lowercase()
        .replace("%2e", ".")
        .replace('\\', "/")
        .replace("%2f", "/")
        .replace("%5c", "/");
    assert!(
        !decoded.split('/').any(|segment| segment == ".."),
        "{prefix} allows {uri}, whose path climbs out of it"
    );
    // Query strings are not part of a prefix; compare the rest structurally.
    let Ok(target) = OutboundPrefix::parse(&format!(
        "{}://{}{}",
        uri.scheme_str().unwrap_or_default(),
        uri.authority().map(|a| a.as_str()).unwrap_or_default(),
        path
    )) else {
        return;
    };
    let (granted, asked) = (prefix.to_string(), target.to_string());
    assert!(
        asked == granted || asked.starts_with(&format!("{granted}/")),
        "{granted} allows {uri} ({asked}), which is not below it"
    );
}
