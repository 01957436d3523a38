//! Exports of a plan (DESIGN §6): the same steps and verification as a POSIX shell script, as
//! Dockerfile `RUN` lines, or as an Ansible playbook for rolling the install out to a fleet.
//!
//! Every export keeps the plan's order, cites each step's doc location in a comment, and ends
//! with the verification, so a failed install fails the script, the image build or the play.
//! Steps that change the shell's state (`cd`, `export`, `. env-file`) stay in one shell with
//! the steps after them: a Dockerfile `RUN` and an Ansible task each start a fresh shell.

mod ansible;
mod dockerfile;
mod sh;

use std::sync::LazyLock;

use regex::Regex;

use crate::plan::{Plan, PlanStep};

/// What `agent-install export` produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A POSIX shell script (`set -eu`, verification at the end).
    Sh,
    /// A Dockerfile: `RUN` lines, the verification as the last `RUN`.
    Dockerfile,
    /// An Ansible playbook (apt and pip modules where they fit, guarded shell tasks otherwise).
    Ansible,
}

/// The plan in the given format.
pub fn export(plan: &Plan, format: Format) -> String {
    match format {
        Format::Sh => sh::script(plan),
        Format::Dockerfile => dockerfile::dockerfile(plan),
        Format::Ansible => ansible::playbook(plan),
    }
}

/// The header every export starts with, as lines without the comment marker.
fn header(plan: &Plan, what: &str) -> Vec<String> {
    let product = plan.doc.name.as_deref().unwrap_or(&plan.doc.source);
    let mut lines = vec![
        format!(
            "{what} for {product}, exported by {} from a plan.",
            Plan::generator()
        ),
        format!("doc:     {} (sha256 {})", plan.doc.source, plan.doc.sha256),
        format!(
            "plan:    sha256 {} (made by {})",
            plan.sha256(),
            plan.generator
        ),
        format!(
            "machine: {} (fingerprint {})",
            plan.probe.summary, plan.probe.fingerprint
        ),
    ];
    if let Some(route) = &plan.route {
        lines.push(format!("route:   {} ({})", route.name, route.reason));
    }
    lines.push(if plan.verified {
        "status:  these steps passed their verification in a sandbox rehearsal".to_string()
    } else {
        "status:  a dry-run plan: these steps were proposed, never executed".to_string()
    });
    lines
}

/// The comment lines above one step: number, purpose, citation, risks, and any uncertainty.
fn step_comment(number: usize, step: &PlanStep) -> Vec<String> {
    let mut lines = vec![format!("Step {number}: {}", step.purpose)];
    match &step.source {
        Some(source) => lines.push(format!("source: {source}")),
        None => lines.push("source: not from the doc (added by the agent or a repair)".to_string()),
    }
    if !step.risks.is_empty() {
        lines.push(format!("risk: {}", step.risks.join(", ")));
    }
    if let Some(uncertain) = &step.uncertain {
        lines.push(format!("uncertain: {uncertain}"));
    }
    lines
}

/// Turns text into comment lines: every line prefixed, none able to end the comment.
fn comment(lines: &[String], marker: &str) -> String {
    lines
        .iter()
        .flat_map(|line| line.lines().map(str::to_string).collect::<Vec<_>>())
        .map(|line| format!("{marker} {line}").trim_end().to_string() + "\n")
        .collect()
}

/// Steps grouped so that each group can run in a fresh shell: a step that changes the shell's
/// state (working directory, variables, sourced files) is grouped with every step after it.
fn shell_groups(plan: &Plan) -> Vec<Vec<(usize, &PlanStep)>> {
    let mut groups: Vec<Vec<(usize, &PlanStep)>> = Vec::new();
    let mut stateful = false;
    for (index, step) in plan.steps.iter().enumerate() {
        match groups.last_mut() {
            Some(group) if stateful => group.push((index + 1, step)),
            _ => groups.push(vec![(index + 1, step)]),
        }
        stateful |= changes_shell_state(&step.command);
    }
    groups
}

/// Whether a command changes state that later commands of the same shell see.
pub fn changes_shell_state(command: &str) -> bool {
    static STATEFUL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?m)(?:^|[;&|(]\s*)(?:cd|pushd|popd|export|source|\.|set|unset|alias|umask)(?:\s|$)|(?m)^\s*[A-Za-z_][A-Za-z0-9_]*=[^\s;&|]*\s*(?:$|[;&])",
        )
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    STATEFUL.is_match(command)
}

/// A step that only refreshes the apt index (`apt-get update`, `sudo apt update`).
fn is_apt_update(command: &str) -> bool {
    static APT_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:sudo\s+)?apt(?:-get)?\s+(?:-\S+\s+)*update(?:\s+-\S+)*\s*$")
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    APT_UPDATE.is_match(command)
}

/// `source FILE` is bash; POSIX `sh` spells it `. FILE`.
fn posix_source(command: &str) -> String {
    static SOURCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)(^|[;&|]\s*)source(\s)")
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    SOURCE.replace_all(command, "${1}.${2}").into_owned()
}

/// Whether a command reads a file into the shell (`. FILE`), which shellcheck cannot follow.
fn sources_a_file(command: &str) -> bool {
    static DOT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)(?:^|[;&|]\s*)\.\s")
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    DOT.is_match(command)
}

/// The program the first verification command runs (`jq` for `jq --version`).
fn verified_program(plan: &Plan) -> Option<&str> {
    plan.verification
        .first()?
        .split_whitespace()
        .find(|word| !word.contains('='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_state_changes_are_recognized() {
        for stateful in [
            "cd build",
            "mkdir x && cd x",
            ". \"$HOME/.cargo/env\"",
            "source ~/.bashrc",
            "export PATH=\"$HOME/.local/bin:$PATH\"",
            "VERSION=1.2.3",
        ] {
            assert!(changes_shell_state(stateful), "{stateful}");
        }
        for stateless in [
            "apt-get install -y jq",
            "make -j\"$(nproc)\"",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y jq",
            "./configure --prefix=/usr/local",
            "tar -xzf tool.tar.gz -C /opt",
        ] {
            assert!(!changes_shell_state(stateless), "{stateless}");
        }
    }

    #[test]
    fn source_becomes_dot() {
        assert_eq!(posix_source("source /etc/x.bash"), ". /etc/x.bash");
        assert_eq!(posix_source("true && source a"), "true && . a");
        assert_eq!(posix_source("echo source it"), "echo source it");
    }
}
