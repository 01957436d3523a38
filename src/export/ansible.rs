//! The plan as an Ansible playbook, so a fleet can roll the install out (DESIGN §6).
//!
//! - A plain `apt-get install -y PKG...` becomes `ansible.builtin.apt` (an `apt-get update`
//!   right before it becomes its `update_cache`); a plain `pip install PKG...` becomes
//!   `ansible.builtin.pip`. Both modules are idempotent by themselves.
//! - Every other step is an `ansible.builtin.shell` task. When the step visibly creates a file
//!   in a bin directory, `creates:` makes it idempotent; otherwise it runs only while the
//!   product's first verification command fails (checked once, at the start of the play), and
//!   reports a change when it ran (`changed_when`).
//! - Steps that change the shell's state share one task with the steps after them.
//! - The verification runs last, in a login shell, with `changed_when: false`.
//!
//! Every scalar is written as a JSON string, which is also a valid YAML double-quoted scalar:
//! no command text can change the playbook's structure.

use std::sync::LazyLock;

use regex::Regex;

use super::{comment, header, is_apt_update, shell_groups, verified_program};
use crate::plan::{Plan, PlanStep};

/// The variable the presence check registers.
const PRESENT: &str = "agent_install_present";

pub fn playbook(plan: &Plan) -> String {
    let mut out = String::from("---\n");
    out.push_str(&comment(&header(plan, "Ansible playbook"), "#"));
    out.push_str(&comment(
        &[
            "Run: ansible-playbook -i HOSTS playbook.yml (add --become where you are not root;"
                .to_string(),
            "the plan's steps were made for the user shown above).".to_string(),
        ],
        "#",
    ));
    let product = plan.doc.name.as_deref().unwrap_or(&plan.doc.source);
    out.push_str(&format!(
        "- name: {}\n",
        quote(&format!("Install {product}"))
    ));
    out.push_str("  hosts: all\n");
    out.push_str("  gather_facts: false\n");
    out.push_str("  tasks:\n");
    let check = plan.verification.first();
    let mut tasks: Vec<Task> = Vec::new();
    if let Some(check) = check {
        let program = verified_program(plan).unwrap_or("the product");
        tasks.push(Task {
            name: format!("Check whether {program} is already installed"),
            comment: Vec::new(),
            body: login_command(check),
            extra: vec![
                format!("register: {PRESENT}"),
                "changed_when: false".to_string(),
                "failed_when: false".to_string(),
            ],
        });
    }
    let groups = shell_groups(plan);
    let mut pending_update: Option<(usize, &PlanStep)> = None;
    for group in groups {
        if let [(number, step)] = group.as_slice() {
            if is_apt_update(&step.command) {
                if let Some((number, step)) = pending_update.replace((*number, step)) {
                    tasks.push(update_cache_task(number, step));
                }
                continue;
            }
            if let Some(mut task) = apt_task(*number, step, pending_update.is_some()) {
                if let Some((number, step)) = pending_update.take() {
                    task.comment.push(format!(
                        "Step {number} (`{}`) is this task's update_cache.",
                        step.command
                    ));
                }
                tasks.push(task);
                continue;
            }
        }
        if let Some((number, step)) = pending_update.take() {
            tasks.push(update_cache_task(number, step));
        }
        if let [(number, step)] = group.as_slice()
            && let Some(task) = pip_task(*number, step)
        {
            tasks.push(task);
            continue;
        }
        tasks.push(shell_task(&group, check.is_some()));
    }
    if let Some((number, step)) = pending_update.take() {
        tasks.push(update_cache_task(number, step));
    }
    for command in &plan.verification {
        tasks.push(Task {
            name: format!("Verify: {command}"),
            comment: Vec::new(),
            body: login_command(command),
            extra: vec!["changed_when: false".to_string()],
        });
    }
    for task in tasks {
        out.push_str(&task.render());
    }
    out
}

/// One task, before rendering: its body is the module line and its arguments.
struct Task {
    name: String,
    comment: Vec<String>,
    body: Vec<String>,
    extra: Vec<String>,
}

impl Task {
    fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.comment {
            for part in line.lines() {
                out.push_str(&format!("    # {part}\n").replace(" \n", "\n"));
            }
        }
        out.push_str(&format!("    - name: {}\n", quote(&self.name)));
        for line in self.body.iter().chain(&self.extra) {
            out.push_str(&format!("      {line}\n"));
        }
        out
    }
}

fn step_name(number: usize, step: &PlanStep) -> String {
    match &step.source {
        Some(source) => format!(
            "Step {number}: {} ({}:{})",
            step.purpose, source.file, source.line
        ),
        None => format!("Step {number}: {}", step.purpose),
    }
}

fn step_comments(step: &PlanStep) -> Vec<String> {
    let mut lines = vec![format!("Plan command: {}", step.command)];
    if !step.risks.is_empty() {
        lines.push(format!("Risk: {}", step.risks.join(", ")));
    }
    if let Some(uncertain) = &step.uncertain {
        lines.push(format!("Uncertain: {uncertain}"));
    }
    lines
}

fn login_command(command: &str) -> Vec<String> {
    vec![
        "ansible.builtin.command:".to_string(),
        format!("  argv: [\"/bin/sh\", \"-l\", \"-c\", {}]", quote(command)),
    ]
}

fn update_cache_task(number: usize, step: &PlanStep) -> Task {
    Task {
        name: step_name(number, step),
        comment: step_comments(step),
        body: vec![
            "ansible.builtin.apt:".to_string(),
            "  update_cache: true".to_string(),
        ],
        extra: Vec::new(),
    }
}

/// A package name, optionally pinned (`jq`, `python3-venv`, `libfoo1=1.2-3`).
static PACKAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9][a-z0-9.+-]*(?:=[A-Za-z0-9.:~+-]+)?$")
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
});

/// `apt-get install -y PKG...` with nothing but harmless flags, as the apt module.
fn apt_task(number: usize, step: &PlanStep, update_cache: bool) -> Option<Task> {
    let mut words = step.command.split_whitespace().peekable();
    if words.peek() == Some(&"sudo") {
        words.next();
    }
    if words.peek() == Some(&"DEBIAN_FRONTEND=noninteractive") {
        words.next();
    }
    if !matches!(words.next()?, "apt" | "apt-get") || words.next()? != "install" {
        return None;
    }
    let mut packages = Vec::new();
    let mut recommends = true;
    for word in words {
        match word {
            "-y" | "--yes" | "--assume-yes" | "-q" | "-qq" | "--quiet" => {}
            "--no-install-recommends" => recommends = false,
            package if PACKAGE.is_match(package) => packages.push(package),
            _ => return None,
        }
    }
    if packages.is_empty() {
        return None;
    }
    let mut body = vec![
        "ansible.builtin.apt:".to_string(),
        format!("  name: {}", list(&packages)),
        "  state: present".to_string(),
    ];
    if !recommends {
        body.push("  install_recommends: false".to_string());
    }
    if update_cache {
        body.push("  update_cache: true".to_string());
    }
    Some(Task {
        name: step_name(number, step),
        comment: step_comments(step),
        body,
        extra: Vec::new(),
    })
}

/// `pip install PKG...` (or `python3 -m pip install`) as the pip module.
fn pip_task(number: usize, step: &PlanStep) -> Option<Task> {
    static PIP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:sudo\s+)?(pip3?|python3?\s+-m\s+pip)\s+install\s+(.+)$")
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    static REQUIREMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[A-Za-z0-9,._-]+\])?(?:[=<>!~]=?[A-Za-z0-9.*+!-]+)?$",
        )
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    let captures = PIP.captures(&step.command)?;
    let mut packages = Vec::new();
    let mut extra_arguments = Vec::new();
    let mut state = "present";
    for word in captures[2].split_whitespace() {
        match word {
            "-U" | "--upgrade" => state = "latest",
            "--user" | "--break-system-packages" | "-q" | "--quiet" | "--no-cache-dir" => {
                extra_arguments.push(word)
            }
            requirement if REQUIREMENT.is_match(requirement) => packages.push(requirement),
            _ => return None,
        }
    }
    if packages.is_empty() {
        return None;
    }
    let executable = captures[1].split_whitespace().next().unwrap_or("pip3");
    let mut body = vec![
        "ansible.builtin.pip:".to_string(),
        format!("  name: {}", list(&packages)),
        format!("  state: {state}"),
    ];
    if executable.starts_with("python") {
        // `python3 -m pip` installs for that interpreter.
        body.push(format!(
            "  executable: {}",
            quote(&executable.replace("python", "pip"))
        ));
    } else {
        body.push(format!("  executable: {}", quote(executable)));
    }
    if !extra_arguments.is_empty() {
        body.push(format!(
            "  extra_args: {}",
            quote(&extra_arguments.join(" "))
        ));
    }
    Some(Task {
        name: step_name(number, step),
        comment: step_comments(step),
        body,
        extra: Vec::new(),
    })
}

/// A file a command visibly puts into a bin directory (`-o /usr/local/bin/tool`,
/// `install … /usr/local/bin/tool`, `ln -s … /usr/local/bin/tool`).
fn created_binary(command: &str) -> Option<String> {
    static BINARY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?:^|\s)["']?((?:/usr/local|/usr|/opt/[^/\s]+)?/s?bin/[A-Za-z0-9._+-]+)["']?\s*$"#,
        )
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    static OUTPUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?:^|\s)(?:-[A-Za-z]*o|--output)[\s=]+["']?((?:/usr/local|/usr|/opt/[^/\s]+)?/s?bin/[A-Za-z0-9._+-]+)["']?(?:\s|$)"#)
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    // The last line that creates one: the end result of the step.
    command
        .lines()
        .rev()
        .find_map(|line| {
            OUTPUT
                .captures(line)
                .or_else(|| BINARY.captures(line.trim_end_matches(['&', ';', ' '])))
        })
        .map(|captures| captures[1].to_string())
}

/// Steps that share a shell, as one `shell` task with `creates` or the presence guard.
fn shell_task(group: &[(usize, &PlanStep)], guarded: bool) -> Task {
    let commands: Vec<&str> = group
        .iter()
        .map(|(_, step)| step.command.as_str())
        .collect();
    let script = if commands.len() == 1 {
        commands[0].to_string()
    } else {
        format!("set -eu\n{}", commands.join("\n"))
    };
    let name = match group {
        [(number, step)] => step_name(*number, step),
        _ => format!(
            "Steps {}–{}: {} (one shell: a step changes the shell's state)",
            group.first().map_or(0, |(number, _)| *number),
            group.last().map_or(0, |(number, _)| *number),
            group
                .first()
                .map_or(String::new(), |(_, step)| step.purpose.clone())
        ),
    };
    let mut comments = Vec::new();
    for (_, step) in group {
        comments.extend(step_comments(step));
    }
    let mut body = vec![
        "ansible.builtin.shell:".to_string(),
        format!("  cmd: {}", quote(&script)),
        "  executable: /bin/sh".to_string(),
    ];
    let mut extra = Vec::new();
    match created_binary(&script) {
        Some(path) => body.push(format!("  creates: {}", quote(&path))),
        None if guarded => {
            extra.push(format!("when: {PRESENT}.rc != 0"));
            extra.push("changed_when: true".to_string());
        }
        None => extra.push("changed_when: true".to_string()),
    }
    Task {
        name,
        comment: comments,
        body,
        extra,
    }
}

/// A YAML scalar that means exactly `text`: a JSON string is a YAML double-quoted scalar.
fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}

fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| quote(item)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(command: &str) -> PlanStep {
        PlanStep {
            command: command.to_string(),
            purpose: "test".to_string(),
            source: None,
            risks: Vec::new(),
            decision: crate::policy::Decision::Allow,
            uncertain: None,
        }
    }

    #[test]
    fn plain_apt_installs_use_the_apt_module() {
        let task = apt_task(
            1,
            &step("apt-get install -y --no-install-recommends jq"),
            true,
        )
        .unwrap();
        assert_eq!(
            task.body,
            vec![
                "ansible.builtin.apt:",
                "  name: [\"jq\"]",
                "  state: present",
                "  install_recommends: false",
                "  update_cache: true"
            ]
        );
        assert!(apt_task(1, &step("apt-get install -y ./local.deb"), false).is_none());
        assert!(apt_task(1, &step("apt-get install -y jq && rm -rf /x"), false).is_none());
    }

    #[test]
    fn plain_pip_installs_use_the_pip_module() {
        let task = pip_task(1, &step("python3 -m pip install --user httpie==3.2.4")).unwrap();
        assert!(
            task.body
                .contains(&"  name: [\"httpie==3.2.4\"]".to_string())
        );
        assert!(task.body.contains(&"  executable: \"pip3\"".to_string()));
        assert!(task.body.contains(&"  extra_args: \"--user\"".to_string()));
        assert!(pip_task(1, &step("pip install -r requirements.txt")).is_none());
    }

    #[test]
    fn binaries_put_into_bin_directories_make_steps_idempotent() {
        assert_eq!(
            created_binary("curl -fsSLo /usr/local/bin/tool https://x/tool").as_deref(),
            Some("/usr/local/bin/tool")
        );
        assert_eq!(
            created_binary("install -m 755 tool /usr/local/bin/tool").as_deref(),
            Some("/usr/local/bin/tool")
        );
        assert_eq!(created_binary("make install"), None);
    }

    #[test]
    fn quoting_keeps_yaml_structure() {
        assert_eq!(quote("a: b\n- c"), r#""a: b\n- c""#);
    }
}
