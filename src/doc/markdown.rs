//! Walking the Markdown of a doc: headings into sections, code blocks into commands, inline
//! code that is a command, the install.md lines (`OBJECTIVE:`, `DONE WHEN:`, `## TODO`), the
//! `llms.txt` summary and the links to install pages.
//!
//! pulldown-cmark gives events with byte offsets; offsets become `file:line` through a table of
//! line starts, shifted by the line where the text starts in the source (front matter removed).
//! Text inside paragraphs, list items and table rows is gathered into "lines" (a soft break
//! ends a line) because the install.md markers are line-based and because the line around
//! inline code or before a code block often names the platform ("On Fedora:").

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use std::collections::BTreeSet;
use std::rc::Rc;

use super::classify::{Label, platforms_in_text, title_label, version_check_program};
use super::shell::{self, inline_command};
use super::{CodeBlock, Command, CommandSource, Link, Location, Note, Platform, Section, TodoItem};

/// Everything read from the Markdown, before routes and verification are derived.
#[derive(Debug, Default)]
pub(crate) struct Outline {
    /// The first H1.
    pub title: Option<String>,
    pub summary: Option<String>,
    pub objective: Option<String>,
    pub done_when: Vec<Note>,
    /// Commands written in `DONE WHEN:` lines, with where they were found.
    pub done_when_commands: Vec<(String, Location, Vec<String>)>,
    pub todo: Vec<TodoItem>,
    pub sections: Vec<Section>,
    /// What each heading says (same index as `sections`), read once.
    pub labels: Vec<Label>,
    pub code_blocks: Vec<CodeBlock>,
    pub commands: Vec<Command>,
    /// For each command (same index): its section and the prose that introduces it.
    pub contexts: Vec<CommandContext>,
    pub install_links: Vec<Link>,
    pub warnings: Vec<String>,
}

/// What surrounds a command in the doc.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommandContext {
    /// Index in [`Outline::sections`] of the innermost heading above the command.
    pub section: Option<usize>,
    /// The line of prose just before the code block, or the line holding the inline code.
    /// Shared: every command of a block has the same one.
    pub lead: Option<Rc<str>>,
    /// Platforms the lead names, read once.
    pub lead_platforms: BTreeSet<Platform>,
    /// `X` when the command is `X --version` (or `-V`, `version`, `--help`).
    pub version_program: Option<String>,
}

/// Converts byte offsets into source locations.
struct LineIndex {
    starts: Vec<usize>,
    first_line: usize,
    file: String,
}

impl LineIndex {
    fn new(text: &str, first_line: usize, file: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, byte)| *byte == b'\n')
                .map(|(index, _)| index + 1),
        );
        LineIndex {
            starts,
            first_line: first_line.max(1),
            file: file.to_string(),
        }
    }

    /// 0-based line of the text holding `offset`.
    fn line_index(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|start| *start <= offset)
            .saturating_sub(1)
    }

    fn location_of_line(&self, line_index: usize) -> Location {
        Location {
            file: self.file.clone(),
            line: self.first_line + line_index,
        }
    }

    fn location(&self, offset: usize) -> Location {
        self.location_of_line(self.line_index(offset))
    }
}

/// Prose gathered between block boundaries, one segment per source line (soft breaks).
#[derive(Debug, Default)]
struct LineBuffer {
    segments: Vec<Segment>,
    task: Option<bool>,
}

/// One source line of prose.
#[derive(Debug, Default)]
struct Segment {
    text: String,
    /// Inline code spans and their offsets.
    codes: Vec<(String, usize)>,
    start: Option<usize>,
}

impl LineBuffer {
    fn segment(&mut self) -> &mut Segment {
        if self.segments.is_empty() {
            self.segments.push(Segment::default());
        }
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    fn line_break(&mut self) {
        if self
            .segments
            .last()
            .is_some_and(|segment| segment.start.is_some())
        {
            self.segments.push(Segment::default());
        }
    }
}

/// A logical line: source lines joined, except that an install.md marker starts a new one.
struct ProseLine {
    text: String,
    codes: Vec<(String, usize)>,
    start: usize,
}

/// A code block being read.
struct OpenCodeBlock {
    info: String,
    fenced: bool,
    text: String,
    start: usize,
    first_text: Option<usize>,
}

/// A link being read.
struct OpenLink {
    url: String,
    text: String,
    start: usize,
}

/// Reads a doc's Markdown.
pub(crate) fn outline(text: &str, first_line: usize, file: &str) -> Outline {
    let mut walker = Walker {
        index: LineIndex::new(text, first_line, file),
        outline: Outline::default(),
        stack: Vec::new(),
        heading: None,
        code: None,
        line: LineBuffer::default(),
        link: None,
        item_depth: 0,
        quote_depth: 0,
        in_table_row: false,
        lead: None,
        content_after_title: false,
        awaiting_done_when: false,
        awaiting_objective: false,
        blocks_of_commands: Vec::new(),
    };
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    for (event, range) in Parser::new_ext(text, options).into_offset_iter() {
        walker.event(event, range.start);
    }
    walker.flush_line();
    walker.finish()
}

/// The state of the walk over the events.
struct Walker {
    index: LineIndex,
    outline: Outline,
    /// Indices of the open sections, outermost first.
    stack: Vec<usize>,
    heading: Option<(u8, String, usize)>,
    code: Option<OpenCodeBlock>,
    line: LineBuffer,
    link: Option<OpenLink>,
    item_depth: usize,
    quote_depth: usize,
    in_table_row: bool,
    /// The last line of prose in the current section, and the platforms it names once a
    /// command needed them (most prose lines introduce no command).
    lead: Option<(Rc<str>, Option<BTreeSet<Platform>>)>,
    content_after_title: bool,
    awaiting_done_when: bool,
    awaiting_objective: bool,
    /// For each command: the index of its code block, if any.
    blocks_of_commands: Vec<Option<usize>>,
}

impl Walker {
    fn event(&mut self, event: Event<'_>, offset: usize) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush_line();
                self.heading = Some((level as u8, String::new(), offset));
            }
            Event::End(TagEnd::Heading(_)) => self.close_heading(),
            Event::Start(Tag::CodeBlock(kind)) => {
                self.flush_line();
                let (info, fenced) = match kind {
                    CodeBlockKind::Fenced(info) => (info.to_string(), true),
                    CodeBlockKind::Indented => (String::new(), false),
                };
                self.code = Some(OpenCodeBlock {
                    info,
                    fenced,
                    text: String::new(),
                    start: offset,
                    first_text: None,
                });
            }
            Event::End(TagEnd::CodeBlock) => self.close_code_block(),
            Event::Text(text) => {
                if let Some((_, heading, _)) = &mut self.heading {
                    heading.push_str(&text);
                } else if let Some(code) = &mut self.code {
                    code.first_text.get_or_insert(offset);
                    code.text.push_str(&text);
                } else {
                    self.push_text(&text, offset);
                }
            }
            Event::Code(code) => {
                if let Some((_, heading, _)) = &mut self.heading {
                    heading.push_str(&code);
                } else {
                    self.line.segment().codes.push((code.to_string(), offset));
                    self.push_text(&format!("`{code}`"), offset);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some((_, heading, _)) = &mut self.heading {
                    heading.push(' ');
                } else if self.in_table_row {
                    self.line.segment().text.push(' ');
                } else {
                    self.line.line_break();
                }
            }
            Event::TaskListMarker(done) => self.line.task = Some(done),
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.link = Some(OpenLink {
                    url: dest_url.to_string(),
                    text: String::new(),
                    start: offset,
                });
            }
            Event::End(TagEnd::Link) => self.close_link(),
            Event::Start(Tag::Item) => {
                self.flush_line();
                self.item_depth += 1;
            }
            Event::End(TagEnd::Item) => {
                self.flush_line();
                self.item_depth = self.item_depth.saturating_sub(1);
            }
            Event::Start(Tag::BlockQuote(_)) => {
                self.flush_line();
                self.quote_depth += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                self.flush_line();
                self.quote_depth = self.quote_depth.saturating_sub(1);
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => {
                self.flush_line();
                self.in_table_row = true;
            }
            Event::End(TagEnd::TableCell) => self.line.segment().text.push_str(" | "),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                self.in_table_row = false;
                let segment = self.line.segment();
                let trimmed = segment
                    .text
                    .trim_end()
                    .trim_end_matches('|')
                    .trim_end()
                    .len();
                segment.text.truncate(trimmed);
                self.flush_line();
            }
            Event::Start(Tag::Paragraph | Tag::List(_))
            | Event::End(TagEnd::Paragraph | TagEnd::List(_)) => self.flush_line(),
            _ => {}
        }
    }

    fn push_text(&mut self, text: &str, offset: usize) {
        let segment = self.line.segment();
        segment.start.get_or_insert(offset);
        segment.text.push_str(text);
        if let Some(link) = &mut self.link {
            link.text.push_str(text.trim_matches('`'));
        }
    }

    fn current_section(&self) -> Option<usize> {
        self.stack.last().copied()
    }

    fn section_path(&self) -> Vec<String> {
        self.current_section()
            .map(|index| self.outline.sections[index].path.clone())
            .unwrap_or_default()
    }

    fn close_heading(&mut self) {
        let Some((level, text, offset)) = self.heading.take() else {
            return;
        };
        let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
        while let Some(&top) = self.stack.last() {
            if self.outline.sections[top].level >= level {
                self.stack.pop();
            } else {
                break;
            }
        }
        let parent = self.stack.last().copied();
        let mut path = parent
            .map(|index| self.outline.sections[index].path.clone())
            .unwrap_or_default();
        path.push(title.clone());
        if level == 1 && self.outline.title.is_none() && !title.is_empty() {
            self.outline.title = Some(title.clone());
        }
        self.outline.labels.push(title_label(&title));
        self.outline.sections.push(Section {
            level,
            title,
            path,
            parent,
            location: self.index.location(offset),
        });
        self.stack.push(self.outline.sections.len() - 1);
        self.lead = None;
        self.awaiting_done_when = false;
        self.awaiting_objective = false;
    }

    fn close_link(&mut self) {
        let Some(link) = self.link.take() else {
            return;
        };
        let url = link.url.trim().to_string();
        let text = link.text.split_whitespace().collect::<Vec<_>>().join(" ");
        if url.is_empty() || url.starts_with('#') || url.starts_with("mailto:") {
            return;
        }
        if !is_install_link(&text, &url) {
            return;
        }
        if self
            .outline
            .install_links
            .iter()
            .any(|known| known.url == url)
        {
            return;
        }
        self.outline.install_links.push(Link {
            text,
            url,
            section: self.section_path(),
            location: self.index.location(link.start),
        });
    }

    fn close_code_block(&mut self) {
        let Some(block) = self.code.take() else {
            return;
        };
        self.content_after_title = true;
        let language = shell::language_of(&block.info);
        let first_line = match block.first_text {
            Some(offset) => self.index.line_index(offset),
            None => self.index.line_index(block.start) + usize::from(block.fenced),
        };
        let extraction = shell::extract_block(&block.text, language.as_deref());
        let section = self.section_path();
        let block_index = self.outline.code_blocks.len();
        for (delimiter, line) in &extraction.unterminated_heredocs {
            self.outline.warnings.push(format!(
                "{}: the heredoc `{delimiter}` is never closed; the rest of the block is taken as its body",
                self.index.location_of_line(first_line + line)
            ));
        }
        for extracted in extraction.commands {
            let lead = self.block_lead();
            self.push_command(
                Command {
                    text: extracted.text,
                    shell: extracted.shell,
                    root: extracted.root,
                    location: self.index.location_of_line(first_line + extracted.line),
                    section: section.clone(),
                    source: CommandSource::CodeBlock { index: block_index },
                    note: extracted.note,
                },
                Some(block_index),
                lead,
            );
        }
        self.outline.code_blocks.push(CodeBlock {
            language,
            info: block.info.trim().to_string(),
            fenced: block.fenced,
            shell: extraction.shell,
            location: self.index.location_of_line(first_line),
            section,
            text: block.text,
            commands: Vec::new(),
        });
    }

    /// The lead of a code block's commands, reading its platforms on first use.
    fn block_lead(&mut self) -> Option<(Rc<str>, BTreeSet<Platform>)> {
        let (text, platforms) = self.lead.as_mut()?;
        let platforms = platforms.get_or_insert_with(|| platforms_in_text(text));
        Some((text.clone(), platforms.clone()))
    }

    fn push_command(
        &mut self,
        command: Command,
        block: Option<usize>,
        lead: Option<(Rc<str>, BTreeSet<Platform>)>,
    ) {
        let (lead, lead_platforms) = match lead {
            Some((text, platforms)) => (Some(text), platforms),
            None => (None, BTreeSet::new()),
        };
        let version_program = version_check_program(&command.text);
        self.outline.commands.push(command);
        self.outline.contexts.push(CommandContext {
            section: self.current_section(),
            lead,
            lead_platforms,
            version_program,
        });
        self.blocks_of_commands.push(block);
    }

    fn flush_line(&mut self) {
        let buffer = std::mem::take(&mut self.line);
        let mut lines: Vec<ProseLine> = Vec::new();
        for segment in buffer.segments {
            let Some(start) = segment.start else {
                continue;
            };
            let text = segment
                .text
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            if text.is_empty() {
                continue;
            }
            let starts_marker = strip_marker(&text, "OBJECTIVE:").is_some()
                || strip_marker(&text, "DONE WHEN:").is_some();
            match lines.last_mut() {
                Some(line) if !starts_marker => {
                    line.text.push(' ');
                    line.text.push_str(&text);
                    line.codes.extend(segment.codes);
                }
                _ => lines.push(ProseLine {
                    text,
                    codes: segment.codes,
                    start,
                }),
            }
        }
        for (index, line) in lines.into_iter().enumerate() {
            let task = if index == 0 { buffer.task } else { None };
            self.prose_line(line, task);
        }
    }

    /// Reads one logical line of prose.
    fn prose_line(&mut self, line: ProseLine, task: Option<bool>) {
        let ProseLine { text, codes, start } = line;
        let location = self.index.location(start);
        let section_is_title = self.stack.len() == 1
            && self
                .current_section()
                .is_some_and(|index| self.outline.sections[index].level == 1);
        if self.quote_depth > 0
            && section_is_title
            && !self.content_after_title
            && self.outline.summary.is_none()
        {
            self.outline.summary = Some(text);
            return;
        }
        if self.quote_depth == 0 {
            self.content_after_title = true;
        }

        if let Some(rest) = strip_marker(&text, "OBJECTIVE:") {
            self.awaiting_objective = rest.is_empty();
            if !rest.is_empty() {
                self.outline.objective = Some(rest.to_string());
            }
            return;
        }
        if let Some(rest) = strip_marker(&text, "DONE WHEN:") {
            self.awaiting_done_when = rest.is_empty();
            if !rest.is_empty() {
                self.add_done_when(rest.to_string(), location, &codes);
            }
            return;
        }
        if self.awaiting_objective {
            self.awaiting_objective = false;
            self.outline.objective = Some(text);
            return;
        }
        if self.awaiting_done_when {
            if self.item_depth > 0 {
                self.add_done_when(text, location, &codes);
                return;
            }
            self.awaiting_done_when = false;
        }

        let in_todo = self.current_section().is_some_and(|index| {
            self.outline.sections[index]
                .title
                .eq_ignore_ascii_case("todo")
        });
        if in_todo && self.item_depth > 0 {
            self.outline.todo.push(TodoItem {
                text: text.clone(),
                done: task.unwrap_or(false),
                location: location.clone(),
            });
        }

        let section = self.section_path();
        let lead: Rc<str> = Rc::from(text.as_str());
        let mut lead_platforms: Option<BTreeSet<Platform>> = None;
        for (code, offset) in &codes {
            if let Some(command) = inline_command(code) {
                self.push_command(
                    Command {
                        text: command,
                        shell: super::Shell::Sh,
                        root: false,
                        location: self.index.location(*offset),
                        section: section.clone(),
                        source: CommandSource::Inline,
                        note: None,
                    },
                    None,
                    Some((
                        lead.clone(),
                        lead_platforms
                            .get_or_insert_with(|| platforms_in_text(&text))
                            .clone(),
                    )),
                );
            }
        }
        self.lead = Some((lead, lead_platforms));
    }

    /// Records a `DONE WHEN:` line: its prose, and its inline code with arguments as commands
    /// (install.md lines are written for agents; `rg --files /etc | head -n 1` is a check even
    /// though `rg` is no known command word).
    fn add_done_when(&mut self, text: String, location: Location, codes: &[(String, usize)]) {
        let section = self.section_path();
        for (code, offset) in codes {
            let code = code.trim();
            if code.contains(char::is_whitespace) {
                self.outline.done_when_commands.push((
                    code.to_string(),
                    self.index.location(*offset),
                    section.clone(),
                ));
            }
        }
        self.outline.done_when.push(Note { text, location });
    }

    fn finish(mut self) -> Outline {
        // Inline code that repeats a command of a code block in the same section adds nothing
        // (`make install` in the prose after a block running `sudo make install`).
        let block_commands: std::collections::HashSet<(Option<usize>, &str)> = self
            .outline
            .commands
            .iter()
            .zip(&self.outline.contexts)
            .filter(|(command, _)| command.source != CommandSource::Inline)
            .map(|(command, context)| (context.section, without_sudo(&command.text)))
            .collect();
        let keep: Vec<bool> = self
            .outline
            .commands
            .iter()
            .zip(&self.outline.contexts)
            .map(|(command, context)| {
                command.source != CommandSource::Inline
                    || !block_commands.contains(&(context.section, without_sudo(&command.text)))
            })
            .collect();
        drop(block_commands);
        let mut position = 0;
        let mut kept_commands = Vec::new();
        let mut kept_contexts = Vec::new();
        let commands = std::mem::take(&mut self.outline.commands);
        let contexts = std::mem::take(&mut self.outline.contexts);
        for ((command, context), (block, keep)) in commands
            .into_iter()
            .zip(contexts)
            .zip(self.blocks_of_commands.iter().zip(keep))
        {
            if !keep {
                continue;
            }
            if let Some(block) = block {
                self.outline.code_blocks[*block].commands.push(position);
            }
            kept_commands.push(command);
            kept_contexts.push(context);
            position += 1;
        }
        self.outline.commands = kept_commands;
        self.outline.contexts = kept_contexts;
        // An llms.txt "Optional" section holds what can be skipped: its links go last.
        self.outline.install_links.sort_by_key(|link| {
            link.section
                .iter()
                .any(|title| title.eq_ignore_ascii_case("optional"))
        });
        self.outline
    }
}

/// A command without a leading `sudo`, for comparing two spellings of one step.
pub(crate) fn without_sudo(text: &str) -> &str {
    text.trim()
        .strip_prefix("sudo ")
        .map_or(text.trim(), str::trim_start)
}

/// `OBJECTIVE: text` → `Some("text")`, case-insensitive.
fn strip_marker<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    let head = text.get(..marker.len())?;
    head.eq_ignore_ascii_case(marker)
        .then(|| text[marker.len()..].trim())
}

/// A link whose text or address is about installing.
fn is_install_link(text: &str, url: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let url = url.to_ascii_lowercase();
    let text_words = [
        "install",
        "setup",
        "set up",
        "getting started",
        "get started",
        "quick start",
        "quickstart",
        "download",
    ];
    let url_words = [
        "install",
        "setup",
        "getting-started",
        "getting_started",
        "get-started",
        "quickstart",
        "quick-start",
        "download",
    ];
    text_words.iter().any(|word| text.contains(word))
        || url
            .rsplit('/')
            .find(|segment| !segment.is_empty())
            .is_some_and(|segment| url_words.iter().any(|word| segment.contains(word)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Outline {
        outline(text, 1, "test.md")
    }

    #[test]
    fn sections_have_heading_paths_and_parents() {
        let outline = read("# tool\n\n## Install\n\n### Debian / Ubuntu\n\n## Usage\n");
        let paths: Vec<Vec<String>> = outline.sections.iter().map(|s| s.path.clone()).collect();
        assert_eq!(
            paths,
            [
                vec!["tool".to_string()],
                vec!["tool".into(), "Install".into()],
                vec!["tool".into(), "Install".into(), "Debian / Ubuntu".into()],
                vec!["tool".into(), "Usage".into()],
            ]
        );
        assert_eq!(outline.sections[3].parent, Some(0));
        assert_eq!(outline.sections[2].location.line, 5);
        assert_eq!(outline.title.as_deref(), Some("tool"));
    }

    #[test]
    fn commands_keep_their_line_and_section() {
        let text = "# tool\n\n## Install\n\n```sh\napt-get update\napt-get install -y tool\n```\n";
        let outline = outline(text, 10, "tool.md");
        let lines: Vec<String> = outline
            .commands
            .iter()
            .map(|command| command.location.to_string())
            .collect();
        assert_eq!(lines, ["tool.md:15", "tool.md:16"]);
        assert_eq!(outline.commands[0].section, ["tool", "Install"]);
        assert_eq!(outline.code_blocks[0].commands, [0, 1]);
        assert_eq!(outline.code_blocks[0].location.line, 15);
    }

    #[test]
    fn code_in_nested_list_items_is_found_with_its_line() {
        let text = "# Setup\n\n1. Prepare.\n\n   - Refresh:\n\n     ```sh\n     apt-get update\n     ```\n";
        let outline = read(text);
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(outline.commands[0].text, "apt-get update");
        assert_eq!(outline.commands[0].location.line, 8);
    }

    #[test]
    fn indented_code_blocks_are_read() {
        let text =
            "# jq\n\nIndented:\n\n    apt-get install -y jq\n\nMore text\n    rm -rf build\n";
        let outline = read(text);
        let commands: Vec<&str> = outline.commands.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(commands, ["apt-get install -y jq"]);
        assert_eq!(outline.commands[0].location.line, 5);
        assert!(!outline.code_blocks[0].fenced);
    }

    #[test]
    fn inline_commands_are_taken_with_their_line_as_lead() {
        let outline = read("# jq\n\nOn Debian run `sudo apt install jq`; the program is `jq`.\n");
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(outline.commands[0].source, CommandSource::Inline);
        assert!(
            outline.contexts[0]
                .lead
                .as_deref()
                .is_some_and(|lead| lead.starts_with("On Debian"))
        );
    }

    #[test]
    fn inline_duplicates_of_block_commands_are_dropped() {
        let outline =
            read("# jq\n\nRun `sudo apt install jq`:\n\n```sh\nsudo apt install jq\n```\n");
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(outline.code_blocks[0].commands, [0]);
    }

    #[test]
    fn install_md_markers() {
        let text = "# ripgrep\n\nOBJECTIVE: Install ripgrep.\n\nDONE WHEN: `rg --version` prints a version and `rg --files /etc | head -n 1` prints a file.\n\n## TODO\n\n- [ ] Install the `ripgrep` package.\n- [x] If needed, `cargo install --locked ripgrep`.\n";
        let outline = read(text);
        assert_eq!(outline.objective.as_deref(), Some("Install ripgrep."));
        assert_eq!(outline.done_when.len(), 1);
        let checks: Vec<&str> = outline
            .done_when_commands
            .iter()
            .map(|(command, _, _)| command.as_str())
            .collect();
        assert_eq!(checks, ["rg --version", "rg --files /etc | head -n 1"]);
        assert_eq!(outline.todo.len(), 2);
        assert_eq!(outline.todo[0].text, "Install the `ripgrep` package.");
        assert!(outline.todo[1].done);
        let commands: Vec<&str> = outline.commands.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(commands, ["cargo install --locked ripgrep"]);
    }

    #[test]
    fn done_when_followed_by_a_list() {
        let outline = read(
            "# x\n\nDONE WHEN:\n\n- `x --version` works\n- `x check` passes\n\nLater prose.\n",
        );
        assert_eq!(outline.done_when.len(), 2);
        assert_eq!(outline.done_when_commands.len(), 2);
    }

    #[test]
    fn llms_txt_summary_and_install_links() {
        let text = "# Frob\n\n> Frob rewrites files.\n\n## Docs\n\n- [Install](https://frob.example/install.md): how\n- [Configuration](https://frob.example/docs/config.md): rules\n\n## Optional\n\n- [Download page](https://frob.example/dl): old\n- [Changelog](https://frob.example/CHANGELOG.md)\n";
        let outline = read(text);
        assert_eq!(outline.summary.as_deref(), Some("Frob rewrites files."));
        let urls: Vec<&str> = outline
            .install_links
            .iter()
            .map(|l| l.url.as_str())
            .collect();
        assert_eq!(
            urls,
            ["https://frob.example/install.md", "https://frob.example/dl"]
        );
        assert_eq!(outline.install_links[0].section, ["Frob", "Docs"]);
    }

    #[test]
    fn heredoc_left_open_is_a_warning() {
        let outline = read("# x\n\n```sh\ncat <<EOF\nhello\n```\n");
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(outline.warnings.len(), 1);
        assert!(outline.warnings[0].contains("test.md:4"));
    }

    #[test]
    fn wrapped_list_items_are_one_line() {
        let text = "# x\n\nDONE WHEN: `x --version` prints, and\n`x run` exits 0.\n\n## TODO\n\n- [ ] Install it (for apt:\n      `apt-get install -y x`). Refresh first.\n- [ ] Check.\n";
        let outline = read(text);
        assert_eq!(outline.done_when_commands.len(), 2);
        assert_eq!(outline.todo.len(), 2);
        assert_eq!(
            outline.todo[0].text,
            "Install it (for apt: `apt-get install -y x`). Refresh first."
        );
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(outline.commands[0].location.line, 9);
    }

    #[test]
    fn objective_and_done_when_on_consecutive_lines() {
        let outline = read("# x\n\nOBJECTIVE: Install x.\nDONE WHEN: `x --version` works.\n");
        assert_eq!(outline.objective.as_deref(), Some("Install x."));
        assert_eq!(outline.done_when_commands.len(), 1);
    }

    #[test]
    fn table_rows_are_one_line() {
        let text = "# x\n\n| Platform | Command |\n|---|---|\n| Fedora | `sudo dnf install x` |\n";
        let outline = read(text);
        assert_eq!(outline.commands.len(), 1);
        assert_eq!(
            outline.contexts[0].lead.as_deref(),
            Some("Fedora | `sudo dnf install x`")
        );
    }
}
