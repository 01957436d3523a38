//! A command that never finishes: the install script served by the test sleeps. With
//! `--step-timeout 3s` the step is killed (its whole process tree), rolled back, and the run
//! goes on with the next route — or, when there is none, ends cleanly with exit 4. No process,
//! mount or session directory is left behind.
//!
//! These run in the overlay on the host root (the default sandbox), where curl is present, so
//! the short step timeout only ever meets the hung script and not an apt download.

use std::fs;

use crate::common::{
    FileServer, build_tarball, install, processes_mentioning, run_doc, skip_unless_root,
};

/// Serves the tarball and an `install.sh` that sleeps for `seconds` (a number no other test
/// uses, so a leftover `sleep` is ours).
fn serve_hanging_script(seconds: u32) -> (tempfile::TempDir, FileServer) {
    let served = tempfile::tempdir().expect("temp dir");
    build_tarball(served.path());
    fs::write(
        served.path().join("install.sh"),
        format!("#!/bin/sh\necho 'installing widget...'\nsleep {seconds}\n"),
    )
    .expect("install.sh");
    let server = FileServer::serve(served.path());
    (served, server)
}

fn timed_out_script_steps(run: &crate::common::Install) -> Vec<&serde_json::Value> {
    run.steps()
        .iter()
        .filter(|step| {
            step["command"]
                .as_str()
                .unwrap_or_default()
                .contains("/install.sh | sh")
        })
        .collect()
}

#[test]
fn a_hung_route_times_out_and_the_next_route_installs() {
    if skip_unless_root() {
        return;
    }
    let (_served, server) = serve_hanging_script(613);
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("hang.md", server.port(), docs.path());

    let run = install(
        &doc,
        &["--no-apply", "--yes", "--step-timeout", "3s"],
        &[],
        0,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.route(), Some("release-binary"), "{context}");
    let hung = timed_out_script_steps(&run);
    assert_eq!(hung.len(), 1, "a timed-out step is not retried\n{context}");
    assert_eq!(hung[0]["timed_out"], true, "{context}");
    assert!(hung[0]["exit_status"].is_null(), "{context}");
    assert_eq!(hung[0]["rolled_back"], true, "{context}");
    let abandoned = run.events("route_abandoned");
    assert_eq!(abandoned.len(), 1, "{context}");
    assert_eq!(abandoned[0]["route"], "script", "{context}");
    assert!(
        abandoned[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("timed out"),
        "{context}"
    );
    // The script's output streamed before it was killed.
    assert!(
        run.transcript
            .iter()
            .any(|event| event["type"] == "output" && event["line"] == "installing widget..."),
        "{context}"
    );
    assert_eq!(processes_mentioning("sleep 613"), Vec::<String>::new());
}

#[test]
fn a_hung_only_route_ends_cleanly_with_exit_4() {
    if skip_unless_root() {
        return;
    }
    let (_served, server) = serve_hanging_script(617);
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("hang-only.md", server.port(), docs.path());

    let run = install(
        &doc,
        &["--no-apply", "--yes", "--step-timeout", "3s"],
        &[],
        4,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "no_route", "{context}");
    let hung = timed_out_script_steps(&run);
    assert_eq!(hung.len(), 1, "{context}");
    assert_eq!(hung[0]["timed_out"], true, "{context}");
    assert!(
        run.report["message"]
            .as_str()
            .unwrap_or_default()
            .contains("timed out"),
        "{context}"
    );
    assert!(
        run.report["verification"]
            .as_array()
            .is_none_or(|checks| checks.is_empty())
    );
    assert_eq!(processes_mentioning("sleep 617"), Vec::<String>::new());
}
