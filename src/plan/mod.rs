//! Plans (DESIGN §6): the verified (or, for `plan`, proposed) steps of one install, as a
//! versioned JSON file that `apply` replays without an agent, the plan cache stores, and the
//! exports (shell, Dockerfile, Ansible) and `provision` read.
//!
//! The schema is documented in the README and as JSON Schema in `schema/plan.schema.json`.
//! Readers refuse a `schema_version` they do not know, with a message that names it.

pub mod bundle;
pub mod cache;
pub mod render;
pub mod review;
pub mod uncertainty;

use std::path::Path;

use serde::{Deserialize, Serialize};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// One install, step by step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub schema_version: u32,
    /// The program and version that wrote the plan (`agent-install 0.1.0`).
    pub generator: String,
    pub doc: PlanDoc,
    /// The machine the plan was made for.
    pub probe: PlanProbe,
    /// The route the steps come from; `None` when the agent did not follow a doc route.
    pub route: Option<PlanRoute>,
    /// Routes the doc offers that were not chosen, each with why not (for reviewers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub routes_not_chosen: Vec<PlanRoute>,
    /// The agent that produced the steps (`offline`, `openai`, `hybrid`, `scripted`, ...).
    pub agent: PlanAgent,
    pub steps: Vec<PlanStep>,
    /// Commands that prove the install worked, run in a fresh login shell after the steps.
    pub verification: Vec<String>,
    /// The hosts the verified steps and checks reached through the egress fence (`host`, or
    /// `host:port` off the default ports); empty for a plan made without a fence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network: Vec<String>,
    /// `true` when every step ran and the verification passed in a rehearsal; `false` for a
    /// dry-run plan (`agent-install plan`), whose steps were proposed but never executed.
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDoc {
    /// Where the doc came from: a URL, a path, `-`, or `catalog:<name>`.
    pub source: String,
    /// SHA-256 of the doc's bytes as loaded, in hex.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProbe {
    /// The fingerprint of the facts a plan depends on (see `probe::Facts`).
    pub fingerprint: String,
    /// A one-line description of that machine (`debian 12, x86_64, root`), for humans.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRoute {
    /// The route's id in the parsed doc (`apt`, `cargo`, `release-binary-2`, ...).
    pub name: String,
    /// Why it was chosen, or why not.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAgent {
    pub kind: String,
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub tokens: u64,
}

/// One command of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanStep {
    pub command: String,
    pub purpose: String,
    /// Where the command comes from in the doc; `None` for a repair or an agent's own command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// Risk class names from the policy (`package-install`, `network-fetch`, ...).
    pub risks: Vec<String>,
    /// The policy's decision for the target the plan is meant for (`allow`, `ask`, `deny`).
    pub decision: crate::policy::Decision,
    /// Set when the step's success or exact form depends on the output of earlier steps (a
    /// dry-run plan cannot know): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
}

/// A place in the doc: `README.md:42`, section `Installation › Debian`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub file: String,
    pub line: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub section: Vec<String>,
    /// The command as the doc wrote it, when the step differs (the agent adapted it to the
    /// machine: `sudo` dropped as root, `-y` added, a package renamed, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_written: Option<String>,
}

impl std::fmt::Display for SourceRef {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}:{}", self.file, self.line)?;
        if !self.section.is_empty() {
            write!(formatter, " ({})", self.section.join(" › "))?;
        }
        Ok(())
    }
}

/// Why a plan file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("could not read the plan {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a valid plan: {reason}")]
    Invalid { path: String, reason: String },
    #[error(
        "{path} has plan schema version {found}; this agent-install reads version {SCHEMA_VERSION}"
    )]
    Version { path: String, found: u32 },
}

impl Plan {
    /// The generator string of this build.
    pub fn generator() -> String {
        format!("agent-install {}", env!("CARGO_PKG_VERSION"))
    }

    /// Reads and checks a plan file.
    pub fn read(path: &Path) -> Result<Plan, PlanError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| PlanError::Read {
            path: display.clone(),
            source,
        })?;
        Plan::from_json(&text).map_err(|error| match error {
            PlanError::Invalid { reason, .. } => PlanError::Invalid {
                path: display.clone(),
                reason,
            },
            PlanError::Version { found, .. } => PlanError::Version {
                path: display.clone(),
                found,
            },
            other => other,
        })
    }

    /// Parses a plan, checking the schema version before the rest so that a plan from a newer
    /// agent-install gets a message about the version, not about a missing field.
    pub fn from_json(text: &str) -> Result<Plan, PlanError> {
        let invalid = |reason: String| PlanError::Invalid {
            path: "the plan".to_string(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| invalid(error.to_string()))?;
        let found = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| invalid("it has no numeric `schema_version`".to_string()))?;
        if found != u64::from(SCHEMA_VERSION) {
            return Err(PlanError::Version {
                path: "the plan".to_string(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
        serde_json::from_value(value).map_err(|error| invalid(error.to_string()))
    }

    /// The plan as pretty JSON with a final newline (what `-o` and `--plan-out` write).
    pub fn to_json(&self) -> String {
        // A plan holds only strings, numbers and lists: serializing it cannot fail.
        serde_json::to_string_pretty(self).expect("a plan serializes") + "\n"
    }

    /// SHA-256 of [`Plan::to_json`], in hex: how provenance labels and caches name a plan.
    pub fn sha256(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(self.to_json().as_bytes()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample() -> Plan {
        Plan {
            schema_version: SCHEMA_VERSION,
            generator: Plan::generator(),
            doc: PlanDoc {
                source: "catalog:jq".to_string(),
                sha256: "ab".repeat(32),
                name: Some("jq".to_string()),
            },
            probe: PlanProbe {
                fingerprint: "0123456789abcdef".to_string(),
                summary: "debian 12, x86_64, root".to_string(),
            },
            route: Some(PlanRoute {
                name: "apt".to_string(),
                reason: "system package manager present".to_string(),
            }),
            routes_not_chosen: Vec::new(),
            agent: PlanAgent {
                kind: "offline".to_string(),
                calls: 0,
                tokens: 0,
            },
            steps: vec![PlanStep {
                command: "apt-get install -y jq".to_string(),
                purpose: "install jq".to_string(),
                source: Some(SourceRef {
                    file: "jq.md".to_string(),
                    line: 12,
                    section: vec!["Install".to_string(), "Debian".to_string()],
                    as_written: None,
                }),
                risks: vec!["package-install".to_string()],
                decision: crate::policy::Decision::Allow,
                uncertain: None,
            }],
            verification: vec!["jq --version".to_string()],
            network: Vec::new(),
            verified: true,
        }
    }

    #[test]
    fn a_plan_round_trips_through_json() {
        let plan = sample();
        assert_eq!(Plan::from_json(&plan.to_json()).unwrap(), plan);
    }

    #[test]
    fn an_unknown_schema_version_is_named() {
        let text = plan_text_with_version(7);
        let error = Plan::from_json(&text).unwrap_err();
        assert!(
            matches!(error, PlanError::Version { found: 7, .. }),
            "{error}"
        );
        assert!(error.to_string().contains("version 7"), "{error}");
    }

    #[test]
    fn a_plan_that_is_not_json_is_invalid() {
        let error = Plan::from_json("steps: [apt]").unwrap_err();
        assert!(matches!(error, PlanError::Invalid { .. }), "{error}");
    }

    #[test]
    fn source_refs_read_like_citations() {
        let step = &sample().steps[0];
        assert_eq!(
            step.source.as_ref().unwrap().to_string(),
            "jq.md:12 (Install › Debian)"
        );
    }

    fn plan_text_with_version(version: u64) -> String {
        let mut value = serde_json::to_value(sample()).unwrap();
        value["schema_version"] = serde_json::Value::from(version);
        value.to_string()
    }
}
