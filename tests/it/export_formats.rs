//! `agent-install export`: every catalog plan in every format passes its format's real checker
//! (shellcheck, a Dockerfile parser, `ansible-playbook --syntax-check`), and bad plan files
//! get a usage error with a hint. Installing from the exports is in `export_install.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Test, repo_root};

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

/// `plan NAME -o DIR/NAME.json` for the minimal Debian rootfs.
fn plan_file(name: &str, directory: &Path) -> PathBuf {
    let path = directory.join(format!("{name}.json"));
    Test::new()
        .args([
            "plan",
            name,
            "--base",
            "debian-bookworm",
            "--format",
            "json",
            "-o",
        ])
        .arg(&path)
        .run();
    path
}

fn export(plan: &Path, format: &str) -> String {
    Test::new()
        .arg("export")
        .arg(plan)
        .args(["--format", format])
        .run()
        .output
        .stdout
}

#[test]
fn shell_exports_pass_shellcheck() {
    let temp = tempfile::tempdir().unwrap();
    for name in catalog() {
        let plan = plan_file(&name, temp.path());
        let script = temp.path().join(format!("{name}.sh"));
        Test::new()
            .arg("export")
            .arg(&plan)
            .args(["--format", "sh", "-o"])
            .arg(&script)
            .run();
        let text = std::fs::read_to_string(&script).unwrap();
        assert!(text.starts_with("#!/bin/sh\n") || text.starts_with("#!/bin/bash\n"));
        assert!(text.contains("\nset -eu\n"), "{text}");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&script).unwrap().permissions().mode();
        assert_eq!(mode & 0o111, 0o111, "-o makes the script executable");
        let output = Command::new("shellcheck")
            .arg(&script)
            .output()
            .expect("shellcheck runs (scripts/setup.sh installs the Debian package)");
        assert!(
            output.status.success(),
            "shellcheck on the export of {name}:\n{}\n{text}",
            String::from_utf8_lossy(&output.stdout)
        );
        // Verification comes after the last step.
        let plan: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
        let steps = plan["steps"].as_array().unwrap().len();
        let first_check = plan["verification"][0].as_str().unwrap();
        let step_at = text
            .find(&format!("# Step {steps}:"))
            .expect("the last step in the script");
        let check_at = text
            .rfind(&format!("\n{first_check}\n"))
            .expect("the first check in the script");
        assert!(step_at < check_at, "{text}");
    }
}

#[test]
fn dockerfile_exports_parse_with_a_real_parser() {
    use dockerfile_parser::{Dockerfile, Instruction, ShellOrExecExpr};
    let temp = tempfile::tempdir().unwrap();
    for name in catalog() {
        let plan_path = plan_file(&name, temp.path());
        let plan = agent_install::plan::Plan::read(&plan_path).unwrap();
        let text = export(&plan_path, "dockerfile");
        let dockerfile = Dockerfile::parse(&text).unwrap_or_else(|error| {
            panic!("Dockerfile for {name} does not parse: {error}\n{text}")
        });
        let instructions = &dockerfile.instructions;
        assert!(
            matches!(&instructions[0], Instruction::Arg(arg) if arg.name.content == "BASE_IMAGE"),
            "{instructions:#?}"
        );
        assert!(
            matches!(&instructions[1], Instruction::From(from) if from.image.content == "${BASE_IMAGE}")
        );
        let runs: Vec<&ShellOrExecExpr> = instructions
            .iter()
            .filter_map(|instruction| match instruction {
                Instruction::Run(run) => Some(&run.expr),
                _ => None,
            })
            .collect();
        // Every step is in a RUN, in order.
        let shell_text: String = runs
            .iter()
            .filter_map(|expr| expr.as_shell().map(ToString::to_string))
            .collect::<Vec<_>>()
            .join("\n");
        let mut position = 0;
        for step in &plan.steps {
            let found = shell_text[position..]
                .find(&step.command)
                .unwrap_or_else(|| panic!("{name}: `{}` not in a RUN\n{text}", step.command));
            position += found + step.command.len();
        }
        // The verification is the last RUN, in a login shell.
        let last = runs
            .last()
            .and_then(|expr| expr.as_exec())
            .expect("exec form");
        assert_eq!(&last.as_str_vec()[..3], ["/bin/sh", "-l", "-c"]);
        assert_eq!(last.as_str_vec()[3], plan.verification.join(" && "));
    }
}

#[test]
fn ansible_exports_pass_the_syntax_check() {
    let temp = tempfile::tempdir().unwrap();
    for name in catalog() {
        let plan = plan_file(&name, temp.path());
        let playbook = temp.path().join(format!("{name}.yml"));
        Test::new()
            .arg("export")
            .arg(&plan)
            .args(["--format", "ansible", "-o"])
            .arg(&playbook)
            .run();
        let output = Command::new("ansible-playbook")
            .args(["--syntax-check", "-i", "localhost,"])
            .arg(&playbook)
            .env("ANSIBLE_LOCAL_TEMP", temp.path().join("ansible-local"))
            .output()
            .expect("ansible-playbook runs (scripts/setup.sh installs ansible-core)");
        assert!(
            output.status.success(),
            "syntax check of the playbook for {name}:\n{}{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(&playbook).unwrap()
        );
    }
}

#[test]
fn the_ansible_export_uses_modules_where_they_fit() {
    let temp = tempfile::tempdir().unwrap();
    let jq_plan = plan_file("jq", temp.path());
    let output = Test::new()
        .arg("export")
        .arg(&jq_plan)
        .args(["--format", "ansible"])
        // Exporting an unexecuted plan says so.
        .stderr_has("is a dry-run plan")
        .run();
    let jq = &output.stdout;
    assert!(jq.contains("ansible.builtin.apt:"), "{jq}");
    assert!(jq.contains("update_cache: true"), "{jq}");
    assert!(!jq.contains("ansible.builtin.shell"), "{jq}");
    assert!(
        jq.contains("changed_when: false"),
        "verification changes nothing: {jq}"
    );
    // A curl | sh route has no module: one guarded shell task for the steps sharing a shell.
    let choose = export(&plan_file("choose", temp.path()), "ansible");
    assert!(choose.contains("ansible.builtin.shell:"), "{choose}");
    assert!(
        choose.contains("when: agent_install_present.rc != 0"),
        "{choose}"
    );
    assert!(choose.contains("changed_when: true"), "{choose}");
}

#[test]
fn bad_plan_files_are_usage_errors_with_hints() {
    let temp = tempfile::tempdir().unwrap();
    let missing = temp.path().join("missing.json");
    let output = Test::new()
        .arg("export")
        .arg(&missing)
        .args(["--format", "sh"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("could not read the plan"),
        "{}",
        output.stderr
    );
    assert!(output.stderr.contains("hint: "), "{}", output.stderr);

    let not_a_plan = temp.path().join("not-a-plan.json");
    std::fs::write(&not_a_plan, "{\"schema_version\": 1, \"steps\": []}").unwrap();
    let output = Test::new()
        .arg("export")
        .arg(&not_a_plan)
        .args(["--format", "dockerfile"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("is not a valid plan"),
        "{}",
        output.stderr
    );

    let plan = plan_file("jq", temp.path());
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    value["schema_version"] = 9.into();
    let future = temp.path().join("future.json");
    std::fs::write(&future, value.to_string()).unwrap();
    let output = Test::new()
        .arg("export")
        .arg(&future)
        .args(["--format", "ansible"])
        .status(2)
        .run();
    assert!(output.stderr.contains("version 9"), "{}", output.stderr);
    assert!(output.stdout.is_empty());

    let output = Test::new()
        .arg("export")
        .arg(&plan)
        .args(["--format", "makefile"])
        .status(2)
        .run();
    assert!(
        output.stderr.contains("sh, dockerfile, ansible"),
        "{}",
        output.stderr
    );
}
