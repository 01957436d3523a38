//! The command server: runs one command at a time, streams its output line by line, enforces
//! the timeout, and kills every process the command left behind before answering.
//!
//! Why kill leftovers after every command: a background process holding the output pipes would
//! keep the command "running", and one still writing files would make the next snapshot or the
//! delta inconsistent. Each command therefore ends with an empty process table, like a terminal
//! whose job ended (services are not started in a rehearsal anyway).

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::unistd::pipe2;

use super::sys::{self, ChildExit};
use super::{Channel, LineReader};
use crate::sandbox::protocol::{ExecMessage, ProcessLimits, Response};
use crate::sandbox::shell::{self, STATE_FD};
use crate::sandbox::{ShellState, Stream};

/// Longest line sent as one message; longer runs without a newline are split.
const MAX_LINE: usize = 16 * 1024;
/// Most bytes of shell state accepted.
const MAX_STATE: usize = 8 * 1024 * 1024;
/// How long to wait for output pipes to close after everything was killed.
const DRAIN_LIMIT: Duration = Duration::from_secs(5);

/// How to find every process a command started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KillScope {
    /// We are PID 1 of a PID namespace: `kill(-1)` reaches all of them.
    Namespace,
    /// On the host, as a child subreaper: the process group, then every remaining descendant
    /// (orphans are reparented to us).
    Subreaper,
}

/// The shell commands run in.
pub(super) struct Shell {
    path: CString,
    bash: bool,
}

impl Shell {
    pub(super) fn display(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }
}

/// `/bin/bash` when the root has it, else `/bin/sh`.
pub(super) fn find_shell(root: &Path) -> Option<Shell> {
    for (candidate, bash) in [
        ("bin/bash", true),
        ("usr/bin/bash", true),
        ("bin/sh", false),
    ] {
        if sys::executable(&root.join(candidate)) {
            return Some(Shell {
                path: CString::new(format!("/{candidate}")).ok()?,
                bash,
            });
        }
    }
    None
}

pub(super) fn run_on_host(channel: Channel, limits: ProcessLimits) -> io::Result<()> {
    if let Err(error) = sys::set_child_subreaper() {
        channel.setup_failed("child subreaper", &error)?;
        return Err(error);
    }
    let Some(shell) = find_shell(Path::new("/")) else {
        let error = io::Error::new(io::ErrorKind::NotFound, "no /bin/bash or /bin/sh");
        channel.setup_failed("shell", &error)?;
        return Err(error);
    };
    channel.send(&Response::Ready {
        shell: shell.display(),
        init_pid: None,
    })?;
    Server::new(channel, KillScope::Subreaper, shell, limits)?.serve()
}

pub(super) struct Server {
    requests: LineReader,
    responses: OwnedFd,
    scope: KillScope,
    shell: Shell,
    limits: ProcessLimits,
    null: OwnedFd,
}

/// Everything the child needs between fork and exec, prepared before fork.
struct Prepared {
    program: CString,
    arguments: Vec<CString>,
    environment: Vec<CString>,
    cwd: CString,
    limits: Vec<(libc::__rlimit_resource_t, libc::rlim_t)>,
    /// Capabilities removed from the bounding set (in a sandbox only).
    dropped_capabilities: Vec<libc::c_int>,
}

/// One output pipe being read.
struct OutputPipe {
    fd: OwnedFd,
    stream: Stream,
    pending: Vec<u8>,
    open: bool,
}

impl Server {
    pub(super) fn new(
        channel: Channel,
        scope: KillScope,
        shell: Shell,
        limits: ProcessLimits,
    ) -> io::Result<Server> {
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")?;
        Ok(Server {
            requests: channel.requests,
            responses: channel.responses,
            scope,
            shell,
            limits,
            null: null.into(),
        })
    }

    fn send(&self, response: &Response) -> io::Result<()> {
        let mut bytes = serde_json::to_vec(response).map_err(io::Error::other)?;
        bytes.push(b'\n');
        sys::write_all(&self.responses, &bytes)
    }

    /// Serves requests until end of file on the request pipe.
    pub(super) fn serve(mut self) -> io::Result<()> {
        loop {
            let Some(line) = self.requests.read_line()? else {
                self.kill_everything(None);
                self.reap();
                self.detach_mounts();
                return Ok(());
            };
            let message: ExecMessage = serde_json::from_slice(&line)
                .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
            if !self.execute(&message)? {
                self.detach_mounts();
                return Ok(());
            }
        }
    }

    /// Detaches the mounts below the root in parallel threads before exiting. Unmounting an
    /// overlay waits in the kernel; when the namespace dies with its last process, the kernel
    /// unmounts one after another (~1 ms each, measured), so the parent would wait for all of
    /// them before it may remove the session directory.
    fn detach_mounts(&self) {
        if self.scope != KillScope::Namespace {
            return;
        }
        let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
            return;
        };
        let entries: Vec<(&str, &str, &str)> = mountinfo
            .lines()
            .filter_map(|line| {
                let mut fields = line.split(' ');
                Some((fields.next()?, fields.next()?, fields.nth(2)?))
            })
            .collect();
        let Some(root_id) = entries
            .iter()
            .find(|(_, _, point)| *point == "/")
            .map(|(id, _, _)| *id)
        else {
            return;
        };
        let top_level: Vec<String> = entries
            .iter()
            .filter(|(id, parent, point)| *parent == root_id && *id != root_id && *point != "/")
            .map(|(_, _, point)| point.replace("\\040", " "))
            .collect();
        std::thread::scope(|scope| {
            for point in &top_level {
                let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                    let _ = nix::mount::umount2(point.as_str(), nix::mount::MntFlags::MNT_DETACH);
                });
                if spawned.is_err() {
                    let _ = nix::mount::umount2(point.as_str(), nix::mount::MntFlags::MNT_DETACH);
                }
            }
        });
    }

    /// Runs one command. `Ok(false)`: agent-install is gone, stop serving.
    fn execute(&mut self, message: &ExecMessage) -> io::Result<bool> {
        let (stdout_read, stdout_write) = pipe2(OFlag::O_CLOEXEC)?;
        let (stderr_read, stderr_write) = pipe2(OFlag::O_CLOEXEC)?;
        // The shell state goes to an anonymous file, not a pipe: the shell writes it line by
        // line, and a pipe would wake this process for every line (measured: +1.5 ms per
        // command on two busy cores). It is read once the command is over.
        let state_file = sys::memfd("agent-install-state")?;
        let mut cwd = message.cwd.clone();
        if !Path::new(&cwd).is_dir() {
            self.send(&Response::Output {
                stream: Stream::Stderr,
                line: format!(
                    "agent-install: the working directory {cwd} no longer exists; starting in /"
                ),
            })?;
            cwd = "/".to_string();
        }
        let prepared = self.prepare(message, &cwd)?;
        let started = Instant::now();
        // SAFETY: this process is single-threaded, so the child may run any code; it only
        // rearranges descriptors, sets limits and execs (see `exec_child`).
        let pid = match unsafe { nix::unistd::fork() }? {
            nix::unistd::ForkResult::Child => exec_child(
                &prepared,
                self.null.as_raw_fd(),
                stdout_write.as_raw_fd(),
                stderr_write.as_raw_fd(),
                state_file.as_raw_fd(),
            ),
            nix::unistd::ForkResult::Parent { child } => child.as_raw(),
        };
        drop((stdout_write, stderr_write));
        let pidfd = sys::pidfd_open(pid)?;

        let mut pipes = [
            OutputPipe::new(stdout_read, Stream::Stdout),
            OutputPipe::new(stderr_read, Stream::Stderr),
        ];
        let deadline = message
            .timeout_ms
            .map(|milliseconds| started + Duration::from_millis(milliseconds));
        let mut exit: Option<ChildExit> = None;
        let mut duration = Duration::ZERO;
        let mut timed_out = false;
        let mut drain_deadline: Option<Instant> = None;
        let mut parent_gone = false;

        loop {
            if exit.is_some() && pipes.iter().all(|pipe| !pipe.open) {
                break;
            }
            if drain_deadline.is_some_and(|limit| Instant::now() >= limit) {
                break;
            }
            let mut fds: Vec<RawFd> = pipes
                .iter()
                .filter(|pipe| pipe.open)
                .map(|pipe| pipe.fd.as_raw_fd())
                .collect();
            if exit.is_none() {
                fds.push(pidfd.as_raw_fd());
            }
            if !parent_gone {
                fds.push(self.requests.raw_fd());
            }
            let wake_at = match (exit.is_none() && !timed_out, deadline, drain_deadline) {
                (true, Some(deadline), _) => Some(deadline),
                (_, _, Some(limit)) => Some(limit),
                _ => None,
            };
            let timeout_ms = wake_at.map_or(-1, |instant| {
                let remaining = instant.saturating_duration_since(Instant::now());
                i32::try_from(remaining.as_millis() + 1).unwrap_or(i32::MAX)
            });
            let ready = sys::poll(&fds, timeout_ms)?;
            for entry in &ready {
                if !(entry.readable || entry.closed) {
                    continue;
                }
                if entry.fd == self.requests.raw_fd() {
                    self.requests.fill()?;
                    if self.requests.at_end() {
                        // agent-install exited: end everything, then stop serving.
                        parent_gone = true;
                        self.kill_everything(Some(pid));
                        drain_deadline.get_or_insert(Instant::now() + DRAIN_LIMIT);
                    }
                } else if entry.fd == pidfd.as_raw_fd() {
                    if let Some((_, status)) = sys::wait(pid, true)? {
                        exit = Some(status);
                    } else {
                        exit = Some(ChildExit::Signal(libc::SIGKILL));
                    }
                    duration = started.elapsed();
                    self.kill_everything(None);
                    drain_deadline.get_or_insert(Instant::now() + DRAIN_LIMIT);
                } else if let Some(pipe) = pipes
                    .iter_mut()
                    .find(|pipe| pipe.open && pipe.fd.as_raw_fd() == entry.fd)
                {
                    let lines = pipe.read()?;
                    let stream = pipe.stream;
                    if !parent_gone {
                        for line in lines {
                            if self.send(&Response::Output { stream, line }).is_err() {
                                parent_gone = true;
                                self.kill_everything(Some(pid));
                                drain_deadline.get_or_insert(Instant::now() + DRAIN_LIMIT);
                                break;
                            }
                        }
                    }
                }
            }
            if exit.is_none() && !timed_out && deadline.is_some_and(|limit| Instant::now() >= limit)
            {
                timed_out = true;
                self.kill_everything(Some(pid));
            }
        }
        // Whatever is left (a process stuck in the kernel past the drain limit) gets one more
        // SIGKILL; then reap what is reapable.
        self.kill_everything(None);
        self.reap();
        if parent_gone {
            return Ok(false);
        }
        let (exit_code, signal) = match exit {
            Some(ChildExit::Code(code)) => (Some(code), None),
            Some(ChildExit::Signal(signal)) => (None, Some(signal)),
            None => (None, Some(libc::SIGKILL)),
        };
        let state: Option<ShellState> = if timed_out {
            None
        } else {
            shell::parse_state(&sys::read_file_start(&state_file, MAX_STATE)?)
        };
        self.send(&Response::Finished {
            exit_code,
            signal,
            timed_out,
            duration_us: u64::try_from(duration.as_micros()).unwrap_or(u64::MAX),
            state,
        })?;
        Ok(true)
    }

    fn prepare(&self, message: &ExecMessage, cwd: &str) -> io::Result<Prepared> {
        let invalid = |_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in the command");
        let script = shell::script(&message.command, self.shell.bash);
        let environment = message
            .env
            .iter()
            .filter(|(name, _)| !name.is_empty() && !name.contains('='))
            .map(|(name, value)| CString::new(format!("{name}={value}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let mut limits = Vec::new();
        for (resource, value) in [
            (libc::RLIMIT_NPROC, self.limits.max_processes),
            (libc::RLIMIT_FSIZE, self.limits.file_size),
            (libc::RLIMIT_NOFILE, self.limits.open_files),
        ] {
            if let Some(value) = value {
                // Never above the current hard limit: raising it needs privileges, and a failed
                // setrlimit would leave no limit at all.
                limits.push((resource, value.min(sys::hard_limit(resource))));
            }
        }
        Ok(Prepared {
            program: self.shell.path.clone(),
            arguments: vec![
                self.shell.path.clone(),
                CString::new("-c").map_err(invalid)?,
                CString::new(script).map_err(invalid)?,
            ],
            environment,
            cwd: CString::new(cwd).map_err(invalid)?,
            limits,
            dropped_capabilities: if self.scope == KillScope::Namespace {
                capabilities_to_drop()
            } else {
                Vec::new()
            },
        })
    }

    /// Kills every process the commands started. `main`: the command's shell, whose process
    /// group goes first on the host.
    fn kill_everything(&self, main: Option<libc::pid_t>) {
        match self.scope {
            KillScope::Namespace => {
                // As PID 1 of the namespace, -1 means every other process in it.
                let _ = sys::kill(-1, libc::SIGKILL);
            }
            KillScope::Subreaper => {
                if let Some(pid) = main {
                    let _ = sys::kill(-pid, libc::SIGKILL);
                }
                for pid in children() {
                    let _ = sys::kill(-pid, libc::SIGKILL);
                    let _ = sys::kill(pid, libc::SIGKILL);
                }
            }
        }
    }

    /// Reaps children until none is left (killing new orphans on the host as they appear).
    fn reap(&self) {
        let limit = Instant::now() + DRAIN_LIMIT;
        loop {
            while let Ok(Some(_)) = sys::wait(-1, false) {}
            let remaining = children();
            if remaining.is_empty() || Instant::now() >= limit {
                return;
            }
            for pid in remaining {
                let _ = sys::kill(pid, libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// Capabilities a sandboxed root keeps: the set container engines grant by default, enough for
/// package managers (ownership, setuid helpers such as apt's `_apt` user, chroot, raw sockets for
/// ping). Everything else leaves the bounding set before exec: without CAP_SYS_ADMIN a command
/// cannot unmount the masks over secret paths or remount /proc/sys and /sys writable, and
/// CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_TIME, ... would reach past the namespaces to the host.
const KEPT_CAPABILITIES: &[libc::c_int] = &[
    0,  // CAP_CHOWN
    1,  // CAP_DAC_OVERRIDE
    3,  // CAP_FOWNER
    4,  // CAP_FSETID
    5,  // CAP_KILL
    6,  // CAP_SETGID
    7,  // CAP_SETUID
    8,  // CAP_SETPCAP
    10, // CAP_NET_BIND_SERVICE
    13, // CAP_NET_RAW
    18, // CAP_SYS_CHROOT
    27, // CAP_MKNOD
    29, // CAP_AUDIT_WRITE
    31, // CAP_SETFCAP
];

fn capabilities_to_drop() -> Vec<libc::c_int> {
    let last: libc::c_int = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(40);
    (0..=last)
        .filter(|capability| !KEPT_CAPABILITIES.contains(capability))
        .collect()
}

/// This process's children, from `/proc/self/task/<tid>/children` (one thread here).
fn children() -> Vec<libc::pid_t> {
    let path = format!("/proc/self/task/{}/children", std::process::id());
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|pid| pid.parse().ok())
        .collect()
}

impl OutputPipe {
    fn new(fd: OwnedFd, stream: Stream) -> OutputPipe {
        OutputPipe {
            fd,
            stream,
            pending: Vec::new(),
            open: true,
        }
    }

    /// Reads what is available; returns the complete lines (all that is left at end of file).
    fn read(&mut self) -> io::Result<Vec<String>> {
        let mut chunk = [0u8; 16 * 1024];
        let count = sys::read(&self.fd, &mut chunk)?;
        if count == 0 {
            self.open = false;
        }
        self.pending.extend_from_slice(&chunk[..count]);
        let mut lines = Vec::new();
        loop {
            match self.pending.iter().position(|byte| *byte == b'\n') {
                Some(end) if end <= MAX_LINE => {
                    let mut line: Vec<u8> = self.pending.drain(..=end).collect();
                    line.pop();
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    lines.push(String::from_utf8_lossy(&line).into_owned());
                }
                _ if self.pending.len() > MAX_LINE => {
                    let mut split = MAX_LINE;
                    // Do not cut a UTF-8 sequence in two.
                    while split > 0 && (self.pending[split] & 0b1100_0000) == 0b1000_0000 {
                        split -= 1;
                    }
                    let line: Vec<u8> = self.pending.drain(..split.max(1)).collect();
                    lines.push(String::from_utf8_lossy(&line).into_owned());
                }
                _ => break,
            }
        }
        if !self.open && !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            lines.push(String::from_utf8_lossy(&line).into_owned());
        }
        Ok(lines)
    }
}

/// The child between fork and exec: standard descriptors, state file, signals, limits,
/// working directory, exec. Never returns.
fn exec_child(prepared: &Prepared, null: RawFd, stdout: RawFd, stderr: RawFd, state: RawFd) -> ! {
    let argv: Vec<*const libc::c_char> = prepared
        .arguments
        .iter()
        .map(|argument| argument.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    let envp: Vec<*const libc::c_char> = prepared
        .environment
        .iter()
        .map(|entry| entry.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect();
    // SAFETY: we are the only thread of a freshly forked process; every call below is a plain
    // system call on descriptors and memory this process owns, and the pointers passed to
    // execve point into `prepared`, `argv` and `envp`, which live until exec replaces us.
    unsafe {
        libc::setpgid(0, 0);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // Rust ignores SIGPIPE; commands expect the default (`yes | head` must end).
        for signal in 1..32 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::signal(signal, libc::SIG_DFL);
            }
        }
        libc::dup2(null, 0);
        libc::dup2(stdout, 1);
        libc::dup2(stderr, 2);
        if state == STATE_FD {
            libc::fcntl(state, libc::F_SETFD, 0);
        } else {
            libc::dup2(state, STATE_FD);
        }
        for capability in &prepared.dropped_capabilities {
            libc::prctl(libc::PR_CAPBSET_DROP, *capability as libc::c_ulong, 0, 0, 0);
        }
        for (resource, value) in &prepared.limits {
            let limit = libc::rlimit {
                rlim_cur: *value,
                rlim_max: *value,
            };
            libc::setrlimit(*resource, &limit);
        }
        if libc::chdir(prepared.cwd.as_ptr()) != 0 {
            libc::chdir(c"/".as_ptr());
        }
        libc::execve(prepared.program.as_ptr(), argv.as_ptr(), envp.as_ptr());
        let message = b"agent-install: could not execute the shell\n";
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::_exit(127)
    }
}
