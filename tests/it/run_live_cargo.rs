//! Live rehearsal of a Rust crate from crates.io: the catalog's `choose`, in the overlay on the
//! host root (the minbase rootfs has no usable cargo; this machine has a current one), never
//! applied. The doc's rustup script is skipped (cargo is already here) or refused, the
//! `. "$HOME/.cargo/env"` that belongs to it is skipped, and `cargo install --locked choose`
//! builds and verifies — about two minutes, so this test has a file of its own and runs in
//! parallel with the others.

use std::path::Path;

use crate::common::{install, skip_unless_root};

#[test]
fn live_choose_via_cargo_on_the_host_overlay() {
    if skip_unless_root() {
        return;
    }
    if which::which("cargo").is_err() {
        eprintln!("skipped: no cargo on this machine");
        return;
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_string());
    let installed = Path::new(&home).join(".cargo/bin/choose");
    let host_had_choose = installed.exists() || which::which("choose").is_ok();

    let run = install(Path::new("choose"), &["--no-apply"], &[], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.route(), Some("cargo"), "{context}");
    assert!(
        run.steps()
            .iter()
            .any(|step| step["exit_status"] == 0
                && step["command"] == "cargo install --locked choose"),
        "{context}"
    );
    // The rustup script never ran: skipped because cargo is here, or refused (no --yes).
    assert!(
        !run.steps().iter().any(|step| step["exit_status"] == 0
            && step["command"]
                .as_str()
                .unwrap_or_default()
                .contains("sh.rustup.rs")),
        "{context}"
    );
    let checks: Vec<&serde_json::Value> = run.report["verification"]
        .as_array()
        .expect("verification")
        .iter()
        .filter(|check| check["passed"] == true)
        .collect();
    assert!(
        checks.iter().any(
            |check| check["command"] == "echo 'alpha beta gamma' | choose 1"
                && check["detail"] == "beta"
        ),
        "{context}"
    );
    assert_eq!(
        installed.exists() || which::which("choose").is_ok(),
        host_had_choose,
        "the host changed"
    );
}
