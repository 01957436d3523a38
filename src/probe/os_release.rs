//! `/etc/os-release` parsing: which distribution this is.
//!
//! The file is a list of shell-style `KEY=value` assignments (values may be quoted, with
//! backslash escapes inside double quotes). Planning only needs a few keys, but the parser
//! keeps them all so a later rule can ask for one without touching this module. A missing or
//! unreadable file is not an error: the distro is then "unknown", which the planner treats as
//! "prefer routes that need no system package manager".

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Where os-release lives, in the order systemd documents: the first that exists wins.
pub const OS_RELEASE_PATHS: &[&str] = &["/etc/os-release", "/usr/lib/os-release"];

/// The distribution, as planning sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID` (e.g. `debian`, `ubuntu`, `alpine`), or `unknown` when there is no os-release,
    /// or `macos` on a Mac.
    pub id: String,
    /// `NAME` (e.g. `Debian GNU/Linux`).
    pub name: Option<String>,
    /// `VERSION_ID` (e.g. `12`, `22.04`, `3.19.1`); rolling releases have none.
    pub version: Option<String>,
    /// `VERSION_CODENAME` (e.g. `bookworm`).
    pub codename: Option<String>,
    /// `ID_LIKE`, split on spaces (e.g. `["debian"]` on Ubuntu).
    pub id_like: Vec<String>,
    /// The family that decides which package manager and package names apply.
    pub family: DistroFamily,
}

impl Distro {
    /// The distro when nothing could be read.
    pub fn unknown() -> Distro {
        Distro {
            id: "unknown".to_string(),
            name: None,
            version: None,
            codename: None,
            id_like: Vec::new(),
            family: DistroFamily::Unknown,
        }
    }

    /// Builds the distro from parsed os-release fields.
    pub fn from_fields(fields: &BTreeMap<String, String>) -> Distro {
        let non_empty = |key: &str| {
            fields
                .get(key)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let id = non_empty("ID")
            .map(|id| id.to_ascii_lowercase())
            .unwrap_or_else(|| "unknown".to_string());
        let id_like: Vec<String> = non_empty("ID_LIKE")
            .map(|value| {
                value
                    .split_whitespace()
                    .map(|word| word.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        // UBUNTU_CODENAME is older Ubuntu's spelling. The words in parentheses in VERSION are
        // not used: on Fedora they name an edition ("Container Image"), not a release.
        let codename = non_empty("VERSION_CODENAME").or_else(|| non_empty("UBUNTU_CODENAME"));
        let family = DistroFamily::classify(&id, &id_like);
        Distro {
            id,
            name: non_empty("NAME"),
            version: non_empty("VERSION_ID"),
            codename,
            id_like,
            family,
        }
    }

    /// Reads the first os-release file that exists under `root` (`/` for this machine).
    pub fn read(root: &Path) -> Distro {
        for path in OS_RELEASE_PATHS {
            let path = root.join(path.trim_start_matches('/'));
            if let Ok(text) = std::fs::read_to_string(&path) {
                return Distro::from_fields(&parse(&text));
            }
        }
        Distro::unknown()
    }
}

/// Parses os-release text into its fields. Unknown syntax is skipped, never fatal.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        fields.insert(key.to_string(), unquote(value.trim()));
    }
    fields
}

/// Removes shell quoting: `"a \"b\""` → `a "b"`, `'a b'` → `a b`, `abc` → `abc`.
fn unquote(value: &str) -> String {
    if let Some(inner) = value
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        return inner.to_string();
    }
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return value.to_string();
    };
    let mut result = String::with_capacity(inner.len());
    let mut characters = inner.chars();
    while let Some(character) = characters.next() {
        if character == '\\' {
            // Inside double quotes the shell only gives `\` a meaning before these.
            match characters.next() {
                Some(escaped @ ('"' | '\\' | '$' | '`')) => result.push(escaped),
                Some(other) => {
                    result.push('\\');
                    result.push(other);
                }
                None => result.push('\\'),
            }
        } else {
            result.push(character);
        }
    }
    result
}

/// The distribution families that differ for installing software: package manager, package
/// names, where things live. Derivatives map to their parent through `ID_LIKE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DistroFamily {
    /// Debian, Ubuntu, Mint, Raspberry Pi OS, ...: apt and dpkg.
    Debian,
    /// Fedora, RHEL, CentOS, Rocky, Alma, Amazon Linux, ...: dnf or yum and rpm.
    Fedora,
    /// openSUSE and SLES: zypper.
    Suse,
    /// Arch, Manjaro, EndeavourOS, ...: pacman.
    Arch,
    /// Alpine: apk, musl.
    Alpine,
    /// Gentoo: emerge.
    Gentoo,
    /// NixOS: nix.
    Nixos,
    /// macOS: brew or port.
    Macos,
    /// Anything else, or nothing known.
    Unknown,
}

impl DistroFamily {
    /// Classifies a distro by its `ID`, then by each `ID_LIKE` entry in order.
    ///
    /// This is the one table from os-release ids to families: the offline agent's package
    /// repairs (`agent::packages::Family::from_distro`) and the session's sandbox facts use it
    /// too, so a derivative is never Debian-like in one place and unknown in another.
    pub fn classify(id: &str, id_like: &[String]) -> DistroFamily {
        std::iter::once(id)
            .chain(id_like.iter().map(String::as_str))
            .map(DistroFamily::of_id)
            .find(|family| *family != DistroFamily::Unknown)
            .unwrap_or(DistroFamily::Unknown)
    }

    /// The family of one os-release id (lowercase, as the spec requires), `Unknown` if none.
    fn of_id(id: &str) -> DistroFamily {
        match id {
            "debian" | "ubuntu" | "linuxmint" | "raspbian" | "pop" | "elementary" | "kali"
            | "devuan" | "neon" | "zorin" | "mx" => DistroFamily::Debian,
            "fedora" | "rhel" | "centos" | "rocky" | "almalinux" | "ol" | "amzn" | "nobara" => {
                DistroFamily::Fedora
            }
            "suse" | "opensuse" | "opensuse-leap" | "opensuse-tumbleweed" | "sles" | "sled" => {
                DistroFamily::Suse
            }
            "arch" | "archarm" | "manjaro" | "endeavouros" | "garuda" | "artix" => {
                DistroFamily::Arch
            }
            "alpine" | "postmarketos" => DistroFamily::Alpine,
            "gentoo" => DistroFamily::Gentoo,
            "nixos" => DistroFamily::Nixos,
            "macos" => DistroFamily::Macos,
            _ => DistroFamily::Unknown,
        }
    }

    /// The lowercase name used in JSON and in route platform tags.
    pub fn as_str(self) -> &'static str {
        match self {
            DistroFamily::Debian => "debian",
            DistroFamily::Fedora => "fedora",
            DistroFamily::Suse => "suse",
            DistroFamily::Arch => "arch",
            DistroFamily::Alpine => "alpine",
            DistroFamily::Gentoo => "gentoo",
            DistroFamily::Nixos => "nixos",
            DistroFamily::Macos => "macos",
            DistroFamily::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for DistroFamily {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_12: &str = r#"PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
"#;

    const UBUNTU_22_04: &str = r#"PRETTY_NAME="Ubuntu 22.04.3 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.3 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=jammy
"#;

    const ALPINE_3_19: &str = "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n\
PRETTY_NAME=\"Alpine Linux v3.19\"\nHOME_URL=\"https://alpinelinux.org/\"\n";

    const FEDORA_40: &str = r#"NAME="Fedora Linux"
VERSION="40 (Container Image)"
ID=fedora
VERSION_ID=40
VERSION_CODENAME=""
PLATFORM_ID="platform:f40"
PRETTY_NAME="Fedora Linux 40 (Container Image)"
"#;

    const ROCKY_9: &str = r#"NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
"#;

    fn distro(text: &str) -> Distro {
        Distro::from_fields(&parse(text))
    }

    #[test]
    fn debian() {
        let distro = distro(DEBIAN_12);
        assert_eq!(distro.id, "debian");
        assert_eq!(distro.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(distro.version.as_deref(), Some("12"));
        assert_eq!(distro.codename.as_deref(), Some("bookworm"));
        assert!(distro.id_like.is_empty());
        assert_eq!(distro.family, DistroFamily::Debian);
    }

    #[test]
    fn ubuntu_is_in_the_debian_family() {
        let distro = distro(UBUNTU_22_04);
        assert_eq!(distro.id, "ubuntu");
        assert_eq!(distro.version.as_deref(), Some("22.04"));
        assert_eq!(distro.codename.as_deref(), Some("jammy"));
        assert_eq!(distro.id_like, vec!["debian"]);
        assert_eq!(distro.family, DistroFamily::Debian);
    }

    #[test]
    fn alpine_has_no_codename() {
        let distro = distro(ALPINE_3_19);
        assert_eq!(distro.id, "alpine");
        assert_eq!(distro.version.as_deref(), Some("3.19.1"));
        assert_eq!(distro.codename, None);
        assert_eq!(distro.family, DistroFamily::Alpine);
    }

    #[test]
    fn fedora_has_an_empty_codename() {
        let distro = distro(FEDORA_40);
        assert_eq!(distro.id, "fedora");
        assert_eq!(distro.version.as_deref(), Some("40"));
        // VERSION_CODENAME is empty, and "(Container Image)" in VERSION is not a codename.
        assert_eq!(distro.codename, None);
        assert_eq!(distro.family, DistroFamily::Fedora);
    }

    #[test]
    fn derivative_found_through_id_like() {
        let distro = distro(ROCKY_9);
        assert_eq!(distro.id, "rocky");
        assert_eq!(distro.id_like, vec!["rhel", "centos", "fedora"]);
        assert_eq!(distro.family, DistroFamily::Fedora);
        assert_eq!(
            DistroFamily::classify("someos", &["ubuntu".to_string(), "debian".to_string()]),
            DistroFamily::Debian
        );
    }

    fn family(id: &str, id_like: &[&str]) -> DistroFamily {
        let id_like: Vec<String> = id_like.iter().map(|like| like.to_string()).collect();
        DistroFamily::classify(id, &id_like)
    }

    #[test]
    fn every_family_from_its_ids() {
        for id in [
            "debian",
            "ubuntu",
            "linuxmint",
            "raspbian",
            "pop",
            "kali",
            "devuan",
        ] {
            assert_eq!(family(id, &[]), DistroFamily::Debian, "{id}");
        }
        for id in [
            "fedora",
            "rhel",
            "centos",
            "rocky",
            "almalinux",
            "ol",
            "amzn",
        ] {
            assert_eq!(family(id, &[]), DistroFamily::Fedora, "{id}");
        }
        for id in ["opensuse-leap", "opensuse-tumbleweed", "sles"] {
            assert_eq!(family(id, &[]), DistroFamily::Suse, "{id}");
        }
        for id in ["arch", "manjaro", "endeavouros", "artix"] {
            assert_eq!(family(id, &[]), DistroFamily::Arch, "{id}");
        }
        assert_eq!(family("alpine", &[]), DistroFamily::Alpine);
        assert_eq!(family("postmarketos", &[]), DistroFamily::Alpine);
        assert_eq!(family("gentoo", &[]), DistroFamily::Gentoo);
        assert_eq!(family("nixos", &[]), DistroFamily::Nixos);
        assert_eq!(family("macos", &[]), DistroFamily::Macos);
        assert_eq!(family("darwin", &[]), DistroFamily::Unknown);
        assert_eq!(family("unknown", &[]), DistroFamily::Unknown);
    }

    #[test]
    fn unknown_id_falls_back_to_id_like_in_order() {
        assert_eq!(family("foo", &["ubuntu", "debian"]), DistroFamily::Debian);
        assert_eq!(family("foo", &["bar", "fedora"]), DistroFamily::Fedora);
        assert_eq!(family("foo", &["suse", "opensuse"]), DistroFamily::Suse);
        assert_eq!(family("foo", &["bar", "baz"]), DistroFamily::Unknown);
        // The ID wins over ID_LIKE when it is known itself.
        assert_eq!(
            family("amzn", &["centos", "rhel", "fedora"]),
            DistroFamily::Fedora
        );
        assert_eq!(family("kali", &["debian"]), DistroFamily::Debian);
    }

    #[test]
    fn missing_or_garbage_is_unknown() {
        let distro = distro("this is not\nan os-release file\n=oops\n");
        assert_eq!(distro, Distro::unknown());
        let missing = Distro::read(Path::new("/nonexistent-root-for-probe-tests"));
        assert_eq!(missing.id, "unknown");
        assert_eq!(missing.family, DistroFamily::Unknown);
    }

    #[test]
    fn quoting_and_escapes() {
        let fields = parse("A=\"x \\\"y\\\" \\$z\"\nB='single quoted'\nC=plain\n# D=comment\n");
        assert_eq!(fields["A"], "x \"y\" $z");
        assert_eq!(fields["B"], "single quoted");
        assert_eq!(fields["C"], "plain");
        assert!(!fields.contains_key("D"));
    }

    #[test]
    fn reads_from_a_root_directory() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("usr/lib")).expect("mkdir");
        std::fs::write(root.path().join("usr/lib/os-release"), UBUNTU_22_04).expect("write");
        assert_eq!(Distro::read(root.path()).id, "ubuntu");
        std::fs::create_dir_all(root.path().join("etc")).expect("mkdir");
        std::fs::write(root.path().join("etc/os-release"), ALPINE_3_19).expect("write");
        assert_eq!(Distro::read(root.path()).id, "alpine");
    }
}
