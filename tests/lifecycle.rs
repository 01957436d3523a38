//! The install lifecycle end to end (issue 15): apply → list → show → uninstall / undo, on the
//! "host" of a throwaway root filesystem — never the test machine's own `/`.
//!
//! Each test copies the cached Debian minbase rootfs into a temp dir, puts the binary under
//! test into it, and runs agent-install chrooted there in a private mount namespace (with
//! `/proc`, `/dev` and `/sys` mounted and the root bind-mounted onto itself, so the overlay
//! sandbox inside can pivot). For that agent-install the copy *is* the machine: `--apply`
//! changes it, records land in its `/var/lib/agent-install`, and an uninstall rehearses in an
//! overlay over it. Products come from a local HTTP server (the widget tarball) and from the
//! Debian mirror (jq).

mod common;
mod sandbox_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{FileServer, Output, build_tarball, is_root};

/// A copy of the minbase rootfs that agent-install treats as its machine.
struct Machine {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Machine {
    fn new() -> Machine {
        let minbase = sandbox_support::minbase();
        let dir = tempfile::Builder::new()
            .prefix("lifecycle-machine-")
            .tempdir_in("/var/tmp")
            .expect("temp dir");
        let root = dir.path().join("root");
        let copied = Command::new("cp")
            .arg("-a")
            .arg(&minbase)
            .arg(&root)
            .status()
            .expect("cp runs");
        assert!(copied.success(), "copying the minbase rootfs failed");
        std::fs::copy(
            env!("CARGO_BIN_EXE_agent-install"),
            root.join("usr/local/bin/agent-install"),
        )
        .expect("copy the binary");
        let resolv = root.join("etc/resolv.conf");
        let _ = std::fs::remove_file(&resolv);
        std::fs::copy("/etc/resolv.conf", &resolv).expect("copy resolv.conf");
        Machine { _dir: dir, root }
    }

    /// Writes a file into the machine.
    fn write(&self, path: &str, text: &str) {
        let file = self.root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(file, text).expect("write");
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path.trim_start_matches('/'))
    }

    /// Runs a shell script as root on the machine.
    fn sh(&self, script: &str) -> Output {
        let setup = r#"
root=$1; shift
mount --make-rprivate /
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root NO_COLOR=1 AGENT_INSTALL_NO_CACHE=1 /bin/sh -c "$1"
"#;
        let output = Command::new("unshare")
            .args(["--mount", "--fork", "sh", "-c", setup, "sh"])
            .arg(&self.root)
            .arg(script)
            .output()
            .expect("unshare runs");
        Output::from(output)
    }

    /// Runs a script and expects `status`.
    fn expect(&self, script: &str, status: i32) -> Output {
        let output = self.sh(script);
        assert_eq!(
            output.status, status,
            "`{script}` exited {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status, output.stdout, output.stderr
        );
        output
    }

    fn json(&self, script: &str) -> serde_json::Value {
        let output = self.expect(script, 0);
        serde_json::from_str(&output.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", output.stdout))
    }

    /// Every path outside caches, logs, package indexes and agent-install's own records.
    fn tree(&self) -> BTreeMap<String, String> {
        sandbox_support::tree_digest(&self.root, &|path: &str| is_cache(path))
    }
}

/// The caches a removal does not take back (they are counted, not listed, in summaries).
fn is_cache(path: &str) -> bool {
    [
        "var/cache/",
        "var/log/",
        "var/lib/apt/lists",
        "var/lib/apt/extended_states",
        "var/lib/dpkg/status-old",
        "var/lib/dpkg/lock",
        "var/lib/dpkg/triggers/Lock",
        "var/lib/agent-install",
        "tmp/",
        "root/.cache",
        "root/widget-1.0.0-linux.tar.gz",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix) || format!("{path}/") == *prefix)
}

fn differences(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    for (path, digest) in before {
        match after.get(path) {
            None => found.push(format!("- {path}")),
            Some(now) if now != digest => found.push(format!("~ {path}")),
            _ => {}
        }
    }
    for path in after.keys() {
        if !before.contains_key(path) {
            found.push(format!("+ {path}"));
        }
    }
    found
}

/// The widget doc for a server on `port`, written into the machine as `/root/NAME.md`.
fn widget_doc(machine: &Machine, port: u16, name: &str, binary: &str) {
    let text = std::fs::read_to_string(common::fixture("run/widget-tarball.md"))
        .expect("fixture")
        .replace("@PORT@", &port.to_string());
    if binary == "widget" {
        machine.write(&format!("/root/{name}.md"), &text);
        return;
    }
    let text = text
        .replace("name = \"widget\"", &format!("name = \"{name}\""))
        .replace(
            "-C /usr/local/bin widget",
            &format!(
                "-C /usr/local/bin widget \\\n  && mv /usr/local/bin/widget /usr/local/bin/{binary}"
            ),
        )
        .replace("widget --version\n```", &format!("{binary} --version\n```"))
        .replace(
            "verify = [\"widget --version\"]",
            &format!("verify = [\"{binary} --version\"]"),
        );
    machine.write(&format!("/root/{name}.md"), &text);
}

fn serve_widget() -> (tempfile::TempDir, FileServer) {
    let served = tempfile::tempdir().expect("temp dir");
    build_tarball(served.path());
    let server = FileServer::serve(served.path());
    (served, server)
}

#[test]
fn a_tarball_install_is_listed_shown_and_uninstalled_leaving_an_edited_file() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "widget", "widget");
    // A config file the install will change: its pre-image must come back.
    machine.write("/etc/widget.conf", "colour = blue\n");
    let text = std::fs::read_to_string(machine.path("/root/widget.md")).expect("doc");
    machine.write(
        "/root/widget.md",
        &text.replace(
            "## Checking the installation",
            "Then turn on the widget's colours:\n\n```sh\necho 'colour = red' > /etc/widget.conf\n```\n\n## Checking the installation",
        ),
    );
    let before = machine.tree();

    let installed = machine.expect("cd /root && agent-install run widget.md --apply --yes", 0);
    assert!(
        installed.stderr.contains("recorded as widget-"),
        "{}",
        installed.stderr
    );
    assert!(
        installed
            .stderr
            .lines()
            .any(|line| line.contains("new executables:") && line.contains("/usr/local/bin/widget")),
        "{}",
        installed.stderr
    );
    assert!(machine.path("/usr/local/bin/widget").exists());

    let list = machine.json("agent-install list --json");
    let rows = list.as_array().expect("array");
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["name"], "widget");
    assert_eq!(rows[0]["version"], "widget 1.0.0");
    assert_eq!(rows[0]["state"], "installed");
    assert_eq!(rows[0]["route"], "release-binary");
    let table = machine.expect("agent-install list", 0);
    assert!(table.stdout.starts_with("NAME"), "{}", table.stdout);
    assert!(table.stdout.contains("widget 1.0.0"), "{}", table.stdout);

    let record = machine.json("agent-install show widget --json");
    let files: Vec<(&str, &str)> = record["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|file| {
            (
                file["path"].as_str().unwrap_or_default(),
                file["kind"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(
        files.contains(&("/usr/local/bin/widget", "added")),
        "{files:?}"
    );
    assert!(
        files.contains(&("/etc/widget.conf", "modified")),
        "{files:?}"
    );
    let conf = record["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|file| file["path"] == "/etc/widget.conf")
        .unwrap();
    let pre_image = conf["pre_image"].as_str().expect("a pre-image is kept");
    let kept = machine
        .path("/var/lib/agent-install/records")
        .join(record["id"].as_str().unwrap())
        .join(pre_image);
    assert_eq!(
        std::fs::read_to_string(&kept).expect("pre-image"),
        "colour = blue\n"
    );
    let shown = machine.expect("agent-install show widget", 0);
    assert!(
        shown.stdout.contains("+ /usr/local/bin/widget"),
        "{}",
        shown.stdout
    );
    assert!(shown.stdout.contains("pre-image"), "{}", shown.stdout);

    // Somebody edits the tarball's leftover after the install: it survives and is reported.
    machine.write("/root/notes.txt", "mine\n");
    let edited_binary = "#!/bin/sh\necho patched widget\n";
    // The downloaded tarball is in /root (the doc's cwd): edit the binary itself.
    std::fs::write(machine.path("/usr/local/bin/widget"), edited_binary).expect("edit");

    // The product's check still passes after the removal (the edited binary stays): the
    // rehearsal says so and nothing is applied.
    let kept_back = machine.expect("agent-install uninstall widget --yes", 5);
    assert!(
        kept_back.stderr.contains("changed after the install"),
        "{}",
        kept_back.stderr
    );
    assert!(
        kept_back.stderr.contains("still passes"),
        "{}",
        kept_back.stderr
    );
    assert_eq!(
        std::fs::read_to_string(machine.path("/etc/widget.conf")).unwrap(),
        "colour = red\n",
        "a refused uninstall changed the machine"
    );

    // Put the binary back as installed: now the uninstall goes through.
    std::fs::remove_file(machine.path("/usr/local/bin/widget")).unwrap();
    let tarball = _served.path().join("widget-1.0.0-linux.tar.gz");
    let unpacked = Command::new("tar")
        .arg("-xzf")
        .arg(&tarball)
        .arg("-C")
        .arg(machine.path("/usr/local/bin"))
        .arg("widget")
        .status()
        .unwrap();
    assert!(unpacked.success());
    // Without a terminal and without --yes: rehearsed, then refused (6), nothing changed.
    let refused = machine.expect("agent-install uninstall widget", 6);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(machine.path("/usr/local/bin/widget").exists());

    // Someone changes the config after the install: it is left, and said so.
    machine.write("/etc/widget.conf", "colour = green\n");
    let removed = machine.expect("agent-install uninstall widget --yes", 0);
    assert!(
        removed
            .stderr
            .contains("/etc/widget.conf: changed after the install; not restored"),
        "{}",
        removed.stderr
    );
    assert!(!machine.path("/usr/local/bin/widget").exists());
    assert_eq!(
        std::fs::read_to_string(machine.path("/etc/widget.conf")).unwrap(),
        "colour = green\n"
    );
    let gone = machine.sh("widget --version");
    assert_ne!(gone.status, 0, "widget still runs");
    let list = machine.json("agent-install list --json");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let all = machine.json("agent-install list --all --json");
    assert_eq!(all[0]["state"], "uninstalled", "{all}");
    let history = machine.json("agent-install show widget --json");
    assert!(
        history["left_behind"]
            .to_string()
            .contains("/etc/widget.conf"),
        "{history}"
    );

    // The tree is the pre-install tree, except the config file somebody changed and the
    // files this test wrote.
    let after = machine.tree();
    let mut left = differences(&before, &after);
    left.retain(|line| !line.ends_with(" root/notes.txt"));
    assert_eq!(left, vec!["~ etc/widget.conf".to_string()]);

    // Unknown names are usage errors with a hint.
    let unknown = machine.expect("agent-install uninstall nothing-like-it", 2);
    assert!(
        unknown.stderr.contains("agent-install list"),
        "{}",
        unknown.stderr
    );
    let unknown = machine.expect("agent-install show nothing-like-it", 2);
    assert!(unknown.stderr.contains("hint:"), "{}", unknown.stderr);
    let nothing = machine.expect("agent-install undo --yes", 2);
    assert!(
        nothing.stderr.contains("nothing to undo"),
        "{}",
        nothing.stderr
    );
}

#[test]
fn undo_after_two_installs_takes_back_only_the_second_and_concurrent_applies_keep_both_records() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "alpha", "alpha");
    widget_doc(&machine, server.port(), "beta", "beta");
    widget_doc(&machine, server.port(), "gamma", "gamma");
    let before = machine.tree();

    machine.expect("cd /root && agent-install run alpha.md --apply --yes", 0);
    let with_alpha = machine.tree();
    machine.expect("cd /root && agent-install run beta.md --apply --yes", 0);
    let undone = machine.expect("agent-install undo --yes", 0);
    assert!(
        undone.stderr.contains("uninstalled beta"),
        "{}",
        undone.stderr
    );
    // alpha's check ran as a neighbour and still passes.
    assert!(
        undone.stderr.contains("alpha --version"),
        "{}",
        undone.stderr
    );
    assert!(machine.path("/usr/local/bin/alpha").exists());
    assert!(!machine.path("/usr/local/bin/beta").exists());
    assert_eq!(
        differences(&with_alpha, &machine.tree()),
        Vec::<String>::new()
    );

    // Two applies at once: the lock serialises them and both records are kept.
    let both = machine.expect(
        "cd /root && (agent-install run beta.md --apply --yes > /tmp/b.log 2>&1 & \
         agent-install run gamma.md --apply --yes > /tmp/g.log 2>&1 & wait) ; \
         cat /tmp/b.log /tmp/g.log; beta --version && gamma --version",
        0,
    );
    assert!(both.stdout.contains("widget 1.0.0"), "{}", both.stdout);
    let list = machine.json("agent-install list --json");
    let mut names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|row| row["name"].as_str().unwrap_or_default())
        .collect();
    names.sort();
    assert_eq!(names, vec!["alpha", "beta", "gamma"], "{list}");
    for name in ["gamma", "beta", "alpha"] {
        machine.expect(&format!("agent-install uninstall {name} --yes"), 0);
    }
    assert_eq!(differences(&before, &machine.tree()), Vec::<String>::new());
}

#[test]
fn jq_from_apt_is_applied_and_uninstalled_leaving_the_tree_as_it_was() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    machine.write(
        "/root/jq.md",
        &std::fs::read_to_string(common::repo_root().join("install-docs/jq.md")).unwrap(),
    );
    let before = machine.tree();
    let installed = machine.expect("cd /root && agent-install run jq.md --apply --yes", 0);
    assert!(
        installed.stderr.contains("packages added: jq 1.6"),
        "{}",
        installed.stderr
    );
    let record = machine.json("agent-install show jq --json");
    let packages: Vec<String> = record["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|change| {
            format!(
                "{} {}",
                change["manager"].as_str().unwrap(),
                change["name"].as_str().unwrap()
            )
        })
        .collect();
    assert!(packages.contains(&"apt jq".to_string()), "{packages:?}");
    assert!(packages.contains(&"apt libjq1".to_string()), "{packages:?}");
    // Already installed: said in those words, and nothing is recorded as changed.
    let again = machine.expect("cd /root && agent-install run jq.md --no-apply", 0);
    assert!(
        again.stderr.contains("Already installed, nothing to do"),
        "{}",
        again.stderr
    );
    let removed = machine.expect("agent-install uninstall jq --yes", 0);
    assert!(
        removed.stderr.contains("apt-get purge"),
        "{}",
        removed.stderr
    );
    let dpkg = machine.sh("dpkg-query -W jq");
    assert_ne!(dpkg.status, 0, "dpkg still lists jq: {}", dpkg.stdout);
    assert_eq!(differences(&before, &machine.tree()), Vec::<String>::new());
}

#[allow(dead_code)]
fn unused(_: &Path) {}

#[test]
fn an_apply_killed_mid_way_leaves_a_record_that_says_so() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "widget", "widget");
    let text = std::fs::read_to_string(machine.path("/root/widget.md")).expect("doc");
    // Slow only on the machine itself: the store (and its lock) exists there once the apply
    // has begun, never in the rehearsal before it.
    machine.write(
        "/root/widget.md",
        &text.replace(
            "## Checking the installation",
            "Give it a moment:\n\n```sh\nif [ -e /var/lib/agent-install/lock ]; then sleep 4; fi\n```\n\n## Checking the installation",
        ),
    );
    let killed = machine.expect(
        "cd /root && { agent-install run widget.md --apply --yes > /tmp/run.log 2>&1 & pid=$!; }; \
         for i in $(seq 600); do [ -n \"$(ls /var/lib/agent-install/records 2>/dev/null)\" ] && break; sleep 0.1; done; \
         sleep 1; kill -9 $pid; wait $pid; echo status=$?; sleep 4",
        0,
    );
    assert!(killed.stdout.contains("status=137"), "{}", killed.stdout);
    let list = machine.json("agent-install list --json");
    assert_eq!(list[0]["name"], "widget", "{list}");
    assert_eq!(list[0]["state"], "applying", "{list}");
    let table = machine.expect("agent-install list", 0);
    assert!(table.stdout.contains("applying"), "{}", table.stdout);
}
