//! The Debian minbase base: built once per machine by `sandboxes/debian-bookworm/build.sh`,
//! then `apt-get update && apt-get install -y jq && jq --version` works in a sandbox on it,
//! and neither the host nor the rootfs directory changed.

use std::path::Path;
use std::process::Command;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary, is_root};

#[test]
fn apt_installs_into_a_sandbox_on_the_minbase_rootfs() {
    if !is_root() {
        eprintln!("skipped: building the rootfs needs root");
        return;
    }
    let base = minbase();
    let temp = temp_root();
    let rootfs_before = tree_digest(&base, &|_| false);
    let host_status_before = file_hash(Path::new("/var/lib/dpkg/status"));
    let host_had_jq = Path::new("/usr/bin/jq").exists();

    let output = Command::new(binary())
        .args([
            "sandbox",
            "exec",
            "--base",
            "debian-bookworm",
            "--json",
            "--",
            "test -s \"$SSL_CERT_FILE\" && echo trust-carried; \
             apt-get update --error-on=any -o Acquire::Retries=2 -qq && \
             apt-get install -y -qq jq >/dev/null && jq --version",
        ])
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains(r#""line":"trust-carried""#), "{stdout}");
    assert!(stdout.contains(r#""line":"jq-1.6""#), "{stdout}");
    assert!(
        stdout.contains(r#""path":"/usr/bin/jq","kind":"added""#),
        "{stdout}"
    );
    // apt lists are noise: in the delta, but hidden from summaries.
    assert!(stdout.contains(r#""path":"/var/lib/apt/lists"#), "{stdout}");

    assert_eq!(
        tree_digest(&base, &|_| false),
        rootfs_before,
        "the rootfs dir changed"
    );
    assert_eq!(
        file_hash(Path::new("/var/lib/dpkg/status")),
        host_status_before,
        "host dpkg changed"
    );
    assert_eq!(
        Path::new("/usr/bin/jq").exists(),
        host_had_jq,
        "host /usr/bin changed"
    );
    assert_clean(temp.path());
}
