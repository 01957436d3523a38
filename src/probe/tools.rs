//! Package managers and tools: which are on PATH, and their versions.
//!
//! Presence comes from the `which` crate (a PATH scan, microseconds). Versions come from
//! running each tool's version command, all at once with a deadline each, so the probe costs
//! about as much as its slowest tool rather than the sum. Where running the tool is needlessly
//! slow, the version is read from a file instead: npm, pnpm and yarn are Node scripts whose
//! `package.json` sits beside them (`npm --version` takes a quarter second of Node start-up),
//! pip's comes from the Python probe, and `ca-certificates` is a bundle file, not a command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process;

/// How a tool's version is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSource {
    /// Run the command with these arguments and read the first version in its output.
    Arguments(&'static [&'static str]),
    /// A Node.js script: read `version` from the nearest `package.json` of the same name,
    /// falling back to `--version`.
    NodePackage,
    /// Filled in from the Python probe (pip, python3).
    Python,
    /// Not a command: present when one of these files exists.
    Files(&'static [&'static str]),
}

/// A tool the probe looks for.
#[derive(Debug, Clone, Copy)]
pub struct ToolSpec {
    /// The name used in the probe's maps and in `Probe::has`.
    pub name: &'static str,
    /// The commands to look for on PATH, first found wins (`pip3` before `pip`).
    pub commands: &'static [&'static str],
    pub version: VersionSource,
}

const VERSION: VersionSource = VersionSource::Arguments(&["--version"]);

const fn tool(name: &'static str, version: VersionSource) -> ToolSpec {
    ToolSpec {
        name,
        commands: &[],
        version,
    }
}

/// Package managers, system ones first (in the order the planner prefers them).
pub const PACKAGE_MANAGERS: &[ToolSpec] = &[
    tool("apt", VERSION),
    tool("dpkg", VERSION),
    tool("dnf", VERSION),
    tool("yum", VERSION),
    tool("zypper", VERSION),
    tool("pacman", VERSION),
    tool("apk", VERSION),
    tool("brew", VERSION),
    tool("port", VersionSource::Arguments(&["version"])),
    tool("nix", VERSION),
    tool("snap", VERSION),
    tool("flatpak", VERSION),
    ToolSpec {
        name: "pip",
        commands: &["pip3", "pip"],
        version: VersionSource::Python,
    },
    tool("pipx", VERSION),
    tool("uv", VERSION),
    tool("npm", VersionSource::NodePackage),
    tool("pnpm", VersionSource::NodePackage),
    tool("yarn", VersionSource::NodePackage),
    tool("cargo", VERSION),
    tool("go", VersionSource::Arguments(&["version"])),
    tool("gem", VERSION),
];

/// The package managers that install system packages, in the planner's order of preference.
pub const SYSTEM_PACKAGE_MANAGERS: &[&str] = &[
    "apt", "dnf", "yum", "zypper", "pacman", "apk", "brew", "port",
];

/// CA bundles, by distribution family: Debian/Ubuntu/Arch/Gentoo, Fedora/RHEL, openSUSE,
/// Alpine and macOS.
pub const CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Toolchains and common tools that install docs use.
pub const TOOLS: &[ToolSpec] = &[
    tool("python3", VersionSource::Python),
    tool("python", VERSION),
    tool("node", VERSION),
    tool("rustc", VERSION),
    tool("cc", VERSION),
    tool("make", VERSION),
    tool("pkg-config", VERSION),
    tool("git", VERSION),
    tool("curl", VERSION),
    tool("wget", VERSION),
    tool("tar", VERSION),
    tool("gzip", VERSION),
    tool("unzip", VersionSource::Arguments(&["-v"])),
    tool("xz", VERSION),
    tool("gpg", VERSION),
    tool("bash", VERSION),
    tool("ca-certificates", VersionSource::Files(CA_BUNDLES)),
];

impl ToolSpec {
    fn commands(&self) -> Vec<&'static str> {
        if self.commands.is_empty() {
            vec![self.name]
        } else {
            self.commands.to_vec()
        }
    }
}

/// A tool that was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    /// The command that was found (`pip3` for pip), or the file for `ca-certificates`.
    pub command: String,
    /// Where it is.
    pub path: String,
    /// Its version, when one could be read in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A tool found on PATH, before its version is known.
#[derive(Debug, Clone)]
pub struct Located {
    pub spec: ToolSpec,
    pub command: String,
    pub path: PathBuf,
}

/// Finds each tool on PATH (or its files). Missing tools are left out.
pub fn locate(specs: &[ToolSpec]) -> Vec<Located> {
    specs
        .iter()
        .filter_map(|spec| {
            if let VersionSource::Files(files) = spec.version {
                return files
                    .iter()
                    .map(Path::new)
                    .find(|path| {
                        std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() > 0)
                    })
                    .map(|path| Located {
                        spec: *spec,
                        command: spec.name.to_string(),
                        path: path.to_path_buf(),
                    });
            }
            spec.commands().into_iter().find_map(|command| {
                which::which(command).ok().map(|path| Located {
                    spec: *spec,
                    command: command.to_string(),
                    path,
                })
            })
        })
        .collect()
}

/// Reads the versions of located tools, concurrently, each within `timeout`; with
/// `run_commands` false, only the versions that files hold (Node packages). Tools whose
/// version comes from the Python probe get `None` here; the caller fills them in.
pub async fn versions(
    located: Vec<Located>,
    timeout: Duration,
    run_commands: bool,
) -> BTreeMap<String, Tool> {
    let lookups = located.into_iter().map(|located| async move {
        let started = std::time::Instant::now();
        let version = match located.spec.version {
            VersionSource::Arguments(arguments) if run_commands => {
                run_for_version(&located.path, arguments, timeout).await
            }
            VersionSource::Arguments(_) => None,
            VersionSource::NodePackage => {
                match node_package_version(&located.path, located.spec.name) {
                    Some(version) => Some(version),
                    None if run_commands => {
                        run_for_version(&located.path, &["--version"], timeout).await
                    }
                    None => None,
                }
            }
            VersionSource::Python | VersionSource::Files(_) => None,
        };
        tracing::debug!(
            "{}: version {} in {} ms",
            located.spec.name,
            version.as_deref().unwrap_or("unknown"),
            started.elapsed().as_millis()
        );
        let tool = Tool {
            command: located.command,
            path: located.path.display().to_string(),
            version,
        };
        (located.spec.name.to_string(), tool)
    });
    futures_util::future::join_all(lookups)
        .await
        .into_iter()
        .collect()
}

async fn run_for_version(path: &Path, arguments: &[&str], timeout: Duration) -> Option<String> {
    match process::run(path, arguments, timeout).await {
        // Some tools print their version and exit non-zero (old `unzip -v` variants, musl's
        // `ldd`), so the output counts whatever the status.
        Ok(finished) => parse_version(&finished.stdout).or_else(|| parse_version(&finished.stderr)),
        Err(error) => {
            tracing::debug!("{} {}: {error}", path.display(), arguments.join(" "));
            None
        }
    }
}

/// The version of a Node.js tool installed as a package: its command is (a link to) a script
/// inside the package, whose `package.json` is a few directories up.
fn node_package_version(command: &Path, package: &str) -> Option<String> {
    let script = command.canonicalize().ok()?;
    script.ancestors().skip(1).take(4).find_map(|directory| {
        let text = std::fs::read_to_string(directory.join("package.json")).ok()?;
        let manifest: serde_json::Value = serde_json::from_str(&text).ok()?;
        if manifest.get("name")?.as_str()? != package {
            return None;
        }
        manifest.get("version")?.as_str().map(str::to_string)
    })
}

/// The first thing that looks like a version in a tool's `--version` output: `apt 2.6.1
/// (amd64)` → `2.6.1`, `v20.20.2` → `20.20.2`, `go version go1.22.1 linux/amd64` → `1.22.1`.
/// A dotted number is preferred; a bare number (`gem`'s `3`) is the fallback.
pub fn parse_version(output: &str) -> Option<String> {
    let mut bare_number = None;
    for line in output.lines() {
        for word in line.split_whitespace() {
            let word =
                word.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | ';' | ':' | '\'' | '"'));
            let word = word.trim_end_matches('.');
            let Some(candidate) = version_in_word(word) else {
                continue;
            };
            if candidate.contains('.') {
                return Some(candidate.to_string());
            }
            if bare_number.is_none() {
                bare_number = Some(candidate.to_string());
            }
        }
    }
    bare_number
}

/// `v1.2.3` → `1.2.3`, `go1.22` → `1.22`, `1.2.3-4+deb12u1` → itself; words that do not
/// start with a number (after a prefix of at most two letters) are not versions.
fn version_in_word(word: &str) -> Option<&str> {
    let letters = word
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map(|(index, _)| index)?;
    if letters > 2 {
        return None;
    }
    let rest = &word[letters..];
    if !rest.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    // A version is made of digits, dots and the usual suffix characters, and may be followed
    // by a parenthesised build number (bash's `5.2.15(1)-release`). `x86_64` or `2026-03-21`
    // are not versions even though they start like one.
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~')))
        .unwrap_or(rest.len());
    let (version, remainder) = rest.split_at(end);
    if !(remainder.is_empty() || remainder.starts_with('(')) {
        return None;
    }
    let is_date = version.len() == 10 && version.as_bytes().get(4) == Some(&b'-');
    if is_date {
        return None;
    }
    Some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_real_outputs() {
        let cases = [
            ("apt 2.6.1 (amd64)", "2.6.1"),
            (
                "Debian 'dpkg' package management program version 1.21.22 (amd64).",
                "1.21.22",
            ),
            ("cargo 1.95.0 (f2d3ce0bd 2026-03-21)", "1.95.0"),
            ("rustc 1.95.0 (59807616e 2026-04-14)", "1.95.0"),
            ("git version 2.47.3", "2.47.3"),
            (
                "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.19",
                "7.88.1",
            ),
            ("GNU Wget 1.21.3 built on linux-gnu.", "1.21.3"),
            ("tar (GNU tar) 1.34", "1.34"),
            ("GNU Make 4.3", "4.3"),
            ("cc (Debian 12.2.0-14+deb12u1) 12.2.0", "12.2.0-14+deb12u1"),
            ("gpg (GnuPG) 2.2.40\nlibgcrypt 1.10.1", "2.2.40"),
            ("xz (XZ Utils) 5.4.1\nliblzma 5.4.1", "5.4.1"),
            (
                "UnZip 6.00 of 20 April 2009, by Debian. Original by Info-ZIP.",
                "6.00",
            ),
            ("v20.20.2", "20.20.2"),
            ("go version go1.22.1 linux/amd64", "1.22.1"),
            ("Python 3.11.2", "3.11.2"),
            (
                "\n .--.                  Pacman v6.0.2 - libalpm v13.0.2",
                "6.0.2",
            ),
            ("apk-tools 2.14.0, compiled for x86_64.", "2.14.0"),
            ("4.14.0\n  Installed: dnf-0:4.14.0-1.fc38.noarch", "4.14.0"),
            ("Version: 2.8.1", "2.8.1"),
            ("nix (Nix) 2.18.1", "2.18.1"),
            ("Homebrew 4.2.0", "4.2.0"),
            ("snap    2.58\nsnapd   2.58", "2.58"),
            ("uv 0.4.18", "0.4.18"),
            (
                "GNU bash, version 5.2.15(1)-release (x86_64-pc-linux-gnu)",
                "5.2.15",
            ),
            ("pkg-config 1.8.1", "1.8.1"),
        ];
        for (output, expected) in cases {
            assert_eq!(
                parse_version(output).as_deref(),
                Some(expected),
                "output: {output:?}"
            );
        }
    }

    #[test]
    fn no_version() {
        assert_eq!(parse_version(""), None);
        assert_eq!(parse_version("usage: tool [options]"), None);
        assert_eq!(parse_version("built 2026-03-21 for x86_64"), None);
        assert_eq!(parse_version("gem 3").as_deref(), Some("3"));
    }

    #[test]
    fn node_package_json_beside_the_script() {
        let root = tempfile::tempdir().expect("temp dir");
        let package = root.path().join("lib/node_modules/npm");
        std::fs::create_dir_all(package.join("bin")).expect("mkdir");
        std::fs::write(
            package.join("package.json"),
            r#"{"name": "npm", "version": "10.8.2"}"#,
        )
        .expect("write");
        let script = package.join("bin/npm-cli.js");
        std::fs::write(&script, "#!/usr/bin/env node\n").expect("write");
        let link = root.path().join("npm");
        std::os::unix::fs::symlink(&script, &link).expect("symlink");
        assert_eq!(
            node_package_version(&link, "npm").as_deref(),
            Some("10.8.2")
        );
        assert_eq!(node_package_version(&link, "yarn"), None);
    }

    #[test]
    fn every_spec_name_is_unique() {
        let mut names: Vec<&str> = PACKAGE_MANAGERS
            .iter()
            .chain(TOOLS)
            .map(|spec| spec.name)
            .collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
