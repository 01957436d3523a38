//! Redaction of secrets in text bound for transcripts, reports and terminals (DESIGN §3: secrets
//! never reach them).
//!
//! Two nets, because either alone misses things. Values of environment variables whose names say
//! they hold secrets (`OPENAI_API_KEY`, `GITHUB_TOKEN`, `DB_PASSWORD`, …) are replaced wherever
//! they appear, whatever their shape. Strings shaped like well-known credentials (`sk-…`,
//! `ghp_…`, `AKIA…`, private key blocks, `Authorization:` headers) are replaced even when they
//! came from somewhere else, such as a command's output.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// Values shorter than this are not redacted by value: replacing every `1` or `yes` in a
/// transcript would make it unreadable and protects nothing.
const MINIMUM_SECRET_LENGTH: usize = 6;

/// Whether an environment variable's name says it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    const SUFFIXES: &[&str] = &[
        "_API_KEY",
        "_APIKEY",
        "_TOKEN",
        "_SECRET",
        "_PAT",
        "_ACCESS_KEY",
    ];
    const PARTS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH_TOKEN",
        "API_KEY",
    ];
    SUFFIXES.iter().any(|suffix| upper.ends_with(suffix))
        || PARTS.iter().any(|part| upper.contains(part))
        || matches!(upper.as_str(), "TOKEN" | "APIKEY" | "API_KEY" | "PASSWORD")
}

/// Credential shapes recognised in any text. Each alternative is anchored on a distinctive
/// prefix so ordinary words are left alone.
static SHAPES: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = [
        // Private key blocks (PEM).
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
        // OpenAI, Anthropic and compatible keys.
        r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_\-]{20,}",
        // GitHub tokens.
        r"\bgh[pousr]_[A-Za-z0-9]{30,}",
        r"\bgithub_pat_[A-Za-z0-9_]{30,}",
        // GitLab, npm, Slack, Google, Hugging Face, PyPI.
        r"\bglpat-[A-Za-z0-9_\-]{20,}",
        r"\bnpm_[A-Za-z0-9]{30,}",
        r"\bxox[abprs]-[A-Za-z0-9\-]{10,}",
        r"\bAIza[0-9A-Za-z_\-]{35}",
        r"\bhf_[A-Za-z0-9]{30,}",
        r"\bpypi-[A-Za-z0-9_\-]{40,}",
        // AWS access key ids.
        r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    ]
    .join("|");
    // Invariant: the pattern is a constant that the tests below compile, so it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(&pattern).expect("the credential patterns are valid")
});

/// `Authorization: Bearer x`, `Authorization: token x`: the header name is kept, the value goes.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    // Invariant: the pattern is a constant that the tests below compile, so it cannot fail.
    #[allow(clippy::expect_used)]
    Regex::new(r"(?i)(authorization:\s*(?:bearer|token|basic)\s+)[^\s'\x22]+")
        .expect("the authorization pattern is valid")
});

/// Replaces secrets in text. Build it once per run from the environment the run sees.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// (name, value) of secret variables, longest value first so a value that contains another
    /// is replaced whole.
    values: Vec<(String, String)>,
}

impl Redactor {
    /// A redactor that knows the values of the secret-named variables among `variables`.
    pub fn from_env<I, K, V>(variables: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut values: Vec<(String, String)> = variables
            .into_iter()
            .filter(|(name, value)| {
                is_secret_name(name.as_ref()) && value.as_ref().len() >= MINIMUM_SECRET_LENGTH
            })
            .map(|(name, value)| (name.as_ref().to_string(), value.as_ref().to_string()))
            .collect();
        values.sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
        values.dedup_by(|left, right| left.1 == right.1);
        Redactor { values }
    }

    /// Add one more secret value (a key passed on the command line, say) under `name`.
    pub fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let value = value.into();
        if value.len() < MINIMUM_SECRET_LENGTH || self.values.iter().any(|(_, v)| *v == value) {
            return;
        }
        self.values.push((name.into(), value));
        self.values
            .sort_by_key(|(_, value)| std::cmp::Reverse(value.len()));
    }

    /// `text` with every known secret value and every credential-shaped string replaced by
    /// `[REDACTED:NAME]` or `[REDACTED]`. Borrows when there was nothing to replace.
    pub fn redact<'text>(&self, text: &'text str) -> Cow<'text, str> {
        let mut result = Cow::Borrowed(text);
        for (name, value) in &self.values {
            if result.contains(value.as_str()) {
                result = Cow::Owned(result.replace(value.as_str(), &format!("[REDACTED:{name}]")));
            }
        }
        if let Cow::Owned(replaced) = replace_all(&AUTHORIZATION, &result, "${1}[REDACTED]") {
            result = Cow::Owned(replaced);
        }
        if let Cow::Owned(replaced) = replace_all(&SHAPES, &result, "[REDACTED]") {
            result = Cow::Owned(replaced);
        }
        result
    }
}

fn replace_all<'text>(pattern: &Regex, text: &'text str, replacement: &str) -> Cow<'text, str> {
    pattern.replace_all(text, replacement)
}

/// Redact credential shapes only (no known values): for text produced where no environment is
/// at hand.
pub fn redact_shapes(text: &str) -> Cow<'_, str> {
    Redactor::default().redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for name in [
            "OPENAI_API_KEY",
            "ANTHROPIC_API_KEY",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "DB_PASSWORD",
            "client_secret",
            "GITLAB_PAT",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PATH",
            "HOME",
            "TERM",
            "TOKENIZERS_PARALLELISM",
            "SSH_AUTH_SOCK",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn values_from_the_environment_are_replaced() {
        let redactor = Redactor::from_env([
            ("OPENAI_API_KEY", "not-shaped-like-a-key-123"),
            ("PATH", "/usr/bin:/bin"),
            ("SHORT_TOKEN", "abc"),
        ]);
        let text = "using not-shaped-like-a-key-123 on /usr/bin:/bin with abc";
        assert_eq!(
            redactor.redact(text),
            "using [REDACTED:OPENAI_API_KEY] on /usr/bin:/bin with abc"
        );
    }

    #[test]
    fn credential_shapes_are_replaced() {
        let redactor = Redactor::default();
        let cases = [
            (
                "key sk-proj-abcdefghijklmnopqrstuvwxyz012345",
                "key [REDACTED]",
            ),
            ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]"),
            ("id=AKIAABCDEFGHIJKLMNOP;", "id=[REDACTED];"),
            (
                "-H 'Authorization: Bearer abc.def.ghi' x",
                "-H 'Authorization: Bearer [REDACTED]' x",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
                "[REDACTED]",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(redactor.redact(input), expected, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_borrowed() {
        let text = "task-runner disk-usage sk-learn AKIA";
        assert!(matches!(redact_shapes(text), Cow::Borrowed(_)));
    }
}
