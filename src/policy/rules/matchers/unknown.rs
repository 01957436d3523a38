//! Matchers of the rules whose class is `Unknown` other than the fallback: inline code given to
//! a scripting language, which the policy cannot read as commands.

use super::interpreter_one_liner;
use crate::policy::rules::invocation::Invocation;

pub fn run_interpreter_code(invocation: &Invocation) -> Option<String> {
    let code = interpreter_one_liner(invocation)?;
    let shown: String = code.chars().take(60).collect();
    Some(format!(
        "`{}` runs the inline code `{shown}`",
        invocation
            .command
            .program_name()
            .unwrap_or("an interpreter")
    ))
}
