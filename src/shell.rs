//! The one place that writes POSIX shell words (and, later, reads them: the tree-sitter parse
//! may move here).
//!
//! Commands the program builds — uninstall steps, repair fixes, exported scripts, the wrappers
//! that run a check in a login shell — put paths, names and whole commands into shell text.
//! Each of them used to carry its own copy of the single-quoting rule; a path with a `'` or a
//! space must mean the same thing everywhere, so the rule lives here once.
//!
//! Two forms, because some command text is shown to people and kept in records exactly as
//! written: [`quote`] leaves a word made only of safe characters bare (`/usr/bin/jq`), and
//! [`quote_always`] single-quotes every word (`'/usr/bin/jq'`). Both give the shell the same word.

/// `word` as one shell word: bare when every character is safe outside quotes
/// (`A-Z a-z 0-9 _ @ % + = : , . / -`), else single-quoted (an embedded `'` becomes `'\''`).
/// The empty word is `''`.
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_@%+=:,./-".contains(character));
    if safe {
        word.to_string()
    } else {
        quote_always(word)
    }
}

/// `word` as one single-quoted shell word, even when it needs no quotes (an embedded `'`
/// becomes `'\''`). For command text that people read and records keep in this exact form.
pub fn quote_always(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_word_is_two_quotes() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote_always(""), "''");
    }

    #[test]
    fn safe_words_stay_bare_unless_always_quoted() {
        for word in [
            "jq",
            "/usr/local/bin/widget",
            "a_b@c%d+e=f:g,h.i/j-k",
            "--index-url",
        ] {
            assert_eq!(quote(word), word);
            assert_eq!(quote_always(word), format!("'{word}'"));
        }
    }

    #[test]
    fn spaces_and_shell_characters_are_quoted() {
        assert_eq!(quote("/opt/my app"), "'/opt/my app'");
        for word in [
            "$HOME", "a;b", "a*", "~/x", "a|b", "a&b", "(x)", "a\\b", "\"x\"",
        ] {
            assert_eq!(quote(word), format!("'{word}'"), "{word}");
        }
    }

    #[test]
    fn single_quotes_close_escape_and_reopen() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("jq -n '1 + 1'"), r"'jq -n '\''1 + 1'\'''");
        assert_eq!(quote_always("'"), r"''\'''");
    }

    #[test]
    fn newlines_stay_inside_the_quotes() {
        assert_eq!(quote("a\nb"), "'a\nb'");
    }

    #[test]
    fn unicode_is_quoted_and_kept_whole() {
        assert_eq!(quote("café"), "'café'");
        assert_eq!(quote("/opt/日本"), "'/opt/日本'");
    }

    #[test]
    fn a_quoted_word_reads_back_as_itself() {
        for word in ["", "plain", "with space", "it's", "a\nb", "'''", "café $x"] {
            for quoted in [quote(word), quote_always(word)] {
                let output = std::process::Command::new("sh")
                    .args(["-c", &format!("printf %s {quoted}")])
                    .output()
                    .expect("sh runs");
                assert_eq!(String::from_utf8_lossy(&output.stdout), word, "{quoted}");
            }
        }
    }
}
