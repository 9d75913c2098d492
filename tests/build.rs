//! Builds the adapters in plugins/ for wasm32-wasip2 and tells the tests and
//! benchmarks where the components are.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The components the tests load: (constant name, package, file stem).
const COMPONENTS: &[(&str, &str, &str)] = &[
    ("FIXTURE_ADAPTER", "fixture-adapter", "fixture_adapter"),
    (
        "MARKET_SUPERVISION",
        "market-supervision",
        "market_supervision",
    ),
    ("PUBLIC_SECURITY", "public-security", "public_security"),
    ("REAL_ESTATE", "real-estate", "real_estate"),
    ("SOCIAL_SECURITY", "social-security", "social_security"),
    ("TAX", "tax", "tax"),
];

/// Components built outside cargo, by `make python-plugins js-plugins`:
/// (constant name, file stem). Their paths are given; the tests that load one
/// say how to build it when it is missing.
const OTHER_LANGUAGES: &[(&str, &str)] = &[
    ("CIVIL_AFFAIRS", "civil_affairs"),
    ("MEDICAL_INSURANCE", "medical_insurance"),
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap();
    let plugins = root.join("plugins");
    for watched in [
        ".cargo/config.toml",
        "Cargo.toml",
        "Cargo.lock",
        "codes",
        "sdk",
        "fixtures",
        "market-supervision",
        "public-security",
        "real-estate",
        "social-security",
        "tax",
    ] {
        println!("cargo:rerun-if-changed={}", plugins.join(watched).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("wit").display());

    let target_dir = plugins.join("target");
    let packages: Vec<&str> = COMPONENTS.iter().map(|(_, package, _)| *package).collect();
    build(&plugins, &target_dir, &packages, None);
    let release = target_dir.join("wasm32-wasip2").join("release");
    // The fixture again, on the current contract: the same crate with a
    // feature, so its first build is kept under its own name.
    let fixture = |name: &str| release.join(format!("fixture_adapter_{name}.wasm"));
    std::fs::copy(release.join("fixture_adapter.wasm"), fixture("0_1"))
        .expect("keeping the 0.1.0 fixture");
    build(
        &plugins,
        &target_dir,
        &["fixture-adapter"],
        Some("contract-0-2"),
    );
    std::fs::copy(release.join("fixture_adapter.wasm"), fixture("0_2"))
        .expect("keeping the 0.2.0 fixture");

    let mut consts = String::new();
    for (name, _, stem) in COMPONENTS {
        let stem = if *stem == "fixture_adapter" {
            "fixture_adapter_0_1"
        } else {
            stem
        };
        let path = release.join(format!("{stem}.wasm"));
        assert!(
            exists(&path),
            "the build did not produce {}",
            path.display()
        );
        consts.push_str(&format!(
            "/// The `{stem}` component built from plugins/.\npub const {name}: &str = {:?};\n",
            path.display().to_string()
        ));
    }
    consts.push_str(&format!(
        "/// The fixture adapter built on the current contract (feature `contract-0-2`).\npub const FIXTURE_ADAPTER_0_2: &str = {:?};\n",
        fixture("0_2").display().to_string()
    ));
    for (name, stem) in OTHER_LANGUAGES {
        let path = release.join(format!("{stem}.wasm"));
        println!("cargo:rerun-if-changed={}", path.display());
        consts.push_str(&format!(
            "/// The `{stem}` component, built by `make python-plugins js-plugins`.\npub const {name}: &str = {:?};\n",
            path.display().to_string()
        ));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("components.rs");
    std::fs::write(out, consts).unwrap();
}

/// Builds `packages` of plugins/ for wasm32-wasip2, with `feature` if given.
fn build(plugins: &Path, target_dir: &Path, packages: &[&str], feature: Option<&str>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--manifest-path",
        ])
        .arg(plugins.join("Cargo.toml"))
        // From plugins/, so that plugins/.cargo/config.toml applies.
        .current_dir(plugins)
        .env("CARGO_TARGET_DIR", target_dir);
    for package in packages {
        build.args(["-p", package]);
    }
    if let Some(feature) = feature {
        build.args(["--features", feature]);
    }
    // The outer build's settings are for the host, not for the adapters: clippy's
    // wrapper, host rustflags and a forced target must not leak into this build.
    for var in [
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        build.env_remove(var);
    }
    let status = build.status().expect("running cargo to build the adapters");
    assert!(
        status.success(),
        "building the adapters in plugins/ for wasm32-wasip2 failed: see the compiler output above (the target must be installed: `rustup target add wasm32-wasip2`, which `make test` does)"
    );
}

fn exists(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}
