//! Matchers of the rules whose class is `ReadOnly`: a bare `--version`/`--help` query, and a
//! line with no command at all. (Programs that only read are recognised by a verb table in
//! the rule table itself.)

use crate::policy::rules::invocation::{Context, Invocation};

pub fn version_query(invocation: &Invocation) -> Option<String> {
    invocation
        .version_query()
        .then(|| format!("`{}`", invocation.command.text.trim()))
}

pub fn no_command(context: &Context) -> Option<String> {
    let script = context.script;
    (script.problems.is_empty()
        && script
            .commands
            .iter()
            .all(|command| command.program.is_none() && command.wrappers.is_empty()))
    .then(|| "nothing to run".to_string())
}
