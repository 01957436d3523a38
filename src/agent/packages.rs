//! Which system package provides a command, per distro family.
//!
//! The offline agent's "missing command" repair needs to turn `curl: command not found` into
//! `apt-get install -y curl`. Most commands live in a package of the same name; this table holds
//! the exceptions and the family-specific spellings. A command that is absent from the table is
//! assumed to be packaged under its own name, which is right far more often than not and fails
//! loudly (`Unable to locate package`) when wrong.

use crate::probe::DistroFamily;

/// A family of distributions that share a package manager and package names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Debian,
    Fedora,
    Arch,
    Alpine,
}

impl Family {
    /// The family of a distro id (`ID` of /etc/os-release), or of one of its `ID_LIKE` entries,
    /// as the probe classifies it; `None` for families the repairs have no package table for.
    pub fn from_distro(id: &str, id_like: &[String]) -> Option<Family> {
        Family::of(DistroFamily::classify(id, id_like))
    }

    /// The repair family of a probe family, if the repairs know its package manager.
    pub fn of(family: DistroFamily) -> Option<Family> {
        match family {
            DistroFamily::Debian => Some(Family::Debian),
            DistroFamily::Fedora => Some(Family::Fedora),
            DistroFamily::Arch => Some(Family::Arch),
            DistroFamily::Alpine => Some(Family::Alpine),
            DistroFamily::Suse
            | DistroFamily::Gentoo
            | DistroFamily::Nixos
            | DistroFamily::Macos
            | DistroFamily::Unknown => None,
        }
    }

    /// The non-interactive command that installs `packages`.
    pub fn install_command(self, packages: &[&str]) -> String {
        let list = packages.join(" ");
        match self {
            Family::Debian => format!("apt-get install -y --no-install-recommends {list}"),
            Family::Fedora => format!("dnf install -y {list}"),
            Family::Arch => format!("pacman -S --noconfirm --needed {list}"),
            Family::Alpine => format!("apk add --no-cache {list}"),
        }
    }

    /// The command that refreshes the package index, made to fail when nothing was fetched
    /// (plain `apt-get update` exits 0 even when every download failed).
    pub fn refresh_command(self) -> &'static str {
        match self {
            Family::Debian => "apt-get update --error-on=any -o Acquire::Retries=1",
            Family::Fedora => "dnf makecache",
            Family::Arch => "pacman -Sy --noconfirm",
            Family::Alpine => "apk update",
        }
    }
}

/// Commands whose package name differs from the command name, per family:
/// `(command, debian, fedora, arch, alpine)`.
const EXCEPTIONS: &[(&str, &str, &str, &str, &str)] = &[
    ("cc", "gcc", "gcc", "gcc", "gcc"),
    ("c++", "g++", "gcc-c++", "gcc", "g++"),
    ("g++", "g++", "gcc-c++", "gcc", "g++"),
    ("pip", "python3-pip", "python3-pip", "python-pip", "py3-pip"),
    (
        "pip3",
        "python3-pip",
        "python3-pip",
        "python-pip",
        "py3-pip",
    ),
    ("python", "python3", "python3", "python", "python3"),
    ("node", "nodejs", "nodejs", "nodejs", "nodejs"),
    ("npm", "npm", "npm", "npm", "npm"),
    ("npx", "npm", "npm", "npm", "npm"),
    ("xz", "xz-utils", "xz", "xz", "xz"),
    ("uv", "", "", "uv", ""),
    ("uvx", "", "", "uv", ""),
    ("bun", "", "", "", ""),
    ("deno", "", "", "", ""),
    ("pnpm", "", "", "", ""),
    ("curl", "curl", "curl", "curl", "curl"),
    ("wget", "wget", "wget", "wget", "wget"),
    ("git", "git", "git", "git", "git"),
    ("make", "make", "make", "make", "make"),
    ("unzip", "unzip", "unzip", "unzip", "unzip"),
    ("gzip", "gzip", "gzip", "gzip", "gzip"),
    ("bzip2", "bzip2", "bzip2", "bzip2", "bzip2"),
    ("tar", "tar", "tar", "tar", "tar"),
    ("gpg", "gpg", "gnupg2", "gnupg", "gnupg"),
    (
        "add-apt-repository",
        "software-properties-common",
        "",
        "",
        "",
    ),
    (
        "lsb_release",
        "lsb-release",
        "redhat-lsb-core",
        "lsb-release",
        "lsb-release",
    ),
    ("dpkg-scanpackages", "dpkg-dev", "", "", ""),
    ("pipx", "pipx", "pipx", "python-pipx", "pipx"),
    ("go", "golang-go", "golang", "go", "go"),
    ("cargo", "cargo", "cargo", "rust", "cargo"),
    ("rustc", "rustc", "rust", "rust", "rust"),
    ("fdfind", "fd-find", "fd-find", "fd", "fd"),
    ("fd", "fd-find", "fd-find", "fd", "fd"),
    ("batcat", "bat", "bat", "bat", "bat"),
    ("rg", "ripgrep", "ripgrep", "ripgrep", "ripgrep"),
    (
        "ssh",
        "openssh-client",
        "openssh-clients",
        "openssh",
        "openssh-client",
    ),
    (
        "update-ca-certificates",
        "ca-certificates",
        "ca-certificates",
        "ca-certificates",
        "ca-certificates",
    ),
    ("ps", "procps", "procps-ng", "procps-ng", "procps"),
    ("file", "file", "file", "file", "file"),
    ("unzip", "unzip", "unzip", "unzip", "unzip"),
    ("bzip2", "bzip2", "bzip2", "bzip2", "bzip2"),
    ("make", "make", "make", "make", "make"),
    ("git", "git", "git", "git", "git"),
];

/// The package that provides `command` in `family`, or `None` where the command cannot be
/// installed that way on that family (e.g. `add-apt-repository` outside Debian) or is a shell
/// builtin or a privilege wrapper that must not be installed behind the user's back.
pub fn package_for(command: &str, family: Family) -> Option<String> {
    if NOT_PACKAGES.contains(&command) || command.contains('/') || command.is_empty() {
        return None;
    }
    match EXCEPTIONS.iter().find(|entry| entry.0 == command) {
        Some(&(_, debian, fedora, arch, alpine)) => {
            let name = match family {
                Family::Debian => debian,
                Family::Fedora => fedora,
                Family::Arch => arch,
                Family::Alpine => alpine,
            };
            (!name.is_empty()).then(|| name.to_string())
        }
        None => Some(command.to_string()),
    }
}

/// Whether the package that provides `command` is known (from the table of exceptions), not
/// guessed from the command's name.
pub fn is_known_package(command: &str) -> bool {
    EXCEPTIONS.iter().any(|entry| entry.0 == command)
}

/// Names the agent must not try to install: privilege wrappers (installing sudo to gain root is
/// not a repair), package managers of other platforms, and shell builtins.
const NOT_PACKAGES: &[&str] = &[
    "sudo", "doas", "su", "brew", "port", "winget", "choco", "scoop", "cd", "export", "source",
    "alias", "set", "eval", "exec", "type", "command", "apt", "apt-get", "dpkg", "dnf", "yum",
    "pacman", "apk", "zypper",
];

/// Debian-renamed binaries: the upstream name a doc uses, and the name Debian installs it as.
pub const DEBIAN_RENAMES: &[(&str, &str)] = &[("fd", "fdfind"), ("bat", "batcat")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_from_distro_ids_and_id_like() {
        assert_eq!(Family::from_distro("debian", &[]), Some(Family::Debian));
        assert_eq!(
            Family::from_distro("neon", &["ubuntu".into(), "debian".into()]),
            Some(Family::Debian)
        );
        assert_eq!(Family::from_distro("rocky", &[]), Some(Family::Fedora));
        assert_eq!(Family::from_distro("alpine", &[]), Some(Family::Alpine));
        assert_eq!(Family::from_distro("darwin", &[]), None);
        // Ids the probe's table knows and this one once did not.
        assert_eq!(Family::from_distro("kali", &[]), Some(Family::Debian));
        assert_eq!(Family::from_distro("amzn", &[]), Some(Family::Fedora));
        assert_eq!(Family::from_distro("ol", &[]), Some(Family::Fedora));
        // Families without a package table here.
        assert_eq!(Family::from_distro("opensuse-leap", &[]), None);
        assert_eq!(Family::from_distro("nixos", &[]), None);
    }

    #[test]
    fn packages_follow_the_family() {
        assert_eq!(package_for("curl", Family::Debian).as_deref(), Some("curl"));
        assert_eq!(
            package_for("xz", Family::Debian).as_deref(),
            Some("xz-utils")
        );
        assert_eq!(
            package_for("pip", Family::Alpine).as_deref(),
            Some("py3-pip")
        );
        assert_eq!(
            package_for("c++", Family::Fedora).as_deref(),
            Some("gcc-c++")
        );
        assert_eq!(package_for("add-apt-repository", Family::Arch), None);
        assert_eq!(package_for("sudo", Family::Debian), None);
        assert_eq!(package_for("brew", Family::Debian), None);
        assert_eq!(package_for("./configure", Family::Debian), None);
    }

    #[test]
    fn install_commands_never_prompt() {
        for family in [Family::Debian, Family::Fedora, Family::Arch, Family::Alpine] {
            let command = family.install_command(&["curl"]);
            assert!(command.ends_with("curl"), "{command}");
            assert!(
                command.contains("-y")
                    || command.contains("--noconfirm")
                    || command.starts_with("apk"),
                "{command} may prompt"
            );
        }
        assert!(Family::Debian.refresh_command().contains("--error-on=any"));
    }
}
