//! Installing from the exports, for real, inside sandboxes: the shell export of a verified jq
//! plan installs and verifies jq in a fresh minimal Debian (real apt, the Debian mirror), and
//! the Ansible export of a tree plan installs tree with `ansible-playbook -c local` inside an
//! overlay sandbox of this machine, twice, the second time changing nothing. The host is
//! checked untouched and no sandbox leaves anything behind. They need the network and root.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Output, agent_install, assert_no_leftovers, install, is_root};

/// A directory the sandbox can see: /tmp is a fresh tmpfs inside it (and the checkout itself
/// may live under /tmp, as CI's clean clones can), while /var/tmp is reached through the
/// overlay's lower layer.
fn visible_temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("agent-install-export-")
        .tempdir_in("/var/tmp")
        .unwrap()
}

/// `agent-install sandbox exec ARGS` with a TMPDIR of its own, checked for leftovers.
fn sandbox_exec(args: &[&str]) -> Output {
    let sandbox_temp = tempfile::Builder::new()
        .prefix("export-sandbox-")
        .tempdir()
        .unwrap();
    let output = Output::from(
        agent_install()
            .args(["sandbox", "exec"])
            .args(args)
            .env("TMPDIR", sandbox_temp.path())
            .output()
            .expect("agent-install runs"),
    );
    assert_no_leftovers(sandbox_temp.path());
    output
}

fn export(plan: &Path, format: &str, output: &Path) {
    crate::common::run_expecting(
        agent_install()
            .arg("export")
            .arg(plan)
            .args(["--format", format, "-o"])
            .arg(output),
        0,
    );
}

fn host_has(path: &str) -> bool {
    Path::new(path).exists()
}

#[test]
fn live_shell_export_installs_jq_in_a_fresh_minbase() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let directory = visible_temp_dir();
    let plan = directory.path().join("plan.json");
    let plan_argument = plan.display().to_string();
    let run = install(
        Path::new("jq"),
        &[
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--plan-out",
            &plan_argument,
        ],
        &[],
        0,
    );
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    let script = directory.path().join("install-jq.sh");
    export(&plan, "sh", &script);
    let text = std::fs::read_to_string(&script).unwrap();
    let shellcheck = Command::new("shellcheck").arg(&script).output().unwrap();
    assert!(
        shellcheck.status.success(),
        "{}\n{text}",
        String::from_utf8_lossy(&shellcheck.stdout)
    );

    // A fresh sandbox of the same rootfs: the script alone installs and verifies jq.
    let output = sandbox_exec(&["--base", "debian-bookworm", "--", "sh", "-c", &text]);
    let all = format!("{}{}", output.stdout, output.stderr);
    assert_eq!(output.status, 0, "{all}");
    assert!(all.contains("verifying: jq -n '1 + 1'"), "{all}");
    assert!(all.contains("jq: installed and verified"), "{all}");
    assert!(all.contains("/usr/bin/jq"), "the delta lists jq: {all}");
}

#[test]
fn a_failing_verification_fails_the_shell_export() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox needs root here");
        return;
    }
    let directory = visible_temp_dir();
    let mut plan =
        agent_install::plan::Plan::from_json(include_str!("../fixtures/export/echo-plan.json"))
            .unwrap();
    plan.verification = vec!["command -v no-such-tool-agent-install-test".to_string()];
    let path = directory.path().join("plan.json");
    std::fs::write(&path, plan.to_json()).unwrap();
    let script = directory.path().join("install.sh");
    export(&path, "sh", &script);
    let text = std::fs::read_to_string(&script).unwrap();
    let output = sandbox_exec(&["--network", "off", "--", "sh", "-c", &text]);
    let all = format!("{}{}", output.stdout, output.stderr);
    assert_ne!(output.status, 0, "{all}");
    assert!(all.contains("verifying: command -v no-such-tool"), "{all}");
    assert!(!all.contains("installed and verified"), "{all}");
}

#[test]
fn live_ansible_export_installs_tree_in_a_sandbox_and_is_idempotent() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox needs root here");
        return;
    }
    if host_has("/usr/bin/tree") {
        eprintln!("skipped: tree is installed on this machine, so the play would prove nothing");
        return;
    }
    let directory = visible_temp_dir();
    let plan: PathBuf = directory.path().join("plan.json");
    crate::common::run_expecting(
        agent_install()
            .args(["plan", "tree", "--format", "json", "-o"])
            .arg(&plan),
        0,
    );
    let playbook = directory.path().join("tree.yml");
    export(&plan, "ansible", &playbook);
    let play = format!(
        "ansible-playbook -c local -i localhost, {0} && ansible-playbook -c local -i localhost, {0}",
        playbook.display()
    );
    let output = sandbox_exec(&["--", &play]);
    let all = format!("{}{}", output.stdout, output.stderr);
    assert_eq!(output.status, 0, "{all}");
    let recaps: Vec<&str> = all
        .lines()
        .filter(|line| line.starts_with("localhost") && line.contains("failed="))
        .collect();
    assert_eq!(recaps.len(), 2, "{all}");
    assert!(
        recaps[0].contains("failed=0") && !recaps[0].contains("changed=0"),
        "{all}"
    );
    assert!(
        recaps[1].contains("changed=0") && recaps[1].contains("failed=0"),
        "the second run must change nothing: {all}"
    );
    assert!(all.contains("TASK [Verify: tree --version]"), "{all}");
    assert!(all.contains("/usr/bin/tree"), "the delta lists tree: {all}");
    assert!(!host_has("/usr/bin/tree"), "the host was changed");
}
