//! Loading a doc from its source: an http(s) URL, a local file, or `-` (stdin); a bare name is
//! handed back to the caller, which looks it up in the catalog (`catalog::load_doc`) —
//! `doc` knows nothing of the catalog, so the catalog can build on `doc` without a cycle.
//!
//! A doc is untrusted input fetched from anywhere, so every path into the program goes through
//! the same limits: a size cap that stops reading as soon as it is passed (never an unbounded
//! buffer), connect and total timeouts, a capped redirect chain that also stops on loops and on
//! https → http downgrades, and a refusal of binary content. What comes out is text ready for
//! the parser: HTML already converted to Markdown, the `+++` TOML front matter parsed and cut
//! off, with `first_line` keeping citations (file:line) true to the original file.
//!
//! The pieces: `fetch` talks HTTP, `decode` turns bytes into text (size cap, binary
//! refusal, encodings), `front_matter` reads the `+++` header. This file holds the types and
//! the entry points.
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

mod decode;
mod fetch;
mod front_matter;

pub use fetch::github_raw_url;
pub use front_matter::{FrontMatter, FrontMatterError, split_front_matter};

use decode::{decode_doc, read_bounded};
use fetch::load_url;

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
    /// The catalog directory could not be read (the catalog turns its own error into this one).
    #[error("could not read the catalog directory `{}` (set by {variable})", directory.display())]
    Catalog {
        directory: PathBuf,
        /// The environment variable that named the directory.
        variable: &'static str,
        #[source]
        source: std::io::Error,
    },
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
            LoadError::Catalog { variable, .. } => {
                format!("point {variable} at a directory of install docs, or unset it")
            }
        }
    }
}

/// What a spec names, as far as `doc` can tell: a doc it loaded, or a bare name for the
/// catalog to look up.
#[derive(Debug)]
pub enum Resolved {
    Loaded(LoadedDoc),
    Name(DocName),
}

/// A spec that is neither `-`, a URL nor an existing file (a directory with a bare name, like
/// `ripgrep/` next to `ripgrep`, counts as a name too).
#[derive(Debug)]
pub struct DocName {
    spec: String,
    is_directory: bool,
}

impl DocName {
    /// The spec as given.
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// The error when the catalog has no entry of this name: the directory or missing file the
    /// spec names, or an unknown name with the catalog's names and close ones.
    pub fn not_found(self, catalog_names: Vec<String>, suggestions: Vec<String>) -> LoadError {
        let path = Path::new(&self.spec);
        if self.is_directory {
            return LoadError::NotAFile { path: path.into() };
        }
        if has_doc_extension(path) {
            return LoadError::FileNotFound { path: path.into() };
        }
        LoadError::NotFound {
            spec: self.spec,
            catalog_names,
            suggestions,
        }
    }
}

/// Loads a doc from `spec` when it is `-`, a URL or a file; a bare name comes back as
/// [`Resolved::Name`] for the catalog.
pub async fn resolve(spec: &str, options: &LoadOptions) -> Result<Resolved, LoadError> {
    if spec == "-" {
        return load_stdin(options).await.map(Resolved::Loaded);
    }
    if url_scheme(spec).is_some() {
        return load_url(spec, options).await.map(Resolved::Loaded);
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
            return load_file(path, Origin::File { path: path.into() }, options)
                .await
                .map(Resolved::Loaded);
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
    Ok(Resolved::Name(DocName {
        spec: spec.to_string(),
        is_directory,
    }))
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

/// Whether a file name says HTML (`.html`, `.htm`, `.xhtml`).
pub fn has_html_extension(path: &Path) -> bool {
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
pub async fn load_file(
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

/// Loads a doc already in memory (an embedded catalog entry), named in messages as its
/// `origin`; `file_name` says whether it is HTML.
pub fn load_bytes(
    bytes: &[u8],
    origin: Origin,
    file_name: &str,
    options: &LoadOptions,
) -> Result<LoadedDoc, LoadError> {
    let source_name = origin.to_string();
    let size = bytes.len() as u64;
    if size > options.max_bytes {
        return Err(LoadError::TooLarge {
            source_name,
            size: Some(size),
            max: options.max_bytes,
        });
    }
    decode_doc(
        bytes,
        origin,
        &source_name,
        has_html_extension(Path::new(file_name)),
    )
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

    pub(super) fn options() -> LoadOptions {
        LoadOptions {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            ..LoadOptions::default()
        }
    }

    /// `load` without a catalog: a bare name is reported as the catalog reports an unknown
    /// one, with no names to offer.
    pub(super) async fn load(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
        match resolve(spec, options).await? {
            Resolved::Loaded(doc) => Ok(doc),
            Resolved::Name(name) => Err(name.not_found(Vec::new(), Vec::new())),
        }
    }

    fn write_temp(name: &str, contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let directory = tempfile::tempdir().expect("temp dir");
        let file = directory.path().join(name);
        std::fs::write(&file, contents).expect("write fixture");
        (directory, file)
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
}
