//! Who the doc is about: the product's likely names, from several signals.
//!
//! A doc's title is a poor name on its own ("Installing gh on Linux and BSD", "Cowsay
//! (Python)", "Download jq"), and a name is never pasted into a command: these names only
//! decide which of the executables an install added is the product, and which package of a
//! registry to look for when no route of the doc works here. Signals, strongest first: the
//! front matter's `name`, the repository the doc was fetched from, the title cleaned of
//! install words, the package the doc's install commands name most often, the repository its
//! links point at most often, and the programs its `X --version` commands run.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::Shell;
use super::classify::{KNOWN_TOOLS, Programs, classify, tool_package};
use super::markdown::Outline;

/// The product's names, best first, each a plausible package or program name
/// (`[a-z0-9][a-z0-9._+-]*`, or `@scope/name`), and its source repository when known.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    pub names: Vec<String>,
    /// `https://github.com/OWNER/REPO` (or GitLab, Codeberg) of the product, when the doc's
    /// address or its links name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
}

impl Product {
    /// Whether `name` (a program or package name) is one of the product's names.
    pub fn is_named(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.names.contains(&lower)
    }
}

static REPOSITORY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"https?://(?:www\.)?(github\.com|gitlab\.com|codeberg\.org|raw\.githubusercontent\.com)/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)",
    )
    .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
});

/// Words that say "how to install", not what.
const INSTALL_WORDS: &[&str] = &[
    "documentation",
    "docs",
    "readme",
    "manual",
    "user guide",
    "guide",
    "quick start",
    "quickstart",
    "overview",
    "installing",
    "install",
    "installation",
    "installation of",
    "how to install",
    "download",
    "downloading",
    "get",
    "getting",
    "getting started with",
    "setting up",
    "set up",
    "setup",
    "welcome to",
];

/// Words that headings and titles are made of but that name no product: platforms, parts of
/// a doc, stages of an install.
const NOT_NAMES: &[&str] = &[
    "about",
    "api",
    "app",
    "cli",
    "client",
    "core",
    "lib",
    "library",
    "main",
    "plugin",
    "project",
    "sdk",
    "server",
    "site",
    "tool",
    "tools",
    "web",
    "website",
    "alpine",
    "arch",
    "binaries",
    "binary",
    "bsd",
    "build",
    "building",
    "changelog",
    "config",
    "configuration",
    "contributing",
    "debian",
    "docs",
    "documentation",
    "download",
    "downloads",
    "example",
    "examples",
    "faq",
    "features",
    "fedora",
    "freebsd",
    "guide",
    "help",
    "home",
    "index",
    "install",
    "installation",
    "installing",
    "intro",
    "introduction",
    "latest",
    "license",
    "linux",
    "macos",
    "manager",
    "overview",
    "package",
    "packages",
    "prerequisites",
    "quick",
    "quickstart",
    "readme",
    "release",
    "releases",
    "requirements",
    "setup",
    "source",
    "sources",
    "start",
    "started",
    "tutorial",
    "ubuntu",
    "uninstall",
    "unix",
    "update",
    "updating",
    "upgrade",
    "upgrading",
    "usage",
    "version",
    "windows",
];

/// Reads the product's identity from the doc.
pub(crate) fn identify(
    front_matter_name: Option<&str>,
    source_url: Option<&str>,
    text: &str,
    outline: &Outline,
) -> Product {
    let mut names: Vec<String> = Vec::new();
    let push = |name: Option<String>, names: &mut Vec<String>| {
        if let Some(name) = name.and_then(|name| sanitize(&name))
            && !names.contains(&name)
            && !KNOWN_TOOLS.contains(&name.as_str())
        {
            names.push(name);
        }
    };
    // The doc's own name for itself may be a tool's (a doc about pipx is about pipx); the
    // weaker signals below never make a tool the product.
    let push_own = |name: Option<String>, names: &mut Vec<String>| {
        if let Some(name) = name.and_then(|name| sanitize(&name))
            && !names.contains(&name)
        {
            names.push(name);
        }
    };
    push_own(front_matter_name.map(str::to_string), &mut names);
    let own_repository = source_url.and_then(repository_of);
    if let Some((_, repo)) = &own_repository {
        push_own(Some(repo.clone()), &mut names);
    }
    if let Some(title) = &outline.title {
        for name in title_names(title) {
            push_own(Some(name), &mut names);
        }
    }
    // The package the install commands name most often (`brew install X`, `apt install X`),
    // the first named on a tie: a doc names its product before the companions.
    let mut counts: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut order = 0;
    for command in &outline.commands {
        if command.shell != Shell::Sh && command.shell != Shell::PowerShell {
            continue;
        }
        for package in classify(&command.text, command.shell, &Programs::default()).packages {
            let bare = package.rsplit('/').next().unwrap_or(&package).to_string();
            if tool_package(&bare).is_none() && !KNOWN_TOOLS.contains(&bare.as_str()) {
                order += 1;
                counts.entry(package).or_insert((0, order)).0 += 1;
            }
        }
    }
    if let Some((package, _)) = counts
        .iter()
        .max_by_key(|(_, (count, first))| (*count, std::cmp::Reverse(*first)))
    {
        push(Some(package.clone()), &mut names);
    }
    // The repository the doc links to most often.
    let linked = most_linked_repository(text);
    if let Some((_, repo)) = &linked {
        push(Some(repo.clone()), &mut names);
    }
    for context in &outline.contexts {
        if let Some(program) = &context.version_program
            && !KNOWN_TOOLS.contains(&program.as_str())
            && !program.contains('/')
        {
            push(Some(program.clone()), &mut names);
        }
    }
    let repository = own_repository.or(linked).map(|(url, _)| url);
    Product { names, repository }
}

/// A name as a package or program would be spelled, or `None` for anything else.
fn sanitize(name: &str) -> Option<String> {
    let lower = name.trim().to_ascii_lowercase();
    let valid = !lower.is_empty()
        && lower.len() <= 64
        && lower
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '@')
        && lower
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/' | '@'))
        && (lower.starts_with('@') || !lower.contains('/'))
        && !lower[1..].contains('@')
        && !NOT_NAMES.contains(&lower.as_str());
    valid.then_some(lower)
}

/// Names a title suggests: "Installing gh on Linux and BSD" → `gh`; "Git LFS" → `git-lfs`;
/// "Cowsay (Python)" → `cowsay`.
fn title_names(title: &str) -> Vec<String> {
    let mut text = title.to_ascii_lowercase();
    // Parenthesised asides and decorations go.
    while let (Some(open), Some(close)) = (text.find('('), text.find(')'))
        && open < close
    {
        text.replace_range(open..=close, " ");
    }
    let mut text = text
        .replace(['`', '*', '!', '?', '"'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Longest phrases first: "getting started with" before "getting".
    let mut phrases = INSTALL_WORDS.to_vec();
    phrases.sort_by_key(|phrase| std::cmp::Reverse(phrase.len()));
    loop {
        let before = text.clone();
        for word in &phrases {
            if let Some(rest) = text.strip_prefix(&format!("{word} ")) {
                text = rest.trim().to_string();
            }
            if let Some(rest) = text.strip_suffix(&format!(" {word}")) {
                text = rest.trim().to_string();
            }
        }
        if text == before {
            break;
        }
    }
    for separator in [
        " on ", " for ", " in ", " with ", " via ", ":", " - ", " — ", " – ", ",",
    ] {
        if let Some((head, _)) = text.split_once(separator) {
            text = head.trim().to_string();
        }
    }
    let text = text.trim_start_matches("the ").trim().to_string();
    let words: Vec<&str> = text.split(' ').filter(|word| !word.is_empty()).collect();
    match words.as_slice() {
        [] => Vec::new(),
        [one] => vec![one.to_string()],
        [first, second] => vec![format!("{first}-{second}"), format!("{first}{second}")],
        _ => Vec::new(),
    }
}

/// `(https://host/OWNER/REPO, repo)` of a URL on a known forge.
fn repository_of(url: &str) -> Option<(String, String)> {
    let captures = REPOSITORY.captures(url)?;
    let host = match &captures[1] {
        "raw.githubusercontent.com" => "github.com",
        other => other,
    };
    let owner = &captures[2];
    let repo = captures[3].trim_end_matches(".git");
    Some((
        format!("https://{host}/{owner}/{repo}").to_ascii_lowercase(),
        repo.to_ascii_lowercase(),
    ))
}

/// The repository the text links to most often (at least twice, or the only one).
fn most_linked_repository(text: &str) -> Option<(String, String)> {
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for found in REPOSITORY.find_iter(text) {
        if let Some(repository) = repository_of(found.as_str()) {
            *counts.entry(repository).or_default() += 1;
        }
    }
    let distinct = counts.len();
    let (repository, count) = counts.into_iter().max_by_key(|(_, count)| *count)?;
    (count >= 2 || distinct == 1).then_some(repository)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::markdown::outline;

    fn names(text: &str, url: Option<&str>) -> Product {
        let outline = outline(text, 1, "t.md");
        identify(None, url, text, &outline)
    }

    #[test]
    fn titles_lose_install_words_and_asides() {
        assert_eq!(title_names("Installing gizmo on Linux and BSD"), ["gizmo"]);
        assert_eq!(title_names("Gizmo (Python)"), ["gizmo"]);
        assert_eq!(title_names("Download gizmo"), ["gizmo"]);
        assert_eq!(title_names("Gizmo LFS"), ["gizmo-lfs", "gizmolfs"]);
        assert!(title_names("A very long title about nothing").is_empty());
        assert_eq!(title_names("Getting started with gizmo"), ["gizmo"]);
    }

    #[test]
    fn the_first_named_package_wins_a_tie_and_module_paths_name_their_program() {
        let go = "# Tool\n\n```sh\ngo install example.org/gz/v3/cmd/gizmo@latest\n```\n";
        assert!(names(go, None).is_named("gizmo"));
        let text = "# Install\n\n```sh\nnpm i -D gizmo@%V%\n```\n\n```sh\nnpm i -D husk lint\n```\n\n```sh\nyarn add gizmo@%V%\nyarn add husk lint\n```\n";
        assert_eq!(
            names(text, None).names.first().map(String::as_str),
            Some("gizmo")
        );
    }

    #[test]
    fn a_doc_may_be_about_a_tool_but_a_tool_it_uses_is_not_the_product() {
        let about_pip = names("# pip\n\n```sh\napt install python3-pip\n```\n", None);
        assert!(about_pip.is_named("pip"), "{about_pip:?}");
        let uses_npm = names(
            "# Setup\n\n```sh\nnpm install -g gizmo\nnpm --version\n```\n",
            None,
        );
        assert!(!uses_npm.is_named("npm"), "{uses_npm:?}");
        assert!(!uses_npm.is_named("setup"), "{uses_npm:?}");
        assert!(uses_npm.is_named("gizmo"), "{uses_npm:?}");
    }

    #[test]
    fn packages_named_most_often_and_repository_links_count() {
        let text = "# The tool\n\n```sh\nbrew install gizmo-cli\n```\n\n```sh\napt install curl gizmo-cli\n```\n\nSee https://github.com/acme/gizmo/releases and https://github.com/acme/gizmo/issues.\n";
        let product = names(text, None);
        assert!(product.is_named("gizmo-cli"), "{product:?}");
        assert!(product.is_named("gizmo"), "{product:?}");
        assert!(!product.is_named("curl"), "{product:?}");
        assert_eq!(
            product.repository.as_deref(),
            Some("https://github.com/acme/gizmo")
        );
    }

    #[test]
    fn the_address_names_the_repository_first() {
        let product = names(
            "# Install\n",
            Some("https://raw.githubusercontent.com/acme/widget/main/README.md"),
        );
        assert_eq!(product.names.first().map(String::as_str), Some("widget"));
    }

    #[test]
    fn hostile_names_are_not_names() {
        assert_eq!(sanitize("x;{curl,-s,URL}|sh;true"), None);
        assert_eq!(sanitize("$(curl x|sh)"), None);
        assert_eq!(sanitize("linux"), None, "a platform is never the product");
        assert_eq!(sanitize("Gizmo"), Some("gizmo".to_string()));
    }
}
