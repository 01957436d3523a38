//! What one command does, and what a heading or a line of prose says.
//!
//! Routes are built from these facts: which package manager or method a command uses, whether
//! it installs the product or only a tool the install needs (a toolchain, build dependencies),
//! which platforms it implies, which programs it needs on PATH, and what makes it riskier
//! (a third-party repository, a script piped into a shell). Headings are read for the same
//! vocabulary: "Debian / Ubuntu", "With cargo", "From source", "Prerequisites", "Verify".
//!
//! Everything here is judgement from words; the rules are tables so they are easy to extend.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use super::shell::{SimpleCommand, simple_commands};
use super::{Platform, RouteKind, Shell};

/// Facts about one command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// The package manager or method the command belongs to, if any.
    pub kind: Option<RouteKind>,
    /// The kind of route this command starts or continues (an install of the product, a clone,
    /// a release download, a build); `None` for housekeeping, toolchain installs and glue.
    pub asserts: Option<RouteKind>,
    /// Installs the product (or something that is not a known tool).
    pub installs_product: bool,
    /// Installs only tools the install needs (compilers, package managers, build libraries).
    pub installs_tools: bool,
    /// Programs the command makes available (`cargo` after rustup, `make` after build-essential).
    pub provides: BTreeSet<String>,
    pub third_party: bool,
    /// An Ubuntu PPA: works on Ubuntu only.
    pub ppa: bool,
    pub pipe_to_shell: bool,
    pub source_build: bool,
    pub sudo: bool,
    /// Programs the command needs, named as the probe names them.
    pub tools: Vec<String>,
    /// Platforms the command itself implies (apt → debian, a `-darwin.tar.gz` → macos).
    pub platforms: BTreeSet<Platform>,
    /// The packages a package-manager install names, versions and extras removed
    /// (`httpie` for `pip install 'httpie[socks]==3.2'`).
    pub packages: Vec<String>,
}

/// The programs that are the product: they are what verification runs, and installing a
/// package of that name is installing the product, not a tool.
#[derive(Debug, Clone, Default)]
pub(crate) struct Programs {
    pub names: BTreeSet<String>,
}

impl Programs {
    pub fn contains(&self, program: &str) -> bool {
        self.names.contains(&program.to_ascii_lowercase())
    }
}

/// The program a simple command runs: its first word after prefixes, without a directory.
pub(crate) fn program_of(command: &SimpleCommand) -> Option<String> {
    let word = command.program_words().first()?;
    let name = if word.starts_with("./") {
        word.as_str()
    } else {
        word.rsplit(['/', '\\']).next().unwrap_or(word)
    };
    Some(name.to_ascii_lowercase())
}

/// Flags that make `X <flag>` a version or help check.
const CHECK_FLAGS: &[&str] = &["--version", "-V", "version", "--help", "-version"];

/// `X --version` (or `-V`, `version`, `--help`): returns X.
pub(crate) fn version_check_program(text: &str) -> Option<String> {
    let commands = simple_commands(text);
    let [command] = commands.as_slice() else {
        return None;
    };
    let words = command.program_words();
    if words.len() != 2 || !CHECK_FLAGS.contains(&words[1].as_str()) {
        return None;
    }
    program_of(command)
}

/// Programs that are tools of the trade rather than products: package managers, toolchains,
/// downloaders, shells. `X --version` of one of these checks a prerequisite, not the product.
#[rustfmt::skip]
pub(crate) const KNOWN_TOOLS: &[&str] = &[
    "apt", "apt-get", "aptitude", "dpkg", "dnf", "yum", "rpm", "pacman", "apk", "zypper", "brew",
    "port", "nix", "nix-env", "snap", "flatpak", "winget", "scoop", "choco", "pkg", "cargo",
    "rustc", "rustup", "pip", "pip3", "pipx", "python", "python3", "py", "uv", "uvx", "npm", "npx",
    "node", "nodejs", "pnpm", "yarn", "bun", "deno", "go", "gem", "ruby", "bundle", "conda",
    "mamba", "java", "javac", "mvn", "gradle", "gcc", "g++", "cc", "clang", "make", "cmake",
    "ninja", "meson", "git", "curl", "wget", "tar", "unzip", "gpg", "docker", "podman", "sh",
    "bash", "zsh", "fish", "dotnet", "sudo", "perl", "lsb_release", "uname", "which", "echo",
    "cat", "ls", "env", "printenv",
];

/// Shell builtins, core utilities and PowerShell aliases: present everywhere, never a tool a
/// route must bring.
#[rustfmt::skip]
const BASE_COMMANDS: &[&str] = &[
    "cd", "export", "echo", "printf", "source", ".", "set", "unset", "eval", "exit", "alias",
    "read", "test", "[", "[[", "pwd", "true", "false", "type", "command", "hash", "wait", "trap",
    "shift", "local", "declare", "if", "then", "else", "elif", "fi", "for", "do", "done", "while",
    "until", "case", "esac", "in", "mkdir", "mv", "cp", "rm", "rmdir", "ln", "chmod", "chown",
    "chgrp", "cat", "ls", "install", "touch", "tee", "head", "tail", "sort", "uniq", "dirname",
    "basename", "mktemp", "env", "nproc", "uname", "id", "whoami", "sha256sum", "sha512sum",
    "shasum", "md5sum", "tr", "cut", "wc", "sed", "grep", "awk", "find", "xargs", "sleep",
    "readlink", "realpath", "date", "printenv", "which", "sudo", "doas", "su", "systemctl",
    "service", "iex", "irm", "iwr", "exec", "nohup", "time", "ulimit", "umask", "newgrp",
    "usermod", "groupadd", "useradd", "ldconfig", "update-alternatives", "stat", "df", "du",
    "file", "less", "more", "clear", "history", "setx", "start", "open", "xdg-open",
];

/// The name the probe uses for a program (`apt-get` → `apt`, `pip3` → `pip`).
fn tool_name(program: &str) -> String {
    match program {
        "apt-get" | "aptitude" | "apt-cache" => "apt",
        "nix-env" | "nix-shell" | "nix-channel" | "nix-build" => "nix",
        "pip3" => "pip",
        "python" => "python3",
        "uvx" => "uv",
        "npx" => "npm",
        "microdnf" => "dnf",
        "gcc" | "g++" | "clang" | "c++" => "cc",
        "invoke-webrequest" | "invoke-restmethod" => "powershell",
        other => other,
    }
    .to_string()
}

/// Packages that install a tool rather than a product, and the programs they provide.
pub(crate) fn tool_package(package: &str) -> Option<&'static [&'static str]> {
    let package = package.to_ascii_lowercase();
    let package = package
        .split(['=', '@'])
        .next()
        .unwrap_or(&package)
        .to_string();
    let provided: &'static [&'static str] = match package.as_str() {
        "build-essential" | "base-devel" => &["make", "cc"],
        "gcc" | "gcc-c++" | "g++" | "clang" | "llvm" => &["cc"],
        "make" => &["make"],
        "cmake" => &["cmake"],
        "ninja-build" | "ninja" => &["ninja"],
        "meson" => &["meson"],
        "git" => &["git"],
        "curl" => &["curl"],
        "wget" => &["wget"],
        "gnupg" | "gnupg2" | "gpg" => &["gpg"],
        "unzip" => &["unzip"],
        "xz-utils" | "xz" => &["xz"],
        "tar" => &["tar"],
        "python3" | "python" => &["python3"],
        "python3-pip" | "pip" | "py3-pip" | "python-pip" => &["pip"],
        "python3-venv" => &["venv"],
        "pipx" => &["pipx"],
        "uv" => &["uv"],
        "nodejs" | "node" => &["node", "npm"],
        "npm" => &["npm"],
        "golang" | "golang-go" | "go" => &["go"],
        "cargo" => &["cargo"],
        "rustc" => &["rustc"],
        "rust" => &["cargo", "rustc"],
        "rustup" => &["rustup", "cargo", "rustc"],
        "ruby" | "ruby-full" => &["ruby", "gem"],
        "cargo-binstall" => &["cargo-binstall"],
        "setuptools" | "wheel" => &[],
        "ca-certificates"
        | "pkg-config"
        | "pkgconf"
        | "autoconf"
        | "automake"
        | "libtool"
        | "software-properties-common"
        | "apt-transport-https"
        | "lsb-release"
        | "dirmngr"
        | "sudo"
        | "openssl"
        | "perl"
        | "m4"
        | "bison"
        | "flex"
        | "gettext"
        | "python3-dev"
        | "musl-tools" => &[],
        _ => {
            let build_library = package.starts_with("lib")
                || package.starts_with("dnf-command(")
                || package.starts_with("dnf-plugins")
                || package.ends_with("-dev")
                || package.ends_with("-devel")
                || package.starts_with("openjdk")
                || package.starts_with("default-jdk");
            return build_library.then_some(&[]);
        }
    };
    Some(provided)
}

/// Scripts that install a toolchain or a package manager, by a piece of their URL.
const TOOLCHAIN_SCRIPTS: &[(&str, &[&str])] = &[
    ("sh.rustup.rs", &["rustup", "cargo", "rustc"]),
    ("rustup", &["rustup", "cargo", "rustc"]),
    ("homebrew/install", &["brew"]),
    ("get.scoop.sh", &["scoop"]),
    ("nvm-sh/nvm", &["nvm", "node", "npm"]),
    ("astral.sh/uv", &["uv"]),
    ("bun.sh/install", &["bun"]),
    ("deno.land/install", &["deno"]),
    ("install.python-poetry.org", &["poetry"]),
    ("get.docker.com", &["docker"]),
    ("chocolatey.org/install", &["choco"]),
    ("nixos.org/nix/install", &["nix"]),
    ("install.determinate.systems", &["nix"]),
    ("pyenv", &["pyenv"]),
    ("get.sdkman.io", &["sdk"]),
];

/// Scripts that add a third-party package repository (and install nothing by themselves).
const REPOSITORY_SCRIPTS: &[&str] = &["deb.nodesource.com", "rpm.nodesource.com", "/setup_"];

/// Paths whose change adds a third-party repository or trusts a new key.
const REPOSITORY_PATHS: &[(&str, RouteKind)] = &[
    ("/etc/apt/sources.list", RouteKind::Apt),
    ("/etc/apt/keyrings", RouteKind::Apt),
    ("/usr/share/keyrings", RouteKind::Apt),
    ("/etc/apt/trusted.gpg", RouteKind::Apt),
    ("/etc/yum.repos.d", RouteKind::Dnf),
    ("/etc/zypp/repos.d", RouteKind::Zypper),
    ("/etc/pacman.conf", RouteKind::Pacman),
    ("/etc/apk/repositories", RouteKind::Apk),
];

/// File endings of release assets.
#[rustfmt::skip]
const RELEASE_EXTENSIONS: &[&str] = &[
    ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz", ".tar.zst", ".zip", ".deb", ".rpm",
    ".appimage", ".exe", ".msi", ".dmg", ".pkg", ".gz", ".xz", ".zst", ".7z", ".jar", ".bin",
    ".run",
];

/// Pieces of an asset's file name that say it is a binary for some platform.
#[rustfmt::skip]
const ASSET_TOKENS: &[&str] = &[
    "linux", "darwin", "macos", "apple", "windows", "win64", "win32", "amd64", "x86_64", "aarch64",
    "arm64", "musl", "gnu", "i686", "armv7",
];

/// The platform a system package manager implies.
fn kind_platform(kind: RouteKind) -> Option<Platform> {
    Some(match kind {
        RouteKind::Apt => Platform::Debian,
        RouteKind::Dnf => Platform::Fedora,
        RouteKind::Pacman => Platform::Arch,
        RouteKind::Apk => Platform::Alpine,
        RouteKind::Zypper => Platform::Suse,
        RouteKind::Brew | RouteKind::Port => Platform::Macos,
        RouteKind::Nix => Platform::Nix,
        RouteKind::Snap | RouteKind::Flatpak => Platform::AnyLinux,
        RouteKind::Winget | RouteKind::Scoop | RouteKind::Choco => Platform::Windows,
        RouteKind::Pkg => Platform::Freebsd,
        _ => return None,
    })
}

/// Classifies one command.
pub(crate) fn classify(text: &str, shell: Shell, programs: &Programs) -> Facts {
    let simple = simple_commands(text);
    let mut facts = Facts::default();
    let lower_text = text.to_ascii_lowercase();
    for (index, command) in simple.iter().enumerate() {
        let next = simple.get(index + 1).filter(|_| command.piped);
        classify_simple(command, next, &lower_text, programs, &mut facts);
    }
    if shell != Shell::Sh {
        facts.platforms.insert(Platform::Windows);
    }
    if let Some(platform) = facts.kind.or(facts.asserts).and_then(kind_platform) {
        facts.platforms.insert(platform);
    }
    let mut seen = BTreeSet::new();
    facts.tools.retain(|tool| seen.insert(tool.clone()));
    facts
}

/// Adds what one simple command tells to `facts`; `next` is the command its output is piped to.
fn classify_simple(
    command: &SimpleCommand,
    next: Option<&SimpleCommand>,
    lower_text: &str,
    programs: &Programs,
    facts: &mut Facts,
) {
    let Some(program) = program_of(command) else {
        // Only redirections: `> /etc/apt/sources.list.d/x.list`.
        note_repository_paths(command, facts);
        return;
    };
    facts.sudo |= command.uses_sudo();
    let words: Vec<String> = command
        .program_words()
        .iter()
        .skip(1)
        .map(|word| word.to_string())
        .collect();
    let arguments: Vec<&str> = words.iter().map(String::as_str).collect();
    let positional: Vec<&str> = arguments
        .iter()
        .copied()
        .filter(|word| !word.starts_with('-'))
        .collect();
    let subcommand = positional.first().copied().unwrap_or("");
    let packages = || -> Vec<&str> { positional.iter().skip(1).copied().collect() };

    // PowerShell cmdlets (`Set-ExecutionPolicy`) come with the shell.
    let cmdlet = command
        .program_words()
        .first()
        .is_some_and(|word| word.contains('-') && word.chars().any(|c| c.is_ascii_uppercase()));
    let needs_tool = !cmdlet
        && !BASE_COMMANDS.contains(&program.as_str())
        && !program.starts_with("./")
        && !programs.contains(&program)
        && program
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c));
    if needs_tool {
        facts.tools.push(tool_name(&program));
    }
    note_repository_paths(command, facts);

    match program.as_str() {
        "apt" | "apt-get" | "aptitude" => match subcommand {
            "install" | "reinstall" => {
                let packages = packages();
                if packages
                    .iter()
                    .any(|package| package.ends_with(".deb") || package.contains('/'))
                {
                    release_binary(facts, [Platform::Debian]);
                } else {
                    package_install(facts, RouteKind::Apt, &packages, programs);
                }
            }
            _ => housekeeping(facts, RouteKind::Apt),
        },
        "add-apt-repository" => {
            repository(facts, RouteKind::Apt);
            facts.ppa |= positional.iter().any(|word| word.starts_with("ppa:"));
        }
        "apt-key" => repository(facts, RouteKind::Apt),
        "dpkg"
            if arguments
                .iter()
                .any(|word| *word == "-i" || *word == "--install") =>
        {
            release_binary(facts, [Platform::Debian]);
        }
        "dnf" | "yum" | "microdnf" => match subcommand {
            "install" | "in" | "reinstall" => {
                let packages = packages();
                if packages
                    .iter()
                    .any(|package| package.ends_with(".rpm") || package.contains("://"))
                {
                    release_binary(facts, [Platform::Fedora]);
                } else {
                    package_install(facts, RouteKind::Dnf, &packages, programs);
                }
            }
            "copr" | "config-manager" => repository(facts, RouteKind::Dnf),
            _ => housekeeping(facts, RouteKind::Dnf),
        },
        "rpm" => {
            if arguments.contains(&"--import") {
                repository(facts, RouteKind::Dnf);
            } else if arguments
                .iter()
                .any(|word| word.starts_with("-i") || word.starts_with("-U"))
            {
                release_binary(facts, [Platform::Fedora]);
            }
        }
        "pacman" => {
            let sync = arguments
                .iter()
                .find(|word| word.starts_with("-S") || word.starts_with("-U"));
            match sync {
                Some(flag) if flag.starts_with("-U") => release_binary(facts, [Platform::Arch]),
                Some(flag)
                    if !flag.contains('s') && !flag.contains('i') && !positional.is_empty() =>
                {
                    package_install(facts, RouteKind::Pacman, &positional, programs);
                }
                _ => housekeeping(facts, RouteKind::Pacman),
            }
        }
        "yay" | "paru" => {
            package_install(facts, RouteKind::Pacman, &positional, programs);
            facts.third_party = true;
        }
        "apk" => match subcommand {
            "add" => package_install(facts, RouteKind::Apk, &packages(), programs),
            _ => housekeeping(facts, RouteKind::Apk),
        },
        "zypper" => match subcommand {
            "install" | "in" => package_install(facts, RouteKind::Zypper, &packages(), programs),
            "addrepo" | "ar" => repository(facts, RouteKind::Zypper),
            _ => housekeeping(facts, RouteKind::Zypper),
        },
        "pkg" => match subcommand {
            "install" => package_install(facts, RouteKind::Pkg, &packages(), programs),
            _ => housekeeping(facts, RouteKind::Pkg),
        },
        "emerge" | "xbps-install" | "guix" | "eopkg" => {
            facts.kind = Some(RouteKind::Other);
            facts.asserts = Some(RouteKind::Other);
            facts.installs_product = true;
            facts.platforms.insert(Platform::AnyLinux);
        }
        "brew" => match subcommand {
            "install" | "reinstall" => {
                package_install(facts, RouteKind::Brew, &packages(), programs)
            }
            "tap" => repository(facts, RouteKind::Brew),
            _ => housekeeping(facts, RouteKind::Brew),
        },
        "port" => match subcommand {
            "install" => package_install(facts, RouteKind::Port, &packages(), programs),
            _ => housekeeping(facts, RouteKind::Port),
        },
        "nix-env" => {
            if arguments
                .iter()
                .any(|word| word.starts_with("-i") || *word == "--install")
            {
                package_install(facts, RouteKind::Nix, &positional, programs);
            } else {
                housekeeping(facts, RouteKind::Nix);
            }
        }
        "nix" | "nix-shell" => {
            if matches!(subcommand, "profile" | "run" | "shell" | "install")
                || program == "nix-shell"
            {
                package_install(facts, RouteKind::Nix, &[], programs);
                facts.installs_product = true;
                facts.installs_tools = false;
            } else {
                housekeeping(facts, RouteKind::Nix);
            }
        }
        "nix-channel" => housekeeping(facts, RouteKind::Nix),
        "snap" => match subcommand {
            "install" => package_install(facts, RouteKind::Snap, &packages(), programs),
            _ => housekeeping(facts, RouteKind::Snap),
        },
        "flatpak" => match subcommand {
            "install" => package_install(facts, RouteKind::Flatpak, &packages(), programs),
            "remote-add" => repository(facts, RouteKind::Flatpak),
            _ => housekeeping(facts, RouteKind::Flatpak),
        },
        "winget" => match subcommand {
            "install" => package_install(facts, RouteKind::Winget, &[], programs),
            _ => housekeeping(facts, RouteKind::Winget),
        },
        "scoop" => match subcommand {
            "install" => package_install(facts, RouteKind::Scoop, &packages(), programs),
            "bucket" => repository(facts, RouteKind::Scoop),
            _ => housekeeping(facts, RouteKind::Scoop),
        },
        "choco" => match subcommand {
            "install" => package_install(facts, RouteKind::Choco, &packages(), programs),
            _ => housekeeping(facts, RouteKind::Choco),
        },
        "cargo" => match subcommand {
            "install" | "binstall" => {
                if arguments.contains(&"--path") {
                    source(facts, true);
                } else {
                    let crates = crate_names(&arguments);
                    package_install(facts, RouteKind::Cargo, &crates, programs);
                }
            }
            "build" => source(facts, false),
            _ => {}
        },
        "rustup" | "rustup-init" => toolchain(facts, &["rustup", "cargo", "rustc"]),
        "pip" | "pip3" => pip(facts, RouteKind::Pip, &arguments, programs),
        "python" | "python3" | "py" => {
            if let Some(module_at) = arguments.iter().position(|word| *word == "-m") {
                match arguments.get(module_at + 1).copied() {
                    Some("pip") => {
                        pip(facts, RouteKind::Pip, &arguments[module_at + 2..], programs);
                    }
                    Some("pipx") => {
                        pip(
                            facts,
                            RouteKind::Pipx,
                            &arguments[module_at + 2..],
                            programs,
                        );
                    }
                    Some("venv") => {
                        facts.provides.insert("venv".to_string());
                    }
                    _ => {}
                }
            }
        }
        "pipx" => match subcommand {
            "install" | "run" => package_install(facts, RouteKind::Pipx, &packages(), programs),
            _ => {}
        },
        "uv" => {
            if matches!(subcommand, "tool" | "pip") {
                let rest: Vec<&str> = positional.iter().skip(2).copied().collect();
                package_install(facts, RouteKind::Uv, &rest, programs);
            }
        }
        "uvx" => package_install(facts, RouteKind::Uv, &[], programs),
        "npm" | "pnpm" | "yarn" | "bun" => {
            let installing = matches!(subcommand, "install" | "i" | "add" | "global")
                || (program == "yarn" && subcommand == "global");
            let names: Vec<&str> = positional
                .iter()
                .skip(1)
                .copied()
                .filter(|word| *word != "add")
                .collect();
            if installing && !names.is_empty() {
                package_install(facts, RouteKind::Npm, &names, programs);
            } else if installing || matches!(subcommand, "ci" | "run") {
                source(facts, false);
            }
        }
        "npx" | "bunx" => package_install(facts, RouteKind::Npm, &[], programs),
        "go" => match subcommand {
            "install" | "get" => {
                // A module path builds the program named by its last element.
                let programs_built: Vec<&str> = packages()
                    .into_iter()
                    .filter(|path| path.contains('/'))
                    .filter_map(|path| path.split('@').next()?.rsplit('/').next())
                    .collect();
                package_install(facts, RouteKind::Go, &programs_built, programs)
            }
            "build" => source(facts, false),
            _ => {}
        },
        "gem" if subcommand == "install" => {
            package_install(facts, RouteKind::Gem, &packages(), programs);
        }
        "conda" | "mamba" | "micromamba" if subcommand == "install" || subcommand == "create" => {
            package_install(facts, RouteKind::Conda, &packages(), programs);
        }
        "docker" | "podman" => {
            if matches!(subcommand, "run" | "pull" | "build") {
                facts.kind = Some(RouteKind::Docker);
                facts.asserts = Some(RouteKind::Docker);
                facts.installs_product = true;
            }
        }
        // Haskell's tools build the package from its sources.
        "cabal" | "stack" if subcommand == "install" => source(facts, true),
        "git" if subcommand == "clone" => source(facts, false),
        "make" | "gmake" | "ninja" | "meson" | "cmake" | "autoreconf" | "bazel" | "scons" => {
            let installs = arguments
                .iter()
                .any(|word| *word == "install" || *word == "--install");
            source(facts, installs);
        }
        "./configure" | "./autogen.sh" | "./bootstrap" | "./build.sh" | "./x.py" => {
            source(facts, false);
        }
        "curl" | "wget" | "invoke-webrequest" | "iwr" | "invoke-restmethod" | "irm" => {
            download(command, next, lower_text, facts);
        }
        "sh" | "bash" | "zsh" | "dash" | "ksh" | "iex" | "invoke-expression" => {
            let fetched = arguments.iter().find(|word| {
                let lower = word.to_ascii_lowercase();
                [
                    "$(curl", "$(wget", "<(curl", "<(wget", "(irm", "(iwr", "$(irm", "$(iwr",
                ]
                .iter()
                .any(|marker| lower.contains(marker))
            });
            if let Some(fetched) = fetched {
                script(facts, &fetched.to_ascii_lowercase());
            } else if let Some(file) = arguments
                .iter()
                .find(|word| word.ends_with(".sh") && word.to_ascii_lowercase().contains("install"))
            {
                script(facts, &file.to_ascii_lowercase());
            }
        }
        other if other.starts_with("./") && other.contains("install") => {
            script(facts, other);
        }
        _ => {}
    }
}

/// Records a third-party repository change made by writing to the package manager's
/// configuration (`tee /etc/apt/sources.list.d/x.list`, `gpg -o /usr/share/keyrings/x.gpg`).
fn note_repository_paths(command: &SimpleCommand, facts: &mut Facts) {
    let touched = command.words.iter().chain(&command.redirects);
    for word in touched {
        if let Some((_, kind)) = REPOSITORY_PATHS
            .iter()
            .find(|(path, _)| word.contains(path))
        {
            repository(facts, *kind);
        }
    }
    let is_key_import = program_of(command).is_some_and(|program| program == "gpg")
        && command
            .words
            .iter()
            .any(|word| word == "--dearmor" || word == "--import");
    if is_key_import {
        facts.third_party = true;
    }
}

fn housekeeping(facts: &mut Facts, kind: RouteKind) {
    facts.kind.get_or_insert(kind);
}

fn repository(facts: &mut Facts, kind: RouteKind) {
    facts.kind.get_or_insert(kind);
    facts.third_party = true;
}

/// A package manager install: of the product, unless every package is a known tool.
fn package_install(facts: &mut Facts, kind: RouteKind, packages: &[&str], programs: &Programs) {
    facts.kind = Some(kind);
    facts.packages.extend(
        packages
            .iter()
            .filter_map(|package| package_name(package))
            .filter(|package| !facts.packages.contains(package))
            .collect::<Vec<_>>(),
    );
    let tools: Vec<&'static [&'static str]> = packages
        .iter()
        .filter(|package| !programs.contains(package))
        .filter_map(|package| tool_package(package))
        .collect();
    if !packages.is_empty() && tools.len() == packages.len() {
        facts.installs_tools = true;
        facts.provides.extend(
            tools
                .iter()
                .flat_map(|provided| provided.iter().map(|p| p.to_string())),
        );
    } else {
        facts.installs_product = true;
        facts.asserts = Some(kind);
    }
}

/// The bare name of a package argument: `'httpie[socks]==3.2'` → `httpie`, `prettier@3` →
/// `prettier`, `@scope/tool@1` → `@scope/tool`; `None` for paths, URLs and placeholders.
pub(crate) fn package_name(argument: &str) -> Option<String> {
    let word = argument.trim_matches(['\'', '"']);
    if word.contains("://") {
        return None;
    }
    let (scope, rest) = match word.strip_prefix('@') {
        Some(rest) => ("@", rest),
        None => ("", word),
    };
    let end = rest
        .find(['=', '<', '>', '~', '!', '[', '@', ';', ' ', ':'])
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+' | '/'))
        && (scope == "@" || !name.contains('/'))
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    valid.then(|| format!("{scope}{}", name.to_ascii_lowercase()))
}

/// The crate names of `cargo install`: positional words that are not option values.
fn crate_names<'a>(arguments: &[&'a str]) -> Vec<&'a str> {
    let mut names = Vec::new();
    let mut skip_value = false;
    for word in arguments.iter().skip(1) {
        if skip_value {
            skip_value = false;
            continue;
        }
        if word.starts_with('-') {
            skip_value = matches!(
                *word,
                "--version"
                    | "--git"
                    | "--branch"
                    | "--tag"
                    | "--rev"
                    | "--root"
                    | "--features"
                    | "-F"
                    | "--target"
                    | "--registry"
                    | "--index"
                    | "--profile"
                    | "-j"
                    | "--jobs"
            );
            continue;
        }
        names.push(*word);
    }
    names
}

/// `pip install`: the product, a tool (`pip install pipx`), or the sources in a directory.
fn pip(facts: &mut Facts, kind: RouteKind, arguments: &[&str], programs: &Programs) {
    let positional: Vec<&str> = arguments
        .iter()
        .copied()
        .filter(|word| !word.starts_with('-'))
        .collect();
    if positional.first() != Some(&"install") {
        return;
    }
    let mut packages = Vec::new();
    let mut skip_value = false;
    for word in arguments
        .iter()
        .skip_while(|word| **word != "install")
        .skip(1)
    {
        if skip_value {
            skip_value = false;
            continue;
        }
        if word.starts_with('-') {
            skip_value = matches!(
                *word,
                "-r" | "--requirement"
                    | "-i"
                    | "--index-url"
                    | "--extra-index-url"
                    | "-c"
                    | "--constraint"
                    | "-t"
                    | "--target"
                    | "--prefix"
                    | "-e"
                    | "--editable"
            );
            if matches!(*word, "-e" | "--editable") {
                source(facts, true);
                return;
            }
            continue;
        }
        packages.push(*word);
    }
    if packages
        .iter()
        .any(|package| *package == "." || package.starts_with("./") || package.starts_with("git+"))
    {
        source(facts, true);
        return;
    }
    package_install(facts, kind, &packages, programs);
}

fn toolchain(facts: &mut Facts, provides: &[&str]) {
    facts.installs_tools = true;
    facts
        .provides
        .extend(provides.iter().map(|p| p.to_string()));
}

fn source(facts: &mut Facts, installs: bool) {
    facts.kind = Some(RouteKind::Source);
    facts.asserts = Some(RouteKind::Source);
    facts.source_build = true;
    facts.installs_product |= installs;
}

fn release_binary(facts: &mut Facts, platforms: impl IntoIterator<Item = Platform>) {
    facts.kind = Some(RouteKind::ReleaseBinary);
    if facts.asserts != Some(RouteKind::Source) {
        facts.asserts = Some(RouteKind::ReleaseBinary);
    }
    facts.installs_product = true;
    facts.platforms.extend(platforms);
}

/// A script fetched and run: a toolchain installer, a repository setup, or the product's own.
fn script(facts: &mut Facts, source_text: &str) {
    facts.pipe_to_shell = true;
    if let Some((_, provides)) = TOOLCHAIN_SCRIPTS
        .iter()
        .find(|(marker, _)| source_text.contains(marker))
    {
        facts.kind.get_or_insert(RouteKind::Script);
        toolchain(facts, provides);
        return;
    }
    if REPOSITORY_SCRIPTS
        .iter()
        .any(|marker| source_text.contains(marker))
    {
        repository(facts, RouteKind::Apt);
        return;
    }
    facts.kind = Some(RouteKind::Script);
    facts.asserts = Some(RouteKind::Script);
    facts.installs_product = true;
}

/// `curl`/`wget`: a script piped into a shell, a key for a repository, a release asset, or a
/// plain download.
fn download(
    command: &SimpleCommand,
    next: Option<&SimpleCommand>,
    lower_text: &str,
    facts: &mut Facts,
) {
    let urls: Vec<String> = command
        .program_words()
        .iter()
        .skip(1)
        .filter(|word| word.contains("://") || looks_like_host_path(word))
        .map(|word| word.to_ascii_lowercase())
        .collect();
    let url = urls.first().cloned().unwrap_or_default();
    let next_program = next.and_then(program_of);
    let piped_to_shell = next_program.as_deref().is_some_and(|program| {
        matches!(
            program,
            "sh" | "bash"
                | "zsh"
                | "dash"
                | "ksh"
                | "fish"
                | "python"
                | "python3"
                | "iex"
                | "invoke-expression"
        )
    });
    if piped_to_shell {
        script(facts, &url);
        return;
    }
    let key = next_program
        .as_deref()
        .is_some_and(|program| program == "gpg" || program == "apt-key" || program == "tee")
        && (url.ends_with(".gpg")
            || url.ends_with(".asc")
            || url.ends_with(".key")
            || url.contains("/gpg")
            || url.contains("key"));
    if key || url.ends_with(".gpg") || url.ends_with(".asc") || url.ends_with(".pub") {
        let kind = if lower_text.contains("yum") || lower_text.contains("rpm") {
            RouteKind::Dnf
        } else {
            RouteKind::Apt
        };
        repository(facts, kind);
        return;
    }
    if url.ends_with(".repo") || url.ends_with(".list") || url.ends_with(".sources") {
        let kind = if url.ends_with(".repo") {
            RouteKind::Dnf
        } else {
            RouteKind::Apt
        };
        repository(facts, kind);
        return;
    }
    let file = url
        .split(['?', '#'])
        .next()
        .unwrap_or(&url)
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let outputs_to_bin = command
        .program_words()
        .iter()
        .any(|word| word.contains("/bin/") || word.contains("/bin\\"));
    let release = url.contains("/releases/download/")
        || url.contains("/releases/latest/download/")
        || RELEASE_EXTENSIONS
            .iter()
            .any(|extension| file.ends_with(extension))
        || ASSET_TOKENS.iter().any(|token| file.contains(token))
        || (outputs_to_bin && !url.is_empty());
    if release && !file.ends_with(".sh") && !file.ends_with(".ps1") {
        release_binary(facts, asset_platforms(&file));
    }
}

/// `get.scoop.sh`: a URL without a scheme, as PowerShell one-liners write them.
fn looks_like_host_path(word: &str) -> bool {
    !word.starts_with('-')
        && word.contains('.')
        && word
            .split('/')
            .next()
            .is_some_and(|host| host.contains('.') && !host.starts_with('.') && !host.contains('$'))
        && !word.starts_with('/')
        && !word.starts_with("./")
}

/// Platforms named in a release asset's file name.
fn asset_platforms(file: &str) -> Vec<Platform> {
    let mut platforms = Vec::new();
    if file.ends_with(".deb") {
        platforms.push(Platform::Debian);
    }
    if file.ends_with(".rpm") {
        platforms.push(Platform::Fedora);
    }
    if file.contains("linux") || file.ends_with(".appimage") {
        platforms.push(Platform::AnyLinux);
    }
    if ["darwin", "macos", "apple", "osx"]
        .iter()
        .any(|token| file.contains(token))
        || file.ends_with(".dmg")
        || file.ends_with(".pkg")
    {
        platforms.push(Platform::Macos);
    }
    if ["windows", "win64", "win32"]
        .iter()
        .any(|token| file.contains(token))
        || file.ends_with(".exe")
        || file.ends_with(".msi")
    {
        platforms.push(Platform::Windows);
    }
    platforms
}

/// What a heading is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    /// Says nothing special ("Installation", "Notes").
    Neutral,
    /// Names a platform or an install method: an alternative route.
    Install,
    /// Something to do before installing.
    Prerequisite,
    /// Checking that the install worked.
    Verify,
    /// Using the product after installing it.
    Usage,
    /// Not about installing (uninstalling, upgrading, development, configuration, ...).
    Excluded,
}

/// What a heading says: its role, and the platforms and methods it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Label {
    pub role: Role,
    pub platforms: BTreeSet<Platform>,
    pub kinds: BTreeSet<RouteKind>,
}

/// Lowercase words of a text (`Debian / Ubuntu` → `debian`, `ubuntu`).
fn words_of(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '+'))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// Platforms named by words in running text or headings.
const PLATFORM_WORDS: &[(&str, Platform)] = &[
    ("debian", Platform::Debian),
    ("ubuntu", Platform::Debian),
    ("mint", Platform::Debian),
    ("raspbian", Platform::Debian),
    ("kali", Platform::Debian),
    ("deb", Platform::Debian),
    ("apt", Platform::Debian),
    ("fedora", Platform::Fedora),
    ("rhel", Platform::Fedora),
    ("red hat", Platform::Fedora),
    ("redhat", Platform::Fedora),
    ("centos", Platform::Fedora),
    ("rocky", Platform::Fedora),
    ("alma", Platform::Fedora),
    ("almalinux", Platform::Fedora),
    ("rpm", Platform::Fedora),
    ("dnf", Platform::Fedora),
    ("yum", Platform::Fedora),
    ("arch", Platform::Arch),
    ("archlinux", Platform::Arch),
    ("manjaro", Platform::Arch),
    ("endeavouros", Platform::Arch),
    ("pacman", Platform::Arch),
    ("aur", Platform::Arch),
    ("alpine", Platform::Alpine),
    ("opensuse", Platform::Suse),
    ("suse", Platform::Suse),
    ("sles", Platform::Suse),
    ("zypper", Platform::Suse),
    ("macos", Platform::Macos),
    ("mac", Platform::Macos),
    ("osx", Platform::Macos),
    ("os x", Platform::Macos),
    ("darwin", Platform::Macos),
    ("windows", Platform::Windows),
    ("win", Platform::Windows),
    ("winget", Platform::Windows),
    ("scoop", Platform::Windows),
    ("chocolatey", Platform::Windows),
    ("choco", Platform::Windows),
    ("powershell", Platform::Windows),
    ("nix", Platform::Nix),
    ("nixos", Platform::Nix),
    ("nixpkgs", Platform::Nix),
    ("linux", Platform::AnyLinux),
    ("freebsd", Platform::Freebsd),
];

/// Install methods named by words in headings.
const KIND_WORDS: &[(&str, RouteKind)] = &[
    ("apt", RouteKind::Apt),
    ("dnf", RouteKind::Dnf),
    ("yum", RouteKind::Dnf),
    ("pacman", RouteKind::Pacman),
    ("aur", RouteKind::Pacman),
    ("apk", RouteKind::Apk),
    ("zypper", RouteKind::Zypper),
    ("homebrew", RouteKind::Brew),
    ("brew", RouteKind::Brew),
    ("linuxbrew", RouteKind::Brew),
    ("macports", RouteKind::Port),
    ("nix", RouteKind::Nix),
    ("nixpkgs", RouteKind::Nix),
    ("snap", RouteKind::Snap),
    ("snapcraft", RouteKind::Snap),
    ("flatpak", RouteKind::Flatpak),
    ("flathub", RouteKind::Flatpak),
    ("winget", RouteKind::Winget),
    ("scoop", RouteKind::Scoop),
    ("chocolatey", RouteKind::Choco),
    ("choco", RouteKind::Choco),
    ("cargo", RouteKind::Cargo),
    ("crates", RouteKind::Cargo),
    ("pip", RouteKind::Pip),
    ("pypi", RouteKind::Pip),
    ("pipx", RouteKind::Pipx),
    ("uv", RouteKind::Uv),
    ("npm", RouteKind::Npm),
    ("yarn", RouteKind::Npm),
    ("pnpm", RouteKind::Npm),
    ("go", RouteKind::Go),
    ("gem", RouteKind::Gem),
    ("rubygems", RouteKind::Gem),
    ("conda", RouteKind::Conda),
    ("mamba", RouteKind::Conda),
    ("docker", RouteKind::Docker),
    ("podman", RouteKind::Docker),
    ("container", RouteKind::Docker),
    ("binary", RouteKind::ReleaseBinary),
    ("binaries", RouteKind::ReleaseBinary),
    ("prebuilt", RouteKind::ReleaseBinary),
    ("pre built", RouteKind::ReleaseBinary),
    ("precompiled", RouteKind::ReleaseBinary),
    ("release", RouteKind::ReleaseBinary),
    ("releases", RouteKind::ReleaseBinary),
    ("download", RouteKind::ReleaseBinary),
    ("tarball", RouteKind::ReleaseBinary),
    ("appimage", RouteKind::ReleaseBinary),
    ("source", RouteKind::Source),
    ("sources", RouteKind::Source),
    ("build", RouteKind::Source),
    ("building", RouteKind::Source),
    ("compile", RouteKind::Source),
    ("compiling", RouteKind::Source),
    ("script", RouteKind::Script),
    ("installer", RouteKind::Script),
    ("one liner", RouteKind::Script),
];

const PREREQUISITE_PHRASES: &[&str] = &[
    "prerequisite",
    "prerequisites",
    "requirements",
    "dependencies",
    "before you begin",
    "before you start",
    "before installing",
];

const VERIFY_PHRASES: &[&str] = &[
    "verify",
    "verifying",
    "verification",
    "check",
    "checking",
    "confirm",
    "confirming",
    "validate",
    "validation",
    "done when",
    "smoke test",
    "test the install",
    "test the installation",
    "test your installation",
];

const EXCLUDED_PHRASES: &[&str] = &[
    "uninstall",
    "uninstalling",
    "uninstallation",
    "remove",
    "removing",
    "removal",
    "upgrade",
    "upgrading",
    "update",
    "updating",
    "development",
    "developing",
    "contributing",
    "contribute",
    "troubleshooting",
    "faq",
    "license",
    "licence",
    "changelog",
    "cleanup",
    "clean up",
    "cleaning",
    "test",
    "tests",
    "testing",
    "configuration",
    "configure",
    "configuring",
    "completion",
    "completions",
    "benchmark",
    "benchmarks",
    "support",
    "security",
    "credits",
    "acknowledgements",
    "optional",
];

const USAGE_PHRASES: &[&str] = &[
    "usage",
    "example",
    "examples",
    "tutorial",
    "quickstart",
    "quick start",
    "getting started",
    "get started",
    "first steps",
    "try it",
    "how to use",
    "running",
    "run",
];

/// What a phrase of the tables above means.
#[derive(Debug, Clone, Copy)]
enum Meaning {
    Platform(Platform),
    Kind(RouteKind),
    Prerequisite,
    Verify,
    Excluded,
    Usage,
    /// "install", "get", "set up": with "first", a prerequisite.
    Installing,
    First,
}

/// The phrase tables indexed by their first word, so that reading a heading or a line costs
/// one lookup per word instead of a scan of every table.
static VOCABULARY: LazyLock<HashMap<&'static str, Vec<(&'static str, Meaning)>>> =
    LazyLock::new(|| {
        let mut vocabulary: HashMap<&'static str, Vec<(&'static str, Meaning)>> = HashMap::new();
        let mut add = |phrase: &'static str, meaning: Meaning| {
            let first = phrase.split(' ').next().unwrap_or(phrase);
            vocabulary.entry(first).or_default().push((phrase, meaning));
        };
        for (phrase, platform) in PLATFORM_WORDS {
            add(phrase, Meaning::Platform(*platform));
        }
        for (phrase, kind) in KIND_WORDS {
            add(phrase, Meaning::Kind(*kind));
        }
        for (phrases, meaning) in [
            (PREREQUISITE_PHRASES, Meaning::Prerequisite),
            (VERIFY_PHRASES, Meaning::Verify),
            (EXCLUDED_PHRASES, Meaning::Excluded),
            (USAGE_PHRASES, Meaning::Usage),
            (
                &["install", "installing", "get", "set", "setup"][..],
                Meaning::Installing,
            ),
            (&["first"][..], Meaning::First),
        ] {
            for phrase in phrases {
                add(phrase, meaning);
            }
        }
        vocabulary
    });

/// The meanings of the phrases that occur in `words`.
fn meanings(words: &[String]) -> impl Iterator<Item = Meaning> + '_ {
    words.iter().enumerate().flat_map(move |(index, word)| {
        VOCABULARY
            .get(word.as_str())
            .into_iter()
            .flatten()
            .filter(move |(phrase, _)| {
                let mut following = words[index..].iter();
                phrase
                    .split(' ')
                    .all(|want| following.next().is_some_and(|word| word == want))
            })
            .map(|(_, meaning)| *meaning)
    })
}

/// Reads a heading.
pub(crate) fn title_label(title: &str) -> Label {
    let words = words_of(title);
    let mut platforms = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    let (mut prerequisite, mut verify, mut excluded, mut usage) = (false, false, false, false);
    let (mut installing, mut first) = (false, false);
    for meaning in meanings(&words) {
        match meaning {
            Meaning::Platform(platform) => {
                platforms.insert(platform);
            }
            Meaning::Kind(kind) => {
                kinds.insert(kind);
            }
            Meaning::Prerequisite => prerequisite = true,
            Meaning::Verify => verify = true,
            Meaning::Excluded => excluded = true,
            Meaning::Usage => usage = true,
            Meaning::Installing => installing = true,
            Meaning::First => first = true,
        }
    }
    // "Install Rust first" is a prerequisite; "First steps" and "A first request" are usage.
    let role = if prerequisite || (first && installing) {
        Role::Prerequisite
    } else if verify {
        Role::Verify
    } else if excluded {
        Role::Excluded
    } else if !platforms.is_empty() || !kinds.is_empty() {
        Role::Install
    } else if usage || first {
        Role::Usage
    } else {
        Role::Neutral
    };
    Label {
        role,
        platforms,
        kinds,
    }
}

/// Platforms named in a line of prose or a comment ("On Linux and macOS ...").
pub(crate) fn platforms_in_text(text: &str) -> BTreeSet<Platform> {
    let words = words_of(text);
    meanings(&words)
        .filter_map(|meaning| match meaning {
            Meaning::Platform(platform) => Some(platform),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str) -> Facts {
        classify(text, Shell::Sh, &Programs::default())
    }

    #[test]
    fn package_managers_install_the_product() {
        let apt = facts("sudo apt-get install -y hexyl");
        assert_eq!(apt.kind, Some(RouteKind::Apt));
        assert_eq!(apt.asserts, Some(RouteKind::Apt));
        assert!(apt.installs_product && apt.sudo);
        assert_eq!(apt.tools, ["apt"]);
        assert!(apt.platforms.contains(&Platform::Debian));
        assert_eq!(facts("brew install hexyl").kind, Some(RouteKind::Brew));
        assert_eq!(facts("sudo pacman -S hexyl").kind, Some(RouteKind::Pacman));
        assert_eq!(facts("nix-env -iA nixpkgs.hexyl").tools, ["nix"]);
        assert_eq!(
            facts("cargo install --locked hexyl").asserts,
            Some(RouteKind::Cargo)
        );
        assert_eq!(facts("pipx install httpie").asserts, Some(RouteKind::Pipx));
        assert_eq!(
            facts("python3 -m pip install --user httpie").asserts,
            Some(RouteKind::Pip)
        );
        assert_eq!(
            facts("npm install -g prettier").asserts,
            Some(RouteKind::Npm)
        );
    }

    #[test]
    fn toolchain_installs_are_prerequisites() {
        let apt = facts("apt-get install -y build-essential pkg-config");
        assert!(apt.installs_tools && !apt.installs_product);
        assert_eq!(apt.asserts, None);
        assert!(apt.provides.contains("make"));
        let rustup = facts("curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh");
        assert!(rustup.installs_tools && rustup.pipe_to_shell);
        assert!(rustup.provides.contains("cargo"));
        assert_eq!(rustup.asserts, None);
        let pip = facts("pip install --user pipx");
        assert!(pip.provides.contains("pipx"));
    }

    #[test]
    fn a_package_named_like_the_product_is_the_product() {
        let programs = Programs {
            names: ["git".to_string()].into(),
        };
        let facts = classify("apt-get install -y git", Shell::Sh, &programs);
        assert!(facts.installs_product);
    }

    #[test]
    fn scripts_piped_into_shells() {
        let script = facts("curl -fsSL https://get.hexyl.example/install.sh | sh");
        assert_eq!(script.asserts, Some(RouteKind::Script));
        assert!(script.pipe_to_shell);
        assert_eq!(script.tools, ["curl", "sh"]);
        let homebrew = facts(
            "/bin/bash -c \"$(curl -fsSL https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)\"",
        );
        assert!(homebrew.provides.contains("brew"));
        let scoop = classify(
            "irm get.scoop.sh | iex",
            Shell::PowerShell,
            &Programs::default(),
        );
        assert!(scoop.provides.contains("scoop"));
        assert!(scoop.platforms.contains(&Platform::Windows));
    }

    #[test]
    fn third_party_repositories() {
        let key = facts(
            "curl -fsSL https://packages.example.com/gpg.key | gpg --dearmor -o /usr/share/keyrings/example.gpg",
        );
        assert!(key.third_party);
        assert_eq!(key.kind, Some(RouteKind::Apt));
        let list = facts(
            "echo \"deb [signed-by=/usr/share/keyrings/x.gpg] https://x stable main\" > /etc/apt/sources.list.d/x.list",
        );
        assert!(list.third_party);
        let heredoc = facts(
            "cat <<EOF > /etc/apt/sources.list.d/example.list\ndeb https://x stable main\nEOF",
        );
        assert!(heredoc.third_party);
        let ppa = facts("sudo add-apt-repository ppa:x/y");
        assert!(ppa.ppa && ppa.third_party);
    }

    #[test]
    fn release_downloads() {
        let tarball = facts(
            "curl -LO https://github.com/x/y/releases/download/v1/y-x86_64-unknown-linux-musl.tar.gz",
        );
        assert_eq!(tarball.asserts, Some(RouteKind::ReleaseBinary));
        assert!(tarball.platforms.contains(&Platform::AnyLinux));
        let binary = facts(
            "curl -fsSLo /usr/local/bin/yq https://downloads.example.org/yq/v4/yq_linux_amd64",
        );
        assert_eq!(binary.asserts, Some(RouteKind::ReleaseBinary));
        let deb = facts("sudo dpkg -i ripgrep_14.1.0-1_amd64.deb");
        assert!(deb.platforms.contains(&Platform::Debian));
    }

    #[test]
    fn source_builds() {
        assert_eq!(
            facts("git clone https://x/y.git").asserts,
            Some(RouteKind::Source)
        );
        let install = facts("cd frob && make && make install");
        assert!(install.installs_product && install.source_build);
        assert_eq!(install.tools, ["make"]);
        assert_eq!(
            facts("cargo build --release").asserts,
            Some(RouteKind::Source)
        );
        assert_eq!(
            facts("./configure --prefix=/usr/local").asserts,
            Some(RouteKind::Source)
        );
    }

    #[test]
    fn glue_commands_need_no_tools() {
        let glue = facts("cd hexyl && cp target/release/hexyl /usr/local/bin/ && chmod +x x");
        assert!(glue.tools.is_empty());
        assert_eq!(glue.kind, None);
    }

    #[test]
    fn headings_name_platforms_methods_and_roles() {
        let debian = title_label("Debian / Ubuntu");
        assert_eq!(debian.role, Role::Install);
        assert!(debian.platforms.contains(&Platform::Debian));
        assert!(title_label("With cargo").kinds.contains(&RouteKind::Cargo));
        assert!(
            title_label("From source")
                .kinds
                .contains(&RouteKind::Source)
        );
        assert!(
            title_label("Install script")
                .kinds
                .contains(&RouteKind::Script)
        );
        assert_eq!(title_label("Prerequisites").role, Role::Prerequisite);
        assert_eq!(title_label("Install Rust first").role, Role::Prerequisite);
        assert_eq!(title_label("A first request").role, Role::Usage);
        assert_eq!(
            title_label("Step 3 (optional): fuzzy selection").role,
            Role::Excluded
        );
        assert_eq!(title_label("Checking the install").role, Role::Verify);
        assert_eq!(title_label("Verify").role, Role::Verify);
        assert_eq!(title_label("Usage").role, Role::Usage);
        assert_eq!(title_label("Uninstalling").role, Role::Excluded);
        assert_eq!(title_label("Installation").role, Role::Neutral);
        assert_eq!(title_label("Architecture").role, Role::Neutral);
        assert!(
            title_label("Arch Linux")
                .platforms
                .contains(&Platform::Arch)
        );
    }

    #[test]
    fn prose_names_platforms() {
        let platforms =
            platforms_in_text("On Linux and macOS you can also use the installer script:");
        assert_eq!(platforms, [Platform::Macos, Platform::AnyLinux].into());
    }
}
