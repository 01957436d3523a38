//! Turning the shapes real install docs come in into the Markdown the walker reads.
//!
//! Projects publish install instructions as reStructuredText, as YAML data files of a site
//! generator, as Markdown full of HTML tables, MkDocs tabs and admonitions, or Hugo
//! shortcodes. Each of these hides commands from a plain Markdown parser, or worse, shows prose
//! to it as code (an admonition's body is indented four spaces: an indented code block). This
//! pass rewrites those constructs into plain Markdown **line for line**: every input line
//! becomes exactly one output line (lines a construct consumes become blank), so the
//! `file:line` citations of plans and reports still point into the original file. Only a
//! fence closing a block at the very end of the text is appended after the last line.

use std::collections::HashMap;

/// The source format of a doc's text, from its name and its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Markdown,
    /// reStructuredText (Sphinx docs, `.rst`).
    Rst,
    /// A YAML data file whose block scalars hold Markdown (a site generator's download page).
    Yaml,
}

/// Guesses the format: the file name's extension first, then the content.
pub(crate) fn detect(name: &str, text: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".rst") || lower.ends_with(".rest") {
        return Format::Rst;
    }
    if lower.ends_with(".yml") || lower.ends_with(".yaml") {
        return Format::Yaml;
    }
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        return Format::Markdown;
    }
    let directives = text
        .lines()
        .filter(|line| {
            let trimmed = line.trim_start();
            trimmed.starts_with(".. code-block::")
                || trimmed.starts_with(".. code::")
                || trimmed.starts_with(".. note::")
        })
        .count();
    if directives > 0 {
        Format::Rst
    } else {
        Format::Markdown
    }
}

/// The doc as Markdown with the same line numbering.
pub(crate) fn to_markdown(text: &str, format: Format) -> String {
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let lines = match format {
        Format::Markdown => lines,
        Format::Rst => rst(&lines),
        Format::Yaml => yaml(&lines),
    };
    let lines = mkdocs(&lines);
    let lines = hugo(&lines);
    let lines = html_in_markdown(&lines);
    lines.join("\n")
}

/// Leading spaces of a line (a tab counts as four, as Markdown reads it).
fn indent_of(line: &str) -> usize {
    let mut width = 0;
    for c in line.chars() {
        match c {
            ' ' => width += 1,
            '\t' => width += 4 - width % 4,
            _ => break,
        }
    }
    width
}

/// Removes up to `width` columns of indentation.
fn dedent(line: &str, width: usize) -> String {
    let mut removed = 0;
    let mut rest = line;
    while removed < width {
        match rest.chars().next() {
            Some(' ') => {
                removed += 1;
                rest = &rest[1..];
            }
            Some('\t') => {
                removed += 4 - removed % 4;
                rest = &rest[1..];
            }
            _ => break,
        }
    }
    rest.to_string()
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Whether `line` opens or closes a fenced code block, and with which fence.
fn fence_of(line: &str) -> Option<&str> {
    let trimmed = line.trim_start();
    ["```", "~~~"]
        .into_iter()
        .find(|fence| trimmed.starts_with(fence))
}

// ----- YAML -----------------------------------------------------------------------------------

/// Keeps the bodies of YAML block scalars (`key: |`), dedented; every other line goes blank.
/// A download page's prose and commands live in such blocks; the keys around them are data.
fn yaml(lines: &[String]) -> Vec<String> {
    let mut out = vec![String::new(); lines.len()];
    let mut index = 0;
    while index < lines.len() {
        let line = &lines[index];
        let trimmed = line.trim_end();
        let key_indent = indent_of(line);
        let opens_block = trimmed.ends_with(": |")
            || trimmed.ends_with(": >")
            || trimmed.ends_with(": |-")
            || trimmed.ends_with(": >-");
        if let Some(value) = trimmed.split_once(": ").map(|(_, value)| value.trim())
            && !opens_block
            && trimmed.trim_start().starts_with("headline")
        {
            // A page's headline is its title.
            out[index] = format!("# {}", value.trim_matches(['"', '\'']));
        }
        index += 1;
        if !opens_block {
            continue;
        }
        let start = index;
        let body_indent = lines[start..]
            .iter()
            .find(|line| !is_blank(line))
            .map(|line| indent_of(line))
            .unwrap_or(0);
        if body_indent <= key_indent {
            continue;
        }
        while index < lines.len()
            && (is_blank(&lines[index]) || indent_of(&lines[index]) >= body_indent)
        {
            out[index] = dedent(&lines[index], body_indent);
            index += 1;
        }
    }
    out
}

// ----- reStructuredText -----------------------------------------------------------------------

const RST_ADORNMENTS: &str = "=-~^*#+\"'`:._";

/// Whether a line is a section adornment (`=====`, `-----`, ...).
fn adornment(line: &str) -> Option<char> {
    let trimmed = line.trim_end();
    let first = trimmed.chars().next()?;
    (trimmed.len() >= 3 && RST_ADORNMENTS.contains(first) && trimmed.chars().all(|c| c == first))
        .then_some(first)
}

/// reStructuredText to Markdown: titles, code-block directives and `::` literal blocks as
/// fenced code, admonitions and tabs as prose or headings, inline literals and links.
fn rst(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec![String::new(); lines.len()];
    let mut levels: Vec<(char, bool)> = Vec::new();
    let mut appended_fence = false;
    let mut index = 0;
    let mut last_level = 1;
    while index < lines.len() {
        let line = &lines[index];
        // A title: text with an underline (and maybe an overline) of one punctuation char.
        if !is_blank(line)
            && adornment(line).is_none()
            && index + 1 < lines.len()
            && let Some(under) = adornment(&lines[index + 1])
            && lines[index + 1].trim_end().len() >= line.trim().len()
        {
            let over = index > 0 && adornment(&lines[index - 1]) == Some(under);
            let style = (under, over);
            let level = match levels.iter().position(|known| *known == style) {
                Some(position) => position + 1,
                None => {
                    levels.push(style);
                    levels.len()
                }
            };
            last_level = level.min(6);
            out[index] = format!("{} {}", "#".repeat(last_level), line.trim());
            if over {
                out[index - 1] = String::new();
            }
            out[index + 1] = String::new();
            index += 2;
            continue;
        }
        let trimmed = line.trim_start();
        let indent = indent_of(line);
        if let Some(directive) = trimmed.strip_prefix(".. ") {
            let (name, argument) = match directive.split_once("::") {
                Some((name, argument)) => (name.trim().to_ascii_lowercase(), argument.trim()),
                None => {
                    // A comment or a link target: drop it and its indented body.
                    index = skip_body(lines, index + 1, indent, &mut out);
                    continue;
                }
            };
            let body_start = index + 1;
            match name.as_str() {
                "code-block" | "code" | "sourcecode" | "prompt" => {
                    let language = if name == "prompt" {
                        "console".to_string()
                    } else {
                        argument.split_whitespace().next().unwrap_or("").to_string()
                    };
                    let (end, body_indent) = body_extent(lines, body_start, indent);
                    out[index] = format!("{}```{language}", " ".repeat(indent));
                    for (offset, body) in lines[body_start..end].iter().enumerate() {
                        let trimmed = body.trim_start();
                        // Directive options (`:caption: ...`) come before the code.
                        let option = trimmed.starts_with(':')
                            && out[body_start..body_start + offset]
                                .iter()
                                .all(|line| line.is_empty());
                        out[body_start + offset] = if option || is_blank(body) {
                            String::new()
                        } else {
                            format!("{}{}", " ".repeat(indent), dedent(body, body_indent))
                        };
                    }
                    // Close the fence on the block's last blank line; a block that runs into the
                    // next paragraph (invalid, but seen) or the end of the text gets its own line.
                    match last_blank(lines, body_start, end) {
                        Some(line) => out[line] = format!("{}```", " ".repeat(indent)),
                        None if end < lines.len() => out[end - 1].push_str("\n```"),
                        None => appended_fence = true,
                    }
                    index = end;
                    continue;
                }
                "tab" | "group-tab" | "code-tab" => {
                    out[index] = format!("{} {argument}", "#".repeat((last_level + 1).min(6)));
                    index = keep_body(lines, body_start, indent, &mut out);
                    continue;
                }
                "note" | "warning" | "tip" | "important" | "hint" | "attention" | "caution"
                | "danger" | "seealso" | "admonition" | "versionadded" | "versionchanged"
                | "deprecated" | "tabs" | "only" | "container" | "rubric" => {
                    out[index] = argument.to_string();
                    index = keep_body(lines, body_start, indent, &mut out);
                    continue;
                }
                _ => {
                    index = skip_body(lines, body_start, indent, &mut out);
                    continue;
                }
            }
        }
        // A paragraph ending in `::` introduces a literal block.
        if trimmed.trim_end().ends_with("::") && !is_blank(line) {
            let text = trimmed.trim_end();
            let text = text.strip_suffix("::").unwrap_or(text);
            let text = if text.ends_with(' ') || text.is_empty() {
                text.trim_end().to_string()
            } else {
                format!("{text}:")
            };
            out[index] = format!("{}{}", " ".repeat(indent), rst_inline(&text));
            let (end, body_indent) = body_extent(lines, index + 1, indent);
            if end > index + 1 && body_indent > indent {
                // The blank line after the paragraph opens the fence; the last blank closes it.
                if let Some(first_blank) = (index + 1..end).find(|&line| is_blank(&lines[line])) {
                    out[first_blank] = format!("{}```", " ".repeat(indent));
                    for line in first_blank + 1..end {
                        out[line] = if is_blank(&lines[line]) {
                            String::new()
                        } else {
                            format!(
                                "{}{}",
                                " ".repeat(indent),
                                dedent(&lines[line], body_indent)
                            )
                        };
                    }
                    match last_blank(lines, first_blank + 1, end) {
                        Some(line) => out[line] = format!("{}```", " ".repeat(indent)),
                        None => appended_fence = true,
                    }
                    index = end;
                    continue;
                }
            }
            index += 1;
            continue;
        }
        out[index] = rst_inline(line);
        index += 1;
    }
    if appended_fence {
        out.push("```".to_string());
    }
    out
}

/// Where an indented body that starts at `start` ends (exclusive), and its indentation.
fn body_extent(lines: &[String], start: usize, parent_indent: usize) -> (usize, usize) {
    let mut body_indent = usize::MAX;
    let mut end = start;
    let mut index = start;
    while index < lines.len() {
        let line = &lines[index];
        if is_blank(line) {
            index += 1;
            continue;
        }
        let indent = indent_of(line);
        if indent <= parent_indent {
            break;
        }
        body_indent = body_indent.min(indent);
        index += 1;
        end = index;
    }
    // Trailing blank lines belong to the body, so a fence can close on one.
    while end < lines.len() && is_blank(&lines[end]) {
        end += 1;
    }
    (
        end.max(start),
        if body_indent == usize::MAX {
            parent_indent + 3
        } else {
            body_indent
        },
    )
}

fn last_blank(lines: &[String], start: usize, end: usize) -> Option<usize> {
    (start..end)
        .rev()
        .find(|&line| is_blank(&lines[line]))
        .filter(|&line| {
            // Only a blank line after the body's text can close it.
            (start..line).any(|before| !is_blank(&lines[before]))
        })
}

/// Blanks a directive's body (`.. image::` options, comments).
fn skip_body(lines: &[String], start: usize, parent_indent: usize, out: &mut [String]) -> usize {
    let (end, _) = body_extent(lines, start, parent_indent);
    for line in out.iter_mut().take(end).skip(start) {
        line.clear();
    }
    end
}

/// Keeps a directive's body, dedented, as ordinary text (converted recursively).
fn keep_body(lines: &[String], start: usize, parent_indent: usize, out: &mut [String]) -> usize {
    let (end, body_indent) = body_extent(lines, start, parent_indent);
    let body: Vec<String> = lines[start..end]
        .iter()
        .map(|line| dedent(line, body_indent.saturating_sub(parent_indent)))
        .collect();
    let converted = rst(&body);
    for (offset, line) in converted.into_iter().enumerate() {
        if start + offset < end {
            out[start + offset] = line;
        } else if let Some(last) = out.get_mut(end.saturating_sub(1)) {
            // A fence the body's conversion appended closes on the body's last line.
            last.push('\n');
            last.push_str(&line);
        }
    }
    end
}

/// Inline markup: ``literal`` → `literal`, `text <url>`_ → [text](url).
fn rst_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("``")
            && let Some(end) = after.find("``")
        {
            out.push('`');
            out.push_str(&after[..end]);
            out.push('`');
            rest = &after[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix('`')
            && let Some(end) = after.find(">`_")
            && let Some(open) = after[..end].rfind(" <")
        {
            let text = &after[..open];
            let url = &after[open + 2..end];
            out.push_str(&format!("[{text}]({url})"));
            rest = after[end + 3..].trim_start_matches('_');
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

// ----- MkDocs (Material) ----------------------------------------------------------------------

/// MkDocs tabs (`=== "Linux"`) become headings one level below the enclosing one, and
/// admonitions (`!!! note`, `??? tip`) become plain prose; both bodies are dedented, which
/// turns their code fences back into fences instead of indented code.
fn mkdocs(lines: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    // Open containers: (indentation of their marker line, their body's dedent).
    let mut open: Vec<usize> = Vec::new();
    let mut heading_level = 1;
    let mut fence: Option<String> = None;
    for line in lines {
        let indent = indent_of(line);
        if !is_blank(line) {
            while let Some(&container) = open.last() {
                if indent < container + 4 {
                    open.pop();
                } else {
                    break;
                }
            }
        }
        let depth = open.len() * 4;
        let body = dedent(line, depth);
        if let Some(marker) = &fence {
            if fence_of(&body).is_some()
                && body.trim_start().starts_with(marker.as_str())
                && found_only_fence(&body)
            {
                fence = None;
            }
            out.push(body);
            continue;
        }
        if let Some(found) = fence_of(&body) {
            fence = Some(found.to_string());
            out.push(body);
            continue;
        }
        let trimmed = body.trim_start();
        if let Some(label) = trimmed.strip_prefix("=== ") {
            let label = label.trim().trim_matches(['"', '\'']);
            let level = (heading_level + 1 + open.len()).min(6);
            out.push(format!("{} {label}", "#".repeat(level)));
            open.push(indent);
            continue;
        }
        if let Some(admonition) = ["!!! ", "???+ ", "??? "]
            .iter()
            .find_map(|marker| trimmed.strip_prefix(marker))
        {
            // `!!! note "Title"`: the title is prose.
            let title = admonition
                .split_once(' ')
                .map(|(_, title)| title.trim().trim_matches(['"', '\'']))
                .unwrap_or("");
            out.push(title.to_string());
            open.push(indent);
            continue;
        }
        if open.is_empty()
            && let Some(hashes) = trimmed.split(' ').next()
            && !hashes.is_empty()
            && hashes.len() <= 6
            && hashes.chars().all(|c| c == '#')
        {
            heading_level = hashes.len();
        }
        out.push(body);
    }
    out
}

fn found_only_fence(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.chars().all(|c| c == '`' || c == '~')
}

// ----- Hugo shortcodes ------------------------------------------------------------------------

/// Hugo shortcodes: `{{< tab ... >}}` opens a heading named by the tab (its name is declared
/// on the enclosing `tabs`), every other shortcode line goes blank.
fn hugo(lines: &[String]) -> Vec<String> {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut heading_level = 1;
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let trimmed = line.trim();
        let shortcode = (trimmed.starts_with("{{<") && trimmed.ends_with(">}}"))
            || (trimmed.starts_with("{{%") && trimmed.ends_with("%}}"));
        if !shortcode {
            if let Some(hashes) = trimmed.split(' ').next()
                && !hashes.is_empty()
                && hashes.len() <= 5
                && hashes.chars().all(|c| c == '#')
            {
                heading_level = hashes.len();
            }
            out.push(line.clone());
            continue;
        }
        let inner = trimmed[3..trimmed.len() - 3].trim();
        let mut words = inner.split_whitespace();
        let name = words.next().unwrap_or("");
        let attributes = attributes(inner);
        match name {
            "tabs" => {
                for (key, value) in &attributes {
                    if let Some(number) = key.strip_prefix("tabID")
                        && let Some(label) = attributes.get(&format!("tabName{number}"))
                    {
                        names.insert(value.clone(), label.clone());
                    }
                }
                out.push(String::new());
            }
            "tab" => {
                let id = attributes
                    .get("tabID")
                    .or_else(|| attributes.get("name"))
                    .cloned()
                    .unwrap_or_default();
                let label = names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| id.replace('-', " "));
                out.push(format!(
                    "{} {label}",
                    "#".repeat((heading_level + 1).min(6))
                ));
            }
            _ => out.push(String::new()),
        }
    }
    out
}

/// `key="value"` pairs of a shortcode.
fn attributes(inner: &str) -> HashMap<String, String> {
    let mut found = HashMap::new();
    let mut rest = inner;
    while let Some(equals) = rest.find("=\"") {
        let key = rest[..equals]
            .rsplit(|c: char| c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[equals + 2..];
        let Some(end) = after.find('"') else {
            break;
        };
        found.insert(key, after[..end].to_string());
        rest = &after[end + 1..];
    }
    found
}

// ----- HTML inside Markdown -------------------------------------------------------------------

/// HTML that READMEs embed: table rows become one line of cells (a row names its platform
/// and holds its command), `<code>` becomes inline code, `<pre>` a fenced block, headings
/// Markdown headings, and other tags are dropped. Code fences are left alone.
fn html_in_markdown(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines.to_vec();
    let mut fence: Option<String> = None;
    let mut row: Option<(usize, String)> = None;
    let mut in_pre = false;
    for (index, line) in lines.iter().enumerate() {
        if let Some(marker) = &fence {
            if line.trim_start().starts_with(marker.as_str()) && found_only_fence(line) {
                fence = None;
            }
            continue;
        }
        if row.is_none()
            && !in_pre
            && let Some(found) = fence_of(line)
        {
            fence = Some(found.to_string());
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if in_pre {
            if lower.contains("</pre>") {
                in_pre = false;
                out[index] = "```".to_string();
            } else {
                out[index] = decode_entities(&strip_tags(line, false));
            }
            continue;
        }
        if let Some((start, cells)) = &mut row {
            cells.push(' ');
            cells.push_str(&inline_html(line));
            out[index] = String::new();
            if lower.contains("</tr>") {
                out[*start] = tidy_row(cells);
                row = None;
            }
            continue;
        }
        let trimmed = lower.trim_start();
        if !trimmed.starts_with('<') {
            if lower.contains("<code>") || lower.contains("<br") || lower.contains("<kbd>") {
                out[index] = inline_html(line);
            }
            continue;
        }
        if trimmed.starts_with("<pre") && !lower.contains("</pre>") {
            in_pre = true;
            out[index] = "```".to_string();
            continue;
        }
        if trimmed.starts_with("<tr") && !lower.contains("</tr>") {
            row = Some((index, inline_html(line)));
            out[index] = String::new();
            continue;
        }
        if let Some(level) = (1..=6).find(|level| trimmed.starts_with(&format!("<h{level}"))) {
            let text = inline_html(line).replace('`', "");
            out[index] = format!("{} {}", "#".repeat(level), text.trim());
            continue;
        }
        let converted = inline_html(line);
        out[index] = if trimmed.starts_with("<tr") {
            tidy_row(&converted)
        } else {
            converted
        };
    }
    out
}

/// One line of HTML as Markdown text: `<code>` as backticks, `<br>` as a separator, other
/// tags dropped, entities decoded.
fn inline_html(line: &str) -> String {
    decode_entities(&strip_tags(line, true))
}

fn tidy_row(cells: &str) -> String {
    let joined: Vec<&str> = cells
        .split(" | ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .collect();
    joined.join(" | ")
}

/// Removes tags; with `markdown`, `<code>` becomes a backtick, a cell boundary ` | ` and
/// `<br>` a `; `.
fn strip_tags(line: &str, markdown: bool) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            out.push_str(after);
            return out;
        };
        let tag = after[1..close].trim().to_ascii_lowercase();
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let is_tag = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric());
        if !is_tag {
            // `a < b` or a placeholder like `<version>` inside text: keep it.
            out.push('<');
            rest = &after[1..];
            continue;
        }
        if markdown {
            match name {
                "code" | "kbd" | "tt" => out.push('`'),
                "td" | "th" if tag.starts_with('/') => out.push_str(" | "),
                "br" => out.push_str(" ; "),
                _ => {}
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    if markdown {
        // `<code>a</code><br><code>b</code>` → `a` ; `b`: keep the commands apart.
        out = out.replace("`` ", "` ").replace(" ; ", " ");
    }
    out
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(text: &str, format: Format) -> String {
        let out = to_markdown(text, format);
        let fence_at_end = out.ends_with("\n```");
        let expected = text.split('\n').count() + usize::from(fence_at_end);
        assert_eq!(out.split('\n').count(), expected, "line count kept:\n{out}");
        out
    }

    #[test]
    fn html_table_rows_become_one_line_with_inline_code() {
        let text = "<table>\n  <tr>\n    <td>Plan9</td>\n    <td><code>widget-get install gizmo</code></td>\n  </tr>\n</table>\n";
        let out = convert(text, Format::Markdown);
        assert!(out.contains("Plan9 | `widget-get install gizmo`"), "{out}");
    }

    #[test]
    fn html_headings_and_entities() {
        let out = convert(
            "<h1 align=center><code>gizmo</code></h1>\n\n<code>gizmo-tool &lt;version&gt;</code>\n",
            Format::Markdown,
        );
        assert!(out.starts_with("# gizmo\n"), "{out}");
        assert!(out.contains("`gizmo-tool <version>`"), "{out}");
    }

    #[test]
    fn mkdocs_tabs_are_headings_and_admonitions_are_prose() {
        let text = "## Install\n\n=== \"Linux\"\n\n    ```sh\n    gizmo-get install gizmo\n    ```\n\n!!! note\n\n    Restart your shell after this step.\n";
        let out = convert(text, Format::Markdown);
        assert!(out.contains("### Linux\n"), "{out}");
        assert!(
            out.contains("\n```sh\ngizmo-get install gizmo\n```"),
            "{out}"
        );
        assert!(
            out.contains("\nRestart your shell after this step."),
            "{out}"
        );
        assert!(!out.contains("    Restart"), "{out}");
    }

    #[test]
    fn hugo_tabs_take_their_declared_names() {
        let text = "## Install\n{{< tabs tabID1=\"a\" tabName1=\"With gizmo\" >}}\n{{< tab tabID=\"a\" >}}\n```sh\ngizmo up\n```\n{{< /tab >}}\n";
        let out = convert(text, Format::Markdown);
        assert!(out.contains("### With gizmo\n"), "{out}");
        assert!(!out.contains("{{"), "{out}");
    }

    #[test]
    fn rst_titles_code_blocks_and_literal_blocks() {
        let text = "#####\n Gizmo\n#####\n\nLinux\n=====\n\n.. code-block:: console\n\n    $ gizmo-get install gizmo\n\nOr run::\n\n    gizmo --selftest\n\n.. note::\n\n    Use ``gizmo --help``.\n";
        let out = convert(text, Format::Rst);
        assert!(out.contains("# Gizmo"), "{out}");
        assert!(out.contains("## Linux"), "{out}");
        assert!(
            out.contains("```console\n\n$ gizmo-get install gizmo\n```"),
            "{out}"
        );
        assert!(out.contains("Or run:\n```\ngizmo --selftest\n```"), "{out}");
        assert!(out.contains("Use `gizmo --help`."), "{out}");
    }

    #[test]
    fn yaml_block_scalars_are_markdown() {
        let text = "headline: Get gizmo\nbody:\n  - text: |\n      ### Linux\n\n      Install with `gizmo-get install gizmo`.\n  - other: 1\n";
        let out = convert(text, Format::Yaml);
        assert!(out.starts_with("# Get gizmo\n"), "{out}");
        assert!(out.contains("\n### Linux\n"), "{out}");
        assert!(
            out.contains("\nInstall with `gizmo-get install gizmo`."),
            "{out}"
        );
        assert!(!out.contains("other"), "{out}");
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect("install.rst", ""), Format::Rst);
        assert_eq!(detect("download.yml", ""), Format::Yaml);
        assert_eq!(detect("README", ".. code-block:: sh\n"), Format::Rst);
        assert_eq!(detect("README", "# x\n"), Format::Markdown);
    }
}
