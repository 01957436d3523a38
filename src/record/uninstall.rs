//! Planning an uninstall from a record: the package managers' own removal for what they
//! installed, then the added files removed and the changed ones restored from their
//! pre-images — but never a file that changed after the install (it is listed and left).
//!
//! The plan is a list of shell commands, so that it runs the same way in the sandbox
//! rehearsal and on the target (`commands::uninstall` does both), and is shown as it is.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::capture::content_hash;
use super::{InstallRecord, PackageChange, RecordState, Store, dpkg};
use crate::sandbox::{ChangeKind, FileType};
use crate::shell::quote;

/// How many added files one `rm -f` removes.
const REMOVALS_PER_STEP: usize = 200;

/// One command of an uninstall.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UninstallStep {
    pub command: String,
    pub purpose: String,
}

/// Something the uninstall does not take back, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Left {
    pub what: String,
    pub reason: String,
}

/// What taking one install back means on this machine now.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct UninstallPlan {
    pub steps: Vec<UninstallStep>,
    pub left: Vec<Left>,
    /// The product's checks: each must fail afterwards.
    pub gone_checks: Vec<String>,
    /// The other installs' checks: each must still pass afterwards.
    pub neighbour_checks: Vec<(String, String)>,
}

impl UninstallPlan {
    /// The removal's steps as plan steps, for [`crate::replay`] (the removal was planned here,
    /// not by a doc: no source, and the policy decides again when they run).
    pub fn plan_steps(&self) -> Vec<crate::plan::PlanStep> {
        self.steps
            .iter()
            .map(|step| crate::plan::PlanStep {
                command: step.command.clone(),
                purpose: step.purpose.clone(),
                source: None,
                risks: Vec::new(),
                decision: crate::policy::Decision::Allow,
                uncertain: None,
            })
            .collect()
    }
}

/// Plans taking `record` back on the root filesystem `root`, given the other active records.
pub fn plan(
    record: &InstallRecord,
    store: &Store,
    root: &Path,
    others: &[InstallRecord],
) -> UninstallPlan {
    let mut plan = UninstallPlan {
        gone_checks: record.plan.verification.clone(),
        neighbour_checks: others
            .iter()
            .filter(|other| other.id != record.id && other.state == RecordState::Installed)
            .flat_map(|other| {
                other
                    .plan
                    .verification
                    .iter()
                    .map(|check| (other.name.clone(), check.clone()))
            })
            .collect(),
        ..UninstallPlan::default()
    };
    let changed_since = |path: &str, recorded: &Option<String>| -> Option<bool> {
        let now = content_hash(&root.join(path.trim_start_matches('/')));
        match (recorded, now) {
            (_, None) => None,
            (Some(recorded), Some(now)) => Some(*recorded != now),
            (None, Some(_)) => Some(true),
        }
    };

    // The language package managers first: apt may be about to remove them (pipx, npm).
    for change in record
        .packages
        .iter()
        .filter(|change| change.manager != "apt")
    {
        if change.change() != "added" {
            continue;
        }
        let command = match change.manager.as_str() {
            "npm" => format!("npm uninstall -g {}", quote(&change.name)),
            "pipx" => format!("pipx uninstall {}", quote(&change.name)),
            "cargo" => format!("cargo uninstall {}", quote(&change.name)),
            // pip's files are plain added files: the file list takes them back.
            _ => continue,
        };
        plan.steps.push(UninstallStep {
            command,
            purpose: format!("{} removes {}", change.manager, change.name),
        });
    }
    apt_steps(record, root, &mut plan, &changed_since);

    let record_dir = store.record_dir(&record.id);
    let mut directories = Vec::new();
    let mut removals = Vec::new();
    for file in &record.files {
        if file.managed_by.is_some() {
            continue;
        }
        let path = file.path.as_str();
        match (file.kind, file.file_type) {
            (ChangeKind::Added, FileType::Directory) => directories.push(path),
            // A backup of the account tables (`/etc/shadow-`) the package scripts made: it
            // stays with the tables (see below).
            (ChangeKind::Added, _) if is_account_database(path) => plan.left.push(Left {
                what: path.to_string(),
                reason: "a backup of the account database made during the install; left"
                    .to_string(),
            }),
            (ChangeKind::Added, _) => match changed_since(path, &file.sha256) {
                None => {}
                Some(false) => removals.push(path),
                Some(true) => plan.left.push(Left {
                    what: path.to_string(),
                    reason: "changed after the install; left as it is".to_string(),
                }),
            },
            (ChangeKind::Modified, FileType::Directory) => {}
            (ChangeKind::Modified, _) => {
                let Some(pre_image) = &file.pre_image else {
                    continue;
                };
                // Users and groups a package's scripts added stay, as after apt's own purge:
                // putting back an older account table would drop whatever else changed in it
                // (and the policy denies the overwrite).
                if is_account_database(path) {
                    let added = added_entries(
                        &record_dir.join(pre_image),
                        &root.join(path.trim_start_matches('/')),
                    );
                    if !added.is_empty() {
                        plan.left.push(Left {
                            what: path.to_string(),
                            reason: format!(
                                "the account database; entries added since the install began stay: {}",
                                added.join(", ")
                            ),
                        });
                    }
                    continue;
                }
                // Already back as it was (an uninstall that was interrupted after it):
                // nothing to do.
                let now = content_hash(&root.join(path.trim_start_matches('/')));
                if now.is_some() && now == content_hash(&record_dir.join(pre_image)) {
                    continue;
                }
                match changed_since(path, &file.sha256) {
                    Some(false) => plan.steps.push(restore(&record_dir, pre_image, path)),
                    Some(true) => plan.left.push(Left {
                        what: path.to_string(),
                        reason: "changed after the install; not restored".to_string(),
                    }),
                    None => plan.left.push(Left {
                        what: path.to_string(),
                        reason: "removed after the install; not restored".to_string(),
                    }),
                }
            }
            (ChangeKind::Deleted, _) => {
                let Some(pre_image) = &file.pre_image else {
                    continue;
                };
                if std::fs::symlink_metadata(root.join(path.trim_start_matches('/'))).is_ok() {
                    plan.left.push(Left {
                        what: path.to_string(),
                        reason: "created again after the install; not restored".to_string(),
                    });
                } else {
                    plan.steps.push(restore(&record_dir, pre_image, path));
                }
            }
        }
    }
    // Added files go in batches: a pipx venv or an npm tree adds thousands.
    for batch in removals.chunks(REMOVALS_PER_STEP) {
        let quoted: Vec<String> = batch.iter().map(|path| quote(path)).collect();
        plan.steps.push(UninstallStep {
            command: format!("rm -f -- {}", quoted.join(" ")),
            purpose: if batch.len() == 1 {
                format!("remove {}, added by the install", batch[0])
            } else {
                format!(
                    "remove {} files added by the install ({} …)",
                    batch.len(),
                    batch[0]
                )
            },
        });
    }
    // Deepest first, so that a directory is empty by the time its parent is tried; one that
    // holds files somebody else put there stays.
    directories.sort_by_key(|path| std::cmp::Reverse(path.matches('/').count()));
    if !directories.is_empty() {
        let quoted: Vec<String> = directories.iter().map(|path| quote(path)).collect();
        plan.steps.push(UninstallStep {
            command: format!(
                "for d in {}; do rmdir -- \"$d\" 2>/dev/null || true; done",
                quoted.join(" ")
            ),
            purpose: format!(
                "remove the {} director{} the install created, where empty",
                directories.len(),
                if directories.len() == 1 { "y" } else { "ies" }
            ),
        });
    }
    plan
}

/// `apt-get purge` of the packages this install added that are still at the version it
/// installed and that nothing installed since depends on; upgrades and removals are listed.
fn apt_steps(
    record: &InstallRecord,
    root: &Path,
    plan: &mut UninstallPlan,
    changed_since: &dyn Fn(&str, &Option<String>) -> Option<bool>,
) {
    let apt: Vec<&PackageChange> = record
        .packages
        .iter()
        .filter(|change| change.manager == "apt")
        .collect();
    if apt.is_empty() {
        return;
    }
    let installed = dpkg::installed(root).unwrap_or_default();
    let mut removable = Vec::new();
    for change in &apt {
        match change.change() {
            "added" => {
                let now = installed.get(&change.name);
                if now.is_none() {
                    continue;
                }
                if now != change.after.as_ref() {
                    plan.left.push(Left {
                        what: format!("apt package {}", change.name),
                        reason: format!(
                            "now at {}, not the {} this install put there; left",
                            now.map(String::as_str).unwrap_or("?"),
                            change.after.as_deref().unwrap_or("?")
                        ),
                    });
                    continue;
                }
                removable.push(change.name.clone());
            }
            "upgraded" => plan.left.push(Left {
                what: format!("apt package {}", change.describe()),
                reason: format!(
                    "an upgrade is not taken back; `apt-get install {}={}` would downgrade it",
                    change.name,
                    change.before.as_deref().unwrap_or("?")
                ),
            }),
            _ => plan.left.push(Left {
                what: format!("apt package {}", change.describe()),
                reason: format!(
                    "the install removed it; `apt-get install {}` brings it back",
                    change.name
                ),
            }),
        }
    }
    if removable.is_empty() {
        return;
    }
    // Packages installed since that need one of ours keep it (apt would remove them too).
    let ours: BTreeSet<&str> = removable.iter().map(String::as_str).collect();
    let needed_by = reverse_dependencies(root, &ours);
    let mut kept = BTreeMap::new();
    for (package, dependents) in &needed_by {
        kept.insert(package.clone(), dependents.clone());
    }
    removable.retain(|name| !kept.contains_key(name));
    for (package, dependents) in kept {
        plan.left.push(Left {
            what: format!("apt package {package}"),
            reason: format!(
                "needed by {} (installed since); left",
                dependents.join(", ")
            ),
        });
    }
    if removable.is_empty() {
        return;
    }
    // A configuration file somebody edited since is kept: `remove` instead of `purge`.
    let edited: Vec<&str> = record
        .files
        .iter()
        .filter(|file| file.managed_by.as_deref() == Some("apt"))
        .filter(|file| file.kind == ChangeKind::Added && file.path.starts_with("/etc/"))
        .filter(|file| changed_since(&file.path, &file.sha256) == Some(true))
        .map(|file| file.path.as_str())
        .collect();
    let action = if edited.is_empty() { "purge" } else { "remove" };
    for path in edited {
        plan.left.push(Left {
            what: path.to_string(),
            reason:
                "a configuration file changed after the install; kept (apt-get remove, not purge)"
                    .to_string(),
        });
    }
    plan.steps.push(UninstallStep {
        command: format!(
            "DEBIAN_FRONTEND=noninteractive apt-get {action} -y --no-auto-remove {}",
            removable.join(" ")
        ),
        purpose: format!(
            "apt removes the package(s) this install added: {}",
            removable.join(", ")
        ),
    });
}

/// For each of `ours`, the installed packages outside `ours` whose `Depends` or
/// `Pre-Depends` name it.
fn reverse_dependencies(root: &Path, ours: &BTreeSet<&str>) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let Ok(text) = std::fs::read_to_string(root.join(dpkg::STATUS)) else {
        return found;
    };
    for paragraph in text.split("\n\n") {
        let mut name = None;
        let mut installed = false;
        let mut depends = Vec::new();
        for line in paragraph.lines() {
            if let Some(value) = line.strip_prefix("Package: ") {
                name = Some(value.trim().to_string());
            } else if let Some(value) = line.strip_prefix("Status: ") {
                installed = value.ends_with(" installed");
            } else if let Some(value) = line
                .strip_prefix("Depends: ")
                .or_else(|| line.strip_prefix("Pre-Depends: "))
            {
                depends.extend(value.split([',', '|']).filter_map(|item| {
                    item.split_whitespace()
                        .next()
                        .map(|dependency| dependency.split(':').next().unwrap_or(dependency))
                        .map(str::to_string)
                }));
            }
        }
        let Some(name) = name else { continue };
        if !installed || ours.contains(name.as_str()) {
            continue;
        }
        for dependency in depends {
            if ours.contains(dependency.as_str()) {
                found.entry(dependency).or_default().push(name.clone());
            }
        }
    }
    found
}

/// `/etc/passwd`, `/etc/group`, their shadows and the `-` backups of all four.
fn is_account_database(path: &str) -> bool {
    let table = path.strip_suffix('-').unwrap_or(path);
    matches!(
        table,
        "/etc/passwd" | "/etc/group" | "/etc/shadow" | "/etc/gshadow"
    )
}

/// The names (first field) of the lines in `now` that `before` does not have.
fn added_entries(before: &Path, now: &Path) -> Vec<String> {
    let names = |path: &Path| -> BTreeSet<String> {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split(':').next())
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect()
    };
    let before = names(before);
    names(now)
        .into_iter()
        .filter(|name| !before.contains(name))
        .collect()
}

fn restore(record_dir: &Path, pre_image: &str, path: &str) -> UninstallStep {
    let kept = record_dir.join(pre_image);
    UninstallStep {
        command: format!(
            "rm -f -- {target} && cp -a -- {kept} {target}",
            target = quote(path),
            kept = quote(&kept.to_string_lossy())
        ),
        purpose: format!("restore {path} as it was before the install"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_tables_name_the_entries_added() {
        assert!(is_account_database("/etc/group"));
        assert!(is_account_database("/etc/shadow-"));
        assert!(!is_account_database("/etc/groups"));
        let dir = tempfile::tempdir().unwrap();
        let before = dir.path().join("before");
        let now = dir.path().join("now");
        std::fs::write(&before, "root:x:0:\nstaff:x:50:\n").unwrap();
        std::fs::write(&now, "root:x:0:\nstaff:x:50:\nnode:x:999:\n").unwrap();
        assert_eq!(added_entries(&before, &now), vec!["node".to_string()]);
    }

    #[test]
    fn quoting_keeps_plain_paths_and_escapes_the_rest() {
        assert_eq!(quote("/usr/local/bin/widget"), "/usr/local/bin/widget");
        assert_eq!(quote("/opt/my app/it's"), r"'/opt/my app/it'\''s'");
        assert_eq!(quote(""), "''");
    }
}
