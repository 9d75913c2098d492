//! The exchange directory capability: an adapter granted `grants.exchange-dir`
//! sees that one folder of the platform's exchange root as `/exchange`, and
//! nothing else of the host's file system. wasmtime-wasi resolves every path
//! beneath the preopen with cap-std, so `..` and symlinks cannot leave it.
//!
//! The folder is opened once, at load, inside the root and without following a
//! link; each call is given that same folder by its handle, so replacing the
//! path with a link later changes nothing. The guest may not create links in it
//! (the department's batch job, a host process, would follow them), and its
//! contents are held to the manifest's `limits.exchange-mib` and
//! `limits.exchange-files`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Where the directory appears inside the adapter.
pub(super) const GUEST_PATH: &str = "/exchange";

/// The `wasi:filesystem` version wasmtime-wasi serves (see its `wit/deps`);
/// the link functions are replaced in that instance of the linker.
pub(crate) const FILESYSTEM_TYPES: &str = "wasi:filesystem/types@0.2.12";

/// Replaces the link-creating functions of `wasi:filesystem/types`
/// (`symlink-at`, `link-at`) with ones that answer `not-permitted` and change
/// nothing: a link in an exchange folder is a way out for whoever follows it.
pub(super) fn refuse_links<T: 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime::component::Resource;
    use wasmtime_wasi::filesystem::Descriptor;
    use wasmtime_wasi::p2::bindings::filesystem::types::{ErrorCode, PathFlags};

    fn refused(function: &str) -> wasmtime::Result<(Result<(), ErrorCode>,)> {
        tracing::warn!(
            function,
            "refused an adapter's request to create a link in its exchange folder"
        );
        Ok((Err(ErrorCode::NotPermitted),))
    }
    linker.allow_shadowing(true);
    let mut types = linker.instance(FILESYSTEM_TYPES)?;
    types.func_wrap(
        "[method]descriptor.symlink-at",
        |_, (_, _, _): (Resource<Descriptor>, String, String)| refused("symlink-at"),
    )?;
    types.func_wrap(
        "[method]descriptor.link-at",
        |_,
         (_, _, _, _, _): (
            Resource<Descriptor>,
            PathFlags,
            String,
            Resource<Descriptor>,
            String,
        )| refused("link-at"),
    )?;
    linker.allow_shadowing(false);
    Ok(())
}

/// How much an exchange folder may hold.
#[derive(Debug, Clone, Copy)]
pub(super) struct Quota {
    pub(super) bytes: u64,
    pub(super) files: u64,
    /// The manifest's figures, for messages.
    pub(super) mib: u32,
}

/// What an exchange folder holds: files, folders and links each count as one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Usage {
    pub(super) bytes: u64,
    pub(super) files: u64,
}

/// One adapter's exchange folder, opened once.
#[derive(Debug)]
pub(super) struct Exchange {
    dir: Dir,
    path: PathBuf,
    quota: Quota,
}

impl Exchange {
    /// Creates `root/name` if needed and opens it. The name was checked by the
    /// manifest parser to be a single plain folder name; a link in its place is
    /// refused.
    pub(super) fn open(
        root: &Path,
        name: &str,
        quota: Quota,
    ) -> Result<Self, (PathBuf, std::io::Error)> {
        let path = root.join(name);
        let with_path = |e| (path.clone(), e);
        std::fs::create_dir_all(root).map_err(|e| (root.to_owned(), e))?;
        let root_dir =
            Dir::open_ambient_dir(root, ambient_authority()).map_err(|e| (root.to_owned(), e))?;
        match root_dir.symlink_metadata(name) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                root_dir.create_dir(name).map_err(with_path)?
            }
            Err(e) => return Err(with_path(e)),
            Ok(meta) if !meta.is_dir() => {
                return Err(with_path(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the exchange directory must be a real folder directly inside the exchange root",
                )));
            }
            Ok(_) => {}
        }
        let dir = root_dir.open_dir(name).map_err(with_path)?;
        Ok(Self { dir, path, quota })
    }

    /// The folder as the host names it, for messages.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// A path that opens this very folder, whatever its name points at now.
    pub(super) fn handle_path(&self) -> PathBuf {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            PathBuf::from(format!("/proc/self/fd/{}", self.dir.as_raw_fd()))
        }
        #[cfg(not(target_os = "linux"))]
        {
            self.path.clone()
        }
    }

    /// What the folder holds; the count stops a little past the file quota, so
    /// a folder stuffed with files costs no more to measure than a full one.
    pub(super) fn usage(&self) -> std::io::Result<Usage> {
        let mut usage = Usage::default();
        let mut pending = vec![self.dir.try_clone()?];
        while let Some(dir) = pending.pop() {
            for entry in dir.entries()? {
                let entry = entry?;
                usage.files += 1;
                if usage.files > self.quota.files {
                    return Ok(usage);
                }
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    pending.push(entry.open_dir()?);
                } else if kind.is_file() {
                    usage.bytes += entry.metadata()?.len();
                }
            }
        }
        Ok(usage)
    }

    /// The folder's files by relative path, with size and modification time,
    /// for the exchange log; at most a little past the file quota.
    pub(super) fn listing(&self) -> std::io::Result<super::record::Listing> {
        let mut listing = super::record::Listing::new();
        let mut pending = vec![(String::new(), self.dir.try_clone()?)];
        let mut seen = 0;
        while let Some((prefix, dir)) = pending.pop() {
            for entry in dir.entries()? {
                let entry = entry?;
                seen += 1;
                if seen > self.quota.files {
                    return Ok(listing);
                }
                let path = format!("{prefix}{}", entry.file_name().to_string_lossy());
                let kind = entry.file_type()?;
                if kind.is_dir() {
                    pending.push((format!("{path}/"), entry.open_dir()?));
                } else if kind.is_file() {
                    let meta = entry.metadata()?;
                    let modified = meta.modified().ok().map(|t| t.into_std());
                    listing.insert(path, (meta.len(), modified));
                }
            }
        }
        Ok(listing)
    }

    /// The folder, opened.
    pub(super) fn dir(&self) -> &Dir {
        &self.dir
    }

    /// The limit `usage` goes past, named as in the manifest.
    pub(super) fn breach(&self, usage: Usage) -> Option<String> {
        if usage.files > self.quota.files {
            Some(format!("limits.exchange-files = {}", self.quota.files))
        } else if usage.bytes > self.quota.bytes {
            Some(format!("limits.exchange-mib = {}", self.quota.mib))
        } else {
            None
        }
    }
}

/// Watches the exchange folder during one call: a call that grows a folder past
/// its quota is stopped. A folder already over it (the department has not
/// collected its files yet) may still be read.
pub(super) struct Watch {
    exchange: std::sync::Arc<Exchange>,
    at_start: Usage,
    next: Instant,
    every: Duration,
}

/// The least time between two measurements of a folder during a call; a slow
/// measurement spaces the next ones out further, so watching never costs more
/// than a tenth of the call.
const MEASURE_EVERY: Duration = Duration::from_millis(20);

impl Watch {
    pub(super) fn new(exchange: std::sync::Arc<Exchange>) -> Self {
        let at_start = exchange.usage().unwrap_or_default();
        Self {
            exchange,
            at_start,
            next: Instant::now() + MEASURE_EVERY,
            every: MEASURE_EVERY,
        }
    }

    /// Measures the folder if it is time: the limit the call went past, if any.
    pub(super) fn tick(&mut self) -> Option<String> {
        let now = Instant::now();
        if now < self.next {
            return None;
        }
        let breach = self.check();
        let took = now.elapsed();
        self.every = MEASURE_EVERY.max(took * 10);
        self.next = Instant::now() + self.every;
        breach
    }

    /// Measures the folder now: the limit the call went past, if any.
    pub(super) fn check(&self) -> Option<String> {
        let usage = match self.exchange.usage() {
            Ok(usage) => usage,
            Err(e) => {
                tracing::warn!(dir = %self.exchange.path().display(), "cannot measure the exchange folder: {e}");
                return None;
            }
        };
        let grew = usage.bytes > self.at_start.bytes || usage.files > self.at_start.files;
        if grew {
            self.exchange.breach(usage)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUOTA: Quota = Quota {
        bytes: 1000,
        files: 3,
        mib: 0,
    };

    #[test]
    fn usage_counts_files_folders_and_bytes_without_following_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("big"), vec![0u8; 5000]).unwrap();
        let exchange = Exchange::open(root.path(), "dept", QUOTA).unwrap();
        assert_eq!(exchange.usage().unwrap(), Usage::default());
        let dir = root.path().join("dept");
        std::fs::create_dir(dir.join("in")).unwrap();
        std::fs::write(dir.join("in/a.csv"), vec![0u8; 600]).unwrap();
        std::os::unix::fs::symlink(outside.path().join("big"), dir.join("link")).unwrap();
        let usage = exchange.usage().unwrap();
        assert_eq!(
            usage,
            Usage {
                bytes: 600,
                files: 3
            }
        );
        assert_eq!(exchange.breach(usage), None);
        std::fs::write(dir.join("b.csv"), vec![0u8; 500]).unwrap();
        let usage = exchange.usage().unwrap();
        assert_eq!(exchange.breach(usage).unwrap(), "limits.exchange-files = 3");
    }

    #[test]
    fn the_folder_is_kept_by_its_handle_and_a_link_in_its_place_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("linked")).unwrap();
        let (_, e) = Exchange::open(root.path(), "linked", QUOTA).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);

        let exchange = Exchange::open(root.path(), "dept", QUOTA).unwrap();
        std::fs::write(root.path().join("dept/kept.csv"), "x").unwrap();
        // The name is moved away and replaced by a link to somewhere else.
        std::fs::rename(root.path().join("dept"), root.path().join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("dept")).unwrap();
        assert!(exchange.handle_path().join("kept.csv").exists());
    }
}
