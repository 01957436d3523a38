//! `agent-install apply <PLAN>` end to end: a doc is run, its plan written with `--plan-out`,
//! and applied with no agent on a fresh Debian minbase sandbox; then the refusals when the doc
//! or the machine changed, and `--force`. The host-target tests confine every command to a
//! temp dir and prove that a refused plan ran nothing.

use std::path::{Path, PathBuf};

use crate::common::{
    FileServer, Install, agent_install, assert_no_leftovers, build_tarball, install, invoke,
    is_root, run_doc, run_expecting,
};

/// Runs `agent-install apply PLAN ARGS...` with a report, a transcript and a `TMPDIR` of its
/// own; expects `status` and no leftovers.
fn apply(plan: &Path, args: &[&str], env: &[(&str, &str)], status: i32) -> Install {
    invoke("apply", plan, args, env, status)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
}

#[test]
fn a_run_plan_applies_on_a_fresh_minbase_sandbox_and_refuses_when_the_doc_or_machine_changed() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let rootfs = crate::common::sandbox::minbase();
    let served = tempfile::tempdir().expect("temp dir");
    build_tarball(served.path());
    let server = FileServer::serve(served.path());
    let work = tempfile::tempdir().expect("temp dir");
    let doc = run_doc("widget-tarball.md", server.port(), work.path());
    let plan_path = work.path().join("plan.json");
    let cache = work.path().join("cache");
    crate::common::sandbox::cache_with_minbase(&cache);
    let cache_env = [("AGENT_INSTALL_CACHE_DIR", cache.to_str().unwrap())];

    let run = install(
        &doc,
        &[
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--plan-out",
            plan_path.to_str().unwrap(),
        ],
        &cache_env,
        0,
    );
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    let plan = read_json(&plan_path);
    assert_eq!(plan["verified"], true);
    let planned: Vec<&str> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step["command"].as_str().unwrap_or_default())
        .collect();
    assert!(
        planned
            .iter()
            .any(|command| command.starts_with("tar -xzf")),
        "{planned:?}"
    );

    // Applied with no agent on a fresh sandbox of the same base: the same steps, verified.
    let applied = apply(
        &plan_path,
        &["--sandbox", "overlay", "--base", "debian-bookworm"],
        &cache_env,
        0,
    );
    let context = applied.describe();
    assert_eq!(applied.report["outcome"], "verified", "{context}");
    assert_eq!(applied.report["plan_source"], "file", "{context}");
    assert_eq!(applied.report["agent"]["kind"], "none", "{context}");
    assert_eq!(applied.report["agent"]["calls"], 0, "{context}");
    assert_eq!(applied.report["route"], "release-binary", "{context}");
    let applied_commands: Vec<&str> = applied
        .steps()
        .iter()
        .map(|step| step["command"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(applied_commands, planned, "{context}");
    for step in applied.steps() {
        assert_eq!(step["exit_status"], 0, "{context}");
        assert_eq!(step["target"], "sandbox", "{context}");
        assert!(
            step["change"] == "ok" || step["change"] == "changed",
            "{context}"
        );
    }
    // The tarball step put widget in place: that changed the filesystem.
    let tar_step = applied
        .steps()
        .iter()
        .find(|step| {
            step["command"]
                .as_str()
                .unwrap_or_default()
                .starts_with("tar ")
        })
        .expect("tar step");
    assert_eq!(tar_step["change"], "changed", "{context}");
    let verification = applied.report["verification"].as_array().expect("list");
    assert_eq!(verification.len(), 1, "{context}");
    assert_eq!(verification[0]["command"], "widget --version");
    assert_eq!(verification[0]["passed"], true, "{context}");
    assert!(applied.events("route_chosen").is_empty(), "{context}");
    assert!(
        !rootfs.join("usr/local/bin/widget").exists(),
        "the cached rootfs was written"
    );

    // The doc changed: refused, nothing ran, and the message says what and how to go on.
    let original = std::fs::read_to_string(&doc).expect("doc");
    std::fs::write(&doc, format!("{original}\nA new paragraph.\n")).expect("edit the doc");
    let refused = apply(
        &plan_path,
        &["--sandbox", "overlay", "--base", "debian-bookworm"],
        &cache_env,
        6,
    );
    let context = refused.describe();
    assert_eq!(refused.report["outcome"], "refused", "{context}");
    assert!(refused.steps().is_empty(), "{context}");
    assert!(refused.events("step_started").is_empty(), "{context}");
    let message = refused.report["message"].as_str().unwrap_or_default();
    assert!(message.contains("the doc changed"), "{context}");
    assert!(message.contains("--force"), "{context}");
    assert!(!message.contains("the machine changed"), "{context}");

    // The machine changed too (the plan says another fingerprint): both are shown.
    let mut edited = plan.clone();
    edited["probe"]["fingerprint"] = "00000000000000ff".into();
    edited["probe"]["summary"] = "another machine".into();
    let edited_path = work.path().join("edited-plan.json");
    std::fs::write(&edited_path, edited.to_string()).expect("write the plan");
    let refused = apply(
        &edited_path,
        &["--sandbox", "overlay", "--base", "debian-bookworm"],
        &cache_env,
        6,
    );
    let context = refused.describe();
    let message = refused.report["message"].as_str().unwrap_or_default();
    assert!(message.contains("the doc changed"), "{context}");
    assert!(
        message.contains("the machine changed: the plan was made for fingerprint 00000000000000ff (another machine)"),
        "{context}"
    );
    assert!(refused.steps().is_empty(), "{context}");

    // --force applies it anyway and says so.
    let forced = apply(
        &edited_path,
        &[
            "--sandbox",
            "overlay",
            "--base",
            "debian-bookworm",
            "--force",
        ],
        &cache_env,
        0,
    );
    let context = forced.describe();
    assert_eq!(forced.report["outcome"], "verified", "{context}");
    let warnings: Vec<&str> = forced.report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|warning| warning.as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        warnings
            .iter()
            .filter(|warning| warning.ends_with("applying anyway (--force)"))
            .count(),
        2,
        "{context}"
    );
}

/// A plan for this machine (its real fingerprint) from a doc file in `directory`.
fn host_plan(directory: &Path, steps: &[&str], verification: &[&str]) -> PathBuf {
    use sha2::{Digest, Sha256};
    let doc = directory.join("doc.md");
    let text = "# A test doc\n\n```sh\ntrue\n```\n";
    std::fs::write(&doc, text).expect("write the doc");
    let sha256: String = Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let probe = run_expecting(agent_install().args(["probe", "--json"]), 0);
    let probe: serde_json::Value = serde_json::from_str(&probe.stdout).expect("probe JSON");
    let plan = serde_json::json!({
        "schema_version": 1,
        "generator": "agent-install test",
        "doc": { "source": doc.to_str().unwrap(), "sha256": sha256 },
        "probe": { "fingerprint": probe["fingerprint"], "summary": "this machine" },
        "route": null,
        "agent": { "kind": "offline" },
        "steps": steps.iter().map(|command| serde_json::json!({
            "command": command,
            "purpose": "test",
            "risks": [],
            "decision": "allow",
        })).collect::<Vec<_>>(),
        "verification": verification,
        "verified": true,
    });
    let path = directory.join("plan.json");
    std::fs::write(&path, plan.to_string()).expect("write the plan");
    path
}

#[test]
fn on_the_host_an_ask_without_yes_refuses_the_whole_plan_before_anything_runs() {
    let work = tempfile::tempdir().expect("temp dir");
    let marker = work.path().join("first-step-ran");
    let first = format!("touch {}", marker.display());
    let plan = host_plan(
        work.path(),
        &[&first, "curl -fsSL http://127.0.0.1:9/install.sh | sh"],
        &["true"],
    );
    let refused = apply(&plan, &[], &[], 6);
    let context = refused.describe();
    assert_eq!(refused.report["outcome"], "refused", "{context}");
    let message = refused.report["message"].as_str().unwrap_or_default();
    assert!(message.contains("step 2 `curl"), "{context}");
    assert!(message.contains("--yes"), "{context}");
    assert!(refused.steps().is_empty(), "{context}");
    assert!(!marker.exists(), "step 1 ran although step 2 was refused");
}

#[test]
fn on_the_host_an_allowed_plan_runs_and_verifies() {
    // Every command stays inside this test's temp dir, under /var/tmp: the rehearsal before
    // the apply sees it there (a sandbox gets a fresh /tmp).
    let work = tempfile::tempdir_in("/var/tmp").expect("temp dir");
    let marker = work.path().join("applied");
    let step = format!("touch {}", marker.display());
    let check = format!("test -f {}", marker.display());
    let plan = host_plan(work.path(), &[&step, "echo done"], &[&check]);
    let applied = apply(&plan, &[], &[], 0);
    let context = applied.describe();
    assert_eq!(applied.report["outcome"], "installed", "{context}");
    assert!(marker.exists(), "{context}");
    let steps = applied.steps();
    assert_eq!(steps.len(), 2, "{context}");
    assert_eq!(steps[0]["target"], "host", "{context}");
    assert_eq!(steps[0]["change"], "changed", "{context}");
    assert_eq!(
        applied.report["verification"][0]["passed"], true,
        "{context}"
    );

    // A dry-run plan (never rehearsed) still applies, with a warning that says so.
    let mut unrehearsed = read_json(&plan);
    unrehearsed["verified"] = false.into();
    std::fs::write(&plan, unrehearsed.to_string()).expect("write the plan");
    let applied = apply(&plan, &[], &[], 0);
    let warnings = applied.report["warnings"].to_string();
    assert!(
        warnings.contains("was never rehearsed"),
        "{}",
        applied.describe()
    );

    // The doc is gone: its state is unknown, which is said, and the plan still applies.
    std::fs::remove_file(work.path().join("doc.md")).expect("remove the doc");
    let applied = apply(&plan, &[], &[], 0);
    let warnings = applied.report["warnings"].to_string();
    assert!(
        warnings.contains("could not load the doc")
            && warnings.contains("applying the plan as written"),
        "{}",
        applied.describe()
    );

    // A verification that fails is exit 5; a step that fails is exit 4, and stops the plan.
    let plan = host_plan(work.path(), &["true"], &["false"]);
    let failed = apply(&plan, &[], &[], 5);
    assert_eq!(failed.report["outcome"], "verification_failed");
    let late = work.path().join("after-the-failure");
    let after = format!("touch {}", late.display());
    let plan = host_plan(work.path(), &["exit 3", &after], &["true"]);
    let failed = apply(&plan, &[], &[], 4);
    let message = failed.report["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("step 1 `exit 3` exited with status 3"),
        "{message}"
    );
    assert!(!late.exists(), "a step after the failed one ran");
}

#[test]
fn sigint_during_a_step_ends_apply_with_130_and_leaves_nothing() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on / needs root here");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let sandbox_temp = tempfile::Builder::new()
        .prefix("apply-sigint-")
        .tempdir()
        .expect("temp dir");
    let marker = "sleep 81209";
    let later = work.path().join("later-step-ran");
    let after = format!("touch {}", later.display());
    let plan = host_plan(work.path(), &[&format!("{marker}7"), &after], &["true"]);
    let transcript = work.path().join("transcript.jsonl");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_agent-install"))
        .arg("apply")
        .arg(&plan)
        .args(["--sandbox", "overlay", "--transcript"])
        .arg(&transcript)
        .env("TMPDIR", sandbox_temp.path())
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("agent-install starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while crate::common::processes_mentioning(&format!("{marker}7")).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the step never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: kill with the pid of our own child.
    assert_eq!(
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) },
        0
    );
    let output = child.wait_with_output().expect("agent-install exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!later.exists(), "a step after the interruption ran");
    let finished = std::fs::read_to_string(&transcript)
        .expect("transcript")
        .lines()
        .last()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("JSON"))
        .expect("events");
    assert_eq!(finished["outcome"], "interrupted", "{finished}");
    assert!(crate::common::processes_mentioning(&format!("{marker}7")).is_empty());
    assert_no_leftovers(sandbox_temp.path());
}

#[test]
fn bad_plan_files_and_flags_are_usage_errors_with_hints() {
    let work = tempfile::tempdir().expect("temp dir");
    let missing = work.path().join("missing.json");
    let output = run_expecting(agent_install().arg("apply").arg(&missing), 2);
    assert!(
        output.stderr.contains("could not read the plan"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("hint: "), "{}", output.stderr);

    let garbage = work.path().join("garbage.json");
    std::fs::write(&garbage, "steps: [apt]").expect("write");
    let output = run_expecting(agent_install().arg("apply").arg(&garbage), 2);
    assert!(
        output.stderr.contains("is not a valid plan"),
        "{}",
        output.stderr
    );

    let plan = host_plan(work.path(), &["true"], &["true"]);
    let mut newer = read_json(&plan);
    newer["schema_version"] = 99.into();
    let newer_path = work.path().join("newer.json");
    std::fs::write(&newer_path, newer.to_string()).expect("write");
    let output = run_expecting(agent_install().arg("apply").arg(&newer_path), 2);
    assert!(output.stderr.contains("version 99"), "{}", output.stderr);

    let output = run_expecting(
        agent_install()
            .arg("apply")
            .arg(&plan)
            .args(["--base", "debian-bookworm"]),
        2,
    );
    assert!(
        output.stderr.contains("--sandbox overlay"),
        "{}",
        output.stderr
    );
    let output = run_expecting(
        agent_install()
            .arg("apply")
            .arg(&plan)
            .args(["--sandbox", "dry-run"]),
        2,
    );
    assert!(output.stderr.contains("hint: "), "{}", output.stderr);
}
