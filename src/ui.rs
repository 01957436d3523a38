//! Renderers of the event stream: the terminal UI, `--json` NDJSON on stdout, the
//! `--transcript` JSONL file, and the report builder — all fed by [`Outputs::emit`].
//!
//! Diagnostics and progress go to stderr; stdout carries only data (`--json` events), so
//! `agent-install … --json | jq` works. Colours appear only on a terminal and never with
//! `NO_COLOR`. Every line that leaves the process passes through the secret redactor first.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::time::Duration;

use console::Style;
use indicatif::{ProgressBar, ProgressStyle};

use crate::event::{Event, Outcome, Stream};
use crate::report::{Report, ReportBuilder};

/// Where a run's events go.
pub struct Outputs {
    terminal: Option<Terminal>,
    json: bool,
    transcript: Option<BufWriter<File>>,
    report: ReportBuilder,
    redact: Box<dyn Fn(&str) -> String + Send>,
}

impl Outputs {
    /// `json`: NDJSON on stdout instead of the terminal UI. `transcript`: a file that receives
    /// every event as one JSON line. `redact`: applied to every line written anywhere.
    pub fn new(
        json: bool,
        transcript: Option<File>,
        redact: Box<dyn Fn(&str) -> String + Send>,
    ) -> Outputs {
        Outputs {
            terminal: (!json).then(Terminal::new),
            json,
            transcript: transcript.map(BufWriter::new),
            report: ReportBuilder::default(),
            redact,
        }
    }

    /// Only the report builder listens: for commands that print their own view of the result
    /// (`plan` shows the plan, not the dry run's step-by-step progress).
    pub fn silent() -> Outputs {
        Outputs {
            terminal: None,
            json: false,
            transcript: None,
            report: ReportBuilder::default(),
            redact: Box::new(str::to_string),
        }
    }

    pub fn emit(&mut self, event: Event) {
        let event = self.redacted(event);
        self.report.observe(&event);
        if self.json || self.transcript.is_some() {
            // Serializing our own plain data types cannot fail; an empty line would only
            // mean a bug here, never lost user data.
            let line = serde_json::to_string(&event).unwrap_or_default();
            if self.json {
                let mut stdout = std::io::stdout().lock();
                let _ = writeln!(stdout, "{line}");
                let _ = stdout.flush();
            }
            if let Some(transcript) = &mut self.transcript {
                let _ = writeln!(transcript, "{line}");
                if matches!(event, Event::Finished { .. }) {
                    let _ = transcript.flush();
                }
            }
        }
        if let Some(terminal) = &mut self.terminal {
            terminal.render(&event);
        }
    }

    /// Stops any spinner and returns the report (if the run finished).
    pub fn finish(mut self) -> Option<Report> {
        if let Some(transcript) = &mut self.transcript {
            let _ = transcript.flush();
        }
        if let Some(terminal) = &mut self.terminal {
            terminal.clear_spinner();
        }
        self.report.finish()
    }

    fn redacted(&self, event: Event) -> Event {
        // Round-trip through JSON so every string field is covered without listing them.
        let Ok(mut value) = serde_json::to_value(&event) else {
            return event;
        };
        redact_value(&mut value, &*self.redact);
        serde_json::from_value(value).unwrap_or(event)
    }
}

fn redact_value(value: &mut serde_json::Value, redact: &dyn Fn(&str) -> String) {
    match value {
        serde_json::Value::String(text) => *text = redact(text),
        serde_json::Value::Array(items) => {
            items.iter_mut().for_each(|item| redact_value(item, redact))
        }
        serde_json::Value::Object(map) => {
            map.values_mut().for_each(|item| redact_value(item, redact))
        }
        _ => {}
    }
}

/// The human view on stderr: a spinner per step on a terminal, plain lines otherwise.
struct Terminal {
    interactive: bool,
    spinner: Option<ProgressBar>,
    step_command: String,
    styles: Styles,
}

struct Styles {
    good: Style,
    bad: Style,
    dim: Style,
    bold: Style,
}

impl Terminal {
    fn new() -> Terminal {
        let interactive = std::io::stderr().is_terminal();
        let colors = interactive && std::env::var_os("NO_COLOR").is_none();
        console::set_colors_enabled_stderr(colors);
        let style = |style: Style| style.for_stderr();
        Terminal {
            interactive,
            spinner: None,
            step_command: String::new(),
            styles: Styles {
                good: style(Style::new().green()),
                bad: style(Style::new().red()),
                dim: style(Style::new().dim()),
                bold: style(Style::new().bold()),
            },
        }
    }

    fn line(&mut self, text: String) {
        match &self.spinner {
            Some(spinner) => spinner.println(text),
            None => stderr_line(&text),
        }
    }

    fn clear_spinner(&mut self) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
    }

    fn render(&mut self, event: &Event) {
        let Styles {
            good,
            bad,
            dim,
            bold,
        } = &self.styles;
        let (good, bad, dim, bold) = (good.clone(), bad.clone(), dim.clone(), bold.clone());
        match event {
            Event::Started {
                doc,
                agent,
                sandbox,
                agent_reason,
            } => self.line(format!(
                "{} {doc} · agent {agent} ({agent_reason}) · sandbox {sandbox}",
                bold.apply_to("agent-install")
            )),
            Event::DocLoaded {
                source,
                routes,
                commands,
                warnings,
                ..
            } => {
                self.line(format!(
                    "{} {source}: {routes} route(s), {commands} command(s)",
                    dim.apply_to("doc")
                ));
                for warning in warnings {
                    self.line(format!("{} {warning}", bad.apply_to("warning:")));
                }
            }
            Event::Probed { summary, .. } => {
                self.line(format!("{} {summary}", dim.apply_to("machine")))
            }
            Event::RouteChosen { route, reason } => {
                self.line(format!("{} {route} — {reason}", bold.apply_to("route")))
            }
            Event::RouteAbandoned { route, reason } => self.line(format!(
                "{} {route}: {reason}",
                bad.apply_to("route abandoned")
            )),
            Event::Repair { rule, reason, .. } => {
                self.line(format!("  {} {rule}: {reason}", bold.apply_to("repair")))
            }
            Event::Decision {
                command,
                decision,
                reasons,
                ..
            } if decision != "allow" => self.line(format!(
                "  {} {command}\n    {}",
                bad.apply_to(format!("policy {decision}:")),
                reasons.join("; ")
            )),
            Event::Decision { .. } => {}
            Event::StepStarted {
                step,
                command,
                target,
                ..
            } => {
                self.clear_spinner();
                self.step_command = first_line(command);
                if self.interactive {
                    let spinner = ProgressBar::new_spinner();
                    let template = format!("{{spinner}} [{step}] {{prefix}} {{elapsed}} {{msg}}");
                    if let Ok(style) = ProgressStyle::with_template(&template) {
                        spinner.set_style(style);
                    }
                    spinner.set_prefix(format!("{} ({target})", self.step_command));
                    spinner.enable_steady_tick(Duration::from_millis(120));
                    self.spinner = Some(spinner);
                } else {
                    self.line(format!("[{step}] {} ({target})", self.step_command));
                }
            }
            Event::Output { line, stream, .. } => {
                if let Some(spinner) = &self.spinner {
                    let shown: String = line.chars().take(80).collect();
                    spinner.set_message(format!("{}", dim.apply_to(shown)));
                } else if *stream == Stream::Stderr && !self.interactive {
                    // Without a terminal, keep stderr lines: they explain failures in CI logs.
                    stderr_line(&format!("    {line}"));
                }
            }
            Event::StepFinished {
                step,
                exit_status,
                duration_ms,
                timed_out,
                change,
            } => {
                self.clear_spinner();
                let seconds = *duration_ms as f64 / 1000.0;
                let status = match (exit_status, timed_out) {
                    (_, true) => format!("{}", bad.apply_to("timed out")),
                    (Some(0), _) => match change {
                        Some(change) => format!("{}", good.apply_to(change.name())),
                        None => format!("{}", good.apply_to("ok")),
                    },
                    (Some(code), _) => format!("{}", bad.apply_to(format!("exit {code}"))),
                    (None, _) => format!("{}", bad.apply_to("killed")),
                };
                let command = self.step_command.clone();
                self.line(format!("[{step}] {command} — {status} in {seconds:.1}s"));
            }
            Event::RolledBack { step } => {
                self.line(format!("  {} step {step}", dim.apply_to("rolled back")))
            }
            Event::Verification {
                command,
                passed,
                target,
                detail,
            } => {
                let mark = if *passed {
                    good.apply_to("✓ verified")
                } else {
                    bad.apply_to("✗ verification failed")
                };
                let detail = if *passed {
                    String::new()
                } else {
                    format!("\n    {}", detail.lines().last().unwrap_or_default())
                };
                self.line(format!("{mark} ({target}): {command}{detail}"));
            }
            Event::Delta {
                added,
                modified,
                deleted,
                bytes,
                summary,
                highlights,
            } if !highlights.is_empty() => {
                self.line(format!(
                    "{} {added} added, {modified} modified, {deleted} deleted ({})",
                    bold.apply_to("changes"),
                    human_bytes(*bytes)
                ));
                for highlight in highlights {
                    self.line(format!("    {highlight}"));
                }
                let _ = summary;
            }
            Event::Delta {
                added,
                modified,
                deleted,
                bytes,
                summary,
                ..
            } => {
                self.line(format!(
                    "{} {added} added, {modified} modified, {deleted} deleted ({})",
                    bold.apply_to("changes"),
                    human_bytes(*bytes)
                ));
                for entry in summary.iter().take(20) {
                    self.line(format!("    {entry}"));
                }
                if summary.len() > 20 {
                    self.line(format!("    … and {} more", summary.len() - 20));
                }
            }
            Event::PlanSource { source, detail } => self.line(format!(
                "{} {} — {detail}",
                dim.apply_to("steps from"),
                source.name()
            )),
            Event::Warning { message } => {
                self.line(format!("{} {message}", bad.apply_to("warning:")))
            }
            Event::AgentUsage {
                calls,
                tokens,
                cost_usd,
            } => {
                let cost = cost_usd
                    .map(|cost| format!(", ${cost:.4}"))
                    .unwrap_or_default();
                self.line(format!(
                    "{} {calls} call(s), {tokens} token(s){cost}",
                    dim.apply_to("llm")
                ))
            }
            Event::Finished {
                outcome,
                message,
                route,
                duration_ms,
                ..
            } => {
                self.clear_spinner();
                let seconds = *duration_ms as f64 / 1000.0;
                let headline = match outcome {
                    Outcome::Installed
                    | Outcome::Verified
                    | Outcome::Planned
                    | Outcome::Uninstalled => good.apply_to(format!("{outcome:?}").to_lowercase()),
                    _ => bad.apply_to(format!("{outcome:?}").to_lowercase()),
                };
                let route = route
                    .as_deref()
                    .map(|route| format!(" via {route}"))
                    .unwrap_or_default();
                self.line(format!("{headline}{route} in {seconds:.1}s — {message}"));
            }
        }
    }
}

fn first_line(command: &str) -> String {
    let mut lines = command.lines();
    let first = lines.next().unwrap_or_default().to_string();
    if lines.next().is_some() {
        format!("{first} …")
    } else {
        first
    }
}

/// Sizes as people read them (1.2 MB).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: &[&str] = &["B", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// One line of progress on stderr. A closed stderr (`agent-install x 2>&1 | head`) stops the
/// display, not the install.
fn stderr_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1_200_000), "1.2 MB");
    }

    #[test]
    fn events_are_redacted_before_any_output_and_reach_the_report() {
        let transcript = tempfile::NamedTempFile::new().unwrap();
        let mut outputs = Outputs::new(
            false,
            Some(transcript.reopen().unwrap()),
            Box::new(|text: &str| text.replace("sk-secret", "[REDACTED]")),
        );
        outputs.emit(Event::Decision {
            step: 1,
            command: "curl -H 'Authorization: sk-secret' http://x".into(),
            decision: "allow".into(),
            risks: vec!["network-fetch".into()],
            reasons: vec![],
        });
        outputs.emit(Event::Finished {
            outcome: Outcome::Verified,
            exit_code: 0,
            message: "ok".into(),
            route: Some("apt".into()),
            agent_calls: 0,
            agent_tokens: 0,
            duration_ms: 5,
        });
        let report = outputs.finish().unwrap();
        assert_eq!(
            report.steps[0].command,
            "curl -H 'Authorization: [REDACTED]' http://x"
        );
        let written = std::fs::read_to_string(transcript.path()).unwrap();
        assert!(!written.contains("sk-secret"), "{written}");
        assert_eq!(written.lines().count(), 2);
        assert_eq!(report.route.as_deref(), Some("apt"));
    }
}
