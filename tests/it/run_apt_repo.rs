//! End to end on the Debian minbase rootfs: a third-party apt repository built by the test.
//!
//! The package `widget-tool` installs its program as `/usr/bin/widgettool`, while the doc
//! verifies `widget --version` — the situation of Debian's `fdfind` and `batcat`, with a name
//! no built-in table knows. Expected: the repository is added, the index refreshed, the package
//! installed, the verification fails with "command not found", and the renamed-binary repair
//! finds the new executable among the run's changes and links it. The plan records the link.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::common::{FileServer, install, is_root, run_doc};

/// Builds `widget-tool_1.0.0_all.deb` and a flat repository index (`Packages`) in `repo`.
fn build_repository(work: &Path, repo: &Path) {
    let package = work.join("widget-tool");
    fs::create_dir_all(package.join("DEBIAN")).expect("mkdir");
    fs::create_dir_all(package.join("usr/bin")).expect("mkdir");
    fs::write(
        package.join("DEBIAN/control"),
        "Package: widget-tool\nVersion: 1.0.0\nArchitecture: all\nMaintainer: agent-install tests <tests@example.invalid>\nDescription: a test package whose binary has another name\n",
    )
    .expect("control");
    let binary = package.join("usr/bin/widgettool");
    fs::write(&binary, "#!/bin/sh\necho \"widget 1.0.0\"\n").expect("binary");
    fs::set_permissions(&binary, fs::Permissions::from_mode(0o755)).expect("chmod");
    let built = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&package)
        .arg(repo.join("widget-tool_1.0.0_all.deb"))
        .output()
        .expect("dpkg-deb runs (apt-get install dpkg-dev)");
    assert!(
        built.status.success(),
        "dpkg-deb: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let scanned = Command::new("dpkg-scanpackages")
        .args([".", "/dev/null"])
        .current_dir(repo)
        .output()
        .expect("dpkg-scanpackages runs (apt-get install dpkg-dev)");
    assert!(
        scanned.status.success(),
        "dpkg-scanpackages: {}",
        String::from_utf8_lossy(&scanned.stderr)
    );
    fs::write(repo.join("Packages"), &scanned.stdout).expect("Packages");
}

fn host_has_package(name: &str) -> bool {
    Command::new("dpkg")
        .args(["-s", name])
        .output()
        .is_ok_and(|output| output.status.success())
}

#[test]
fn renamed_binary_from_a_local_apt_repository_is_linked() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let rootfs = crate::common::sandbox::minbase();
    let rootfs_status = crate::common::sandbox::file_hash(&rootfs.join("var/lib/dpkg/status"));
    let work = tempfile::tempdir().expect("temp dir");
    let repo = work.path().join("repo");
    fs::create_dir_all(&repo).expect("mkdir");
    build_repository(work.path(), &repo);
    let server = FileServer::serve(&repo);
    let doc = run_doc("apt-repo.md", server.port(), work.path());
    let plan = work.path().join("plan.json");

    let run = install(
        &doc,
        &[
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--plan-out",
            plan.to_str().expect("utf-8 path"),
        ],
        &[],
        0,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.route(), Some("apt"), "{context}");

    // `sudo` was dropped (root, no sudo on minbase) and apt got -y.
    let allowed = run.commands_with_decision("allow");
    assert!(
        allowed
            .iter()
            .any(|command| command.starts_with("echo \"deb [trusted=yes]")
                && command.contains("| tee /etc/apt/sources.list.d/widget.list")),
        "{context}"
    );
    assert!(
        allowed.contains(&"apt-get install -y widget-tool".to_string()),
        "{context}"
    );

    // The first verification failed, the repair linked the renamed binary, the second passed.
    assert!(
        run.repairs().iter().any(|rule| rule == "renamed-binary"),
        "{context}"
    );
    let link = "ln -sf '/usr/bin/widgettool' /usr/local/bin/widget";
    assert!(allowed.contains(&link.to_string()), "{context}");
    let verification = run.report["verification"].as_array().expect("verification");
    let results: Vec<bool> = verification
        .iter()
        .filter(|check| check["command"] == "widget --version")
        .map(|check| check["passed"] == true)
        .collect();
    assert_eq!(results, [false, true], "{context}");

    // apt really fetched from the test's repository (it asks for `/./widget-tool_...` in a
    // flat repository; the server records the path with the `.` resolved).
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|request| request == "GET /widget-tool_1.0.0_all.deb"),
        "{requests:?}"
    );

    // The plan holds what apply would replay: the doc's steps and the link, not the check.
    let plan: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&plan).expect("plan written")).expect("JSON");
    let planned: Vec<&str> = plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|step| step["command"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(planned.last(), Some(&link), "{planned:?}");
    assert!(!planned.contains(&"widget --version"), "{planned:?}");
    assert_eq!(plan["schema_version"], 1);
    assert_eq!(plan["route"]["name"], "apt");
    assert_eq!(plan["verified"], true);
    assert_eq!(plan["steps"][0]["decision"], "allow", "{plan:#}");
    assert_eq!(
        plan["verification"],
        serde_json::json!(["widget --version"])
    );

    // The host and the cached rootfs are untouched.
    assert!(!host_has_package("widget-tool"));
    assert!(!Path::new("/etc/apt/sources.list.d/widget.list").exists());
    assert!(!Path::new("/usr/local/bin/widget").exists());
    assert!(!rootfs.join("etc/apt/sources.list.d/widget.list").exists());
    assert!(!rootfs.join("usr/bin/widgettool").exists());
    assert_eq!(
        crate::common::sandbox::file_hash(&rootfs.join("var/lib/dpkg/status")),
        rootfs_status,
        "the rootfs's dpkg status changed"
    );
}
