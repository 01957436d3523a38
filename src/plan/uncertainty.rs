//! What a dry-run plan cannot know: steps whose exact form or success depends on what earlier
//! steps print or leave behind, and the repairs that may rewrite a step at run time.
//!
//! A dry run executes nothing, so every step "succeeds" in it. A reviewer needs to know which of
//! those successes are assumptions. The marks are heuristics on the command text and on the
//! machine's facts; each names the reason in words, so a wrong mark is easy to spot and ignore.

use std::sync::LazyLock;

use regex::Regex;

use crate::agent::Facts;
use crate::agent::packages::{DEBIAN_RENAMES, Family};

use super::Plan;

/// Marks the steps of a dry-run plan whose outcome depends on earlier output, with why.
/// Marks already present are kept (an agent may know better).
pub fn mark(plan: &mut Plan, facts: &Facts) {
    let mut facts = facts.clone();
    let facts = &mut facts;
    let mut after_fetched_script: Option<String> = None;
    let mut created_directories: Vec<String> = Vec::new();
    let mut index_refreshed = false;
    let verification = plan.verification.clone();
    for step in &mut plan.steps {
        let mut reasons = Vec::new();
        let command = step.command.as_str();
        if let Some(script) = &after_fetched_script {
            reasons.push(format!(
                "runs after `{script}`, an install script whose effects are only known once it ran"
            ));
        }
        if let Some(found) = COMMAND_SUBSTITUTION.find(command) {
            reasons.push(format!(
                "its arguments come from the output of `{}` at run time",
                found.as_str()
            ));
        }
        if let Some(directory) = entered_directory(command)
            && created_directories
                .iter()
                .any(|created| same_directory(created, &directory))
        {
            reasons.push(format!(
                "enters `{directory}`, which an earlier step creates"
            ));
        }
        if let Some(found) = VERSION_PLACEHOLDER.find(command) {
            reasons.push(format!(
                "downloads a URL whose version part (`{}`) is resolved at run time",
                found.as_str()
            ));
        }
        reasons.extend(possible_repairs(
            command,
            facts,
            index_refreshed,
            after_fetched_script.is_some(),
        ));
        if APT_UPDATE.is_match(command) {
            index_refreshed = true;
        }
        // Once a step ran a program (after the repair installed it), later steps find it.
        if let Some(program) = first_program(command) {
            facts.commands.push(program.to_string());
        }
        created_directories.extend(directories_created(command));
        if step.risks.iter().any(|risk| risk == "pipe-to-shell") {
            after_fetched_script = Some(shorten(command));
        }
        if step.uncertain.is_none() && !reasons.is_empty() {
            step.uncertain = Some(reasons.join("; "));
        }
    }
    let renamed: Vec<String> = verification
        .iter()
        .filter_map(|check| check.split_whitespace().next())
        .filter_map(|program| {
            DEBIAN_RENAMES
                .iter()
                .find(|(upstream, _)| *upstream == program)
        })
        .filter(|_| facts.family == Some(Family::Debian))
        .map(|(upstream, debian)| {
            format!(
                "Debian installs `{upstream}` as `{debian}`: if verification cannot find `{upstream}`, the renamed-binary repair links it"
            )
        })
        .collect();
    if let (false, Some(last)) = (renamed.is_empty(), plan.steps.last_mut()) {
        let note = renamed.join("; ");
        last.uncertain = Some(match last.uncertain.take() {
            Some(earlier) => format!("{earlier}; {note}"),
            None => note,
        });
    }
}

/// `$(...)` or backticks: the command's words depend on another program's output.
static COMMAND_SUBSTITUTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\([^)]*\)|`[^`]*`").unwrap_or_else(|error| unreachable!("static: {error}"))
});

/// A URL with a version that is filled in at run time or follows a moving target.
static VERSION_PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)https?://\S*(?:\$\{?[A-Z_]*VERSION[A-Z_]*\}?|<version>|\{version\}|/latest/|/releases/latest)",
    )
    .unwrap_or_else(|error| unreachable!("static: {error}"))
});

static APT_UPDATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bapt(?:-get)?\s+(?:-\S+\s+)*update\b")
        .unwrap_or_else(|error| unreachable!("static: {error}"))
});

static APT_INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bapt(?:-get)?\s+(?:-\S+\s+)*install\b")
        .unwrap_or_else(|error| unreachable!("static: {error}"))
});

static PIP_INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:pip3?|python3?\s+-m\s+pip)\s+install\b")
        .unwrap_or_else(|error| unreachable!("static: {error}"))
});

/// The repairs of the offline agent that may fire for this step when it really runs.
fn possible_repairs(
    command: &str,
    facts: &Facts,
    index_refreshed: bool,
    after_fetched_script: bool,
) -> Vec<String> {
    let mut repairs = Vec::new();
    if APT_INSTALL.is_match(command) && !index_refreshed {
        repairs.push(
            "no earlier step refreshes the package index: if apt cannot find the package, the apt-index-stale repair runs `apt-get update` first"
                .to_string(),
        );
    }
    if PIP_INSTALL.is_match(command)
        && facts.family == Some(Family::Debian)
        && !command.contains("--break-system-packages")
    {
        repairs.push(
            "Debian's Python refuses system-wide pip installs (PEP 668): the externally-managed repair switches to pipx or a venv"
                .to_string(),
        );
    }
    // After an install script, a missing program is most likely what the script installs; the
    // mark about the script already says so.
    if let Some(program) = first_program(command)
        && !after_fetched_script
        && !facts.has(program)
        && !is_shell_word(program)
        && !program.contains('/')
    {
        repairs.push(format!(
            "`{program}` is not on this machine now: unless an earlier step installs it, the missing-command repair installs it with the package manager"
        ));
    }
    repairs
}

/// The program a command starts with, after `sudo` and variable assignments.
fn first_program(command: &str) -> Option<&str> {
    command
        .split_whitespace()
        .find(|word| *word != "sudo" && !word.contains('=') && !word.starts_with('-'))
}

fn is_shell_word(word: &str) -> bool {
    matches!(
        word,
        "." | "source"
            | "cd"
            | "export"
            | "set"
            | "echo"
            | "printf"
            | "test"
            | "["
            | "if"
            | "for"
            | "while"
            | "command"
            | "eval"
            | "exec"
            | "true"
            | "false"
            | "umask"
            | "alias"
            | "unset"
            | "{"
            | "("
    )
}

/// The directory `cd DIR` enters, if the command starts with one.
fn entered_directory(command: &str) -> Option<String> {
    let mut words = command.split_whitespace();
    (words.next()? == "cd").then_some(())?;
    let directory = words.next()?;
    Some(
        directory
            .trim_end_matches([';', '&'])
            .trim_matches(['"', '\''])
            .to_string(),
    )
}

/// Directories a command visibly creates: `mkdir [-p] DIR`, `git clone URL [DIR]`, and the
/// top directory a source archive usually unpacks to (`tar x… NAME.tar.gz` → `NAME`).
fn directories_created(command: &str) -> Vec<String> {
    let mut created = Vec::new();
    for part in command.split(['&', ';', '|']) {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words.as_slice() {
            ["mkdir", rest @ ..] => created.extend(
                rest.iter()
                    .filter(|word| !word.starts_with('-'))
                    .map(|word| word.trim_matches(['"', '\'']).to_string()),
            ),
            ["git", "clone", rest @ ..] => {
                let arguments: Vec<&&str> = rest.iter().filter(|w| !w.starts_with('-')).collect();
                match arguments.as_slice() {
                    [_, directory, ..] => created.push(directory.to_string()),
                    [url] => created.push(
                        url.trim_end_matches('/')
                            .rsplit('/')
                            .next()
                            .unwrap_or_default()
                            .trim_end_matches(".git")
                            .to_string(),
                    ),
                    [] => {}
                }
            }
            ["tar", rest @ ..] => {
                for word in rest {
                    for suffix in [".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".tar.zst", ".tar"] {
                        if let Some(stem) = word.strip_suffix(suffix) {
                            created.push(stem.rsplit('/').next().unwrap_or(stem).to_string());
                            break;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    created
}

fn same_directory(created: &str, entered: &str) -> bool {
    let normalize = |text: &str| {
        text.trim_end_matches('/')
            .trim_start_matches("./")
            .to_string()
    };
    let (created, entered) = (normalize(created), normalize(entered));
    entered == created || entered.starts_with(&format!("{created}/"))
}

fn shorten(command: &str) -> String {
    const LIMIT: usize = 60;
    match command.char_indices().nth(LIMIT) {
        Some((index, _)) => format!("{}…", &command[..index]),
        None => command.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanStep, tests::sample};

    fn debian_facts(commands: &[&str]) -> Facts {
        Facts {
            family: Some(Family::Debian),
            is_root: true,
            commands: commands.iter().map(|c| c.to_string()).collect(),
            ..Facts::default()
        }
    }

    fn plan_of(commands: &[(&str, &[&str])], verification: &[&str]) -> Plan {
        let mut plan = sample();
        plan.steps = commands
            .iter()
            .map(|(command, risks)| PlanStep {
                command: command.to_string(),
                purpose: "test".to_string(),
                source: None,
                risks: risks.iter().map(|r| r.to_string()).collect(),
                decision: crate::policy::Decision::Allow,
                uncertain: None,
            })
            .collect();
        plan.verification = verification.iter().map(|c| c.to_string()).collect();
        plan
    }

    fn marks(plan: &Plan) -> Vec<Option<String>> {
        plan.steps
            .iter()
            .map(|step| step.uncertain.clone())
            .collect()
    }

    #[test]
    fn plain_package_installs_after_an_update_are_certain() {
        let mut plan = plan_of(
            &[("apt-get update", &[]), ("apt-get install -y jq", &[])],
            &["jq --version"],
        );
        mark(&mut plan, &debian_facts(&["apt-get"]));
        assert_eq!(marks(&plan), vec![None, None]);
    }

    #[test]
    fn an_install_without_an_index_refresh_names_the_repair() {
        let mut plan = plan_of(&[("apt-get install -y jq", &[])], &["jq --version"]);
        mark(&mut plan, &debian_facts(&["apt-get"]));
        assert!(
            marks(&plan)[0]
                .as_deref()
                .unwrap()
                .contains("apt-index-stale")
        );
    }

    #[test]
    fn steps_after_a_fetched_script_depend_on_it() {
        let mut plan = plan_of(
            &[
                (
                    "curl -sSf https://sh.rustup.rs | sh -s -- -y",
                    &["pipe-to-shell"],
                ),
                (". \"$HOME/.cargo/env\"", &[]),
                ("cargo install --locked choose", &[]),
            ],
            &["choose --version"],
        );
        mark(&mut plan, &debian_facts(&["curl", "sh"]));
        let marks = marks(&plan);
        assert_eq!(marks[0], None);
        assert!(marks[1].as_deref().unwrap().contains("install script"));
        let cargo = marks[2].as_deref().unwrap();
        assert!(
            cargo.contains("install script") && !cargo.contains("missing-command"),
            "{cargo}"
        );
    }

    #[test]
    fn substitutions_directories_and_versions_are_named() {
        let mut plan = plan_of(
            &[
                ("git clone https://example.org/tool.git", &[]),
                ("cd tool", &[]),
                ("make -j\"$(nproc)\"", &[]),
                (
                    "curl -LO https://example.org/releases/download/v${VERSION}/tool.tar.gz",
                    &[],
                ),
            ],
            &["tool --version"],
        );
        mark(&mut plan, &debian_facts(&["git", "make", "curl"]));
        let marks = marks(&plan);
        assert!(marks[0].is_none());
        assert!(marks[1].as_deref().unwrap().contains("`tool`"), "{marks:?}");
        assert!(
            marks[2].as_deref().unwrap().contains("$(nproc)"),
            "{marks:?}"
        );
        assert!(
            marks[3].as_deref().unwrap().contains("${VERSION}"),
            "{marks:?}"
        );
    }

    #[test]
    fn debian_renames_and_pep668_are_announced() {
        let mut plan = plan_of(&[("python3 -m pip install fdx", &[])], &["fd --version"]);
        mark(&mut plan, &debian_facts(&["python3"]));
        let mark = marks(&plan)[0].clone().unwrap();
        assert!(
            mark.contains("PEP 668") && mark.contains("fdfind"),
            "{mark}"
        );
    }
}
