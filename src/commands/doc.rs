//! `agent-install doc`: load and parse a doc, print how it was understood.
//!
//! This is the reviewer's window into the parser: if a route or a check is wrong here, the
//! planner will be wrong too. The readable view shows the section tree, each route with its
//! platforms, tools, risk and commands (cited as `file:line` with their section), the
//! verification set, and the commands that ended up in neither. `--json` prints the whole
//! [`Doc`] for scripts. Warnings go to stderr so stdout stays data.

use std::fmt::Write as _;

use crate::cli::DocArgs;
use crate::doc::{Command, Doc, RiskLevel, Route, Shell, VerificationOrigin, display_path};
use crate::{Error, ExitStatus};

pub async fn run(args: DocArgs) -> Result<ExitStatus, Error> {
    let loaded = crate::catalog::load_doc(&args.doc, &args.load.options()).await?;
    let doc = crate::doc::parse(&loaded);
    let output = if args.json {
        let mut json = serde_json::to_string_pretty(&doc)
            .map_err(|error| Error::Other(anyhow::Error::new(error)))?;
        json.push('\n');
        json
    } else {
        render(&doc)
    };
    for warning in &doc.warnings {
        eprintln!("warning: {warning}");
    }
    super::write_stdout(&output)?;
    Ok(ExitStatus::Success)
}

/// The readable view of a parsed doc.
pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored for that reason.
    let _ = write_view(&mut out, doc);
    out
}

fn write_view(out: &mut String, doc: &Doc) -> std::fmt::Result {
    let name = doc.name.as_deref().unwrap_or("(unnamed doc)");
    writeln!(out, "{name}  ({})", doc.source)?;
    if let Some(homepage) = &doc.homepage {
        writeln!(out, "homepage: {homepage}")?;
    }
    writeln!(out, "sha256: {}", doc.sha256)?;
    if doc.converted_from_html {
        writeln!(out, "converted from HTML")?;
    }
    if let Some(summary) = &doc.summary {
        writeln!(out, "summary: {summary}")?;
    }
    if let Some(objective) = &doc.objective {
        writeln!(out, "objective: {objective}")?;
    }

    writeln!(out)?;
    writeln!(out, "Sections ({})", doc.sections.len())?;
    if doc.sections.is_empty() {
        writeln!(out, "  none")?;
    }
    for section in &doc.sections {
        let depth = section.path.len();
        let indent = "  ".repeat(depth);
        writeln!(out, "{indent}{}  {}", section.title, section.location)?;
    }

    writeln!(out)?;
    writeln!(out, "Routes ({})", doc.routes.len())?;
    if doc.routes.is_empty() {
        writeln!(out, "  none: no commands here install anything")?;
    }
    for (number, route) in doc.routes.iter().enumerate() {
        write_route(out, number + 1, route)?;
    }

    writeln!(out)?;
    writeln!(out, "Verification ({})", doc.verification.len())?;
    if doc.verification.is_empty() {
        writeln!(out, "  none")?;
    }
    for check in &doc.verification {
        let origin = match check.origin {
            VerificationOrigin::FrontMatter => "front matter",
            VerificationOrigin::VersionCommand => "version check",
            VerificationOrigin::Section => "section",
            VerificationOrigin::DoneWhen => "DONE WHEN",
        };
        write!(out, "  {}    [{origin}]", check.command)?;
        if let Some(location) = &check.location {
            write!(out, " {location}")?;
        }
        if !check.section.is_empty() {
            write!(out, " · {}", display_path(&check.section))?;
        }
        writeln!(out)?;
    }

    if !doc.done_when.is_empty() {
        writeln!(out)?;
        writeln!(out, "Done when")?;
        for note in &doc.done_when {
            writeln!(out, "  {}  {}", note.text, note.location)?;
        }
    }
    if !doc.todo.is_empty() {
        writeln!(out)?;
        writeln!(out, "TODO")?;
        for item in &doc.todo {
            let mark = if item.done { "[x]" } else { "[ ]" };
            writeln!(out, "  {mark} {}  {}", item.text, item.location)?;
        }
    }
    if !doc.install_links.is_empty() {
        writeln!(out)?;
        writeln!(out, "Install links")?;
        for link in &doc.install_links {
            writeln!(out, "  {} → {}  {}", link.text, link.url, link.location)?;
        }
    }

    let in_route = |command: &Command| {
        doc.routes.iter().any(|route| {
            route.steps.iter().any(|step| {
                step.command.location == command.location && step.command.text == command.text
            })
        })
    };
    let is_check = |command: &Command| {
        doc.verification
            .iter()
            .any(|check| check.command == command.text)
    };
    let others: Vec<&Command> = doc
        .commands
        .iter()
        .filter(|command| !in_route(command) && !is_check(command))
        .collect();
    if !others.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Other commands ({}; in no route, not verification)",
            others.len()
        )?;
        for command in others {
            write_command(out, command, "  ")?;
        }
    }
    Ok(())
}

fn write_route(out: &mut String, number: usize, route: &Route) -> std::fmt::Result {
    let platforms: Vec<&str> = route
        .platforms
        .iter()
        .map(|platform| platform.as_str())
        .collect();
    writeln!(
        out,
        "  {number}. {} — {}  [{}]",
        route.id,
        route.title,
        platforms.join(", ")
    )?;
    let tools = if route.tools.is_empty() {
        "none".to_string()
    } else {
        route.tools.join(", ")
    };
    let root = if route.needs_root {
        " · needs root"
    } else {
        ""
    };
    writeln!(out, "     tools: {tools}{root}")?;
    writeln!(
        out,
        "     risk: {} — {}",
        risk_name(route.risk.level),
        route.risk.note
    )?;
    for step in &route.steps {
        let indent = if step.prerequisite {
            "     (prerequisite) "
        } else {
            "     "
        };
        write_command(out, &step.command, indent)?;
    }
    Ok(())
}

/// A command as a terminal would show it, then its citation.
fn write_command(out: &mut String, command: &Command, indent: &str) -> std::fmt::Result {
    let prompt = match (command.shell, command.root) {
        (Shell::Sh, true) => "# ",
        (Shell::Sh, false) => "$ ",
        (Shell::PowerShell, _) => "PS> ",
        (Shell::Cmd, _) => "> ",
    };
    let continuation = " ".repeat(indent.chars().count() + prompt.len());
    for (index, line) in command.text.lines().enumerate() {
        if index == 0 {
            writeln!(out, "{indent}{prompt}{line}")?;
        } else {
            writeln!(out, "{continuation}{line}")?;
        }
    }
    let padding = " ".repeat(indent.chars().count() + 4);
    if command.section.is_empty() {
        writeln!(out, "{padding}{}", command.location)
    } else {
        writeln!(
            out,
            "{padding}{} · {}",
            command.location,
            display_path(&command.section)
        )
    }
}

fn risk_name(level: RiskLevel) -> &'static str {
    match level {
        RiskLevel::SystemPackage => "system package",
        RiskLevel::LanguagePackage => "language package",
        RiskLevel::ReleaseBinary => "release binary",
        RiskLevel::ThirdPartyRepository => "third-party repository",
        RiskLevel::PipeToShell => "pipe to shell",
        RiskLevel::SourceBuild => "source build",
        RiskLevel::Unknown => "unknown",
    }
}
