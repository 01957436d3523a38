//! `agent-install plan`: the reviewer's dry run, on the real binary.
//!
//! Snapshots pin the text, JSON and Markdown views for every catalog doc, planned for the
//! cached minimal Debian rootfs (so the machine the tests run on does not leak in). Other tests
//! prove that nothing executes (no process besides the binary itself, no sandbox session, no
//! request to a server the doc's commands would call, the base's files unchanged), that every
//! plan validates against `schema/plan.schema.json`, and the exit statuses of bad input.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{FileServer, agent_install, repo_root, run_expecting};
use agent_install::plan::Plan;

/// The catalog's names (the file stems of `install-docs/`).
fn catalog() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("install-docs"))
        .expect("install-docs")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.file_name().is_some_and(|name| name != "README.md"))
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    names.sort();
    names
}

/// The cached minimal Debian rootfs that `--base debian-bookworm` names.
fn minbase() -> PathBuf {
    agent_install::sandbox::rootfs::cached("debian-bookworm").expect(
        "the debian-bookworm rootfs is not built: run scripts/setup.sh (or `agent-install sandbox exec --base debian-bookworm -- true`)",
    )
}

/// Snapshot settings that hide what changes between machines and builds.
fn redacted() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&minbase().display().to_string()), "[ROOTFS]");
    settings.add_filter(r"agent-install \d+\.\d+\.\d+", "agent-install [VERSION]");
    settings.add_filter(r"\b[0-9a-f]{64}\b", "[SHA256]");
    settings.add_filter(r"\b[0-9a-f]{16}\b", "[HASH]");
    settings
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let special = "\\.+*?()|[]{}^$".contains(c);
            special
                .then_some('\\')
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect()
}

fn plan_output(doc: &str, format: &str) -> String {
    run_expecting(
        agent_install().args(["plan", doc, "--base", "debian-bookworm", "--format", format]),
        0,
    )
    .stdout
}

#[test]
fn catalog_plans_in_every_format() {
    let settings = redacted();
    for name in catalog() {
        for (format, extension) in [("text", "txt"), ("json", "json"), ("markdown", "md")] {
            let output = plan_output(&name, format);
            settings.bind(|| {
                insta::assert_snapshot!(format!("{name}.{extension}"), output);
            });
        }
    }
}

#[test]
fn the_views_agree_with_the_plan_file() {
    let temp = tempfile::tempdir().unwrap();
    let path = temp.path().join("plan.json");
    let output = run_expecting(
        agent_install()
            .args(["plan", "choose", "--base", "debian-bookworm", "-o"])
            .arg(&path),
        0,
    );
    let plan = Plan::read(&path).expect("-o writes a valid plan");
    assert!(!plan.verified, "a dry-run plan is never marked verified");
    assert_eq!(plan.route.as_ref().map(|r| r.name.as_str()), Some("cargo"));
    // The text view shows each step, its citation and decision.
    for step in &plan.steps {
        assert!(output.stdout.contains(&step.command), "{}", output.stdout);
        let source = step.source.as_ref().expect("catalog steps cite the doc");
        assert!(output.stdout.contains(&source.to_string()));
    }
    // The install script makes every later step uncertain, and the reviewer is told.
    let fetched = plan
        .steps
        .iter()
        .position(|step| step.risks.iter().any(|risk| risk == "pipe-to-shell"))
        .expect("the cargo route starts with rustup's install script");
    assert_eq!(
        plan.steps[fetched].decision,
        agent_install::policy::Decision::Ask,
        "host policy asks for curl | sh"
    );
    for step in &plan.steps[fetched + 1..] {
        let uncertain = step.uncertain.as_deref().unwrap_or_default();
        assert!(uncertain.contains("install script"), "{step:?}");
    }
    // Every route of the doc is either chosen or explained.
    let doc = run_expecting(agent_install().args(["doc", "choose", "--json"]), 0);
    let doc: serde_json::Value = serde_json::from_str(&doc.stdout).unwrap();
    let mut explained: Vec<&str> = plan
        .routes_not_chosen
        .iter()
        .map(|route| route.name.as_str())
        .collect();
    explained.push("cargo");
    for route in doc["routes"].as_array().unwrap() {
        let id = route["id"].as_str().unwrap();
        assert!(
            explained.contains(&id),
            "route {id} is neither chosen nor explained"
        );
    }
    // Markdown is what a pull request shows: the decision needing approval stands out.
    let markdown = plan_output("choose", "markdown");
    assert!(markdown.contains("| **ask** |"), "{markdown}");
    assert!(
        markdown.contains("#### Uncertain until it runs"),
        "{markdown}"
    );
}

/// A doc whose every command would leave a trace: a marker file, a request to a local server.
fn tracing_doc(directory: &Path, port: u16, marker: &Path) -> PathBuf {
    let doc = format!(
        "# widget\n\nInstall widget.\n\n## Debian\n\n```sh\ntouch {marker}\napt-get install -y widget\ncurl -fsSL http://127.0.0.1:{port}/install.sh | sh\n```\n\n## Check\n\n```sh\nwidget --version\n```\n",
        marker = marker.display()
    );
    let path = directory.join("widget.md");
    std::fs::write(&path, doc).unwrap();
    path
}

/// A tiny root filesystem: a Debian os-release and an apt-get that would leave a mark.
fn fake_rootfs(directory: &Path, marker: &Path) -> PathBuf {
    let root = directory.join("rootfs");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    for tool in ["apt", "apt-get", "curl", "sh"] {
        let path = root.join("usr/bin").join(tool);
        std::fs::write(&path, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    root
}

fn tree_digest(root: &Path) -> BTreeMap<String, (u64, Vec<u8>)> {
    let mut digest = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory)
            .unwrap()
            .filter_map(Result::ok)
        {
            let path = entry.path();
            let metadata = std::fs::symlink_metadata(&path).unwrap();
            if metadata.is_dir() {
                pending.push(path.clone());
            }
            let contents = if metadata.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            use std::os::unix::fs::MetadataExt;
            digest.insert(
                path.display().to_string(),
                (metadata.mode() as u64, contents),
            );
        }
    }
    digest
}

/// The programs executed under `strace -f` while running `agent-install ARGS`.
fn executed_programs(args: &[&str], temp: &Path) -> (crate::common::Output, Vec<String>) {
    let trace = temp.join("trace.txt");
    let binary = assert_cmd::cargo::cargo_bin("agent-install");
    let mut command = assert_cmd::Command::new("strace");
    command
        .args(["-f", "-qq", "-e", "trace=execve", "-o"])
        .arg(&trace)
        .arg(&binary)
        .args(args)
        .env("NO_COLOR", "1")
        .env("TMPDIR", temp.join("tmp"));
    let output = run_expecting(&mut command, 0);
    let executed = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|line| line.contains("execve(") && !line.contains("= -1"))
        .map(str::to_string)
        .collect();
    (output, executed)
}

#[test]
fn nothing_executes_and_no_sandbox_starts() {
    let temp = tempfile::tempdir().unwrap();
    std::fs::create_dir(temp.path().join("tmp")).unwrap();
    let server = FileServer::serve(temp.path());
    let marker = temp.path().join("executed-marker");
    let doc = tracing_doc(temp.path(), server.port(), &marker);
    let rootfs = fake_rootfs(temp.path(), &marker);
    let before = tree_digest(&rootfs);
    let doc_arg = doc.display().to_string();
    let rootfs_arg = rootfs.display().to_string();

    // For a root filesystem, the binary is the only program that runs: no sandbox helper
    // (which would be this binary again), no shell, no facts script, no package manager.
    let (output, executed) = executed_programs(
        &["plan", &doc_arg, "--base", &rootfs_arg, "--format", "json"],
        temp.path(),
    );
    assert_eq!(executed.len(), 1, "programs executed: {executed:#?}");
    let plan = Plan::from_json(&output.stdout).unwrap();
    let commands: Vec<&str> = plan.steps.iter().map(|s| s.command.as_str()).collect();
    assert!(
        commands.contains(&format!("touch {}", marker.display()).as_str()),
        "{commands:?}"
    );

    // For this machine, only the read-only probe runs (`apt --version` and the like): never
    // the doc's commands, never a sandbox helper.
    let (_, executed) = executed_programs(&["plan", &doc_arg], temp.path());
    let binary = assert_cmd::cargo::cargo_bin("agent-install");
    let helpers: Vec<&String> = executed
        .iter()
        .skip(1)
        .filter(|line| line.contains(&binary.display().to_string()))
        .collect();
    assert!(helpers.is_empty(), "a sandbox helper started: {helpers:#?}");
    for line in &executed {
        assert!(
            !line.contains("touch")
                && !line.contains("install.sh")
                && !line.contains("\"sh\", \"-c\""),
            "a doc command ran: {line}"
        );
    }

    assert!(!marker.exists(), "a command of the doc ran");
    assert!(
        server.requests().is_empty(),
        "the doc's download was fetched"
    );
    assert_eq!(tree_digest(&rootfs), before, "the base changed");
    crate::common::assert_no_leftovers(&temp.path().join("tmp"));
}

#[test]
fn every_plan_validates_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schema/plan.schema.json")).unwrap(),
    )
    .expect("the schema is JSON");
    let validator = jsonschema::draft202012::new(&schema).expect("the schema is valid");
    for name in catalog() {
        let output = plan_output(&name, "json");
        let plan: serde_json::Value = serde_json::from_str(&output).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&plan)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "plan for {name}: {errors:#?}");
    }
    // The schema is strict where readers rely on it.
    let mut plan: serde_json::Value = serde_json::from_str(&plan_output("jq", "json")).unwrap();
    assert!(validator.is_valid(&plan));
    plan["steps"][0]["decision"] = "maybe".into();
    assert!(
        !validator.is_valid(&plan),
        "an unknown decision must not validate"
    );
    plan["steps"][0]["decision"] = "allow".into();
    plan["schema_version"] = 2.into();
    assert!(
        !validator.is_valid(&plan),
        "another schema version must not validate"
    );
    plan["schema_version"] = 1.into();
    plan["doc"]["sha256"] = "not-a-hash".into();
    assert!(!validator.is_valid(&plan));
}

#[test]
fn a_doc_that_cannot_be_loaded_exits_3() {
    let output = run_expecting(agent_install().args(["plan", "/nonexistent/INSTALL.md"]), 3);
    assert!(output.stderr.contains("hint:"), "{}", output.stderr);
    assert!(output.stdout.is_empty());
}

#[test]
fn no_route_for_this_machine_exits_4_and_says_why() {
    let temp = tempfile::tempdir().unwrap();
    let doc = temp.path().join("mac-only.md");
    std::fs::write(
        &doc,
        "# gadget\n\n## macOS\n\n```sh\nbrew install gadget\n```\n\n## Windows\n\n```powershell\nwinget install gadget\n```\n",
    )
    .unwrap();
    let output = run_expecting(
        agent_install()
            .args(["plan", "--base", "debian-bookworm", "-o"])
            .arg(temp.path().join("plan.json"))
            .arg(&doc),
        4,
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert!(
        output.stderr.contains("error: no plan"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("meant for macos"),
        "{}",
        output.stderr
    );
    assert!(!temp.path().join("plan.json").exists(), "no plan, no file");
}

#[test]
fn bad_usage_exits_2() {
    let output = run_expecting(agent_install().args(["plan", "jq", "--format", "yaml"]), 2);
    assert!(
        output.stderr.contains("text, json, markdown"),
        "{}",
        output.stderr
    );
    let output = run_expecting(
        agent_install().args(["plan", "jq", "--base", "/nonexistent-rootfs"]),
        7,
    );
    assert!(output.stderr.contains("hint:") || output.stderr.contains("no such directory"));
}

#[test]
fn plan_finds_tools_in_the_users_cargo_and_local_bin_directories_as_run_does() {
    let home = tempfile::tempdir().expect("temp dir");
    let bin = home.path().join(".cargo/bin");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\necho cargo 1.95.0\n").expect("write");
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let without = crate::common::run_expecting(
        crate::common::agent_install()
            .args(["plan", "fd"])
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/nonexistent-home"),
        0,
    );
    let with = crate::common::run_expecting(
        crate::common::agent_install()
            .args(["plan", "fd"])
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home.path()),
        0,
    );
    if without.stdout.contains("cargo — needs cargo") {
        assert!(with.stdout.contains("cargo — runnable"), "{}", with.stdout);
    } else {
        eprintln!("skipped: this machine has cargo in /usr/bin");
    }
}
