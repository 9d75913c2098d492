//! examples/writing-an-adapter.md, run: every `sh` block of the guide, top to
//! bottom, in one shell in an empty folder, with the `onewindow` binary on PATH:
//! the adapter in Rust, then the same steps in Python and in JavaScript.

use std::process::Command;

use onewindow_tests::repo_root;

/// The `sh` blocks of a Markdown text, in order.
fn shell_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match &mut current {
            None if line.trim_end() == "```sh" => current = Some(String::new()),
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    assert!(current.is_none(), "an unclosed ```sh block");
    blocks
}

#[test]
fn the_guide_finds_its_blocks() {
    let blocks = shell_blocks(
        "text\n```sh\necho a\n```\n```text\nnot run\n```\n```sh\necho b\necho c\n```\n",
    );
    assert_eq!(blocks, ["echo a\n", "echo b\necho c\n"]);
}

#[test]
fn writing_an_adapter_from_an_empty_folder_to_an_installed_signed_one() {
    let root = repo_root();
    let guide = std::fs::read_to_string(root.join("examples/writing-an-adapter.md")).unwrap();
    let blocks = shell_blocks(&guide);
    assert!(blocks.len() >= 8, "{} blocks", blocks.len());

    // The binary the guide's commands use.
    let bin = onewindow_tests::onewindow_binary();
    let bin = bin.parent().unwrap();

    let folder = tempfile::tempdir().unwrap();
    // The adapter's build is kept between runs, as a developer's would be.
    let target = root.join("target/guide-adapter");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::create_dir(folder.path().join("county-archives")).unwrap();
    std::os::unix::fs::symlink(&target, folder.path().join("county-archives/target")).unwrap();
    let script = format!(
        "set -euxo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        blocks.join("\n")
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(folder.path())
        .env("ONEWINDOW", &root)
        .env(
            "PATH",
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        )
        // The outer build's settings are not the integrator's.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the guide failed:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    // What the guide says happens, happened.
    for expected in [
        "档案查询利用",
        "已调卷",
        "4 calls: 4 passed, 0 failed",
        "installed county-archives 0.1.0",
        // Section 8: the same in Python and in JavaScript.
        "installed archives-python 0.1.0",
        "installed archives-js 0.1.0",
        "档案证明出具",
        "档案寄存",
        "signed by archives-team",
        "active now",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} not in:\n{stdout}\n{stderr}"
        );
    }
}
