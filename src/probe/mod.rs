//! The environment probe: the facts about this machine that planning needs.
//!
//! An install doc offers several routes (apt, brew, pip, cargo, a release binary, ...); which
//! one works depends on the machine: its distribution and architecture, its C library, whether
//! we are root or can sudo, which package managers and tools exist, whether pip may install
//! into the system Python (PEP 668), and which registries answer. [`probe`] gathers all of it
//! in one pass that costs about as much as the slowest single tool, because every command it
//! runs (`git --version`, `sudo -n true`, the Python interpreters, the registry requests) runs
//! at the same time with its own deadline. Nothing in the probe can fail as a whole: what
//! cannot be read is reported as unknown, so the probe also works in a minimal rootfs, in a
//! container, or on a system without `/etc/os-release`.
//!
//! The [`Probe`] is plain data (`Serialize + Deserialize`): `agent-install probe --json` prints
//! it, plans embed its [`Probe::fingerprint`], and the offline agent asks it questions through
//! the helpers ([`Probe::has`], [`Probe::distro_family`], [`Probe::can_sudo`], ...).

mod environment;
pub mod facts;
mod network;
mod os_release;
mod process;
mod python;
mod system;
mod table;
mod tools;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use environment::{ContainerSignals, detect_ci, detect_container};
pub use facts::Facts;
pub use network::{
    DEFAULT_DEBIAN_MIRROR, REGISTRIES, REGISTRY_HOSTS, RegistryCheck, apt_source_uris, origin_of,
    source_uris, unreachable_origins,
};
pub use os_release::{Distro, DistroFamily};
pub use python::{PythonFacts, PythonInterpreter};
pub use system::{DiskSpace, Libc, LibcFamily, Memory, Sudo, UserFacts};
pub use tools::{PACKAGE_MANAGERS, SYSTEM_PACKAGE_MANAGERS, TOOLS, Tool, ToolSpec};

/// How the probe runs.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Also ask the package registries whether they answer (`--network`).
    pub network: bool,
    /// The deadline of each command the probe runs (`X --version`, `sudo -n true`, ...). A
    /// tool that misses it is still reported, without a version.
    pub command_timeout: Duration,
    /// The deadline of each registry request.
    pub network_timeout: Duration,
    /// Run each tool's version command and ask the Python interpreters about themselves
    /// (`probe --versions`). Without, only what files say: presence, the fingerprint's facts,
    /// the versions that files hold (Node packages, pip, Python's `major.minor`). Plans,
    /// `apply` and `run` need no versions.
    pub versions: bool,
}

impl ProbeOptions {
    /// Generous for a healthy tool (they answer in milliseconds here, about 150 ms for the
    /// slowest, a pyenv shim), short enough that a hung one cannot stall a run.
    pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(2);
    pub const DEFAULT_NETWORK_TIMEOUT: Duration = Duration::from_secs(3);
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            network: false,
            command_timeout: Self::DEFAULT_COMMAND_TIMEOUT,
            network_timeout: Self::DEFAULT_NETWORK_TIMEOUT,
            versions: false,
        }
    }
}

/// What the probe found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// A short hash of the facts a plan depends on; see [`Facts`].
    pub fingerprint: String,
    pub system: SystemFacts,
    pub user: UserFacts,
    /// `$PATH`, split.
    pub path: Vec<String>,
    /// Package managers found, by name (`apt`, `pip`, `cargo`, ...). Missing ones are absent.
    pub package_managers: BTreeMap<String, Tool>,
    /// Toolchains and common tools found, by name (`git`, `curl`, `ca-certificates`, ...).
    pub tools: BTreeMap<String, Tool>,
    pub python: PythonFacts,
    /// The registry checks, with `--network` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<Vec<RegistryCheck>>,
    /// How long the probe took.
    pub duration_ms: u64,
}

/// The operating system and hardware.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemFacts {
    /// `linux`, `macos`, ... (Rust's name for the target OS).
    pub os: String,
    pub distro: Distro,
    /// `x86_64`, `aarch64`, ...
    pub arch: String,
    /// The kernel release.
    pub kernel: Option<String>,
    pub libc: Libc,
    /// CPUs this process may use.
    pub cpus: usize,
    pub memory: Option<Memory>,
    /// Free space of `/`, the temp directory and home.
    pub disks: Vec<DiskSpace>,
    /// The container engine this runs in, if any (`docker`, `podman`, `lxc`, ...).
    pub container: Option<String>,
    /// The CI system this runs under, if any (`github-actions`, `gitlab-ci`, `ci`, ...).
    pub ci: Option<String>,
}

/// Probes this machine. Never fails: what cannot be found out is reported as unknown.
pub async fn probe(options: &ProbeOptions) -> Probe {
    let started = Instant::now();
    let timeout = options.command_timeout;
    let package_managers = tools::locate(PACKAGE_MANAGERS);
    let found_tools = tools::locate(TOOLS);
    let python3 = found_tools
        .iter()
        .find(|located| located.spec.name == "python3")
        .map(|located| located.path.clone());
    let network = async {
        if options.network {
            Some(network::check(options.network_timeout).await)
        } else {
            None
        }
    };
    // `join!` polls in order, so every command has been started before the synchronous facts
    // (files and system calls, well under a millisecond) are read last.
    let (mut package_managers, mut tools, python, sudo, libc, network, mut system) = tokio::join!(
        tools::versions(package_managers, timeout, options.versions),
        tools::versions(found_tools, timeout, options.versions),
        python::probe(python3, timeout, options.versions),
        system::sudo(timeout),
        system::libc(timeout),
        network,
        async { read_system_facts() },
    );
    system.libc = libc;
    fill_python_versions(&mut package_managers, &mut tools, &python);
    let mut user = system::user();
    user.sudo = sudo;
    system.disks = system::disks(user.home.as_deref().map(Path::new));
    let path = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|entry| entry.display().to_string())
                .collect()
        })
        .unwrap_or_default();
    let mut probe = Probe {
        fingerprint: String::new(),
        system,
        user,
        path,
        package_managers,
        tools,
        python,
        network,
        duration_ms: 0,
    };
    probe.fingerprint = probe.facts().fingerprint();
    probe.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        "probed this machine in {} ms ({})",
        probe.duration_ms,
        if options.versions {
            "with versions"
        } else {
            "from files"
        }
    );
    probe
}

/// The facts that need no command: files and system calls. `libc` and `disks` are filled in
/// by the caller.
fn read_system_facts() -> SystemFacts {
    let root = Path::new("/");
    let distro = if cfg!(target_os = "macos") {
        Distro {
            id: "macos".to_string(),
            name: Some("macOS".to_string()),
            family: DistroFamily::Macos,
            ..Distro::unknown()
        }
    } else {
        Distro::read(root)
    };
    SystemFacts {
        os: std::env::consts::OS.to_string(),
        distro,
        arch: system::architecture(),
        kernel: system::kernel(),
        libc: Libc {
            family: LibcFamily::Unknown,
            version: None,
        },
        cpus: system::cpus(),
        memory: system::memory(),
        disks: Vec::new(),
        container: detect_container(&ContainerSignals::gather(root)),
        ci: detect_ci(|name| std::env::var(name).ok()),
    }
}

/// python3's and pip's versions come from the Python probe rather than from running them
/// (see the `python` module). pip belongs to the interpreter its script names: Debian's
/// `/usr/bin/pip3` to the system Python, a venv's or a pyenv shim's to the `python3` on PATH.
fn fill_python_versions(
    package_managers: &mut BTreeMap<String, Tool>,
    tools: &mut BTreeMap<String, Tool>,
    python: &PythonFacts,
) {
    if let Some(tool) = tools.get_mut("python3") {
        tool.version = python
            .on_path
            .as_ref()
            .and_then(|interpreter| interpreter.version.clone());
    }
    if let Some(pip) = package_managers.get_mut("pip") {
        let system_owned = script_interpreter(Path::new(&pip.path))
            .is_some_and(|interpreter| interpreter.starts_with(python::SYSTEM_PYTHON));
        let owner = if system_owned {
            python.system.as_ref()
        } else {
            python.on_path.as_ref().or(python.system.as_ref())
        };
        pip.version = owner.and_then(|interpreter| interpreter.pip.clone());
    }
}

/// The interpreter a script's `#!` line names (`/usr/bin/python3`; for `#!/usr/bin/env
/// python3`, `python3`), or `None` for a binary or a script without one.
fn script_interpreter(path: &Path) -> Option<String> {
    let mut head = [0_u8; 256];
    let length = std::fs::File::open(path).ok()?.read(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head[..length]);
    let line = text.strip_prefix("#!")?.lines().next()?;
    let mut words = line.split_whitespace();
    let interpreter = words.next()?;
    if interpreter.ends_with("/env") {
        return words
            .find(|word| !word.starts_with('-'))
            .map(str::to_string);
    }
    Some(interpreter.to_string())
}

impl Probe {
    /// The facts the fingerprint covers.
    pub fn facts(&self) -> Facts {
        let mut package_managers: Vec<String> = self.package_managers.keys().cloned().collect();
        package_managers.sort();
        let mut tools: Vec<String> = self.tools.keys().cloned().collect();
        tools.sort();
        Facts {
            os: self.system.os.clone(),
            distro: self.system.distro.id.clone(),
            distro_version: self.system.distro.version.clone(),
            distro_family: self.system.distro.family,
            arch: self.system.arch.clone(),
            libc: self.system.libc.family,
            root: self.user.root,
            sudo: self.can_sudo(),
            package_managers,
            tools,
            pep668: self.pep668(),
            pip_install_refused: self.pip_install_refused(),
        }
    }

    /// A tool, package manager or command is present: `has("git")`, `has("pip")`,
    /// `has("pip3")`, `has("ca-certificates")`, `has("sudo")`.
    pub fn has(&self, name: &str) -> bool {
        self.tool(name).is_some() || (name == "sudo" && self.user.sudo.path.is_some())
    }

    /// A found tool or package manager, by name or by the command that was found.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.package_managers
            .get(name)
            .or_else(|| self.tools.get(name))
            .or_else(|| {
                self.package_managers
                    .values()
                    .chain(self.tools.values())
                    .find(|tool| tool.command == name)
            })
    }

    /// The version of a found tool, if it could be read.
    pub fn version_of(&self, name: &str) -> Option<&str> {
        self.tool(name)?.version.as_deref()
    }

    /// The distribution family: debian, fedora, suse, arch, alpine, gentoo, nixos, macos or
    /// unknown.
    pub fn distro_family(&self) -> DistroFamily {
        self.system.distro.family
    }

    /// The probe runs as root (effective uid 0).
    pub fn is_root(&self) -> bool {
        self.user.root
    }

    /// `sudo` exists and works without a password.
    pub fn can_sudo(&self) -> bool {
        self.user.sudo.path.is_some() && self.user.sudo.passwordless
    }

    /// Commands that need root can run: as root, or through passwordless sudo.
    pub fn can_become_root(&self) -> bool {
        self.is_root() || self.can_sudo()
    }

    /// PEP 668 applies to the system Python: it is marked externally managed. Where there is no
    /// `/usr/bin/python3` (macOS, or a minimal rootfs), the `python3` on PATH stands in.
    pub fn pep668(&self) -> bool {
        self.python
            .system
            .as_ref()
            .or(self.python.on_path.as_ref())
            .is_some_and(|interpreter| interpreter.externally_managed)
    }

    /// A plain `pip install` (the pip of the `python3` on PATH) would be refused as
    /// externally managed, so a pip route must become pipx or a venv.
    pub fn pip_install_refused(&self) -> bool {
        self.python
            .on_path
            .as_ref()
            .or(self.python.system.as_ref())
            .is_some_and(|interpreter| interpreter.pip_install_refused)
    }

    /// The system package manager to install missing tools with, in order of preference
    /// (`apt` before `dnf` before `yum`, ...).
    pub fn system_package_manager(&self) -> Option<&'static str> {
        SYSTEM_PACKAGE_MANAGERS
            .iter()
            .copied()
            .find(|name| self.package_managers.contains_key(*name))
    }

    /// One line for logs and events: `debian 12 x86_64 glibc, root, apt`.
    pub fn summary(&self) -> String {
        let distro = &self.system.distro;
        let mut parts = vec![distro.id.clone()];
        parts.extend(distro.version.clone());
        parts.push(self.system.arch.clone());
        parts.push(self.system.libc.family.as_str().to_string());
        let privilege = if self.is_root() {
            "root"
        } else if self.can_sudo() {
            "sudo"
        } else {
            "no root"
        };
        let package_manager = self
            .system_package_manager()
            .unwrap_or("no system package manager");
        format!("{}, {privilege}, {package_manager}", parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A probe as it could come back from a Debian 12 machine, built by hand.
    pub(crate) fn sample() -> Probe {
        let tool = |command: &str, path: &str, version: &str| Tool {
            command: command.to_string(),
            path: path.to_string(),
            version: Some(version.to_string()),
        };
        let interpreter = |path: &str, managed: bool| PythonInterpreter {
            path: path.to_string(),
            executable: Some(path.to_string()),
            version: Some("3.11.2".to_string()),
            stdlib: Some("/usr/lib/python3.11".to_string()),
            externally_managed: managed,
            virtual_environment: false,
            pip: Some("23.0.1".to_string()),
            pip_install_refused: managed,
        };
        let mut probe = Probe {
            fingerprint: String::new(),
            system: SystemFacts {
                os: "linux".to_string(),
                distro: Distro::from_fields(&os_release::parse(
                    "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
                )),
                arch: "x86_64".to_string(),
                kernel: Some("6.1.0-18-amd64".to_string()),
                libc: Libc {
                    family: LibcFamily::Glibc,
                    version: Some("2.36".to_string()),
                },
                cpus: 2,
                memory: Some(Memory {
                    total_bytes: 8 << 30,
                    available_bytes: 6 << 30,
                }),
                disks: vec![DiskSpace {
                    name: "root".to_string(),
                    path: "/".to_string(),
                    free_bytes: 40 << 30,
                    total_bytes: 100 << 30,
                }],
                container: Some("docker".to_string()),
                ci: None,
            },
            user: UserFacts {
                name: Some("root".to_string()),
                uid: 0,
                root: true,
                home: Some("/root".to_string()),
                shell: Some("/bin/bash".to_string()),
                sudo: Sudo::default(),
            },
            path: vec!["/usr/local/bin".to_string(), "/usr/bin".to_string()],
            package_managers: BTreeMap::from([
                ("apt".to_string(), tool("apt", "/usr/bin/apt", "2.6.1")),
                ("dpkg".to_string(), tool("dpkg", "/usr/bin/dpkg", "1.21.22")),
                ("pip".to_string(), tool("pip3", "/usr/bin/pip3", "23.0.1")),
            ]),
            tools: BTreeMap::from([
                ("git".to_string(), tool("git", "/usr/bin/git", "2.39.2")),
                (
                    "python3".to_string(),
                    tool("python3", "/usr/bin/python3", "3.11.2"),
                ),
            ]),
            python: PythonFacts {
                on_path: Some(interpreter("/usr/bin/python3", true)),
                system: Some(interpreter("/usr/bin/python3", true)),
            },
            network: None,
            duration_ms: 42,
        };
        probe.fingerprint = probe.facts().fingerprint();
        probe
    }

    #[test]
    fn helpers() {
        let probe = sample();
        assert!(probe.has("apt"));
        assert!(probe.has("pip"));
        assert!(probe.has("pip3"));
        assert!(probe.has("git"));
        assert!(!probe.has("curl"));
        assert!(!probe.has("sudo"));
        assert_eq!(probe.version_of("pip3"), Some("23.0.1"));
        assert_eq!(probe.distro_family(), DistroFamily::Debian);
        assert!(probe.is_root());
        assert!(!probe.can_sudo());
        assert!(probe.can_become_root());
        assert!(probe.pep668());
        assert!(probe.pip_install_refused());
        assert_eq!(probe.system_package_manager(), Some("apt"));
        assert_eq!(probe.summary(), "debian 12 x86_64 glibc, root, apt");
    }

    #[test]
    fn fingerprint_ignores_volatile_facts() {
        let original = sample();
        let mut changed = original.clone();
        changed.system.memory = Some(Memory {
            total_bytes: 1,
            available_bytes: 1,
        });
        changed.system.disks.clear();
        changed.system.kernel = Some("6.9.0".to_string());
        changed.system.cpus = 64;
        changed.system.container = None;
        changed.system.ci = Some("github-actions".to_string());
        changed.path.reverse();
        changed.user.name = Some("someone".to_string());
        changed.user.home = Some("/home/someone".to_string());
        changed.duration_ms = 999;
        if let Some(git) = changed.tools.get_mut("git") {
            git.version = Some("2.47.3".to_string());
        }
        changed.network = Some(Vec::new());
        assert_eq!(changed.facts().fingerprint(), original.fingerprint);
    }

    #[test]
    fn fingerprint_follows_facts() {
        let original = sample();
        let variants: Vec<fn(&mut Probe)> = vec![
            |probe| probe.system.distro.version = Some("13".to_string()),
            |probe| probe.system.arch = "aarch64".to_string(),
            |probe| probe.system.libc.family = LibcFamily::Musl,
            |probe| probe.user.root = false,
            |probe| {
                probe.package_managers.remove("apt");
            },
            |probe| {
                probe.tools.remove("git");
            },
            |probe| {
                if let Some(system) = probe.python.system.as_mut() {
                    system.externally_managed = false;
                }
            },
            |probe| {
                if let Some(on_path) = probe.python.on_path.as_mut() {
                    on_path.pip_install_refused = false;
                }
            },
        ];
        for (index, change) in variants.iter().enumerate() {
            let mut changed = original.clone();
            change(&mut changed);
            assert_ne!(
                changed.facts().fingerprint(),
                original.fingerprint,
                "variant {index} should change the fingerprint"
            );
        }
    }

    #[test]
    fn fingerprint_is_short_hex_and_fixed() {
        let fingerprint = sample().fingerprint;
        assert_eq!(fingerprint.len(), 16);
        assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
        // The canonical text is part of the plan format: changing it invalidates every plan.
        assert_eq!(
            sample().facts().canonical(),
            "os=linux\ndistro=debian\ndistro_version=12\ndistro_family=debian\narch=x86_64\n\
libc=glibc\nroot=true\nsudo=false\npackage_managers=apt,dpkg,pip\ntools=git,python3\n\
pep668=true\npip_install_refused=true"
        );
    }

    #[test]
    fn json_round_trip() {
        let probe = sample();
        let json = serde_json::to_string(&probe).expect("serializes");
        let back: Probe = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, probe);
        assert!(!json.contains("\"network\""));
    }

    #[test]
    fn shebang_interpreters() {
        let directory = tempfile::tempdir().expect("temp dir");
        let script = |name: &str, text: &str| {
            let path = directory.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        assert_eq!(
            script_interpreter(&script("pip3", "#!/usr/bin/python3\nimport sys\n")).as_deref(),
            Some("/usr/bin/python3")
        );
        assert_eq!(
            script_interpreter(&script("pip", "#!/usr/bin/env -S python3 -u\n")).as_deref(),
            Some("python3")
        );
        assert_eq!(
            script_interpreter(&script("shim", "#!/usr/bin/env bash\nset -e\n")).as_deref(),
            Some("bash")
        );
        assert_eq!(script_interpreter(&script("binary", "\u{7f}ELF")), None);
    }

    #[test]
    fn pip_version_follows_its_interpreter() {
        let directory = tempfile::tempdir().expect("temp dir");
        let system_pip = directory.path().join("pip3");
        std::fs::write(&system_pip, "#!/usr/bin/python3\n").expect("write");
        let mut python = PythonFacts {
            on_path: Some(PythonInterpreter {
                path: "/root/.pyenv/shims/python3".to_string(),
                executable: None,
                version: Some("3.11.7".to_string()),
                stdlib: None,
                externally_managed: false,
                virtual_environment: false,
                pip: Some("23.2.1".to_string()),
                pip_install_refused: false,
            }),
            system: None,
        };
        if let Some(on_path) = python.on_path.clone() {
            python.system = Some(PythonInterpreter {
                path: "/usr/bin/python3".to_string(),
                version: Some("3.11.2".to_string()),
                pip: Some("23.0.1".to_string()),
                ..on_path
            });
        }
        let pip = |path: &Path| {
            let mut package_managers = BTreeMap::from([(
                "pip".to_string(),
                Tool {
                    command: "pip3".to_string(),
                    path: path.display().to_string(),
                    version: None,
                },
            )]);
            let mut tools = BTreeMap::new();
            fill_python_versions(&mut package_managers, &mut tools, &python);
            package_managers["pip"].version.clone()
        };
        assert_eq!(pip(&system_pip).as_deref(), Some("23.0.1"));
        let shim = directory.path().join("pip");
        std::fs::write(&shim, "#!/usr/bin/env bash\nexec pyenv exec pip \"$@\"\n").expect("write");
        assert_eq!(pip(&shim).as_deref(), Some("23.2.1"));
    }

    /// The real probe on this machine; the machine-specific expectations live in
    /// `tests/it/probe.rs`.
    #[tokio::test]
    async fn probes_this_machine() {
        let probe = probe(&ProbeOptions::default()).await;
        assert!(!probe.system.distro.id.is_empty());
        assert!(!probe.system.arch.is_empty());
        assert_eq!(probe.fingerprint, probe.facts().fingerprint());
        assert!(probe.has("bash") || probe.has("tar"));
    }
}
