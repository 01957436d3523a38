//! Loading a doc from its source: an http(s) URL, a local file, `-` (stdin), or a catalog name.

use std::path::PathBuf;
use std::time::Duration;

/// How a doc is fetched.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Largest doc accepted, in bytes.
    pub max_bytes: u64,
    /// Total time allowed for fetching a URL.
    pub timeout: Duration,
    /// Time allowed to connect to a URL's host.
    pub connect_timeout: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
}

impl LoadOptions {
    pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024;
    pub const DEFAULT_TIMEOUT_SECS: u64 = 30;
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            timeout: Duration::from_secs(Self::DEFAULT_TIMEOUT_SECS),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 10,
        }
    }
}

/// Where a doc came from; used in citations ("jq.md:12") and in plans.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    Url { requested: String, fetched: String },
    File { path: PathBuf },
    Stdin,
    Catalog { name: String, path: String },
}

/// Front matter of a doc (catalog entries carry one; other docs may).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontMatter {
    pub name: Option<String>,
    pub homepage: Option<String>,
    #[serde(default)]
    pub verify: Vec<String>,
}

/// A doc's text, ready for parsing.
#[derive(Debug, Clone)]
pub struct LoadedDoc {
    pub origin: Origin,
    /// The doc as Markdown (HTML already converted), without its front matter.
    pub text: String,
    /// Line number in the original source of the first line of `text` (front matter removed).
    pub first_line: usize,
    pub front_matter: Option<FrontMatter>,
    /// True when the source was HTML and `text` is the converted Markdown.
    pub converted_from_html: bool,
    /// SHA-256 (hex) of the raw bytes as loaded.
    pub sha256: String,
    /// Things the user should know (lossy decoding, ...).
    pub warnings: Vec<String>,
}

/// Why a doc could not be loaded. Every variant exits with status 3.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{0}` is not a URL, an existing file, `-`, or a catalog name")]
    NotFound(String),
}

impl LoadError {
    /// What the user can do next.
    pub fn hint(&self) -> String {
        match self {
            LoadError::NotFound(_) => {
                "pass an http(s) URL, a path to a Markdown or HTML file, `-` to read stdin, or a name from `install-docs/`".into()
            }
        }
    }
}

/// Loads a doc from `spec` (URL, path, `-`, or catalog name).
pub async fn load(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let _ = options;
    Err(LoadError::NotFound(spec.to_string()))
}
