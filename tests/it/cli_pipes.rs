//! A reader that closes the pipe early (`agent-install … | head -1`) is not a failure: no
//! panic (exit 101), the command's own status.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// Runs the binary with the given stream piped, reads one line of it, closes it, and returns
/// the exit status.
fn status_after_reading_one_line(args: &[&str], stream: &str) -> Option<i32> {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin!("agent-install"));
    command
        .args(args)
        .env("NO_COLOR", "1")
        .env("AGENT_INSTALL_NO_CACHE", "1")
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .stdin(Stdio::null());
    if stream == "stdout" {
        command.stdout(Stdio::piped()).stderr(Stdio::null());
    } else {
        command.stdout(Stdio::null()).stderr(Stdio::piped());
    }
    let mut child = command.spawn().expect("agent-install starts");
    let mut line = String::new();
    {
        let pipe: Box<dyn std::io::Read> = match stream {
            "stdout" => Box::new(child.stdout.take().expect("stdout")),
            _ => Box::new(child.stderr.take().expect("stderr")),
        };
        let mut reader = BufReader::new(pipe);
        reader.read_line(&mut line).expect("one line");
        // The reader (and the pipe) is dropped here, before the command has written it all.
    }
    assert!(!line.is_empty(), "nothing was written to {stream}");
    child.wait().expect("agent-install ends").code()
}

#[test]
fn closing_stdout_early_is_not_a_failure() {
    for args in [
        &["doc", "jq"][..],
        &["plan", "jq"],
        &["probe"],
        &["run", "jq", "--sandbox", "dry-run", "--json"],
    ] {
        assert_eq!(
            status_after_reading_one_line(args, "stdout"),
            Some(0),
            "{args:?}"
        );
    }
}

#[test]
fn closing_stderr_early_stops_the_display_not_the_run() {
    // A dry run prints its progress on stderr, one line per step, and ends `planned` (0).
    assert_eq!(
        status_after_reading_one_line(&["run", "jq", "--sandbox", "dry-run"], "stderr"),
        Some(0)
    );
}
