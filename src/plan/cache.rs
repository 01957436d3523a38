//! The plan cache (DESIGN §6): a verified run keeps its plan, so the next run of the same doc
//! on the same machine replays it with no agent call at all.
//!
//! Layout: `<root>/<doc sha256, 16 hex>-<base, 8 hex>/<probe fingerprint>.json`, where the root
//! is `plans/` in the cache directory (`$AGENT_INSTALL_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/agent-install`, else `~/.cache/agent-install`). One directory per doc version and sandbox base holds one
//! plan per machine fingerprint. Files are written to a temp name and renamed, so a reader
//! never sees half a plan; an unreadable or inconsistent entry is skipped with a warning (the
//! next verified run replaces it).
//!
//! "The same machine" is decided by [`compare`], also used by `apply`. An exact fingerprint is
//! the same machine. But the fingerprint covers which tools exist (git, curl, pip, ...), so
//! a plan that installs one of them — the product itself, or curl as a prerequisite — changes
//! the fingerprint of the machine it was applied to, and every later lookup or `apply` would
//! miss. When the current machine's planning facts are known (the target is this machine),
//! [`compare`] therefore also accepts a machine that differs only by tools the plan itself
//! names: it removes such tools from the current facts, in every combination, and matches
//! the plan's fingerprint again. Nothing else is forgiven: another distro version, user,
//! architecture or a tool the plan never mentions is another machine.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Plan, PlanProbe};
use crate::probe::Facts as MachineFacts;

/// More candidate tools than this are not combined (2^N fingerprints).
const MAX_CANDIDATES: usize = 10;

/// How a plan's machine relates to this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MachineMatch {
    /// The same fingerprint.
    Same,
    /// The same machine, except for these tools, which the plan names and now exist (the
    /// plan, or an earlier apply of it, installed them).
    SameExceptInstalled(Vec<String>),
    /// Another machine, or one changed beyond what the plan installs.
    Different,
}

impl MachineMatch {
    pub fn matches(&self) -> bool {
        !matches!(self, MachineMatch::Different)
    }
}

/// Compares the machine `plan` was made for with `current` (see the module header).
pub fn compare(plan: &Plan, current: &PlanProbe, facts: Option<&MachineFacts>) -> MachineMatch {
    if plan.probe.fingerprint == current.fingerprint {
        return MachineMatch::Same;
    }
    let Some(facts) = facts else {
        return MachineMatch::Different;
    };
    let named = words_of(plan);
    let mut candidates: Vec<String> = facts
        .tools
        .iter()
        .chain(&facts.package_managers)
        .filter(|tool| named.contains(tool.as_str()))
        .cloned()
        .collect();
    candidates.sort();
    candidates.dedup();
    candidates.truncate(MAX_CANDIDATES);
    for mask in 1u32..(1 << candidates.len()) {
        let removed: Vec<String> = candidates
            .iter()
            .enumerate()
            .filter(|(index, _)| mask & (1 << index) != 0)
            .map(|(_, tool)| tool.clone())
            .collect();
        let mut earlier = facts.clone();
        earlier.tools.retain(|tool| !removed.contains(tool));
        earlier
            .package_managers
            .retain(|manager| !removed.contains(manager));
        if earlier.fingerprint() == plan.probe.fingerprint {
            return MachineMatch::SameExceptInstalled(removed);
        }
    }
    MachineMatch::Different
}

/// The words of a plan's commands, verification and product name: `apt-get install -y
/// python3-pip` gives `apt-get`, `apt`, `get`, `install`, `python3-pip`, `python3`, `pip`, ...
fn words_of(plan: &Plan) -> std::collections::BTreeSet<String> {
    let texts = plan
        .steps
        .iter()
        .map(|step| step.command.as_str())
        .chain(plan.verification.iter().map(String::as_str))
        .chain(plan.doc.name.as_deref());
    let mut words = std::collections::BTreeSet::new();
    for text in texts {
        for word in text
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))
            .filter(|word| !word.is_empty())
        {
            words.insert(word.to_string());
            for part in word.split('-').filter(|part| !part.is_empty()) {
                words.insert(part.to_string());
            }
        }
    }
    words
}

/// Where plans are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanCache {
    root: PathBuf,
}

/// A plan found in the cache.
#[derive(Debug, Clone)]
pub struct CachedPlan {
    pub plan: Plan,
    pub path: PathBuf,
    pub machine: MachineMatch,
}

/// What a lookup found, and what the user should hear about entries it skipped.
#[derive(Debug, Default)]
pub struct Lookup {
    pub hit: Option<CachedPlan>,
    pub warnings: Vec<String>,
}

/// The cache as a run uses it: where, and this machine's facts for [`compare`].
#[derive(Debug, Clone)]
pub struct CacheSettings {
    pub cache: PlanCache,
    /// The planning facts of the target when it is this machine; `None` for a root filesystem.
    pub facts: Option<MachineFacts>,
}

impl PlanCache {
    pub fn new(root: impl Into<PathBuf>) -> PlanCache {
        PlanCache { root: root.into() }
    }

    /// The `plans/` directory of the cache root (`$AGENT_INSTALL_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/agent-install`, else `~/.cache/agent-install`; see
    /// [`crate::config::cache_dir`]).
    pub fn default_location() -> Option<PlanCache> {
        Some(PlanCache::new(crate::config::cache_dir().join("plans")))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of one doc version on one base.
    fn directory(&self, doc_sha256: &str, base: &Path) -> PathBuf {
        let doc: String = doc_sha256.chars().take(16).collect();
        let base = hex::encode(&Sha256::digest(base.as_os_str().as_encoded_bytes())[..4]);
        self.root.join(format!("{doc}-{base}"))
    }

    /// Keeps a verified plan for its doc, machine and `base`; returns the file written.
    pub fn store(&self, plan: &Plan, base: &Path) -> std::io::Result<PathBuf> {
        let directory = self.directory(&plan.doc.sha256, base);
        std::fs::create_dir_all(&directory)?;
        let path = directory.join(file_name(&plan.probe.fingerprint));
        let temporary = directory.join(format!(".{}.tmp", std::process::id()));
        std::fs::write(&temporary, plan.to_json())
            .and_then(|()| std::fs::rename(&temporary, &path))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temporary);
            })?;
        Ok(path)
    }

    /// The plan kept for this doc version, base and machine: the exact fingerprint first, then
    /// any plan whose machine [`compare`]s as the same.
    pub fn lookup(
        &self,
        doc_sha256: &str,
        base: &Path,
        current: &PlanProbe,
        facts: Option<&MachineFacts>,
    ) -> Lookup {
        let mut lookup = Lookup::default();
        let directory = self.directory(doc_sha256, base);
        let exact = directory.join(file_name(&current.fingerprint));
        let mut others: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&directory)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                *path != exact
                    && path
                        .extension()
                        .is_some_and(|extension| extension == "json")
            })
            .map(|path| {
                let modified = std::fs::metadata(&path)
                    .and_then(|metadata| metadata.modified())
                    .unwrap_or(std::time::UNIX_EPOCH);
                (modified, path)
            })
            .collect();
        // The newest first: the latest verified run is the best guess.
        others.sort_by(|left, right| right.cmp(left));
        let candidates = std::iter::once(exact)
            .filter(|path| path.exists())
            .chain(others.into_iter().map(|(_, path)| path));
        for path in candidates {
            let plan = match Plan::read(&path) {
                Ok(plan) => plan,
                Err(error) => {
                    lookup.warnings.push(format!(
                        "ignoring a cached plan: {error} (the next verified run replaces it)"
                    ));
                    continue;
                }
            };
            if plan.doc.sha256 != doc_sha256 || !plan.verified {
                lookup.warnings.push(format!(
                    "ignoring the cached plan {}: it is not a verified plan of this doc",
                    path.display()
                ));
                continue;
            }
            let machine = compare(&plan, current, facts);
            if machine.matches() {
                lookup.hit = Some(CachedPlan {
                    plan,
                    path,
                    machine,
                });
                break;
            }
        }
        lookup
    }
}

/// `<fingerprint>.json`; a fingerprint that is not plain hex is hashed, so it can never name
/// another directory.
fn file_name(fingerprint: &str) -> String {
    if !fingerprint.is_empty()
        && fingerprint.len() <= 64
        && fingerprint.chars().all(|c| c.is_ascii_hexdigit())
    {
        format!("{fingerprint}.json")
    } else {
        format!(
            "{}.json",
            hex::encode(&Sha256::digest(fingerprint.as_bytes())[..8])
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanAgent, PlanDoc, PlanStep, SCHEMA_VERSION};
    use crate::probe::{DistroFamily, LibcFamily};

    fn facts(tools: &[&str]) -> MachineFacts {
        MachineFacts {
            os: "linux".to_string(),
            distro: "debian".to_string(),
            distro_version: Some("12".to_string()),
            distro_family: DistroFamily::Debian,
            arch: "x86_64".to_string(),
            libc: LibcFamily::Glibc,
            root: true,
            sudo: false,
            package_managers: vec!["apt".to_string(), "dpkg".to_string()],
            tools: tools.iter().map(|tool| tool.to_string()).collect(),
            pep668: true,
            pip_install_refused: true,
        }
    }

    fn probe_of(facts: &MachineFacts) -> PlanProbe {
        PlanProbe {
            fingerprint: facts.fingerprint(),
            summary: "debian 12, x86_64, root".to_string(),
        }
    }

    fn plan(commands: &[&str], made_on: &MachineFacts) -> Plan {
        Plan {
            schema_version: SCHEMA_VERSION,
            generator: Plan::generator(),
            doc: PlanDoc {
                source: "widget.md".to_string(),
                sha256: "ab".repeat(32),
                name: Some("widget".to_string()),
            },
            probe: probe_of(made_on),
            route: None,
            routes_not_chosen: Vec::new(),
            agent: PlanAgent {
                kind: "offline".to_string(),
                calls: 3,
                tokens: 0,
            },
            steps: commands
                .iter()
                .map(|command| PlanStep {
                    command: command.to_string(),
                    purpose: String::new(),
                    source: None,
                    risks: Vec::new(),
                    decision: crate::policy::Decision::Allow,
                    uncertain: None,
                })
                .collect(),
            verification: vec!["widget --version".to_string()],
            network: Vec::new(),
            verified: true,
        }
    }

    #[test]
    fn tools_the_plan_installed_do_not_make_another_machine() {
        let before = facts(&["bash", "tar"]);
        let plan = plan(
            &[
                "apt-get install -y curl python3-pip",
                "curl -fsSLO http://x/w.tgz",
            ],
            &before,
        );
        assert_eq!(
            compare(&plan, &probe_of(&before), Some(&before)),
            MachineMatch::Same
        );
        let mut after = facts(&["bash", "curl", "tar"]);
        after.package_managers.push("pip".to_string());
        after.package_managers.sort();
        assert_eq!(
            compare(&plan, &probe_of(&after), Some(&after)),
            MachineMatch::SameExceptInstalled(vec!["curl".to_string(), "pip".to_string()])
        );
        // Without the facts (a root filesystem target) only the exact fingerprint matches.
        assert_eq!(
            compare(&plan, &probe_of(&after), None),
            MachineMatch::Different
        );
    }

    #[test]
    fn other_changes_make_another_machine() {
        let before = facts(&["bash", "tar"]);
        let plan = plan(&["apt-get install -y curl"], &before);
        // A tool the plan never names.
        let git = facts(&["bash", "curl", "git", "tar"]);
        assert_eq!(
            compare(&plan, &probe_of(&git), Some(&git)),
            MachineMatch::Different
        );
        // Another distro version, even with only named tools added.
        let mut newer = facts(&["bash", "curl", "tar"]);
        newer.distro_version = Some("13".to_string());
        assert_eq!(
            compare(&plan, &probe_of(&newer), Some(&newer)),
            MachineMatch::Different
        );
        // A tool the plan names but that was removed is a change too.
        let fewer = facts(&["bash"]);
        assert_eq!(
            compare(&plan, &probe_of(&fewer), Some(&fewer)),
            MachineMatch::Different
        );
    }

    #[test]
    fn plans_are_stored_atomically_and_found_by_doc_base_and_machine() {
        let root = tempfile::tempdir().unwrap();
        let cache = PlanCache::new(root.path());
        let before = facts(&["bash", "tar"]);
        let plan = plan(&["apt-get install -y curl"], &before);
        let base = Path::new("/");
        let path = cache.store(&plan, base).unwrap();
        assert!(path.starts_with(root.path()));
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "a temp file was left"
        );

        let hit = cache
            .lookup(&plan.doc.sha256, base, &probe_of(&before), Some(&before))
            .hit
            .unwrap();
        assert_eq!(hit.plan, plan);
        assert_eq!(hit.machine, MachineMatch::Same);

        let after = facts(&["bash", "curl", "tar"]);
        let hit = cache
            .lookup(&plan.doc.sha256, base, &probe_of(&after), Some(&after))
            .hit
            .unwrap();
        assert_eq!(
            hit.machine,
            MachineMatch::SameExceptInstalled(vec!["curl".to_string()])
        );

        // Another doc version, another base, another machine: misses.
        let other_doc = "cd".repeat(32);
        let probe = probe_of(&before);
        assert!(
            cache
                .lookup(&other_doc, base, &probe, Some(&before))
                .hit
                .is_none()
        );
        assert!(
            cache
                .lookup(&plan.doc.sha256, Path::new("/rootfs"), &probe, None)
                .hit
                .is_none()
        );
        let mut other = before.clone();
        other.root = false;
        let lookup = cache.lookup(&plan.doc.sha256, base, &probe_of(&other), Some(&other));
        assert!(lookup.hit.is_none());
        assert!(lookup.warnings.is_empty(), "{:?}", lookup.warnings);
    }

    #[test]
    fn corrupt_entries_are_skipped_with_a_warning() {
        let root = tempfile::tempdir().unwrap();
        let cache = PlanCache::new(root.path());
        let before = facts(&["bash"]);
        let plan = plan(&["true"], &before);
        let path = cache.store(&plan, Path::new("/")).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        let lookup = cache.lookup(
            &plan.doc.sha256,
            Path::new("/"),
            &probe_of(&before),
            Some(&before),
        );
        assert!(lookup.hit.is_none());
        assert_eq!(lookup.warnings.len(), 1, "{:?}", lookup.warnings);
        assert!(
            lookup.warnings[0].contains("is not a valid plan"),
            "{:?}",
            lookup.warnings
        );
        // A fingerprint that is not hex cannot escape the directory.
        assert_eq!(file_name("../../etc/passwd").len(), 16 + 5);
    }
}
