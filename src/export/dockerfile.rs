//! The plan as a Dockerfile: a base image matching the plan's machine, one `RUN` per step (a
//! step that changes the shell's state shares its `RUN` with the steps after it), and the
//! verification as the last `RUN`, in a login shell as the rehearsal ran it.
//!
//! `SHELL ["/bin/sh", "-eu", "-c"]` gives every `RUN` the script's `set -eu` semantics; joined
//! steps are chained with `&&`. A step written over several lines (a heredoc) uses BuildKit's
//! `RUN <<EOF` form, which is why the file starts with the `# syntax=` line.

use super::{comment, header, is_apt_update, shell_groups, step_comment};
use crate::plan::{Plan, PlanStep};

pub fn dockerfile(plan: &Plan) -> String {
    let mut out = String::from("# syntax=docker/dockerfile:1\n");
    out.push_str(&comment(&header(plan, "Dockerfile"), "#"));
    let (image, note) = base_image(&plan.probe.summary);
    if let Some(note) = note {
        out.push_str(&comment(&[note], "#"));
    }
    out.push_str(&format!("ARG BASE_IMAGE={image}\n"));
    out.push_str("FROM ${BASE_IMAGE}\n");
    out.push_str("SHELL [\"/bin/sh\", \"-eu\", \"-c\"]\n");
    if plan.steps.iter().any(|step| uses_apt(&step.command)) {
        // Build-time only (unlike ENV): apt and debconf must not wait for answers.
        out.push_str("ARG DEBIAN_FRONTEND=noninteractive\n");
    }
    for group in run_groups(plan) {
        out.push('\n');
        for (number, step) in &group {
            out.push_str(&comment(&step_comment(*number, step), "#"));
        }
        out.push_str(&run_instruction(&group));
    }
    if !plan.verification.is_empty() {
        out.push_str("\n# Verification: the build fails unless every check passes.\n");
        let script = plan.verification.join(" && ");
        // The exec form with a JSON string needs no shell quoting at all.
        let argument = serde_json::to_string(&script).unwrap_or_default();
        out.push_str(&format!("RUN [\"/bin/sh\", \"-l\", \"-c\", {argument}]\n"));
    }
    out
}

/// The steps as `RUN` groups: those that share a shell, and an apt index refresh together with
/// the install after it (in a layer of its own, a cached stale index would outlive the build
/// that made it).
fn run_groups(plan: &Plan) -> Vec<Vec<(usize, &PlanStep)>> {
    let mut groups: Vec<Vec<(usize, &PlanStep)>> = Vec::new();
    let mut refresh_pending = false;
    for group in shell_groups(plan) {
        let refresh = matches!(group.as_slice(), [(_, step)] if is_apt_update(&step.command));
        match groups.last_mut() {
            Some(previous) if refresh_pending => previous.extend(group),
            _ => groups.push(group),
        }
        refresh_pending = refresh;
    }
    groups
}

/// One `RUN` for a group of steps that share a shell.
fn run_instruction(group: &[(usize, &PlanStep)]) -> String {
    let commands: Vec<&str> = group
        .iter()
        .map(|(_, step)| step.command.as_str())
        .collect();
    if commands.iter().any(|command| command.contains('\n')) {
        let body = commands.join("\n");
        let mut marker = "AGENT_INSTALL_STEP".to_string();
        while body.contains(&marker) {
            marker.push('_');
        }
        return format!("RUN <<'{marker}'\nset -eu\n{body}\n{marker}\n");
    }
    format!("RUN {}\n", commands.join(" \\\n && "))
}

fn uses_apt(command: &str) -> bool {
    command
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|'))
        .any(|word| word == "apt" || word == "apt-get")
}

/// The image for the plan's machine (`debian 12, x86_64, root` → `debian:12`), and a note when
/// it had to be guessed.
fn base_image(summary: &str) -> (String, Option<String>) {
    // A rootfs summary reads `root filesystem DIR: debian 12, x86_64`.
    let description = summary.rsplit_once(": ").map_or(summary, |(_, rest)| rest);
    let mut words = description
        .split(',')
        .next()
        .unwrap_or_default()
        .split_whitespace();
    let distro = words.next().unwrap_or_default().to_ascii_lowercase();
    let version = words.next().unwrap_or_default();
    let known = matches!(
        distro.as_str(),
        "debian" | "ubuntu" | "fedora" | "alpine" | "rockylinux" | "almalinux" | "archlinux"
    );
    let version_is_plain = !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.');
    if known && version_is_plain {
        return (format!("{distro}:{version}"), None);
    }
    (
        "debian:12".to_string(),
        Some(format!(
            "The plan was made for `{summary}`; pass --build-arg BASE_IMAGE=... with an image of that system."
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_refresh_shares_the_run_of_the_install_after_it() {
        let mut plan = crate::plan::tests::sample();
        let mut update = plan.steps[0].clone();
        update.command = "apt-get update".to_string();
        let mut other = plan.steps[0].clone();
        other.command = "echo done".to_string();
        plan.steps = vec![update, plan.steps[0].clone(), other];
        let text = dockerfile(&plan);
        assert!(
            text.contains("RUN apt-get update \\\n && apt-get install -y jq\n"),
            "{text}"
        );
        assert!(text.contains("RUN echo done\n"), "{text}");
    }

    #[test]
    fn the_base_image_follows_the_plans_machine() {
        assert_eq!(base_image("debian 12, x86_64, root").0, "debian:12");
        assert_eq!(
            base_image("root filesystem /r/debian-bookworm-minbase: debian 12, x86_64").0,
            "debian:12"
        );
        assert_eq!(
            base_image("ubuntu 24.04, x86_64, non-root").0,
            "ubuntu:24.04"
        );
        let (image, note) = base_image("gentoo, x86_64, root");
        assert_eq!(image, "debian:12");
        assert!(note.unwrap().contains("gentoo"));
    }
}
