//! The `+++` TOML front matter at the top of a doc (catalog entries carry one; other docs may):
//! what it holds, how it is split off while keeping line numbers true, and warnings for keys
//! this program does not read.

/// Front matter of a doc (catalog entries carry one; other docs may).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FrontMatter {
    pub name: Option<String>,
    pub homepage: Option<String>,
    #[serde(default)]
    pub verify: Vec<String>,
}

impl FrontMatter {
    /// The keys this program reads; others draw a warning (a typo would otherwise be silent).
    const KNOWN_KEYS: &'static [&'static str] = &["name", "homepage", "verify"];
}

/// A front matter that could not be read: the source line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontMatterError {
    pub line: usize,
    pub message: String,
}

const FRONT_MATTER_DELIMITER: &str = "+++";

/// Splits a `+++` TOML front matter off the top of `text`: returns it (if any), the rest of
/// the text, and the 1-based line number where the rest starts.
pub fn split_front_matter(
    text: &str,
) -> Result<(Option<FrontMatter>, &str, usize), FrontMatterError> {
    let mut lines = text.split_inclusive('\n');
    let is_delimiter = |line: &str| line.trim_end() == FRONT_MATTER_DELIMITER;
    match lines.next() {
        Some(first) if is_delimiter(first) => {}
        _ => return Ok((None, text, 1)),
    }
    let content_start = text.len() - lines.clone().map(str::len).sum::<usize>();
    let mut offset = content_start;
    let mut line_number = 1;
    for line in lines {
        line_number += 1;
        if is_delimiter(line) {
            let content = &text[content_start..offset];
            let front_matter = toml::from_str::<FrontMatter>(content).map_err(|error| {
                let error_line = error.span().map_or(0, |span| {
                    content[..span.start.min(content.len())]
                        .matches('\n')
                        .count()
                });
                FrontMatterError {
                    line: 2 + error_line,
                    message: error.message().trim().to_string(),
                }
            })?;
            let rest = &text[offset + line.len()..];
            return Ok((Some(front_matter), rest, line_number + 1));
        }
        offset += line.len();
    }
    Err(FrontMatterError {
        line: 1,
        message: format!(
            "the front matter opened here is never closed by a `{FRONT_MATTER_DELIMITER}` line"
        ),
    })
}

/// Warnings for front-matter keys this program does not read.
pub(super) fn unknown_front_matter_keys(text: &str, source_name: &str) -> Vec<String> {
    let content: String = text
        .split_inclusive('\n')
        .skip(1)
        .take_while(|line| line.trim_end() != FRONT_MATTER_DELIMITER)
        .collect();
    let Ok(table) = toml::from_str::<toml::Table>(&content) else {
        return Vec::new();
    };
    table
        .keys()
        .filter(|key| !FrontMatter::KNOWN_KEYS.contains(&key.as_str()))
        .map(|key| {
            format!(
                "front matter key `{key}` in `{source_name}` is not used (known keys: {})",
                FrontMatter::KNOWN_KEYS.join(", ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_is_parsed_and_removed_keeping_line_numbers() {
        let text = "+++\nname = \"jq\"\nverify = [\"jq --version\"]\n+++\n# jq\n";
        let (front_matter, body, first_line) = split_front_matter(text).expect("valid");
        let front_matter = front_matter.expect("present");
        assert_eq!(front_matter.name.as_deref(), Some("jq"));
        assert_eq!(front_matter.verify, ["jq --version"]);
        assert_eq!(body, "# jq\n");
        assert_eq!(first_line, 5);
    }

    #[test]
    fn text_without_front_matter_starts_at_line_one() {
        let (front_matter, body, first_line) = split_front_matter("# Title\n+++\n").expect("valid");
        assert_eq!(front_matter, None);
        assert_eq!(body, "# Title\n+++\n");
        assert_eq!(first_line, 1);
    }

    #[test]
    fn malformed_front_matter_names_its_line() {
        let error = split_front_matter("+++\nname = \"x\"\nverify = \"not a list\"\n+++\nbody")
            .expect_err("bad type");
        assert_eq!(error.line, 3, "{error:?}");
        let error = split_front_matter("+++\nname = \"x\"\nthis is not toml\n+++\n")
            .expect_err("bad syntax");
        assert_eq!(error.line, 3, "{error:?}");
        let error = split_front_matter("+++\nname = \"x\"\n# body").expect_err("unclosed");
        assert_eq!(error.line, 1);
        assert!(error.message.contains("never closed"), "{error:?}");
    }
}
