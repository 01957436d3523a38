//! The resolved settings of one sandbox session: what a profile says, with the command line's
//! overrides applied, in one place (so backends never read flags, files or the environment).

use std::path::PathBuf;
use std::time::Duration;

use super::export::ExportOptions;
use super::profile::Profile;
use super::{Backend, Network, SandboxError, rootfs};

/// Resource limits for the commands of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Default per-command timeout (an [`super::ExecRequest`] may override it).
    pub timeout: Option<Duration>,
    /// Bytes of each output stream kept in an observation (half head, half tail).
    pub output_cap: usize,
    /// `RLIMIT_NPROC` for commands (not enforced for real root, as the kernel decides).
    pub max_processes: Option<u64>,
    /// `RLIMIT_FSIZE`: the largest file a command may write.
    pub file_size: Option<u64>,
    /// `RLIMIT_NOFILE`.
    pub open_files: Option<u64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Some(Duration::from_secs(600)),
            output_cap: 64 * 1024,
            max_processes: None,
            file_size: None,
            open_files: None,
        }
    }
}

/// Everything a backend needs to start a session.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub backend: Backend,
    /// The lower layer: `/` for the host's root, or a root filesystem directory.
    pub base: PathBuf,
    pub network: Network,
    /// The egress fence: with the network on, the sandbox gets its own network namespace whose
    /// only way out is a proxy that lets these hosts through ([`super::egress`]). `None`: the
    /// host's network as it is. Root only (the proxy enters the namespace); a rootless
    /// sandbox keeps the host's network.
    pub egress: Option<super::egress::EgressRules>,
    /// Variables passed in even though their names look secret (`--env NAME`).
    pub env_passthrough: Vec<String>,
    /// Start from the host's (filtered) environment; otherwise from a minimal one. `None`: yes
    /// for the host root, no for a separate root filesystem, whose tools and paths differ.
    pub inherit_environment: Option<bool>,
    /// Bring the host's CA bundle and point the usual variables at it in rootfs sandboxes (see
    /// the TLS trap in SANDBOX-NOTES: TLS-inspecting proxies).
    pub carry_host_trust: bool,
    /// Delta paths shown in no summary (apt lists, caches, logs); exports keep them.
    pub hidden: Vec<String>,
    /// How [`super::Sandbox::export_layer`] writes layers (default: everything, real mtimes;
    /// `provision` leaves the hidden paths out and clamps mtimes for reproducible images).
    pub export: ExportOptions,
    pub limits: Limits,
    /// The program to re-execute as the namespace helper. Default: this executable. Tests of
    /// the library pass the `agent-install` binary here.
    pub helper: Option<PathBuf>,
    /// Where session directories are created. Default: `$TMPDIR`, else `/tmp`.
    pub temp_root: Option<PathBuf>,
    /// The first command's working directory. Default: `$HOME` in a sandbox (a fresh
    /// terminal), the current directory on the host.
    pub cwd: Option<String>,
    /// The environment to filter. Default: this process's environment.
    pub source_environment: Option<Vec<(String, String)>>,
}

impl SandboxConfig {
    pub fn new(backend: Backend) -> SandboxConfig {
        SandboxConfig {
            backend,
            base: PathBuf::from("/"),
            network: Network::On,
            egress: None,
            env_passthrough: Vec::new(),
            inherit_environment: None,
            carry_host_trust: true,
            hidden: Vec::new(),
            export: ExportOptions::default(),
            limits: Limits::default(),
            helper: None,
            temp_root: None,
            cwd: None,
            source_environment: None,
        }
    }

    /// The settings a profile describes; a named base (e.g. `debian-bookworm`) is resolved to its
    /// cached root filesystem, which is built on first use.
    pub fn from_profile(profile: &Profile) -> Result<SandboxConfig, SandboxError> {
        let mut config = SandboxConfig::new(profile.backend);
        config.base = rootfs::resolve(&profile.base)?;
        config.network = profile.network;
        config.env_passthrough = profile.env.clone();
        config.inherit_environment = profile.inherit_environment;
        config.carry_host_trust = profile.carry_host_trust;
        config.hidden = profile.hidden.clone();
        config.limits = profile.limits.clone();
        Ok(config)
    }

    /// Whether the base is the host's own root filesystem.
    pub fn base_is_host_root(&self) -> bool {
        self.base == std::path::Path::new("/")
    }

    pub(crate) fn inherits_environment(&self) -> bool {
        self.inherit_environment
            .unwrap_or_else(|| self.backend == Backend::Host || self.base_is_host_root())
    }
}
