//! The records of a run: `report.json` has the fields DESIGN §8 promises, `--json` writes
//! valid NDJSON on stdout (and nothing else), the transcript holds the same events, and a
//! secret in the environment never appears in any of them — not when it stays out of the
//! sandbox (the default), and not when it is passed in with `--env` and a step prints it.

use std::fs;

use crate::common::{FileServer, Install, build_tarball, install, is_root, run_doc};

const SECRET: &str = "sk-test123";

/// Serves the tarball and a `configure.sh` that prints the API key it finds.
fn serve_product() -> (tempfile::TempDir, FileServer) {
    let served = tempfile::tempdir().expect("temp dir");
    build_tarball(served.path());
    fs::write(
        served.path().join("configure.sh"),
        "#!/bin/sh\necho \"configured widget with API key ${FAKE_API_KEY:-none}\"\n",
    )
    .expect("configure.sh");
    let server = FileServer::serve(served.path());
    (served, server)
}

/// Every place a run writes to: stdout, stderr, the report and the transcript.
fn everything_written(run: &Install) -> String {
    format!(
        "{}\n{}\n{}\n{}",
        run.output.stdout,
        run.output.stderr,
        run.report,
        run.transcript
            .iter()
            .map(|event| event.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    )
}

/// The line `configure.sh` printed, from the transcript.
fn configure_line(run: &Install) -> Option<String> {
    run.transcript
        .iter()
        .filter(|event| event["type"] == "output")
        .filter_map(|event| event["line"].as_str())
        .find(|line| line.starts_with("configured widget"))
        .map(str::to_string)
}

#[test]
fn report_json_and_transcript_have_their_shape_and_no_secret() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let (_served, server) = serve_product();
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("secret.md", server.port(), docs.path());

    // `sh configure.sh` runs a downloaded script: "ask" by policy, hence --yes.
    let run = install(
        &doc,
        &["--base", "debian-bookworm", "--no-apply", "--yes", "--json"],
        &[("FAKE_API_KEY", SECRET)],
        0,
    );
    let context = run.describe();

    // --json: stdout is NDJSON only, one event per line, started first and finished last.
    let lines: Vec<&str> = run.output.stdout.lines().collect();
    assert!(lines.len() > 5, "{context}");
    let events: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}\n{context}"))
        })
        .collect();
    assert!(
        events.iter().all(|event| event["type"].is_string()),
        "{context}"
    );
    assert_eq!(events[0]["type"], "started", "{context}");
    let probed = events
        .iter()
        .find(|event| event["type"] == "probed")
        .expect("a probed event");
    let fingerprint = probed["fingerprint"].as_str().unwrap_or_default();
    assert!(
        fingerprint.len() == 16 && fingerprint.chars().all(|c| c.is_ascii_hexdigit()),
        "the probed event carries the target's fingerprint: {probed}"
    );
    let finished = events.last().expect("events");
    assert_eq!(finished["type"], "finished", "{context}");
    assert_eq!(finished["outcome"], "verified", "{context}");
    assert_eq!(finished["exit_code"], 0, "{context}");
    // The transcript holds the same events as stdout.
    assert_eq!(run.transcript, events, "transcript and --json differ");

    // report.json: the fields of DESIGN §8.
    let report = &run.report;
    assert_eq!(report["outcome"], "verified", "{context}");
    assert_eq!(report["exit_code"], 0, "{context}");
    assert_eq!(report["route"], "release-binary", "{context}");
    assert!(report["duration_ms"].is_u64(), "{context}");
    assert_eq!(report["agent"]["kind"], "offline", "{context}");
    assert_eq!(report["agent"]["calls"], 0, "{context}");
    assert_eq!(report["agent"]["tokens"], 0, "{context}");
    let steps = run.steps();
    assert!(!steps.is_empty(), "{context}");
    for step in steps {
        assert!(step["command"].is_string(), "{step}");
        assert!(
            step["exit_status"].is_i64() || step["exit_status"].is_null(),
            "{step}"
        );
        assert!(step["duration_ms"].is_u64(), "{step}");
        assert!(
            ["allow", "ask", "deny"].contains(&step["decision"].as_str().unwrap_or_default()),
            "{step}"
        );
        assert!(step["risks"].is_array(), "{step}");
    }
    let verification = report["verification"].as_array().expect("verification");
    assert!(!verification.is_empty(), "{context}");
    for check in verification {
        assert!(check["command"].is_string(), "{check}");
        assert!(check["passed"].is_boolean(), "{check}");
    }
    assert!(report["delta"]["added"].is_u64(), "{context}");

    // Secrets: configure.sh saw no key, because secret-looking variables stay out of the
    // sandbox unless passed with --env; and the value is nowhere in what the run wrote.
    assert_eq!(
        configure_line(&run).as_deref(),
        Some("configured widget with API key none"),
        "{context}"
    );
    assert!(!everything_written(&run).contains(SECRET), "{context}");
}

#[test]
fn a_secret_passed_in_with_env_is_redacted_everywhere() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let (_served, server) = serve_product();
    let docs = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("secret.md", server.port(), docs.path());

    let run = install(
        &doc,
        &[
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--yes",
            "--json",
            "--env",
            "FAKE_API_KEY",
        ],
        &[("FAKE_API_KEY", SECRET)],
        0,
    );
    let context = run.describe();
    // The script did get the key (so it was printed), and every record shows it redacted.
    let line =
        configure_line(&run).unwrap_or_else(|| panic!("configure.sh printed nothing\n{context}"));
    assert!(line.contains("REDACTED"), "{line}");
    let written = everything_written(&run);
    assert!(!written.contains(SECRET), "the secret leaked:\n{written}");
}
