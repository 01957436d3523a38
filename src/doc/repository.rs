//! Repository web pages → the raw files behind them.
//!
//! What people paste most is a repository's address (`https://github.com/OWNER/REPO`), whose
//! page is HTML around the README. The doc is the README itself, so these addresses are
//! rewritten to the forge's raw-file URLs before anything is fetched:
//!
//! | page | raw file |
//! |---|---|
//! | `github.com/O/R[.git]`, `…/tree/REF/DIR` | `raw.githubusercontent.com/O/R/REF/DIR/README.md` (REF `HEAD` by default) |
//! | `github.com/O/R/blob/REF/PATH` | `raw.githubusercontent.com/O/R/REF/PATH` |
//! | `gitlab.com/G/…/R[.git]`, `…/-/tree/REF/DIR` | `gitlab.com/G/…/R/-/raw/REF/DIR/README.md` |
//! | `gitlab.com/G/…/R/-/blob/REF/PATH` | `gitlab.com/G/…/R/-/raw/REF/PATH` |
//! | `codeberg.org/O/R`, `…/src/branch/B/DIR` | `codeberg.org/O/R/raw/branch/B/DIR/README.md` (B `main`, then `master`) |
//!
//! A directory has several possible README names; [`RepositoryPage::readme_candidates`] lists
//! them in the order they are tried. [`install_link`] finds the "see INSTALL.md" link of a
//! README that leaves installing to another file. `AGENT_INSTALL_RAW_BASE_URL` replaces the
//! raw hosts' `scheme://host` (tests point it at a local server; the paths stay the forge's).

use reqwest::Url;

/// A code forge whose raw-file URL form is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    GitHub,
    GitLab,
    Codeberg,
}

/// A repository's page of a directory: the root, or a tree view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositoryPage {
    pub forge: Forge,
    /// `owner/repo` (GitLab: `group/subgroup/project`), without `.git`.
    pub project: String,
    /// The branch, tag or commit; `None` is the default branch.
    pub reference: Option<String>,
    /// The directory inside the repository (`""` for the root), without slashes at the ends.
    pub directory: String,
}

/// README file names, in the order they are tried.
const README_NAMES: &[&str] = &[
    "README.md",
    "README.markdown",
    "readme.md",
    "Readme.md",
    "README.rst",
    "README.txt",
    "README",
];

/// Codeberg (Gitea) has no raw form for "the default branch": these are tried in order.
const CODEBERG_DEFAULT_BRANCHES: &[&str] = &["main", "master"];

impl RepositoryPage {
    /// The raw URLs of the directory's README, in the order to try them.
    pub fn readme_candidates(&self) -> Vec<Url> {
        let references: Vec<String> = match (&self.reference, self.forge) {
            (Some(reference), _) => vec![reference.clone()],
            (None, Forge::Codeberg) => CODEBERG_DEFAULT_BRANCHES
                .iter()
                .map(|branch| format!("branch/{branch}"))
                .collect(),
            (None, _) => vec!["HEAD".to_string()],
        };
        let mut candidates = Vec::new();
        for reference in &references {
            for name in README_NAMES {
                let path = if self.directory.is_empty() {
                    (*name).to_string()
                } else {
                    format!("{}/{name}", self.directory)
                };
                if let Some(url) = raw_url(self.forge, &self.project, reference, &path) {
                    candidates.push(url);
                }
            }
        }
        candidates
    }
}

/// The forge of a URL's host, if it is one this module knows.
fn forge_of(url: &Url) -> Option<Forge> {
    let host = url.host_str()?.to_ascii_lowercase();
    match host.trim_start_matches("www.") {
        "github.com" => Some(Forge::GitHub),
        "gitlab.com" => Some(Forge::GitLab),
        "codeberg.org" => Some(Forge::Codeberg),
        _ => None,
    }
}

/// The path's segments without empty ones (a trailing slash).
fn segments(url: &Url) -> Vec<String> {
    url.path_segments()
        .map(|segments| {
            segments
                .filter(|segment| !segment.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn without_git_suffix(name: &str) -> &str {
    name.strip_suffix(".git").unwrap_or(name)
}

/// A file's extension marks a doc (so a Codeberg `src/branch/B/X` path is a file, not a
/// directory).
fn looks_like_file(name: &str) -> bool {
    name.rsplit_once('.').is_some_and(|(stem, extension)| {
        !stem.is_empty()
            && ["md", "markdown", "rst", "txt", "html", "htm"]
                .contains(&extension.to_ascii_lowercase().as_str())
    })
}

/// The repository page of a directory (root or tree view) that `url` shows, if it is one.
pub fn repository_page(url: &Url) -> Option<RepositoryPage> {
    let forge = forge_of(url)?;
    let segments = segments(url);
    let page = |project: String, reference: Option<String>, directory: &[String]| {
        Some(RepositoryPage {
            forge,
            project,
            reference,
            directory: directory.join("/"),
        })
    };
    match forge {
        Forge::GitHub => match segments.as_slice() {
            [owner, repository] => page(
                format!("{owner}/{}", without_git_suffix(repository)),
                None,
                &[],
            ),
            [owner, repository, tree, reference, directory @ ..] if tree == "tree" => page(
                format!("{owner}/{repository}"),
                Some(reference.clone()),
                directory,
            ),
            _ => None,
        },
        Forge::GitLab => {
            let dash = segments.iter().position(|segment| segment == "-");
            match dash {
                None if segments.len() >= 2 => {
                    let mut project = segments.clone();
                    let last = project.len() - 1;
                    project[last] = without_git_suffix(&project[last]).to_string();
                    page(project.join("/"), None, &[])
                }
                Some(index) if index >= 2 => match &segments[index + 1..] {
                    [tree, reference, directory @ ..] if tree == "tree" => page(
                        segments[..index].join("/"),
                        Some(reference.clone()),
                        directory,
                    ),
                    _ => None,
                },
                _ => None,
            }
        }
        Forge::Codeberg => match segments.as_slice() {
            [owner, repository] => page(
                format!("{owner}/{}", without_git_suffix(repository)),
                None,
                &[],
            ),
            [owner, repository, src, kind, reference, rest @ ..]
                if src == "src"
                    && ["branch", "tag", "commit"].contains(&kind.as_str())
                    && !rest.last().is_some_and(|last| looks_like_file(last)) =>
            {
                page(
                    format!("{owner}/{repository}"),
                    Some(format!("{kind}/{reference}")),
                    rest,
                )
            }
            _ => None,
        },
    }
}

/// The raw URL of a page that shows one file (`…/blob/REF/PATH` and the like), if it is one.
pub fn raw_file_url(url: &Url) -> Option<Url> {
    let forge = forge_of(url)?;
    let segments = segments(url);
    match forge {
        Forge::GitHub => match segments.as_slice() {
            [owner, repository, kind, reference, path @ ..]
                if (kind == "blob" || kind == "raw") && !path.is_empty() =>
            {
                raw_url(
                    forge,
                    &format!("{owner}/{repository}"),
                    reference,
                    &path.join("/"),
                )
            }
            _ => None,
        },
        Forge::GitLab => {
            let index = segments.iter().position(|segment| segment == "-")?;
            match &segments[index + 1..] {
                [kind, reference, path @ ..]
                    if kind == "blob" && index >= 2 && !path.is_empty() =>
                {
                    raw_url(
                        forge,
                        &segments[..index].join("/"),
                        reference,
                        &path.join("/"),
                    )
                }
                _ => None,
            }
        }
        Forge::Codeberg => match segments.as_slice() {
            [owner, repository, src, kind, reference, path @ ..]
                if src == "src"
                    && ["branch", "tag", "commit"].contains(&kind.as_str())
                    && path.last().is_some_and(|last| looks_like_file(last)) =>
            {
                raw_url(
                    forge,
                    &format!("{owner}/{repository}"),
                    &format!("{kind}/{reference}"),
                    &path.join("/"),
                )
            }
            _ => None,
        },
    }
}

/// The raw URL of `path` at `reference` in `project`, on the forge's raw host or on
/// `AGENT_INSTALL_RAW_BASE_URL`.
fn raw_url(forge: Forge, project: &str, reference: &str, path: &str) -> Option<Url> {
    let (host, path) = match forge {
        Forge::GitHub => (
            "https://raw.githubusercontent.com",
            format!("/{project}/{reference}/{path}"),
        ),
        Forge::GitLab => (
            "https://gitlab.com",
            format!("/{project}/-/raw/{reference}/{path}"),
        ),
        Forge::Codeberg => (
            "https://codeberg.org",
            format!("/{project}/raw/{reference}/{path}"),
        ),
    };
    let base = std::env::var(crate::config::AGENT_INSTALL_RAW_BASE_URL)
        .ok()
        .filter(|base| !base.is_empty())
        .unwrap_or_else(|| host.to_string());
    Url::parse(&format!("{}{path}", base.trim_end_matches('/'))).ok()
}

/// The link a README gives for installing, when it leaves installing to another file of the
/// repository: a relative link (or one to the same forge) to a Markdown or text file whose
/// name starts with `install` (INSTALL.md, docs/installation.md, ...), in a README whose own
/// code blocks install nothing. `None` when the README has its own install commands, so that
/// a README with instructions is never replaced by a longer guide.
pub fn install_link(readme: &str) -> Option<String> {
    if has_install_code(readme) {
        return None;
    }
    let parser = pulldown_cmark::Parser::new(readme);
    parser.into_iter().find_map(|event| match event {
        pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { dest_url, .. }) => {
            let target = dest_url.to_string();
            is_install_file(&target).then_some(target)
        }
        _ => None,
    })
}

fn is_install_file(target: &str) -> bool {
    let path = target.split(['#', '?']).next().unwrap_or_default();
    if path.is_empty() {
        return false;
    }
    if let Ok(url) = Url::parse(path) {
        // An absolute link counts only when it points into a forge (the repository's files).
        if forge_of(&url).is_none() {
            return false;
        }
    }
    let name = path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.starts_with("install")
        && (looks_like_file(&name) || !name.contains('.'))
        && !name.ends_with(".html")
        && !name.ends_with(".htm")
}

/// A fenced or indented code block with an install command in it.
fn has_install_code(readme: &str) -> bool {
    let mut in_code = false;
    for event in pulldown_cmark::Parser::new(readme) {
        match event {
            pulldown_cmark::Event::Start(pulldown_cmark::Tag::CodeBlock(_)) => in_code = true,
            pulldown_cmark::Event::End(pulldown_cmark::TagEnd::CodeBlock) => in_code = false,
            pulldown_cmark::Event::Text(text) if in_code => {
                let text = text.to_ascii_lowercase();
                if text.contains("install") || text.contains("curl ") || text.contains("wget ") {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(url: &str) -> Option<RepositoryPage> {
        repository_page(&Url::parse(url).expect("valid URL"))
    }

    fn raw(url: &str) -> Option<String> {
        raw_file_url(&Url::parse(url).expect("valid URL")).map(|url| url.to_string())
    }

    fn first_candidate(url: &str) -> String {
        page(url).expect("a repository page").readme_candidates()[0].to_string()
    }

    #[test]
    fn repository_roots_and_trees_lead_to_their_readme() {
        assert_eq!(
            first_candidate("https://github.com/jqlang/jq"),
            "https://raw.githubusercontent.com/jqlang/jq/HEAD/README.md"
        );
        assert_eq!(
            first_candidate("https://github.com/jqlang/jq.git"),
            "https://raw.githubusercontent.com/jqlang/jq/HEAD/README.md"
        );
        assert_eq!(
            first_candidate("https://www.github.com/o/r/"),
            "https://raw.githubusercontent.com/o/r/HEAD/README.md"
        );
        assert_eq!(
            first_candidate("https://github.com/o/r/tree/v2/docs/cli"),
            "https://raw.githubusercontent.com/o/r/v2/docs/cli/README.md"
        );
        assert_eq!(
            first_candidate("https://gitlab.com/group/sub/project.git"),
            "https://gitlab.com/group/sub/project/-/raw/HEAD/README.md"
        );
        assert_eq!(
            first_candidate("https://gitlab.com/g/p/-/tree/main/docs"),
            "https://gitlab.com/g/p/-/raw/main/docs/README.md"
        );
        let codeberg = page("https://codeberg.org/o/r")
            .unwrap()
            .readme_candidates();
        assert_eq!(
            codeberg[0].as_str(),
            "https://codeberg.org/o/r/raw/branch/main/README.md"
        );
        assert!(
            codeberg
                .iter()
                .any(|url| url.as_str() == "https://codeberg.org/o/r/raw/branch/master/README.md")
        );
        assert_eq!(
            first_candidate("https://codeberg.org/o/r/src/branch/dev/docs"),
            "https://codeberg.org/o/r/raw/branch/dev/docs/README.md"
        );
    }

    #[test]
    fn other_pages_are_not_repositories() {
        for url in [
            "https://github.com/o",
            "https://github.com/o/r/issues",
            "https://github.com/o/r/blob/main/README.md",
            "https://github.com/o/r/releases/tag/v1",
            "https://gitlab.com/o",
            "https://gitlab.com/o/r/-/issues",
            "https://codeberg.org/o/r/src/branch/main/INSTALL.md",
            "https://example.com/o/r",
        ] {
            assert_eq!(page(url), None, "{url}");
        }
    }

    #[test]
    fn file_pages_become_raw_files() {
        assert_eq!(
            raw("https://github.com/o/r/blob/main/docs/INSTALL.md").as_deref(),
            Some("https://raw.githubusercontent.com/o/r/main/docs/INSTALL.md")
        );
        assert_eq!(
            raw("https://gitlab.com/g/s/p/-/blob/v1/INSTALL.md").as_deref(),
            Some("https://gitlab.com/g/s/p/-/raw/v1/INSTALL.md")
        );
        assert_eq!(
            raw("https://codeberg.org/o/r/src/branch/main/INSTALL.md").as_deref(),
            Some("https://codeberg.org/o/r/raw/branch/main/INSTALL.md")
        );
        assert_eq!(raw("https://github.com/o/r"), None);
        assert_eq!(raw("https://gitlab.com/g/p/-/raw/main/x.md"), None);
    }

    #[test]
    fn an_install_link_is_followed_only_from_a_readme_without_install_commands() {
        let pointer = "# Tool\n\nA tool. See [the install guide](INSTALL.md) to install it.\n";
        assert_eq!(install_link(pointer).as_deref(), Some("INSTALL.md"));
        let nested = "# Tool\n\nRead [installation](docs/installation.md#linux).\n";
        assert_eq!(
            install_link(nested).as_deref(),
            Some("docs/installation.md#linux")
        );
        let with_commands =
            "# Tool\n\n```sh\ncargo install tool\n```\n\nMore in [INSTALL.md](INSTALL.md).\n";
        assert_eq!(install_link(with_commands), None);
        let elsewhere = "# Tool\n\nSee [install](https://example.com/install.md).\n";
        assert_eq!(install_link(elsewhere), None);
        let unrelated = "# Tool\n\nSee [usage](USAGE.md) and [the site](https://x.org).\n";
        assert_eq!(install_link(unrelated), None);
    }
}
