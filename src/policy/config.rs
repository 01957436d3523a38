//! The policy file (`--policy FILE`): the user's overrides of the built-in policy, in TOML.
//!
//! ```toml
//! [sandbox]
//! pipe-to-shell = "allow"        # any class name, "allow" | "ask" | "deny"
//!
//! [host]
//! package-install = "allow"
//!
//! [commands]
//! allow = ["sudo apt-get install *", "curl -fsSL https://sh.rustup.rs"]
//! deny = ["docker *"]
//!
//! [network]
//! allow = ["files.example.com", "*.example.org", "127.0.0.1:8080"]
//! deny = ["uploads.example.com"]
//! ```
//!
//! Patterns are globs (`*` any text, `?` one character) matched against one simple command at a
//! time, as written or with quotes removed. An allow pattern only turns "ask" into "allow"; it
//! never lifts a "deny" (change the class decision for that, on purpose). Mistakes are errors that
//! name the line, never silently ignored: a typo in a policy file must not loosen or tighten it
//! unnoticed. The caller reads the file; this module only parses text.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::shell::SimpleCommand;
use super::{Decision, RiskClass, Target};

/// A policy file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line of the problem, when known.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(formatter, "policy file, line {line}: {}", self.message),
            None => write!(formatter, "policy file: {}", self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// A command pattern from the policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
}

impl Pattern {
    /// A pattern; `*` matches any text (spaces included), `?` one character.
    pub fn new(text: impl Into<String>) -> Self {
        Pattern { text: text.into() }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the pattern matches this text as a whole.
    pub fn matches_text(&self, text: &str) -> bool {
        super::paths::wildcard_matches(&self.text, text, false)
    }

    /// Whether the pattern matches a simple command, as written or with its quotes removed.
    pub fn matches_command(&self, command: &SimpleCommand) -> bool {
        let unquoted: Vec<&str> = command
            .words
            .iter()
            .map(|word| word.text.as_str())
            .collect();
        self.matches_text(command.text.trim()) || self.matches_text(&unquoted.join(" "))
    }
}

/// What a policy file changes.
#[derive(Debug, Default)]
pub(super) struct Overrides {
    pub decisions: Vec<(RiskClass, Target, Decision)>,
    pub allow: Vec<Pattern>,
    pub deny: Vec<Pattern>,
    /// Hosts the egress fence lets through besides the defaults, and hosts it never does.
    pub network_allow: Vec<String>,
    pub network_deny: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    sandbox: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    host: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    commands: AllowDeny,
    #[serde(default)]
    network: AllowDeny,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowDeny {
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
}

pub(super) fn parse(text: &str) -> Result<Overrides, ConfigError> {
    let file: File = toml::from_str(text).map_err(|error| ConfigError {
        line: error.span().map(|span| line_of(text, span.start)),
        message: error.message().trim().to_string(),
    })?;
    let mut overrides = Overrides::default();
    for (target, table) in [(Target::Sandbox, &file.sandbox), (Target::Host, &file.host)] {
        for (class_name, decision_name) in table {
            let class = RiskClass::from_name(class_name.get_ref()).ok_or_else(|| ConfigError {
                line: Some(line_of(text, class_name.span().start)),
                message: format!(
                    "unknown risk class `{}` in [{}]; known classes: {}",
                    class_name.get_ref(),
                    target.name(),
                    RiskClass::ALL.map(RiskClass::name).join(", ")
                ),
            })?;
            let decision =
                Decision::from_name(decision_name.get_ref()).ok_or_else(|| ConfigError {
                    line: Some(line_of(text, decision_name.span().start)),
                    message: format!(
                        "unknown decision `{}` for {}; use \"allow\", \"ask\" or \"deny\"",
                        decision_name.get_ref(),
                        class.name()
                    ),
                })?;
            overrides.decisions.push((class, target, decision));
        }
    }
    overrides.allow = patterns(text, &file.commands.allow)?;
    overrides.deny = patterns(text, &file.commands.deny)?;
    overrides.network_allow = hosts(text, &file.network.allow)?;
    overrides.network_deny = hosts(text, &file.network.deny)?;
    Ok(overrides)
}

fn patterns(text: &str, entries: &[Spanned<String>]) -> Result<Vec<Pattern>, ConfigError> {
    entries
        .iter()
        .map(|entry| {
            let pattern = entry.get_ref().trim();
            if pattern.is_empty() || pattern.chars().all(|c| c == '*') {
                return Err(ConfigError {
                    line: Some(line_of(text, entry.span().start)),
                    message: format!(
                        "the pattern `{}` matches every command; name the commands it is for",
                        entry.get_ref()
                    ),
                });
            }
            Ok(Pattern::new(pattern))
        })
        .collect()
}

/// `[network]` entries: `host`, `*.domain`, either with `:port`. Anything else (a URL, a bare
/// `*`, a path) is a mistake to point at, not a pattern to guess about.
fn hosts(text: &str, entries: &[Spanned<String>]) -> Result<Vec<String>, ConfigError> {
    entries
        .iter()
        .map(|entry| {
            let host = entry.get_ref().trim().to_ascii_lowercase();
            let name = host
                .rsplit_once(':')
                .filter(|(_, port)| port.parse::<u16>().is_ok())
                .map_or(host.as_str(), |(name, _)| name);
            let name = name.strip_prefix("*.").unwrap_or(name);
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
            if !valid {
                return Err(ConfigError {
                    line: Some(line_of(text, entry.span().start)),
                    message: format!(
                        "`{}` in [network] is not a host; write `host`, `*.domain` or `host:port`",
                        entry.get_ref()
                    ),
                });
            }
            Ok(host)
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|byte| **byte == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers() {
        let text = "a = 1\nb = 2\nc = 3";
        assert_eq!(line_of(text, 0), 1);
        assert_eq!(line_of(text, 6), 2);
        assert_eq!(line_of(text, 14), 3);
        assert_eq!(line_of(text, 999), 3);
    }

    #[test]
    fn network_hosts_are_checked() {
        let overrides = parse(
            "[network]\nallow = [\"Files.Example.com\", \"*.example.org\", \"127.0.0.1:8080\"]\ndeny = [\"up.example.com\"]\n",
        )
        .expect("valid");
        assert_eq!(
            overrides.network_allow,
            ["files.example.com", "*.example.org", "127.0.0.1:8080"]
        );
        assert_eq!(overrides.network_deny, ["up.example.com"]);
        for bad in ["\"https://x.example/\"", "\"*\"", "\"\""] {
            let error = parse(&format!("[network]\n\nallow = [{bad}]\n")).unwrap_err();
            assert_eq!(error.line, Some(3), "{bad}: {error}");
        }
    }
}
