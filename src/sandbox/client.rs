//! agent-install's side of the helper: start it, send commands, read the streamed answers,
//! stop it — gracefully by closing its request pipe, or by SIGKILL on interrupt.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::config::Limits;
use super::helper::{HELPER_ARGUMENT, sys};
use super::output::OutputCollector;
use super::protocol::{ExecMessage, Response, Setup};
use super::{Backend, ExecRequest, InterruptState, Observation, SandboxError, ShellState, Stream};

/// How long setup may take before the helper is considered hung.
const SETUP_LIMIT: Duration = Duration::from_secs(60);
/// Slack beyond a command's timeout before the helper itself is considered hung.
const ANSWER_GRACE: Duration = Duration::from_secs(30);
/// How long a graceful stop may take before SIGKILL.
const STOP_LIMIT: Duration = Duration::from_secs(3);

/// Kills a running helper and its sandbox from another thread.
#[derive(Debug)]
pub(crate) struct KillHandle {
    helper_pid: libc::pid_t,
    init: Option<Arc<OwnedFd>>,
}

impl KillHandle {
    pub(crate) fn kill(&self) {
        // The helper is our unreaped child while this handle is registered, so its pid cannot
        // have been reused.
        let _ = sys::kill(self.helper_pid, libc::SIGKILL);
        if let Some(init) = &self.init {
            send_signal(init, libc::SIGKILL);
        }
    }
}

fn send_signal(pidfd: &OwnedFd, signal: libc::c_int) {
    // SAFETY: pidfd_send_signal takes a pidfd, a signal, a null info pointer and flags 0.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signal,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        );
    }
}

/// The result of one command, as the helper reports it.
#[derive(Debug)]
pub(crate) struct Finished {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration: Duration,
    pub state: Option<super::ShellState>,
}

/// Runs one command through a session's helper, as every helper-backed sandbox does: sends it
/// with the session's shell state, streams and collects its output within the output cap, and
/// takes over the shell state the command left. On an error the helper is dead or unreliable
/// and the caller must stop it (the next command starts a new one).
pub(crate) fn run_command(
    helper: Option<&mut Helper>,
    request: &ExecRequest,
    state: &mut ShellState,
    limits: &Limits,
    on_output: &mut dyn FnMut(Stream, &str),
) -> Result<Observation, SandboxError> {
    let helper =
        helper.ok_or_else(|| SandboxError::Helper("the helper is not running".to_string()))?;
    let timeout = request.timeout.or(limits.timeout);
    let message = ExecMessage {
        command: request.command.clone(),
        cwd: state.cwd.clone(),
        env: state.env.clone(),
        timeout_ms: timeout.map(|timeout| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX)),
    };
    let mut stdout = OutputCollector::new(limits.output_cap);
    let mut stderr = OutputCollector::new(limits.output_cap);
    let finished = helper.exec(&message, &mut |stream, line| {
        match stream {
            Stream::Stdout => stdout.push_line(line),
            Stream::Stderr => stderr.push_line(line),
        }
        on_output(stream, line);
    })?;
    if let Some(new_state) = finished.state {
        *state = new_state;
    }
    Ok(Observation {
        command: request.command.clone(),
        exit_code: finished.exit_code,
        signal: finished.signal,
        timed_out: finished.timed_out,
        duration: finished.duration,
        stdout: stdout.finish(),
        stderr: stderr.finish(),
        executed: true,
        blocked: Vec::new(),
    })
}

pub(crate) struct Helper {
    child: Child,
    requests: Option<ChildStdin>,
    responses: BufReader<ChildStdout>,
    init: Option<Arc<OwnedFd>>,
    init_pid: Option<i32>,
    interrupt: Arc<InterruptState>,
    pub(crate) shell: String,
    stopped: bool,
}

impl Helper {
    /// Starts a helper and waits until it is ready (or reports why it cannot be).
    pub(crate) fn start(
        program: &Path,
        setup: &Setup,
        interrupt: &Arc<InterruptState>,
        backend: Backend,
    ) -> Result<Helper, SandboxError> {
        if interrupt
            .requested
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(SandboxError::Interrupted);
        }
        let unavailable = |reason: String| SandboxError::Unavailable { backend, reason };
        let mut command = Command::new(program);
        command
            .arg(HELPER_ARGUMENT)
            // The helper's environment is visible inside the sandbox (/proc/1/environ): it gets
            // none; commands receive theirs through the protocol.
            .env_clear()
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Its own process group: a terminal's Ctrl-C reaches agent-install, which then
            // ends the sandbox in order, instead of killing the helper under it.
            .process_group(0);
        let mut child = command.spawn().map_err(|error| {
            unavailable(format!(
                "could not start the helper {}: {error}",
                program.display()
            ))
        })?;
        let (Some(mut requests), Some(responses)) = (child.stdin.take(), child.stdout.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SandboxError::Helper("helper pipes missing".to_string()));
        };
        let mut helper_pid = libc::pid_t::try_from(child.id()).unwrap_or(0);
        if helper_pid <= 0 {
            helper_pid = 0;
        }
        if let Ok(mut processes) = interrupt.processes.lock() {
            *processes = Some(KillHandle {
                helper_pid,
                init: None,
            });
        }
        let mut helper = Helper {
            child,
            requests: None,
            responses: BufReader::new(responses),
            init: None,
            init_pid: None,
            interrupt: Arc::clone(interrupt),
            shell: String::new(),
            stopped: false,
        };
        let mut line =
            serde_json::to_vec(setup).map_err(|error| SandboxError::Helper(error.to_string()))?;
        line.push(b'\n');
        if let Err(error) = requests.write_all(&line) {
            helper.stop();
            return Err(unavailable(format!("the helper exited at once: {error}")));
        }
        helper.requests = Some(requests);
        match helper.read_response(Some(Instant::now() + SETUP_LIMIT)) {
            Ok(Response::Ready { shell, init_pid }) => {
                helper.shell = shell;
                helper.init_pid = init_pid;
                if let Some(pid) = init_pid {
                    // SAFETY: pidfd_open takes a pid and flags; the result is checked.
                    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
                    if fd >= 0 {
                        // SAFETY: a fresh descriptor from the kernel, owned by no one else.
                        let init = Arc::new(unsafe { OwnedFd::from_raw_fd(fd as i32) });
                        helper.init = Some(Arc::clone(&init));
                        if let Ok(mut processes) = helper.interrupt.processes.lock() {
                            *processes = Some(KillHandle {
                                helper_pid,
                                init: Some(init),
                            });
                        }
                    }
                }
                Ok(helper)
            }
            Ok(Response::SetupFailed { stage, message, .. }) => {
                helper.stop();
                Err(unavailable(format!("{stage}: {message}")))
            }
            Ok(other) => {
                helper.stop();
                Err(SandboxError::Helper(format!("unexpected answer {other:?}")))
            }
            Err(error) => {
                helper.stop();
                Err(match error {
                    SandboxError::Helper(reason) => unavailable(reason),
                    other => other,
                })
            }
        }
    }

    /// Runs a command; `on_output` receives each line as it arrives.
    pub(crate) fn exec(
        &mut self,
        message: &ExecMessage,
        on_output: &mut dyn FnMut(Stream, &str),
    ) -> Result<Finished, SandboxError> {
        let mut line =
            serde_json::to_vec(message).map_err(|error| SandboxError::Helper(error.to_string()))?;
        line.push(b'\n');
        let written = match self.requests.as_mut() {
            Some(requests) => requests.write_all(&line).and_then(|()| requests.flush()),
            None => Err(std::io::Error::other("the helper was stopped")),
        };
        if let Err(error) = written {
            return Err(self.failure(format!("could not send the command: {error}")));
        }
        let deadline = message.timeout_ms.map(|milliseconds| {
            Instant::now() + Duration::from_millis(milliseconds) + ANSWER_GRACE
        });
        loop {
            match self.read_response(deadline)? {
                Response::Output { stream, line } => on_output(stream, &line),
                Response::Finished {
                    exit_code,
                    signal,
                    timed_out,
                    duration_us,
                    state,
                } => {
                    return Ok(Finished {
                        exit_code,
                        signal,
                        timed_out,
                        duration: Duration::from_micros(duration_us),
                        state,
                    });
                }
                other => {
                    return Err(self.failure(format!("unexpected answer {other:?}")));
                }
            }
        }
    }

    /// Reads one response, waiting at most until `deadline`.
    fn read_response(&mut self, deadline: Option<Instant>) -> Result<Response, SandboxError> {
        if self.responses.buffer().is_empty() {
            let timeout_ms = deadline.map_or(-1, |deadline| {
                let remaining = deadline.saturating_duration_since(Instant::now());
                i32::try_from(remaining.as_millis()).unwrap_or(i32::MAX)
            });
            let fd = self.responses.get_ref().as_raw_fd();
            let ready = sys::poll(&[fd], timeout_ms)
                .map_err(|error| SandboxError::io("waiting for the sandbox helper", error))?;
            if !ready.iter().any(|entry| entry.readable || entry.closed) {
                self.kill();
                return Err(SandboxError::Helper(
                    "the sandbox helper stopped answering (killed)".to_string(),
                ));
            }
        }
        let mut line = String::new();
        let count = self
            .responses
            .read_line(&mut line)
            .map_err(|error| SandboxError::io("reading from the sandbox helper", error))?;
        if count == 0 {
            return Err(self.failure("the sandbox helper exited unexpectedly".to_string()));
        }
        serde_json::from_str(&line)
            .map_err(|error| self.failure(format!("bad answer from the sandbox helper: {error}")))
    }

    /// The error for a helper that died: an interrupt, or a real failure.
    fn failure(&mut self, reason: String) -> SandboxError {
        if self
            .interrupt
            .requested
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            SandboxError::Interrupted
        } else {
            SandboxError::Helper(reason)
        }
    }

    /// The helper's process id and the sandbox init's (as seen from here).
    /// The command server's process id (PID 1 of the sandbox), as this process sees it.
    pub(crate) fn init_pid(&self) -> Option<i32> {
        self.init_pid
    }

    pub(crate) fn process_ids(&self) -> Vec<u32> {
        let mut ids = vec![self.child.id()];
        ids.extend(self.init_pid.and_then(|pid| u32::try_from(pid).ok()));
        ids
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        if let Some(init) = &self.init {
            send_signal(init, libc::SIGKILL);
        }
    }

    /// Ends the helper and waits until every process of the sandbox is gone (so its mounts are
    /// gone too and the session directory can be removed).
    pub(crate) fn stop(&mut self) {
        if self.stopped {
            return;
        }
        self.stopped = true;
        if let Ok(mut processes) = self.interrupt.processes.lock() {
            processes.take();
        }
        // End of file on its requests: the server kills its processes and exits.
        drop(self.requests.take());
        let limit = Instant::now() + STOP_LIMIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= limit => {
                    self.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        if let Some(init) = self.init.take() {
            // The init process dies with the helper (parent death signal); wait for it, since
            // the mount namespace lives until its last process is gone.
            let fd = init.as_raw_fd();
            let exited = sys::poll(&[fd], 2000)
                .map(|ready| ready.iter().any(|entry| entry.readable))
                .unwrap_or(true);
            if !exited {
                send_signal(&init, libc::SIGKILL);
                let _ = sys::poll(&[fd], 2000);
            }
        }
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        self.stop();
    }
}
