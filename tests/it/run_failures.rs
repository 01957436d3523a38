//! Docs that cannot work end with exit 4 (DESIGN §6) and a message that says why, quickly and
//! cleanly: a doc without commands, a doc whose only route is an install script from a host
//! that does not resolve, and a script refused without --yes. All on the Debian minbase rootfs.

use crate::common::{FileServer, fixture, install, is_root, run_doc};

#[test]
fn a_doc_without_commands_exits_4_with_a_clear_message() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let run = install(
        &fixture("docs/no-commands.md"),
        &["--base", "debian-bookworm", "--no-apply"],
        &[],
        4,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "no_route", "{context}");
    assert_eq!(run.report["exit_code"], 4, "{context}");
    assert!(
        run.report["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no commands"),
        "{context}"
    );
    assert!(run.steps().is_empty(), "nothing should run\n{context}");
    assert!(run.report["route"].is_null(), "{context}");
    // The terminal says it too, on stderr; stdout carries no data without --json.
    assert!(run.output.stderr.contains("no commands"), "{context}");
    assert!(run.output.stdout.is_empty(), "{context}");
}

#[test]
fn an_install_script_from_an_unreachable_host_is_skipped_without_running_and_exits_4() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    // The script's host does not resolve: the route is skipped before anything of it runs
    // (one short check per host), and the distribution's package of the product, tried
    // instead as a route from outside the doc, does not exist. A total budget well above what
    // this needs turns a hang or a retry loop into a failure with its own message.
    let run = install(
        &fixture("run/unreachable-script.md"),
        &[
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--yes",
            "--timeout",
            "5m",
        ],
        &[],
        4,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "no_route", "{context}");
    let message = run.report["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("https://get.gizmo.invalid/") && message.contains("gave no answer"),
        "{context}"
    );
    assert!(!message.contains("budget"), "{context}");
    assert!(
        !run.steps().iter().any(|step| step["command"]
            .as_str()
            .unwrap_or_default()
            .contains("install.sh")),
        "the script never ran\n{context}"
    );
    // The route from outside the doc says so, and its unknown package is not refreshed for
    // twice: the route's own refresh was enough.
    let chosen = run.events("route_chosen");
    assert_eq!(chosen.len(), 1, "{context}");
    assert_eq!(chosen[0]["route"], "outside-system-package", "{context}");
    let refreshes = run
        .steps()
        .iter()
        .filter(|step| {
            step["command"]
                .as_str()
                .unwrap_or_default()
                .starts_with("apt-get update")
        })
        .count();
    assert_eq!(refreshes, 1, "{context}");
    assert!(
        run.steps()
            .iter()
            .all(|step| step["exit_status"] == 0 || step["rolled_back"] == true),
        "every failed step is rolled back\n{context}"
    );
    assert_eq!(run.events("route_abandoned").len(), 1, "{context}");
}

#[test]
fn without_yes_an_install_script_is_refused_and_the_flag_is_named() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    // No terminal and no --yes: "ask" means deny, and the message names --yes. The script's
    // host answers (the test's server), so the route is not skipped as unreachable.
    let served = tempfile::tempdir().expect("temp dir");
    let server = FileServer::serve(served.path());
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("local-script.md", server.port(), docs.path());
    let run = install(&doc, &["--base", "debian-bookworm", "--no-apply"], &[], 4);
    let context = run.describe();
    let denied: Vec<&serde_json::Value> = run
        .steps()
        .iter()
        .filter(|step| step["decision"] == "deny")
        .collect();
    assert!(!denied.is_empty(), "{context}");
    assert!(
        denied.iter().all(|step| step["exit_status"].is_null()),
        "{context}"
    );
    assert!(
        denied[0]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|reason| reason.as_str().unwrap_or_default().contains("--yes")),
        "{context}"
    );
    // The script never ran; and the closing message names the refusal, not only the missing
    // binary that followed from it.
    assert!(
        !run.events("step_started")
            .iter()
            .any(|event| event["command"]
                .as_str()
                .unwrap_or_default()
                .contains("install.sh")),
        "{context}"
    );
    let message = run.report["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("was refused") && message.contains("--yes"),
        "{context}"
    );
}
