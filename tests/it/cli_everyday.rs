//! The everyday conventions of the command line: shell completions, the manual page, colour
//! and quiet under a pipe and a pseudo-terminal, `-v`, `search` and "did you mean", and
//! `agent-install config`.

use std::path::Path;
use std::process::Command;

use crate::common::{Test, binary};

const ESCAPE: char = '\x1b';

#[test]
fn completions_are_generated_for_every_shell_and_bash_loads_them() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef agent-install"),
        ("fish", "complete -c agent-install"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[agent-install]"),
    ] {
        let output = Test::new()
            .args(["completions", shell])
            .stdout_has(marker)
            .stderr("")
            .run();
        // Every subcommand is offered, the new ones too.
        for subcommand in ["run", "plan", "search", "config", "completions", "man"] {
            assert!(
                output.stdout.contains(subcommand),
                "{shell} completions lack {subcommand}"
            );
        }
    }
    let output = Test::new().args(["completions", "bash"]).run();
    let script = output.path().join("agent-install.bash");
    std::fs::write(&script, &output.stdout).expect("write the script");
    let loaded = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p agent-install",
            script.display()
        ))
        .output()
        .expect("bash runs");
    let shown = String::from_utf8_lossy(&loaded.stdout);
    assert!(
        loaded.status.success() && shown.contains("agent-install"),
        "bash did not register the completion: {shown}{}",
        String::from_utf8_lossy(&loaded.stderr)
    );
    // The completion function answers: subcommands after `agent-install se`.
    let answered = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && COMP_WORDS=(agent-install se) COMP_CWORD=1 COMP_LINE='agent-install se' \
             COMP_POINT=16 && $(complete -p agent-install | sed -E 's/.*-F ([^ ]+).*/\\1/') \
             agent-install se agent-install && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("bash runs");
    let replies = String::from_utf8_lossy(&answered.stdout);
    assert!(
        replies.lines().any(|line| line == "search"),
        "no `search` among {replies:?}: {}",
        String::from_utf8_lossy(&answered.stderr)
    );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    Test::new()
        .args(["completions", "tcsh"])
        .status(2)
        .stderr_has("bash")
        .run();
}

#[test]
fn the_manual_page_renders() {
    let output = Test::new().arg("man").run();
    assert!(output.stdout.starts_with(".ie") || output.stdout.contains(".TH"));
    let page = output.path().join("agent-install.1");
    std::fs::write(&page, &output.stdout).expect("write the page");
    // man-db comes from scripts/setup.sh.
    let rendered = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man runs (scripts/setup.sh installs man-db)");
    let text = String::from_utf8_lossy(&rendered.stdout);
    let errors = String::from_utf8_lossy(&rendered.stderr);
    assert!(rendered.status.success(), "man failed: {errors}");
    for expected in [
        "NAME",
        "SYNOPSIS",
        "agent-install",
        "--quiet",
        "--color",
        "AGENT_INSTALL_CACHE_DIR",
        "AGENT-INSTALL SEARCH",
        "--max-doc-size",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        !errors.contains("warning"),
        "the roff draws warnings: {errors}"
    );
}

/// stderr of a command whose stderr is a pipe (with stdout folded into it, as `2>&1 | head`).
fn piped(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut command = Command::new(binary());
    command
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("AGENT_INSTALL_LOG")
        .env("AGENT_INSTALL_NO_CACHE", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("agent-install runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

#[test]
fn a_pipe_gets_no_escape_sequences_at_any_verbosity() {
    let dry_run = ["run", "jq", "--sandbox", "dry-run", "--no-apply"];
    for verbosity in [&[][..], &["-v"], &["-vv"], &["-vvv"]] {
        let args: Vec<&str> = verbosity.iter().chain(&dry_run).copied().collect();
        let (status, text) = piped(&args, &[]);
        assert_eq!(status, 0, "{args:?}: {text}");
        assert!(!text.contains(ESCAPE), "{args:?} wrote escapes:\n{text}");
    }
    // The same run asked for colour gets it (so the check above can fail).
    let args: Vec<&str> = ["--color", "always", "-vv"]
        .iter()
        .chain(&dry_run)
        .copied()
        .collect();
    let (_, text) = piped(&args, &[]);
    assert!(text.contains(ESCAPE), "--color always: {text}");
    let (_, text) = piped(&dry_run, &[("CLICOLOR_FORCE", "1")]);
    assert!(text.contains(ESCAPE), "CLICOLOR_FORCE=1: {text}");
    let (_, text) = piped(&dry_run, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!text.contains(ESCAPE), "NO_COLOR wins: {text}");
    let (_, text) = piped(&dry_run, &[("CLICOLOR_FORCE", "0")]);
    assert!(!text.contains(ESCAPE), "CLICOLOR_FORCE=0: {text}");
}

#[test]
fn verbosity_levels_mean_what_they_say() {
    let (status, quiet) = piped(&["probe", "--json"], &[]);
    assert_eq!(status, 0);
    assert!(!quiet.contains(" INFO "), "{quiet}");
    let (status, info) = piped(&["-v", "probe", "--json"], &[]);
    assert_eq!(status, 0);
    assert!(info.contains(" INFO "), "-v shows info lines:\n{info}");
    assert!(info.contains("probed this machine in"), "{info}");
    assert!(!info.contains("DEBUG"), "-v is not debug:\n{info}");
    let (_, debug) = piped(&["-vv", "probe", "--json"], &[]);
    assert!(debug.contains("DEBUG"), "-vv shows debug lines:\n{debug}");
    Test::new()
        .args(["-q", "-v", "probe"])
        .status(2)
        .stderr_has("cannot be used with")
        .run();
}

#[test]
fn quiet_prints_only_the_final_summary() {
    let output = Test::new()
        .args(["-q", "run", "jq", "--sandbox", "dry-run", "--no-apply"])
        .run();
    let lines: Vec<&str> = output.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", output.stderr);
    assert!(lines[0].starts_with("planned"), "{}", output.stderr);
    // Steps are numbered against their total when it is known (a plan's replay).
    let loud = Test::new()
        .args(["run", "jq", "--sandbox", "dry-run", "--no-apply"])
        .stderr_has("[1] ")
        .run();
    assert!(loud.stderr.lines().count() > 3, "{}", loud.stderr);
}

/// Runs the binary on a pseudo-terminal (python3's pty module) and returns what the terminal
/// showed.
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    // pty.spawn copies what the terminal shows to python's stdout.
    let script = r#"import os, pty, sys
status = pty.spawn(sys.argv[1:])
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let mut command = Command::new("/usr/bin/python3");
    command
        .arg("-c")
        .arg(script)
        .arg(binary())
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
        .env("AGENT_INSTALL_NO_CACHE", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("python3 runs");
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?} failed on a terminal:\n{shown}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    shown
}

#[test]
fn a_terminal_gets_colour_unless_told_otherwise_and_quiet_stays_quiet() {
    if !Path::new("/usr/bin/python3").is_file() {
        panic!("python3 is needed for the pseudo-terminal tests");
    }
    let dry_run = ["run", "jq", "--sandbox", "dry-run", "--no-apply"];
    let shown = on_a_terminal(&dry_run, &[]);
    assert!(shown.contains(ESCAPE), "no colour on a terminal:\n{shown}");
    assert!(shown.contains("planned"), "{shown}");
    for (flags, env) in [
        (&["--color", "never"][..], &[][..]),
        (&[][..], &[("NO_COLOR", "1")][..]),
        (&[][..], &[("TERM", "dumb")][..]),
    ] {
        let args: Vec<&str> = flags.iter().chain(&dry_run).copied().collect();
        let shown = on_a_terminal(&args, env);
        // Without colour, the only escapes left are indicatif's cursor movements for the
        // spinner; no SGR (colour) sequence may appear.
        assert!(
            !shown.contains("\x1b[3") && !shown.contains("\x1b[1m") && !shown.contains("\x1b[2m"),
            "{flags:?} {env:?} still coloured:\n{shown:?}"
        );
    }
    let args: Vec<&str> = ["-q"].iter().chain(&dry_run).copied().collect();
    let shown = on_a_terminal(&args, &[("NO_COLOR", "1")]);
    let lines: Vec<&str> = shown
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "-q on a terminal:\n{shown:?}");
    assert!(lines[0].contains("planned"), "{shown:?}");
}

#[test]
fn search_lists_and_filters_the_catalog() {
    let all = Test::new().arg("search").run();
    for name in ["jq", "ripgrep", "fd", "shellcheck", "httpie"] {
        assert!(
            all.stdout.lines().any(|line| line.starts_with(name)),
            "{name} missing:\n{}",
            all.stdout
        );
    }
    // Routes are shown and searchable: only entries offering pip match `pip`.
    let pip = Test::new().args(["search", "--json", "pip"]).run();
    let found: serde_json::Value = serde_json::from_str(&pip.stdout).expect("JSON");
    let found = found.as_array().expect("an array");
    assert!(!found.is_empty());
    for entry in found {
        let text = entry.to_string().to_lowercase();
        assert!(text.contains("pip"), "{entry}");
    }
    assert!(
        found.iter().any(|entry| entry["name"] == "httpie"),
        "{}",
        pip.stdout
    );
    // Summaries are searched, and every word must match.
    let json = Test::new().args(["search", "--json", "JSON"]).run();
    let found: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(found[0]["name"], "jq", "{}", json.stdout);
    assert!(found[0]["summary"].as_str().is_some_and(|s| !s.is_empty()));
    Test::new()
        .args(["search", "JSON", "zzzz"])
        .stdout("")
        .stderr_has("no catalog entry matches `JSON zzzz`")
        .run();
}

#[test]
fn search_reads_a_catalog_directory() {
    let catalog = crate::common::fixture("load/catalog");
    let output = Test::new()
        .args(["search", "--json"])
        .env("AGENT_INSTALL_CATALOG", &catalog)
        .run();
    let found: serde_json::Value = serde_json::from_str(&output.stdout).expect("JSON");
    assert_eq!(found[0]["name"], "widget", "{}", output.stdout);
    Test::new()
        .arg("search")
        .env("AGENT_INSTALL_CATALOG", "/nonexistent/catalog")
        .status(3)
        .stderr_has("/nonexistent/catalog")
        .run();
}

#[test]
fn a_near_name_gets_did_you_mean_and_the_error_is_printed_once() {
    for (typed, meant) in [
        ("jqq", "jq"),
        ("ripgrp", "ripgrep"),
        ("shelcheck", "shellcheck"),
    ] {
        let output = Test::new()
            .args([typed, "--no-apply"])
            .status(3)
            .stderr_has(&format!("did you mean `{meant}`?"))
            .run();
        let mentions = output.stderr.matches(&format!("`{typed}`")).count();
        assert_eq!(mentions, 1, "the error is printed once:\n{}", output.stderr);
        assert_eq!(
            output.stderr.matches("error").count(),
            1,
            "{}",
            output.stderr
        );
    }
    // Far from every name: the hint lists the catalog instead.
    Test::new()
        .args(["doc", "nosuchthing"])
        .status(3)
        .stderr_lacks("did you mean")
        .stderr_has("jq")
        .stderr_has("agent-install search")
        .run();
    // `--json` still records the failure as its last event.
    Test::new()
        .args(["jqq", "--no-apply", "--json"])
        .status(3)
        .stdout_has("\"type\":\"finished\"")
        .run();
}

#[test]
fn help_lists_every_environment_variable_and_the_new_commands() {
    let output = Test::new().arg("--help").run();
    for (name, _) in agent_install::config::ENVIRONMENT {
        assert!(output.stdout.contains(name), "--help lacks {name}");
    }
    for command in ["search", "config", "completions", "man"] {
        assert!(
            output.stdout.contains(&format!("  {command} ")),
            "--help lacks {command}:\n{}",
            output.stdout
        );
    }
    let readme =
        std::fs::read_to_string(crate::common::repo_root().join("README.md")).expect("README");
    for (name, _) in agent_install::config::ENVIRONMENT {
        assert!(readme.contains(name), "the README lacks {name}");
    }
    // Help slips of the past.
    Test::new()
        .args(["run", "--help"])
        .stdout_lacks("provision")
        .run();
}

#[test]
fn steps_of_a_plan_are_numbered_against_their_total() {
    use sha2::Digest;
    let test = Test::new().doc("# Two echoes\n");
    let doc = test.doc_path();
    let sha256: String = sha2::Sha256::digest(std::fs::read(&doc).unwrap())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let step = |command: &str| serde_json::json!({"command": command, "purpose": "test", "risks": [], "decision": "allow"});
    let plan = serde_json::json!({
        "schema_version": 1,
        "generator": "tests/cli_everyday.rs",
        "doc": {"source": doc.display().to_string(), "sha256": sha256},
        "probe": {"fingerprint": "0000000000000000", "summary": "another machine"},
        "route": null,
        "agent": {"kind": "none"},
        "steps": [step("echo one"), step("echo two")],
        "verification": ["true"],
        "verified": true
    });
    let test = test.file("plan.json", plan.to_string());
    let plan_path = test.path().join("plan.json");
    let apply = |test: Test| {
        test.arg("apply")
            .arg(&plan_path)
            .args(["--sandbox", "host", "--yes", "--force"])
    };
    // The first run keeps the directory with the doc and the plan until the end of the test.
    let _first = apply(test)
        .stderr_has("[1/2] echo one")
        .stderr_has("[2/2] echo two")
        .run();
    // --json carries the total as well.
    let output = apply(Test::new()).arg("--json").run();
    let started: Vec<serde_json::Value> = output
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|event| event["type"] == "step_started")
        .collect();
    assert_eq!(started.len(), 2, "{}", output.stdout);
    assert!(
        started.iter().all(|event| event["total"] == 2),
        "{started:?}"
    );
}

#[test]
fn config_shows_each_setting_and_where_it_came_from() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("config.toml");
    std::fs::write(
        &config,
        "[defaults]\nagent = \"offline\"\nbase = \"debian-bookworm\"\npolicy = \"policy.toml\"\n",
    )
    .expect("write the config");
    let output = Test::new()
        .args(["config", "--json"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .env("AGENT_INSTALL_CACHE", "/old/cache")
        .env("AGENT_INSTALL_STATE_DIR", "/state")
        .run();
    let settings: serde_json::Value = serde_json::from_str(&output.stdout).expect("JSON");
    assert_eq!(settings["cache_dir"]["value"], "/old/cache");
    assert_eq!(settings["cache_dir"]["origin"]["kind"], "alias");
    assert_eq!(settings["plan_cache"]["value"], "/old/cache/plans");
    assert_eq!(settings["rootfs_cache"]["value"], "/old/cache/rootfs");
    assert_eq!(settings["state_dir"]["value"], "/state");
    assert_eq!(settings["default_agent"]["value"], "offline");
    assert_eq!(
        settings["default_policy"]["value"],
        directory.path().join("policy.toml").display().to_string()
    );
    let table = Test::new()
        .arg("config")
        .env("AGENT_INSTALL_CONFIG", &config)
        .env("AGENT_INSTALL_CACHE_DIR", "/new/cache")
        .run();
    assert!(
        table
            .stdout
            .lines()
            .any(|line| line.starts_with("cache dir")
                && line.contains("/new/cache")
                && line.ends_with("$AGENT_INSTALL_CACHE_DIR")),
        "{}",
        table.stdout
    );
    // A config file that does not parse is a usage error naming it.
    std::fs::write(&config, "[defaults]\nagnet = \"offline\"\n").expect("write");
    Test::new()
        .arg("config")
        .env("AGENT_INSTALL_CONFIG", &config)
        .status(2)
        .stderr_has("agnet")
        .run();
}

#[test]
fn the_config_files_defaults_apply_when_the_flags_are_not_given() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("config.toml");
    // The default policy is read (and this one is invalid, which proves it).
    std::fs::write(
        directory.path().join("policy.toml"),
        "[host]\nno-such-class = \"allow\"\n",
    )
    .expect("write the policy");
    std::fs::write(&config, "[defaults]\npolicy = \"policy.toml\"\n").expect("write");
    Test::new()
        .args(["plan", "jq"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .status(2)
        .stderr_has("policy.toml")
        .run();
    // A flag beats the default.
    let good = directory.path().join("good.toml");
    std::fs::write(&good, "[host]\npackage-install = \"allow\"\n").expect("write");
    Test::new()
        .args(["plan", "jq", "--policy"])
        .arg(&good)
        .env("AGENT_INSTALL_CONFIG", &config)
        .stdout_has("apt")
        .run();
    // The default base: a base that does not exist is the sandbox's error (7).
    std::fs::write(&config, "[defaults]\nbase = \"/nonexistent/rootfs\"\n").expect("write");
    Test::new()
        .args(["plan", "jq"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .status(7)
        .stderr_has("/nonexistent/rootfs")
        .run();
    // The default agent must be one.
    std::fs::write(&config, "[defaults]\nagent = \"wizard\"\n").expect("write");
    Test::new()
        .args(["run", "jq", "--sandbox", "dry-run"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .status(2)
        .stderr_has("wizard")
        .run();
    // ... unless --agent is given.
    Test::new()
        .args(["run", "jq", "--sandbox", "dry-run", "--agent", "offline"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .run();
}

#[test]
fn a_broken_config_file_stops_the_commands_that_read_it_and_no_other() {
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("config.toml");
    std::fs::write(&config, "[llm]\nmodle = \"x\"\n").expect("write");
    for args in [
        &["run", "jq", "--sandbox", "dry-run"][..],
        &["plan", "jq"][..],
    ] {
        Test::new()
            .args(args)
            .env("AGENT_INSTALL_CONFIG", &config)
            .status(2)
            .stderr_has("modle")
            .run();
    }
    // Reading a doc does not need the config file, so its mistake does not stop it.
    Test::new()
        .args(["doc", "jq"])
        .env("AGENT_INSTALL_CONFIG", &config)
        .status(0)
        .stdout_has("jq")
        .run();
}
