//! The offline agent's repair rules: a recognised failure → a fix.
//!
//! Two kinds of rule live here, both as data with their own examples:
//! - *preparations* rewrite a doc's command before it runs, for facts the probe already knows
//!   (running as root without `sudo`, no `python` but a `python3`, apt prompting for consent);
//! - *repairs* read a failed command's exit status and output and propose what to do next
//!   (refresh a stale apt index, install a missing tool, sidestep PEP 668, link a binary Debian
//!   renamed, give up on a route whose host is unreachable).
//!
//! Each rule carries examples that must and must not fire; `tests::every_rule_example_holds`
//! runs them all, so a rule cannot silently stop matching what it was written for.

use std::sync::LazyLock;

use regex::Regex;

use super::packages::{DEBIAN_RENAMES, Family, is_known_package, package_for};
use crate::shell;

/// What the agent knows about the machine when it prepares or repairs a command.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub family: Option<Family>,
    pub is_root: bool,
    pub can_sudo: bool,
    /// Commands present on PATH (as the probe saw them, plus what the run installed since).
    pub commands: Vec<String>,
    /// System packages this run installed so far (for renamed-binary lookups).
    pub installed_packages: Vec<String>,
    /// Executables (files and symlinks in a `bin`/`sbin`/`games` directory) that the run added
    /// so far, as absolute paths: where a tool installed under another name is found.
    pub new_executables: Vec<String>,
    /// The Python that `pip` would install into is externally managed (PEP 668), or would be
    /// once the distribution's python3 is installed: pip routes go through pipx from the start.
    pub externally_managed: bool,
    /// Origins (`https://host/`) the doc's commands download from that gave no answer.
    pub unreachable: Vec<String>,
    /// Nothing runs (a dry run): routes from outside the doc, which only a real attempt can
    /// show to exist, are not planned.
    pub dry_run: bool,
}

impl Facts {
    /// What the agent knows of a machine before the run changed it: its family, user and
    /// commands (in the order of [`crate::probe::facts::LOOKED_FOR`]).
    pub fn of_machine(machine: &crate::probe::Facts) -> Facts {
        Facts {
            family: Family::of(machine.distro_family),
            is_root: machine.root,
            can_sudo: machine.sudo,
            commands: crate::probe::facts::LOOKED_FOR
                .iter()
                .filter(|command| machine.has(command))
                .map(|command| command.to_string())
                .collect(),
            externally_managed: machine.pep668,
            ..Facts::default()
        }
    }

    pub fn has(&self, command: &str) -> bool {
        self.commands.iter().any(|known| known == command)
    }
}

/// A command that failed, as the rules see it.
#[derive(Debug, Clone)]
pub struct Failure<'a> {
    pub command: &'a str,
    pub exit_status: Option<i32>,
    /// Combined stdout and stderr (head and tail when long).
    pub output: &'a str,
    pub timed_out: bool,
    /// True when the failing command was a verification, not an install step.
    pub verification: bool,
}

/// What a repair proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fix {
    /// Run these commands, then retry the failed one.
    RunThenRetry(Vec<String>),
    /// Run these commands instead of the failed one.
    Replace(Vec<String>),
    /// This route cannot work here: roll back and try the next one.
    AbandonRoute(String),
}

/// A repair rule: a pattern on a failure and the fix it implies.
pub struct Repair {
    pub id: &'static str,
    pub description: &'static str,
    pub propose: fn(&Failure, &Facts) -> Option<Fix>,
    /// `(command, exit status, output)` examples that must produce a fix (under the default
    /// test facts: Debian, root, no sudo).
    pub must_fire: &'static [(&'static str, i32, &'static str)],
    /// Examples that must not.
    pub must_not_fire: &'static [(&'static str, i32, &'static str)],
}

/// The repairs, in the order they are tried: the first rule that proposes a fix wins.
pub static REPAIRS: &[Repair] = &[
    Repair {
        id: "unreachable-host",
        description: "a download host cannot be reached: this route cannot work from here",
        propose: unreachable_host,
        must_fire: &[
            (
                "curl -fsSL https://get.example.dev | sh",
                6,
                "curl: (6) Could not resolve host: get.example.dev",
            ),
            (
                "curl -LO https://x/y.tar.gz",
                7,
                "curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server",
            ),
            (
                "wget https://x/y",
                4,
                "Resolving x (x)... failed: Temporary failure in name resolution.",
            ),
            (
                "apt-get update",
                100,
                "E: Failed to fetch https://cli.example/dists/stable/InRelease  Could not resolve 'cli.example'",
            ),
        ],
        must_not_fire: &[(
            "apt-get install -y jq",
            100,
            "E: Unable to locate package jq",
        )],
    },
    Repair {
        id: "apt-index-stale",
        description: "apt does not know the package: refresh the index (and check it really fetched)",
        propose: apt_index_stale,
        must_fire: &[
            (
                "apt-get install -y jq",
                100,
                "E: Unable to locate package jq",
            ),
            (
                "apt install -y fd-find",
                100,
                "E: Package 'fd-find' has no installation candidate",
            ),
        ],
        must_not_fire: &[
            (
                "apt-get install -y jq",
                100,
                "E: Could not open lock file /var/lib/dpkg/lock-frontend",
            ),
            ("pip install jq", 1, "E: Unable to locate package jq"),
        ],
    },
    Repair {
        id: "pep668-externally-managed",
        description: "pip refuses to touch the system Python (PEP 668): install with pipx instead",
        propose: externally_managed,
        must_fire: &[
            (
                "pip install httpie",
                1,
                "error: externally-managed-environment\n× This environment is externally managed",
            ),
            (
                "pip3 install --user cowsay",
                1,
                "error: externally-managed-environment",
            ),
            (
                "python3 -m pip install -U httpie",
                1,
                "error: externally-managed-environment",
            ),
        ],
        must_not_fire: &[(
            "pip install httpie",
            1,
            "ERROR: No matching distribution found for httpie",
        )],
    },
    Repair {
        id: "python-is-python3",
        description: "there is no `python` command: use `python3`",
        propose: python_is_python3,
        must_fire: &[(
            "python -m pip install httpie",
            127,
            "bash: line 1: python: command not found",
        )],
        must_not_fire: &[(
            "python3 -m pip install httpie",
            127,
            "bash: line 1: python3: command not found",
        )],
    },
    Repair {
        id: "python-module-missing",
        description: "Debian ships pip and venv apart from python3: install the missing part",
        propose: python_module_missing,
        must_fire: &[
            (
                "python3 -m pip install --upgrade pip wheel",
                1,
                "/usr/bin/python3: No module named pip",
            ),
            (
                "python3 -m venv /opt/tool",
                1,
                "The virtual environment was not created successfully because ensurepip is not\navailable.  On Debian/Ubuntu systems, you need to install the python3-venv\npackage using the following command.",
            ),
        ],
        must_not_fire: &[(
            "python3 -c 'import yaml'",
            1,
            "ModuleNotFoundError: No module named 'yaml'",
        )],
    },
    Repair {
        id: "missing-env-file",
        description: "the environment file to source does not exist (its installer was skipped or refused): go on without it",
        propose: missing_env_file,
        must_fire: &[
            (
                ". \"$HOME/.cargo/env\"",
                1,
                "/bin/bash: line 3: /root/.cargo/env: No such file or directory",
            ),
            (
                "source ~/.nvm/nvm.sh",
                1,
                "bash: /root/.nvm/nvm.sh: No such file or directory",
            ),
        ],
        must_not_fire: &[
            (
                ". ./configure-env && make",
                1,
                "bash: ./configure-env: No such file or directory",
            ),
            ("cat /etc/x", 1, "cat: /etc/x: No such file or directory"),
        ],
    },
    Repair {
        id: "drop-missing-sudo",
        description: "`sudo` is not installed and we are root: run the command without it",
        propose: drop_missing_sudo,
        must_fire: &[(
            "sudo apt-get install -y jq",
            127,
            "bash: line 1: sudo: command not found",
        )],
        must_not_fire: &[(
            "apt-get install -y jq",
            127,
            "bash: line 1: jq: command not found",
        )],
    },
    Repair {
        id: "renamed-binary",
        description: "Debian installs this tool under another name: link the upstream name onto PATH",
        propose: renamed_binary,
        must_fire: &[
            ("fd --version", 127, "bash: line 1: fd: command not found"),
            ("bat --version", 127, "bash: bat: command not found"),
        ],
        must_not_fire: &[("jq --version", 127, "bash: line 1: jq: command not found")],
    },
    Repair {
        id: "missing-command",
        description: "a command the step needs is not installed: install its package",
        propose: missing_command,
        must_fire: &[
            (
                "curl -fsSL http://127.0.0.1:8000/x.tar.gz -o x.tar.gz",
                127,
                "bash: line 1: curl: command not found",
            ),
            (
                "tar xf x.tar.xz",
                2,
                "tar (child): xz: Cannot exec: No such file or directory",
            ),
            ("make install", 127, "/bin/sh: 1: make: not found"),
        ],
        must_not_fire: &[
            (
                "sudo make install",
                127,
                "bash: line 1: sudo: command not found",
            ),
            (
                "brew install jq",
                127,
                "bash: line 1: brew: command not found",
            ),
            (
                "cargo install --locked choose",
                127,
                "bash: line 1: cargo: command not found",
            ),
        ],
    },
];

static NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| {
    // bash: "bash: line 1: NAME: command not found"; dash: "/bin/sh: 1: NAME: not found";
    // tar and friends: "NAME: Cannot exec: No such file or directory".
    Regex::new(r"(?m)(?:^|: )([A-Za-z0-9_.+-]+): (?:command not found|not found|Cannot exec: No such file or directory)")
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
});

/// The command the shell could not find, if the output says so.
pub fn missing_command_name(output: &str) -> Option<&str> {
    NOT_FOUND
        .captures(output)
        .and_then(|captures| captures.get(1))
        .map(|name| name.as_str())
}

fn unreachable_host(failure: &Failure, _facts: &Facts) -> Option<Fix> {
    const SIGNS: &[&str] = &[
        "Could not resolve host",
        "Could not resolve '",
        "Temporary failure in name resolution",
        "Temporary failure resolving",
        "Failed to connect to",
        "Connection refused",
        "Network is unreachable",
        "No route to host",
        "Connection timed out",
        "Name or service not known",
    ];
    let sign = SIGNS.iter().find(|sign| failure.output.contains(*sign))?;
    Some(Fix::AbandonRoute(format!(
        "a host this route needs is unreachable ({sign})"
    )))
}

fn is_apt_install(command: &str) -> bool {
    words(command).any(|word| word == "apt-get" || word == "apt")
        && words(command).any(|word| word == "install")
}

fn apt_index_stale(failure: &Failure, facts: &Facts) -> Option<Fix> {
    let stale = failure.output.contains("Unable to locate package")
        || failure.output.contains("has no installation candidate");
    if !stale || !is_apt_install(failure.command) {
        return None;
    }
    let family = facts.family.unwrap_or(Family::Debian);
    Some(Fix::RunThenRetry(vec![with_privilege(
        family.refresh_command(),
        facts,
    )]))
}

static PIP_INSTALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:sudo\s+(?:-\S+\s+)*)?(?:pip3?|python3?\s+-m\s+pip)\s+install\s+(.+)$")
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
});

fn externally_managed(failure: &Failure, facts: &Facts) -> Option<Fix> {
    if !failure.output.contains("externally-managed-environment") {
        return None;
    }
    let captures = PIP_INSTALL.captures(failure.command.trim())?;
    let (packages, pip_options) = split_pip_arguments(captures.get(1)?.as_str())?;
    // `pip install --upgrade pip wheel` only prepares the system pip, which PEP 668 forbids
    // and pipx does not need: the step is dropped, not turned into `pipx install pip`.
    let packages: Vec<&str> = packages
        .into_iter()
        .filter(|package| !is_pip_tooling(package))
        .collect();
    if packages.is_empty() {
        return Some(Fix::Replace(Vec::new()));
    }
    let mut commands = Vec::new();
    if !facts.has("pipx") {
        let family = facts.family.unwrap_or(Family::Debian);
        commands.push(with_privilege(&family.install_command(&["pipx"]), facts));
    }
    // pipx links entry points into ~/.local/bin by default; putting them in /usr/local/bin
    // makes them visible to every login shell without touching shell rc files.
    // The doc's pip options (a private index, a trusted host) still apply, through pipx.
    let pip_args = if pip_options.is_empty() {
        String::new()
    } else {
        let joined = pip_options.join(" ");
        format!("--pip-args={} ", shell::quote_always(&joined))
    };
    for package in packages {
        commands.push(format!(
            "PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install {pip_args}{package}"
        ));
    }
    Some(Fix::Replace(commands))
}

/// pip's own tooling: pip, setuptools and wheel, with or without a version.
fn is_pip_tooling(package: &str) -> bool {
    let name = package
        .trim_matches(|c| c == '\'' || c == '"')
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .next()
        .unwrap_or_default();
    matches!(
        name.to_ascii_lowercase().as_str(),
        "pip" | "setuptools" | "wheel"
    )
}

/// `pip install` options that take a value as the next word.
const PIP_OPTIONS_WITH_VALUES: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "-c",
    "--constraint",
    "--proxy",
    "--cert",
    "--client-cert",
    "--retries",
    "--timeout",
    "--no-binary",
    "--only-binary",
    "--upgrade-strategy",
    "--progress-bar",
    "-C",
    "--config-settings",
    "--cache-dir",
    "--log",
];

/// `pip install` options that make no sense for pipx (its own venv per tool, never the user or
/// system site) or that it cannot honour.
const PIP_OPTIONS_DROPPED: &[&str] = &[
    "--user",
    "-U",
    "--upgrade",
    "--break-system-packages",
    "--no-warn-script-location",
    "--force-reinstall",
    "-q",
    "--quiet",
    "-v",
    "--verbose",
];

/// Splits the words after `pip install` into package specs and the options to hand to pipx's
/// pip. `None` for what pipx cannot install: requirement files, editable or target installs.
fn split_pip_arguments(arguments: &str) -> Option<(Vec<&str>, Vec<&str>)> {
    let mut packages = Vec::new();
    let mut options = Vec::new();
    let mut words = arguments.split_whitespace();
    while let Some(word) = words.next() {
        let name = word.split_once('=').map_or(word, |(name, _)| name);
        if matches!(
            name,
            "-r" | "--requirement"
                | "-e"
                | "--editable"
                | "-t"
                | "--target"
                | "--prefix"
                | "--root"
        ) {
            return None;
        }
        if !word.starts_with('-') {
            packages.push(word);
        } else if PIP_OPTIONS_DROPPED.contains(&word) {
        } else if PIP_OPTIONS_WITH_VALUES.contains(&word) {
            options.push(word);
            options.push(words.next()?);
        } else {
            options.push(word);
        }
    }
    (!packages.is_empty()).then_some((packages, options))
}

fn python_is_python3(failure: &Failure, _facts: &Facts) -> Option<Fix> {
    if missing_command_name(failure.output) != Some("python") {
        return None;
    }
    let rewritten = replace_word(failure.command, "python", "python3")?;
    Some(Fix::Replace(vec![rewritten]))
}

fn python_module_missing(failure: &Failure, facts: &Facts) -> Option<Fix> {
    let family = facts.family.unwrap_or(Family::Debian);
    if family != Family::Debian {
        return None;
    }
    let package = if failure
        .output
        .lines()
        .any(|line| line.trim_end().ends_with("No module named pip"))
    {
        "python3-pip"
    } else if failure.output.contains("No module named venv")
        || failure.output.contains("ensurepip is not")
    {
        "python3-venv"
    } else {
        return None;
    };
    Some(Fix::RunThenRetry(vec![with_privilege(
        &family.install_command(&[package]),
        facts,
    )]))
}

fn missing_env_file(failure: &Failure, _facts: &Facts) -> Option<Fix> {
    static SOURCE_ONLY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"^\s*(?:\.|source)\s+("[^"]+"|'[^']+'|\S+)\s*$"#)
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    (SOURCE_ONLY.is_match(failure.command) && failure.output.contains("No such file or directory"))
        .then(|| Fix::Replace(Vec::new()))
}

fn drop_missing_sudo(failure: &Failure, facts: &Facts) -> Option<Fix> {
    if missing_command_name(failure.output) != Some("sudo") || !facts.is_root {
        return None;
    }
    Some(Fix::Replace(vec![strip_sudo(failure.command)?]))
}

/// The executable the run added whose name contains `missing` (`widgettool` for `widget`,
/// `fdfind` for `fd`): the shortest such name, preferring the usual bin directories.
fn renamed_candidate<'a>(missing: &str, facts: &'a Facts) -> Option<&'a str> {
    facts
        .new_executables
        .iter()
        .filter_map(|path| {
            let (directory, name) = path.rsplit_once('/')?;
            (name != missing && name.contains(missing)).then_some((directory, name, path))
        })
        .min_by_key(|(directory, name, path)| {
            let usual = matches!(
                *directory,
                "/usr/bin" | "/bin" | "/usr/sbin" | "/sbin" | "/usr/local/bin" | "/usr/games"
            );
            (!usual, name.len(), path.as_str())
        })
        .map(|(_, _, path)| path.as_str())
}

fn renamed_binary(failure: &Failure, facts: &Facts) -> Option<Fix> {
    let missing = missing_command_name(failure.output)?;
    if !missing
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+'))
    {
        return None;
    }
    // What the run itself installed says best where the tool went, whatever installed it.
    // Only for a verification: an install step that lacks `curl` needs curl, not the
    // `curl-config` some -dev package brought.
    if let Some(path) = failure
        .verification
        .then(|| renamed_candidate(missing, facts))
        .flatten()
    {
        let quoted = shell::quote_always(path);
        return Some(Fix::RunThenRetry(vec![format!(
            "ln -sf {quoted} /usr/local/bin/{missing}"
        )]));
    }
    // Without a record of the run's changes (the host backend), only the renames Debian is
    // known for.
    let (_, debian_name) = DEBIAN_RENAMES
        .iter()
        .find(|(upstream, _)| *upstream == missing)?;
    if facts.family.is_some_and(|family| family != Family::Debian) {
        return None;
    }
    // Ask dpkg where the renamed binary is rather than assuming /usr/bin, and link it where
    // every login shell finds it.
    Some(Fix::RunThenRetry(vec![format!(
        "ln -sf \"$(command -v {debian_name} || dpkg -L $(dpkg -S 'bin/{debian_name}' | cut -d: -f1 | head -n1) | grep '/bin/{debian_name}$' | head -n1)\" /usr/local/bin/{missing}"
    )]))
}

fn missing_command(failure: &Failure, facts: &Facts) -> Option<Fix> {
    let missing = missing_command_name(failure.output)?;
    if facts.has(missing) && !failure.output.contains("Cannot exec") {
        return None;
    }
    // The distribution's cargo is too old for most crates and often cannot reach the registry
    // index (the ranking skips cargo routes for the same reason): a route that needs cargo
    // needs a current toolchain, which installing that package does not give.
    if matches!(missing, "cargo" | "rustc") {
        return None;
    }
    let family = facts.family.unwrap_or(Family::Debian);
    let package = package_for(missing, family)?;
    let install = with_privilege(&family.install_command(&[&package]), facts);
    if is_known_package(missing) {
        return Some(Fix::RunThenRetry(vec![install]));
    }
    // A package named like the command may be another program (Debian's `docker` is a tray
    // applet): the repair holds only if the command is there afterwards, else it fails, is
    // rolled back, and says why.
    Some(Fix::RunThenRetry(vec![format!(
        "{install} && {{ command -v {missing} >/dev/null || {{ echo 'the package {package} does not provide the command {missing}' >&2; false; }}; }}"
    )]))
}

/// Repairs for a failed verification: the install ran, but the tool is not where a fresh login
/// shell looks. Only rules that make an installed tool reachable belong here; installing the
/// tool some other way would hide that the route did not work.
pub static VERIFICATION_REPAIRS: &[Repair] = &[
    Repair {
        id: "renamed-binary",
        description: "Debian installs this tool under another name: link the upstream name onto PATH",
        propose: renamed_binary,
        must_fire: &[("fd --version", 127, "bash: line 1: fd: command not found")],
        must_not_fire: &[("jq --version", 1, "jq: error: syntax error")],
    },
    Repair {
        id: "not-on-path",
        description: "the tool was installed into a directory a login shell does not search: link it into /usr/local/bin",
        propose: not_on_path,
        must_fire: &[(
            "http --version",
            127,
            "bash: line 1: http: command not found",
        )],
        must_not_fire: &[("http --version", 1, "http: error: bad option")],
    },
];

/// Per-user and per-toolchain bin directories installers use that login shells may not search.
const EXTRA_BIN_DIRECTORIES: &str = "$HOME/.local/bin $HOME/.cargo/bin $HOME/go/bin /usr/local/go/bin $HOME/.npm-global/bin /opt/*/bin";

fn not_on_path(failure: &Failure, _facts: &Facts) -> Option<Fix> {
    let missing = missing_command_name(failure.output)?;
    if !missing
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return None;
    }
    Some(Fix::RunThenRetry(vec![format!(
        "for directory in {EXTRA_BIN_DIRECTORIES}; do if [ -x \"$directory/{missing}\" ]; then ln -sf \"$directory/{missing}\" /usr/local/bin/{missing}; exit 0; fi; done; echo '{missing} is not in any known bin directory' >&2; exit 1"
    )]))
}

/// The first verification repair that proposes a fix for `failure`.
pub fn repair_verification(failure: &Failure, facts: &Facts) -> Option<(&'static Repair, Fix)> {
    VERIFICATION_REPAIRS
        .iter()
        .find_map(|rule| (rule.propose)(failure, facts).map(|fix| (rule, fix)))
}

/// A preparation: a rewrite applied to a doc command before it first runs.
pub struct Preparation {
    pub id: &'static str,
    pub description: &'static str,
    pub rewrite: fn(&str, &Facts) -> Option<String>,
    /// `(before, after)` under the default test facts (Debian, root, no sudo, no `python`).
    pub examples: &'static [(&'static str, &'static str)],
    /// Commands it must leave alone.
    pub leaves_alone: &'static [&'static str],
}

/// The preparations, applied in order (each sees the previous one's output).
pub static PREPARATIONS: &[Preparation] = &[
    Preparation {
        id: "version-placeholder",
        description: "the doc leaves a package's version as a placeholder: install the current one",
        rewrite: |command, _facts| drop_version_placeholders(command),
        examples: &[
            (
                "npm install -g gizmo@%GIZMO_VERSION%",
                "npm install -g gizmo",
            ),
            ("pip install gizmo==<version>", "pip install gizmo"),
            ("cargo install gizmo@{{ version }}", "cargo install gizmo"),
        ],
        leaves_alone: &[
            "npm install -g gizmo@2.1.0",
            "npm install -g @acme/gizmo",
            "curl -o x <url>",
        ],
    },
    Preparation {
        id: "drop-sudo-as-root",
        description: "running as root and `sudo` is not installed: drop `sudo`",
        rewrite: |command, facts| {
            (facts.is_root && !facts.has("sudo"))
                .then(|| strip_sudo(command))
                .flatten()
        },
        examples: &[
            ("sudo apt-get install jq", "apt-get install jq"),
            ("sudo -E bash -c 'echo hi'", "bash -c 'echo hi'"),
        ],
        leaves_alone: &["apt-get install jq", "echo sudo"],
    },
    Preparation {
        id: "apt-assume-yes",
        description: "apt would ask for consent on a terminal we do not have: add `-y`",
        rewrite: |command, _facts| {
            let words: Vec<&str> = command.split_whitespace().collect();
            let position = words
                .iter()
                .position(|word| *word == "apt-get" || *word == "apt")?;
            let subcommand = words
                .get(position + 1..)?
                .iter()
                .find(|word| !word.starts_with('-'))?;
            let needs_consent = matches!(
                *subcommand,
                "install"
                    | "remove"
                    | "purge"
                    | "upgrade"
                    | "dist-upgrade"
                    | "full-upgrade"
                    | "autoremove"
            );
            let has_yes = words
                .iter()
                .any(|word| matches!(*word, "-y" | "--yes" | "--assume-yes" | "-qy" | "-yq"));
            (needs_consent && !has_yes && !command.contains("&&") && !command.contains('|'))
                .then(|| replace_word(command, subcommand, &format!("{subcommand} -y")))
                .flatten()
        },
        examples: &[
            ("apt install tree", "apt install -y tree"),
            (
                "apt-get install --no-install-recommends jq",
                "apt-get install -y --no-install-recommends jq",
            ),
        ],
        leaves_alone: &["apt-get install -y jq", "apt-get update", "apt show jq"],
    },
    Preparation {
        id: "pipefail",
        description: "a download piped into a shell: fail the step when the download fails",
        // Without `pipefail` a pipeline's status is its last command's: `curl … | sh` with an
        // unreachable host (or no curl at all) "succeeds" because `sh` read an empty script.
        // Only bash has the option (dash exits on an unknown `set -o`), hence the fact check.
        rewrite: |command, facts| {
            static PIPE_TO_SHELL: LazyLock<Regex> = LazyLock::new(|| {
                Regex::new(r"\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:/bin/|/usr/bin/)?(?:ba|z|da)?sh\b")
                    .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
            });
            (facts.has("bash") && PIPE_TO_SHELL.is_match(command) && !command.contains("pipefail"))
                .then(|| format!("set -o pipefail; {command}"))
        },
        examples: &[
            (
                "curl -fsSL https://x.example/install.sh | sh",
                "set -o pipefail; curl -fsSL https://x.example/install.sh | sh",
            ),
            (
                "wget -qO- https://x.example/i | bash -s -- -y",
                "set -o pipefail; wget -qO- https://x.example/i | bash -s -- -y",
            ),
        ],
        leaves_alone: &[
            "curl -fsSL https://x.example/key | gpg --dearmor -o /etc/apt/keyrings/x.gpg",
            "echo 'deb http://x ./' | tee /etc/apt/sources.list.d/x.list",
            "cat file | shasum -c",
        ],
    },
    Preparation {
        id: "python-is-python3",
        description: "there is no `python` command but `python3` exists: use it",
        rewrite: |command, facts| {
            (!facts.has("python") && facts.has("python3"))
                .then(|| replace_word(command, "python", "python3"))
                .flatten()
        },
        examples: &[("python -m pip install x", "python3 -m pip install x")],
        leaves_alone: &["python3 -m venv /opt/x", "echo pythonic"],
    },
];

/// Applies every preparation to `command`; returns the result and the ids of the rules that
/// changed it.
pub fn prepare(command: &str, facts: &Facts) -> (String, Vec<&'static str>) {
    let mut current = command.to_string();
    let mut applied = Vec::new();
    for preparation in PREPARATIONS {
        if let Some(rewritten) = (preparation.rewrite)(&current, facts)
            && rewritten != current
        {
            current = rewritten;
            applied.push(preparation.id);
        }
    }
    (current, applied)
}

/// The first repair that proposes a fix for `failure`.
pub fn repair(failure: &Failure, facts: &Facts) -> Option<(&'static Repair, Fix)> {
    if failure.timed_out {
        return None;
    }
    REPAIRS
        .iter()
        .find_map(|rule| (rule.propose)(failure, facts).map(|fix| (rule, fix)))
}

/// `npm install [--save-dev] PRODUCT` installs into the project in the working directory; an
/// installer wants the product's command on the machine: `npm install -g PRODUCT`. Only when a
/// package argument is the product (`is_product`), so a project's companions stay as written.
pub fn npm_global(command: &str, is_product: &dyn Fn(&str) -> bool) -> Option<String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let (program, rest) = words.split_first()?;
    if *program != "npm" {
        return None;
    }
    let (subcommand, arguments) = rest.split_first()?;
    if !matches!(*subcommand, "install" | "i" | "add") {
        return None;
    }
    if arguments.iter().any(|word| {
        matches!(*word, "-g" | "--global" | "--location=global")
            || word.contains(['|', ';', '&', '$', '`'])
    }) {
        return None;
    }
    const PROJECT_FLAGS: &[&str] = &[
        "--save-dev",
        "-D",
        "--save",
        "-S",
        "--save-exact",
        "-E",
        "--save-optional",
        "-O",
        "--save-prod",
        "-P",
    ];
    let packages: Vec<&str> = arguments
        .iter()
        .copied()
        .filter(|word| !word.starts_with('-'))
        .collect();
    let names_product =
        packages.iter().any(|package| {
            let bare = package.rsplit_once('@').map_or(*package, |(name, _)| {
                if name.is_empty() { package } else { name }
            });
            is_product(bare)
        });
    if packages.is_empty() || !names_product {
        return None;
    }
    let kept: Vec<&str> = arguments
        .iter()
        .copied()
        .filter(|word| !PROJECT_FLAGS.contains(word))
        .collect();
    Some(format!("npm install -g {}", kept.join(" ")))
}

/// The placeholder forms: `<version>`, `{{ x }}`, `YOUR_TOKEN`, `$VENV_PATH`, `%VERSION%`.
const PLACEHOLDER: &str = r"<[a-zA-Z][a-zA-Z0-9 _-]*>|\{\{[^}]*\}\}|\bYOUR_[A-Z_]+\b|\$\{?[A-Z][A-Z0-9]*_(?:PATH|DIR|VERSION|TOKEN|KEY)\b\}?|%[A-Z][A-Z0-9_]*%";

/// `name@PLACEHOLDER` / `name==PLACEHOLDER` become `name` (the current version).
fn drop_version_placeholders(command: &str) -> Option<String> {
    static VERSIONED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(&format!(
            r"(?P<name>[A-Za-z0-9][A-Za-z0-9_.\-/]*)(?:@|==|=|~=|>=)(?:{PLACEHOLDER})"
        ))
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    let rewritten = VERSIONED.replace_all(command, "$name");
    (rewritten != command).then(|| rewritten.into_owned())
}

/// Placeholders a doc leaves for the reader to fill (`<version>`, `$VENV_PATH`, `YOUR_TOKEN`,
/// `%VERSION%`). A command that still holds one cannot run as written.
pub fn placeholder(command: &str) -> Option<String> {
    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(PLACEHOLDER).unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    // A match with a space inside angle brackets is a redirection (`<EOF > /etc/x` in a
    // heredoc), not a placeholder.
    PATTERN
        .find_iter(command)
        .map(|found| found.as_str())
        .find(|text| text.starts_with("{{") || !text.contains(' '))
        .map(str::to_string)
}

/// Prefixes `sudo` when the command needs root, we are not root and `sudo -n` works.
fn with_privilege(command: &str, facts: &Facts) -> String {
    if !facts.is_root && facts.can_sudo {
        format!("sudo {command}")
    } else {
        command.to_string()
    }
}

fn words(command: &str) -> impl Iterator<Item = &str> {
    command.split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')'))
}

/// Removes `sudo` (and its options) wherever it starts a simple command.
fn strip_sudo(command: &str) -> Option<String> {
    static SUDO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(^|[;&|(]\s*|\$\(\s*)sudo(?:\s+(?:-[ugCDhprtTU]\s+\S+|--?[A-Za-z][A-Za-z-]*))*\s+",
        )
        .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    let stripped = SUDO.replace_all(command, "$1");
    (stripped != command).then(|| stripped.into_owned())
}

/// Replaces `word` where it stands as a whole shell word.
fn replace_word(command: &str, word: &str, replacement: &str) -> Option<String> {
    let pattern = Regex::new(&format!(r"(^|[\s;&|(]){}($|[\s;&|)])", regex::escape(word))).ok()?;
    let replaced = pattern.replace_all(command, |captures: &regex::Captures| {
        format!("{}{replacement}{}", &captures[1], &captures[2])
    });
    (replaced != command).then(|| replaced.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian_root() -> Facts {
        Facts {
            family: Some(Family::Debian),
            is_root: true,
            can_sudo: false,
            commands: ["bash", "apt-get", "python3", "tar", "dpkg"]
                .map(String::from)
                .to_vec(),
            installed_packages: vec![],
            new_executables: vec![],
            ..Facts::default()
        }
    }

    #[test]
    fn every_rule_example_holds() {
        let facts = debian_root();
        for rule in REPAIRS.iter().chain(VERIFICATION_REPAIRS) {
            for (command, status, output) in rule.must_fire {
                let failure = Failure {
                    command,
                    exit_status: Some(*status),
                    output,
                    timed_out: false,
                    verification: false,
                };
                assert!(
                    (rule.propose)(&failure, &facts).is_some(),
                    "rule {} should fire on {command:?} / {output:?}",
                    rule.id
                );
            }
            for (command, status, output) in rule.must_not_fire {
                let failure = Failure {
                    command,
                    exit_status: Some(*status),
                    output,
                    timed_out: false,
                    verification: false,
                };
                assert!(
                    (rule.propose)(&failure, &facts).is_none(),
                    "rule {} must not fire on {command:?} / {output:?}",
                    rule.id
                );
            }
        }
        for preparation in PREPARATIONS {
            for (before, after) in preparation.examples {
                assert_eq!(
                    (preparation.rewrite)(before, &facts).as_deref(),
                    Some(*after),
                    "preparation {}",
                    preparation.id
                );
            }
            for command in preparation.leaves_alone {
                assert_eq!(
                    (preparation.rewrite)(command, &facts),
                    None,
                    "preparation {} must leave {command:?} alone",
                    preparation.id
                );
            }
        }
    }

    fn fix_for(
        command: &str,
        status: i32,
        output: &str,
        facts: &Facts,
    ) -> Option<(&'static str, Fix)> {
        let failure = Failure {
            command,
            exit_status: Some(status),
            output,
            timed_out: false,
            verification: false,
        };
        repair(&failure, facts).map(|(rule, fix)| (rule.id, fix))
    }

    #[test]
    fn stale_index_refreshes_with_a_failing_update() {
        let (id, fix) = fix_for(
            "apt-get install -y jq",
            100,
            "E: Unable to locate package jq",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "apt-index-stale");
        assert_eq!(
            fix,
            Fix::RunThenRetry(vec![
                "apt-get update --error-on=any -o Acquire::Retries=1".into()
            ])
        );
    }

    #[test]
    fn missing_tool_is_installed_with_the_family_package_name() {
        let (id, fix) = fix_for(
            "tar xJf a.tar.xz",
            2,
            "tar (child): xz: Cannot exec: No such file or directory",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "missing-command");
        assert_eq!(
            fix,
            Fix::RunThenRetry(vec![
                "apt-get install -y --no-install-recommends xz-utils".into()
            ])
        );
    }

    #[test]
    fn a_project_install_of_the_product_becomes_global() {
        let product = |name: &str| name == "gizmo";
        assert_eq!(
            npm_global("npm install --save-dev --save-exact gizmo", &product).as_deref(),
            Some("npm install -g gizmo")
        );
        assert_eq!(
            npm_global("npm i -D gizmo@3", &product).as_deref(),
            Some("npm install -g gizmo@3")
        );
        assert_eq!(
            npm_global("npm install --save-dev husk lint", &product),
            None
        );
        assert_eq!(npm_global("npm install -g gizmo", &product), None);
        assert_eq!(npm_global("npm install", &product), None);
    }

    #[test]
    fn a_guessed_package_must_provide_the_missing_command() {
        let (id, fix) = fix_for(
            "gizmoctl build .",
            127,
            "bash: line 3: gizmoctl: command not found",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "missing-command");
        let Fix::RunThenRetry(commands) = fix else {
            panic!("{fix:?}")
        };
        assert_eq!(commands.len(), 1);
        assert!(
            commands[0].starts_with("apt-get install -y --no-install-recommends gizmoctl && "),
            "{commands:?}"
        );
        assert!(
            commands[0].contains("command -v gizmoctl >/dev/null ||"),
            "{commands:?}"
        );
        // The check is a command the policy reads like any other (no "ask" for it).
        let verdict =
            crate::policy::Policy::default().check(&commands[0], crate::policy::Target::Sandbox);
        assert_eq!(
            verdict.decision,
            crate::policy::Decision::Allow,
            "{verdict:?}"
        );
    }

    #[test]
    fn missing_tool_uses_sudo_when_not_root_and_sudo_works() {
        let facts = Facts {
            is_root: false,
            can_sudo: true,
            ..debian_root()
        };
        let (_, fix) = fix_for(
            "curl -LO http://x/y",
            127,
            "bash: line 1: curl: command not found",
            &facts,
        )
        .unwrap();
        assert_eq!(
            fix,
            Fix::RunThenRetry(vec![
                "sudo apt-get install -y --no-install-recommends curl".into()
            ])
        );
    }

    #[test]
    fn pep668_switches_to_pipx_and_installs_it_first() {
        let (id, fix) = fix_for(
            "pip install --upgrade httpie",
            1,
            "error: externally-managed-environment",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "pep668-externally-managed");
        assert_eq!(
            fix,
            Fix::Replace(vec![
                "apt-get install -y --no-install-recommends pipx".into(),
                "PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install httpie".into(),
            ])
        );
    }

    #[test]
    fn pep668_keeps_the_docs_index_for_pipx() {
        let facts = Facts {
            commands: vec!["pipx".into()],
            ..debian_root()
        };
        let (_, fix) = fix_for(
            "pip install --user --index-url http://127.0.0.1:8000/simple/ --trusted-host=127.0.0.1 widget-py",
            1,
            "error: externally-managed-environment",
            &facts,
        )
        .unwrap();
        assert_eq!(
            fix,
            Fix::Replace(vec![
                "PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install --pip-args='--index-url http://127.0.0.1:8000/simple/ --trusted-host=127.0.0.1' widget-py".into(),
            ])
        );
        assert_eq!(
            fix_for(
                "pip install -r requirements.txt",
                1,
                "error: externally-managed-environment",
                &facts
            ),
            None,
            "pipx installs applications, not requirement files"
        );
    }

    #[test]
    fn pep668_drops_a_step_that_only_upgrades_pip_itself() {
        let (id, fix) = fix_for(
            "python3 -m pip install --upgrade pip wheel",
            1,
            "error: externally-managed-environment",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "pep668-externally-managed");
        assert_eq!(fix, Fix::Replace(Vec::new()));
        let (_, Fix::Replace(commands)) = fix_for(
            "pip3 install -U pip 'httpie>=3'",
            1,
            "error: externally-managed-environment",
            &debian_root(),
        )
        .unwrap() else {
            panic!("expected a replacement");
        };
        assert!(
            commands
                .last()
                .unwrap()
                .ends_with("pipx install 'httpie>=3'"),
            "{commands:?}"
        );
    }

    #[test]
    fn sudo_is_dropped_only_for_root() {
        let (_, fix) = fix_for(
            "sudo apt-get install -y jq",
            127,
            "bash: line 1: sudo: command not found",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(fix, Fix::Replace(vec!["apt-get install -y jq".into()]));
        let user = Facts {
            is_root: false,
            ..debian_root()
        };
        assert_eq!(
            fix_for(
                "sudo apt-get install -y jq",
                127,
                "bash: line 1: sudo: command not found",
                &user
            ),
            None,
            "a non-root user without sudo cannot be repaired by installing or dropping sudo"
        );
    }

    #[test]
    fn renamed_binary_links_the_upstream_name() {
        let (id, Fix::RunThenRetry(commands)) = fix_for(
            "fd --version",
            127,
            "bash: line 1: fd: command not found",
            &debian_root(),
        )
        .unwrap() else {
            panic!("expected a link before retrying");
        };
        assert_eq!(id, "renamed-binary");
        assert!(commands[0].starts_with("ln -sf"), "{commands:?}");
        assert!(commands[0].ends_with("/usr/local/bin/fd"), "{commands:?}");
        assert!(commands[0].contains("fdfind"), "{commands:?}");
    }

    #[test]
    fn renamed_binary_finds_what_the_run_installed_under_another_name() {
        let facts = Facts {
            new_executables: vec![
                "/usr/share/widget-tool/bin/widget-helper".into(),
                "/usr/bin/widgettool".into(),
                "/usr/bin/other".into(),
            ],
            ..debian_root()
        };
        let failure = Failure {
            command: "widget --version",
            exit_status: Some(127),
            output: "bash: line 1: widget: command not found",
            timed_out: false,
            verification: true,
        };
        let (rule, fix) = repair_verification(&failure, &facts).unwrap();
        assert_eq!(rule.id, "renamed-binary");
        assert_eq!(
            fix,
            Fix::RunThenRetry(vec![
                "ln -sf '/usr/bin/widgettool' /usr/local/bin/widget".into()
            ])
        );
        // An install step is not a verification: a missing tool there gets installed.
        assert!(
            renamed_binary(
                &Failure {
                    verification: false,
                    ..failure
                },
                &facts
            )
            .is_none()
        );
        // Nothing new by that name and not a known Debian rename: no renamed-binary fix.
        let failure = Failure {
            command: "gizmo --version",
            exit_status: Some(127),
            output: "bash: line 1: gizmo: command not found",
            timed_out: false,
            verification: true,
        };
        assert!(renamed_binary(&failure, &facts).is_none());
    }

    #[test]
    fn unreachable_hosts_abandon_the_route_before_any_other_rule() {
        let (id, fix) = fix_for(
            "curl -fsSL https://x.example/install.sh | sh",
            6,
            "curl: (6) Could not resolve host: x.example",
            &debian_root(),
        )
        .unwrap();
        assert_eq!(id, "unreachable-host");
        assert!(matches!(fix, Fix::AbandonRoute(_)));
    }

    #[test]
    fn timeouts_are_not_repaired() {
        let failure = Failure {
            command: "sleep 100",
            exit_status: None,
            output: "bash: line 1: sleep: command not found",
            timed_out: true,
            verification: false,
        };
        assert!(repair(&failure, &debian_root()).is_none());
    }

    #[test]
    fn preparations_chain() {
        let (command, applied) = prepare("sudo apt install tree", &debian_root());
        assert_eq!(command, "apt install -y tree");
        assert_eq!(applied, vec!["drop-sudo-as-root", "apt-assume-yes"]);
        let (command, applied) = prepare("echo ok", &debian_root());
        assert_eq!((command.as_str(), applied.len()), ("echo ok", 0));
    }

    #[test]
    fn placeholders_are_found_and_heredocs_are_not_placeholders() {
        assert_eq!(
            placeholder("curl -LO https://x/tool-<version>.tar.gz").as_deref(),
            Some("<version>")
        );
        assert_eq!(
            placeholder("python3 -m venv $VENV_PATH").as_deref(),
            Some("$VENV_PATH")
        );
        assert_eq!(
            placeholder("export TOKEN=YOUR_API_TOKEN").as_deref(),
            Some("YOUR_API_TOKEN")
        );
        assert_eq!(placeholder("cat <<EOF > /etc/x\nhello\nEOF"), None);
        assert_eq!(placeholder("echo $HOME && ls /usr/local/bin"), None);
    }
}
