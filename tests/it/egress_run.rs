//! The egress fence around `run` (issue 14): the rehearsal reaches the hosts of the doc's
//! parsed downloads through agent-install's proxy, nothing else; every request is in the
//! report, the transcript and the plan; a blocked request fails its step with a message that
//! says how to allow the host; a policy file's `[network] allow` does.

use std::path::Path;

use crate::common::{FileServer, install, is_root};

/// A doc whose one route downloads the widget from `files` (a URL the fence learns from the
/// doc) and then pings a host it computes at run time (which the fence does not know).
fn doc(directory: &Path, files: &FileServer, canary: &FileServer) -> std::path::PathBuf {
    let text = format!(
        "+++\nname = \"widget\"\nverify = [\"widget --version\"]\n+++\n\n# Installing widget\n\n\
## Linux\n\n```sh\ncurl -fsSL {} -o /usr/local/bin/widget && chmod +x /usr/local/bin/widget\n\
PING_PORT={}; curl -fsS -o /dev/null \"http://127.0.0.1:$PING_PORT/ping\"\n```\n",
        files.url("/widget"),
        canary.port()
    );
    let path = directory.join("widget.md");
    std::fs::write(&path, text).expect("write the doc");
    path
}

#[test]
fn blocked_hosts_fail_the_step_and_a_policy_file_allows_them() {
    if !is_root() {
        eprintln!("skipped: the egress fence needs root");
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        served.path().join("widget"),
        "#!/bin/sh\necho \"widget 1.0.0\"\n",
    )
    .expect("write the widget");
    std::fs::write(served.path().join("ping"), "pong\n").expect("write ping");
    let files = FileServer::serve(served.path());
    let canary = FileServer::serve(served.path());
    let work = tempfile::tempdir().expect("temp dir");
    let doc = doc(work.path(), &files, &canary);

    let blocked = install(&doc, &["--agent", "offline", "--no-apply"], &[], 4);
    let context = blocked.describe();
    assert!(canary.requests().is_empty(), "{context}");
    assert!(!files.requests().is_empty(), "{context}");
    let network = blocked.report["network"].as_array().expect("network");
    let canary_address = format!("127.0.0.1:{}", canary.port());
    assert!(
        network.iter().any(|request| request["host"] == "127.0.0.1"
            && request["port"] == files.port()
            && request["allowed"] == true
            && request["bytes"].as_u64().unwrap_or(0) > 0),
        "{context}"
    );
    assert!(
        network
            .iter()
            .any(|request| request["port"] == canary.port()
                && request["allowed"] == false
                && request["bytes"] == 0),
        "{context}"
    );
    assert!(!blocked.events("network").is_empty(), "{context}");
    // The step failed with what was blocked and how to allow it.
    let stderr = &blocked.output.stderr;
    assert!(
        stderr.contains(&format!("the egress fence blocked {canary_address}")),
        "{context}"
    );
    assert!(
        stderr.contains(&format!("[network] allow = [\"{canary_address}\"]")),
        "{context}"
    );
    assert!(stderr.contains("blocked 127.0.0.1:"), "{context}");
    assert!(
        stderr.contains("— blocked by the egress fence in"),
        "the step's line says why it failed\n{context}"
    );

    let policy = work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[network]\nallow = [\"{canary_address}\"]\n"),
    )
    .expect("write the policy");
    let plan = work.path().join("plan.json");
    let allowed = install(
        &doc,
        &[
            "--agent",
            "offline",
            "--no-apply",
            "--no-cache",
            "--policy",
            policy.to_str().unwrap(),
            "--plan-out",
            plan.to_str().unwrap(),
        ],
        &[],
        0,
    );
    let context = allowed.describe();
    assert_eq!(canary.requests().len(), 1, "{context}");
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).expect("plan")).expect("JSON");
    let hosts: Vec<&str> = plan["network"]
        .as_array()
        .expect("the plan's network")
        .iter()
        .filter_map(|host| host.as_str())
        .collect();
    assert!(
        hosts.contains(&format!("127.0.0.1:{}", files.port()).as_str())
            && hosts.contains(&canary_address.as_str()),
        "{hosts:?}\n{context}"
    );
    assert!(
        allowed.output.stderr.contains("contacted 127.0.0.1:"),
        "{context}"
    );
}

#[test]
fn network_off_stays_off_and_a_policy_deny_wins_over_the_doc() {
    if !is_root() {
        eprintln!("skipped: the egress fence needs root");
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        served.path().join("widget"),
        "#!/bin/sh\necho \"widget 1.0.0\"\n",
    )
    .expect("write the widget");
    let files = FileServer::serve(served.path());
    let canary = FileServer::serve(served.path());
    let work = tempfile::tempdir().expect("temp dir");
    let doc = doc(work.path(), &files, &canary);

    let off = install(
        &doc,
        &["--agent", "offline", "--no-apply", "--network", "off"],
        &[],
        4,
    );
    assert!(files.requests().is_empty(), "{}", off.describe());
    assert!(off.report["network"].as_array().is_some_and(Vec::is_empty));

    let policy = work.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[network]\ndeny = [\"127.0.0.1:{}\"]\n", files.port()),
    )
    .expect("write the policy");
    let denied = install(
        &doc,
        &[
            "--agent",
            "offline",
            "--no-apply",
            "--policy",
            policy.to_str().unwrap(),
        ],
        &[],
        4,
    );
    let context = denied.describe();
    assert!(files.requests().is_empty(), "{context}");
    assert!(canary.requests().is_empty(), "{context}");
}

#[test]
fn apply_on_this_machine_shows_what_its_rehearsal_reached() {
    if !is_root() {
        eprintln!("skipped: the egress fence needs root");
        return;
    }
    let served = tempfile::tempdir().expect("temp dir");
    std::fs::write(served.path().join("hello"), "hello\n").expect("write");
    let files = FileServer::serve(served.path());
    let work = tempfile::tempdir().expect("temp dir");
    let probe =
        crate::common::run_expecting(crate::common::agent_install().args(["probe", "--json"]), 0);
    let probe: serde_json::Value = serde_json::from_str(&probe.stdout).expect("probe JSON");
    // A step that downloads to nowhere: harmless on this machine, fenced in the rehearsal.
    let plan = serde_json::json!({
        "schema_version": 1,
        "generator": "agent-install test",
        "doc": { "source": "/nonexistent/doc.md", "sha256": "0".repeat(64) },
        "probe": { "fingerprint": probe["fingerprint"], "summary": "this machine" },
        "route": null,
        "agent": { "kind": "offline" },
        "steps": [{
            "command": format!("curl -fsS {} -o /dev/null", files.url("/hello")),
            "purpose": "test",
            "risks": [],
            "decision": "allow",
        }],
        "verification": ["true"],
        "verified": true,
    });
    let path = work.path().join("plan.json");
    std::fs::write(&path, plan.to_string()).expect("write the plan");
    let state = work.path().join("state");
    let applied = crate::common::invoke(
        "apply",
        &path,
        &["--yes"],
        &[("AGENT_INSTALL_STATE_DIR", state.to_str().unwrap())],
        0,
    );
    let context = applied.describe();
    assert!(
        applied.output.stderr.contains(&format!(
            "network the rehearsal before the apply: contacted 127.0.0.1:{} (",
            files.port()
        )),
        "{context}"
    );
    // Once in the rehearsal (through the fence), once here.
    assert_eq!(
        files
            .requests()
            .iter()
            .filter(|line| line.starts_with("GET /hello"))
            .count(),
        2,
        "{context}"
    );
}

#[test]
fn an_upstream_proxy_is_used_without_the_fence_and_said_so() {
    if !is_root() {
        eprintln!("skipped: the egress fence needs root");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let doc = work.path().join("doc.md");
    std::fs::write(
        &doc,
        "# Installing hx\n\n## Linux\n\n```sh\ntouch /tmp/hx\n```\n",
    )
    .expect("write the doc");
    let output = crate::common::agent_install()
        .arg("run")
        .arg(&doc)
        .args([
            "--agent",
            "offline",
            "--no-apply",
            "--no-cache",
            "--max-steps",
            "1",
        ])
        .env("https_proxy", "http://127.0.0.1:9")
        .output()
        .expect("agent-install runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr
            .matches(
                "https_proxy is set: the sandbox uses that proxy directly, without the egress fence"
            )
            .count(),
        1,
        "{stderr}"
    );
}
