//! `--agent scripted`: actions replayed from a JSON file, run through the same policy and
//! sandbox as any agent's; bad scripts are usage errors with a hint.

use crate::common::llm::{Widget, widget_command};
use crate::common::{agent_install, install, run_expecting, skip_unless_root};

#[test]
fn a_script_installs_the_widget() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", "unused", "");
    let script_dir = tempfile::tempdir().expect("temp dir");
    let script = script_dir.path().join("actions.json");
    let actions = serde_json::json!([
        {"action": "run", "command": widget_command(widget.server.port()), "purpose": "download and unpack"},
        {"action": "verify", "command": "widget --version"},
        {"action": "done", "summary": "installed"}
    ]);
    std::fs::write(&script, actions.to_string()).expect("write the script");
    let script = script.display().to_string();
    let run = install(
        &widget.doc,
        &["--agent", "scripted", "--script", &script, "--no-apply"],
        &[],
        0,
    );
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["agent"]["kind"], "scripted", "{context}");
    assert_eq!(run.report["agent"]["calls"], 0, "{context}");
    assert_eq!(run.route(), Some("script"), "{context}");
    assert_eq!(run.steps().len(), 1, "{context}");
}

#[test]
fn a_script_that_runs_out_gives_up_with_exit_4() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", "unused", "");
    let script_dir = tempfile::tempdir().expect("temp dir");
    let script = script_dir.path().join("actions.json");
    std::fs::write(&script, r#"{"actions": []}"#).expect("write the script");
    let script = script.display().to_string();
    let run = install(
        &widget.doc,
        &["--agent", "scripted", "--script", &script, "--no-apply"],
        &[],
        4,
    );
    assert!(
        run.report["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ran out of actions"),
        "{}",
        run.describe()
    );
}

#[test]
fn scripted_without_a_script_or_with_a_bad_one_is_a_usage_error() {
    let widget = Widget::serve("tarball.md", "unused", "");
    let mut command = agent_install();
    command
        .args(["run", "--agent", "scripted", "--no-apply"])
        .arg(&widget.doc);
    let output = run_expecting(&mut command, 2);
    assert!(output.stderr.contains("--script FILE"), "{}", output.stderr);

    let script_dir = tempfile::tempdir().expect("temp dir");
    let script = script_dir.path().join("bad.json");
    std::fs::write(&script, r#"[{"action": "teleport"}]"#).expect("write the script");
    let mut command = agent_install();
    command
        .args(["run", "--agent", "scripted", "--no-apply", "--script"])
        .arg(&script)
        .arg(&widget.doc);
    let output = run_expecting(&mut command, 2);
    assert!(
        output.stderr.contains("bad.json") && output.stderr.contains("hint:"),
        "{}",
        output.stderr
    );
}

#[test]
fn an_invalid_config_file_is_a_usage_error_naming_the_file() {
    let widget = Widget::serve("tarball.md", "unused", "");
    let directory = tempfile::tempdir().expect("temp dir");
    let config = directory.path().join("config.toml");
    std::fs::write(&config, "[llm]\nmodle = \"typo\"\n").expect("write the config");
    let mut command = agent_install();
    command
        .args(["run", "--no-apply"])
        .arg(&widget.doc)
        .env("AGENT_INSTALL_CONFIG", &config);
    let output = run_expecting(&mut command, 2);
    assert!(
        output.stderr.contains("config.toml") && output.stderr.contains("modle"),
        "{}",
        output.stderr
    );
}
