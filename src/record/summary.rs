//! The change summary a person reads (issue 15): new executables with their paths, packages
//! added / upgraded / removed with versions, configuration files changed, the total size, and
//! caches counted in one line instead of listed. The full list stays in the report and `show`.

use bytesize::ByteSize;

use super::PackageChange;
use crate::sandbox::{Change, ChangeKind, Delta, FileType};
use crate::shell;

/// Paths that are caches wherever a profile does not already hide them: package managers'
/// download caches and Python's bytecode.
pub fn is_cache(path: &str) -> bool {
    const PARTS: [&str; 9] = [
        "/etc/ld.so.cache/",
        "/.cargo/registry/",
        "/.cargo/git/",
        "/.npm/_cacache",
        "/.npm/_logs",
        "/.cache/",
        "/__pycache__",
        "/var/cache/",
        "/var/lib/apt/lists/",
    ];
    let with_slash = format!("{path}/");
    PARTS.iter().any(|part| with_slash.contains(part))
}

/// The visible changes of a delta that are not caches.
pub fn meaningful(delta: &Delta) -> impl Iterator<Item = &Change> {
    delta.visible().filter(|change| !is_cache(&change.path))
}

/// Paths under caches, logs and package indexes (hidden by the profile or by [`is_cache`]).
pub fn cache_count(delta: &Delta) -> usize {
    delta
        .changes
        .iter()
        .filter(|change| change.hidden || is_cache(&change.path))
        .count()
}

/// `apt` packages the delta shows dpkg touching: `/var/lib/dpkg/info/NAME[:ARCH].list` added
/// (a new package), changed (upgraded or reinstalled) or deleted (removed).
pub fn dpkg_candidates(delta: &Delta) -> Vec<(String, ChangeKind)> {
    delta
        .changes
        .iter()
        .filter_map(|change| {
            let file = change.path.strip_prefix("/var/lib/dpkg/info/")?;
            let stem = file.strip_suffix(".list")?;
            let name = stem.split(':').next().unwrap_or(stem);
            Some((name.to_string(), change.kind))
        })
        .collect()
}

/// The packages a rehearsal added, upgraded or removed: dpkg's candidates from the delta,
/// their versions before from the base's status file and after from `dpkg-query` inside the
/// sandbox; the language package managers' from the paths they wrote.
pub fn rehearsal_packages(
    delta: &Delta,
    base: &std::path::Path,
    sandbox: &mut dyn crate::sandbox::Sandbox,
) -> Vec<PackageChange> {
    let mut packages = Vec::new();
    let candidates = dpkg_candidates(delta);
    if !candidates.is_empty() {
        let before = super::dpkg::installed(base).unwrap_or_default();
        let names: Vec<String> = candidates
            .iter()
            .map(|(name, _)| shell::quote(name))
            .collect();
        let request = crate::sandbox::ExecRequest::new(format!(
            "dpkg-query -W -f='${{Package}} ${{Version}} ${{db:Status-Abbrev}}\\n' {} 2>/dev/null; true",
            names.join(" ")
        ));
        let mut after = std::collections::BTreeMap::new();
        if let Ok(observation) = sandbox.exec(&request, &mut |_, _| {}) {
            for line in observation.stdout.text().lines() {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let [name, version, status, ..] = words.as_slice()
                    && status.starts_with(['i', 'h', 't', 'U', 'F', 'W'])
                    && status.len() >= 2
                    && &status[1..2] != "n"
                    && &status[1..2] != "c"
                {
                    after.insert(name.to_string(), version.to_string());
                }
            }
        }
        let touched: std::collections::BTreeMap<String, String> = candidates
            .iter()
            .filter_map(|(name, _)| {
                before
                    .get(name)
                    .map(|version| (name.clone(), version.clone()))
            })
            .collect();
        packages.extend(super::dpkg::diff(&touched, &after));
    }
    packages.extend(super::managers::from_paths(
        delta
            .changes
            .iter()
            .map(|change| (change.path.as_str(), change.kind)),
        std::path::Path::new("/nonexistent"),
    ));
    packages
}

/// The readable lines of a summary.
pub fn describe(delta: &Delta, packages: &[PackageChange]) -> Vec<String> {
    let changes: Vec<&Change> = meaningful(delta).collect();
    let caches = cache_count(delta);
    let mut lines = Vec::new();
    if changes.is_empty() && packages.is_empty() {
        lines.push("Already installed, nothing to do".to_string());
        if caches > 0 {
            lines.push(format!(
                "caches: {caches} path(s) under caches, logs and package indexes"
            ));
        }
        return lines;
    }
    let executables: Vec<String> = changes
        .iter()
        .filter(|change| change.kind == ChangeKind::Added)
        .filter(|change| is_executable(change))
        .map(|change| match &change.entry.link_target {
            Some(target) => format!("{} -> {target}", change.path),
            None => change.path.clone(),
        })
        .collect();
    if !executables.is_empty() {
        lines.push(format!("new executables: {}", first_of(&executables, 12)));
    }
    for (label, kind) in [
        ("packages added", "added"),
        ("packages upgraded", "upgraded"),
        ("packages removed", "removed"),
    ] {
        let named: Vec<String> = packages
            .iter()
            .filter(|change| change.change() == kind)
            .map(|change| format!("{} ({})", change.describe(), change.manager))
            .collect();
        if !named.is_empty() {
            lines.push(format!("{label}: {}", first_of(&named, 12)));
        }
    }
    let configuration: Vec<String> = changes
        .iter()
        .filter(|change| change.path.starts_with("/etc/") || change.path.contains("/.config/"))
        .filter(|change| change.entry.file_type != FileType::Directory)
        .map(|change| format!("{} {}", change.kind.marker(), change.path))
        .collect();
    if !configuration.is_empty() {
        lines.push(format!(
            "config files changed: {}",
            first_of(&configuration, 8)
        ));
    }
    let (mut added, mut modified, mut deleted) = (0, 0, 0);
    let mut bytes = 0;
    for change in &changes {
        match change.kind {
            ChangeKind::Added => added += 1,
            ChangeKind::Modified => modified += 1,
            ChangeKind::Deleted => deleted += 1,
        }
        if change.kind != ChangeKind::Deleted && change.entry.file_type == FileType::File {
            bytes += change.entry.size;
        }
    }
    lines.push(format!(
        "total: {added} added, {modified} modified, {deleted} deleted, {} written",
        ByteSize(bytes)
    ));
    if caches > 0 {
        lines.push(format!(
            "caches: {caches} path(s) under caches, logs and package indexes (not listed)"
        ));
    }
    lines
}

fn is_executable(change: &Change) -> bool {
    let in_bin = std::path::Path::new(&change.path)
        .parent()
        .and_then(|parent| parent.file_name())
        .is_some_and(|name| name == "bin" || name == "sbin");
    in_bin
        && match change.entry.file_type {
            FileType::File => change.entry.mode & 0o111 != 0,
            FileType::Symlink => true,
            _ => false,
        }
}

/// The first `max` items joined, and how many more there are (the report has them all).
fn first_of(items: &[String], max: usize) -> String {
    let shown = items[..items.len().min(max)].join(", ");
    match items.len().saturating_sub(max) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::EntryInfo;

    fn change(path: &str, kind: ChangeKind, file_type: FileType, hidden: bool) -> Change {
        Change {
            path: path.to_string(),
            kind,
            entry: EntryInfo {
                file_type,
                mode: 0o755,
                size: 1000,
                uid: 0,
                gid: 0,
                link_target: None,
            },
            previous: None,
            hidden,
        }
    }

    #[test]
    fn a_summary_names_executables_and_packages_and_counts_caches() {
        let mut changes = vec![
            change("/usr/bin/jq", ChangeKind::Added, FileType::File, false),
            change(
                "/var/lib/dpkg/info/jq.list",
                ChangeKind::Added,
                FileType::File,
                false,
            ),
            change("/etc/jq.conf", ChangeKind::Modified, FileType::File, false),
            change(
                "/var/cache/apt/pkgcache.bin",
                ChangeKind::Added,
                FileType::File,
                true,
            ),
        ];
        for index in 0..1500 {
            changes.push(change(
                &format!("/root/.cargo/registry/src/crate-{index}"),
                ChangeKind::Added,
                FileType::File,
                false,
            ));
        }
        let delta = Delta { changes };
        let packages = vec![PackageChange {
            manager: "apt".to_string(),
            name: "jq".to_string(),
            before: None,
            after: Some("1.6-2.1".to_string()),
        }];
        let lines = describe(&delta, &packages);
        assert_eq!(
            lines,
            vec![
                "new executables: /usr/bin/jq",
                "packages added: jq 1.6-2.1 (apt)",
                "config files changed: ~ /etc/jq.conf",
                "total: 2 added, 1 modified, 0 deleted, 2.9 KiB written",
                "caches: 1501 path(s) under caches, logs and package indexes (not listed)",
            ]
        );
        assert_eq!(
            dpkg_candidates(&delta),
            vec![("jq".to_string(), ChangeKind::Added)]
        );
    }

    #[test]
    fn nothing_changed_says_so_in_those_words() {
        let delta = Delta {
            changes: vec![change(
                "/var/log/apt/history.log",
                ChangeKind::Modified,
                FileType::File,
                true,
            )],
        };
        assert_eq!(describe(&delta, &[])[0], "Already installed, nothing to do");
    }
}
