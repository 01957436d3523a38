//! Messages between agent-install and its sandbox helper: JSON, one message per line, requests on
//! the helper's stdin and responses on its stdout.
//!
//! The parent computes every path and mount option; the helper only carries them out, so all
//! policy stays in code that runs (and is tested) in the normal process. End of file on the
//! helper's stdin means "shut down": the helper kills everything it started and exits, which is
//! also what happens when agent-install dies for any reason.

use serde::{Deserialize, Serialize};

use super::{ShellState, Stream};

/// The first message: what kind of helper to be.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Setup {
    pub mode: Mode,
    pub limits: ProcessLimits,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Mode {
    /// Run commands on the machine itself, as a child subreaper.
    Host,
    /// Enter namespaces, mount the overlay, pivot into it.
    Isolated(IsolatedSetup),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IsolatedSetup {
    /// The session directory; mount options use paths relative to it.
    pub session_dir: String,
    /// Enter a user namespace (mapping the caller to root) before mounting.
    pub user_namespace: bool,
    /// Give the sandbox its own network namespace with only loopback.
    pub network_off: bool,
    /// The base, for the synthetic layer the helper builds in its scratch tmpfs.
    pub base: String,
    /// Skeletons to build in the scratch tmpfs: (mount index, host directory, target).
    pub skeletons: Vec<(usize, String, String)>,
    /// Options of the overlay that shows the host root at `scratch/base`, mounted before the
    /// others (root only; see `layout`).
    pub base_view: Option<String>,
    /// Overlay mounts, parents before children.
    pub mounts: Vec<OverlayMount>,
    /// Host files bound read-only over the same path inside (resolv.conf, hosts).
    pub bind_files: Vec<String>,
    /// Paths inside to hide: directories get an empty tmpfs, files `/dev/null`.
    pub masks: Vec<String>,
    /// A host file copied to `/run/agent-install/ca-certificates.crt` inside.
    pub ca_bundle: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct OverlayMount {
    /// Path inside the sandbox (`/`, `/etc`, ...).
    pub target: String,
    /// The complete overlayfs option string.
    pub options: String,
}

/// rlimits applied to each command before exec.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ProcessLimits {
    pub max_processes: Option<u64>,
    pub file_size: Option<u64>,
    pub open_files: Option<u64>,
}

/// A request after setup.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ExecMessage {
    pub command: String,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub(crate) enum Response {
    /// Setup finished; commands may be sent. `init_pid`: the command server's process id as
    /// seen by the parent (PID 1 of the sandbox), so the parent can kill it directly.
    Ready {
        shell: String,
        init_pid: Option<i32>,
    },
    /// Setup failed at `stage`; `errno` when a system call failed.
    SetupFailed {
        stage: String,
        message: String,
        errno: Option<i32>,
    },
    Output {
        stream: Stream,
        line: String,
    },
    Finished {
        exit_code: Option<i32>,
        signal: Option<i32>,
        timed_out: bool,
        duration_us: u64,
        /// The shell state after the command; absent when the shell did not get to save it
        /// (killed, or `exec` replaced it).
        state: Option<ShellState>,
    },
}
