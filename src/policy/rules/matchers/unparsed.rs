//! Matchers of the rules whose class is `Unparsed`: words whose value is computed in a way the
//! parser cannot follow (`${X:0:1}`, `$IFS`, command substitutions in a program's name or a
//! destructive command's target), and lines that did not parse.

use super::destructive::recursive_rm;
use crate::policy::rules::invocation::{Context, Invocation};
use crate::policy::shell::Word;

/// Whether a word's value is computed in a way its text cannot follow: a command
/// substitution, a substring, pattern or indirect expansion (`${X:0:1}`, `${X%%usr*}`,
/// `${!X}`), or `$IFS`. Plain `$X`, `${X}` and the default forms (`${X:-y}`, `${X:?}`) are not:
/// other rules resolve or judge those.
pub fn computed(word: &Word) -> bool {
    !word.substitutions.is_empty()
        || uses_ifs(&word.text)
        || parameter_expansions(&word.text)
            .any(|(_, operator)| !matches!(operator, None | Some(':' | '-' | '=' | '+' | '?')))
        || substring_expansion(&word.text)
}

fn uses_ifs(text: &str) -> bool {
    text.contains("$IFS") || text.contains("${IFS")
}

/// `${NAME…}` expansions in `text`: the name and the character after it (`None` for `}`).
/// An indirect `${!NAME}` reports `Some('!')`.
fn parameter_expansions(text: &str) -> impl Iterator<Item = (&str, Option<char>)> {
    text.match_indices("${").map(move |(start, _)| {
        let rest = &text[start + 2..];
        if rest.starts_with('!') || rest.starts_with('#') {
            return (&rest[..0], Some('!'));
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let operator = rest[end..].chars().next().filter(|c| *c != '}');
        (&rest[..end], operator)
    })
}

/// `${X:0:1}`, `${X: -1}`, `${X:$n}`: a `:` not followed by one of the default operators.
fn substring_expansion(text: &str) -> bool {
    text.match_indices("${").any(|(start, _)| {
        let rest = &text[start + 2..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let mut after = rest[end..].chars();
        after.next() == Some(':') && !matches!(after.next(), Some('-' | '=' | '+' | '?'))
    })
}

/// Programs whose target decides whether they destroy data.
const TARGETED_DESTRUCTIVE: &[&str] = &[
    "rm", "mv", "rsync", "chmod", "chown", "chgrp", "dd", "shred", "truncate", "wipefs", "find",
];

pub fn computed_word(invocation: &Invocation) -> Option<String> {
    let command = invocation.command;
    if let Some(word) = command.program_word()
        && (computed(word) || word.text.contains('{') && word.text.contains(','))
    {
        return Some(format!(
            "the program `{}` is only known at run time",
            word.text
        ));
    }
    if let Some(word) = command.words.iter().find(|word| uses_ifs(&word.text)) {
        return Some(format!(
            "`{}` splits on `$IFS` to hide its words",
            word.text
        ));
    }
    if invocation.is(TARGETED_DESTRUCTIVE)
        && !recursive_rm(invocation)
        && !invocation.is(&["rm"])
        && let Some(word) = invocation.arguments.iter().find(|word| {
            computed(word) && !word.substitutions.is_empty()
                || parameter_expansions(&word.text).any(|(_, operator)| {
                    matches!(operator, Some('%' | '#' | '/' | '^' | ',' | '@' | '!'))
                })
                || substring_expansion(&word.text)
        })
    {
        return Some(format!(
            "`{}` takes a target only known at run time: `{}`",
            invocation.program.as_deref().unwrap_or("it"),
            word.text
        ));
    }
    None
}

pub fn could_not_parse(context: &Context) -> Option<String> {
    (!context.script.problems.is_empty()).then(|| context.script.problems.join("; "))
}
