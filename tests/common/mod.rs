//! Shared helpers for the integration tests: run the real binary in a clean environment.
//!
//! Each test file does `mod common;` and uses what it needs; helpers unused by one file are
//! expected, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root (where `Cargo.toml` and `install-docs/` live).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
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
        .env_remove("AGENT_INSTALL_LOG");
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

/// Replaces a temporary path in text with a fixed marker, for snapshots.
pub fn redact_path(text: &str, path: &Path) -> String {
    text.replace(&path.display().to_string(), "[TEMP]")
}
