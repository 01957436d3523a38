//! Loading a doc from its source: an http(s) URL, a local file, `-` (stdin), or a catalog name.
//!
//! A doc is untrusted input fetched from anywhere, so every path into the program goes through
//! the same limits: a size cap that stops reading as soon as it is passed (never an unbounded
//! buffer), connect and total timeouts, a capped redirect chain that also stops on loops and on
//! https → http downgrades, and a refusal of binary content. What comes out is text ready for
//! the parser: HTML already converted to Markdown, the `+++` TOML front matter parsed and cut
//! off, with `first_line` keeping citations (file:line) true to the original file.
//!
//! The order in which a spec is resolved: `-` is stdin; anything with `scheme://` is a URL
//! (`file://` is read as a local file, other schemes are refused); an existing file wins over a
//! catalog name (a directory does not: `ripgrep` run next to a `ripgrep/` checkout still means
//! the catalog entry); then the catalog; a spec that looks like a path but does not exist is
//! reported as a missing file, anything else as an unknown name.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytesize::ByteSize;
use reqwest::Url;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::catalog::{CATALOG_ENV, Catalog, CatalogError, Entry, EntryContents};

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
    /// `requested` is the URL as given; `fetched` the one the bytes came from (after the
    /// GitHub `blob/` rewrite and redirects).
    Url {
        requested: String,
        fetched: String,
    },
    File {
        path: PathBuf,
    },
    Stdin,
    /// `path` is `install-docs/<file>` for the embedded catalog, the file's path for a catalog
    /// directory set by `AGENT_INSTALL_CATALOG`.
    Catalog {
        name: String,
        path: String,
    },
}

impl Origin {
    /// The short name used in "name:line" citations: the file name of a path or catalog entry,
    /// the last path segment of a URL (its host when the path is empty), `stdin`.
    pub fn citation_name(&self) -> String {
        match self {
            Origin::Url { requested, fetched } => Url::parse(fetched)
                .ok()
                .and_then(|url| {
                    let last_segment = url
                        .path_segments()
                        .and_then(|mut segments| segments.rfind(|segment| !segment.is_empty()))
                        .map(str::to_string);
                    last_segment.or_else(|| url.host_str().map(str::to_string))
                })
                .unwrap_or_else(|| requested.clone()),
            Origin::File { path } => path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
            Origin::Stdin => "stdin".to_string(),
            Origin::Catalog { name, path } => Path::new(path)
                .file_name()
                .map(|file| file.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.clone()),
        }
    }
}

impl fmt::Display for Origin {
    /// The source as a user would name it: the URL, the path, `stdin`, or the catalog path.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Url { requested, .. } => f.write_str(requested),
            Origin::File { path } => write!(f, "{}", path.display()),
            Origin::Stdin => f.write_str("stdin"),
            Origin::Catalog { path, .. } => f.write_str(path),
        }
    }
}

/// Front matter of a doc (catalog entries carry one; other docs may).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontMatter {
    pub name: Option<String>,
    pub homepage: Option<String>,
    #[serde(default)]
    pub verify: Vec<String>,
}

impl FrontMatter {
    /// The keys this program reads; others draw a warning (a typo would otherwise be silent).
    const KNOWN_KEYS: &'static [&'static str] = &["name", "homepage", "verify"];
}

/// A doc's text, ready for parsing.
#[derive(Debug, Clone)]
pub struct LoadedDoc {
    pub origin: Origin,
    /// The doc as Markdown (HTML already converted), without its front matter. Line endings
    /// are `\n` (CRLF pairs are folded, which keeps line numbers).
    pub text: String,
    /// Line number in the original source of the first line of `text` (front matter removed).
    /// For a doc converted from HTML, `text`'s lines are those of the converted Markdown, so
    /// only this offset refers to the original file.
    pub first_line: usize,
    pub front_matter: Option<FrontMatter>,
    /// True when the source was HTML and `text` is the converted Markdown.
    pub converted_from_html: bool,
    /// SHA-256 (hex) of the raw bytes as loaded.
    pub sha256: String,
    /// Things the user should know (lossy decoding, unknown front-matter keys, ...).
    pub warnings: Vec<String>,
}

impl LoadedDoc {
    /// The short name for "name:line" citations (`jq.md`, `install.html`, `stdin`).
    pub fn citation_name(&self) -> String {
        self.origin.citation_name()
    }
}

/// Why a doc could not be loaded. Every variant exits with status 3.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("`{spec}` is not a URL, an existing file, `-`, or a catalog name")]
    NotFound {
        spec: String,
        /// The catalog's names, offered in the hint.
        catalog_names: Vec<String>,
        /// Catalog names close to `spec` ("did you mean").
        suggestions: Vec<String>,
    },
    #[error("`{}` does not exist", path.display())]
    FileNotFound { path: PathBuf },
    #[error("`{}` is a directory, not a doc file", path.display())]
    NotAFile { path: PathBuf },
    /// A FIFO, socket or device: reading one can block forever or never end.
    #[error("`{}` is a {kind}, not a regular file", path.display())]
    NotARegularFile { path: PathBuf, kind: &'static str },
    #[error("`{url}` is not a valid URL: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("`{url}` uses the unsupported scheme `{scheme}://`")]
    UnsupportedScheme { url: String, scheme: String },
    #[error("could not resolve the host `{host}` of `{url}`: {detail}")]
    Dns {
        url: String,
        host: String,
        detail: String,
    },
    #[error("could not connect to `{url}`: {detail}")]
    Connect { url: String, detail: String },
    #[error("connecting to `{url}` timed out after {}", describe_duration(*.after))]
    ConnectTimeout { url: String, after: Duration },
    #[error("fetching `{url}` timed out after {}", describe_duration(*.after))]
    Timeout { url: String, after: Duration },
    #[error("TLS failed for `{url}`: {detail}")]
    Tls {
        url: String,
        detail: String,
        /// Whether the server's certificate was what failed (rather than the handshake).
        certificate: bool,
    },
    #[error("`{url}` returned {status} {reason}{}", fetched_as(url, fetched))]
    HttpStatus {
        url: String,
        /// The URL that answered, when it differs (redirects, the GitHub rewrite).
        fetched: String,
        status: u16,
        reason: String,
    },
    #[error("`{url}` is a repository, but no README was found in it (tried {})", .tried.join(", "))]
    NoReadme { url: String, tried: Vec<String> },
    #[error("`{url}` redirects in a loop (back to `{target}`)")]
    RedirectLoop { url: String, target: String },
    #[error("`{url}` redirects more than {max} times")]
    TooManyRedirects { url: String, max: usize },
    #[error("`{url}` redirects from https to plain http (`{target}`)")]
    InsecureRedirect { url: String, target: String },
    #[error("fetching `{url}` failed: {detail}")]
    Request { url: String, detail: String },
    #[error("`{source_name}` is larger than the {} limit ({})", describe_size(*.max), match .size {
        Some(size) => format!("it is {}", describe_size(*size)),
        None => format!("more than {} arrived", describe_size(*.max)),
    })]
    TooLarge {
        source_name: String,
        /// The doc's size when known (file size, Content-Length).
        size: Option<u64>,
        max: u64,
    },
    #[error("`{source_name}` is {what}, not a text doc")]
    Binary { source_name: String, what: String },
    #[error("could not read {what}")]
    Io {
        /// What was being read (a quoted path, `stdin`).
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("bad front matter in `{source_name}` at line {line}: {message}")]
    FrontMatter {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

impl LoadError {
    /// What the user can do next.
    pub fn hint(&self) -> String {
        match self {
            LoadError::NotFound {
                catalog_names,
                suggestions,
                ..
            } => {
                if !suggestions.is_empty() {
                    let quoted: Vec<String> =
                        suggestions.iter().map(|name| format!("`{name}`")).collect();
                    return format!(
                        "did you mean {}? (`agent-install search` lists the catalog)",
                        quoted.join(" or ")
                    );
                }
                let mut hint = "pass an http(s) URL, a path to a Markdown or HTML file, `-` to \
                                read stdin, or a catalog name"
                    .to_string();
                if !catalog_names.is_empty() {
                    hint.push_str(": ");
                    hint.push_str(&catalog_names.join(", "));
                    hint.push_str(" (`agent-install search TEXT` searches them)");
                }
                hint
            }
            LoadError::FileNotFound { .. } => {
                "check the path, or pass an http(s) URL or a catalog name".into()
            }
            LoadError::NotAFile { .. } => {
                "pass the doc file inside it (for example its README.md or INSTALL.md)".into()
            }
            LoadError::NotARegularFile { .. } => {
                "save the doc to a file and pass that, or pipe it in and pass `-`".into()
            }
            LoadError::InvalidUrl { .. } => {
                "check the URL (for example `https://host/path/INSTALL.md`)".into()
            }
            LoadError::UnsupportedScheme { .. } => {
                "use an http(s) URL, or download the doc and pass the local file".into()
            }
            LoadError::Dns { .. } => {
                "check the host name and this machine's DNS and network, or pass a local file"
                    .into()
            }
            LoadError::Connect { .. } => "check the URL and that the server is up (and \
                                          HTTPS_PROXY if you need a proxy), or pass a local file"
                .into(),
            LoadError::ConnectTimeout { .. } => {
                "check the network and the host, or pass a local file".into()
            }
            LoadError::Timeout { .. } => {
                "raise --fetch-timeout, or download the doc and pass the local file".into()
            }
            LoadError::Tls {
                certificate: true, ..
            } => "the certificate could not be verified against the system CA store: install \
                  ca-certificates (`apt-get install ca-certificates`), or check the URL"
                .into(),
            LoadError::Tls { .. } => "the server did not complete a TLS handshake: check that \
                                      the URL's scheme and port are right (http or https), or \
                                      pass a local file"
                .into(),
            LoadError::HttpStatus { status, .. } => match status {
                401 | 403 => "the server refused access: download the doc yourself and pass the \
                              local file"
                    .into(),
                404 | 410 => "check the URL, or pass a local file".into(),
                429 => "the server is rate limiting: wait and retry, or pass a local file".into(),
                500..=599 => "the server failed: retry later, or pass a local file".into(),
                _ => "check the URL, or pass a local file".into(),
            },
            LoadError::NoReadme { .. } => "pass the URL of the install doc inside the \
                                           repository (`…/blob/BRANCH/INSTALL.md`), or a \
                                           local file"
                .into(),
            LoadError::RedirectLoop { .. } | LoadError::TooManyRedirects { .. } => {
                "open the URL in a browser to find the doc's final address, and pass that".into()
            }
            LoadError::InsecureRedirect { .. } => {
                "pass the plain http URL explicitly if you trust it, or a local file".into()
            }
            LoadError::Request { .. } => {
                "retry, or download the doc and pass the local file".into()
            }
            LoadError::TooLarge { size, max, .. } => match size {
                Some(size) => format!(
                    "raise --max-doc-size (now {max} bytes) to at least {size}, or pass a smaller doc"
                ),
                None => format!("raise --max-doc-size (now {max} bytes), or pass a smaller doc"),
            },
            LoadError::Binary { .. } => "pass the install doc itself (Markdown, HTML or plain \
                                         text), not an archive, image or program"
                .into(),
            LoadError::Io { .. } => "check that the file exists and is readable".into(),
            LoadError::FrontMatter { .. } => "fix the TOML between the two `+++` lines at the top \
                                              (keys: name, homepage, verify = [\"...\"])"
                .into(),
            LoadError::Catalog(_) => {
                format!("point {CATALOG_ENV} at a directory of install docs, or unset it")
            }
        }
    }
}

/// Loads a doc from `spec` (URL, path, `-`, or catalog name).
pub async fn load(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    if spec == "-" {
        return load_stdin(options).await;
    }
    if url_scheme(spec).is_some() {
        return load_url(spec, options).await;
    }
    if spec.trim().is_empty() {
        return Err(LoadError::NotFound {
            spec: spec.to_string(),
            catalog_names: Vec::new(),
            suggestions: Vec::new(),
        });
    }
    let path = Path::new(spec);
    let path_like = spec.contains('/') || spec.contains('\\') || spec.starts_with(['.', '~']);
    // A bare name that is a directory here (a checkout of the product, say) still means the
    // catalog entry of that name.
    let mut is_directory = false;
    match tokio::fs::metadata(path).await {
        Ok(metadata) if path_like || !metadata.is_dir() => {
            return load_file(path, Origin::File { path: path.into() }, options).await;
        }
        Ok(_) => is_directory = true,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => {
            return Err(LoadError::Io {
                what: format!("`{spec}`"),
                source: error,
            });
        }
    }
    if path_like {
        return Err(LoadError::FileNotFound { path: path.into() });
    }
    let catalog = Catalog::from_environment()?;
    if let Some(entry) = catalog.find(spec) {
        return load_catalog_entry(entry, options).await;
    }
    if is_directory {
        return Err(LoadError::NotAFile { path: path.into() });
    }
    if has_doc_extension(path) {
        return Err(LoadError::FileNotFound { path: path.into() });
    }
    Err(LoadError::NotFound {
        spec: spec.to_string(),
        catalog_names: catalog.names().into_iter().map(str::to_string).collect(),
        suggestions: catalog.suggest(spec),
    })
}

/// The scheme of a spec written as `scheme://...`, lowercased; `None` for anything else.
fn url_scheme(spec: &str) -> Option<String> {
    let (scheme, _) = spec.split_once("://")?;
    let mut characters = scheme.chars();
    let starts_with_letter = characters.next()?.is_ascii_alphabetic();
    let rest_valid = characters
        .all(|character| character.is_ascii_alphanumeric() || matches!(character, '+' | '-' | '.'));
    (starts_with_letter && rest_valid).then(|| scheme.to_ascii_lowercase())
}

fn has_doc_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["md", "markdown", "html", "htm", "txt", "rst"]
                .contains(&extension.to_ascii_lowercase().as_str())
        })
}

fn has_html_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            ["html", "htm", "xhtml"].contains(&extension.to_ascii_lowercase().as_str())
        })
}

async fn load_stdin(options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let bytes = read_bounded(tokio::io::stdin(), "stdin", None, options.max_bytes).await?;
    decode_doc(&bytes, Origin::Stdin, "stdin", false)
}

/// Reads a local file (also a `file://` URL or a catalog entry on disk) into a doc with
/// `origin`.
async fn load_file(
    path: &Path,
    origin: Origin,
    options: &LoadOptions,
) -> Result<LoadedDoc, LoadError> {
    let name = path.display().to_string();
    let io_error = |source| LoadError::Io {
        what: format!("`{name}`"),
        source,
    };
    let metadata = tokio::fs::metadata(path).await.map_err(io_error)?;
    if metadata.is_dir() {
        return Err(LoadError::NotAFile { path: path.into() });
    }
    // A FIFO with no writer blocks `open` forever, and a device may never end: only regular
    // files are docs (stdin, `-`, is the way to stream one).
    if let Some(kind) = special_file_kind(&metadata) {
        return Err(LoadError::NotARegularFile {
            path: path.into(),
            kind,
        });
    }
    if metadata.len() > options.max_bytes {
        return Err(LoadError::TooLarge {
            source_name: name,
            size: Some(metadata.len()),
            max: options.max_bytes,
        });
    }
    let file = tokio::fs::File::open(path).await.map_err(io_error)?;
    let bytes = read_bounded(file, &name, Some(&name), options.max_bytes).await?;
    decode_doc(&bytes, origin, &name, has_html_extension(path))
}

/// What a non-regular file is, for the error; `None` for a regular file.
fn special_file_kind(metadata: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_file() {
        None
    } else if kind.is_fifo() {
        Some("FIFO (named pipe)")
    } else if kind.is_socket() {
        Some("socket")
    } else if kind.is_char_device() {
        Some("character device")
    } else if kind.is_block_device() {
        Some("block device")
    } else {
        Some("special file")
    }
}

/// Loads one catalog entry (for `search`, which reads every entry).
pub async fn load_entry(entry: &Entry, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    load_catalog_entry(entry, options).await
}

async fn load_catalog_entry(entry: &Entry, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let origin = Origin::Catalog {
        name: entry.name.clone(),
        path: entry.display_path(),
    };
    let declared_html = has_html_extension(Path::new(&entry.file_name));
    match &entry.contents {
        EntryContents::Embedded(bytes) => {
            let size = bytes.len() as u64;
            if size > options.max_bytes {
                return Err(LoadError::TooLarge {
                    source_name: entry.display_path(),
                    size: Some(size),
                    max: options.max_bytes,
                });
            }
            decode_doc(bytes, origin, &entry.display_path(), declared_html)
        }
        EntryContents::File(path) => load_file(path, origin, options).await,
    }
}

/// Reads at most `max_bytes` from `reader`; one byte more means the doc is too large, and
/// reading stops there.
async fn read_bounded(
    reader: impl AsyncRead + Unpin,
    source_name: &str,
    quoted_path: Option<&str>,
    max_bytes: u64,
) -> Result<Vec<u8>, LoadError> {
    let mut bytes = Vec::new();
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .await
        .map_err(|source| LoadError::Io {
            what: quoted_path.map_or_else(|| source_name.to_string(), |path| format!("`{path}`")),
            source,
        })?;
    if bytes.len() as u64 > max_bytes {
        return Err(LoadError::TooLarge {
            source_name: source_name.to_string(),
            size: None,
            max: max_bytes,
        });
    }
    Ok(bytes)
}

async fn load_url(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let url = Url::parse(spec).map_err(|error| LoadError::InvalidUrl {
        url: spec.to_string(),
        reason: error.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => {}
        "file" => {
            let path = url.to_file_path().map_err(|()| LoadError::InvalidUrl {
                url: spec.to_string(),
                reason: "a file URL needs an absolute local path (`file:///path/doc.md`)".into(),
            })?;
            let origin = Origin::File { path: path.clone() };
            return load_file(&path, origin, options).await;
        }
        scheme => {
            return Err(LoadError::UnsupportedScheme {
                url: spec.to_string(),
                scheme: scheme.to_string(),
            });
        }
    }
    if let Some(page) = super::repository::repository_page(&url) {
        return load_repository(spec, &page, options).await;
    }
    let target = super::repository::raw_file_url(&url).unwrap_or(url);
    let fetched = fetch_within_timeout(spec, &target, options).await?;
    let origin = Origin::Url {
        requested: spec.to_string(),
        fetched: fetched.url.to_string(),
    };
    decode_doc(&fetched.bytes, origin, spec, fetched.declared_html)
}

async fn fetch_within_timeout(
    requested: &str,
    url: &Url,
    options: &LoadOptions,
) -> Result<Fetched, LoadError> {
    // reqwest's own total timeout covers the body too; this one also bounds anything around it.
    tokio::time::timeout(options.timeout, fetch(requested, url, options))
        .await
        .map_err(|_| LoadError::Timeout {
            url: requested.to_string(),
            after: options.timeout,
        })?
}

/// A repository's page (root or directory): its README, from the forge's raw host. When the
/// README installs nothing itself and links to an install file of the repository ("see
/// INSTALL.md"), that file is the doc, with a warning that says so.
async fn load_repository(
    spec: &str,
    page: &super::repository::RepositoryPage,
    options: &LoadOptions,
) -> Result<LoadedDoc, LoadError> {
    let mut tried = Vec::new();
    let mut readme = None;
    for candidate in page.readme_candidates() {
        match fetch_within_timeout(spec, &candidate, options).await {
            Ok(fetched) => {
                readme = Some(fetched);
                break;
            }
            Err(LoadError::HttpStatus {
                status: 404 | 410, ..
            }) => tried.push(
                candidate
                    .path()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(error) => return Err(error),
        }
    }
    let Some(readme) = readme else {
        tried.dedup();
        return Err(LoadError::NoReadme {
            url: spec.to_string(),
            tried,
        });
    };
    tracing::info!("{spec}: the repository's README is {}", readme.url);
    let origin = Origin::Url {
        requested: spec.to_string(),
        fetched: readme.url.to_string(),
    };
    let mut doc = decode_doc(&readme.bytes, origin, spec, readme.declared_html)?;
    let Some(link) = super::repository::install_link(&doc.text) else {
        return Ok(doc);
    };
    let target = Url::parse(&link)
        .ok()
        .map(|absolute| super::repository::raw_file_url(&absolute).unwrap_or(absolute))
        .or_else(|| readme.url.join(&link).ok());
    let Some(mut target) = target else {
        return Ok(doc);
    };
    target.set_fragment(None);
    match fetch_within_timeout(spec, &target, options).await {
        Ok(install) => {
            let origin = Origin::Url {
                requested: spec.to_string(),
                fetched: install.url.to_string(),
            };
            let mut followed = decode_doc(&install.bytes, origin, spec, install.declared_html)?;
            followed.warnings.insert(
                0,
                format!(
                    "the README installs nothing itself and points to `{link}`: that is the doc"
                ),
            );
            Ok(followed)
        }
        Err(error) => {
            doc.warnings.push(format!(
                "the README points to `{link}` for installing, which could not be loaded ({error}); \
                 the README is the doc"
            ));
            Ok(doc)
        }
    }
}

/// Rewrites a GitHub page URL of a file (`https://github.com/O/R/blob/REF/PATH`, also `raw/`)
/// to the raw file (`https://raw.githubusercontent.com/O/R/REF/PATH`), which is the Markdown
/// itself instead of an HTML page around it. `None` for every other URL (GitLab and Codeberg
/// file pages: [`super::repository::raw_file_url`]).
pub fn github_raw_url(url: &Url) -> Option<Url> {
    let host = url.host_str()?.to_ascii_lowercase();
    if host != "github.com" && host != "www.github.com" {
        return None;
    }
    super::repository::raw_file_url(url)
}

/// A fetched body and what its response said about it.
struct Fetched {
    url: Url,
    bytes: Vec<u8>,
    declared_html: bool,
}

/// What stopped a redirect chain; carried through reqwest's error to [`classify`].
#[derive(Debug, thiserror::Error)]
enum RedirectProblem {
    #[error("redirect loop back to {0}")]
    Loop(String),
    #[error("more than {0} redirects")]
    TooMany(usize),
    #[error("redirect from https to http ({0})")]
    Downgrade(String),
}

fn redirect_policy(max_redirects: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        // `previous` starts with the original URL, then every URL redirected to so far.
        let next = attempt.url().clone();
        let previous = attempt.previous();
        if previous.contains(&next) {
            attempt.error(RedirectProblem::Loop(next.to_string()))
        } else if previous.len() > max_redirects {
            attempt.error(RedirectProblem::TooMany(max_redirects))
        } else if previous.last().is_some_and(|last| last.scheme() == "https")
            && next.scheme() == "http"
        {
            attempt.error(RedirectProblem::Downgrade(next.to_string()))
        } else {
            attempt.follow()
        }
    })
}

async fn fetch(requested: &str, url: &Url, options: &LoadOptions) -> Result<Fetched, LoadError> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("agent-install/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(redirect_policy(options.max_redirects))
        .build()
        .map_err(|error| classify(requested, &error, options))?;
    let mut response = client
        .get(url.clone())
        .header(
            reqwest::header::ACCEPT,
            "text/markdown, text/plain;q=0.9, text/html;q=0.8, */*;q=0.5",
        )
        .send()
        .await
        .map_err(|error| classify(requested, &error, options))?;
    let final_url = response.url().clone();
    let status = response.status();
    if !status.is_success() {
        return Err(LoadError::HttpStatus {
            url: requested.to_string(),
            fetched: final_url.to_string(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
        });
    }
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            let essence = value.split(';').next().unwrap_or_default();
            essence.trim().to_ascii_lowercase()
        })
        .unwrap_or_default();
    if is_binary_media_type(&media_type) {
        return Err(LoadError::Binary {
            source_name: requested.to_string(),
            what: format!("served as `{media_type}`"),
        });
    }
    if let Some(length) = response.content_length()
        && length > options.max_bytes
    {
        return Err(LoadError::TooLarge {
            source_name: requested.to_string(),
            size: Some(length),
            max: options.max_bytes,
        });
    }
    let mut bytes = Vec::new();
    let mut progress = crate::ui::Download::start(final_url.as_str(), response.content_length());
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| classify(requested, &error, options))?
    {
        if (bytes.len() + chunk.len()) as u64 > options.max_bytes {
            return Err(LoadError::TooLarge {
                source_name: requested.to_string(),
                size: None,
                max: options.max_bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(Fetched {
        url: final_url,
        bytes,
        declared_html: matches!(media_type.as_str(), "text/html" | "application/xhtml+xml"),
    })
}

/// Media types that are never a text doc; `application/octet-stream` and unknown types are
/// judged by their bytes instead (some servers send Markdown as octet-stream).
fn is_binary_media_type(media_type: &str) -> bool {
    let Some((kind, subtype)) = media_type.split_once('/') else {
        return false;
    };
    matches!(kind, "image" | "audio" | "video" | "font")
        || (kind == "application"
            && matches!(
                subtype,
                "zip"
                    | "gzip"
                    | "x-gzip"
                    | "x-tar"
                    | "x-xz"
                    | "x-bzip2"
                    | "zstd"
                    | "x-7z-compressed"
                    | "pdf"
                    | "wasm"
                    | "java-archive"
                    | "x-executable"
                    | "x-elf"
                    | "x-sharedlib"
                    | "x-msdownload"
                    | "vnd.debian.binary-package"
                    | "x-rpm"
            ))
}

/// Turns a reqwest error into the variant that says what happened, reading the error's
/// causes: reqwest flags timeouts, connects and redirects, but DNS and TLS failures only show
/// in the messages of the errors underneath.
fn classify(requested: &str, error: &reqwest::Error, options: &LoadOptions) -> LoadError {
    let url = requested.to_string();
    let mut causes: Vec<String> = Vec::new();
    let mut tls_failed = false;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(problem) = cause.downcast_ref::<RedirectProblem>() {
            return match problem {
                RedirectProblem::Loop(target) => LoadError::RedirectLoop {
                    url,
                    target: target.clone(),
                },
                RedirectProblem::TooMany(max) => LoadError::TooManyRedirects { url, max: *max },
                RedirectProblem::Downgrade(target) => LoadError::InsecureRedirect {
                    url,
                    target: target.clone(),
                },
            };
        }
        // rustls reports its failures as I/O errors of kind `InvalidData`, sometimes wrapped
        // in another I/O error (whose `source()` skips the inner one).
        tls_failed |= cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(has_invalid_data_kind);
        causes.push(cause.to_string());
        source = cause.source();
    }
    // The innermost cause is the most specific ("Connection refused (os error 111)").
    let detail = causes.last().cloned().unwrap_or_else(|| error.to_string());
    let all_causes = causes.join(": ").to_lowercase();
    if error.is_timeout() {
        return if error.is_connect() {
            LoadError::ConnectTimeout {
                url,
                after: options.connect_timeout,
            }
        } else {
            LoadError::Timeout {
                url,
                after: options.timeout,
            }
        };
    }
    if all_causes.contains("dns error") || all_causes.contains("failed to lookup address") {
        let host = error
            .url()
            .and_then(|failed| failed.host_str().map(str::to_string))
            .unwrap_or_default();
        return LoadError::Dns { url, host, detail };
    }
    let certificate = all_causes.contains("certificate");
    if tls_failed || certificate || all_causes.contains("tls") || all_causes.contains("handshake") {
        return LoadError::Tls {
            url,
            detail,
            certificate,
        };
    }
    if error.is_redirect() {
        return LoadError::Request { url, detail };
    }
    if error.is_connect() {
        return LoadError::Connect { url, detail };
    }
    LoadError::Request {
        url,
        detail: if causes.is_empty() {
            error.to_string()
        } else {
            causes.join(": ")
        },
    }
}

/// Whether an I/O error, or one it wraps, is of kind `InvalidData`.
fn has_invalid_data_kind(error: &std::io::Error) -> bool {
    let mut current = Some(error);
    while let Some(io_error) = current {
        if io_error.kind() == std::io::ErrorKind::InvalidData {
            return true;
        }
        current = io_error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<std::io::Error>());
    }
    false
}

/// Turns raw bytes into a [`LoadedDoc`]: refuse binary content, decode (lossily, with a
/// warning), split off the front matter, convert HTML.
fn decode_doc(
    bytes: &[u8],
    origin: Origin,
    source_name: &str,
    declared_html: bool,
) -> Result<LoadedDoc, LoadError> {
    let sha256 = hex::encode(Sha256::digest(bytes));
    if let Some(what) = binary_kind(bytes) {
        return Err(LoadError::Binary {
            source_name: source_name.to_string(),
            what: what.to_string(),
        });
    }
    let mut warnings = Vec::new();
    let text = decode_text(bytes, source_name, &mut warnings);
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    let (front_matter, body, first_line) =
        split_front_matter(&text).map_err(|error| LoadError::FrontMatter {
            source_name: source_name.to_string(),
            line: error.line,
            message: error.message,
        })?;
    if front_matter.is_some() {
        warnings.extend(unknown_front_matter_keys(&text, source_name));
    }
    let converted_from_html = declared_html || looks_like_html(body);
    let text = if converted_from_html {
        super::html::to_markdown(body).map_err(|source| LoadError::Io {
            what: format!("the HTML of `{source_name}`"),
            source,
        })?
    } else {
        body.to_string()
    };
    Ok(LoadedDoc {
        origin,
        text,
        first_line,
        front_matter,
        converted_from_html,
        sha256,
        warnings,
    })
}

/// Signatures of binary formats a doc URL may point at by mistake (a release archive, a
/// binary, an image), with what to call them.
const MAGIC_NUMBERS: &[(&[u8], &str)] = &[
    (b"\x1f\x8b", "gzip data"),
    (b"\x7fELF", "an ELF executable"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"PK\x03\x04", "a zip archive"),
    (b"PK\x05\x06", "a zip archive"),
    (b"%PDF-", "a PDF document"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x00asm", "a WebAssembly module"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"!<arch>\n", "an ar archive (a .deb?)"),
];

/// How much of a doc is inspected for binary content.
const SNIFF_BYTES: usize = 64 * 1024;

/// What binary content `bytes` are, or `None` for text. UTF-16 text with a byte-order mark is
/// text.
fn binary_kind(bytes: &[u8]) -> Option<String> {
    if let Some((_, what)) = MAGIC_NUMBERS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Some(what.to_string());
    }
    if bytes.starts_with(b"BZh") && bytes.get(4..10) == Some(b"\x31\x41\x59\x26\x53\x59") {
        return Some("bzip2 data".into());
    }
    if bytes.get(257..262) == Some(b"ustar") {
        return Some("a tar archive".into());
    }
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if sample.contains(&0) {
        return Some("binary data (it contains NUL bytes)".into());
    }
    // Text uses tab, newlines, form feed and escape (ANSI colours); other control bytes in
    // quantity mean a binary format.
    let control_bytes = sample
        .iter()
        .filter(|&&byte| {
            (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)) || byte == 0x7f
        })
        .count();
    if !sample.is_empty() && control_bytes * 10 > sample.len() {
        let percent = control_bytes * 100 / sample.len();
        return Some(format!("binary data ({percent}% control bytes)"));
    }
    None
}

/// Decodes a doc's bytes: UTF-8 (a byte-order mark dropped), UTF-16 with a byte-order mark,
/// and anything else as UTF-8 with invalid bytes replaced, which a warning reports.
fn decode_text(bytes: &[u8], source_name: &str, warnings: &mut Vec<String>) -> String {
    let utf16 = |big_endian: bool, rest: &[u8]| {
        let units = rest.chunks(2).map(|pair| match pair {
            [first, second] if big_endian => u16::from_be_bytes([*first, *second]),
            [first, second] => u16::from_le_bytes([*first, *second]),
            [odd] => u16::from(*odd),
            _ => 0xfffd,
        });
        char::decode_utf16(units)
            .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        warnings.push(format!(
            "`{source_name}` is UTF-16 text; it was converted to UTF-8"
        ));
        return utf16(false, rest);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        warnings.push(format!(
            "`{source_name}` is UTF-16 text; it was converted to UTF-8"
        ));
        return utf16(true, rest);
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(error) => {
            let valid = &bytes[..error.valid_up_to()];
            let line = valid.iter().filter(|&&byte| byte == b'\n').count() + 1;
            let invalid = bytes
                .split(|&byte| byte == b'\n')
                .map(|line_bytes| usize::from(std::str::from_utf8(line_bytes).is_err()))
                .sum::<usize>();
            warnings.push(format!(
                "`{source_name}` is not valid UTF-8 (first on line {line}, {invalid} line(s) in \
                 all); undecodable bytes were replaced with U+FFFD"
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Whether a text without a declared type is an HTML page (not Markdown with some inline
/// HTML, which READMEs often start with: `<p align="center">`, `<h1>`).
fn looks_like_html(text: &str) -> bool {
    let start = text.trim_start();
    let head: String = start
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with("<?xml") && head.contains("<html"))
        || (head.starts_with("<!--") && (head.contains("<!doctype html") || head.contains("<html")))
}

/// A front matter that could not be read: the source line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

const FRONT_MATTER_DELIMITER: &str = "+++";

/// Splits a `+++` TOML front matter off the top of `text`: returns it (if any), the rest of
/// the text, and the 1-based line number where the rest starts.
pub fn split_front_matter(
    text: &str,
) -> Result<(Option<FrontMatter>, &str, usize), FrontMatterError> {
    let mut lines = text.split_inclusive('\n');
    let is_delimiter = |line: &str| line.trim_end() == FRONT_MATTER_DELIMITER;
    match lines.next() {
        Some(first) if is_delimiter(first) => {}
        _ => return Ok((None, text, 1)),
    }
    let content_start = text.len() - lines.clone().map(str::len).sum::<usize>();
    let mut offset = content_start;
    let mut line_number = 1;
    for line in lines {
        line_number += 1;
        if is_delimiter(line) {
            let content = &text[content_start..offset];
            let front_matter = toml::from_str::<FrontMatter>(content).map_err(|error| {
                let error_line = error.span().map_or(0, |span| {
                    content[..span.start.min(content.len())]
                        .matches('\n')
                        .count()
                });
                FrontMatterError {
                    line: 2 + error_line,
                    message: error.message().trim().to_string(),
                }
            })?;
            let rest = &text[offset + line.len()..];
            return Ok((Some(front_matter), rest, line_number + 1));
        }
        offset += line.len();
    }
    Err(FrontMatterError {
        line: 1,
        message: format!(
            "the front matter opened here is never closed by a `{FRONT_MATTER_DELIMITER}` line"
        ),
    })
}

/// Warnings for front-matter keys this program does not read.
fn unknown_front_matter_keys(text: &str, source_name: &str) -> Vec<String> {
    let content: String = text
        .split_inclusive('\n')
        .skip(1)
        .take_while(|line| line.trim_end() != FRONT_MATTER_DELIMITER)
        .collect();
    let Ok(table) = toml::from_str::<toml::Table>(&content) else {
        return Vec::new();
    };
    table
        .keys()
        .filter(|key| !FrontMatter::KNOWN_KEYS.contains(&key.as_str()))
        .map(|key| {
            format!(
                "front matter key `{key}` in `{source_name}` is not used (known keys: {})",
                FrontMatter::KNOWN_KEYS.join(", ")
            )
        })
        .collect()
}

/// "5.0 MiB (5242880 bytes)", "812 bytes".
fn describe_size(bytes: u64) -> String {
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else {
        format!("{} ({bytes} bytes)", ByteSize(bytes))
    }
}

/// "2 s", "1500 ms".
fn describe_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

/// " (fetched as `...`)" when the URL that answered is not the one requested.
fn fetched_as(requested: &str, fetched: &str) -> String {
    if requested == fetched || Url::parse(requested).is_ok_and(|url| url.as_str() == fetched) {
        String::new()
    } else {
        format!(" (fetched as `{fetched}`)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn options() -> LoadOptions {
        LoadOptions {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            ..LoadOptions::default()
        }
    }

    async fn serve(route: &str, response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    fn write_temp(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let directory = tempfile::tempdir().expect("temp dir");
        let file = directory.path().join(name);
        std::fs::write(&file, contents).expect("write fixture");
        (directory, file)
    }

    #[test]
    fn front_matter_is_parsed_and_removed_keeping_line_numbers() {
        let text = "+++\nname = \"jq\"\nverify = [\"jq --version\"]\n+++\n# jq\n";
        let (front_matter, body, first_line) = split_front_matter(text).expect("valid");
        let front_matter = front_matter.expect("present");
        assert_eq!(front_matter.name.as_deref(), Some("jq"));
        assert_eq!(front_matter.verify, ["jq --version"]);
        assert_eq!(body, "# jq\n");
        assert_eq!(first_line, 5);
    }

    #[test]
    fn text_without_front_matter_starts_at_line_one() {
        let (front_matter, body, first_line) = split_front_matter("# Title\n+++\n").expect("valid");
        assert_eq!(front_matter, None);
        assert_eq!(body, "# Title\n+++\n");
        assert_eq!(first_line, 1);
    }

    #[test]
    fn malformed_front_matter_names_its_line() {
        let error = split_front_matter("+++\nname = \"x\"\nverify = \"not a list\"\n+++\nbody")
            .expect_err("bad type");
        assert_eq!(error.line, 3, "{error:?}");
        let error = split_front_matter("+++\nname = \"x\"\nthis is not toml\n+++\n")
            .expect_err("bad syntax");
        assert_eq!(error.line, 3, "{error:?}");
        let error = split_front_matter("+++\nname = \"x\"\n# body").expect_err("unclosed");
        assert_eq!(error.line, 1);
        assert!(error.message.contains("never closed"), "{error:?}");
    }

    #[test]
    fn github_blob_urls_become_raw_urls() {
        let rewrite = |url: &str| {
            github_raw_url(&Url::parse(url).expect("valid URL")).map(|url| url.to_string())
        };
        assert_eq!(
            rewrite("https://github.com/jqlang/jq/blob/master/README.md").as_deref(),
            Some("https://raw.githubusercontent.com/jqlang/jq/master/README.md")
        );
        assert_eq!(
            rewrite("https://github.com/o/r/blob/v1.2/docs/install/linux.md?plain=1#L10")
                .as_deref(),
            Some("https://raw.githubusercontent.com/o/r/v1.2/docs/install/linux.md")
        );
        assert_eq!(
            rewrite("http://www.github.com/o/r/raw/main/INSTALL.md").as_deref(),
            Some("https://raw.githubusercontent.com/o/r/main/INSTALL.md")
        );
        for untouched in [
            "https://github.com/o/r",
            "https://github.com/o/r/blob/main",
            "https://github.com/o/r/tree/main/docs",
            "https://example.com/o/r/blob/main/README.md",
        ] {
            assert_eq!(rewrite(untouched), None, "{untouched}");
        }
    }

    #[test]
    fn url_schemes_are_recognised() {
        assert_eq!(url_scheme("https://x/y").as_deref(), Some("https"));
        assert_eq!(url_scheme("FTP://x").as_deref(), Some("ftp"));
        assert_eq!(url_scheme("git+ssh://x").as_deref(), Some("git+ssh"));
        assert_eq!(url_scheme("jq"), None);
        assert_eq!(url_scheme("./a://b"), None);
        assert_eq!(url_scheme("://x"), None);
    }

    #[test]
    fn binary_content_is_recognised() {
        assert_eq!(
            binary_kind(b"\x1f\x8b\x08\x00rest").as_deref(),
            Some("gzip data")
        );
        assert_eq!(
            binary_kind(b"\x7fELF\x02\x01").as_deref(),
            Some("an ELF executable")
        );
        assert_eq!(
            binary_kind(b"\x89PNG\r\n\x1a\n....").as_deref(),
            Some("a PNG image")
        );
        assert_eq!(
            binary_kind(b"PK\x03\x04....").as_deref(),
            Some("a zip archive")
        );
        let mut tar = vec![b'a'; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(binary_kind(&tar).as_deref(), Some("a tar archive"));
        assert!(binary_kind(b"# doc\n\0\0").is_some_and(|what| what.contains("NUL")));
        assert!(
            binary_kind(&[0x01, 0x02, 0x03, b'a', 0x04])
                .is_some_and(|what| what.contains("control"))
        );
        assert_eq!(
            binary_kind(b"# Install\n\n\tindented\r\n\x1b[1mbold\x1b[0m\n"),
            None
        );
        assert_eq!(
            binary_kind("caf\u{e9} \u{2014} na\u{ef}ve".as_bytes()),
            None
        );
        assert_eq!(binary_kind(b"\xe9t\xe9 latin-1\n"), None);
        assert_eq!(binary_kind(b"\xff\xfe#\0 \0x\0"), None);
        assert_eq!(binary_kind(b""), None);
    }

    #[test]
    fn text_decoding_is_lossy_with_a_warning() {
        let mut warnings = Vec::new();
        assert_eq!(
            decode_text("\u{feff}ok".as_bytes(), "a.md", &mut warnings),
            "ok"
        );
        assert!(warnings.is_empty());
        let text = decode_text(b"line one\ncaf\xe9\n", "a.md", &mut warnings);
        assert_eq!(text, "line one\ncaf\u{fffd}\n");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("line 2"), "{warnings:?}");
        assert!(warnings[0].contains("a.md"), "{warnings:?}");
        let mut warnings = Vec::new();
        let text = decode_text(b"\xff\xfeh\0i\0", "b.md", &mut warnings);
        assert_eq!(text, "hi");
        assert!(warnings[0].contains("UTF-16"), "{warnings:?}");
    }

    #[test]
    fn html_pages_are_told_from_markdown_with_inline_html() {
        assert!(looks_like_html("\n<!DOCTYPE html>\n<html>"));
        assert!(looks_like_html("<html lang=\"en\">"));
        assert!(looks_like_html("<!-- generated -->\n<!doctype html>"));
        assert!(!looks_like_html(
            "<p align=\"center\"><img src=\"logo.png\"></p>\n# Tool"
        ));
        assert!(!looks_like_html("# Tool\n<html> is mentioned here"));
    }

    #[test]
    fn citation_names_are_short() {
        let url = Origin::Url {
            requested: "https://github.com/o/r/blob/main/docs/INSTALL.md".into(),
            fetched: "https://raw.githubusercontent.com/o/r/main/docs/INSTALL.md".into(),
        };
        assert_eq!(url.citation_name(), "INSTALL.md");
        let root = Origin::Url {
            requested: "https://example.com/".into(),
            fetched: "https://example.com/".into(),
        };
        assert_eq!(root.citation_name(), "example.com");
        let file = Origin::File {
            path: "docs/jq.md".into(),
        };
        assert_eq!(file.citation_name(), "jq.md");
        let catalog = Origin::Catalog {
            name: "jq".into(),
            path: "install-docs/jq.md".into(),
        };
        assert_eq!(catalog.citation_name(), "jq.md");
        assert_eq!(catalog.to_string(), "install-docs/jq.md");
        assert_eq!(Origin::Stdin.citation_name(), "stdin");
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(describe_size(812), "812 bytes");
        assert_eq!(describe_size(5 * 1024 * 1024), "5.0 MiB (5242880 bytes)");
        assert_eq!(describe_duration(Duration::from_secs(2)), "2 s");
        assert_eq!(describe_duration(Duration::from_millis(1500)), "1500 ms");
    }

    #[tokio::test]
    async fn a_local_markdown_file_loads_with_its_front_matter() {
        let (_directory, file) = write_temp(
            "tool.md",
            b"+++\r\nname = \"tool\"\r\nextra = 1\r\n+++\r\n# Tool\r\n\r\n    apt-get install tool\r\n",
        );
        let spec = file.to_str().expect("UTF-8 path");
        let doc = load(spec, &options()).await.expect("loads");
        assert_eq!(doc.text, "# Tool\n\n    apt-get install tool\n");
        assert_eq!(doc.first_line, 5);
        assert_eq!(
            doc.front_matter
                .as_ref()
                .and_then(|front| front.name.as_deref()),
            Some("tool")
        );
        assert!(!doc.converted_from_html);
        assert_eq!(doc.citation_name(), "tool.md");
        assert_eq!(doc.sha256.len(), 64);
        assert!(
            doc.warnings
                .iter()
                .any(|warning| warning.contains("`extra`")),
            "{:?}",
            doc.warnings
        );
    }

    #[tokio::test]
    async fn the_sha256_is_of_the_raw_bytes() {
        let (_directory, file) = write_temp("abc.txt", b"abc");
        let doc = load(file.to_str().expect("UTF-8 path"), &options())
            .await
            .expect("loads");
        assert_eq!(
            doc.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn a_local_html_file_is_converted() {
        let (_directory, file) = write_temp(
            "page.html",
            b"<nav>Menu</nav><h1>Tool</h1><pre><code>make install</code></pre><script>evil()</script>",
        );
        let doc = load(file.to_str().expect("UTF-8 path"), &options())
            .await
            .expect("loads");
        assert!(doc.converted_from_html);
        assert!(doc.text.contains("make install"), "{}", doc.text);
        assert!(!doc.text.contains("evil"), "{}", doc.text);
        assert!(!doc.text.contains("Menu"), "{}", doc.text);
    }

    #[tokio::test]
    async fn local_file_failures_say_what_is_wrong() {
        let missing = load("./no/such/doc.md", &options())
            .await
            .expect_err("missing");
        assert!(
            matches!(missing, LoadError::FileNotFound { .. }),
            "{missing:?}"
        );
        assert!(
            missing.to_string().contains("./no/such/doc.md"),
            "{missing}"
        );
        let missing_bare = load("nothing-here.md", &options())
            .await
            .expect_err("missing");
        assert!(
            matches!(missing_bare, LoadError::FileNotFound { .. }),
            "{missing_bare:?}"
        );

        let directory = tempfile::tempdir().expect("temp dir");
        let spec = directory.path().to_str().expect("UTF-8 path");
        let error = load(spec, &options()).await.expect_err("directory");
        assert!(matches!(error, LoadError::NotAFile { .. }), "{error:?}");

        let (_directory, file) = write_temp("big.md", &[b'x'; 2048]);
        let small = LoadOptions {
            max_bytes: 1000,
            ..options()
        };
        let error = load(file.to_str().expect("UTF-8 path"), &small)
            .await
            .expect_err("too large");
        assert!(
            matches!(
                error,
                LoadError::TooLarge {
                    size: Some(2048),
                    max: 1000,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.hint().contains("--max-doc-size"), "{}", error.hint());

        let (_directory, file) = write_temp("tool.tar.gz", b"\x1f\x8b\x08\x00\x00\x00");
        let error = load(file.to_str().expect("UTF-8 path"), &options())
            .await
            .expect_err("binary");
        assert!(error.to_string().contains("gzip data"), "{error}");

        let (_directory, file) = write_temp("bad.md", b"+++\nname = 3\n+++\n");
        let error = load(file.to_str().expect("UTF-8 path"), &options())
            .await
            .expect_err("bad front matter");
        assert!(
            matches!(error, LoadError::FrontMatter { line: 2, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn file_urls_are_local_files_and_other_schemes_are_refused() {
        let (_directory, file) = write_temp("doc.md", b"# Doc\n");
        let url = Url::from_file_path(&file).expect("absolute path");
        let doc = load(url.as_str(), &options()).await.expect("loads");
        assert_eq!(doc.origin, Origin::File { path: file });

        let error = load("ftp://example.com/doc.md", &options())
            .await
            .expect_err("ftp");
        assert!(
            matches!(error, LoadError::UnsupportedScheme { ref scheme, .. } if scheme == "ftp"),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("ftp://example.com/doc.md"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn catalog_names_resolve_in_the_embedded_catalog() {
        let catalog = Catalog::embedded();
        let Some(entry) = catalog.entries().first() else {
            return;
        };
        let doc = load(&entry.name.to_uppercase(), &options())
            .await
            .expect("catalog entry loads");
        assert!(matches!(doc.origin, Origin::Catalog { ref name, .. } if *name == entry.name));
        assert_eq!(doc.citation_name(), entry.file_name);

        let error = load("no-such-product-anywhere", &options())
            .await
            .expect_err("unknown name");
        let LoadError::NotFound {
            ref catalog_names, ..
        } = error
        else {
            panic!("unexpected error {error:?}");
        };
        assert_eq!(catalog_names.len(), catalog.entries().len());
        assert!(error.hint().contains(&entry.name), "{}", error.hint());
    }

    #[tokio::test]
    async fn every_embedded_entry_loads_with_a_front_matter() {
        for entry in Catalog::embedded().entries() {
            let doc = load_catalog_entry(entry, &options())
                .await
                .unwrap_or_else(|error| panic!("{}: {error}", entry.file_name));
            let front_matter = doc
                .front_matter
                .unwrap_or_else(|| panic!("{} has no front matter", entry.file_name));
            assert!(
                front_matter.name.is_some(),
                "{} has no name",
                entry.file_name
            );
            assert!(
                !front_matter.verify.is_empty(),
                "{} has no verify",
                entry.file_name
            );
            assert!(
                doc.warnings.is_empty(),
                "{}: {:?}",
                entry.file_name,
                doc.warnings
            );
            assert!(!doc.text.trim().is_empty(), "{} is empty", entry.file_name);
        }
    }

    #[tokio::test]
    async fn markdown_and_html_are_fetched_over_http() {
        let server = serve(
            "/INSTALL.md",
            ResponseTemplate::new(200).set_body_raw(
                "# Tool\n\n```sh\ncargo install tool\n```\n",
                "text/markdown",
            ),
        )
        .await;
        let url = format!("{}/INSTALL.md", server.uri());
        let doc = load(&url, &options()).await.expect("loads");
        assert!(doc.text.contains("cargo install tool"));
        assert!(!doc.converted_from_html);
        assert_eq!(doc.citation_name(), "INSTALL.md");
        assert_eq!(
            doc.origin,
            Origin::Url {
                requested: url.clone(),
                fetched: url
            }
        );

        let server = serve(
            "/install",
            ResponseTemplate::new(200).set_body_raw(
                "<h1>Tool</h1><p>Run <code>make</code></p><style>p{}</style>",
                "text/html; charset=utf-8",
            ),
        )
        .await;
        let doc = load(&format!("{}/install", server.uri()), &options())
            .await
            .expect("loads");
        assert!(doc.converted_from_html);
        assert!(doc.text.starts_with("# Tool"), "{}", doc.text);
        assert!(!doc.text.contains("p{}"), "{}", doc.text);
    }

    #[tokio::test]
    async fn http_failures_are_classified() {
        let server = serve("/gone.md", ResponseTemplate::new(404)).await;
        let url = format!("{}/gone.md", server.uri());
        let error = load(&url, &options()).await.expect_err("404");
        assert_eq!(error.to_string(), format!("`{url}` returned 404 Not Found"));
        assert_eq!(error.hint(), "check the URL, or pass a local file");

        let server = serve("/broken.md", ResponseTemplate::new(500)).await;
        let error = load(&format!("{}/broken.md", server.uri()), &options())
            .await
            .expect_err("500");
        assert!(
            error.to_string().contains("500 Internal Server Error"),
            "{error}"
        );
        assert!(error.hint().contains("retry later"), "{}", error.hint());

        let server = serve(
            "/logo",
            ResponseTemplate::new(200)
                .set_body_raw(b"plain bytes served as an image".to_vec(), "image/png"),
        )
        .await;
        let error = load(&format!("{}/logo", server.uri()), &options())
            .await
            .expect_err("image");
        assert!(
            error.to_string().contains("served as `image/png`"),
            "{error}"
        );

        let server = serve(
            "/huge.md",
            ResponseTemplate::new(200).set_body_string("x".repeat(4096)),
        )
        .await;
        let small = LoadOptions {
            max_bytes: 1024,
            ..options()
        };
        let error = load(&format!("{}/huge.md", server.uri()), &small)
            .await
            .expect_err("too large");
        assert!(
            matches!(
                error,
                LoadError::TooLarge {
                    size: Some(4096),
                    ..
                }
            ),
            "{error:?}"
        );

        let server = serve(
            "/slow.md",
            ResponseTemplate::new(200)
                .set_body_string("# slow")
                .set_delay(Duration::from_secs(5)),
        )
        .await;
        let quick = LoadOptions {
            timeout: Duration::from_millis(300),
            ..options()
        };
        let error = load(&format!("{}/slow.md", server.uri()), &quick)
            .await
            .expect_err("timeout");
        assert!(matches!(error, LoadError::Timeout { .. }), "{error:?}");
        assert!(error.to_string().contains("300 ms"), "{error}");
    }

    #[tokio::test]
    async fn redirects_are_followed_within_limits() {
        let server = MockServer::start().await;
        for (from, to) in [
            ("/a", "/b"),
            ("/b", "/c"),
            ("/loop1", "/loop2"),
            ("/loop2", "/loop1"),
        ] {
            Mock::given(path(from))
                .respond_with(ResponseTemplate::new(302).insert_header("location", to))
                .mount(&server)
                .await;
        }
        Mock::given(path("/c"))
            .respond_with(ResponseTemplate::new(200).set_body_string("# Final\n"))
            .mount(&server)
            .await;
        let doc = load(&format!("{}/a", server.uri()), &options())
            .await
            .expect("chain works");
        assert_eq!(doc.text, "# Final\n");
        assert!(matches!(doc.origin, Origin::Url { ref fetched, .. } if fetched.ends_with("/c")));

        let error = load(&format!("{}/loop1", server.uri()), &options())
            .await
            .expect_err("loop");
        assert!(matches!(error, LoadError::RedirectLoop { .. }), "{error:?}");

        let strict = LoadOptions {
            max_redirects: 1,
            ..options()
        };
        let error = load(&format!("{}/a", server.uri()), &strict)
            .await
            .expect_err("too many");
        assert!(
            matches!(error, LoadError::TooManyRedirects { max: 1, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        let error = load(&format!("http://{address}/doc.md"), &options())
            .await
            .expect_err("refused");
        assert!(matches!(error, LoadError::Connect { .. }), "{error:?}");
        assert!(
            error.to_string().to_lowercase().contains("refused"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_is_a_handshake_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buffer = [0u8; 512];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            }
        });
        let error = load(&format!("https://{address}/doc.md"), &options())
            .await
            .expect_err("not TLS");
        assert!(
            matches!(
                error,
                LoadError::Tls {
                    certificate: false,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.hint().contains("http or https"), "{}", error.hint());
    }

    #[tokio::test]
    async fn an_unresolvable_host_is_a_dns_error() {
        let error = load("http://agent-install-test.invalid/doc.md", &options())
            .await
            .expect_err("dns");
        assert!(
            matches!(error, LoadError::Dns { ref host, .. } if host == "agent-install-test.invalid"),
            "{error:?}"
        );
    }
}
