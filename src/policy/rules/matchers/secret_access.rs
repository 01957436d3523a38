//! Matchers of the rules whose class is `SecretAccess`: secret files (`~/.ssh`, `~/.aws`,
//! `/etc/shadow`), secret-looking variables, environment dumps and credential stores. The
//! exfiltration matchers reuse these to tell whether what a command sends is a secret.

use crate::policy::paths;
use crate::policy::redact::is_secret_name;
use crate::policy::rules::invocation::Invocation;
use crate::policy::shell::{self, CodeInput, Language, Word};

/// Programs that touch a path without reading what is in it.
const NON_READING: &[&str] = &[
    "mkdir", "chmod", "chown", "chgrp", "touch", "test", "[", "ls", "stat", "cd",
];

pub fn secret_file(invocation: &Invocation) -> Option<String> {
    if invocation.is(NON_READING) {
        return None;
    }
    let command = invocation.command;
    let mut words: Vec<&Word> = invocation.arguments.iter().collect();
    for redirect in &command.redirects {
        words.push(&redirect.target);
    }
    if let Some(herestring) = &command.herestring {
        words.push(herestring);
    }
    for word in words {
        let text = word.text.as_str();
        let candidates = [
            Some(text),
            text.split_once('=').map(|(_, value)| value),
            text.split_once('@').map(|(_, value)| value),
            text.split_once('<').map(|(_, value)| value),
        ];
        for candidate in candidates.into_iter().flatten() {
            if let Some(what) = paths::secret_location(&invocation.resolve_path(candidate)) {
                return Some(format!("{what} (`{text}`)"));
            }
        }
    }
    // Code for another language, given inline or in a heredoc, is only text to us.
    if let Some((Language::Other, input)) = shell::code_input(command) {
        let code = match input {
            CodeInput::Arguments(indices) => indices
                .iter()
                .filter_map(|&index| command.words.get(index))
                .map(|word| word.text.clone())
                .collect::<Vec<_>>()
                .join(" "),
            CodeInput::Stdin => command
                .heredoc
                .as_ref()
                .map(|heredoc| heredoc.body.clone())
                .unwrap_or_default(),
            CodeInput::ScriptFile(_) => String::new(),
        };
        if let Some(what) = paths::text_mentions_secret(&code) {
            return Some(format!("{what}, named in inline code"));
        }
    }
    None
}

/// A secret variable the command reads, unless the user passed it in by name.
pub fn read_secret_variable(invocation: &Invocation) -> Option<String> {
    secret_variables(invocation)
        .into_iter()
        .find(|name| !invocation.context.passed_variables.contains(name))
        .map(|name| format!("`${name}`"))
}

pub fn secret_variable(invocation: &Invocation) -> Option<String> {
    secret_variables(invocation)
        .into_iter()
        .next()
        .map(|name| format!("`${name}`"))
}

fn secret_variables<'a>(invocation: &Invocation<'a>) -> Vec<&'a String> {
    let command = invocation.command;
    let mut variables: Vec<&String> = command
        .words
        .iter()
        .flat_map(|word| &word.variables)
        .collect();
    variables.extend(
        command
            .assignments
            .iter()
            .flat_map(|(_, value)| &value.variables),
    );
    variables.extend(
        command
            .redirects
            .iter()
            .flat_map(|redirect| &redirect.target.variables),
    );
    if let Some(herestring) = &command.herestring {
        variables.extend(&herestring.variables);
    }
    if let Some(heredoc) = &command.heredoc {
        variables.extend(&heredoc.variables);
    }
    variables.retain(|name| is_secret_name(name));
    variables
}

pub fn environment_dump(invocation: &Invocation) -> Option<String> {
    let command = invocation.command;
    if command.program.is_none() && command.wrappers.last().map(String::as_str) == Some("env") {
        return Some("`env` with no command prints every variable".to_string());
    }
    let program = invocation.program.as_deref()?;
    let texts: Vec<&str> = invocation.texts().collect();
    let dumps = match program {
        "printenv" => {
            texts.iter().all(|text| text.starts_with('-'))
                || texts.iter().any(|text| is_secret_name(text))
        }
        "set" => texts.is_empty(),
        // Bare, or with only listing flags: `export`, `export -p`, `declare -x`.
        "export" | "declare" | "typeset" => texts
            .iter()
            .all(|text| matches!(*text, "-p" | "-x" | "-px" | "-xp")),
        "compgen" => texts.iter().any(|text| matches!(*text, "-v" | "-e")),
        _ => false,
    };
    dumps.then(|| format!("`{}` prints the environment", command.text.trim()))
}

pub fn credential_store(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    let verb = invocation.verb();
    let texts: Vec<&str> = invocation.texts().collect();
    let reads = match program {
        "gpg" | "gpg2" => {
            invocation.has_flag(None, &["--export-secret-keys", "--export-secret-subkeys"])
        }
        "security" => matches!(
            verb,
            Some("find-generic-password" | "find-internet-password" | "dump-keychain" | "export")
        ),
        "secret-tool" => matches!(verb, Some("lookup" | "search")),
        "keyctl" => matches!(verb, Some("print" | "read" | "pipe")),
        "pass" => !matches!(
            verb,
            None | Some(
                "ls" | "list"
                    | "init"
                    | "git"
                    | "insert"
                    | "generate"
                    | "edit"
                    | "rm"
                    | "mv"
                    | "cp"
                    | "find"
                    | "grep"
            )
        ),
        "aws" => {
            texts.windows(2).any(|pair| {
                pair[0] == "configure" && matches!(pair[1], "get" | "export-credentials")
            }) || texts
                .windows(2)
                .any(|pair| pair[0] == "sts" && pair[1] == "get-session-token")
        }
        "gh" => texts.windows(2).any(|pair| pair == ["auth", "token"]),
        "gcloud" => texts
            .iter()
            .any(|text| matches!(*text, "print-access-token" | "print-identity-token")),
        "az" => texts.contains(&"get-access-token"),
        "kubectl" => {
            texts.windows(2).any(|pair| pair == ["config", "view"]) && texts.contains(&"--raw")
        }
        "git" => texts.windows(2).any(|pair| pair == ["credential", "fill"]),
        "op" => {
            matches!(verb, Some("read")) || texts.windows(2).any(|pair| pair == ["item", "get"])
        }
        "bw" | "lpass" => matches!(verb, Some("get" | "show" | "export")),
        _ => program.starts_with("docker-credential-") && verb == Some("get"),
    };
    reads.then(|| format!("`{}`", invocation.command.text.trim()))
}
