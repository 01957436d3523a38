//! Views of a plan for people: plain text for a terminal, Markdown to paste into a pull request
//! for review, and the JSON file itself. Pure functions of the plan, so snapshots pin them.

use super::{Plan, PlanStep};
use crate::policy::Decision;

/// The output formats of `agent-install plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable summary for a terminal.
    Text,
    /// The plan file itself (what `-o` writes).
    Json,
    /// Markdown for a pull request description or review comment.
    Markdown,
}

/// The plan in the given format, ending with a newline.
pub fn render(plan: &Plan, format: Format) -> String {
    match format {
        Format::Text => text(plan),
        Format::Json => plan.to_json(),
        Format::Markdown => markdown(plan),
    }
}

fn product(plan: &Plan) -> &str {
    plan.doc.name.as_deref().unwrap_or(&plan.doc.source)
}

fn status(plan: &Plan) -> &'static str {
    if plan.verified {
        "verified in a sandbox rehearsal"
    } else {
        "dry run: nothing was executed"
    }
}

/// A plain-text view: one block per step, indented details.
pub fn text(plan: &Plan) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("Plan for {} ({})", product(plan), status(plan)));
    line(format!(
        "doc      {} (sha256 {})",
        plan.doc.source, plan.doc.sha256
    ));
    line(format!(
        "machine  {} (fingerprint {})",
        plan.probe.summary, plan.probe.fingerprint
    ));
    line(format!("agent    {} · {}", plan.agent.kind, plan.generator));
    match &plan.route {
        Some(route) => line(format!("route    {} — {}", route.name, route.reason)),
        None => line("route    none: the agent's own commands".to_string()),
    }
    if !plan.routes_not_chosen.is_empty() {
        line(String::new());
        line("Routes not chosen".to_string());
        for route in &plan.routes_not_chosen {
            line(format!("  {} — {}", route.name, route.reason));
        }
    }
    line(String::new());
    line(format!("Steps ({})", plan.steps.len()));
    for (index, step) in plan.steps.iter().enumerate() {
        line(format!(
            "  {}. $ {}",
            index + 1,
            indent_continuation(&step.command, "       ")
        ));
        line(format!("     purpose   {}", step.purpose));
        line(format!("     source    {}", citation(step)));
        line(format!(
            "     risk      {}",
            if step.risks.is_empty() {
                "none found".to_string()
            } else {
                step.risks.join(", ")
            }
        ));
        line(format!("     decision  {} on the target", step.decision));
        if let Some(uncertain) = &step.uncertain {
            line(format!("     uncertain {uncertain}"));
        }
    }
    line(String::new());
    line(format!("Verification ({})", plan.verification.len()));
    for command in &plan.verification {
        line(format!("  $ {command}"));
    }
    let summary = attention_summary(plan);
    if !summary.is_empty() {
        line(String::new());
        for item in summary {
            line(item);
        }
    }
    out
}

/// Markdown for a pull request: a summary table, the steps as a table with citations, the
/// commands in a code block to copy, and what is uncertain.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!("### agent-install plan: {}", cell(product(plan))));
    line(String::new());
    line(format!("_{}_", status(plan)));
    line(String::new());
    line("| | |".to_string());
    line("|---|---|".to_string());
    line(format!(
        "| doc | `{}` (sha256 `{}`) |",
        cell(&plan.doc.source),
        short_hash(&plan.doc.sha256)
    ));
    line(format!(
        "| machine | {} (fingerprint `{}`) |",
        cell(&plan.probe.summary),
        cell(&plan.probe.fingerprint)
    ));
    line(format!(
        "| agent | {} ({}) |",
        cell(&plan.agent.kind),
        cell(&plan.generator)
    ));
    match &plan.route {
        Some(route) => line(format!(
            "| route | **{}**: {} |",
            cell(&route.name),
            cell(&route.reason)
        )),
        None => line("| route | none (the agent's own commands) |".to_string()),
    }
    line(String::new());
    line("#### Steps".to_string());
    line(String::new());
    line("| # | command | source | risk | decision |".to_string());
    line("|---|---|---|---|---|".to_string());
    for (index, step) in plan.steps.iter().enumerate() {
        let marker = if step.uncertain.is_some() { " ⚠" } else { "" };
        line(format!(
            "| {}{marker} | {} | {} | {} | {} |",
            index + 1,
            code_cell(&step.command),
            cell(&citation(step)),
            cell(&step.risks.join(", ")),
            decision_cell(step.decision),
        ));
    }
    line(String::new());
    line("```sh".to_string());
    for step in &plan.steps {
        line(step.command.clone());
    }
    line("```".to_string());
    let uncertain: Vec<(usize, &PlanStep)> = plan
        .steps
        .iter()
        .enumerate()
        .filter(|(_, step)| step.uncertain.is_some())
        .collect();
    if !uncertain.is_empty() {
        line(String::new());
        line("#### Uncertain until it runs".to_string());
        line(String::new());
        for (index, step) in uncertain {
            line(format!(
                "- step {}: {}",
                index + 1,
                step.uncertain.as_deref().unwrap_or_default()
            ));
        }
    }
    line(String::new());
    line("#### Verification".to_string());
    line(String::new());
    line("```sh".to_string());
    for command in &plan.verification {
        line(command.clone());
    }
    line("```".to_string());
    if !plan.routes_not_chosen.is_empty() {
        line(String::new());
        line("<details><summary>Routes not chosen</summary>".to_string());
        line(String::new());
        for route in &plan.routes_not_chosen {
            line(format!(
                "- **{}**: {}",
                cell(&route.name),
                cell(&route.reason)
            ));
        }
        line(String::new());
        line("</details>".to_string());
    }
    out
}

/// Lines that need a reviewer's attention: steps the target's policy does not simply allow.
fn attention_summary(plan: &Plan) -> Vec<String> {
    let mut items = Vec::new();
    let ask = count(plan, Decision::Ask);
    let deny = count(plan, Decision::Deny);
    if ask > 0 {
        items.push(format!(
            "{ask} step(s) need approval on the target (answer on a terminal, or pass --yes)"
        ));
    }
    if deny > 0 {
        items.push(format!(
            "{deny} step(s) are denied by the policy on the target: apply would refuse the plan"
        ));
    }
    let uncertain = plan.steps.iter().filter(|s| s.uncertain.is_some()).count();
    if uncertain > 0 {
        items.push(format!(
            "{uncertain} step(s) are uncertain until they run (see `uncertain` above)"
        ));
    }
    items
}

fn count(plan: &Plan, decision: Decision) -> usize {
    plan.steps
        .iter()
        .filter(|step| step.decision == decision)
        .count()
}

fn citation(step: &PlanStep) -> String {
    match &step.source {
        Some(source) => match &source.as_written {
            Some(written) => format!(
                "{source}; adapted from the doc's `{}`",
                written.replace('\n', " ")
            ),
            None => source.to_string(),
        },
        None => "not from the doc (agent or repair)".to_string(),
    }
}

fn indent_continuation(command: &str, indent: &str) -> String {
    command.replace('\n', &format!("\n{indent}"))
}

fn short_hash(hash: &str) -> &str {
    hash.get(..16).unwrap_or(hash)
}

/// Text safe inside a Markdown table cell: pipes escaped, line breaks as `<br>`.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// A command as inline code inside a table cell. Backticks in the command lengthen the fence.
fn code_cell(command: &str) -> String {
    let mut fence = "`".to_string();
    while command.contains(fence.as_str()) {
        fence.push('`');
    }
    let body = command.replace('|', "\\|").replace('\n', " ⏎ ");
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

fn decision_cell(decision: Decision) -> String {
    match decision {
        Decision::Allow => decision.to_string(),
        other => format!("**{other}**"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample;

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        let mut plan = sample();
        plan.steps[0].command = "curl -s https://x | sh".to_string();
        let rendered = markdown(&plan);
        assert!(
            rendered.contains("`curl -s https://x \\| sh`"),
            "{rendered}"
        );
    }

    #[test]
    fn backticks_in_a_command_lengthen_the_code_fence() {
        assert_eq!(code_cell("echo `date`"), "`` echo `date` ``");
    }

    #[test]
    fn text_flags_decisions_that_need_attention() {
        let mut plan = sample();
        plan.steps[0].decision = Decision::Ask;
        assert!(text(&plan).contains("1 step(s) need approval"));
        plan.steps[0].decision = Decision::Deny;
        assert!(text(&plan).contains("apply would refuse"));
    }
}
