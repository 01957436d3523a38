//! No mount, process or temp dir survives a sandbox run: after a timeout, after SIGINT or
//! SIGTERM to agent-install in the middle of a command, and (for what the OS allows) after
//! SIGKILL, whose leftover directory the next run removes.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::sandbox::*;
use crate::common::{assert_clean, assert_no_processes, binary, process_alive, processes_with};

const HELPER_ARGUMENT: &str = agent_install::sandbox::helper::HELPER_ARGUMENT;

/// Starts `sandbox exec` with a command that prints `ready` and then sleeps with a marker.
fn start(temp: &Path, marker: &str) -> Child {
    let mut child = Command::new(binary())
        .args([
            "sandbox",
            "exec",
            "--",
            &format!("(sleep {marker}1 &); setsid sleep {marker}2 & echo ready; sleep {marker}3"),
        ])
        .env("TMPDIR", temp)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    child
}

/// Helper processes started by `parent`.
fn helpers_of(parent: u32) -> Vec<u32> {
    processes_with(HELPER_ARGUMENT)
        .iter()
        .filter_map(|entry| entry.split(':').next()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(") ")?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> i32 {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "agent-install did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal_mid_command(signal: i32, marker: &str) {
    let temp = temp_root();
    let mut child = start(temp.path(), marker);
    let helpers = helpers_of(child.id());
    assert_eq!(helpers.len(), 1, "one helper while the command runs");
    assert!(!processes_with(&format!("sleep {marker}")).is_empty());
    // SAFETY: kill with a valid pid of our own child.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
    let status = wait_with_deadline(&mut child, Duration::from_secs(10));
    let mut stderr = String::new();
    let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr);
    assert_eq!(status, 130, "interrupted exit status; stderr:\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_no_processes(&format!("sleep {marker}"));
    for helper in helpers {
        assert!(!process_alive(helper), "helper {helper} survived");
    }
    assert_clean(temp.path());
}

#[test]
fn sigint_mid_command_leaves_nothing() {
    signal_mid_command(libc::SIGINT, "8120931");
}

#[test]
fn sigterm_mid_command_leaves_nothing() {
    signal_mid_command(libc::SIGTERM, "8120932");
}

#[test]
fn a_timeout_kills_the_forking_tree_and_leaves_nothing() {
    let temp = temp_root();
    let marker = "8120933";
    let started = Instant::now();
    let output = Command::new(binary())
        .args([
            "sandbox",
            "exec",
            "--timeout",
            "1s",
            "--",
            &format!(
                "for i in 1 2 3; do (sleep {marker}$i; echo never) & done; \
                 bash -c 'setsid sleep {marker}4 & disown'; sleep {marker}5"
            ),
        ])
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    assert_no_processes(&format!("sleep {marker}"));
    assert_clean(temp.path());
}

#[test]
fn after_sigkill_the_sandbox_dies_and_the_next_run_sweeps_its_directory() {
    let temp = temp_root();
    let marker = "8120934";
    let mut child = start(temp.path(), marker);
    let helpers = helpers_of(child.id());
    child.kill().unwrap();
    child.wait().unwrap();
    // The helper sees end of file on its request pipe and ends the sandbox.
    assert_no_processes(&format!("sleep {marker}"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while helpers.iter().any(|helper| process_alive(*helper)) {
        assert!(
            Instant::now() < deadline,
            "helper survived SIGKILL of its parent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Its session directory could not be removed by a killed process ...
    assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 1);
    // ... and the next run removes it.
    let status = Command::new(binary())
        .args(["sandbox", "exec", "--", "true"])
        .env("TMPDIR", temp.path())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_clean(temp.path());
}
