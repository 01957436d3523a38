//! Where commands run (DESIGN §4): one [`Sandbox`] trait, three backends.
//!
//! - [`overlay`]: a copy-on-write rehearsal. A helper process (this binary re-executed with a
//!   hidden argument, see [`helper`]) enters new mount and PID namespaces (and a network
//!   namespace with `--network off` or an egress fence, see [`egress`]; a user namespace when
//!   not root), mounts overlayfs with the
//!   host root or a base rootfs as the lower layer, pivots into it and then executes commands on
//!   request. The host is never written: the upper directories *are* the delta.
//! - [`host`]: the same command server without namespaces, on the machine itself. Only when the
//!   user asked for it.
//! - [`dry_run`]: executes nothing and records what would have run (the plan view).
//!
//! Why a helper process instead of forking here: the application runs a multi-threaded tokio
//! runtime, and after `fork` in a threaded process only async-signal-safe calls are allowed
//! (another thread may hold the allocator lock). The helper is a fresh single-threaded process,
//! so it can set up namespaces and fork commands freely. A long-lived helper per sandbox keeps the
//! per-command cost to a fork and an exec.
//!
//! The API is synchronous and every type is `Send`: call it from a dedicated thread or from
//! `tokio::task::spawn_blocking`, and use an [`Interrupter`] (cloneable, usable from any thread or
//! a signal task) to kill a running command and its session. From async code:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use agent_install::sandbox::{self, Backend, ExecRequest, SandboxConfig};
//!
//! let mut session = tokio::task::spawn_blocking(|| {
//!     sandbox::open(SandboxConfig::new(Backend::Overlay))
//! })
//! .await??;
//! let interrupter = session.interrupter(); // e.g. for a Ctrl-C task
//! let (lines, mut receiver) = tokio::sync::mpsc::unbounded_channel();
//! let (session, observation) = tokio::task::spawn_blocking(move || {
//!     let request = ExecRequest::new("apt-get install -y jq");
//!     let observation = session.exec(&request, &mut |stream, line| {
//!         let _ = lines.send((stream, line.to_string())); // to the UI, as they come
//!     });
//!     (session, observation)
//! })
//! .await?;
//! while let Some((_stream, _line)) = receiver.recv().await {}
//! println!("{}", observation?.outcome());
//! # drop((session, interrupter));
//! # Ok(())
//! # }
//! ```

pub mod config;
pub mod delta;
pub mod dry_run;
pub mod egress;
pub mod env;
pub mod export;
pub mod helper;
pub mod host;
pub mod overlay;
pub mod profile;
pub mod rootfs;
pub mod whiteout;

mod cleanup;
mod client;
mod layout;
mod output;
mod protocol;
mod shell;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::ExitStatus;

pub use cleanup::interrupt_all;
pub use config::{Limits, SandboxConfig};
pub use delta::{Change, ChangeKind, Delta, EntryInfo, FileType};
pub use export::{ExportOptions, ExportSummary};
pub use output::CapturedOutput;
pub use profile::Profile;

/// Which implementation runs the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    Overlay,
    Host,
    DryRun,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Overlay => "overlay",
            Backend::Host => "host",
            Backend::DryRun => "dry-run",
        }
    }

    pub fn parse(text: &str) -> Option<Backend> {
        match text {
            "overlay" => Some(Backend::Overlay),
            "host" => Some(Backend::Host),
            "dry-run" | "dry_run" | "dryrun" => Some(Backend::DryRun),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Network access inside the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The host's network (no network namespace).
    On,
    /// A fresh network namespace with only a loopback interface.
    Off,
}

impl Network {
    pub fn parse(text: &str) -> Option<Network> {
        match text {
            "on" | "true" | "yes" => Some(Network::On),
            "off" | "false" | "no" => Some(Network::Off),
            _ => None,
        }
    }
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One command to run in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// Shell text, run with `bash -c` (or `/bin/sh -c` where the base has no bash).
    pub command: String,
    /// Overrides the session's default timeout for this command.
    pub timeout: Option<Duration>,
}

impl ExecRequest {
    pub fn new(command: impl Into<String>) -> ExecRequest {
        ExecRequest {
            command: command.into(),
            timeout: None,
        }
    }

    pub fn with_timeout(mut self, timeout: Duration) -> ExecRequest {
        self.timeout = Some(timeout);
        self
    }
}

/// What happened when a command ran: the agent's view of one step (DESIGN §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub command: String,
    /// The exit code, when the shell exited normally.
    pub exit_code: Option<i32>,
    /// The signal that ended the shell, when one did (after a timeout: SIGKILL).
    pub signal: Option<i32>,
    pub timed_out: bool,
    #[serde(with = "duration_millis")]
    pub duration: Duration,
    pub stdout: CapturedOutput,
    pub stderr: CapturedOutput,
    /// False for the dry-run backend, which only records the command.
    pub executed: bool,
    /// The `host:port`s the egress fence refused this command (set by the caller that drains
    /// the fence's record, see `replay::run_command`): a blocked request fails the command.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<String>,
}

impl Observation {
    /// Exited with status 0 within its time, and the fence blocked nothing it tried.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && self.blocked.is_empty()
    }

    /// A one-line description of how the command ended, for messages.
    pub fn outcome(&self) -> String {
        if !self.blocked.is_empty() {
            egress::blocked_message(&self.blocked)
        } else if !self.executed {
            "not executed (dry run)".to_string()
        } else if self.timed_out {
            format!("timed out after {:.1}s", self.duration.as_secs_f64())
        } else if let Some(code) = self.exit_code {
            format!("exited with status {code}")
        } else if let Some(signal) = self.signal {
            format!("killed by signal {signal}")
        } else {
            "ended without a status".to_string()
        }
    }
}

mod duration_millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(deserializer)?))
    }
}

/// The part of a shell that outlives one command, as in one terminal: the working directory and
/// the exported variables. The session carries it from one command to the next.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ShellState {
    pub cwd: String,
    pub env: Vec<(String, String)>,
}

impl ShellState {
    pub fn var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A point a session can roll back to (see [`Sandbox::snapshot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Snapshot {
    pub(crate) sequence: u64,
}

/// A running sandbox session: commands run one after another with persisting shell state.
///
/// Dropping a session discards it (processes killed, temp dirs removed), also during a panic.
pub trait Sandbox: Send {
    fn backend(&self) -> Backend;

    /// Runs one command, streaming each output line to `on_output` as it arrives. A command that
    /// fails is an `Ok` observation; `Err` means the sandbox itself failed or was interrupted.
    fn exec(
        &mut self,
        request: &ExecRequest,
        on_output: &mut dyn FnMut(Stream, &str),
    ) -> Result<Observation, SandboxError>;

    /// Marks the current filesystem and shell state so a later [`Sandbox::rollback`] returns to
    /// it. Cheap when nothing changed since the last snapshot.
    fn snapshot(&mut self) -> Result<Snapshot, SandboxError>;

    /// Undoes everything after `snapshot`: files, and the working directory and variables.
    /// Snapshots taken after it become invalid.
    fn rollback(&mut self, snapshot: Snapshot) -> Result<(), SandboxError>;

    /// Whether [`Sandbox::rollback`] and [`Sandbox::delta`] work on this backend.
    fn tracks_changes(&self) -> bool;

    /// The filesystem changes so far, relative to the base.
    fn delta(&self) -> Result<Delta, SandboxError>;

    /// Writes the changes so far as an OCI tar layer (whiteouts as `.wh.` entries).
    fn export_layer(&self, destination: &Path) -> Result<ExportSummary, SandboxError>;

    /// The working directory and exported variables the next command starts with.
    fn shell_state(&self) -> &ShellState;

    /// A handle that kills the running command and ends the session, from any thread.
    fn interrupter(&self) -> Interrupter;

    /// Ends the session and removes everything it created.
    fn discard(self: Box<Self>) -> Result<(), SandboxError>;

    /// Ends the session but keeps its change layers in `destination` (each an overlayfs upper
    /// directory, usable as a lower layer); see [`overlay::OverlaySandbox::keep`].
    fn keep(self: Box<Self>, destination: &Path) -> Result<Vec<PathBuf>, SandboxError>;

    /// The network requests through the egress fence since the last call ([`egress`]); empty
    /// for a sandbox without one.
    fn network_requests(&mut self) -> Vec<egress::NetworkRequest> {
        Vec::new()
    }

    /// Whether commands reach the network only through the egress fence.
    fn fenced(&self) -> bool {
        false
    }

    /// Widens the egress fence to `hosts` (a command proposed during the session, after the
    /// policy allowed it, downloads from them); nothing for a sandbox without a fence.
    fn allow_hosts(&mut self, _hosts: &[String]) {}
}

/// Starts a session as configured. Fails with [`SandboxError::Unavailable`] when the backend
/// cannot run here; it never falls back to another backend on its own.
/// The warning to show once when `config` asked for the egress fence and the opened sandbox
/// could not set it up (a rootless sandbox cannot enter its own network namespace from
/// outside): commands then use the host's network, and the user must know.
pub fn unfenced_warning(config: &SandboxConfig, sandbox: &dyn Sandbox) -> Option<String> {
    (config.egress.is_some() && config.network == Network::On && !sandbox.fenced()).then(|| {
        "the egress fence needs root: commands in this sandbox use the host's network directly, \
         and the hosts they contact are not recorded (run as root to fence them)"
            .to_string()
    })
}

pub fn open(config: SandboxConfig) -> Result<Box<dyn Sandbox>, SandboxError> {
    match config.backend {
        Backend::Overlay => Ok(Box::new(overlay::OverlaySandbox::open(config)?)),
        Backend::Host => Ok(Box::new(host::HostSandbox::open(config)?)),
        Backend::DryRun => Ok(Box::new(dry_run::DryRunSandbox::open(config))),
    }
}

/// Kills a session's running command and its helper from another thread (a Ctrl-C handler, a
/// budget watchdog). The interrupted `exec` returns [`SandboxError::Interrupted`].
#[derive(Debug, Clone, Default)]
pub struct Interrupter {
    shared: Arc<InterruptState>,
}

#[derive(Debug, Default)]
pub(crate) struct InterruptState {
    requested: AtomicBool,
    /// The helper processes to kill, registered while a helper runs.
    processes: Mutex<Option<client::KillHandle>>,
}

impl Interrupter {
    pub(crate) fn new() -> Interrupter {
        let interrupter = Interrupter::default();
        cleanup::register(&interrupter.shared);
        interrupter
    }

    /// Kills the running command, its process tree and the session's helper.
    pub fn interrupt(&self) {
        self.shared.requested.store(true, Ordering::SeqCst);
        if let Ok(processes) = self.shared.processes.lock()
            && let Some(handle) = processes.as_ref()
        {
            handle.kill();
        }
    }

    pub fn is_interrupted(&self) -> bool {
        self.shared.requested.load(Ordering::SeqCst)
    }

    pub(crate) fn state(&self) -> &Arc<InterruptState> {
        &self.shared
    }
}

impl InterruptState {
    pub(crate) fn interrupt(&self) {
        self.requested.store(true, Ordering::SeqCst);
        if let Ok(processes) = self.processes.lock()
            && let Some(handle) = processes.as_ref()
        {
            handle.kill();
        }
    }
}

/// Why a sandbox could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The sandbox cannot start on this machine (no namespaces, no overlayfs, no permission).
    #[error("the {backend} sandbox is unavailable: {reason}")]
    Unavailable { backend: Backend, reason: String },
    /// A named base rootfs is missing and could not be built.
    #[error("base root filesystem `{name}` is not available: {reason}")]
    BaseUnavailable { name: String, reason: String },
    /// A profile could not be found or read.
    #[error("sandbox profile `{name}`: {reason}")]
    Profile { name: String, reason: String },
    /// The configuration asks for something this backend cannot do.
    #[error("{0}")]
    Unsupported(String),
    /// The helper process broke the protocol or died unexpectedly.
    #[error("the sandbox helper failed: {0}")]
    Helper(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// An [`Interrupter`] ended the session (Ctrl-C, SIGTERM).
    #[error("interrupted")]
    Interrupted,
}

impl SandboxError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> SandboxError {
        SandboxError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            SandboxError::Unavailable { .. } | SandboxError::BaseUnavailable { .. } => {
                ExitStatus::SandboxUnavailable
            }
            SandboxError::Profile { .. } | SandboxError::Unsupported(_) => ExitStatus::Usage,
            SandboxError::Interrupted => ExitStatus::Interrupted,
            SandboxError::Helper(_) | SandboxError::Io { .. } => ExitStatus::Failure,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self {
            SandboxError::Unavailable { .. } => Some(
                "run as root, allow unprivileged user namespaces \
                 (sysctl kernel.unprivileged_userns_clone=1 / user.max_user_namespaces), \
                 or choose to run on this machine itself with `--sandbox host`"
                    .to_string(),
            ),
            SandboxError::BaseUnavailable { .. } => Some(
                "build it with `sandboxes/debian-bookworm/build.sh` (needs root and debootstrap), \
                 or pass a directory with `--base DIR`"
                    .to_string(),
            ),
            SandboxError::Profile { .. } => Some(
                "profiles are the TOML files in `sandboxes/` (default, debian-bookworm, ...) or a \
                 path to your own"
                    .to_string(),
            ),
            _ => None,
        }
    }
}
