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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{FileServer, Output, build_tarball, is_root};

/// A copy of the minbase rootfs that agent-install treats as its machine.
struct Machine {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Machine {
    fn new() -> Machine {
        let minbase = crate::common::sandbox::minbase();
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
        crate::common::sandbox::tree_digest(&self.root, &|path: &str| is_cache(path))
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
    let text = std::fs::read_to_string(crate::common::fixture("run/widget-tarball.md"))
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
        &std::fs::read_to_string(crate::common::repo_root().join("install-docs/jq.md")).unwrap(),
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

/// Starts `script` in the machine in the background, waits until `ready` (a shell condition)
/// holds, kills it with SIGKILL a second later, then waits `linger` seconds for the children
/// it left (a step's `sleep`) to end.
fn kill_when(machine: &Machine, script: &str, ready: &str, linger: u32) {
    let killed = machine.expect(
        &format!(
            "cd /root && {{ {script} > /tmp/run.log 2>&1 & pid=$!; }}; \
             for i in $(seq 900); do if {ready}; then break; fi; sleep 0.1; done; \
             sleep 1; kill -9 $pid; wait $pid; echo status=$?; cat /tmp/run.log; sleep {linger}"
        ),
        0,
    );
    assert!(killed.stdout.contains("status=137"), "{}", killed.stdout);
}

/// The states of the records on disk, read without agent-install (which would settle them).
fn states_on_disk(machine: &Machine) -> Vec<String> {
    let mut states = Vec::new();
    let records = machine.path("/var/lib/agent-install/records");
    for entry in std::fs::read_dir(records).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path().join("record.json")).unwrap_or_default();
        let record: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        states.push(format!(
            "{} {}",
            record["name"].as_str().unwrap_or("?"),
            record["state"].as_str().unwrap_or("?")
        ));
    }
    states.sort();
    states
}

/// Slow only on the machine itself: the store (and its lock) exists there once the apply has
/// begun, never in the rehearsal before it.
const SLOW_ON_THE_MACHINE: &str = "if [ -e /var/lib/agent-install/lock ]; then sleep 4; fi";

#[test]
fn an_apply_killed_after_its_steps_is_completed_by_the_next_list() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "widget", "widget");
    let text = std::fs::read_to_string(machine.path("/root/widget.md")).expect("doc");
    machine.write(
        "/root/widget.md",
        &text.replace(
            "## Checking the installation",
            &format!(
                "Give it a moment:\n\n```sh\n{SLOW_ON_THE_MACHINE}\n```\n\n## Checking the installation"
            ),
        ),
    );
    kill_when(
        &machine,
        "agent-install run widget.md --apply --yes",
        "[ -e /usr/local/bin/widget ]",
        4,
    );
    assert_eq!(
        states_on_disk(&machine),
        vec!["widget applying".to_string()]
    );

    // The next run (here `list`) finds it, runs the check, and completes the record.
    let listed = machine.expect("agent-install list --json", 0);
    assert!(
        listed.stderr.contains("was interrupted; completed it")
            && listed.stderr.contains("`widget --version` passes"),
        "{}",
        listed.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    assert_eq!(list[0]["state"], "installed", "{list}");
    assert_eq!(list[0]["version"], "widget 1.0.0", "{list}");
    let record = machine.json("agent-install show widget --json");
    let widget = record["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|file| file["path"] == "/usr/local/bin/widget")
        .expect("the widget is recorded");
    assert!(widget["sha256"].is_string(), "{widget}");
    assert!(
        record["notes"].to_string().contains("interrupted apply"),
        "{record}"
    );
    // Settled once: the next list says nothing more.
    let again = machine.expect("agent-install list", 0);
    assert!(!again.stderr.contains("interrupted"), "{}", again.stderr);

    // With its hashes the record takes the widget back.
    machine.expect("agent-install uninstall widget --yes", 0);
    assert!(!machine.path("/usr/local/bin/widget").exists());
}

#[test]
fn an_apply_killed_before_the_product_is_there_is_rolled_back() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "widget", "widget");
    let text = std::fs::read_to_string(machine.path("/root/widget.md")).expect("doc");
    // Killed after the download (curl came from apt), before the binary is unpacked.
    machine.write(
        "/root/widget.md",
        &text.replace("tar -xzf", &format!("{SLOW_ON_THE_MACHINE}\ntar -xzf")),
    );
    let before = machine.tree();
    kill_when(
        &machine,
        "agent-install run widget.md --apply --yes",
        "[ -e /root/widget-1.0.0-linux.tar.gz ]",
        4,
    );
    assert_eq!(
        states_on_disk(&machine),
        vec!["widget applying".to_string()]
    );
    assert!(!machine.path("/usr/local/bin/widget").exists());

    let listed = machine.expect("agent-install list --json", 0);
    assert!(
        listed.stderr.contains("was interrupted; rolled it back")
            && listed.stderr.contains("`widget --version` fails")
            && listed.stderr.contains("apt-get purge"),
        "{}",
        listed.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let all = machine.json("agent-install list --all --json");
    assert_eq!(all[0]["state"], "uninstalled", "{all}");
    // What the partial apply did (curl from apt among it) is gone again.
    assert_eq!(differences(&before, &machine.tree()), Vec::<String>::new());
}

#[test]
fn an_uninstall_killed_mid_way_is_finished_by_the_next_run() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let (_served, server) = serve_widget();
    widget_doc(&machine, server.port(), "widget", "widget");
    machine.write("/etc/widget.conf", "colour = blue\n");
    let text = std::fs::read_to_string(machine.path("/root/widget.md")).expect("doc");
    machine.write(
        "/root/widget.md",
        &text.replace(
            "## Checking the installation",
            "Then turn on the widget's colours:\n\n```sh\necho 'colour = red' > /etc/widget.conf\n```\n\n## Checking the installation",
        ),
    );
    // A neighbour whose check is slow while a record says `uninstalling` (only on the
    // machine: the rehearsal runs before the record says so), so the kill lands after the
    // widget's removal steps and before the record is retired.
    widget_doc(&machine, server.port(), "slowpoke", "slowpoke");
    machine.expect("cd /root && agent-install run slowpoke.md --apply --yes", 0);
    machine.write(
        "/usr/local/bin/slowpoke",
        "#!/bin/sh\nif grep -qs '\"state\": \"uninstalling\"' /var/lib/agent-install/records/*/record.json; then sleep 4; fi\necho slowpoke 1.0\n",
    );
    machine.expect("cd /root && agent-install run widget.md --apply --yes", 0);

    kill_when(
        &machine,
        "agent-install uninstall widget --yes",
        "grep -qs '\"state\": \"uninstalling\"' /var/lib/agent-install/records/*/record.json",
        4,
    );
    assert_eq!(
        states_on_disk(&machine),
        vec![
            "slowpoke installed".to_string(),
            "widget uninstalling".to_string()
        ]
    );
    assert!(!machine.path("/usr/local/bin/widget").exists());

    // The next run (an uninstall of something else would do too; here `list`) finishes it.
    let listed = machine.expect("agent-install list --json", 0);
    assert!(
        listed.stderr.contains("the uninstall of widget")
            && listed.stderr.contains("was interrupted; finished it"),
        "{}",
        listed.stderr
    );
    let list: serde_json::Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|row| row["name"].as_str())
        .collect();
    assert_eq!(names, vec!["slowpoke"], "{list}");
    let all = machine.json("agent-install list --all --json");
    assert!(
        all.as_array()
            .expect("array")
            .iter()
            .any(|row| row["name"] == "widget" && row["state"] == "uninstalled"),
        "{all}"
    );
    // The restored config is not restored twice, nor reported as changed.
    assert_eq!(
        std::fs::read_to_string(machine.path("/etc/widget.conf")).unwrap(),
        "colour = blue\n"
    );
    assert!(
        !listed.stderr.contains("changed after the install"),
        "{}",
        listed.stderr
    );
}

/// A local Python index (PEP 503) holding `hellolc 1.0`, a wheel written by hand whose console
/// script `hellolc` prints its version.
fn python_index(dir: &Path) {
    let script = r#"
import base64, hashlib, os, sys, zipfile
root = sys.argv[1]
os.makedirs(os.path.join(root, "simple", "hellolc"), exist_ok=True)
os.makedirs(os.path.join(root, "files"), exist_ok=True)
wheel = "hellolc-1.0-py3-none-any.whl"
files = {
    "hellolc/__init__.py": "def main():\n    print('hellolc 1.0')\n",
    "hellolc-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: hellolc\nVersion: 1.0\n",
    "hellolc-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    "hellolc-1.0.dist-info/entry_points.txt": "[console_scripts]\nhellolc = hellolc:main\n",
}
record = []
for name, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{name},sha256={digest},{len(text.encode())}")
record.append("hellolc-1.0.dist-info/RECORD,,")
files["hellolc-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(os.path.join(root, "files", wheel), "w") as archive:
    for name, text in files.items():
        archive.writestr(name, text)
with open(os.path.join(root, "simple", "hellolc", "index.html"), "w") as page:
    page.write(f'<html><body><a href="../../files/{wheel}">{wheel}</a></body></html>\n')
with open(os.path.join(root, "simple", "index.html"), "w") as page:
    page.write('<html><body><a href="hellolc/">hellolc</a></body></html>\n')
"#;
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(dir)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "building the local index failed");
}

#[test]
fn a_pipx_package_from_a_local_index_is_applied_listed_shown_and_uninstalled() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let served = tempfile::tempdir().expect("temp dir");
    python_index(served.path());
    let server = FileServer::serve(served.path());
    machine.write(
        "/root/hellolc.md",
        &format!(
            "+++\nname = \"hellolc\"\nverify = [\"hellolc\"]\n+++\n\n# Installing hellolc\n\n\
             ## With pipx\n\n```sh\npipx install --index-url http://127.0.0.1:{}/simple/ hellolc\n```\n\n\
             ## Checking the installation\n\n```sh\nhellolc\n```\n",
            server.port()
        ),
    );
    let before = machine.tree();
    let installed = machine.expect("cd /root && agent-install run hellolc.md --apply --yes", 0);
    assert!(
        installed.stderr.contains("recorded as hellolc-"),
        "{}",
        installed.stderr
    );
    let list = machine.json("agent-install list --json");
    assert_eq!(list[0]["name"], "hellolc", "{list}");
    assert_eq!(list[0]["state"], "installed", "{list}");
    let record = machine.json("agent-install show hellolc --json");
    assert!(
        record["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .any(|change| change["manager"] == "pipx" && change["name"] == "hellolc"),
        "{}",
        record["packages"]
    );
    let removed = machine.expect("agent-install uninstall hellolc --yes", 0);
    assert!(
        removed.stderr.contains("pipx uninstall hellolc"),
        "{}",
        removed.stderr
    );
    assert!(!machine.path("/root/.local/bin/hellolc").exists());
    assert!(!machine.path("/root/.local/pipx/venvs/hellolc").exists());
    // pipx itself came from apt for this install and went with it.
    let pipx = machine.sh("pipx list --short");
    assert_ne!(pipx.status, 0, "pipx is still here: {}", pipx.stdout);
    // pipx's own logs (of the install and of the `pipx uninstall`) are logs, like /var/log:
    // counted as caches, not taken back; their directories stay with them.
    let left: Vec<String> = differences(&before, &machine.tree())
        .into_iter()
        .filter(|line| {
            let path = &line[2..];
            !(line.starts_with("+ ")
                && ("root/.local/pipx/logs".starts_with(path)
                    || path.starts_with("root/.local/pipx/logs/")))
        })
        .collect();
    assert_eq!(left, Vec::<String>::new());
}

/// `hellonpm-1.0.0.tgz`, made by `npm pack` from a tiny package whose `bin` prints its version.
fn npm_tarball(dir: &Path) -> PathBuf {
    let package = dir.join("hellonpm");
    std::fs::create_dir_all(package.join("bin")).expect("mkdir");
    std::fs::write(
        package.join("package.json"),
        r#"{"name": "hellonpm", "version": "1.0.0", "bin": {"hellonpm": "bin/hellonpm.js"}}"#,
    )
    .expect("write");
    std::fs::write(
        package.join("bin/hellonpm.js"),
        "#!/usr/bin/env node\nconsole.log('hellonpm 1.0.0');\n",
    )
    .expect("write");
    let packed = Command::new("npm")
        .arg("pack")
        .arg(&package)
        .current_dir(dir)
        .output()
        .expect("npm pack runs");
    assert!(
        packed.status.success(),
        "npm pack failed: {}",
        String::from_utf8_lossy(&packed.stderr)
    );
    dir.join("hellonpm-1.0.0.tgz")
}

#[test]
fn an_npm_package_from_a_local_tarball_is_applied_listed_shown_and_uninstalled() {
    if !is_root() {
        eprintln!("skipped: chroot and the overlay sandbox need root");
        return;
    }
    let machine = Machine::new();
    let work = tempfile::tempdir().expect("temp dir");
    let tarball = npm_tarball(work.path());
    std::fs::copy(&tarball, machine.path("/root/hellonpm-1.0.0.tgz")).expect("copy");
    machine.write(
        "/root/hellonpm.md",
        "+++\nname = \"hellonpm\"\nverify = [\"hellonpm\"]\n+++\n\n# Installing hellonpm\n\n\
         ## With npm\n\n```sh\nnpm install -g /root/hellonpm-1.0.0.tgz\n```\n\n\
         ## Checking the installation\n\n```sh\nhellonpm\n```\n",
    );
    let before = machine.tree();
    let installed = machine.expect("cd /root && agent-install run hellonpm.md --apply --yes", 0);
    assert!(
        installed.stderr.contains("recorded as hellonpm-"),
        "{}",
        installed.stderr
    );
    let list = machine.json("agent-install list --json");
    assert_eq!(list[0]["name"], "hellonpm", "{list}");
    assert_eq!(list[0]["state"], "installed", "{list}");
    let record = machine.json("agent-install show hellonpm --json");
    assert!(
        record["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .any(|change| change["manager"] == "npm"
                && change["name"] == "hellonpm"
                && change["after"] == "1.0.0"),
        "{}",
        record["packages"]
    );
    let removed = machine.expect("agent-install uninstall hellonpm --yes", 0);
    assert!(
        removed.stderr.contains("npm uninstall -g hellonpm"),
        "{}",
        removed.stderr
    );
    assert!(!machine.path("/usr/local/bin/hellonpm").exists());
    assert!(
        !machine
            .path("/usr/local/lib/node_modules/hellonpm")
            .exists()
    );
    // npm itself came from apt for this install and went with it.
    let npm = machine.sh("npm ls -g");
    assert_ne!(npm.status, 0, "npm is still here: {}", npm.stdout);
    // npm's cache and logs (~/.npm) are caches: counted, not taken back.
    let left: Vec<String> = differences(&before, &machine.tree())
        .into_iter()
        .filter(|line| {
            let path = &line[2..];
            !(line.starts_with("+ ") && (path == "root/.npm" || path.starts_with("root/.npm/")))
        })
        .collect();
    assert_eq!(left, Vec::<String>::new());
}
