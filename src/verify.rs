//! Verification from evidence: which checks prove *this* install, and which program to run
//! when the doc offers no usable check.
//!
//! "Verified" is a claim about evidence (DESIGN §9): a passed check that runs a program the
//! install provided. The rehearsal's delta says what the install provided — executables added
//! or replaced in a `bin` directory, including the shims of pipx and npm — so a doc's check
//! binds the route only when it runs one of them. A `./target/release/X --version` from a
//! "Building" section, `X a` from a usage section, or the check of a program that some other
//! route would have installed do not. When no doc check binds, a check is derived from the
//! executables that belong to the product (by name, or because the package that owns them is
//! one the route installed or the product's own), run with `--version`, `-V`, `version` or
//! `--help`, whichever exits 0. Nothing here builds a command from doc text: derived checks
//! are made of file names the delta shows, and only names that are plain words.

use std::collections::BTreeSet;

use crate::doc::{Doc, VerificationOrigin};
use crate::sandbox::{ChangeKind, Delta, FileType};
use crate::shell;

/// The flags a derived check tries, in order.
pub const VERSION_FLAGS: &[&str] = &["--version", "-V", "version", "--help"];

/// How many doc checks of the product a route needs at most (two version checks prove as
/// much as ten).
const DOC_CHECKS: usize = 2;

/// An executable the install added or replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executable {
    /// Absolute path inside the target.
    pub path: String,
    /// The file name: what a check runs.
    pub name: String,
    /// The package that owns it, when its manager says so: dpkg's owner, the pipx venv or the
    /// npm module a shim points into.
    pub package: Option<String>,
}

/// Executables added or replaced in a `bin`, `sbin` or `games` directory, with plain names
/// only (a file named `$(curl …)` is evidence of nothing we would run).
pub fn executables(delta: &Delta) -> Vec<Executable> {
    delta
        .changes
        .iter()
        .filter(|change| matches!(change.kind, ChangeKind::Added | ChangeKind::Modified))
        .filter(|change| match change.entry.file_type {
            FileType::File => change.entry.mode & 0o111 != 0,
            FileType::Symlink => true,
            _ => false,
        })
        .filter_map(|change| {
            let (directory, name) = change.path.rsplit_once('/')?;
            let in_bin = directory.ends_with("/bin")
                || directory.ends_with("/sbin")
                || directory.ends_with("/games");
            // Executables inside a venv or a node module are reached through their shims.
            let private = directory.contains("/venvs/")
                || directory.contains("/node_modules/")
                || directory.contains("/site-packages/");
            (in_bin && !private && is_plain_word(name)).then(|| Executable {
                path: change.path.clone(),
                name: name.to_string(),
                package: change
                    .entry
                    .link_target
                    .as_deref()
                    .and_then(package_of_link),
            })
        })
        .collect()
}

/// The package a shim's link target points into: `…/pipx/venvs/PKG/bin/x` or
/// `…/node_modules/PKG/…` (`@scope/PKG` too).
fn package_of_link(target: &str) -> Option<String> {
    if let Some((_, rest)) = target.split_once("/venvs/") {
        return rest.split('/').next().map(str::to_ascii_lowercase);
    }
    if let Some((_, rest)) = target.rsplit_once("node_modules/") {
        let mut parts = rest.split('/');
        let first = parts.next()?;
        return Some(if first.starts_with('@') {
            format!("{first}/{}", parts.next()?)
        } else {
            first.to_string()
        });
    }
    None
}

/// A name safe to put in a command unquoted.
fn is_plain_word(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
        && !name.starts_with('-')
}

/// A script that asks dpkg which package owns each path; its output feeds [`with_owners`].
/// `None` when no path needs asking.
pub fn owners_script(executables: &[Executable]) -> Option<String> {
    let paths: Vec<String> = executables
        .iter()
        .filter(|executable| executable.package.is_none())
        .map(|executable| shell::quote(&executable.path))
        .collect();
    (!paths.is_empty()).then(|| {
        format!(
            "command -v dpkg-query >/dev/null 2>&1 && dpkg-query -S {} 2>/dev/null; true",
            paths.join(" ")
        )
    })
}

/// Fills in the owners from `dpkg-query -S` output (`pkg[:arch][, pkg2]: /path`).
pub fn with_owners(mut executables: Vec<Executable>, output: &str) -> Vec<Executable> {
    for line in output.lines() {
        let Some((packages, path)) = line.split_once(": ") else {
            continue;
        };
        let package = packages
            .split(',')
            .next()
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if package.is_empty() {
            continue;
        }
        for executable in executables.iter_mut() {
            if executable.path == path.trim() && executable.package.is_none() {
                executable.package = Some(package.clone());
            }
        }
    }
    executables
}

/// The checks a route must pass, chosen from the doc's and the user's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Run these; all must pass.
    pub checks: Vec<String>,
    /// Doc checks that do not bind this route, with why (shown, never run).
    pub set_aside: Vec<(String, String)>,
    /// Whether one of `checks` runs a program the install provided. When false, a derived
    /// check must pass too.
    pub proves_install: bool,
}

/// Chooses the checks for a route that provided `provided`. Front-matter and install.md
/// `DONE WHEN` checks were written to prove the install and stay required, as do the user's
/// `--verify` commands; the doc's other checks count only when they are version-style checks
/// of a program the install provided.
pub fn select(doc: &Doc, extra: &[String], provided: &[Executable]) -> Selection {
    // A general tool the route brought in (npm, pipx, curl) proves nothing about the product,
    // unless the product is that tool.
    let names: BTreeSet<&str> = provided
        .iter()
        .map(|exe| exe.name.as_str())
        .filter(|name| !crate::doc::is_known_tool(name) || doc.product.is_named(name))
        .collect();
    let paths: BTreeSet<&str> = provided.iter().map(|exe| exe.path.as_str()).collect();
    let binds = |command: &str| -> bool {
        match crate::doc::check_program(command) {
            Some(program) if program.contains('/') => paths.contains(program.as_str()),
            Some(program) => names.contains(program.as_str()),
            None => false,
        }
    };
    let mut selection = Selection::default();
    let strongest = doc
        .verification
        .iter()
        .map(|check| check.origin)
        .filter(|origin| {
            matches!(
                origin,
                VerificationOrigin::FrontMatter | VerificationOrigin::DoneWhen
            )
        })
        .min();
    if let Some(origin) = strongest {
        selection.checks.extend(
            doc.verification
                .iter()
                .filter(|check| check.origin == origin)
                .map(|check| check.command.clone()),
        );
    } else {
        let mut programs = BTreeSet::new();
        for check in &doc.verification {
            if !crate::doc::is_version_check(&check.command) {
                selection.set_aside.push((
                    check.command.clone(),
                    "a usage example, not a check".to_string(),
                ));
            } else if !binds(&check.command) {
                selection.set_aside.push((
                    check.command.clone(),
                    "runs no program this install provided".to_string(),
                ));
            } else if selection.checks.len() < DOC_CHECKS
                && programs.insert(crate::doc::check_program(&check.command))
            {
                selection.checks.push(check.command.clone());
            }
        }
    }
    selection.checks.extend(extra.iter().cloned());
    let mut seen = BTreeSet::new();
    selection.checks.retain(|check| seen.insert(check.clone()));
    selection.proves_install = selection.checks.iter().any(|check| binds(check));
    selection
}

/// The product's executables among `provided`, best first: a product name, then a package of
/// the route or of the product that owns it, then a file the route's own commands name (`curl
/// -o /usr/local/bin/tool`, for a doc whose title gives no usable name).
pub fn product_executables<'a>(
    doc: &Doc,
    route_commands: &[&str],
    provided: &'a [Executable],
) -> Vec<&'a Executable> {
    let product = &doc.product;
    let route_packages: Vec<String> = route_commands
        .iter()
        .flat_map(|command| crate::doc::packages_installed_by(command))
        .collect();
    let named_by_route = |exe: &Executable| {
        route_commands.iter().any(|command| {
            command
                .split(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ';' | '&' | '|'))
                .any(|word| word == exe.path)
        })
    };
    let tied_package = |exe: &Executable| {
        exe.package.as_deref().is_some_and(|package| {
            product.is_named(package)
                || route_packages
                    .iter()
                    .any(|installed| installed.eq_ignore_ascii_case(package))
        })
    };
    let mut ranked: Vec<(u8, &Executable)> = provided
        .iter()
        .filter(|exe| !crate::doc::is_known_tool(&exe.name) || product.is_named(&exe.name))
        .filter_map(|exe| {
            let named = product.is_named(&exe.name);
            let tied = tied_package(exe);
            match (named, tied) {
                (true, true) => Some((0, exe)),
                (true, false) => Some((1, exe)),
                (false, true) => Some((2, exe)),
                (false, false) => named_by_route(exe).then_some((3, exe)),
            }
        })
        .collect();
    ranked.sort_by_key(|(rank, exe)| (*rank, exe.name.len()));
    let mut seen = BTreeSet::new();
    ranked
        .into_iter()
        .map(|(_, exe)| exe)
        .filter(|exe| seen.insert(exe.name.clone()))
        .collect()
}

/// Whether a check's output names the product (`tealdeer 1.6.1` for the `tldr` that the
/// `tealdeer` package ships), as a whole word.
pub fn names_product(product: &crate::doc::Product, output: &str) -> bool {
    output
        .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+')))
        .any(|word| product.is_named(word.trim_matches('.')))
}

/// The checks to try for one executable, in order; the first that exits 0 proves it.
pub fn derived_checks(executable: &Executable) -> Vec<String> {
    VERSION_FLAGS
        .iter()
        .map(|flag| format!("{} {flag}", executable.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::{Change, EntryInfo};

    fn doc(text: &str) -> Doc {
        crate::doc::parse_text(text)
    }

    fn exe(path: &str, package: Option<&str>) -> Executable {
        Executable {
            path: path.to_string(),
            name: path.rsplit('/').next().unwrap_or(path).to_string(),
            package: package.map(str::to_string),
        }
    }

    const BUILDING: &str = "# gizmo\n\n## Debian\n\n```sh\napt install gizmo-tools\n```\n\n## Building\n\n```sh\ncargo build --release\n./target/release/gz --version\n```\n\n## Usage\n\n```sh\ngz --version\ngz serve --port 80\n```\n";

    #[test]
    fn checks_of_other_routes_and_usage_do_not_bind() {
        let doc = doc(BUILDING);
        let provided = [exe("/usr/bin/gz", Some("gizmo-tools"))];
        let selection = select(&doc, &[], &provided);
        assert_eq!(selection.checks, ["gz --version"], "{selection:?}");
        assert!(selection.proves_install);
        assert!(
            selection
                .set_aside
                .iter()
                .any(|(check, _)| check.starts_with("./target/release/gz")),
            "{selection:?}"
        );
    }

    #[test]
    fn nothing_binds_when_the_install_provided_another_program() {
        let doc = doc(BUILDING);
        let selection = select(&doc, &[], &[exe("/usr/bin/other", None)]);
        assert!(selection.checks.is_empty(), "{selection:?}");
        assert!(!selection.proves_install);
    }

    #[test]
    fn user_checks_stay_required() {
        let doc = doc(BUILDING);
        let selection = select(&doc, &["gz selftest".to_string()], &[]);
        assert_eq!(selection.checks, ["gz selftest"]);
        assert!(!selection.proves_install);
    }

    #[test]
    fn product_executables_by_name_or_by_package() {
        let doc = doc("# gizmo\n\n```sh\napt install gizmo\n```\n");
        let provided = [
            exe("/usr/bin/python3.11", Some("python3.11-minimal")),
            exe("/usr/bin/gizmocat", Some("gizmo")),
            exe("/usr/local/bin/gz", Some("gizmo-tools")),
            exe("/usr/bin/gizmo", None),
        ];
        let found: Vec<&str> = product_executables(&doc, &["apt install gizmo-tools"], &provided)
            .iter()
            .map(|exe| exe.name.as_str())
            .collect();
        assert_eq!(found, ["gizmo", "gz", "gizmocat"]);
    }

    #[test]
    fn a_file_the_route_wrote_is_the_product_when_no_name_is_known() {
        let doc = doc(
            "# Installing it\n\n```sh\ncurl -o /usr/local/bin/zq https://example.org/zq\n```\n",
        );
        let provided = [
            exe("/usr/bin/curl", Some("curl")),
            exe("/usr/local/bin/zq", None),
            exe("/usr/local/bin/other", None),
        ];
        let route = [
            "curl -o /usr/local/bin/zq https://example.org/zq",
            "chmod +x /usr/local/bin/zq",
        ];
        let found: Vec<&str> = product_executables(&doc, &route, &provided)
            .iter()
            .map(|exe| exe.name.as_str())
            .collect();
        assert_eq!(found, ["zq"]);
    }

    #[test]
    fn an_output_names_the_product_as_a_word() {
        let doc = doc("# gizmo\n\n```sh\napt install gizmo\n```\n");
        assert!(names_product(&doc.product, "Gizmo 1.6.1"));
        assert!(names_product(&doc.product, "gz (gizmo) v2."));
        assert!(!names_product(&doc.product, "gizmology 1.0"));
        assert!(!names_product(&doc.product, "topformflat 0.1"));
    }

    #[test]
    fn tools_the_route_brought_in_prove_nothing_unless_they_are_the_product() {
        let provided = [
            exe("/usr/bin/npm", Some("npm")),
            exe("/usr/local/bin/gizmo", None),
        ];
        let doc_checks = "# gizmo\n\n```sh\nnpm install -g gizmo\nnpm --version\n```\n";
        let selection = select(&doc(doc_checks), &[], &provided[..1]);
        assert!(selection.checks.is_empty(), "{:?}", selection.checks);
        assert!(!selection.proves_install);
        let npm_itself = doc("# npm\n\n```sh\napt install npm\nnpm --version\n```\n");
        let selection = select(&npm_itself, &[], &provided[..1]);
        assert_eq!(selection.checks, ["npm --version"]);
        assert!(selection.proves_install);
    }

    #[test]
    fn shims_name_their_package_and_odd_names_are_ignored() {
        let change = |path: &str, target: Option<&str>| Change {
            path: path.to_string(),
            kind: ChangeKind::Added,
            entry: EntryInfo {
                file_type: if target.is_some() {
                    FileType::Symlink
                } else {
                    FileType::File
                },
                mode: 0o755,
                size: 1,
                uid: 0,
                gid: 0,
                link_target: target.map(str::to_string),
            },
            previous: None,
            hidden: false,
        };
        let delta = Delta {
            changes: vec![
                change(
                    "/root/.local/bin/gz",
                    Some("/root/.local/share/pipx/venvs/gizmo/bin/gz"),
                ),
                change(
                    "/usr/local/bin/gzjs",
                    Some("../lib/node_modules/@acme/gizmo/cli.js"),
                ),
                change("/usr/local/bin/$(curl x)", None),
                change("/root/.local/share/pipx/venvs/gizmo/bin/python", None),
            ],
        };
        let found = executables(&delta);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].package.as_deref(), Some("gizmo"));
        assert_eq!(found[1].package.as_deref(), Some("@acme/gizmo"));
    }

    #[test]
    fn dpkg_owners_are_read() {
        let found = with_owners(
            vec![exe("/usr/bin/gz", None), exe("/usr/bin/other", None)],
            "gizmo-tools:amd64: /usr/bin/gz\n",
        );
        assert_eq!(found[0].package.as_deref(), Some("gizmo-tools"));
        assert_eq!(found[1].package, None);
    }
}
