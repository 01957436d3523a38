//! The built-in catalog: the install descriptions under `install-docs/`, embedded in the binary.
//!
//! Embedding makes `agent-install ripgrep` work from a lone binary, with no data directory to
//! find at run time. `AGENT_INSTALL_CATALOG=<dir>` replaces the embedded catalog by a directory
//! (tests use it for a catalog they control; users for their own descriptions). An entry is a
//! top-level `.md`, `.markdown`, `.html`, `.htm` or `.txt` file; it is found by its file stem,
//! its file name, or the `name` in its front matter, ignoring case. A `README` describes the
//! directory and is not an entry.
//!
//! A doc spec that is neither `-`, a URL nor a file is a catalog name: [`load_doc`] is where
//! the two meet. The catalog builds on `doc` (loading, front matter), never the other way round.

use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::doc::source::{self, Resolved, split_front_matter};
use crate::doc::{LoadError, LoadOptions, LoadedDoc, Origin};

/// The environment variable that replaces the embedded catalog by a directory.
pub const CATALOG_ENV: &str = "AGENT_INSTALL_CATALOG";

/// The catalog compiled into the binary (`build.rs` rebuilds the crate when it changes).
static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/install-docs");

/// File extensions of catalog entries.
const ENTRY_EXTENSIONS: &[&str] = &["md", "markdown", "html", "htm", "txt"];

/// How much of a file on disk is read to find its front-matter `name` while listing.
const FRONT_MATTER_PEEK_BYTES: u64 = 64 * 1024;

/// A set of install descriptions, embedded or from a directory.
#[derive(Debug, Clone)]
pub struct Catalog {
    location: CatalogLocation,
    entries: Vec<Entry>,
}

/// Where a catalog's entries come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogLocation {
    /// `install-docs/`, compiled into the binary.
    Embedded,
    /// A directory named by [`CATALOG_ENV`].
    Directory(PathBuf),
}

/// One install description in the catalog.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The name it runs by: the file stem (`ripgrep` for `ripgrep.md`).
    pub name: String,
    /// The `name` from its front matter, when it has one that parses.
    pub front_matter_name: Option<String>,
    /// The file name inside the catalog (`ripgrep.md`).
    pub file_name: String,
    /// Where its bytes are.
    pub contents: EntryContents,
}

/// Where a catalog entry's bytes are.
#[derive(Debug, Clone)]
pub enum EntryContents {
    /// Compiled into the binary.
    Embedded(&'static [u8]),
    /// A file on disk (read, with the size cap, when the entry is loaded).
    File(PathBuf),
}

impl Entry {
    /// Where the entry lives, for citations and plans: `install-docs/jq.md` for an embedded
    /// entry, the file's path for one from a directory.
    pub fn display_path(&self) -> String {
        match &self.contents {
            EntryContents::Embedded(_) => format!("install-docs/{}", self.file_name),
            EntryContents::File(path) => path.display().to_string(),
        }
    }

    /// Whether `query` names this entry (stem, file name or front-matter name; any case).
    fn is_named(&self, query: &str) -> bool {
        self.name.to_lowercase() == query
            || self.file_name.to_lowercase() == query
            || self
                .front_matter_name
                .as_deref()
                .is_some_and(|name| name.to_lowercase() == query)
    }
}

/// The catalog directory named by [`CATALOG_ENV`] could not be read.
#[derive(Debug, thiserror::Error)]
#[error("could not read the catalog directory `{}` (set by {CATALOG_ENV})", directory.display())]
pub struct CatalogError {
    pub directory: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl From<CatalogError> for LoadError {
    fn from(error: CatalogError) -> Self {
        LoadError::Catalog {
            directory: error.directory,
            variable: CATALOG_ENV,
            source: error.source,
        }
    }
}

/// Loads a doc from `spec` (URL, path, `-`, or catalog name), in the order
/// [`crate::doc::source`] describes; the catalog in force is read only for a bare name.
pub async fn load_doc(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let name = match source::resolve(spec, options).await? {
        Resolved::Loaded(doc) => return Ok(doc),
        Resolved::Name(name) => name,
    };
    let catalog = Catalog::from_environment()?;
    if let Some(entry) = catalog.find(name.spec()) {
        return entry.load(options).await;
    }
    Err(name.not_found(
        catalog.names().into_iter().map(str::to_string).collect(),
        catalog.suggest(spec),
    ))
}

impl Catalog {
    /// The catalog in force: the directory in [`CATALOG_ENV`] when it is set and not empty,
    /// else the embedded one.
    pub fn from_environment() -> Result<Catalog, CatalogError> {
        match std::env::var_os(CATALOG_ENV) {
            Some(directory) if !directory.is_empty() => {
                Catalog::from_directory(Path::new(&directory))
            }
            _ => Ok(Catalog::embedded()),
        }
    }

    /// The catalog compiled into the binary.
    pub fn embedded() -> Catalog {
        let entries = EMBEDDED
            .files()
            .filter_map(|file| {
                let file_name = file.path().file_name()?.to_str()?;
                let name = entry_name(file_name)?;
                Some(Entry {
                    name,
                    front_matter_name: front_matter_name(file.contents()),
                    file_name: file_name.to_string(),
                    contents: EntryContents::Embedded(file.contents()),
                })
            })
            .collect();
        Catalog::with_entries(CatalogLocation::Embedded, entries)
    }

    /// A catalog made of the entry files at the top of `directory`.
    pub fn from_directory(directory: &Path) -> Result<Catalog, CatalogError> {
        let unreadable = |source| CatalogError {
            directory: directory.to_path_buf(),
            source,
        };
        let mut entries = Vec::new();
        for item in std::fs::read_dir(directory).map_err(unreadable)? {
            let item = item.map_err(unreadable)?;
            let path = item.path();
            // Follows symlinks: a catalog of links to docs elsewhere is fine.
            if !path.is_file() {
                continue;
            }
            let Some(file_name) = path.file_name().and_then(|name| name.to_str()) else {
                continue;
            };
            let Some(name) = entry_name(file_name) else {
                continue;
            };
            entries.push(Entry {
                name,
                front_matter_name: peek_front_matter_name(&path),
                file_name: file_name.to_string(),
                contents: EntryContents::File(path.clone()),
            });
        }
        Ok(Catalog::with_entries(
            CatalogLocation::Directory(directory.to_path_buf()),
            entries,
        ))
    }

    fn with_entries(location: CatalogLocation, mut entries: Vec<Entry>) -> Catalog {
        entries.sort_by(|left, right| {
            (left.name.to_lowercase(), &left.file_name)
                .cmp(&(right.name.to_lowercase(), &right.file_name))
        });
        Catalog { location, entries }
    }

    /// Where the entries come from.
    pub fn location(&self) -> &CatalogLocation {
        &self.location
    }

    /// Every entry, sorted by name.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entries' names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.entries
            .iter()
            .map(|entry| entry.name.as_str())
            .collect()
    }

    /// The entry named `query`: by file stem first, then file name, then front-matter `name`;
    /// case is ignored.
    pub fn find(&self, query: &str) -> Option<&Entry> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return None;
        }
        self.entries
            .iter()
            .find(|entry| entry.name.to_lowercase() == query)
            .or_else(|| self.entries.iter().find(|entry| entry.is_named(&query)))
    }
}

/// One entry as `agent-install search` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub name: String,
    /// The doc's first sentence about the product (its llms.txt-style summary line when it has
    /// one, else the first sentence of its first paragraph).
    pub summary: String,
    /// The routes the doc offers (`apt`, `brew`, `cargo`, ...), in the doc's order.
    pub routes: Vec<String>,
    /// Where the entry lives (`install-docs/jq.md`).
    pub path: String,
}

impl Catalog {
    /// The entries that mention every word of `words` (any case) in their name, summary or
    /// routes; every entry when `words` is empty. Names that match come first.
    pub async fn search(
        &self,
        words: &[String],
        options: &LoadOptions,
    ) -> Result<Vec<Summary>, LoadError> {
        let words: Vec<String> = words
            .iter()
            .flat_map(|text| text.split_whitespace())
            .map(str::to_lowercase)
            .collect();
        let mut found = Vec::new();
        for entry in &self.entries {
            let summary = entry.summarize(options).await?;
            let name = format!(
                "{} {}",
                summary.name.to_lowercase(),
                entry
                    .front_matter_name
                    .as_deref()
                    .unwrap_or_default()
                    .to_lowercase()
            );
            let text = format!(
                "{name} {} {}",
                summary.summary.to_lowercase(),
                summary.routes.join(" ")
            );
            if words.iter().all(|word| text.contains(word.as_str())) {
                let in_name = words.iter().any(|word| name.contains(word.as_str()));
                found.push((!in_name, summary));
            }
        }
        // Stable: within each group, the catalog's (name) order.
        found.sort_by_key(|(name_missed, _)| *name_missed);
        Ok(found.into_iter().map(|(_, summary)| summary).collect())
    }

    /// Names close to `query` ("did you mean"): a few typos away (Damerau-Levenshtein, at
    /// most one edit per three characters), or a prefix of at least three characters.
    /// Closest first.
    pub fn suggest(&self, query: &str) -> Vec<String> {
        let query = query.trim().to_lowercase();
        if query.is_empty() {
            return Vec::new();
        }
        let allowed = (query.chars().count() / 3).max(1);
        let mut close: Vec<(usize, String)> = self
            .entries
            .iter()
            .filter_map(|entry| {
                let names =
                    std::iter::once(entry.name.as_str()).chain(entry.front_matter_name.as_deref());
                names
                    .filter_map(|name| {
                        let lower = name.to_lowercase();
                        let distance = strsim::damerau_levenshtein(&query, &lower);
                        if distance <= allowed {
                            Some(distance)
                        } else if query.chars().count() >= 3 && lower.starts_with(&query) {
                            Some(allowed + 1)
                        } else {
                            None
                        }
                    })
                    .min()
                    .map(|distance| (distance, entry.name.clone()))
            })
            .collect();
        close.sort();
        close.dedup_by(|left, right| left.1 == right.1);
        close.into_iter().map(|(_, name)| name).take(3).collect()
    }
}

impl Entry {
    /// Loads the entry's doc (for `search`, which reads every entry, and for a catalog name).
    pub async fn load(&self, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
        let origin = Origin::Catalog {
            name: self.name.clone(),
            path: self.display_path(),
        };
        match &self.contents {
            EntryContents::Embedded(bytes) => {
                source::load_bytes(bytes, origin, &self.file_name, options)
            }
            EntryContents::File(path) => source::load_file(path, origin, options).await,
        }
    }

    /// The entry's name, summary sentence and routes (the doc is loaded and parsed).
    pub async fn summarize(&self, options: &LoadOptions) -> Result<Summary, LoadError> {
        let loaded = self.load(options).await?;
        let doc = crate::doc::parse(&loaded);
        // An install.md doc says what it is about in its OBJECTIVE line.
        let summary = doc
            .summary
            .clone()
            .or_else(|| doc.objective.as_deref().map(first_sentence))
            .unwrap_or_else(|| first_sentence(&loaded.text));
        Ok(Summary {
            name: self.name.clone(),
            summary,
            routes: doc.routes.iter().map(|route| route.id.clone()).collect(),
            path: self.display_path(),
        })
    }
}

/// The first sentence of the first paragraph of prose (after headings and front matter).
fn first_sentence(markdown: &str) -> String {
    let paragraph: Vec<&str> = markdown
        .lines()
        .map(str::trim)
        .skip_while(|line| {
            line.is_empty()
                || line.starts_with('#')
                || line.starts_with('<')
                || line.starts_with("+++")
        })
        .take_while(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let text = paragraph.join(" ");
    let end = text
        .match_indices(". ")
        .map(|(index, _)| index + 1)
        .next()
        .unwrap_or(text.len());
    let sentence = text[..end].trim();
    let mut shown: String = sentence.chars().take(100).collect();
    if shown.len() < sentence.len() {
        shown.push('…');
    }
    shown
}

/// The name of an entry file (its stem), or `None` when the file is not an entry.
fn entry_name(file_name: &str) -> Option<String> {
    if file_name.starts_with(['.', '_']) {
        return None;
    }
    let (stem, extension) = file_name.rsplit_once('.')?;
    let extension = extension.to_ascii_lowercase();
    if stem.is_empty()
        || !ENTRY_EXTENSIONS.contains(&extension.as_str())
        || stem.eq_ignore_ascii_case("readme")
    {
        return None;
    }
    Some(stem.to_string())
}

/// The front-matter `name` of a doc's bytes; `None` when absent or malformed (loading the entry
/// reports a malformed front matter properly).
fn front_matter_name(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let (front_matter, _, _) = split_front_matter(text).ok()?;
    front_matter?.name
}

/// The front-matter `name` of a file on disk, reading only its head.
fn peek_front_matter_name(path: &Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut head = Vec::new();
    file.take(FRONT_MATTER_PEEK_BYTES)
        .read_to_end(&mut head)
        .ok()?;
    front_matter_name(&head)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LoadOptions {
        LoadOptions {
            timeout: std::time::Duration::from_secs(5),
            connect_timeout: std::time::Duration::from_secs(2),
            ..LoadOptions::default()
        }
    }

    #[tokio::test]
    async fn catalog_names_resolve_in_the_embedded_catalog() {
        let catalog = Catalog::embedded();
        let Some(entry) = catalog.entries().first() else {
            return;
        };
        let doc = load_doc(&entry.name.to_uppercase(), &options())
            .await
            .expect("catalog entry loads");
        assert!(matches!(doc.origin, Origin::Catalog { ref name, .. } if *name == entry.name));
        assert_eq!(doc.citation_name(), entry.file_name);

        let error = load_doc("no-such-product-anywhere", &options())
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
            let doc = entry
                .load(&options())
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

    #[test]
    fn entry_names_come_from_doc_files_only() {
        assert_eq!(entry_name("jq.md").as_deref(), Some("jq"));
        assert_eq!(entry_name("Fd.HTML").as_deref(), Some("Fd"));
        assert_eq!(
            entry_name("python-httpie.markdown").as_deref(),
            Some("python-httpie")
        );
        for ignored in [
            "README.md",
            "readme.txt",
            ".hidden.md",
            "_draft.md",
            "notes",
            "x.toml",
        ] {
            assert_eq!(entry_name(ignored), None, "{ignored}");
        }
    }

    #[test]
    fn a_directory_catalog_finds_entries_by_stem_file_name_and_front_matter_name() {
        let directory = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            directory.path().join("fd.md"),
            "+++\nname = \"fd-find\"\n+++\n# fd\n",
        )
        .expect("write");
        std::fs::write(directory.path().join("Jq.html"), "<h1>jq</h1>").expect("write");
        std::fs::write(directory.path().join("README.md"), "about").expect("write");
        std::fs::create_dir(directory.path().join("sub.md")).expect("mkdir");
        let catalog = Catalog::from_directory(directory.path()).expect("catalog");
        assert_eq!(catalog.names(), ["fd", "Jq"]);
        assert_eq!(
            catalog.find("FD").map(|entry| entry.file_name.as_str()),
            Some("fd.md")
        );
        assert_eq!(
            catalog.find("fd-find").map(|entry| entry.name.as_str()),
            Some("fd")
        );
        assert_eq!(
            catalog.find("jq").map(|entry| entry.name.as_str()),
            Some("Jq")
        );
        assert_eq!(
            catalog.find("jq.html").map(|entry| entry.name.as_str()),
            Some("Jq")
        );
        assert!(catalog.find("readme").is_none());
        assert!(catalog.find("").is_none());
        assert_eq!(
            catalog.location(),
            &CatalogLocation::Directory(directory.path().to_path_buf())
        );
    }

    #[test]
    fn near_names_are_suggested_closest_first() {
        let catalog = Catalog::embedded();
        assert_eq!(catalog.suggest("jqq"), ["jq"]);
        assert_eq!(catalog.suggest("JQ "), ["jq"]);
        assert_eq!(catalog.suggest("ripgrp"), ["ripgrep"]);
        assert_eq!(catalog.suggest("shelcheck"), ["shellcheck"]);
        assert_eq!(catalog.suggest("rip"), ["ripgrep"]);
        assert_eq!(catalog.suggest("hyperfien"), ["hyperfine"]);
        assert!(catalog.suggest("nosuchthing").is_empty());
        assert!(catalog.suggest("").is_empty());
        // Two letters are one edit from several names: the suggestions stay few.
        assert!(catalog.suggest("fx").len() <= 3);
    }

    #[test]
    fn first_sentences_skip_headings_and_stop_at_a_full_stop() {
        assert_eq!(
            first_sentence("# Tool\n\nTool does x. It also does y.\n\n## Install\n"),
            "Tool does x."
        );
        assert_eq!(
            first_sentence("# Tool\n\nNo full stop\nhere\n"),
            "No full stop here"
        );
        assert_eq!(first_sentence(""), "");
        let long = format!("# T\n\n{}\n", "word ".repeat(40));
        assert!(first_sentence(&long).ends_with('…'));
    }

    #[test]
    fn a_missing_catalog_directory_is_an_error_naming_it() {
        let error = Catalog::from_directory(Path::new("/nonexistent/catalog"))
            .expect_err("missing directory");
        assert!(
            error.to_string().contains("/nonexistent/catalog"),
            "{error}"
        );
        assert!(error.to_string().contains(CATALOG_ENV), "{error}");
    }

    /// The embedded catalog holds exactly the entry files of `install-docs/` as they are now
    /// (a stale embed would mean `build.rs` no longer triggers rebuilds).
    #[test]
    fn the_embedded_catalog_matches_install_docs() {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("install-docs");
        let on_disk = Catalog::from_directory(&directory).expect("install-docs readable");
        let embedded = Catalog::embedded();
        assert_eq!(embedded.names(), on_disk.names());
        for (embedded_entry, disk_entry) in embedded.entries().iter().zip(on_disk.entries()) {
            assert_eq!(
                embedded_entry.front_matter_name,
                disk_entry.front_matter_name
            );
            let EntryContents::Embedded(bytes) = embedded_entry.contents else {
                panic!("embedded entry is not embedded");
            };
            let EntryContents::File(path) = &disk_entry.contents else {
                panic!("directory entry is not a file");
            };
            assert_eq!(bytes, std::fs::read(path).expect("read").as_slice());
        }
    }
}
