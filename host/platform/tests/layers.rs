//! The seam holds at the crate boundary: the platform reaches adapters only
//! through its own traits, so nothing it depends on runs WebAssembly.

use std::process::Command;

#[test]
fn the_platform_depends_on_no_webassembly_runtime() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = Command::new(cargo)
        .args([
            "tree",
            "--offline",
            "-p",
            "onewindow-platform",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo tree");
    assert!(
        tree.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8(tree.stdout).unwrap();
    assert!(tree.contains("sqlx"), "the tree is the platform's: {tree}");
    let wasm: Vec<&str> = tree
        .lines()
        .filter(|line| {
            ["wasmtime", "cranelift", "onewindow-runtime", "wasi"]
                .iter()
                .any(|name| line.starts_with(name))
        })
        .collect();
    assert!(wasm.is_empty(), "the platform depends on {wasm:?}");
}
