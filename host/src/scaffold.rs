//! `onewindow adapter new <id> --lang rust|python|js`: a new adapter folder
//! that builds with its language's toolchain and passes its own offline test
//! at once. Each template serves a department's catalogue from a legacy
//! system's JSON list, with the contract's WIT, a manifest, a recorded
//! exchange and its golden result, and a README for that language.
//!
//! The templates live in `host/scaffold/`; the WIT and the SDK's HTTP clients
//! for Python and JavaScript are the very files of this checkout, built in.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The language an adapter is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// A Rust crate built for wasm32-wasip2 with cargo.
    Rust,
    /// `app.py` built with componentize-py.
    Python,
    /// `adapter.js` built with componentize-js.
    Js,
}

/// What to make.
#[derive(Debug, Clone)]
pub struct Options {
    /// The adapter id, which names the folder too.
    pub id: String,
    pub lang: Lang,
    /// Where the folder is made.
    pub parent: PathBuf,
    /// The department's name, e.g. `县档案馆`.
    pub department: String,
    /// The onewindow SDK crate (`<checkout>/plugins/sdk`), for Rust.
    pub sdk: Option<PathBuf>,
}

/// Files every template has, relative to the new folder.
const COMMON: &[(&str, &str)] = &[
    ("adapter.toml", include_str!("../scaffold/adapter.toml")),
    (
        "fixtures/http.json",
        include_str!("../scaffold/fixtures/http.json"),
    ),
    (
        "fixtures/calls/01-matters.json",
        include_str!("../scaffold/fixtures/calls/01-matters.json"),
    ),
    (
        "fixtures/calls/01-matters.expected.json",
        include_str!("../scaffold/fixtures/calls/01-matters.expected.json"),
    ),
    ("wit/adapter.wit", include_str!("../../wit/adapter.wit")),
    ("wit/deps/cli.wit", include_str!("../../wit/deps/cli.wit")),
    (
        "wit/deps/clocks.wit",
        include_str!("../../wit/deps/clocks.wit"),
    ),
    (
        "wit/deps/filesystem.wit",
        include_str!("../../wit/deps/filesystem.wit"),
    ),
    ("wit/deps/http.wit", include_str!("../../wit/deps/http.wit")),
    ("wit/deps/io.wit", include_str!("../../wit/deps/io.wit")),
    (
        "wit/deps/random.wit",
        include_str!("../../wit/deps/random.wit"),
    ),
    (
        "wit/deps/sockets.wit",
        include_str!("../../wit/deps/sockets.wit"),
    ),
];

const RUST: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../scaffold/rust/Cargo.toml")),
    ("src/lib.rs", include_str!("../scaffold/rust/src/lib.rs")),
    ("README.md", include_str!("../scaffold/rust/README.md")),
    (".gitignore", "/target\n"),
];

const PYTHON: &[(&str, &str)] = &[
    ("app.py", include_str!("../scaffold/python/app.py")),
    (
        "onewindow_http.py",
        include_str!("../../plugins/sdk/python/onewindow_http.py"),
    ),
    ("README.md", include_str!("../scaffold/python/README.md")),
    (".gitignore", "/.venv\n__pycache__/\n*.wasm\n"),
];

const JS: &[(&str, &str)] = &[
    ("adapter.js", include_str!("../scaffold/js/adapter.js")),
    (
        "onewindow_http.js",
        include_str!("../../plugins/sdk/js/onewindow_http.js"),
    ),
    ("package.json", include_str!("../scaffold/js/package.json")),
    ("README.md", include_str!("../scaffold/js/README.md")),
    (".gitignore", "/node_modules\n*.wasm\n"),
];

impl Lang {
    fn files(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::Rust => RUST,
            Lang::Python => PYTHON,
            Lang::Js => JS,
        }
    }

    /// The commands that install the toolchain and build the component, as
    /// the README gives them.
    pub fn build_steps(self, id: &str) -> [String; 2] {
        match self {
            Lang::Rust => [
                "rustup target add wasm32-wasip2".into(),
                "cargo build --release --target wasm32-wasip2".into(),
            ],
            Lang::Python => [
                "python3 -m venv .venv && .venv/bin/pip install componentize-py==0.25.1".into(),
                format!(
                    ".venv/bin/componentize-py -d wit -w onewindow:adapter/matters-adapter-http componentize app -p . -o {id}.wasm"
                ),
            ],
            Lang::Js => [
                "npm install".into(),
                format!(
                    "npx componentize-js adapter.js -w wit -n matters-adapter-http -o {id}.wasm"
                ),
            ],
        }
    }
}

/// Makes the folder and returns where it is.
pub fn new_adapter(options: &Options) -> anyhow::Result<PathBuf> {
    onewindow_platform::manifest::check_id(&options.id)
        .map_err(|e| anyhow::anyhow!("the adapter id: {e}"))?;
    if options.department.trim().is_empty()
        || options
            .department
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
    {
        bail!(
            "the department's name {:?} must not be empty nor hold quotes, backslashes or control characters",
            options.department
        );
    }
    let dir = options.parent.join(&options.id);
    if dir.exists() {
        bail!(
            "{} exists already; choose another id or folder (--dir)",
            dir.display()
        );
    }
    let crate_name = options.id.replace('-', "_");
    let sdk = match options.lang {
        Lang::Rust => Some(sdk_path(options.sdk.as_deref())?),
        Lang::Python | Lang::Js => None,
    };
    let (component, memory) = match options.lang {
        Lang::Rust => (
            format!("target/wasm32-wasip2/release/{crate_name}.wasm"),
            "16",
        ),
        Lang::Python | Lang::Js => (format!("{}.wasm", options.id), "64"),
    };
    let fill = |text: &str| {
        text.replace("{{id}}", &options.id)
            .replace("{{crate}}", &crate_name)
            .replace("{{department}}", &options.department)
            .replace("{{component}}", &component)
            .replace("{{memory}}", memory)
            .replace(
                "{{sdk}}",
                &sdk.as_deref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            )
    };
    // Written into a sibling folder first, so a failure leaves nothing half made.
    let staging = options.parent.join(format!(".{}.new", options.id));
    let _ = std::fs::remove_dir_all(&staging);
    let written = COMMON
        .iter()
        .chain(options.lang.files())
        .try_for_each(|(path, text)| {
            let path = staging.join(path);
            std::fs::create_dir_all(path.parent().expect("template files are in a folder"))?;
            // The WIT and the SDK's clients are copied as they are.
            let text = if path.extension().is_some_and(|e| e == "wit")
                || path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("onewindow_http"))
            {
                (*text).to_owned()
            } else {
                fill(text)
            };
            std::fs::write(&path, text)
        })
        .and_then(|()| std::fs::rename(&staging, &dir));
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e).with_context(|| format!("writing {}", dir.display()));
    }
    Ok(dir)
}

/// The SDK crate for a Rust adapter: `--sdk`, else `$ONEWINDOW/plugins/sdk`.
fn sdk_path(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match given {
        Some(path) => path.to_owned(),
        None => match std::env::var_os("ONEWINDOW") {
            Some(checkout) => Path::new(&checkout).join("plugins/sdk"),
            None => bail!(
                "a Rust adapter builds on the onewindow SDK: pass --sdk <checkout>/plugins/sdk, or set ONEWINDOW to the checkout"
            ),
        },
    };
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "{} is not the onewindow SDK (no Cargo.toml there): pass --sdk <checkout>/plugins/sdk",
            path.display()
        );
    }
    std::fs::canonicalize(&path).with_context(|| format!("finding {}", path.display()))
}
