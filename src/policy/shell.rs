//! Shell parsing for the policy: one command line, as an agent proposed it, becomes the list of
//! simple commands it would run.
//!
//! Why a real parser: the dangerous part of a command line is rarely its first word. It hides in a
//! pipeline stage (`curl … | sh`), a command substitution (`sh -c "$(curl …)"`), a process
//! substitution (`bash <(curl …)`), a heredoc fed to a shell, a quoted `sh -c` string, a `sudo`
//! or `env` prefix, or a redirection (`>> ~/.bashrc`). tree-sitter-bash (the grammar codex uses)
//! gives a concrete syntax tree for all of these and never panics on bad input; syntax errors
//! are reported, and the policy asks instead of guessing.
//!
//! What comes out is deliberately flat: a [`Script`] is a vector of [`SimpleCommand`]s that refer
//! to each other by index (pipeline producers, substitutions, nested code), so rules can follow
//! data flow without walking a tree. Commands inside substitutions are pushed before the command
//! that uses them; nested code (`sh -c '…'`) is pushed after its parent.
//!
//! Nothing here executes, expands or reads anything: `~`, `$HOME` and `$(…)` stay as text.

use tree_sitter::{Node, Parser};

use super::paths;

/// How deep code nested in code (`sh -c "bash -c '…'"`) is followed before the policy stops and
/// reports a problem (and so asks).
pub const MAX_NESTING: usize = 6;

/// Longer command lines are not parsed at all (and so asked about).
pub const MAX_LENGTH: usize = 256 * 1024;

/// One shell word after quote removal.
///
/// Expansions stay in their source form (`$HOME`, `${X:-y}`, `$(curl …)`), so rules can still
/// recognise `~/.bashrc` and `$HOME/.bashrc` alike.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word {
    /// The text after quote removal.
    pub text: String,
    /// Commands run by `$(…)`, `` `…` ``, `<(…)` or `>(…)` inside this word.
    pub substitutions: Vec<usize>,
    /// Names of the variables this word expands.
    pub variables: Vec<String>,
    /// Whether the value is only known at run time (any expansion or substitution).
    pub dynamic: bool,
}

impl Word {
    fn literal(text: impl Into<String>) -> Self {
        Word {
            text: text.into(),
            ..Word::default()
        }
    }

    fn append(&mut self, other: Word) {
        self.text.push_str(&other.text);
        self.substitutions.extend(other.substitutions);
        self.variables.extend(other.variables);
        self.dynamic |= other.dynamic;
    }

    /// Merge only what other carries besides its text (for parts kept in source form).
    fn absorb(&mut self, other: Word) {
        self.substitutions.extend(other.substitutions);
        self.variables.extend(other.variables);
        self.dynamic |= other.dynamic;
    }
}

/// What a redirection does to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    /// `<`
    Read,
    /// `>`, `>|`, `&>`, `>&file`
    Write,
    /// `>>`, `&>>`
    Append,
    /// `<>`
    ReadWrite,
    /// `2>&1`, `<&3`, `>&-`: no file involved.
    Duplicate,
}

/// A file redirection of a simple command (own or inherited from an enclosing `{ …; } > f`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub kind: RedirectKind,
    /// The file descriptor number written before the operator, if any (`2>`).
    pub descriptor: Option<String>,
    pub target: Word,
}

impl Redirect {
    /// Whether this redirection writes to its target file.
    pub fn writes(&self) -> bool {
        matches!(
            self.kind,
            RedirectKind::Write | RedirectKind::Append | RedirectKind::ReadWrite
        )
    }

    /// Whether this redirection reads its target file.
    pub fn reads(&self) -> bool {
        matches!(self.kind, RedirectKind::Read | RedirectKind::ReadWrite)
    }
}

/// A heredoc that feeds a command's standard input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Heredoc {
    /// The body as written.
    pub body: String,
    /// Whether the body is expanded by the shell (the delimiter was not quoted).
    pub expands: bool,
    /// Commands run by substitutions in an expanding body.
    pub substitutions: Vec<usize>,
    /// Variables expanded in an expanding body.
    pub variables: Vec<String>,
}

/// Where a simple command comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Written in the command line itself (possibly inside a list, subshell or function).
    Direct,
    /// Inside a command or process substitution.
    Substitution,
    /// Parsed from code another command runs: `sh -c '…'`, a heredoc or `echo …` fed to a shell,
    /// `eval '…'`, `su -c '…'`.
    NestedCode { parent: usize },
    /// The command `find … -exec` runs.
    Exec { parent: usize },
}

/// One simple command: a program with its words, redirections and where its input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The source text of this command.
    pub text: String,
    /// All words, the command name first (wrappers such as `sudo` included).
    pub words: Vec<Word>,
    /// Index into `words` of the program that really runs once wrappers are unwrapped; `None`
    /// when the words name no program (`sudo -i`, a bare `env`, an assignment-only command).
    pub program: Option<usize>,
    /// Wrappers unwrapped in front of the program, outermost first (`sudo`, `env`, `timeout`).
    pub wrappers: Vec<String>,
    /// The privilege wrapper in effect (`sudo`, `doas`, `su`, …), own or inherited from an
    /// enclosing `sudo sh -c '…'`.
    pub privilege: Option<String>,
    /// `NAME=value` prefixes.
    pub assignments: Vec<(String, Word)>,
    /// File redirections, own and inherited.
    pub redirects: Vec<Redirect>,
    pub heredoc: Option<Heredoc>,
    pub herestring: Option<Word>,
    /// Commands whose output is this command's standard input (the previous pipeline stage).
    pub stdin: Vec<usize>,
    pub origin: Origin,
    /// Whether it runs in the background (`&`).
    pub background: bool,
    /// Whether it is a stage of a pipeline.
    pub in_pipeline: bool,
    /// The function whose body holds this command, if any.
    pub function: Option<String>,
    /// Whether the code this command runs (`sh -c '…'`, a heredoc to a shell, …) was parsed
    /// and appears as nested commands.
    pub inline_code: bool,
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    /// The command line as given.
    pub text: String,
    pub commands: Vec<SimpleCommand>,
    /// Every variable assignment seen, in order (`a=$(curl …)` lets `eval "$a"` be traced).
    pub variables: Vec<(String, Word)>,
    /// Names of the functions the command line defines.
    pub functions: Vec<String>,
    /// Why the command line could not be fully understood; empty when it could.
    pub problems: Vec<String>,
}

impl Script {
    /// Commands parsed from the code `parent` runs.
    pub fn nested_in(&self, parent: usize) -> impl Iterator<Item = usize> + '_ {
        self.commands
            .iter()
            .enumerate()
            .filter(move |(_, command)| {
                matches!(command.origin, Origin::NestedCode { parent: p } if p == parent)
            })
            .map(|(index, _)| index)
    }

    /// Commands whose output becomes the value of `variable` (`a=$(curl …)`).
    pub fn variable_producers(&self, variable: &str) -> Vec<usize> {
        self.variables
            .iter()
            .filter(|(name, _)| name == variable)
            .flat_map(|(_, value)| value.substitutions.iter().copied())
            .collect()
    }
}

impl SimpleCommand {
    fn new(text: String, origin: Origin) -> Self {
        SimpleCommand {
            text,
            words: Vec::new(),
            program: None,
            wrappers: Vec::new(),
            privilege: None,
            assignments: Vec::new(),
            redirects: Vec::new(),
            heredoc: None,
            herestring: None,
            stdin: Vec::new(),
            origin,
            background: false,
            in_pipeline: false,
            function: None,
            inline_code: false,
        }
    }

    /// The word naming the program, if a program runs.
    pub fn program_word(&self) -> Option<&Word> {
        self.program.and_then(|index| self.words.get(index))
    }

    /// The program's name without its directory (`/usr/bin/curl` → `curl`), or `None` when no
    /// program runs or its name is only known at run time.
    pub fn program_name(&self) -> Option<&str> {
        let word = self.program_word()?;
        if word.dynamic {
            return None;
        }
        Some(basename(&word.text))
    }

    /// The words after the program.
    pub fn arguments(&self) -> &[Word] {
        match self.program {
            Some(index) => self.words.get(index + 1..).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// The last path component of a command name.
pub fn basename(text: &str) -> &str {
    text.rsplit('/').next().unwrap_or(text)
}

/// Parse one command line. Never fails: what could not be understood is listed in
/// [`Script::problems`].
pub fn parse(command: &str) -> Script {
    let mut script = Script {
        text: command.to_string(),
        ..Script::default()
    };
    if command.len() > MAX_LENGTH {
        script.problems.push(format!(
            "the command is {} bytes long; the policy checks at most {MAX_LENGTH}",
            command.len()
        ));
        return script;
    }
    let mut parser = Parser::new();
    if let Err(error) = parser.set_language(&tree_sitter_bash::LANGUAGE.into()) {
        script
            .problems
            .push(format!("the shell grammar could not be loaded: {error}"));
        return script;
    }
    let mut builder = Builder {
        parser,
        script,
        written: Vec::new(),
        pending_output_readers: Vec::new(),
    };
    builder.parse_code(command, &Frame::top());
    builder.script
}

/// What a command inherits from where it appears.
#[derive(Debug, Clone)]
struct Frame {
    stdin: Vec<usize>,
    origin: Origin,
    privilege: Option<String>,
    redirects: Vec<Redirect>,
    /// The source text of inherited redirections, appended to each command's text so a finding
    /// shows `echo x >> ~/.bashrc`, not just `echo x`.
    redirect_text: Vec<String>,
    heredoc: Option<Heredoc>,
    herestring: Option<Word>,
    background: bool,
    in_pipeline: bool,
    function: Option<String>,
    depth: usize,
}

impl Frame {
    fn top() -> Self {
        Frame {
            stdin: Vec::new(),
            origin: Origin::Direct,
            privilege: None,
            redirects: Vec::new(),
            redirect_text: Vec::new(),
            heredoc: None,
            herestring: None,
            background: false,
            in_pipeline: false,
            function: None,
            depth: 0,
        }
    }

    /// The frame for commands inside a substitution of a command in this frame: they read no
    /// pipe and inherit no redirection.
    fn substitution(&self) -> Self {
        Frame {
            stdin: Vec::new(),
            origin: Origin::Substitution,
            privilege: self.privilege.clone(),
            redirects: Vec::new(),
            redirect_text: Vec::new(),
            heredoc: None,
            herestring: None,
            background: false,
            in_pipeline: false,
            function: self.function.clone(),
            depth: self.depth,
        }
    }
}

/// What a redirected pipeline's redirections give its last stage.
#[derive(Debug, Default)]
struct Tail {
    redirects: Vec<Redirect>,
    texts: Vec<String>,
    heredoc: Option<Heredoc>,
    herestring: Option<Word>,
}

struct Builder {
    parser: Parser,
    script: Script,
    /// Files this command line writes with literal text (`echo … > x.sh`, `cat > x.sh <<EOF`):
    /// (normalized path, content), so running them later is checked like inline code.
    written: Vec<(String, String)>,
    /// Commands inside `>(…)` of the command being built: they read that command's output.
    pending_output_readers: Vec<usize>,
}

/// Statement kinds walked by looking at their children.
const CONTAINERS: &[&str] = &[
    "program",
    "list",
    "compound_statement",
    "subshell",
    "do_group",
    "if_statement",
    "elif_clause",
    "else_clause",
    "while_statement",
    "for_statement",
    "c_style_for_statement",
    "case_statement",
    "case_item",
    "negated_command",
    "test_command",
    "ERROR",
];

impl Builder {
    /// Parse `code` and add its commands. Returns the indices of the commands added.
    fn parse_code(&mut self, code: &str, frame: &Frame) -> Vec<usize> {
        let Some(tree) = self.parser.parse(code, None) else {
            self.script
                .problems
                .push("the shell parser gave up on the command".to_string());
            return Vec::new();
        };
        let root = tree.root_node();
        if root.has_error() {
            self.script.problems.push(syntax_problem(root, code));
        }
        self.statement(root, code, frame)
    }

    /// Walk a statement (or anything that may contain statements). Returns the indices of the
    /// commands it added, nested ones included.
    fn statement(&mut self, node: Node, source: &str, frame: &Frame) -> Vec<usize> {
        match node.kind() {
            "command" => self.command(node, source, frame),
            "declaration_command" | "unset_command" => self.declaration(node, source, frame),
            "pipeline" => {
                let stages = named_children(node);
                self.pipeline(&stages, source, frame, &Tail::default())
            }
            "redirected_statement" => self.redirected(node, source, frame),
            "variable_assignment" => {
                let first = self.script.commands.len();
                self.assignment(node, source, frame);
                (first..self.script.commands.len()).collect()
            }
            "variable_assignments" => {
                let first = self.script.commands.len();
                for child in named_children(node) {
                    self.assignment(child, source, frame);
                }
                (first..self.script.commands.len()).collect()
            }
            "function_definition" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|name| text(name, source).to_string());
                let mut inner = frame.clone();
                if let Some(name) = &name {
                    self.script.functions.push(name.clone());
                    inner.function = Some(name.clone());
                }
                match node.child_by_field_name("body") {
                    Some(body) => self.statement(body, source, &inner),
                    None => Vec::new(),
                }
            }
            "comment" | "heredoc_start" | "heredoc_end" => Vec::new(),
            kind if CONTAINERS.contains(&kind) => self.container(node, source, frame),
            _ => {
                // Words in statement position (a `for` list, a `case` value, a test operand):
                // their substitutions still run.
                let first = self.script.commands.len();
                let _ = self.word(node, source, frame);
                (first..self.script.commands.len()).collect()
            }
        }
    }

    fn container(&mut self, node: Node, source: &str, frame: &Frame) -> Vec<usize> {
        let mut added = Vec::new();
        let children = all_children(node);
        for (position, child) in children.iter().enumerate() {
            if !child.is_named() {
                continue;
            }
            let backgrounded = children
                .get(position + 1)
                .is_some_and(|next| !next.is_named() && next.kind() == "&");
            let inner;
            let child_frame = if backgrounded {
                inner = Frame {
                    background: true,
                    ..frame.clone()
                };
                &inner
            } else {
                frame
            };
            added.extend(self.statement(*child, source, child_frame));
        }
        added
    }

    /// Walk pipeline stages: each reads the output of the one before. What `tail` holds applies
    /// to the last stage only (`a | b > f` redirects `b`).
    fn pipeline(
        &mut self,
        stages: &[Node],
        source: &str,
        frame: &Frame,
        tail: &Tail,
    ) -> Vec<usize> {
        let mut added = Vec::new();
        let mut previous = frame.stdin.clone();
        for (position, stage) in stages.iter().enumerate() {
            let mut stage_frame = Frame {
                stdin: previous.clone(),
                in_pipeline: stages.len() > 1 || frame.in_pipeline,
                ..frame.clone()
            };
            if position + 1 == stages.len() {
                stage_frame.redirects.extend(tail.redirects.iter().cloned());
                stage_frame.redirect_text.extend(tail.texts.iter().cloned());
                if tail.heredoc.is_some() {
                    stage_frame.heredoc = tail.heredoc.clone();
                }
                if tail.herestring.is_some() {
                    stage_frame.herestring = tail.herestring.clone();
                }
            }
            let created = self.statement(*stage, source, &stage_frame);
            previous = created.clone();
            added.extend(created);
        }
        added
    }

    fn redirected(&mut self, node: Node, source: &str, frame: &Frame) -> Vec<usize> {
        let mut redirects = Vec::new();
        let mut heredoc = None;
        let mut herestring = None;
        let mut heredoc_nodes = Vec::new();
        let mut texts = Vec::new();
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            let field = node.field_name_for_child(index as u32);
            match child.kind() {
                "file_redirect" | "herestring_redirect" => {
                    texts.push(text(child, source).to_string())
                }
                "heredoc_redirect" => texts.push(heredoc_head(child, source)),
                _ => {}
            }
            match child.kind() {
                "file_redirect" => redirects.push(self.file_redirect(child, source, frame)),
                "herestring_redirect" => herestring = Some(self.herestring(child, source, frame)),
                "heredoc_redirect" => {
                    let (body, inner_redirects) = self.heredoc(child, source, frame);
                    heredoc = Some(body);
                    redirects.extend(inner_redirects);
                    heredoc_nodes.push(child);
                }
                _ if field == Some("redirect") => {}
                _ => {}
            }
        }
        let body = node.child_by_field_name("body");
        let mut added = match body {
            Some(body) if body.kind() == "pipeline" => {
                let stages = named_children(body);
                let tail = Tail {
                    redirects: redirects.clone(),
                    texts,
                    heredoc,
                    herestring,
                };
                self.pipeline(&stages, source, frame, &tail)
            }
            Some(body) => {
                let mut body_frame = Frame {
                    heredoc: heredoc.or_else(|| frame.heredoc.clone()),
                    herestring: herestring.or_else(|| frame.herestring.clone()),
                    ..frame.clone()
                };
                body_frame.redirects.extend(redirects.iter().cloned());
                body_frame.redirect_text.extend(texts);
                self.statement(body, source, &body_frame)
            }
            None => {
                // A redirection alone (`> /etc/passwd`) still writes its target.
                let mut command = SimpleCommand::new(text(node, source).to_string(), frame.origin);
                command.redirects = frame.redirects.clone();
                command.redirects.extend(redirects.iter().cloned());
                command.stdin = frame.stdin.clone();
                command.privilege = frame.privilege.clone();
                command.function = frame.function.clone();
                self.script.commands.push(command);
                vec![self.script.commands.len() - 1]
            }
        };
        // What follows a heredoc's start on the same line: `cat <<EOF | sh`, `cat <<EOF && x`.
        for heredoc_node in heredoc_nodes {
            let mut cursor = heredoc_node.walk();
            for (index, child) in heredoc_node.children(&mut cursor).enumerate() {
                let field = heredoc_node.field_name_for_child(index as u32);
                if child.kind() == "pipeline" && field.is_none() {
                    let stages = named_children(child);
                    let continuation = Frame {
                        stdin: added.clone(),
                        in_pipeline: true,
                        ..frame.clone()
                    };
                    added.extend(self.pipeline(&stages, source, &continuation, &Tail::default()));
                } else if field == Some("right") {
                    added.extend(self.statement(child, source, frame));
                }
            }
        }
        added
    }

    fn heredoc(&mut self, node: Node, source: &str, frame: &Frame) -> (Heredoc, Vec<Redirect>) {
        let mut heredoc = Heredoc::default();
        let mut redirects = Vec::new();
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            let field = node.field_name_for_child(index as u32);
            match child.kind() {
                "heredoc_start" => {
                    let delimiter = text(child, source);
                    heredoc.expands = !delimiter.contains(['\'', '"', '\\']);
                }
                "heredoc_body" => {
                    heredoc.body = text(child, source).to_string();
                    if heredoc.expands {
                        for part in named_children(child) {
                            if part.kind() == "heredoc_content" {
                                continue;
                            }
                            let word = self.word(part, source, &frame.substitution());
                            heredoc.substitutions.extend(word.substitutions);
                            heredoc.variables.extend(word.variables);
                        }
                    }
                }
                "file_redirect" if field == Some("redirect") => {
                    redirects.push(self.file_redirect(child, source, frame));
                }
                _ => {}
            }
        }
        (heredoc, redirects)
    }

    fn herestring(&mut self, node: Node, source: &str, frame: &Frame) -> Word {
        let mut word = Word::default();
        for child in named_children(node) {
            if child.kind() == "file_descriptor" {
                continue;
            }
            word.append(self.word(child, source, &frame.substitution()));
        }
        word
    }

    fn file_redirect(&mut self, node: Node, source: &str, frame: &Frame) -> Redirect {
        let descriptor = node
            .child_by_field_name("descriptor")
            .map(|descriptor| text(descriptor, source).to_string());
        let operator = all_children(node)
            .into_iter()
            .find(|child| !child.is_named())
            .map(|child| text(child, source).to_string())
            .unwrap_or_default();
        let mut target = Word::default();
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            if node.field_name_for_child(index as u32) == Some("destination") {
                target.append(self.word(child, source, &frame.substitution()));
            }
        }
        let duplicate_target = target.text == "-"
            || (!target.text.is_empty() && target.text.chars().all(|c| c.is_ascii_digit()));
        let kind = match operator.as_str() {
            "<" => RedirectKind::Read,
            ">>" | "&>>" => RedirectKind::Append,
            "<>" => RedirectKind::ReadWrite,
            "<&" | "<&-" | ">&-" => RedirectKind::Duplicate,
            ">&" if duplicate_target => RedirectKind::Duplicate,
            _ => RedirectKind::Write,
        };
        Redirect {
            kind,
            descriptor,
            target,
        }
    }

    fn assignment(&mut self, node: Node, source: &str, frame: &Frame) -> (String, Word) {
        let name = node
            .child_by_field_name("name")
            .map(|name| text(name, source).to_string())
            .unwrap_or_default();
        let value = match node.child_by_field_name("value") {
            Some(value) => self.word(value, source, &frame.substitution()),
            None => Word::default(),
        };
        self.script.variables.push((name.clone(), value.clone()));
        (name, value)
    }

    /// `export A=1 B`, `declare -x X`, `unset Y`: a simple command whose arguments may be
    /// assignments.
    fn declaration(&mut self, node: Node, source: &str, frame: &Frame) -> Vec<usize> {
        let first = self.script.commands.len();
        let mut words = Vec::new();
        for child in all_children(node) {
            if !child.is_named() {
                // The keyword itself (`export`, `declare`, `unset`, …).
                if words.is_empty() {
                    words.push(Word::literal(text(child, source)));
                }
                continue;
            }
            if child.kind() == "variable_assignment" {
                let (name, value) = self.assignment(child, source, frame);
                let mut word = Word::literal(format!("{name}="));
                word.append(value);
                words.push(word);
            } else {
                words.push(self.word(child, source, frame));
            }
        }
        let mut command = SimpleCommand::new(text(node, source).to_string(), frame.origin);
        command.words = words;
        command.program = Some(0);
        self.push(command, frame);
        (first..self.script.commands.len()).collect()
    }

    fn command(&mut self, node: Node, source: &str, frame: &Frame) -> Vec<usize> {
        let first = self.script.commands.len();
        let outer_readers = std::mem::take(&mut self.pending_output_readers);
        let mut command = SimpleCommand::new(text(node, source).to_string(), frame.origin);
        let mut cursor = node.walk();
        for (index, child) in node.children(&mut cursor).enumerate() {
            match node.field_name_for_child(index as u32) {
                Some("name") => {
                    let word = match child.named_child(0) {
                        Some(inner) => self.word(inner, source, frame),
                        None => Word::literal(text(child, source)),
                    };
                    command.words.push(word);
                }
                Some("argument") => command.words.push(self.word(child, source, frame)),
                Some("redirect") => match child.kind() {
                    "file_redirect" => command
                        .redirects
                        .push(self.file_redirect(child, source, frame)),
                    "herestring_redirect" => {
                        command.herestring = Some(self.herestring(child, source, frame));
                    }
                    _ => {}
                },
                _ => match child.kind() {
                    "variable_assignment" => {
                        let assignment = self.assignment(child, source, frame);
                        command.assignments.push(assignment);
                    }
                    "subshell" => {
                        let _ = self.statement(child, source, frame);
                    }
                    _ => {}
                },
            }
        }
        let mut redirects = frame.redirects.clone();
        redirects.append(&mut command.redirects);
        command.redirects = redirects;
        self.push(command, frame);
        let readers = std::mem::replace(&mut self.pending_output_readers, outer_readers);
        let index = self.script.commands.len().saturating_sub(1);
        for reader in readers {
            if let Some(reader) = self.script.commands.get_mut(reader) {
                reader.stdin.push(index);
            }
        }
        self.follow_code(index, frame);
        (first..self.script.commands.len()).collect()
    }

    /// Fill in what the frame gives, unwrap wrappers, and push.
    fn push(&mut self, mut command: SimpleCommand, frame: &Frame) {
        if !frame.redirect_text.is_empty() {
            command.text = format!(
                "{} {}",
                command.text.trim_end(),
                frame.redirect_text.join(" ")
            );
        }
        if command.heredoc.is_none() {
            command.heredoc = frame.heredoc.clone();
        }
        if command.herestring.is_none() {
            command.herestring = frame.herestring.clone();
        }
        command.stdin = frame.stdin.clone();
        command.background = frame.background;
        command.in_pipeline = frame.in_pipeline;
        command.function = frame.function.clone();
        let unwrapped = unwrap(&command.words);
        command.program = unwrapped.program;
        command.wrappers = unwrapped.wrappers;
        command.privilege = unwrapped.privilege.or_else(|| frame.privilege.clone());
        self.script.commands.push(command);
    }

    /// Parse the code that command `index` runs, when it is written out in the command line:
    /// `sh -c '…'`, `su -c '…'`, `eval '…'`, a heredoc, herestring or `echo …` fed to a shell;
    /// and the command `find -exec` runs.
    fn follow_code(&mut self, index: usize, frame: &Frame) {
        let Some(command) = self.script.commands.get(index).cloned() else {
            return;
        };
        if command.program_name() == Some("find") {
            self.find_exec(index, &command, frame);
        }
        self.record_written_file(&command);
        let mut codes = Vec::new();
        // A script this command line wrote, run by its path (`./install.sh`).
        if let Some(word) = command.program_word()
            && !word.dynamic
            && word.text.contains('/')
            && let Some(content) = self.written_file(&word.text)
        {
            codes.push(content);
        }
        // `alias ll='rm -rf ~'`: the alias body runs whenever the name is used.
        if command.program_name() == Some("alias") {
            for word in command.arguments() {
                if word.substitutions.is_empty()
                    && let Some((_, body)) = word.text.split_once('=')
                {
                    codes.push(body.to_string());
                }
            }
        }
        let input = match code_input(&command) {
            Some((Language::Shell, input)) => Some(input),
            _ => None,
        };
        match input {
            None => {}
            Some(CodeInput::Arguments(indices)) => {
                let words: Vec<&Word> = indices
                    .iter()
                    .filter_map(|&word| command.words.get(word))
                    .collect();
                if words.iter().all(|word| word.substitutions.is_empty()) && !words.is_empty() {
                    let joined: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
                    codes.push(joined.join(" "));
                }
            }
            Some(CodeInput::Stdin) => {
                let redirected = command.redirects.iter().find(|redirect| {
                    redirect.reads() && redirect.descriptor.as_deref().is_none_or(|fd| fd == "0")
                });
                if let Some(heredoc) = &command.heredoc {
                    codes.push(heredoc.body.clone());
                } else if let Some(herestring) = &command.herestring {
                    if herestring.substitutions.is_empty() {
                        codes.push(herestring.text.clone());
                    }
                } else if let Some(redirect) = redirected {
                    if let Some(content) = self.written_file(&redirect.target.text) {
                        codes.push(content);
                    }
                } else {
                    for &producer in &command.stdin {
                        if let Some(output) =
                            self.script.commands.get(producer).and_then(literal_output)
                        {
                            codes.push(output);
                        }
                    }
                }
            }
            Some(CodeInput::ScriptFile(position)) => {
                if let Some(word) = command.words.get(position)
                    && let Some(content) = self.written_file(&word.text)
                {
                    codes.push(content);
                }
            }
        }
        if codes.is_empty() {
            return;
        }
        if frame.depth + 1 > MAX_NESTING {
            self.script.problems.push(format!(
                "code is nested more than {MAX_NESTING} levels deep (`{}`)",
                command.text
            ));
            return;
        }
        // `su -c '…'` runs its code as another user (root by default).
        let privilege = match command.program_name() {
            Some(name @ ("su" | "runuser")) => Some(name.to_string()),
            _ => command.privilege.clone(),
        };
        let nested = Frame {
            stdin: Vec::new(),
            origin: Origin::NestedCode { parent: index },
            privilege,
            redirects: Vec::new(),
            redirect_text: Vec::new(),
            heredoc: None,
            herestring: None,
            background: false,
            in_pipeline: false,
            function: frame.function.clone(),
            depth: frame.depth + 1,
        };
        for code in codes {
            self.parse_code(&code, &nested);
        }
        if let Some(command) = self.script.commands.get_mut(index) {
            command.inline_code = true;
        }
    }

    /// Remember what a command writes to files when it is literal text.
    fn record_written_file(&mut self, command: &SimpleCommand) {
        let mut writes: Vec<(String, bool)> = command
            .redirects
            .iter()
            .filter(|redirect| {
                redirect.writes() && redirect.descriptor.as_deref().is_none_or(|fd| fd == "1")
            })
            .map(|redirect| {
                (
                    redirect.target.text.clone(),
                    redirect.kind == RedirectKind::Append,
                )
            })
            .collect();
        let content = if command.program_name() == Some("tee") {
            let append = command
                .arguments()
                .iter()
                .any(|word| word.text == "-a" || word.text == "--append");
            writes.extend(
                command
                    .arguments()
                    .iter()
                    .filter(|word| !word.text.starts_with('-'))
                    .map(|word| (word.text.clone(), append)),
            );
            self.literal_stdin(command)
        } else {
            literal_output(command)
        };
        let Some(content) = content else {
            return;
        };
        for (target, append) in writes {
            let path = paths::normalize(&target);
            match self
                .written
                .iter_mut()
                .find(|(written, _)| *written == path)
            {
                Some((_, existing)) if append => {
                    existing.push('\n');
                    existing.push_str(&content);
                }
                Some((_, existing)) => *existing = content.clone(),
                None => self.written.push((path, content.clone())),
            }
        }
    }

    /// The literal text on a command's standard input, if it is literal.
    fn literal_stdin(&self, command: &SimpleCommand) -> Option<String> {
        if let Some(heredoc) = &command.heredoc {
            return heredoc
                .substitutions
                .is_empty()
                .then(|| heredoc.body.clone());
        }
        if let Some(herestring) = &command.herestring {
            return (!herestring.dynamic).then(|| herestring.text.clone());
        }
        if command.stdin.is_empty() {
            return None;
        }
        let outputs: Option<Vec<String>> = command
            .stdin
            .iter()
            .map(|&producer| self.script.commands.get(producer).and_then(literal_output))
            .collect();
        outputs.map(|outputs| outputs.join("\n"))
    }

    /// The literal content this command line wrote to `path`, if it did.
    fn written_file(&self, path: &str) -> Option<String> {
        let normalized = paths::normalize(path);
        let relative = !normalized.starts_with(['/', '~']);
        self.written
            .iter()
            .find(|(written, _)| {
                *written == normalized
                    || (relative || !written.starts_with(['/', '~']))
                        && basename(written) == basename(&normalized)
            })
            .map(|(_, content)| content.clone())
    }

    /// `find … -exec rm -rf {} \;` runs `rm -rf {}` for every match: add it as a command.
    fn find_exec(&mut self, index: usize, command: &SimpleCommand, frame: &Frame) {
        let arguments = command.arguments();
        let mut position = 0;
        while position < arguments.len() {
            let flag = arguments[position].text.as_str();
            if matches!(flag, "-exec" | "-execdir" | "-ok" | "-okdir") {
                let words: Vec<Word> = arguments[position + 1..]
                    .iter()
                    .take_while(|word| word.text != ";" && word.text != "+")
                    .cloned()
                    .collect();
                position += words.len() + 2;
                if words.is_empty() {
                    continue;
                }
                let text: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
                let mut exec = SimpleCommand::new(text.join(" "), Origin::Exec { parent: index });
                exec.words = words;
                let exec_frame = Frame {
                    stdin: Vec::new(),
                    heredoc: None,
                    herestring: None,
                    redirects: Vec::new(),
                    redirect_text: Vec::new(),
                    privilege: command.privilege.clone(),
                    ..frame.clone()
                };
                self.push(exec, &exec_frame);
            } else {
                position += 1;
            }
        }
    }

    /// The value of one word-like node, walking the commands of its substitutions.
    fn word(&mut self, node: Node, source: &str, frame: &Frame) -> Word {
        let raw = text(node, source);
        match node.kind() {
            "word" => Word::literal(unescape_unquoted(raw)),
            "raw_string" => Word::literal(strip_delimiters(raw, "'", "'")),
            "ansi_c_string" => Word::literal(unescape_ansi_c(strip_delimiters(raw, "$'", "'"))),
            "string" | "translated_string" => {
                let mut word = Word::default();
                for child in named_children(node) {
                    if child.kind() == "string_content" {
                        word.text
                            .push_str(&unescape_double_quoted(text(child, source)));
                    } else {
                        word.append(self.word(child, source, frame));
                    }
                }
                word
            }
            "concatenation" => {
                let mut word = Word::default();
                for child in all_children(node) {
                    if child.is_named() {
                        word.append(self.word(child, source, frame));
                    } else {
                        word.text.push_str(text(child, source));
                    }
                }
                word
            }
            "simple_expansion" | "expansion" => {
                let mut word = Word {
                    text: raw.to_string(),
                    dynamic: true,
                    ..Word::default()
                };
                for child in named_children(node) {
                    match child.kind() {
                        "variable_name" | "special_variable_name" => {
                            if word.variables.is_empty() {
                                word.variables.push(text(child, source).to_string());
                            }
                        }
                        _ => {
                            let inner = self.word(child, source, frame);
                            word.absorb(inner);
                        }
                    }
                }
                word
            }
            "command_substitution" | "process_substitution" => {
                let inner_frame = frame.substitution();
                let mut created = Vec::new();
                for child in named_children(node) {
                    created.extend(self.statement(child, source, &inner_frame));
                }
                if node.kind() == "process_substitution" && raw.starts_with(">(") {
                    // The commands of `>(…)` read what the enclosing command writes there.
                    self.pending_output_readers.extend(created.iter().copied());
                }
                Word {
                    text: raw.to_string(),
                    substitutions: created,
                    variables: Vec::new(),
                    dynamic: true,
                }
            }
            "variable_name" | "number" | "file_descriptor" | "regex" | "extglob_pattern"
                if node.named_child_count() == 0 =>
            {
                Word::literal(raw)
            }
            _ => {
                // Anything else (arithmetic, brace expressions, arrays, test operands) is kept
                // in source form; only its substitutions and expansions matter.
                let mut word = Word::literal(raw);
                for child in named_children(node) {
                    let inner = self.word(child, source, frame);
                    word.absorb(inner);
                }
                word
            }
        }
    }
}

/// The language of code a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// A POSIX-like shell (or `eval`, `source`, `su -c`): the code can be parsed here.
    Shell,
    /// Python, Perl, Ruby, Node, PHP: the code can only be looked at as text.
    Other,
}

/// Where a command that runs code gets it from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeInput {
    /// The code is these words (indices into `words`): `sh -c CODE`, `python -c CODE`, `eval …`.
    Arguments(Vec<usize>),
    /// The code is read from standard input: a pipe, heredoc, herestring or `<` redirection.
    Stdin,
    /// The code is in this file (index into `words`), possibly a process substitution.
    ScriptFile(usize),
}

const SHELLS: &[&str] = &[
    "sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "fish", "yash",
];

/// Interpreter names normalised: `python3.12` → `python`, `nodejs` → `node`.
pub fn interpreter_family(name: &str) -> &str {
    let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    match trimmed {
        "python" | "pypy" => "python",
        "perl" => "perl",
        "ruby" => "ruby",
        "node" | "nodejs" => "node",
        "php" => "php",
        "pwsh" | "powershell" => "pwsh",
        _ => name,
    }
}

/// Whether `command` runs code, and where that code comes from. `None` for programs that do not
/// interpret code (or when it runs a module, like `python -m pip`).
pub fn code_input(command: &SimpleCommand) -> Option<(Language, CodeInput)> {
    if command.program.is_none() {
        // `sudo -s`, `sudo -i`, `doas -s` with no command start a root shell that reads stdin.
        return matches!(
            command.wrappers.last().map(String::as_str),
            Some("sudo" | "doas" | "run0" | "pkexec")
        )
        .then_some((Language::Shell, CodeInput::Stdin));
    }
    let name = command.program_name()?;
    let program = command.program?;
    let words = &command.words;
    let after = program + 1;
    if SHELLS.contains(&name) {
        return shell_code_input(words, after).map(|input| (Language::Shell, input));
    }
    match name {
        "eval" => Some((
            Language::Shell,
            CodeInput::Arguments((after..words.len()).collect()),
        )),
        "source" | "." => {
            (after < words.len()).then_some((Language::Shell, CodeInput::ScriptFile(after)))
        }
        // Without `-c`, `su` starts a shell that reads commands from stdin.
        "su" | "runuser" => Some(match option_value(words, after, &["-c", "--command"]) {
            Some(index) => (Language::Shell, CodeInput::Arguments(vec![index])),
            None => (Language::Shell, CodeInput::Stdin),
        }),
        "watch" => {
            let start = skip_options(words, after, "ndq", &["--interval", "--differences"]);
            (start < words.len()).then(|| {
                (
                    Language::Shell,
                    CodeInput::Arguments((start..words.len()).collect()),
                )
            })
        }
        _ => {
            let family = interpreter_family(name);
            let (code_flags, value_flags): (&[&str], &str) = match family {
                "python" => (&["-c"], "cmWXQ"),
                "perl" => (&["-e", "-E"], "IMmx"),
                "ruby" => (&["-e"], "IrCEF"),
                "node" => (&["-e", "--eval", "-p", "--print"], "r"),
                "php" => (&["-r"], "cdfz"),
                "pwsh" => (&["-c", "-Command", "-command", "-EncodedCommand"], "fF"),
                _ => return None,
            };
            if family == "python" && words.iter().skip(after).any(|word| word.text == "-m") {
                return None;
            }
            if let Some(index) = option_value(words, after, code_flags) {
                return Some((Language::Other, CodeInput::Arguments(vec![index])));
            }
            let start = skip_options(words, after, value_flags, &[]);
            match words.get(start) {
                Some(word) if word.text != "-" => {
                    Some((Language::Other, CodeInput::ScriptFile(start)))
                }
                _ => Some((Language::Other, CodeInput::Stdin)),
            }
        }
    }
}

fn shell_code_input(words: &[Word], after: usize) -> Option<CodeInput> {
    let mut index = after;
    let mut command_string = false;
    let mut read_stdin = false;
    while let Some(word) = words.get(index) {
        let flag = word.text.as_str();
        if flag == "--" || flag == "-" {
            index += 1;
            if flag == "-" {
                read_stdin = true;
            }
            break;
        }
        if matches!(flag, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            index += 2;
            continue;
        }
        if let Some(letters) = flag.strip_prefix('-').filter(|_| !flag.starts_with("--")) {
            command_string |= letters.contains('c');
            read_stdin |= letters.contains('s');
            index += 1;
            continue;
        }
        if flag.starts_with("--") || flag.starts_with('+') {
            index += 1;
            continue;
        }
        break;
    }
    if command_string {
        // `sh -c` with the code missing (perhaps supplied by `xargs`): no words to read.
        let code = if index < words.len() {
            vec![index]
        } else {
            Vec::new()
        };
        return Some(CodeInput::Arguments(code));
    }
    if read_stdin || index >= words.len() {
        return Some(CodeInput::Stdin);
    }
    Some(CodeInput::ScriptFile(index))
}

/// The index of the value of the first of `flags` (`-c CODE`; `--command=CODE` and `-cCODE`
/// are returned as the flag word itself, whose text then starts with the flag).
fn option_value(words: &[Word], after: usize, flags: &[&str]) -> Option<usize> {
    for (index, word) in words.iter().enumerate().skip(after) {
        let text = word.text.as_str();
        if text == "--" {
            return None;
        }
        if flags.contains(&text) {
            return (index + 1 < words.len()).then_some(index + 1);
        }
    }
    None
}

/// The index of the first word at or after `start` that is not an option. Short options whose
/// letter is in `value_letters` and long options in `long_values` take the next word as value.
pub fn skip_options(
    words: &[Word],
    start: usize,
    value_letters: &str,
    long_values: &[&str],
) -> usize {
    let mut index = start;
    while let Some(word) = words.get(index) {
        let text = word.text.as_str();
        if text == "--" {
            return index + 1;
        }
        if let Some(long) = text.strip_prefix("--") {
            index += 1;
            if !long.contains('=') && long_values.contains(&text) {
                index += 1;
            }
            continue;
        }
        if let Some(letters) = text.strip_prefix('-').filter(|letters| !letters.is_empty()) {
            index += 1;
            // In a cluster the first value-taking letter consumes the rest, or the next word.
            if let Some(position) = letters.find(|letter| value_letters.contains(letter))
                && position + 1 == letters.len()
            {
                index += 1;
            }
            continue;
        }
        return index;
    }
    index
}

/// The text a command writes when it only prints literal text: `echo …`, `printf …`, or `cat`
/// of a literal heredoc. Used to read code piped into a shell (`echo 'x' | sh`).
pub fn literal_output(command: &SimpleCommand) -> Option<String> {
    let name = command.program_name()?;
    let arguments = command.arguments();
    if arguments.iter().any(|word| word.dynamic) {
        return None;
    }
    match name {
        "echo" => {
            let words: Vec<&str> = arguments
                .iter()
                .map(|word| word.text.as_str())
                .skip_while(|text| matches!(*text, "-n" | "-e" | "-E" | "-ne" | "-en"))
                .collect();
            Some(words.join(" "))
        }
        "printf" => {
            let words: Vec<String> = arguments
                .iter()
                .map(|word| word.text.replace("\\n", "\n"))
                .collect();
            Some(words.join(" "))
        }
        "cat" if arguments.is_empty() => match (&command.heredoc, &command.herestring) {
            (Some(heredoc), _) if heredoc.substitutions.is_empty() => Some(heredoc.body.clone()),
            (None, Some(herestring)) if !herestring.dynamic => Some(herestring.text.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The result of looking through wrappers.
struct Unwrapped {
    program: Option<usize>,
    wrappers: Vec<String>,
    privilege: Option<String>,
}

/// How to look through one wrapper program.
struct WrapperSpec {
    name: &'static str,
    /// Short options that take a value.
    value_letters: &'static str,
    /// Long options that take a value (when not written `--x=value`).
    long_values: &'static [&'static str],
    /// Positional operands before the wrapped command (`timeout DURATION cmd`).
    operands: usize,
    /// Whether `NAME=value` words may precede the command.
    assignments: bool,
    /// Whether the wrapped command runs with other privileges.
    privilege: bool,
}

const WRAPPERS: &[WrapperSpec] = &[
    WrapperSpec {
        name: "sudo",
        value_letters: "ughprtCDTU",
        long_values: &[
            "--user",
            "--group",
            "--host",
            "--prompt",
            "--role",
            "--type",
            "--close-from",
            "--chdir",
            "--command-timeout",
            "--other-user",
        ],
        operands: 0,
        assignments: true,
        privilege: true,
    },
    WrapperSpec {
        name: "doas",
        value_letters: "uC",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: true,
    },
    WrapperSpec {
        name: "pkexec",
        value_letters: "",
        long_values: &["--user"],
        operands: 0,
        assignments: false,
        privilege: true,
    },
    WrapperSpec {
        name: "run0",
        value_letters: "uDg",
        long_values: &["--user", "--group", "--chdir"],
        operands: 0,
        assignments: false,
        privilege: true,
    },
    WrapperSpec {
        name: "env",
        // `-S STRING` is not skipped: the string is the command, so it becomes the program.
        value_letters: "uC",
        long_values: &["--unset", "--chdir"],
        operands: 0,
        assignments: true,
        privilege: false,
    },
    WrapperSpec {
        name: "nohup",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "setsid",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "time",
        value_letters: "fo",
        long_values: &["--format", "--output"],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "command",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "builtin",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "exec",
        value_letters: "a",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "nice",
        value_letters: "n",
        long_values: &["--adjustment"],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "ionice",
        value_letters: "cnp",
        long_values: &["--class", "--classdata"],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "timeout",
        value_letters: "sk",
        long_values: &["--signal", "--kill-after"],
        operands: 1,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "stdbuf",
        value_letters: "ioe",
        long_values: &["--input", "--output", "--error"],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "xargs",
        value_letters: "aEdILnPs",
        long_values: &[
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--max-lines",
            "--max-chars",
            "--replace",
            "--eof",
        ],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "flock",
        value_letters: "wEc",
        long_values: &["--timeout", "--conflict-exit-code"],
        operands: 1,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "chroot",
        value_letters: "",
        long_values: &["--userspec", "--groups"],
        operands: 1,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "taskset",
        value_letters: "",
        long_values: &[],
        operands: 1,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "unbuffer",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "busybox",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "torsocks",
        value_letters: "",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
    WrapperSpec {
        name: "proxychains",
        value_letters: "f",
        long_values: &[],
        operands: 0,
        assignments: false,
        privilege: false,
    },
];

fn unwrap(words: &[Word]) -> Unwrapped {
    let mut unwrapped = Unwrapped {
        program: None,
        wrappers: Vec::new(),
        privilege: None,
    };
    let mut index = 0;
    // Each round looks through one wrapper; the bound stops `sudo sudo sudo …` games.
    for _ in 0..16 {
        let Some(word) = words.get(index) else {
            return unwrapped;
        };
        if word.dynamic {
            unwrapped.program = Some(index);
            return unwrapped;
        }
        let name = basename(&word.text);
        // `command -v x` asks a question; it does not run `x`.
        if name == "command"
            && words
                .get(index + 1)
                .is_some_and(|next| next.text == "-v" || next.text == "-V")
        {
            unwrapped.program = Some(index);
            return unwrapped;
        }
        let Some(spec) = WRAPPERS.iter().find(|spec| spec.name == name) else {
            unwrapped.program = Some(index);
            return unwrapped;
        };
        // A wrapper asked only for its version or help runs nothing else.
        if words
            .get(index + 1)
            .is_some_and(|next| matches!(next.text.as_str(), "--version" | "--help" | "-V"))
            && index + 2 == words.len()
        {
            unwrapped.program = Some(index);
            return unwrapped;
        }
        unwrapped.wrappers.push(name.to_string());
        if spec.privilege && unwrapped.privilege.is_none() {
            unwrapped.privilege = Some(name.to_string());
        }
        let mut next = skip_options(words, index + 1, spec.value_letters, spec.long_values);
        next += spec.operands;
        if spec.assignments {
            while words
                .get(next)
                .is_some_and(|word| is_assignment_word(&word.text))
            {
                next += 1;
            }
        }
        index = next;
    }
    unwrapped
}

/// Whether a word is written `NAME=value`.
pub fn is_assignment_word(text: &str) -> bool {
    match text.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// `<<'EOF'` (and any `>` on the same line) of a heredoc redirection, without its body.
fn heredoc_head(node: Node, source: &str) -> String {
    let mut parts = Vec::new();
    for child in all_children(node) {
        match child.kind() {
            "<<" | "<<-" => parts.push(text(child, source).to_string()),
            "heredoc_start" => {
                if let Some(last) = parts.last_mut() {
                    last.push_str(text(child, source));
                }
            }
            "file_redirect" => parts.push(text(child, source).to_string()),
            _ => {}
        }
    }
    parts.join(" ")
}

fn syntax_problem(root: Node, source: &str) -> String {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let position = node.start_position();
            let snippet: String = text(node, source).chars().take(40).collect();
            return if node.is_missing() {
                format!(
                    "could not parse: `{}` missing at line {}, column {}",
                    node.kind(),
                    position.row + 1,
                    position.column + 1
                )
            } else {
                format!(
                    "could not parse: syntax error at line {}, column {} near `{}`",
                    position.row + 1,
                    position.column + 1,
                    snippet.trim()
                )
            };
        }
        let mut children = all_children(node);
        children.reverse();
        stack.extend(children);
    }
    "could not parse: syntax error".to_string()
}

fn text<'source>(node: Node, source: &'source str) -> &'source str {
    source.get(node.byte_range()).unwrap_or("")
}

fn all_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn strip_delimiters<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let inner = text.strip_prefix(open).unwrap_or(text);
    inner.strip_suffix(close).unwrap_or(inner)
}

/// Backslash removal outside quotes: `\x` is `x`, a backslash-newline joins lines.
fn unescape_unquoted(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut characters = text.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.next() {
                Some('\n') | None => {}
                Some(escaped) => result.push(escaped),
            }
        } else {
            result.push(character);
        }
    }
    result
}

/// Backslash removal inside double quotes: only `\$`, `` \` ``, `\"`, `\\` and newline.
fn unescape_double_quoted(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if character == '\\' {
            match characters.peek() {
                Some('$' | '`' | '"' | '\\') => {
                    if let Some(escaped) = characters.next() {
                        result.push(escaped);
                    }
                }
                Some('\n') => {
                    characters.next();
                }
                _ => result.push('\\'),
            }
        } else {
            result.push(character);
        }
    }
    result
}

/// The escapes of `$'…'` strings, so `$'\x2f'` is seen as `/`.
fn unescape_ansi_c(text: &str) -> String {
    let mut result = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        if character != '\\' {
            result.push(character);
            continue;
        }
        let Some(escape) = characters.next() else {
            result.push('\\');
            break;
        };
        match escape {
            'n' => result.push('\n'),
            't' => result.push('\t'),
            'r' => result.push('\r'),
            'a' => result.push('\u{7}'),
            'b' => result.push('\u{8}'),
            'e' | 'E' => result.push('\u{1b}'),
            'f' => result.push('\u{c}'),
            'v' => result.push('\u{b}'),
            'x' | 'u' | 'U' => {
                let limit = match escape {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut digits = String::new();
                while digits.len() < limit
                    && characters.peek().is_some_and(|c| c.is_ascii_hexdigit())
                {
                    if let Some(digit) = characters.next() {
                        digits.push(digit);
                    }
                }
                match u32::from_str_radix(&digits, 16)
                    .ok()
                    .and_then(char::from_u32)
                {
                    Some(decoded) => result.push(decoded),
                    None => {
                        result.push('\\');
                        result.push(escape);
                        result.push_str(&digits);
                    }
                }
            }
            '0'..='7' => {
                let mut digits = String::from(escape);
                while digits.len() < 3 && characters.peek().is_some_and(|c| ('0'..='7').contains(c))
                {
                    if let Some(digit) = characters.next() {
                        digits.push(digit);
                    }
                }
                if let Some(decoded) = u32::from_str_radix(&digits, 8)
                    .ok()
                    .and_then(char::from_u32)
                {
                    result.push(decoded);
                }
            }
            other => result.push(other),
        }
    }
    result
}
