//! Nothing a sandbox creates may outlive it (DESIGN §4). Mounts live only in the sandbox's own
//! mount namespace and processes die with the helper, so what is left to the parent is the
//! session directory — removed on discard, on drop (also while a panic unwinds), and, for a
//! process that was SIGKILLed before it could, by the next session's sweep of directories whose
//! owner process is gone.
//!
//! Signal handlers of the application call [`interrupt_all`] to end every live session.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use super::InterruptState;

/// Prefix of session directory names: `agent-install-sandbox-<pid>-<sequence>`.
pub(crate) const SESSION_PREFIX: &str = "agent-install-sandbox-";

static LIVE: Mutex<Vec<Weak<InterruptState>>> = Mutex::new(Vec::new());
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

pub(crate) fn register(state: &Arc<InterruptState>) {
    if let Ok(mut live) = LIVE.lock() {
        live.retain(|entry| entry.strong_count() > 0);
        live.push(Arc::downgrade(state));
    }
}

/// Interrupts every live session of this process: their commands and helpers are killed at
/// once, and their `exec` calls return [`super::SandboxError::Interrupted`]. For Ctrl-C and
/// SIGTERM handlers; the sessions' owners then discard them.
pub fn interrupt_all() {
    let live: Vec<Arc<InterruptState>> = match LIVE.lock() {
        Ok(live) => live.iter().filter_map(Weak::upgrade).collect(),
        Err(_) => return,
    };
    for state in live {
        state.interrupt();
    }
}

/// Creates a new, private session directory under `root`.
pub(crate) fn create_session_dir(root: &Path) -> io::Result<PathBuf> {
    sweep_stale(root);
    loop {
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let path = root.join(format!("{SESSION_PREFIX}{}-{sequence}", std::process::id()));
        match fs::create_dir(&path) {
            Ok(()) => {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o700))?;
                return Ok(path);
            }
            // Left by an earlier process with our pid: stale by definition.
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                remove_tree(&path)?;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Removes session directories of processes that no longer exist (they were killed before they
/// could clean up). Only directories owned by the current user are touched.
fn sweep_stale(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let user = nix::unistd::geteuid().as_raw();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|name| name.strip_prefix(SESSION_PREFIX))
        else {
            continue;
        };
        let Some(pid) = rest
            .split('-')
            .next()
            .and_then(|pid| pid.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        let owned = entry
            .metadata()
            .is_ok_and(|metadata| metadata.uid() == user);
        if owned && pid != std::process::id() as libc::pid_t && !process_exists(pid) {
            let _ = remove_tree(&entry.path());
        }
    }
}

fn process_exists(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 only checks for existence and permission.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Removes a directory tree, also one with directories that deny writing (copied-up read-only
/// directories, overlayfs work directories of a rootless session).
pub(crate) fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => return Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(_) => {}
    }
    make_writable(path);
    match fs::remove_dir_all(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

fn make_writable(path: &Path) {
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return;
    };
    if !metadata.is_dir() {
        return;
    }
    let _ = fs::set_permissions(
        path,
        fs::Permissions::from_mode((metadata.mode() & 0o7777) | 0o700),
    );
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.filter_map(Result::ok) {
            make_writable(&entry.path());
        }
    }
}
