//! The sandbox helper: agent-install re-executed with [`HELPER_ARGUMENT`], before any thread or
//! runtime exists.
//!
//! ```text
//! agent-install (tokio, threads)
//!   └─ helper             single-threaded; enters user? + mount namespaces, mounts the
//!      │                  overlays, unshares PID/IPC/UTS(/NET); waits for init, then exits
//!      └─ init (PID 1)    mounts /proc, /sys, /dev, /tmp, /run, binds, masks; pivot_root;
//!         │               serves commands; PR_SET_PDEATHSIG ties it to the helper
//!         └─ bash -c …    one per command (PID 2, 3, ...); the whole namespace is killed
//!                         after each command and on timeout
//! ```
//!
//! The command server runs as PID 1, so `kill(-1, SIGKILL)` reaches every process of the
//! sandbox, including ones that left their process group; orphans are reparented to it and
//! reaped. When the server dies, the kernel kills the rest of the namespace, and the mounts go
//! with the last process. End of file on the request pipe (agent-install exited, even by
//! SIGKILL) makes the server shut down. In host mode the same server runs as a child subreaper.

mod isolate;
mod server;
pub(crate) mod sys;

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use super::protocol::{Mode, Response, Setup};
use crate::error::ExitStatus;

/// The hidden first argument that turns agent-install into the helper.
pub const HELPER_ARGUMENT: &str = "__agent-install-sandbox-helper";

/// Runs the helper when this process was started as one; call it first thing in `main`,
/// before any thread is started.
pub fn main_if_requested() -> Option<ExitStatus> {
    let mut arguments = std::env::args_os();
    arguments.next();
    if arguments.next()? != HELPER_ARGUMENT {
        return None;
    }
    Some(match run() {
        Ok(()) => ExitStatus::Success,
        Err(_) => ExitStatus::Failure,
    })
}

fn run() -> io::Result<()> {
    // Keep only the standard descriptors, then move the two pipes out of the way (close-on-exec,
    // so no command inherits them) and put /dev/null on 0 and 1.
    sys::close_from(3)?;
    let requests = sys::duplicate_cloexec(0, 3)?;
    let responses = sys::duplicate_cloexec(1, 3)?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    sys::duplicate_onto(null.as_raw_fd(), 0)?;
    sys::duplicate_onto(null.as_raw_fd(), 1)?;
    drop(null);

    let mut channel = Channel {
        requests: LineReader::new(requests),
        responses,
    };
    let Some(line) = channel.requests.read_line()? else {
        return Ok(());
    };
    let setup: Setup = match serde_json::from_slice(&line) {
        Ok(setup) => setup,
        Err(error) => {
            channel.send(&Response::SetupFailed {
                stage: "protocol".to_string(),
                message: format!("bad setup message: {error}"),
                errno: None,
            })?;
            return Err(io::Error::new(io::ErrorKind::InvalidData, error));
        }
    };
    match setup.mode {
        Mode::Host => server::run_on_host(channel, setup.limits),
        Mode::Isolated(isolated) => isolate::run(channel, &isolated, setup.limits),
    }
}

/// The helper's end of the pipes to agent-install.
pub(super) struct Channel {
    pub requests: LineReader,
    pub responses: OwnedFd,
}

impl Channel {
    pub(super) fn send(&self, response: &Response) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(response).map_err(io::Error::other)?;
        bytes.push(b'\n');
        sys::write_all(&self.responses, &bytes)
    }

    pub(super) fn setup_failed(&self, stage: &str, error: &io::Error) -> io::Result<()> {
        self.send(&Response::SetupFailed {
            stage: stage.to_string(),
            message: error.to_string(),
            errno: error.raw_os_error(),
        })
    }
}

/// Reads newline-terminated messages from a raw descriptor, buffering partial lines, so that
/// the server can both poll the descriptor and read whole messages.
pub(super) struct LineReader {
    fd: OwnedFd,
    buffer: Vec<u8>,
    end_of_file: bool,
}

impl LineReader {
    fn new(fd: OwnedFd) -> LineReader {
        LineReader {
            fd,
            buffer: Vec::new(),
            end_of_file: false,
        }
    }

    pub(super) fn raw_fd(&self) -> i32 {
        self.fd.as_raw_fd()
    }

    pub(super) fn at_end(&self) -> bool {
        self.end_of_file && !self.buffer.contains(&b'\n')
    }

    /// Reads once (the descriptor was reported readable).
    pub(super) fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        let count = sys::read(&self.fd, &mut chunk)?;
        if count == 0 {
            self.end_of_file = true;
        }
        self.buffer.extend_from_slice(&chunk[..count]);
        Ok(())
    }

    /// A complete line already buffered, without its newline.
    pub(super) fn take_line(&mut self) -> Option<Vec<u8>> {
        let end = self.buffer.iter().position(|byte| *byte == b'\n')?;
        let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
        line.pop();
        Some(line)
    }

    /// Blocks until a whole line or end of file (`None`).
    pub(super) fn read_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(line) = self.take_line() {
                return Ok(Some(line));
            }
            if self.end_of_file {
                return Ok(None);
            }
            self.fill()?;
        }
    }
}
