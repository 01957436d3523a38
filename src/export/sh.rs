//! The plan as a shell script: `set -eu`, each step under a comment with its purpose and doc
//! citation, the verification at the end. All steps run in one shell, as in the session, so
//! `cd` and sourced environment files carry over exactly as they did in the rehearsal.
//!
//! The script is POSIX `sh` unless a step is written for bash (the sandbox runs steps in bash
//! where the machine has it, and the offline agent's `pipefail` repair relies on that): then
//! it says `#!/bin/bash` and why, rather than a `/bin/sh` script that fails under dash.

use std::sync::LazyLock;

use regex::Regex;

use super::{comment, header, posix_source, sources_a_file, step_comment};
use crate::plan::Plan;
use crate::shell;

pub fn script(plan: &Plan) -> String {
    let bash_step = plan.steps.iter().position(|step| needs_bash(&step.command));
    let mut out = String::from(if bash_step.is_some() {
        "#!/bin/bash\n"
    } else {
        "#!/bin/sh\n"
    });
    out.push_str(&comment(&header(plan, "Install script"), "#"));
    if let Some(index) = bash_step {
        out.push_str(&comment(
            &[format!(
                "bash, not sh: step {} uses bash syntax (the rehearsal ran it in bash).",
                index + 1
            )],
            "#",
        ));
    }
    out.push_str("set -eu\n");
    for (index, step) in plan.steps.iter().enumerate() {
        out.push('\n');
        out.push_str(&comment(&step_comment(index + 1, step), "#"));
        let command = if bash_step.is_some() {
            step.command.clone()
        } else {
            posix_source(&step.command)
        };
        if sources_a_file(&command) || command.contains("source ") {
            // The file only exists once earlier steps ran; shellcheck cannot read it now.
            out.push_str("# shellcheck source=/dev/null\n");
        }
        out.push_str(&command);
        out.push('\n');
    }
    out.push_str("\n# Verification: every check must pass, or the script stops with its status.\n");
    for command in &plan.verification {
        out.push_str(&format!(
            "printf '%s\\n' {} >&2\n",
            shell::quote(&format!("verifying: {command}"))
        ));
        out.push_str(command);
        out.push('\n');
    }
    let product = plan.doc.name.as_deref().unwrap_or("the product");
    out.push_str(&format!(
        "printf '%s\\n' {} >&2\n",
        shell::quote(&format!("{product}: installed and verified"))
    ));
    out
}

/// Syntax that bash accepts and POSIX `sh` (dash) does not.
fn needs_bash(command: &str) -> bool {
    static BASH: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\bset\s+-o\s+pipefail\b|\[\[|<\(|\$'|^\s*function\s|\bdeclare\s|\bshopt\s|&>")
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    BASH.is_match(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_syntax_is_recognized() {
        assert!(needs_bash("set -o pipefail; curl -fsSL https://x | sh"));
        assert!(needs_bash("diff <(a) <(b)"));
        assert!(!needs_bash("apt-get install -y jq"));
        assert!(!needs_bash("curl -fsSL https://x | sh"));
    }
}
