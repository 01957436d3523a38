//! `--help` is documentation: the commands come in the order a user meets them, and each
//! command's help describes its own defaults.

use crate::common::Test;

#[test]
fn commands_are_listed_in_the_order_a_user_meets_them() {
    let help = Test::new().arg("--help").run().output.stdout;
    let position = |name: &str| {
        help.find(&format!("\n  {name} "))
            .unwrap_or_else(|| panic!("`{name}` is not listed:\n{help}"))
    };
    let order = [
        "run",
        "plan",
        "apply",
        "export",
        "provision",
        "probe",
        "doc",
        "sandbox",
    ];
    for pair in order.windows(2) {
        assert!(
            position(pair[0]) < position(pair[1]),
            "`{}` should come before `{}`:\n{help}",
            pair[0],
            pair[1]
        );
    }
    assert!(help.contains("Exit statuses"), "{help}");
}

#[test]
fn apply_help_names_the_host_as_its_default_target() {
    let help = Test::new().args(["apply", "--help"]).run().output.stdout;
    // The option's own entry (the description above it mentions `--sandbox` too), with the
    // line wrapping undone.
    let sandbox = help
        .split("--sandbox <")
        .nth(1)
        .unwrap_or_else(|| panic!("no --sandbox option in:\n{help}"))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        sandbox.contains("`host`, the default"),
        "apply's --sandbox help must say it defaults to this machine:\n{help}"
    );
    // `run` rehearses in the overlay by default; its help says so.
    let run_help = Test::new()
        .args(["run", "--help"])
        .run()
        .output
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        run_help.contains("copy-on-write overlay (default)"),
        "{run_help}"
    );
}
