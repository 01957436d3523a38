//! The facts about a machine that plans depend on, one type with three ways to get them:
//! this machine, through the full probe ([`crate::probe::Probe::facts`]); inside a sandbox,
//! by running [`Facts::script`] there and reading its output with [`Facts::from_script`]
//! (the rehearsal may run on another root filesystem than the host's); and a root filesystem
//! read from outside ([`Facts::of_root`], for a dry run, which executes nothing).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::os_release::{Distro, DistroFamily};
use super::system::LibcFamily;
use super::tools::PACKAGE_MANAGERS;

/// The commands looked for in a sandbox or a root filesystem: what the agent's rules and
/// repairs ask about.
pub const LOOKED_FOR: &[&str] = &[
    "sudo", "apt", "apt-get", "dpkg", "dnf", "yum", "pacman", "apk", "zypper", "brew", "python",
    "python3", "pip", "pip3", "pipx", "uv", "npm", "node", "cargo", "rustc", "go", "gem", "curl",
    "wget", "git", "make", "cc", "gcc", "tar", "gzip", "unzip", "xz", "gpg", "sh", "bash",
];

/// The facts a plan depends on, and nothing else: the input of the fingerprint, and what the
/// agent plans with.
///
/// In: the OS, distro id and version, family, architecture and C library family (they decide
/// package names, repositories and which release binaries run); root and working sudo (they
/// decide whether `sudo` is added, dropped, or the route is impossible); which package managers
/// and tools exist (they decide which routes run without installing something first); PEP 668
/// for the system Python and whether `pip install` on PATH is refused (pip routes become pipx
/// or venv routes).
///
/// Out, because they change without changing any plan: versions of tools (a point upgrade of
/// git does not change a route; the distro version already pins the system packages), kernel,
/// CPUs, memory, free disk, PATH order, user name and home, login shell, container and CI
/// (the same plan replays in and out of them), registry reachability (a network blip must
/// not invalidate a plan) and the probe's own duration. The C library *version* is out too:
/// within one distro version it does not change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub os: String,
    pub distro: String,
    pub distro_version: Option<String>,
    pub distro_family: DistroFamily,
    pub arch: String,
    pub libc: LibcFamily,
    pub root: bool,
    pub sudo: bool,
    /// Sorted names.
    pub package_managers: Vec<String>,
    /// Sorted names (for facts read in a sandbox or from a root filesystem: every command of
    /// [`LOOKED_FOR`] that was found, package managers included).
    pub tools: Vec<String>,
    pub pep668: bool,
    pub pip_install_refused: bool,
}

impl Facts {
    /// The facts as `key=value` lines in a fixed order: the exact bytes that are hashed.
    /// Written out by hand rather than serialized so that no library upgrade can change it.
    pub fn canonical(&self) -> String {
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        [
            format!("os={}", self.os),
            format!("distro={}", self.distro),
            format!("distro_version={}", optional(&self.distro_version)),
            format!("distro_family={}", self.distro_family.as_str()),
            format!("arch={}", self.arch),
            format!("libc={}", self.libc.as_str()),
            format!("root={}", self.root),
            format!("sudo={}", self.sudo),
            format!("package_managers={}", self.package_managers.join(",")),
            format!("tools={}", self.tools.join(",")),
            format!("pep668={}", self.pep668),
            format!("pip_install_refused={}", self.pip_install_refused),
        ]
        .join("\n")
    }

    /// The first 64 bits of the SHA-256 of [`Facts::canonical`], in hex: short enough to
    /// read in a plan, long enough that two different machines never collide in practice.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.canonical().as_bytes());
        hex::encode(&digest[..8])
    }
}

impl Facts {
    /// Whether `command` was found.
    pub fn has(&self, command: &str) -> bool {
        self.tools.iter().any(|tool| tool == command)
            || self
                .package_managers
                .iter()
                .any(|manager| manager == command)
    }

    /// The shell script that prints the facts of the system it runs in, one `key=value` per
    /// line, for [`Facts::from_script`].
    pub fn script() -> String {
        format!(
            r#"if [ -r /etc/os-release ]; then . /etc/os-release; fi
echo "id=${{ID:-}}"
echo "id_like=${{ID_LIKE:-}}"
echo "version=${{VERSION_ID:-}}"
echo "uid=$(id -u 2>/dev/null || echo 0)"
for tool in {}; do
  if command -v "$tool" >/dev/null 2>&1; then echo "has=$tool"; fi
done
if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then echo "sudo=yes"; fi
if command -v python3 >/dev/null 2>&1; then
  stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))' 2>/dev/null)
  if [ -n "$stdlib" ] && [ -e "$stdlib/EXTERNALLY-MANAGED" ]; then echo "pep668=yes"; fi
else
  case "${{ID:-}}:${{VERSION_ID:-}}" in
    debian:1[2-9]*|debian:[2-9][0-9]*|ubuntu:2[3-9]*|ubuntu:[3-9][0-9]*) echo "pep668=yes" ;;
  esac
fi
"#,
            LOOKED_FOR.join(" ")
        )
    }

    /// The facts [`Facts::script`] printed. The architecture is this process's (a sandbox
    /// shares the kernel); the C library is not read.
    pub fn from_script(output: &str) -> Facts {
        let mut id = String::new();
        let mut id_like = Vec::new();
        let mut version = None;
        let mut found = Vec::new();
        let mut facts = Facts::empty();
        for line in output.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            match key {
                "id" => id = value.to_string(),
                "id_like" => id_like = value.split_whitespace().map(str::to_string).collect(),
                "version" if !value.is_empty() => version = Some(value.to_string()),
                "uid" => facts.root = value == "0",
                "has" => found.push(value.to_string()),
                "sudo" => facts.sudo = value == "yes",
                "pep668" => facts.pep668 = value == "yes",
                _ => {}
            }
        }
        facts.distro_family = DistroFamily::classify(&id, &id_like);
        facts.distro = id;
        facts.distro_version = version;
        facts.set_found(found);
        facts
    }

    /// The facts of the root filesystem `base` read from outside it: its os-release, the
    /// commands in its usual bin directories, and this process's user. `sudo` is never assumed
    /// to work, and PEP 668 is not read (nothing runs its Python).
    pub fn of_root(base: &Path) -> Facts {
        // The probe's os-release reader (etc, then usr/lib; quotes and escapes).
        let distro = Distro::read(base);
        const BIN_DIRECTORIES: &[&str] = &[
            "usr/local/sbin",
            "usr/local/bin",
            "usr/sbin",
            "usr/bin",
            "sbin",
            "bin",
        ];
        let mut directories: Vec<PathBuf> = BIN_DIRECTORIES
            .iter()
            .map(|directory| base.join(directory))
            .collect();
        // This machine: the user's whole PATH and the per-user bin directories, as `run` sees
        // them (a cargo in ~/.cargo/bin is a cargo for the plan too).
        if base == Path::new("/") {
            if let Some(path) = std::env::var_os("PATH") {
                directories.extend(std::env::split_paths(&path));
            }
            if let Some(home) = std::env::var_os("HOME") {
                for directory in [".cargo/bin", ".local/bin"] {
                    directories.push(PathBuf::from(&home).join(directory));
                }
            }
        }
        let found = LOOKED_FOR
            .iter()
            .filter(|tool| {
                directories
                    .iter()
                    .any(|directory| directory.join(tool).exists())
            })
            .map(|tool| tool.to_string())
            .collect();
        let mut facts = Facts::empty();
        facts.distro_family = DistroFamily::classify(&distro.id, &distro.id_like);
        facts.distro = distro.id;
        facts.distro_version = distro.version;
        facts.root = nix::unistd::geteuid().is_root();
        facts.set_found(found);
        facts
    }

    /// Facts with nothing found, on this process's OS and architecture.
    fn empty() -> Facts {
        Facts {
            os: std::env::consts::OS.to_string(),
            distro: String::new(),
            distro_version: None,
            distro_family: DistroFamily::Unknown,
            arch: std::env::consts::ARCH.to_string(),
            libc: LibcFamily::Unknown,
            root: false,
            sudo: false,
            package_managers: Vec::new(),
            tools: Vec::new(),
            pep668: false,
            pip_install_refused: false,
        }
    }

    /// Records the commands found: all of them as tools, the package managers among them also
    /// as package managers.
    fn set_found(&mut self, mut found: Vec<String>) {
        found.sort();
        found.dedup();
        self.package_managers = found
            .iter()
            .filter(|tool| {
                PACKAGE_MANAGERS
                    .iter()
                    .any(|spec| spec.name == tool.as_str())
            })
            .cloned()
            .collect();
        self.tools = found;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_output_reads_as_facts() {
        let facts = Facts::from_script(
            "id=ubuntu\nid_like=debian\nversion=24.04\nuid=0\nhas=curl\nhas=apt\nhas=sh\n\
             pep668=yes\nnoise without an equals sign\n",
        );
        assert_eq!(facts.distro, "ubuntu");
        assert_eq!(facts.distro_version.as_deref(), Some("24.04"));
        assert_eq!(facts.distro_family, DistroFamily::Debian);
        assert!(facts.root && !facts.sudo && facts.pep668);
        assert_eq!(facts.tools, ["apt", "curl", "sh"]);
        assert_eq!(facts.package_managers, ["apt"]);
        assert!(facts.has("curl") && facts.has("apt") && !facts.has("brew"));
    }

    #[test]
    fn a_root_filesystem_is_read_from_outside() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(
            root.path().join("etc/os-release"),
            "ID=alpine\nVERSION_ID=3.20.1\n",
        )
        .unwrap();
        std::fs::create_dir_all(root.path().join("sbin")).unwrap();
        std::fs::create_dir_all(root.path().join("usr/bin")).unwrap();
        std::fs::write(root.path().join("sbin/apk"), "").unwrap();
        std::fs::write(root.path().join("usr/bin/wget"), "").unwrap();
        let facts = Facts::of_root(root.path());
        assert_eq!(facts.distro, "alpine");
        assert_eq!(facts.distro_family, DistroFamily::Alpine);
        assert_eq!(facts.tools, ["apk", "wget"]);
        assert_eq!(facts.package_managers, ["apk"]);
        assert!(!facts.sudo && !facts.pep668);
    }

    #[test]
    fn the_script_looks_for_every_command_and_prints_what_it_reads() {
        let script = Facts::script();
        for tool in LOOKED_FOR {
            assert!(
                script.contains(&format!(" {tool} ")) || script.contains(&format!(" {tool};")),
                "{tool}"
            );
        }
        let output = std::process::Command::new("sh")
            .args(["-c", &script])
            .output()
            .unwrap();
        let output = String::from_utf8_lossy(&output.stdout);
        let facts = Facts::from_script(&output);
        assert_eq!(facts.root, nix::unistd::geteuid().is_root());
        assert!(facts.has("sh"), "{output}");
    }
}
