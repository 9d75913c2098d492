//! The exchange directory capability: an adapter granted `grants.exchange-dir`
//! sees that one folder of the platform's exchange root as `/exchange`, and
//! nothing else of the host's file system. wasmtime-wasi resolves every path
//! beneath the preopen with cap-std, so `..` and symlinks cannot leave it.

use std::path::{Path, PathBuf};

/// Where the directory appears inside the adapter.
pub(super) const GUEST_PATH: &str = "/exchange";

/// Creates `root/name` if needed and returns its canonical path. The name was
/// checked by the manifest parser to be a single plain folder name.
pub(super) fn prepare(root: &Path, name: &str) -> Result<PathBuf, (PathBuf, std::io::Error)> {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).map_err(|e| (dir.clone(), e))?;
    let canonical = dir.canonicalize().map_err(|e| (dir.clone(), e))?;
    let root = root.canonicalize().map_err(|e| (root.to_owned(), e))?;
    if canonical.parent() != Some(root.as_path()) {
        // The folder itself is a symlink to somewhere else: refuse it.
        return Err((
            dir,
            std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "the exchange directory must be a real folder directly inside the exchange root",
            ),
        ));
    }
    Ok(canonical)
}
