//! The host is never written: files created, changed, deleted and chmod-ed in /etc, /usr and
//! $HOME inside the sandbox leave the host trees byte-for-byte the same, and the delta lists
//! exactly those changes, deletions included.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary, is_root};

/// Fixture directories on the host, removed again even if the test fails.
struct Fixtures {
    directories: Vec<PathBuf>,
}

impl Drop for Fixtures {
    fn drop(&mut self) {
        for directory in &self.directories {
            let _ = fs::remove_dir_all(directory);
        }
    }
}

fn make_fixture(directory: &Path) {
    fs::create_dir_all(directory.join("old-dir/inner")).unwrap();
    fs::write(directory.join("old-dir/inner/file"), "inner\n").unwrap();
    fs::write(directory.join("keep.conf"), "original\n").unwrap();
    fs::write(directory.join("drop.conf"), "to be deleted\n").unwrap();
    fs::write(directory.join("mode.conf"), "mode\n").unwrap();
    fs::set_permissions(
        directory.join("mode.conf"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
}

/// Digest of /etc, skipping files that other processes on a shared machine may legitimately
/// change while the test runs (user databases, caches).
fn etc_digest() -> BTreeMap<String, String> {
    let volatile = [
        "passwd",
        "group",
        "shadow",
        "gshadow",
        "subuid",
        "subgid",
        "ld.so.cache",
        "mtab",
    ];
    tree_digest(Path::new("/etc"), &|relative: &str| {
        let first = relative.split('/').next().unwrap_or("");
        volatile.iter().any(|name| {
            first == *name
                || first.starts_with(&format!("{name}-"))
                || first.starts_with(&format!("{name}."))
        }) || first.starts_with("agent-install-fixture-")
            || first.starts_with(".pwd.lock")
    })
}

#[test]
fn changes_stay_in_the_sandbox_and_the_delta_lists_them_exactly() {
    if !is_root() {
        eprintln!("skipped: writing fixtures into /etc and /usr needs root");
        return;
    }
    let temp = temp_root();
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_string());
    let tag = format!("agent-install-fixture-{}", std::process::id());
    let fixtures = Fixtures {
        directories: vec![
            PathBuf::from("/etc").join(&tag),
            PathBuf::from("/usr/local/share").join(&tag),
            PathBuf::from(&home).join(&tag),
        ],
    };
    for directory in &fixtures.directories {
        make_fixture(directory);
    }
    let digests_before: Vec<_> = fixtures
        .directories
        .iter()
        .map(|directory| tree_digest(directory, &|_| false))
        .collect();
    let etc_before = etc_digest();

    let script: String = fixtures
        .directories
        .iter()
        .map(|directory| {
            let d = directory.display();
            format!(
                "echo changed >> {d}/keep.conf && rm {d}/drop.conf && chmod 600 {d}/mode.conf && \
                 rm -rf {d}/old-dir && echo new > {d}/new.conf && mkdir {d}/new-dir && \
                 ln -s keep.conf {d}/link && "
            )
        })
        .collect::<String>()
        + "echo done";
    let output = Command::new(binary())
        .args(["sandbox", "exec", "--json", "--", &script])
        .env("TMPDIR", temp.path())
        .env("HOME", &home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "sandbox exec failed\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The host trees are untouched.
    for (directory, before) in fixtures.directories.iter().zip(&digests_before) {
        assert_eq!(
            &tree_digest(directory, &|_| false),
            before,
            "{} changed",
            directory.display()
        );
    }
    assert_eq!(etc_digest(), etc_before, "/etc changed");

    // The delta lists exactly the changes.
    let result: serde_json::Value = stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["type"] == "result")
        .expect("a result event");
    let mut listed: Vec<(String, String, String)> = result["delta"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["hidden"] == false)
        .map(|change| {
            (
                change["path"].as_str().unwrap().to_string(),
                change["kind"].as_str().unwrap().to_string(),
                format!("{:o}", change["entry"]["mode"].as_u64().unwrap()),
            )
        })
        .collect();
    listed.sort();
    let mut expected = Vec::new();
    for directory in &fixtures.directories {
        let d = directory.display();
        expected.extend([
            (format!("{d}/drop.conf"), "deleted", "644"),
            (format!("{d}/keep.conf"), "modified", "644"),
            (format!("{d}/link"), "added", "777"),
            (format!("{d}/mode.conf"), "modified", "600"),
            (format!("{d}/new-dir"), "added", "755"),
            (format!("{d}/new.conf"), "added", "644"),
            (format!("{d}/old-dir"), "deleted", "755"),
        ]);
    }
    let mut expected: Vec<(String, String, String)> = expected
        .into_iter()
        .map(|(path, kind, mode)| (path, kind.to_string(), mode.to_string()))
        .collect();
    expected.sort();
    assert_eq!(listed, expected);
    assert_clean(temp.path());
}

#[test]
fn secret_paths_of_the_host_are_masked() {
    if !is_root() {
        eprintln!("skipped: creating a home directory under /home needs root");
        return;
    }
    let temp = temp_root();
    let home = PathBuf::from(format!(
        "/home/agent-install-mask-test-{}",
        std::process::id()
    ));
    let fixtures = Fixtures {
        directories: vec![home.clone()],
    };
    fs::create_dir_all(home.join(".ssh")).unwrap();
    fs::create_dir_all(home.join(".aws")).unwrap();
    fs::create_dir_all(home.join(".cargo")).unwrap();
    fs::write(home.join(".ssh/id_ed25519"), "PRIVATE KEY\n").unwrap();
    fs::write(home.join(".aws/credentials"), "aws_secret_access_key=x\n").unwrap();
    fs::write(home.join(".netrc"), "machine x password y\n").unwrap();
    fs::write(home.join(".cargo/credentials.toml"), "token = \"z\"\n").unwrap();
    fs::write(home.join("visible.txt"), "not a secret\n").unwrap();
    let h = home.display();
    let output = Command::new(binary())
        .args([
            "sandbox",
            "exec",
            "--",
            &format!(
                "ls -A {h}/.ssh {h}/.aws; cat {h}/.netrc {h}/.cargo/credentials.toml; \
                 cat {h}/visible.txt; echo mine > {h}/.ssh/known_hosts && echo writable; \
                 umount {h}/.ssh 2>/dev/null || echo the mask stays; ls -A {h}/.ssh"
            ),
        ])
        .env("TMPDIR", temp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout,
        format!("{h}/.aws:\n\n{h}/.ssh:\nnot a secret\nwritable\nthe mask stays\nknown_hosts\n"),
        "secrets must be masked"
    );
    assert!(!home.join(".ssh/known_hosts").exists());
    drop(fixtures);
    assert_clean(temp.path());
}
