//! End to end on the Debian minbase rootfs: a release tarball served by the test.
//!
//! The doc offers Homebrew first, then an install script that the test's server does not have (404),
//! then the tarball from the test's server. Expected: brew is skipped (not a Linux tool), the
//! script route fails — after the missing-command repair brought curl in through an empty apt
//! index — and is rolled back, and the tarball route installs and verifies. Nothing reaches
//! the host or the cached rootfs.

use std::path::Path;

use crate::common::{FileServer, build_tarball, install, is_root, run_doc};

#[test]
fn tarball_route_wins_after_brew_is_skipped_and_the_script_route_rolls_back() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let rootfs = crate::common::sandbox::minbase();
    let served = tempfile::tempdir().expect("temp dir");
    build_tarball(served.path());
    let server = FileServer::serve(served.path());
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("tarball.md", server.port(), docs.path());

    // The install script is piped into a shell: "ask" by policy, hence --yes.
    let run = install(
        &doc,
        &["--base", "debian-bookworm", "--no-apply", "--yes"],
        &[],
        0,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["exit_code"], 0, "{context}");
    assert_eq!(run.route(), Some("release-binary"), "{context}");

    // Routes tried, in order: brew never (skipped for this platform), the script, the tarball.
    let chosen: Vec<&str> = run
        .events("route_chosen")
        .iter()
        .map(|event| event["route"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(chosen, ["script", "release-binary"], "{context}");
    let abandoned = run.events("route_abandoned");
    assert_eq!(abandoned.len(), 1, "{context}");
    assert_eq!(abandoned[0]["route"], "script");
    assert!(
        abandoned[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("404"),
        "{context}"
    );

    // The script step was asked about (pipe to shell), ran with --yes, failed and was undone.
    let script_steps: Vec<&serde_json::Value> = run
        .steps()
        .iter()
        .filter(|step| {
            step["command"]
                .as_str()
                .unwrap_or_default()
                .contains("/install.sh | sh")
        })
        .collect();
    assert!(!script_steps.is_empty(), "{context}");
    for step in &script_steps {
        assert_eq!(step["decision"], "ask", "{context}");
        assert_ne!(step["exit_status"], 0, "{context}");
        assert_eq!(step["rolled_back"], true, "{context}");
    }
    assert!(!run.events("rolled_back").is_empty(), "{context}");

    // minbase has no curl and an empty apt index: curl came in through two repairs.
    let repairs = run.repairs();
    for rule in ["pipefail", "missing-command", "apt-index-stale"] {
        assert!(
            repairs.iter().any(|fired| fired == rule),
            "{rule}: {context}"
        );
    }
    assert!(
        run.commands_with_decision("allow")
            .iter()
            .any(|command| command.contains("apt-get install") && command.contains("curl")),
        "{context}"
    );

    // The tarball came from our server, and the verification ran the tool itself.
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.starts_with("GET /widget-1.0.0-linux.tar.gz")),
        "{:?}",
        server.requests()
    );
    let verification = run.report["verification"].as_array().expect("verification");
    assert!(
        verification
            .iter()
            .any(|check| check["command"] == "widget --version"
                && check["passed"] == true
                && check["detail"] == "widget 1.0.0"),
        "{context}"
    );
    assert!(
        run.report["delta"]["added"].as_u64().unwrap_or(0) > 0,
        "{context}"
    );

    // Rehearsal only: neither the host nor the cached rootfs got the tool.
    assert!(!Path::new("/usr/local/bin/widget").exists());
    assert!(!rootfs.join("usr/local/bin/widget").exists());
    assert!(
        !rootfs.join("usr/bin/curl").exists(),
        "curl leaked into the rootfs"
    );
}
