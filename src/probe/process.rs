//! Running a probe command (`git --version`, `sudo -n true`, ...) with a deadline.
//!
//! The probe runs a few dozen of these at once, so each must be cheap and bounded: stdin is
//! closed (nothing may wait for an answer), the locale is fixed so the output is parseable, and
//! a command that outlives its deadline is killed with its whole process group — version shims
//! (pyenv, rustup, asdf) run the real tool as a grandchild, which killing the child alone would
//! leave behind.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// What a finished command printed.
#[derive(Debug, Clone)]
pub struct Finished {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Why a command gave no output.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not start: {0}")]
    Start(#[source] std::io::Error),
    #[error("failed while running: {0}")]
    Wait(#[source] std::io::Error),
    #[error("timed out after {} ms", .0.as_millis())]
    TimedOut(Duration),
}

/// Runs `program arguments...` and waits at most `timeout` for it.
pub async fn run(
    program: &Path,
    arguments: &[&str],
    timeout: Duration,
) -> Result<Finished, RunError> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C")
        .kill_on_drop(true);
    // Its own process group, so a timeout can kill the grandchildren too.
    command.process_group(0);
    let child = command.spawn().map_err(RunError::Start)?;
    let process_id = child.id();
    match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => Ok(Finished {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }),
        Ok(Err(error)) => Err(RunError::Wait(error)),
        Err(_) => {
            // Dropping the future has already killed the child (kill_on_drop); this takes the
            // rest of its group with it.
            if let Some(process_id) = process_id.and_then(|id| i32::try_from(id).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(process_id),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            Err(RunError::TimedOut(timeout))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn captures_output() {
        let finished = run(
            Path::new("sh"),
            &["-c", "echo out; echo err >&2"],
            Duration::from_secs(5),
        )
        .await
        .expect("sh runs");
        assert!(finished.success);
        assert_eq!(finished.stdout, "out\n");
        assert_eq!(finished.stderr, "err\n");
    }

    #[tokio::test]
    async fn times_out_and_kills_the_group() {
        let started = std::time::Instant::now();
        let result = run(
            Path::new("sh"),
            &["-c", "sleep 30 & sleep 30"],
            Duration::from_millis(200),
        )
        .await;
        assert!(matches!(result, Err(RunError::TimedOut(_))), "{result:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn missing_program() {
        let result = run(
            Path::new("/nonexistent/program"),
            &[],
            Duration::from_secs(1),
        )
        .await;
        assert!(matches!(result, Err(RunError::Start(_))), "{result:?}");
    }
}
