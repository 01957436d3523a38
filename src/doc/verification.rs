//! The verification set: commands that prove the product works once installed.
//!
//! An installer's exit status proves little (DESIGN notes packages that fetch their real binary
//! at first run), so the loop ends only when these pass. Sources, strongest first: the front
//! matter's `verify` list (written for this purpose), `X --version`-style commands of the
//! product's program, commands in sections about verifying or using the product that run it,
//! and install.md `DONE WHEN:` lines. Each entry keeps its origin so a planner can weigh them.

use std::collections::{BTreeSet, HashSet};

use super::classify::{KNOWN_TOOLS, Programs, Role, program_of};
use super::markdown::Outline;
use super::shell::simple_commands;
use super::{Command, Verification, VerificationOrigin};

/// Commands that check a program is on PATH: `which X`, `command -v X`, `type X`.
const LOOKUP_COMMANDS: &[&str] = &[
    "which",
    "command",
    "type",
    "get-command",
    "where",
    "whereis",
];

/// Guesses the product's program names: the programs the front matter's checks run, the
/// product's names ([`super::product`]), and `X --version` commands of programs that are no known tool.
pub(crate) fn product_programs(
    product: &super::Product,
    front_matter_verify: &[String],
    outline: &Outline,
) -> Programs {
    let mut names = BTreeSet::new();
    for check in front_matter_verify {
        if let Some(program) = simple_commands(check).first().and_then(program_of) {
            names.insert(program);
        }
    }
    names.extend(product.names.iter().cloned());
    for context in &outline.contexts {
        if let Some(program) = &context.version_program
            && !KNOWN_TOOLS.contains(&program.as_str())
        {
            names.insert(program.clone());
        }
    }
    Programs { names }
}

/// The program a check runs, as written, looking through PATH lookups (`which X`).
pub(crate) fn check_program(text: &str) -> Option<String> {
    let commands = simple_commands(text);
    let first = commands.first()?;
    let words = first.program_words();
    let program = program_of(first)?;
    if LOOKUP_COMMANDS.contains(&program.as_str()) {
        return words
            .iter()
            .skip(1)
            .find(|word| !word.starts_with('-'))
            .map(|word| word.to_string());
    }
    words.first().map(|word| word.to_string())
}

/// Whether a command only looks a program up on PATH (`command -v X`, `which X`).
pub(crate) fn is_lookup(text: &str) -> bool {
    let commands = simple_commands(text);
    let [first] = commands.as_slice() else {
        return false;
    };
    program_of(first).is_some_and(|program| LOOKUP_COMMANDS.contains(&program.as_str()))
        && first.program_words().len() >= 2
}

/// Whether a command runs one of the product's programs, or looks one up on PATH.
fn runs_product(text: &str, programs: &Programs) -> bool {
    let commands = simple_commands(text);
    let Some(first) = commands.first() else {
        return false;
    };
    let Some(program) = program_of(first) else {
        return false;
    };
    if programs.contains(&program) {
        return true;
    }
    let words = first.program_words();
    LOOKUP_COMMANDS.contains(&program.as_str())
        && words
            .iter()
            .skip(1)
            .filter(|word| !word.starts_with('-'))
            .any(|word| programs.contains(word))
}

/// The role of a command's section: the deepest heading on its path that says something,
/// the doc's title excepted.
pub(crate) fn section_role(outline: &Outline, section: Option<usize>) -> Role {
    let mut role = Role::Neutral;
    for index in section_chain(outline, section) {
        if is_doc_title(outline, index) {
            continue;
        }
        let label = &outline.labels[index];
        if label.role != Role::Neutral {
            role = label.role;
        }
    }
    role
}

/// The sections from the outermost down to `section`.
pub(crate) fn section_chain(outline: &Outline, section: Option<usize>) -> Vec<usize> {
    let mut chain = Vec::new();
    let mut current = section;
    while let Some(index) = current {
        chain.push(index);
        current = outline.sections[index].parent;
    }
    chain.reverse();
    chain
}

/// The H1 that names the product says nothing about routes.
pub(crate) fn is_doc_title(outline: &Outline, index: usize) -> bool {
    let section = &outline.sections[index];
    section.level == 1 && outline.title.as_deref() == Some(section.title.as_str())
}

/// The verification set and the indices of the doc's commands it took (those are checks,
/// not install steps).
pub(crate) fn collect(
    front_matter_verify: &[String],
    outline: &Outline,
    programs: &Programs,
) -> (Vec<Verification>, BTreeSet<usize>) {
    let mut entries: Vec<Verification> = Vec::new();
    let mut taken = BTreeSet::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut add = |entry: Verification, entries: &mut Vec<Verification>| {
        if seen.insert(entry.command.clone()) {
            entries.push(entry);
        }
    };
    for check in front_matter_verify {
        let check = check.trim();
        if check.is_empty() {
            continue;
        }
        add(
            Verification {
                command: check.to_string(),
                origin: VerificationOrigin::FrontMatter,
                location: None,
                section: Vec::new(),
            },
            &mut entries,
        );
    }
    let roles: Vec<Role> = outline
        .contexts
        .iter()
        .map(|context| section_role(outline, context.section))
        .collect();
    for (index, command) in outline.commands.iter().enumerate() {
        if roles[index] == Role::Excluded {
            continue;
        }
        let Some(program) = &outline.contexts[index].version_program else {
            continue;
        };
        if programs.contains(program) {
            taken.insert(index);
            add(
                entry(command, VerificationOrigin::VersionCommand),
                &mut entries,
            );
        }
    }
    for (index, command) in outline.commands.iter().enumerate() {
        if taken.contains(&index) {
            continue;
        }
        let counts = match roles[index] {
            Role::Verify => {
                // Everything in a "Verify" section checks something, unless it installs.
                let facts = super::classify::classify(&command.text, command.shell, programs);
                !facts.installs_product && !facts.installs_tools
            }
            Role::Usage => runs_product(&command.text, programs),
            _ => false,
        };
        if counts {
            taken.insert(index);
            add(entry(command, VerificationOrigin::Section), &mut entries);
        }
    }
    for (command, location, section) in &outline.done_when_commands {
        add(
            Verification {
                command: command.clone(),
                origin: VerificationOrigin::DoneWhen,
                location: Some(location.clone()),
                section: section.clone(),
            },
            &mut entries,
        );
    }
    (entries, taken)
}

fn entry(command: &Command, origin: VerificationOrigin) -> Verification {
    Verification {
        command: command.text.clone(),
        origin,
        location: Some(command.location.clone()),
        section: command.section.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::markdown::outline;

    fn set(text: &str, front_matter: &[&str]) -> Vec<(String, VerificationOrigin)> {
        let outline = outline(text, 1, "t.md");
        let verify: Vec<String> = front_matter.iter().map(|s| s.to_string()).collect();
        let product = crate::doc::product::identify(None, None, text, &outline);
        let programs = product_programs(&product, &verify, &outline);
        collect(&verify, &outline, &programs)
            .0
            .into_iter()
            .map(|entry| (entry.command, entry.origin))
            .collect()
    }

    #[test]
    fn front_matter_comes_first_and_is_not_repeated() {
        let text = "# tree\n\n## Install\n\n```sh\napt-get install -y tree\n```\n\n## Check\n\n```sh\ntree --version\n```\n";
        assert_eq!(
            set(text, &["tree --version", "tree -L 1 /etc/apt"]),
            [
                (
                    "tree --version".to_string(),
                    VerificationOrigin::FrontMatter
                ),
                (
                    "tree -L 1 /etc/apt".to_string(),
                    VerificationOrigin::FrontMatter
                ),
            ]
        );
    }

    #[test]
    fn version_commands_of_the_product_count_but_not_of_tools() {
        let text = "# ripgrep\n\n## Install Rust\n\n```sh\ncargo --version\ncargo install ripgrep\nrg --version\n```\n";
        assert_eq!(
            set(text, &[]),
            [(
                "rg --version".to_string(),
                VerificationOrigin::VersionCommand
            )]
        );
    }

    #[test]
    fn usage_sections_count_when_they_run_the_product() {
        let text = "# jq\n\n## Usage\n\n```sh\necho '{}' | jq .\njq -n 1\n```\n";
        assert_eq!(
            set(text, &[]),
            [("jq -n 1".to_string(), VerificationOrigin::Section)]
        );
    }

    #[test]
    fn verify_sections_count_whole() {
        let text = "# x\n\n## Verify\n\n```ps1\nGet-Command rg | Select-Object Source\n```\n";
        assert_eq!(
            set(text, &[]),
            [(
                "Get-Command rg | Select-Object Source".to_string(),
                VerificationOrigin::Section
            )]
        );
    }

    #[test]
    fn done_when_lines_come_last() {
        let text = "# ripgrep\n\nDONE WHEN: `rg --version` prints a version and `rg --files /etc | head -n 1` prints a file.\n";
        assert_eq!(
            set(text, &[]),
            [
                ("rg --version".to_string(), VerificationOrigin::DoneWhen),
                (
                    "rg --files /etc | head -n 1".to_string(),
                    VerificationOrigin::DoneWhen
                ),
            ]
        );
    }
}
