//! Shared helpers for the integration tests: run the real binary in a clean environment (and
//! fluently, [`test`]), serve files on 127.0.0.1 ([`server`]), and check that nothing (session
//! directory, mount, process) is left.
//!
//! One support module for every test: the sandbox tests' helpers live in [`sandbox`], the
//! LLM tests' fake service and widget in [`llm`], the `provision` tests' OCI readers in
//! [`provision`].

pub mod llm;
pub mod provision;
pub mod sandbox;
pub mod server;
pub mod test;

pub use server::FileServer;
pub use test::Test;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The repository root (where `Cargo.toml` and `install-docs/` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary under test, as a path (for `std::process::Command` and for the sandbox, which
/// re-executes it as its helper).
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_agent-install"))
}

/// A fixture under `tests/fixtures/`.
pub fn fixture(relative: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(relative)
}

/// The `agent-install` binary as a command with a predictable environment: no colours, no
/// LLM configuration leaking in from the developer's shell, logs off unless asked for.
pub fn agent_install() -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("agent-install").expect("binary built");
    command
        .env("NO_COLOR", "1")
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("AGENT_INSTALL_MODEL")
        .env_remove("AGENT_INSTALL_LOG")
        // A plan kept by one test (or an earlier run of the suite) must not replace the agent
        // in another: the plan cache tests turn it back on with their own directory.
        .env("AGENT_INSTALL_NO_CACHE", "1")
        // An apply in a test must never add to this machine's own install records.
        .env(
            "AGENT_INSTALL_STATE_DIR",
            std::env::temp_dir().join("agent-install-test-records"),
        );
    command
}

/// Runs a command, and on an unexpected exit status prints everything needed to debug it.
pub fn run_expecting(command: &mut assert_cmd::Command, status: i32) -> Output {
    let output = command.output().expect("command runs");
    let result = Output::from(output);
    assert_eq!(
        result.status, status,
        "unexpected exit status for {command:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        result.stdout, result.stderr
    );
    result
}

/// A finished command's output as text.
#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Self {
        Output {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Writes the test product `widget-1.0.0-linux.tar.gz` into `directory`: one executable shell
/// script, `widget`, that prints `widget 1.0.0`.
pub fn build_tarball(directory: &Path) {
    let file = std::fs::File::create(directory.join("widget-1.0.0-linux.tar.gz")).expect("create");
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut archive = tar::Builder::new(encoder);
    let script = b"#!/bin/sh\necho \"widget 1.0.0\"\n";
    let mut header = tar::Header::new_gnu();
    header.set_size(script.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    archive
        .append_data(&mut header, "widget", &script[..])
        .expect("append");
    archive
        .into_inner()
        .expect("finish tar")
        .finish()
        .expect("finish gzip");
}

/// Copies a doc from `tests/fixtures/run/` into `directory` with `@PORT@` replaced by `port`,
/// and returns its path. (Docs are written by the test, never through a shell.)
pub fn run_doc(name: &str, port: u16, directory: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture(&format!("run/{name}")))
        .unwrap_or_else(|error| panic!("fixture run/{name}: {error}"));
    let path = directory.join(name);
    std::fs::write(&path, text.replace("@PORT@", &port.to_string())).expect("write the doc");
    path
}

/// One finished `agent-install run`: its output, `--report` and `--transcript`, and the temp
/// dir it had as `TMPDIR` (where the sandbox keeps its session directories).
pub struct Install {
    pub output: Output,
    pub report: serde_json::Value,
    pub transcript: Vec<serde_json::Value>,
}

impl Install {
    /// The report's steps.
    pub fn steps(&self) -> &[serde_json::Value] {
        self.report["steps"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Commands of the steps with the given policy decision (`allow`, `ask`, `deny`).
    pub fn commands_with_decision(&self, decision: &str) -> Vec<String> {
        self.steps()
            .iter()
            .filter(|step| step["decision"] == decision)
            .map(|step| step["command"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// The rules of the repairs that fired, in order.
    pub fn repairs(&self) -> Vec<String> {
        self.report["repairs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|repair| repair["rule"].as_str().unwrap_or_default().to_string())
            .collect()
    }

    /// Transcript events of one type (`route_chosen`, `rolled_back`, ...).
    pub fn events(&self, kind: &str) -> Vec<&serde_json::Value> {
        self.transcript
            .iter()
            .filter(|event| event["type"] == kind)
            .collect()
    }

    pub fn route(&self) -> Option<&str> {
        self.report["route"].as_str()
    }

    pub fn outcome(&self) -> &str {
        self.report["outcome"].as_str().unwrap_or_default()
    }

    /// Everything a failed assertion should show.
    pub fn describe(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}\n--- report ---\n{}",
            self.output.stdout,
            self.output.stderr,
            serde_json::to_string_pretty(&self.report).unwrap_or_default()
        )
    }
}

/// Runs `agent-install run DOC ARGS...` with `--report` and `--transcript` into a temp dir and
/// a `TMPDIR` of its own, expects `status`, and checks that the run left no session directory,
/// mount or sandbox process behind.
pub fn install(doc: &Path, args: &[&str], env: &[(&str, &str)], status: i32) -> Install {
    invoke("run", doc, args, env, status)
}

/// [`install`] for any subcommand that takes one path and writes a report and a transcript
/// (`run DOC`, `apply PLAN`).
pub fn invoke(
    subcommand: &str,
    target: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    status: i32,
) -> Install {
    let files = tempfile::Builder::new()
        .prefix("run-test-")
        .tempdir()
        .expect("temp dir");
    let sandbox_temp = tempfile::Builder::new()
        .prefix("run-sandbox-")
        .tempdir()
        .expect("temp dir");
    let report_path = files.path().join("report.json");
    let transcript_path = files.path().join("transcript.jsonl");
    let mut command = agent_install();
    command
        .arg(subcommand)
        .arg(target)
        .arg("--report")
        .arg(&report_path)
        .arg("--transcript")
        .arg(&transcript_path)
        .args(args)
        .env("TMPDIR", sandbox_temp.path());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = Output::from(command.output().expect("agent-install runs"));
    let report = std::fs::read_to_string(&report_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null);
    let transcript = std::fs::read_to_string(&transcript_path)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("transcript line is not JSON ({error}): {line}"))
        })
        .collect();
    let install = Install {
        output,
        report,
        transcript,
    };
    assert_eq!(
        install.output.status,
        status,
        "unexpected exit status of agent-install {subcommand} {} {args:?}\n{}",
        target.display(),
        install.describe()
    );
    assert_no_leftovers(sandbox_temp.path());
    install
}

/// No session directory left in `temp`, no mount that mentions it, no process that uses it.
pub fn assert_no_leftovers(temp: &Path) {
    assert_clean(temp);
    let processes = processes_mentioning(&temp.to_string_lossy());
    assert!(processes.is_empty(), "processes left behind: {processes:?}");
}

/// No session directory left in `temp` and no mount that mentions it (processes are checked by
/// [`assert_no_leftovers`] or [`assert_no_processes`]).
pub fn assert_clean(temp: &Path) {
    let left: Vec<String> = std::fs::read_dir(temp)
        .expect("temp dir readable")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left in {}: {left:?}", temp.display());
    let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    let marker = temp.to_string_lossy();
    let leaked: Vec<&str> = mounts
        .lines()
        .filter(|line| line.contains(marker.as_ref()))
        .collect();
    assert!(leaked.is_empty(), "mounts left behind: {leaked:?}");
}

/// Processes whose command line or environment mentions `marker`.
pub fn processes_mentioning(marker: &str) -> Vec<String> {
    processes_whose(&["cmdline", "environ"], marker)
}

/// Processes whose command line mentions `marker`.
pub fn processes_with(marker: &str) -> Vec<String> {
    processes_whose(&["cmdline"], marker)
}

/// Processes one of whose `/proc/PID/` `files` contains `marker`, as `PID: text`.
fn processes_whose(files: &[&str], marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|pid| pid.bytes().all(|byte| byte.is_ascii_digit()))
        else {
            continue;
        };
        for file in files {
            let Ok(bytes) = std::fs::read(entry.path().join(file)) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).replace('\0', " ");
            if text.contains(marker) {
                found.push(format!(
                    "{pid}: {}",
                    text.chars().take(200).collect::<String>()
                ));
                break;
            }
        }
    }
    found
}

/// Whether a process exists and is not a zombie waiting to be reaped.
pub fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits (a little) until no process carries `marker` on its command line, then asserts it.
pub fn assert_no_processes(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = processes_with(marker);
        if found.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes survived the sandbox: {found:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// For a test that needs the overlay sandbox: true (after saying so) when it must be skipped
/// because this process is not root.
pub fn skip_unless_root() -> bool {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox needs root");
        return true;
    }
    false
}

/// Whether this test process runs as root (the overlay sandbox and the minbase rootfs need it).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
