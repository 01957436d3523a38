//! `provision` without the network: a tiny root filesystem (dash and a few coreutils copied
//! from this machine) as a tarball base, plans replayed without an agent, the image used as
//! the OCI-archive base of the next one, whiteouts across layers, a failing input that writes
//! nothing, and every bad argument with its exit status and hint.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::provision::*;
use crate::common::{fixture, is_root};

/// Builds a tiny root filesystem tarball: `/bin/sh` (dash), the tools the sandbox and these
/// plans need, their shared libraries, and `/etc/deleteme` for a step to delete.
fn tiny_rootfs_tarball(directory: &Path) -> PathBuf {
    let root = directory.join("tiny-rootfs");
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join("root")).unwrap();
    let mut libraries = Vec::new();
    for tool in ["dash", "rm", "env", "cat", "id", "ls", "chmod", "mkdir"] {
        let host = Path::new("/bin").join(tool);
        fs::copy(&host, root.join("bin").join(tool)).unwrap();
        let ldd = Command::new("ldd").arg(&host).output().expect("ldd runs");
        for word in String::from_utf8_lossy(&ldd.stdout).split_whitespace() {
            if word.starts_with('/') && !libraries.contains(&word.to_string()) {
                libraries.push(word.to_string());
            }
        }
    }
    for library in &libraries {
        let target = root.join(library.trim_start_matches('/'));
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(library, &target).unwrap();
    }
    std::os::unix::fs::symlink("dash", root.join("bin/sh")).unwrap();
    fs::write(root.join("etc/deleteme"), "old\n").unwrap();
    let tarball = directory.join("tiny.tar.gz");
    let encoder = flate2::write::GzEncoder::new(
        fs::File::create(&tarball).unwrap(),
        flate2::Compression::fast(),
    );
    let mut builder = tar::Builder::new(encoder);
    builder.follow_symlinks(false);
    builder.append_dir_all(".", &root).unwrap();
    // A device node, as real root filesystems have (written into the tar only).
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_mode(0o755);
    header.set_size(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    builder
        .append_data(&mut header, "./dev/", std::io::empty())
        .unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Char);
    header.set_mode(0o666);
    header.set_size(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_device_major(1).unwrap();
    header.set_device_minor(3).unwrap();
    builder
        .append_data(&mut header, "./dev/null", std::io::empty())
        .unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    tarball
}

/// A plan (schema v1) with the given steps and verification, written to `path`.
fn write_plan(path: &Path, name: &str, steps: &[&str], verification: &[&str]) {
    let plan = serde_json::json!({
        "schema_version": 1,
        "generator": "provision test",
        "doc": { "source": format!("{name}.md"), "sha256": format!("{:064}", 0), "name": name },
        "probe": { "fingerprint": "test", "summary": "tiny rootfs" },
        "route": null,
        "agent": { "kind": "scripted" },
        "steps": steps.iter().map(|command| serde_json::json!({
            "command": command, "purpose": "test step", "risks": [], "decision": "allow"
        })).collect::<Vec<_>>(),
        "verification": verification,
        "verified": true,
    });
    fs::write(path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

/// Helper state: a temp dir with the tiny base and a cache of its own (the tarball differs on
/// every run, so it must not grow the user's cache).
struct Tiny {
    temp: tempfile::TempDir,
    tarball: PathBuf,
}

impl Tiny {
    fn new() -> Tiny {
        let temp = tempfile::Builder::new()
            .prefix("provision-test-")
            .tempdir()
            .unwrap();
        let tarball = tiny_rootfs_tarball(temp.path());
        Tiny { temp, tarball }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    fn cache(&self) -> String {
        self.path("cache").display().to_string()
    }

    fn provision(&self, args: &[&str], status: i32) -> crate::common::Output {
        let cache = self.cache();
        provision(args, &[("AGENT_INSTALL_CACHE", cache.as_str())], status)
    }
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn plans_on_a_tarball_base_then_on_that_image_as_an_oci_archive_base() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let tiny = Tiny::new();
    let out = tiny.path("out");
    fs::create_dir(&out).unwrap();

    // 1. A tarball base and a plan: a new file and a deleted one (a whiteout).
    let hello_plan = tiny.path("hello.json");
    write_plan(
        &hello_plan,
        "hello",
        &[
            "mkdir -p /usr/local/bin && echo 'echo hello 1.0' > /usr/local/bin/hello && chmod 755 /usr/local/bin/hello",
            "rm /etc/deleteme",
            "export HELLO_GREETING=bonjour",
        ],
        &["hello", "test ! -e /etc/deleteme"],
    );
    let first = out.join("hello.tar");
    tiny.provision(
        &[
            "--base",
            &text(&tiny.tarball),
            &text(&hello_plan),
            "--output",
            &text(&first),
            "--tag",
            "tiny/hello:1",
        ],
        0,
    );
    assert_eq!(names_in(&out), ["hello.plan.json", "hello.tar"]);
    let layout = Layout::unpack(&first, &tiny.path("layout-1"));
    let first_layers = layout.layer_digests();
    assert_eq!(first_layers.len(), 2, "base + delta");
    assert_eq!(
        layout.index()["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "tiny/hello:1"
    );
    // The base's device node survived the unpacking and the base layer as a device.
    let base_layer = layout.blob(&first_layers[0]);
    let null = tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(&base_layer).unwrap(),
    ))
    .entries()
    .unwrap()
    .map(Result::unwrap)
    .find(|entry| entry.path().unwrap() == Path::new("dev/null"))
    .map(|entry| {
        let header = entry.header();
        (
            header.entry_type(),
            header.device_major().unwrap(),
            header.device_minor().unwrap(),
        )
    });
    assert_eq!(null, Some((tar::EntryType::Char, Some(1), Some(3))));
    let delta = layout.blob(&first_layers[1]);
    let entries: Vec<String> = tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(&delta).unwrap(),
    ))
    .entries()
    .unwrap()
    .map(|entry| entry.unwrap().path().unwrap().display().to_string())
    .collect();
    assert!(
        entries.contains(&"etc/.wh.deleteme".to_string()),
        "{entries:?}"
    );
    assert!(
        entries.contains(&"usr/local/bin/hello".to_string()),
        "{entries:?}"
    );
    let bundle = read_json(&out.join("hello.plan.json"));
    assert_eq!(bundle["kind"], "agent-install-plan-bundle");
    assert_eq!(bundle["plans"].as_array().unwrap().len(), 1);
    assert_eq!(
        bundle["plans"][0]["steps"][1]["command"],
        "rm /etc/deleteme"
    );
    // A variable a step exported is in the image's environment, after the default PATH.
    let env = layout.config()["config"]["Env"].clone();
    assert_eq!(
        env,
        serde_json::json!([
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HELLO_GREETING=bonjour"
        ])
    );

    // 2. That image as the base of the next: its layers are kept as they are, and a deletion
    //    in the new layer hides a file of a lower layer.
    let world_plan = tiny.path("world.json");
    write_plan(
        &world_plan,
        "world",
        &[
            "echo 'echo world 2.0' > /usr/local/bin/world && chmod 755 /usr/local/bin/world",
            "rm /usr/local/bin/hello",
        ],
        &["world", "test ! -e /usr/local/bin/hello"],
    );
    let second = out.join("world.tar");
    tiny.provision(
        &[
            "--base",
            &text(&first),
            &text(&world_plan),
            "--output",
            &text(&second),
            "--tag",
            "tiny/world:2",
        ],
        0,
    );
    let layout = Layout::unpack(&second, &tiny.path("layout-2"));
    let layers = layout.layer_digests();
    assert_eq!(layers.len(), 3, "{layers:?}");
    assert_eq!(
        layers[..2],
        first_layers[..],
        "the base image's layers are reused"
    );
    let config = layout.config();
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 3);
    // The base image's history is kept and ours appended: base, hello, its layer, world, ours.
    assert_eq!(config["history"].as_array().unwrap().len(), 5, "{config}");
    assert_eq!(
        config["config"]["Labels"]["io.agent-install.doc.1.source"],
        "world.md"
    );

    let root = tiny.path("applied");
    layout.apply_to(&root);
    assert!(!root.join("etc/deleteme").exists(), "whited out in layer 2");
    assert!(
        !root.join("usr/local/bin/hello").exists(),
        "whited out in layer 3"
    );
    let run = chroot(&root, "world");
    assert_eq!(run.stdout.trim(), "world 2.0", "{run:?}");

    // 3. The bundle rebuilds the image with no agent, byte for byte.
    let rebuilt = out.join("rebuilt.tar");
    tiny.provision(
        &[
            "--base",
            &text(&first),
            &text(&out.join("world.plan.json")),
            "--output",
            &text(&rebuilt),
            "--tag",
            "tiny/world:2",
        ],
        0,
    );
    let rebuilt_layers = Layout::unpack(&rebuilt, &tiny.path("layout-3")).layer_digests();
    assert_eq!(rebuilt_layers, layers);
    assert_eq!(
        fs::read(out.join("rebuilt.plan.json")).unwrap(),
        fs::read(out.join("world.plan.json")).unwrap(),
        "the bundle of a rebuild is its input, byte for byte"
    );
}

#[test]
fn a_doc_with_a_scripted_agent_becomes_a_layer_and_a_plan_that_rebuilds_it() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let tiny = Tiny::new();
    let out = tiny.path("out");
    fs::create_dir(&out).unwrap();
    let doc = tiny.path("greet.md");
    fs::write(
        &doc,
        "+++\nname = \"greet\"\nverify = [\"greet\"]\n+++\n\n# Installing greet\n\n```sh\n\
         mkdir -p /usr/local/bin && echo 'echo greetings' > /usr/local/bin/greet && chmod 755 /usr/local/bin/greet\n```\n",
    )
    .unwrap();
    let script = tiny.path("actions.json");
    fs::write(
        &script,
        r#"[
  {"action": "run", "command": "mkdir -p /usr/local/bin && echo 'echo greetings' > /usr/local/bin/greet && chmod 755 /usr/local/bin/greet", "purpose": "install greet"},
  {"action": "done", "summary": "greet installed"}
]"#,
    )
    .unwrap();
    let image = out.join("greet.tar");
    let (base, doc, script, image_text) =
        (text(&tiny.tarball), text(&doc), text(&script), text(&image));
    tiny.provision(
        &[
            "--base",
            &base,
            &doc,
            "--agent",
            "scripted",
            "--script",
            &script,
            "--output",
            &image_text,
        ],
        0,
    );
    let bundle = read_json(&out.join("greet.plan.json"));
    assert_eq!(bundle["plans"][0]["agent"]["kind"], "scripted");
    assert_eq!(
        bundle["plans"][0]["verification"],
        serde_json::json!(["greet"])
    );
    let layers = Layout::unpack(&image, &tiny.path("layout-doc")).layer_digests();

    // The bundle replays without any agent flag and gives the same layers.
    let rebuilt = out.join("rebuilt.tar");
    tiny.provision(
        &[
            "--base",
            &base,
            &text(&out.join("greet.plan.json")),
            "--output",
            &text(&rebuilt),
        ],
        0,
    );
    let layout = Layout::unpack(&rebuilt, &tiny.path("layout-plan"));
    assert_eq!(layout.layer_digests(), layers);
    let root = tiny.path("applied");
    layout.apply_to(&root);
    assert_eq!(chroot(&root, "greet").stdout.trim(), "greetings");

    // --agent scripted without --script fails before anything runs (usage, 2).
    let output = tiny.provision(
        &[
            "--base",
            &base,
            &doc,
            "--agent",
            "scripted",
            "--output",
            &image_text,
        ],
        2,
    );
    assert!(output.stderr.contains("--script"), "{}", output.stderr);
}

#[test]
fn a_failing_input_writes_no_image_and_exits_with_its_status() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let tiny = Tiny::new();
    let out = tiny.path("out");
    fs::create_dir(&out).unwrap();
    let plan = tiny.path("ok.json");
    write_plan(&plan, "ok", &["echo ok > /ok"], &["test -f /ok"]);
    let image = out.join("image.tar");
    let base = text(&tiny.tarball);
    let plan = text(&plan);
    let image_text = text(&image);

    // A doc whose only hope fails: the agent finds no commands (exit 4).
    let output = tiny.provision(
        &[
            "--base",
            &base,
            &plan,
            &text(&fixture("docs/no-commands.md")),
            "--output",
            &image_text,
        ],
        4,
    );
    assert!(
        output.stderr.contains("no-commands.md"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("no image was written"),
        "{}",
        output.stderr
    );
    assert!(names_in(&out).is_empty(), "left: {:?}", names_in(&out));

    // A plan whose step fails (4) and one whose verification fails (5).
    let broken = tiny.path("broken.json");
    write_plan(&broken, "broken", &["false"], &[]);
    let output = tiny.provision(
        &[
            "--base",
            &base,
            &plan,
            &text(&broken),
            "--output",
            &image_text,
        ],
        4,
    );
    assert!(
        output
            .stderr
            .contains("step 1 `false` exited with status 1"),
        "{}",
        output.stderr
    );
    // A plan is input like a doc: a step the policy refuses stops it before any step runs (6).
    let prying = tiny.path("prying.json");
    write_plan(
        &prying,
        "prying",
        &["echo ran > /first-step-ran", "cat ~/.ssh/id_rsa"],
        &[],
    );
    let output = tiny.provision(
        &["--base", &base, &text(&prying), "--output", &image_text],
        6,
    );
    assert!(
        output.stderr.contains("not replayed: step 2"),
        "{}",
        output.stderr
    );
    assert!(
        !output.stderr.contains("first-step-ran"),
        "{}",
        output.stderr
    );
    let unverified = tiny.path("unverified.json");
    write_plan(&unverified, "unverified", &["true"], &["test -f /missing"]);
    let output = tiny.provision(
        &["--base", &base, &text(&unverified), "--output", &image_text],
        5,
    );
    assert!(
        output.stderr.contains("test -f /missing"),
        "{}",
        output.stderr
    );
    assert!(names_in(&out).is_empty(), "left: {:?}", names_in(&out));
}

#[test]
fn sigint_during_a_step_exits_130_and_leaves_nothing() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    use std::io::{BufRead, BufReader};
    let tiny = Tiny::new();
    let out = tiny.path("out");
    fs::create_dir(&out).unwrap();
    let plan = tiny.path("slow.json");
    write_plan(&plan, "slow", &["echo started; while :; do :; done"], &[]);
    let sandbox_temp = tiny.path("sandbox-temp");
    fs::create_dir(&sandbox_temp).unwrap();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("agent-install"))
        .args([
            "provision",
            "--json",
            "--base",
            &text(&tiny.tarball),
            &text(&plan),
        ])
        .args(["--output", &text(&out.join("image.tar"))])
        .env("AGENT_INSTALL_CACHE", tiny.cache())
        .env("TMPDIR", &sandbox_temp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the step's first output line: the loop is running inside the sandbox.
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    for line in lines.by_ref() {
        if line.unwrap().contains("\"line\":\"started\"") {
            break;
        }
    }
    // SAFETY: kill has no memory-safety preconditions; the pid is our own child's.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(names_in(&out).is_empty(), "left: {:?}", names_in(&out));
    crate::common::assert_no_leftovers(&sandbox_temp);
}

/// Each case: arguments before `--output`, the exit status, text the error must contain, and
/// text the hint must contain. Nothing may appear in the output directory.
#[test]
fn bad_arguments_exit_with_their_status_and_a_hint() {
    let temp = tempfile::Builder::new()
        .prefix("provision-args-")
        .tempdir()
        .unwrap();
    let out = temp.path().join("out");
    fs::create_dir(&out).unwrap();
    let image = text(&out.join("image.tar"));
    // A directory that passes the base check (it has /bin/sh) without being run.
    let rootfs = temp.path().join("rootfs");
    fs::create_dir_all(rootfs.join("bin")).unwrap();
    std::os::unix::fs::symlink("dash", rootfs.join("bin/sh")).unwrap();
    let rootfs = text(&rootfs);
    let empty = temp.path().join("empty-dir");
    fs::create_dir(&empty).unwrap();
    let junk = temp.path().join("junk.tar");
    fs::write(&junk, "this is not a tar archive at all").unwrap();
    let bad_plan = temp.path().join("bad-plan.json");
    fs::write(&bad_plan, "{\"schema_version\": 1, \"steps\": 3}").unwrap();
    let cache = text(&temp.path().join("cache"));
    let env = [("AGENT_INSTALL_CACHE", cache.as_str())];
    let missing = text(&temp.path().join("missing"));
    let missing_doc = text(&temp.path().join("no-such-doc.md"));
    let empty = text(&empty);
    let junk = text(&junk);
    let bad_plan = text(&bad_plan);
    let cases: Vec<(Vec<&str>, i32, &str, &str)> = vec![
        (
            vec!["--base", &missing, "jq"],
            2,
            "cannot be used",
            "hint: pass a root filesystem directory",
        ),
        (vec!["--base", &empty, "jq"], 2, "no /bin/sh", "hint:"),
        (
            vec!["--base", &junk, "jq"],
            2,
            "not a readable tar archive",
            "hint:",
        ),
        (
            vec!["--base", "/", "jq"],
            2,
            "host's own root filesystem",
            "hint:",
        ),
        (
            vec!["--base", &rootfs, "jq", "--tag", "Not A Name"],
            2,
            "not a valid image name",
            "hint: write NAME:TAG",
        ),
        (
            vec!["--base", &rootfs, &missing_doc],
            3,
            "no-such-doc.md",
            "hint:",
        ),
        (
            vec!["--base", &rootfs, &bad_plan],
            2,
            "is not a plan or a plan bundle",
            "hint: pass a plan",
        ),
        (
            vec!["--base", &rootfs, "jq", "--timeout", "soon"],
            2,
            "--timeout soon",
            "hint: write a duration",
        ),
    ];
    let cases: Vec<(Vec<String>, i32, &str, &str)> = cases
        .into_iter()
        .map(|(args, status, message, hint)| {
            (
                args.into_iter().map(str::to_string).collect(),
                status,
                message,
                hint,
            )
        })
        .collect();
    for (arguments, status, message, hint) in &cases {
        let mut args: Vec<&str> = arguments.iter().map(String::as_str).collect();
        args.extend(["--output", image.as_str()]);
        let output = provision(&args, &env, *status);
        assert!(
            output.stderr.contains(message),
            "{args:?}\n{}",
            output.stderr
        );
        assert!(output.stderr.contains(hint), "{args:?}\n{}", output.stderr);
        assert!(
            names_in(&out).is_empty(),
            "{args:?} left {:?}",
            names_in(&out)
        );
    }

    // --output in a directory that does not exist, and --output naming a directory.
    let nowhere = text(&temp.path().join("nowhere/image.tar"));
    let output = provision(&["--base", &rootfs, "jq", "--output", &nowhere], &env, 2);
    assert!(
        output.stderr.contains("does not exist"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("hint:"), "{}", output.stderr);
    let output = provision(&["--base", &rootfs, "jq", "--output", &text(&out)], &env, 2);
    assert!(
        output.stderr.contains("is a directory"),
        "{}",
        output.stderr
    );

    // A directory nothing can be written to (even by root): exit 1, before anything runs.
    let output = provision(
        &["--base", &rootfs, "jq", "--output", "/proc/image.tar"],
        &env,
        1,
    );
    assert!(
        output
            .stderr
            .contains("could not write beside /proc/image.tar"),
        "{}",
        output.stderr
    );
}
