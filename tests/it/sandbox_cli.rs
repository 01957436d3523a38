//! `agent-install sandbox exec` as scripts call it: exit statuses, `--json`, `--keep`,
//! `--export-layer`, `--env`, `--sandbox host|dry-run`, and the errors for bad input.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary, is_root};

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

fn sandbox_exec(temp: &Path, arguments: &[&str]) -> Run {
    let output = Command::new(binary())
        .args(["sandbox", "exec"])
        .args(arguments)
        .env("TMPDIR", temp)
        .env("NO_COLOR", "1")
        .env("OPENAI_API_KEY", "sk-from-the-host")
        .output()
        .unwrap();
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn output_is_streamed_and_the_delta_summarized() {
    let temp = temp_root();
    let run = sandbox_exec(
        temp.path(),
        &[
            "--",
            "echo to-stdout; echo to-stderr >&2; mkdir -p /opt/cli-test && echo x > /opt/cli-test/file",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "to-stdout\n");
    assert!(run.stderr.starts_with("to-stderr\n"), "{}", run.stderr);
    assert!(
        run.stderr.contains("+ /opt/cli-test/file"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("2 added, 0 modified, 0 deleted"),
        "{}",
        run.stderr
    );
    assert!(!Path::new("/opt/cli-test").exists());
    assert_clean(temp.path());
}

#[test]
fn several_arguments_are_quoted_and_a_failing_command_exits_1() {
    let temp = temp_root();
    let run = sandbox_exec(temp.path(), &["--", "printf", "%s|", "a b", "it's"]);
    // Output is streamed by lines: a last line without a newline gets one.
    assert_eq!(
        (run.status, run.stdout.as_str()),
        (0, "a b|it's|\n"),
        "{}",
        run.stderr
    );
    let run = sandbox_exec(temp.path(), &["--", "exit 3"]);
    assert_eq!(run.status, 1);
    assert!(
        run.stderr
            .contains("error: the command exited with status 3"),
        "{}",
        run.stderr
    );
    assert_clean(temp.path());
}

#[test]
fn json_events_carry_output_observation_and_delta() {
    let temp = temp_root();
    let run = sandbox_exec(temp.path(), &["--json", "--", "echo hi; rm /etc/issue.net"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let events: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON"))
        .collect();
    assert_eq!(events[0]["type"], "output");
    assert_eq!(events[0]["line"], "hi");
    let result = events.last().unwrap();
    assert_eq!(result["type"], "result");
    assert_eq!(result["backend"], "overlay");
    assert_eq!(result["observation"]["exit_code"], 0);
    assert_eq!(result["observation"]["timed_out"], false);
    assert_eq!(result["delta"]["changes"][0]["path"], "/etc/issue.net");
    assert_eq!(result["delta"]["changes"][0]["kind"], "deleted");
}

#[test]
fn secrets_are_filtered_unless_passed_by_name() {
    let temp = temp_root();
    let probe = "echo ${OPENAI_API_KEY-filtered}";
    let run = sandbox_exec(temp.path(), &["--", probe]);
    assert_eq!(run.stdout, "filtered\n");
    let run = sandbox_exec(temp.path(), &["--env", "OPENAI_API_KEY", "--", probe]);
    assert_eq!(run.stdout, "sk-from-the-host\n");
    let run = sandbox_exec(
        temp.path(),
        &["--env", "EXTRA=set-here", "--", "echo $EXTRA"],
    );
    assert_eq!(run.stdout, "set-here\n");
}

#[test]
fn keep_and_export_layer_write_the_changes() {
    if !is_root() {
        eprintln!("skipped: deleting /etc files in the sandbox needs root");
        return;
    }
    let temp = temp_root();
    let kept = temp.path().join("kept");
    let layer = temp.path().join("layer.tar");
    let run = sandbox_exec(
        temp.path(),
        &[
            "--keep",
            kept.to_str().unwrap(),
            "--export-layer",
            layer.to_str().unwrap(),
            "--",
            "mkdir -p /opt/kept && echo content > /opt/kept/file && rm /etc/issue.net",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("changes kept in"), "{}", run.stderr);
    assert_eq!(
        fs::read_to_string(kept.join("opt/kept/file")).unwrap(),
        "content\n"
    );
    // The kept tree is an overlayfs upper dir: the deletion is a whiteout device.
    let whiteout = fs::symlink_metadata(kept.join("etc/issue.net")).unwrap();
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &whiteout.file_type()
    ));
    let names: Vec<String> = tar::Archive::new(fs::File::open(&layer).unwrap())
        .entries()
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .path()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert!(
        names.contains(&"etc/.wh.issue.net".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"opt/kept/file".to_string()), "{names:?}");
    let sessions: Vec<_> = fs::read_dir(temp.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("agent-install-sandbox-")
        })
        .collect();
    assert!(sessions.is_empty());
}

#[test]
fn host_and_dry_run_backends() {
    let temp = temp_root();
    let marker = temp.path().join("written-by-host-backend");
    let command = format!("echo yes > {}", marker.display());
    let run = sandbox_exec(temp.path(), &["--sandbox", "dry-run", "--", &command]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!marker.exists());
    let run = sandbox_exec(temp.path(), &["--sandbox", "host", "--", &command]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(fs::read_to_string(&marker).unwrap(), "yes\n");
    let run = sandbox_exec(
        temp.path(),
        &["--sandbox", "host", "--network", "off", "--", "true"],
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
}

#[test]
fn bad_input_has_clear_errors() {
    let temp = temp_root();
    let run = sandbox_exec(temp.path(), &[]);
    assert_eq!(run.status, 2);
    let run = sandbox_exec(temp.path(), &["--profile", "no-such-profile", "--", "true"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("no such profile"), "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    let run = sandbox_exec(temp.path(), &["--timeout", "soon", "--", "true"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("30s"), "{}", run.stderr);
    let run = sandbox_exec(
        temp.path(),
        &["--base", "/nonexistent/rootfs", "--", "true"],
    );
    assert_eq!(run.status, 7, "{}", run.stderr);
    assert!(run.stderr.contains("hint:"), "{}", run.stderr);
    assert_clean(temp.path());
}

#[test]
fn a_sandbox_that_cannot_start_is_exit_7_naming_the_host_sandbox() {
    let temp = temp_root();
    let mut configuration = config(Path::new("/"), temp.path());
    configuration.helper = Some("/nonexistent/agent-install".into());
    let error = match agent_install::sandbox::open(configuration) {
        Ok(_) => panic!("a sandbox without its helper must not start"),
        Err(error) => error,
    };
    assert_eq!(error.exit_status().code(), 7);
    assert!(error.hint().unwrap().contains("--sandbox host"));
    assert_clean(temp.path());
}
