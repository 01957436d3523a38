//! The invocation model: how the rules see a command line. A [`Context`] holds what several
//! rules need about the whole line (working directories `cd` made known, files downloaders
//! wrote); an [`Invocation`] is one simple command seen as the real program behind wrappers
//! (`sudo`, `env`, `xargs`, `python -m`), its options and positionals, the files it writes, and
//! where its input comes from. The data-flow helpers ([`trace`], [`network_code_sources`], …)
//! follow the links the parser recorded between commands (`curl … | sh`, `$(curl …)`,
//! a downloaded file run later).

use std::collections::BTreeSet;
use std::fmt;

use crate::policy::paths;
use crate::policy::shell::{self, CodeInput, Origin, Script, SimpleCommand, Word};

/// Facts about a parsed command line that several rules need.
#[derive(Debug)]
pub struct Context<'script> {
    pub script: &'script Script,
    /// The working directory each command runs in, when `cd` made it known.
    working_directories: Vec<Option<String>>,
    /// Files written by downloaders (normalized path, command index).
    downloads: Vec<(String, usize)>,
    /// Secret-looking variables the user passed into the sandbox by name (`--env`): reading
    /// them is what the user asked for; sending them over the network is still judged.
    pub(super) passed_variables: &'script [String],
}

impl<'script> Context<'script> {
    pub fn new(script: &'script Script) -> Self {
        Context::with_passed_variables(script, &[])
    }

    /// A context in which reading the named variables is not secret access.
    pub fn with_passed_variables(script: &'script Script, passed: &'script [String]) -> Self {
        let mut context = Context {
            script,
            working_directories: working_directories(script),
            downloads: Vec::new(),
            passed_variables: passed,
        };
        let mut downloads = Vec::new();
        for index in 0..script.commands.len() {
            let invocation = Invocation::new(&context, index);
            // `curl … | tee x.sh` saves a download as surely as `curl -o x.sh`.
            let saved_download = invocation.is(&["tee", "sponge"])
                && !trace(&context, invocation.command.stdin.clone(), &|source| {
                    source.is(DOWNLOADERS)
                })
                .is_empty();
            if saved_download {
                for target in invocation.write_targets() {
                    downloads.push((target.path, index));
                }
            }
            if !invocation.is(DOWNLOADERS) {
                continue;
            }
            for target in invocation.write_targets() {
                downloads.push((target.path, index));
            }
            // `curl -O URL`, `wget URL`: the file is named after the URL.
            let remote_name = invocation.program.as_deref() == Some("wget")
                && invocation.values("OP", &["--output-document"]).is_empty()
                || invocation.has_flag(Some('O'), &["--remote-name", "--remote-name-all"])
                    && invocation.program.as_deref() != Some("wget");
            if remote_name {
                for argument in invocation.arguments {
                    if let Some(name) = url_file_name(&argument.text) {
                        downloads.push((invocation.resolve_path(name), index));
                    }
                }
            }
        }
        context.downloads = downloads;
        context
    }

    /// Commands that downloaded the file `path` names, as seen from command `user`.
    fn downloaded(&self, user: usize, path: &str) -> Vec<usize> {
        if path.is_empty() || path.starts_with('-') {
            return Vec::new();
        }
        let resolved = Invocation::new(self, user).resolve_path(path);
        let name = shell::basename(&resolved);
        self.downloads
            .iter()
            .filter(|(downloaded, index)| {
                *index != user
                    && (*downloaded == resolved
                        || (shell::basename(downloaded) == name
                            && (!downloaded.starts_with(['/', '~'])
                                || !resolved.starts_with(['/', '~']))))
            })
            .map(|(_, index)| *index)
            .collect()
    }
}

fn working_directories(script: &Script) -> Vec<Option<String>> {
    let mut current: Option<String> = None;
    let mut result = Vec::with_capacity(script.commands.len());
    for command in &script.commands {
        result.push(current.clone());
        if !matches!(command.program_name(), Some("cd" | "pushd")) {
            continue;
        }
        let target = command
            .arguments()
            .iter()
            .find(|word| !word.text.starts_with('-') || word.text == "-");
        current = match target {
            None => Some("~".to_string()),
            Some(word) if word.dynamic || word.text == "-" => None,
            Some(word) if word.text.starts_with(['/', '~']) => Some(paths::normalize(&word.text)),
            Some(word) => current
                .as_ref()
                .map(|base| paths::normalize(&format!("{base}/{}", word.text))),
        };
    }
    result
}

fn url_file_name(text: &str) -> Option<&str> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .or_else(|| text.strip_prefix("ftp://"))?;
    let path = rest.split(['?', '#']).next().unwrap_or(rest);
    let (_, path) = path.split_once('/')?;
    let name = path.rsplit('/').next().unwrap_or(path);
    (!name.is_empty()).then_some(name)
}

/// A file a command writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTarget {
    /// Normalized (and resolved against a known working directory).
    pub path: String,
    /// As written.
    pub raw: String,
    /// Whether the file is replaced rather than appended to or edited.
    pub overwrite: bool,
    /// What happens to it, for reasons: "writes", "appends to", "removes", …
    pub verb: &'static str,
}

impl fmt::Display for WriteTarget {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} {}", self.verb, self.raw)
    }
}

/// One simple command as rules see it.
#[derive(Debug)]
pub struct Invocation<'context> {
    pub context: &'context Context<'context>,
    pub index: usize,
    pub command: &'context SimpleCommand,
    /// The program's name: basename, `python3.12` kept, but `python -m pip` is `pip` and `pip3`
    /// is `pip`. `None` when no program runs or it is named at run time.
    pub program: Option<String>,
    /// The words after the program (after the module for `python -m`).
    pub arguments: &'context [Word],
}

/// Options of common tools that take a value, so the word after them is not taken for a verb.
const GLOBAL_VALUE_SHORTS: &str = "Ccotn";
const GLOBAL_VALUE_LONGS: &[&str] = &[
    "--prefix",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--root",
    "--cwd",
    "--dir",
    "--directory",
    "--manifest-path",
    "--config",
    "--file",
    "--project",
    "--host",
];

const VERSION_WORDS: &[&str] = &[
    "--version",
    "-V",
    "-v",
    "version",
    "--help",
    "-h",
    "help",
    "-version",
    "-help",
];

impl<'context> Invocation<'context> {
    pub fn new(context: &'context Context<'context>, index: usize) -> Self {
        let command = &context.script.commands[index];
        let mut program = command.program_name().map(str::to_string);
        let mut arguments = command.arguments();
        if let Some(name) = program.as_deref() {
            if shell::interpreter_family(name) == "python"
                && let Some(position) = arguments.iter().position(|word| word.text == "-m")
                && let Some(module) = arguments.get(position + 1)
            {
                program = Some(module.text.clone());
                arguments = arguments.get(position + 2..).unwrap_or(&[]);
            }
            if let Some(name) = program.as_deref() {
                let trimmed = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
                if matches!(trimmed, "pip" | "pipx") {
                    program = Some(trimmed.to_string());
                }
            }
        }
        Invocation {
            context,
            index,
            command,
            program,
            arguments,
        }
    }

    pub(super) fn script(&self) -> &'context Script {
        self.context.script
    }

    /// Whether the program is one of `names`.
    pub fn is(&self, names: &[&str]) -> bool {
        self.program
            .as_deref()
            .is_some_and(|program| names.contains(&program))
    }

    pub(super) fn texts(&self) -> impl Iterator<Item = &'context str> {
        self.arguments.iter().map(|word| word.text.as_str())
    }

    /// Whether an option is present: `short` inside a single-dash cluster (`-rf` has `r`), or
    /// one of `longs` exactly (or as `--long=value`).
    pub fn has_flag(&self, short: Option<char>, longs: &[&str]) -> bool {
        self.texts().take_while(|text| *text != "--").any(|text| {
            if longs.iter().any(|long| {
                text == *long
                    || text
                        .strip_prefix(long)
                        .is_some_and(|rest| rest.starts_with('='))
            }) {
                return true;
            }
            match (short, text.strip_prefix('-')) {
                (Some(letter), Some(letters)) if !letters.starts_with('-') => {
                    letters.starts_with(|c: char| c.is_ascii_alphabetic())
                        && letters.contains(letter)
                }
                _ => false,
            }
        })
    }

    /// Values of an option: `-o FILE`, `-oFILE`, `-fsSLo FILE`, `--output FILE`,
    /// `--output=FILE`. Returns each value with the word it came from.
    pub fn values(&self, shorts: &str, longs: &[&str]) -> Vec<(String, &'context Word)> {
        let arguments = self.arguments;
        let mut values = Vec::new();
        let mut index = 0;
        while index < arguments.len() {
            let word = &arguments[index];
            let text = word.text.as_str();
            if text == "--" {
                break;
            }
            if longs.contains(&text) {
                if let Some(next) = arguments.get(index + 1) {
                    values.push((next.text.clone(), next));
                }
                index += 2;
                continue;
            }
            if let Some((name, value)) = text.split_once('=')
                && longs.contains(&name)
            {
                values.push((value.to_string(), word));
                index += 1;
                continue;
            }
            if !shorts.is_empty()
                && let Some(letters) = text.strip_prefix('-')
                && !letters.starts_with('-')
                && let Some(position) = letters.find(|letter| shorts.contains(letter))
            {
                if position + 1 == letters.len() {
                    if let Some(next) = arguments.get(index + 1) {
                        values.push((next.text.clone(), next));
                    }
                    index += 2;
                    continue;
                }
                values.push((letters[position + 1..].to_string(), word));
            }
            index += 1;
        }
        values
    }

    /// The arguments that are not options, skipping the values of the options given.
    pub fn positionals(&self, value_shorts: &str, value_longs: &[&str]) -> Vec<&'context Word> {
        let arguments = self.arguments;
        let mut positionals = Vec::new();
        let mut index = 0;
        let mut options_ended = false;
        while index < arguments.len() {
            let word = &arguments[index];
            let text = word.text.as_str();
            index += 1;
            if options_ended || text == "-" || !text.starts_with('-') {
                positionals.push(word);
                continue;
            }
            if text == "--" {
                options_ended = true;
                continue;
            }
            if text.starts_with("--") {
                if !text.contains('=') && value_longs.contains(&text) {
                    index += 1;
                }
                continue;
            }
            let letters = &text[1..];
            if let Some(position) = letters.find(|letter| value_shorts.contains(letter))
                && position + 1 == letters.len()
            {
                index += 1;
            }
        }
        positionals
    }

    /// The first positional argument: the verb of `apt-get install`, `git clone`, `npm ci`.
    pub fn verb(&self) -> Option<&'context str> {
        self.positionals(GLOBAL_VALUE_SHORTS, GLOBAL_VALUE_LONGS)
            .into_iter()
            .map(|word| word.text.as_str())
            .find(|text| !text.starts_with('+'))
    }

    /// Whether the command only asks for a version or help (`rg --version`, `go version`).
    pub fn version_query(&self) -> bool {
        !self.arguments.is_empty()
            && self.texts().all(|text| {
                VERSION_WORDS.contains(&text) || matches!(text, "--client" | "--short" | "--json")
            })
            && self.texts().any(|text| VERSION_WORDS.contains(&text))
    }

    /// A path as written, normalized and resolved against the known working directory. A leading
    /// variable with a literal value assigned in the same command line is replaced by it
    /// (`D=/; rm -rf $D`).
    pub fn resolve_path(&self, raw: &str) -> String {
        let expanded = self.expand_leading_variable(raw);
        let raw = expanded.as_deref().unwrap_or(raw);
        let normalized = paths::normalize(raw);
        if normalized.starts_with(['/', '~', '$']) {
            return normalized;
        }
        match self
            .context
            .working_directories
            .get(self.index)
            .and_then(Option::as_ref)
        {
            Some(base) => paths::normalize(&format!("{base}/{raw}")),
            None => normalized,
        }
    }

    fn expand_leading_variable(&self, raw: &str) -> Option<String> {
        let rest = raw.strip_prefix('$')?;
        let (name, after) = match rest.strip_prefix('{') {
            Some(braced) => braced.split_once('}')?,
            None => {
                let length = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                rest.split_at(length)
            }
        };
        if name.is_empty() || name == "HOME" {
            return None;
        }
        let (_, value) = self
            .script()
            .variables
            .iter()
            .rev()
            .find(|(variable, _)| variable == name)?;
        (!value.dynamic || value.text.starts_with("$HOME") || value.text.starts_with("${HOME}"))
            .then(|| format!("{}{after}", value.text))
    }

    fn target(&self, raw: &str, overwrite: bool, verb: &'static str) -> WriteTarget {
        WriteTarget {
            path: self.resolve_path(raw),
            raw: raw.to_string(),
            overwrite,
            verb,
        }
    }

    /// The files this command writes or changes: its redirections, and the destinations of the
    /// programs whose arguments name files they write.
    pub fn write_targets(&self) -> Vec<WriteTarget> {
        let mut targets: Vec<WriteTarget> = Vec::new();
        for redirect in &self.command.redirects {
            if redirect.writes() {
                let verb = match redirect.kind {
                    shell::RedirectKind::Append => "appends to",
                    _ => "writes",
                };
                targets.push(self.target(
                    &redirect.target.text,
                    redirect.kind == shell::RedirectKind::Write,
                    verb,
                ));
            }
        }
        let Some(program) = self.program.as_deref() else {
            return targets;
        };
        let mut add = |raw: &str, overwrite: bool, verb: &'static str| {
            if !raw.is_empty() && raw != "-" {
                targets.push(self.target(raw, overwrite, verb));
            }
        };
        match program {
            "tee" | "sponge" => {
                let overwrite = !self.has_flag(Some('a'), &["--append"]);
                let verb = if overwrite { "writes" } else { "appends to" };
                for word in self.positionals("", &[]) {
                    add(&word.text, overwrite, verb);
                }
            }
            "cp" | "mv" | "install" | "ln" | "rsync" => {
                if program == "mv" {
                    let positionals = self.positionals("tS", &["--target-directory", "--suffix"]);
                    let sources = positionals.len().saturating_sub(1);
                    for word in positionals.into_iter().take(sources) {
                        add(&word.text, false, "moves away");
                    }
                }
                let directories = self.values("t", &["--target-directory"]);
                if !directories.is_empty() {
                    for (directory, _) in directories {
                        add(&directory, true, "writes into");
                    }
                } else if program == "install" && self.has_flag(Some('d'), &["--directory"]) {
                    for word in self.positionals("mogt", &["--mode", "--owner", "--group"]) {
                        add(&word.text, false, "creates");
                    }
                } else {
                    let positionals =
                        self.positionals("mogStTe", &["--mode", "--owner", "--group", "--suffix"]);
                    if positionals.len() >= 2
                        && let Some(last) = positionals.last()
                        && !(program == "rsync" && is_remote(&last.text))
                    {
                        add(&last.text, true, "writes");
                    }
                }
            }
            "dd" => {
                for text in self.texts() {
                    if let Some(output) = text.strip_prefix("of=") {
                        add(output, true, "writes");
                    }
                }
            }
            "curl" => {
                for (value, _) in self.values("o", &["--output"]) {
                    add(&value, true, "writes");
                }
                for (value, _) in self.values("", &["--output-dir"]) {
                    add(&value, true, "writes into");
                }
            }
            "wget" => {
                for (value, _) in self.values("OP", &["--output-document", "--directory-prefix"]) {
                    add(&value, true, "writes");
                }
            }
            "tar" | "bsdtar" => {
                let extracting = self.has_flag(Some('x'), &["--extract", "--get"])
                    || self.arguments.first().is_some_and(|first| {
                        !first.text.starts_with('-') && first.text.contains('x')
                    });
                if extracting {
                    for (value, _) in self.values("C", &["--directory"]) {
                        add(&value, false, "extracts into");
                    }
                }
            }
            "unzip" => {
                for (value, _) in self.values("d", &[]) {
                    add(&value, false, "extracts into");
                }
            }
            "sed" => {
                let in_place = self.texts().any(|text| {
                    text.starts_with("--in-place")
                        || text.strip_prefix('-').is_some_and(|letters| {
                            !letters.starts_with('-') && letters.contains('i')
                        })
                });
                if in_place {
                    let positionals = self.positionals("ef", &["--expression", "--file"]);
                    let scripts_given = self.has_flag(Some('e'), &["--expression"])
                        || self.has_flag(Some('f'), &["--file"]);
                    let skip = usize::from(!scripts_given);
                    for word in positionals.into_iter().skip(skip) {
                        add(&word.text, false, "edits");
                    }
                }
            }
            "touch" | "mkdir" | "rmdir" | "rm" | "unlink" | "truncate" | "shred" | "mkfifo"
            | "mknod" | "venv" | "virtualenv" => {
                let overwrite = matches!(program, "truncate" | "shred");
                let verb = match program {
                    "rm" | "rmdir" | "unlink" => "removes",
                    "truncate" | "shred" => "overwrites",
                    _ => "creates",
                };
                let value_letters = match program {
                    "mkdir" | "mkfifo" | "mknod" => "m",
                    "touch" => "dtr",
                    "truncate" => "sr",
                    "shred" => "ns",
                    _ => "",
                };
                for word in self.positionals(value_letters, &["--mode", "--size", "--reference"]) {
                    add(&word.text, overwrite, verb);
                }
            }
            "chmod" | "chown" | "chgrp" | "chattr" | "setfacl"
                if !self.has_flag(None, &["--reference"]) =>
            {
                for word in self.positionals("", &[]).into_iter().skip(1) {
                    add(&word.text, false, "changes permissions of");
                }
            }
            "gpg" => {
                for (value, _) in self.values("o", &["--output", "--keyring"]) {
                    add(&value, true, "writes");
                }
            }
            "ssh-keygen" => {
                for (value, _) in self.values("f", &[]) {
                    add(&value, true, "writes");
                }
            }
            "openssl" => {
                for (value, _) in self.values("", &["-out"]) {
                    add(&value, true, "writes");
                }
            }
            "git" if self.verb() == Some("clone") => {
                let positionals = self.positionals("bcjo", &["--branch", "--depth", "--origin"]);
                if let Some(directory) = positionals.get(2) {
                    add(&directory.text, false, "clones into");
                }
            }
            _ => {}
        }
        targets
    }

    /// Where standard input carries data that is not literal text written in the command line:
    /// the output of another command, a file, or an expanding heredoc. `None` when stdin is the
    /// terminal or literal text (`echo '{}' | curl -d @- …`).
    pub(super) fn stdin_data(&self) -> Option<String> {
        let script = self.script();
        for &producer in &self.command.stdin {
            if let Some(command) = script.commands.get(producer)
                && shell::literal_output(command).is_none()
            {
                return Some(format!("the output of `{}`", command.text));
            }
        }
        for redirect in &self.command.redirects {
            if redirect.reads() && redirect.descriptor.as_deref().is_none_or(|fd| fd == "0") {
                return Some(format!("the file `{}`", redirect.target.text));
            }
        }
        if let Some(heredoc) = &self.command.heredoc
            && (!heredoc.substitutions.is_empty() || !heredoc.variables.is_empty())
        {
            return Some("a heredoc with expansions".to_string());
        }
        if let Some(herestring) = &self.command.herestring
            && herestring.dynamic
        {
            return Some(format!("`{}`", herestring.text));
        }
        None
    }
}

pub(super) fn is_remote(text: &str) -> bool {
    if text.starts_with(['/', '.', '~', '$']) {
        return false;
    }
    match text.split_once(':') {
        Some((host, _)) => {
            !host.is_empty()
                && !host.contains('/')
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@.-_".contains(c))
        }
        None => false,
    }
}

/// Commands whose output becomes part of `word`'s value.
pub(super) fn word_producers(script: &Script, word: &Word) -> Vec<usize> {
    let mut producers = word.substitutions.clone();
    for variable in &word.variables {
        producers.extend(script.variable_producers(variable));
    }
    producers
}

/// Commands whose output flows into command `index`: its stdin, its substitutions, files it
/// reads that were downloaded, and the commands of code it runs (their output is its output).
pub(super) fn feeders(context: &Context, index: usize) -> Vec<usize> {
    let script = context.script;
    let Some(command) = script.commands.get(index) else {
        return Vec::new();
    };
    let mut feeders = command.stdin.clone();
    for word in &command.words {
        feeders.extend(word_producers(script, word));
    }
    if let Some(heredoc) = &command.heredoc {
        feeders.extend(heredoc.substitutions.iter().copied());
        for variable in &heredoc.variables {
            feeders.extend(script.variable_producers(variable));
        }
    }
    if let Some(herestring) = &command.herestring {
        feeders.extend(word_producers(script, herestring));
    }
    for redirect in &command.redirects {
        if redirect.reads() {
            feeders.extend(word_producers(script, &redirect.target));
            feeders.extend(context.downloaded(index, &redirect.target.text));
        }
    }
    for argument in command.arguments() {
        feeders.extend(context.downloaded(index, &argument.text));
    }
    feeders.extend(children(script, index));
    feeders
}

fn children(script: &Script, parent: usize) -> Vec<usize> {
    script
        .commands
        .iter()
        .enumerate()
        .filter(|(_, command)| match command.origin {
            Origin::NestedCode { parent: p } | Origin::Exec { parent: p } => p == parent,
            Origin::Direct | Origin::Substitution => false,
        })
        .map(|(index, _)| index)
        .collect()
}

/// Follow data flow backwards from `starts`; return the commands reached that satisfy `found`
/// (not following past them).
pub(super) fn trace(
    context: &Context,
    starts: Vec<usize>,
    found: &dyn Fn(&Invocation) -> bool,
) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    let mut queue = starts;
    let mut matches = Vec::new();
    while let Some(index) = queue.pop() {
        if !seen.insert(index) || index >= context.script.commands.len() {
            continue;
        }
        if found(&Invocation::new(context, index)) {
            matches.push(index);
            continue;
        }
        queue.extend(feeders(context, index));
    }
    matches.sort_unstable();
    matches
}

/// Commands whose output becomes the code command `index` runs: through stdin, `-c` arguments,
/// `eval` arguments, a process-substituted script, or its own name (`$(curl …)` as a command).
/// With `files`, also the downloaders of script files it runs.
pub(super) fn code_producers(context: &Context, index: usize, files: bool) -> Vec<usize> {
    let script = context.script;
    let Some(command) = script.commands.get(index) else {
        return Vec::new();
    };
    let mut producers = Vec::new();
    let mut file_words: Vec<&str> = Vec::new();
    if let Some(word) = command.program_word() {
        producers.extend(word_producers(script, word));
        if !word.dynamic && word.text.contains('/') && is_script_like(&word.text) {
            file_words.push(&word.text);
        }
        // A program named at run time may be a shell: what it reads may be code.
        if word.dynamic {
            producers.extend(command.stdin.iter().copied());
            for argument in command.arguments() {
                producers.extend(word_producers(script, argument));
            }
        }
    }
    // `… | xargs sh -c`: xargs turns its input into the interpreter's arguments.
    if command.wrappers.iter().any(|wrapper| wrapper == "xargs")
        && shell::code_input(command).is_some()
    {
        producers.extend(command.stdin.iter().copied());
    }
    match shell::code_input(command) {
        Some((_, CodeInput::Arguments(indices))) => {
            for word in indices.iter().filter_map(|&index| command.words.get(index)) {
                producers.extend(word_producers(script, word));
            }
        }
        Some((_, CodeInput::Stdin)) => {
            producers.extend(command.stdin.iter().copied());
            if let Some(heredoc) = &command.heredoc {
                producers.extend(heredoc.substitutions.iter().copied());
                for variable in &heredoc.variables {
                    producers.extend(script.variable_producers(variable));
                }
            }
            if let Some(herestring) = &command.herestring {
                producers.extend(word_producers(script, herestring));
            }
            for redirect in &command.redirects {
                if redirect.reads() && redirect.descriptor.as_deref().is_none_or(|fd| fd == "0") {
                    producers.extend(word_producers(script, &redirect.target));
                    file_words.push(&redirect.target.text);
                }
            }
        }
        Some((_, CodeInput::ScriptFile(position))) => {
            if let Some(word) = command.words.get(position) {
                producers.extend(word_producers(script, word));
                file_words.push(&word.text);
            }
        }
        None => {}
    }
    if files {
        for word in file_words {
            producers.extend(context.downloaded(index, word));
        }
    }
    producers
}

fn is_script_like(path: &str) -> bool {
    let name = shell::basename(path).to_ascii_lowercase();
    [
        ".sh", ".bash", ".zsh", ".py", ".pl", ".rb", ".js", ".php", ".ps1",
    ]
    .iter()
    .any(|extension| name.ends_with(extension))
        || name.contains("install")
        || name.contains("setup")
}

/// The downloads whose output becomes code that command `index` runs (for pipe-to-shell).
pub fn network_code_sources(context: &Context, index: usize) -> Vec<usize> {
    trace(
        context,
        code_producers(context, index, false),
        &|invocation| invocation.is(DOWNLOADERS),
    )
}

/// Programs that download files; the data flow starts at them, and the `download` rule lists
/// them.
pub(super) const DOWNLOADERS: &[&str] = &[
    "curl",
    "wget",
    "fetch",
    "aria2c",
    "axel",
    "http",
    "https",
    "xh",
    "xhs",
    "lwp-request",
    "lwp-download",
    "GET",
    "gdown",
];
