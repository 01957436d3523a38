//! Rootless: an unprivileged user gets the overlay sandbox through a user namespace (the host
//! root is split into per-directory overlays, since `lowerdir=/` fails there), or — where the
//! kernel refuses user namespaces — a clear exit 7 that names `--sandbox host`. Never a silent
//! fallback. Run as root, the test creates a throw-away user.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary, is_root};

/// A user created for the test and deleted afterwards.
struct TestUser {
    name: String,
    home: PathBuf,
}

impl TestUser {
    fn create() -> TestUser {
        let name = format!("aisbx{}", std::process::id() % 1_000_000);
        let status = Command::new("useradd")
            .args(["--create-home", "--shell", "/bin/sh", &name])
            .status()
            .expect("useradd");
        assert!(status.success(), "useradd {name} failed");
        TestUser {
            home: PathBuf::from(format!("/home/{name}")),
            name,
        }
    }

    fn uid(&self) -> u32 {
        let output = Command::new("id")
            .args(["-u", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap()
    }
}

impl Drop for TestUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel")
            .args(["--remove", &self.name])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[test]
fn an_unprivileged_user_gets_a_sandbox_or_a_clear_refusal() {
    let workspace = temp_root();
    fs::set_permissions(workspace.path(), fs::Permissions::from_mode(0o755)).unwrap();
    // A copy of the binary every user can execute (the build directory may not be).
    let program = workspace.path().join("agent-install");
    fs::copy(binary(), &program).unwrap();
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).unwrap();
    let sessions = workspace.path().join("sessions");
    fs::create_dir(&sessions).unwrap();

    let user = if is_root() {
        Some(TestUser::create())
    } else {
        None
    };
    let home = match &user {
        Some(user) => user.home.clone(),
        None => PathBuf::from(std::env::var("HOME").unwrap()),
    };
    let mut command = match &user {
        Some(user) => {
            std::os::unix::fs::chown(&sessions, Some(user.uid()), None).unwrap();
            let mut command = Command::new("/usr/sbin/runuser");
            command.args(["-u", &user.name, "--"]).arg(&program);
            command
        }
        None => Command::new(&program),
    };
    let output = command
        .args([
            "sandbox",
            "exec",
            "--json",
            "--",
            "id -u; echo sandboxed > ~/rootless-file; cat ~/rootless-file",
        ])
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", &home)
        .env("TMPDIR", &sessions)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => {
            assert!(
                stdout.contains(r#""line":"0""#),
                "root inside the user namespace:\n{stdout}"
            );
            assert!(stdout.contains(r#""line":"sandboxed""#), "{stdout}");
            let file = format!("{}/rootless-file", home.display());
            assert!(
                stdout.contains(&format!(r#""path":"{file}""#)),
                "delta lists the file:\n{stdout}"
            );
            assert!(!Path::new(&file).exists(), "the host home was written");
            // The egress fence needs root: a rootless run says so once, never silently.
            let doc = workspace.path().join("doc.md");
            fs::write(
                &doc,
                "# Installing hx\n\n## Linux\n\n```sh\ntouch ~/hx\n```\n",
            )
            .unwrap();
            fs::set_permissions(&doc, fs::Permissions::from_mode(0o644)).unwrap();
            let mut run = match &user {
                Some(user) => {
                    let mut command = Command::new("/usr/sbin/runuser");
                    command.args(["-u", &user.name, "--"]).arg(&program);
                    command
                }
                None => Command::new(&program),
            };
            let output = run
                .arg("run")
                .arg(&doc)
                .args([
                    "--agent",
                    "offline",
                    "--no-apply",
                    "--no-cache",
                    "--max-steps",
                    "2",
                ])
                .env_clear()
                .env(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                )
                .env("HOME", &home)
                .env("TMPDIR", &sessions)
                .env("AGENT_INSTALL_CACHE_DIR", workspace.path().join("cache"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(
                stderr.matches("the egress fence needs root").count(),
                1,
                "{stderr}"
            );
        }
        Some(7) => {
            eprintln!("user namespaces refused here; checking the refusal");
            assert!(stderr.contains("--sandbox host"), "{stderr}");
        }
        other => panic!("unexpected exit {other:?}\n{stdout}\n{stderr}"),
    }
    assert_clean(&sessions);
}
