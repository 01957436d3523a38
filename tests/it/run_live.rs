//! Live rehearsals of catalog entries against the real registries (the Debian mirror, PyPI, the
//! npm registry), on the Debian minbase rootfs, never applied (`--no-apply`): jq via apt, a
//! Python application under PEP 668 (httpie, through pipx) and an npm CLI (prettier; HTTPS to
//! the registry works because the sandbox carries the host's CA bundle into the rootfs).
//!
//! Each test checks the outcome, the route, the repairs that had to fire, that verification
//! ran the tool, and that the host did not change. They need the network; each is its own test
//! so the runner spreads them over its threads.

use std::path::Path;
use std::process::Command;

use crate::common::{Install, install, is_root};

/// `dpkg-query`'s status line of a package on the host ("" when unknown).
fn host_package_status(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status} ${Version}", package])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).into_owned())
        .unwrap_or_default()
}

fn passed_checks(run: &Install) -> Vec<(String, String)> {
    run.report["verification"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|check| check["passed"] == true)
        .map(|check| {
            (
                check["command"].as_str().unwrap_or_default().to_string(),
                check["detail"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn rehearse_catalog_entry(name: &str) -> Install {
    let run = install(
        Path::new(name),
        &["--base", "debian-bookworm", "--no-apply"],
        &[],
        0,
    );
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    run
}

#[test]
fn live_jq_via_apt_on_minbase() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let rootfs = crate::common::sandbox::minbase();
    let host_before = host_package_status("jq");
    let run = rehearse_catalog_entry("jq");
    let context = run.describe();
    assert_eq!(run.route(), Some("apt"), "{context}");
    assert!(
        run.commands_with_decision("allow")
            .contains(&"apt-get install -y jq".to_string()),
        "{context}"
    );
    let checks = passed_checks(&run);
    assert!(
        checks
            .iter()
            .any(|(command, detail)| command == "jq --version" && detail.starts_with("jq-1.")),
        "{context}"
    );
    assert!(
        checks
            .iter()
            .any(|(command, detail)| command == "jq -n '1 + 1'" && detail == "2"),
        "{context}"
    );
    assert_eq!(host_package_status("jq"), host_before, "host dpkg changed");
    assert!(!rootfs.join("usr/bin/jq").exists(), "the rootfs changed");
}

#[test]
fn live_httpie_under_pep_668_on_minbase() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let host_had_venv = Path::new("/opt/pipx/venvs/httpie").exists();
    let run = rehearse_catalog_entry("httpie");
    let context = run.describe();
    // Either the pip route repaired into pipx, or the doc's own pipx route: both install with
    // pipx, never with pip into Debian's Python.
    assert!(matches!(run.route(), Some("pip" | "pipx")), "{context}");
    assert!(
        run.steps().iter().any(|step| step["exit_status"] == 0
            && step["command"]
                .as_str()
                .unwrap_or_default()
                .contains("pipx install httpie")),
        "{context}"
    );
    assert!(
        !run.commands_with_decision("allow")
            .iter()
            .any(|command| command.contains("--break-system-packages")),
        "{context}"
    );
    let checks = passed_checks(&run);
    for command in ["http --version", "https --version"] {
        assert!(
            checks.iter().any(|(check, _)| check == command),
            "{command}: {context}"
        );
    }
    assert_eq!(
        Path::new("/opt/pipx/venvs/httpie").exists(),
        host_had_venv,
        "the host changed"
    );
}

#[test]
fn live_prettier_via_npm_on_minbase() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let module = Path::new("/usr/local/lib/node_modules/prettier");
    let host_had_module = module.exists();
    let run = rehearse_catalog_entry("prettier");
    let context = run.describe();
    assert_eq!(run.route(), Some("npm"), "{context}");
    assert!(
        run.steps().iter().any(|step| step["exit_status"] == 0
            && step["command"]
                .as_str()
                .unwrap_or_default()
                .contains("npm install --global prettier")),
        "{context}"
    );
    assert!(
        passed_checks(&run)
            .iter()
            .any(|(command, detail)| command == "prettier --version"
                && detail.chars().next().is_some_and(|c| c.is_ascii_digit())),
        "{context}"
    );
    assert_eq!(module.exists(), host_had_module, "the host changed");
}
