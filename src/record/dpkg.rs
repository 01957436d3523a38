//! dpkg's own records: which packages are installed at which version
//! (`/var/lib/dpkg/status`), and which files each one owns (`/var/lib/dpkg/info/*.list`).
//! Read before and after an apply, they say exactly what apt did, with versions.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::PackageChange;

/// The dpkg database of a root filesystem.
pub const STATUS: &str = "var/lib/dpkg/status";

/// Installed packages: name → version. `None` when the root has no dpkg.
pub fn installed(root: &Path) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(root.join(STATUS)).ok()?;
    Some(parse_status(&text))
}

/// Packages whose status says they are installed (or half way: unpacked, half-configured),
/// with their versions; a package with only its configuration files left does not count.
pub fn parse_status(text: &str) -> BTreeMap<String, String> {
    let mut packages = BTreeMap::new();
    for paragraph in text.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut state = None;
        for line in paragraph.lines() {
            if let Some(value) = line.strip_prefix("Package: ") {
                name = Some(value.trim());
            } else if let Some(value) = line.strip_prefix("Version: ") {
                version = Some(value.trim());
            } else if let Some(value) = line.strip_prefix("Status: ") {
                state = value.split_whitespace().nth(2);
            }
        }
        let present = matches!(
            state,
            Some("installed" | "unpacked" | "half-configured" | "triggers-awaited")
                | Some("triggers-pending" | "half-installed")
        );
        if let (Some(name), Some(version), true) = (name, version, present) {
            packages.insert(name.to_string(), version.to_string());
        }
    }
    packages
}

/// What changed between two readings of the database.
pub fn diff(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<PackageChange> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|name| before.get(*name) != after.get(*name))
        .map(|name| PackageChange {
            manager: "apt".to_string(),
            name: name.clone(),
            before: before.get(name).cloned(),
            after: after.get(name).cloned(),
        })
        .collect()
}

/// The paths a package owns, from its file list (`NAME.list` or `NAME:ARCH.list`).
pub fn owned_files(root: &Path, package: &str) -> BTreeSet<String> {
    let info = root.join("var/lib/dpkg/info");
    let mut files = BTreeSet::new();
    let Ok(entries) = std::fs::read_dir(&info) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let Some(stem) = file_name.strip_suffix(".list") else {
            continue;
        };
        let base = stem.split(':').next().unwrap_or(stem);
        if base != package {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(entry.path()) {
            for line in text
                .lines()
                .filter(|line| !line.is_empty() && *line != "/.")
            {
                files.insert(line.to_string());
                // On a merged /usr, `/lib/x` in a file list is `/usr/lib/x` on disk (and the
                // delta names the latter).
                if let Some(alias) = usr_merged(line) {
                    files.insert(alias);
                }
            }
        }
    }
    files
}

/// `/lib/x`, `/bin/x`, `/sbin/x`, `/lib64/x` as merged-/usr paths (`/usr/lib/x`, ...).
fn usr_merged(path: &str) -> Option<String> {
    ["/lib/", "/bin/", "/sbin/", "/lib64/", "/lib32/", "/libx32/"]
        .iter()
        .find(|prefix| path.starts_with(*prefix))
        .map(|_| format!("/usr{path}"))
}

/// Whether a path is part of dpkg's or apt's own state (the package managers keep it right
/// themselves when they remove a package; restoring an old copy would corrupt them).
pub fn is_package_database(path: &str) -> bool {
    ["/var/lib/dpkg/", "/var/lib/apt/", "/var/cache/apt/"]
        .iter()
        .any(|prefix| path.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS_TEXT: &str = "Package: jq\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.6-2.1\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: libjq1\nStatus: install ok installed\nVersion: 1.6-2.1\n";

    #[test]
    fn merged_usr_aliases_are_owned_too() {
        assert_eq!(
            usr_merged("/lib/x86_64-linux-gnu/libkeyutils.so.1").as_deref(),
            Some("/usr/lib/x86_64-linux-gnu/libkeyutils.so.1")
        );
        assert_eq!(usr_merged("/usr/bin/jq"), None);
    }

    #[test]
    fn status_lists_installed_packages_with_versions() {
        let packages = parse_status(STATUS_TEXT);
        assert_eq!(packages.get("jq").map(String::as_str), Some("1.6-2.1"));
        assert!(
            !packages.contains_key("old"),
            "config-files only is not installed"
        );
        assert_eq!(packages.len(), 2);
    }

    #[test]
    fn diff_names_added_upgraded_and_removed_packages() {
        let before = parse_status(STATUS_TEXT);
        let mut after = before.clone();
        after.insert("jq".to_string(), "1.6-2.1+deb12u1".to_string());
        after.remove("libjq1");
        after.insert("libonig5".to_string(), "6.9.8-1".to_string());
        let changes: Vec<(String, &str)> = diff(&before, &after)
            .iter()
            .map(|change| (change.describe(), change.change()))
            .collect();
        assert_eq!(
            changes,
            vec![
                ("jq 1.6-2.1 → 1.6-2.1+deb12u1".to_string(), "upgraded"),
                ("libjq1 1.6-2.1".to_string(), "removed"),
                ("libonig5 6.9.8-1".to_string(), "added"),
            ]
        );
    }
}
