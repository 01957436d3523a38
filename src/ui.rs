//! Renderers of the event stream: the terminal UI, `--json` NDJSON on stdout, the
//! `--transcript` JSONL file, and the report builder — all fed by [`Outputs::emit`].
//!
//! Diagnostics and progress go to stderr; stdout carries only data (`--json` events), so
//! `agent-install … --json | jq` works. How the human view looks is decided once per process
//! ([`Display`], from `--color`, `-q`, `-v` and the environment): colours only where
//! [`Display::resolve`] says so (a terminal by default, never with `NO_COLOR`), nothing but the
//! final summary with `-q`. Every line that leaves the process passes through the secret
//! redactor first.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytesize::ByteSize;
use console::Style;
use indicatif::{ProgressBar, ProgressStyle};

use crate::event::{Ending, Event, Outcome, Stream};
use crate::report::{Report, ReportBuilder};

/// When stderr gets colours (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set (or `CLICOLOR_FORCE` forces colour anyway).
    Auto,
    /// Always, also into pipes and files.
    Always,
    /// Never.
    Never,
}

/// How the human-facing output looks, decided once per process from the global flags and the
/// environment (see [`color_wanted`]) and read by every renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Display {
    /// Escape sequences (colours, bold) on stderr.
    pub color: bool,
    /// Escape sequences in the tables printed on stdout (`probe`, `search`, `config`).
    pub stdout_color: bool,
    /// `-q`: no progress, no warnings; only the final summary and errors.
    pub quiet: bool,
    /// stderr is a terminal: spinners and progress bars instead of plain lines.
    pub interactive: bool,
}

static DISPLAY: OnceLock<Display> = OnceLock::new();

/// Whether a stream gets escape sequences. The rules, in order: `--color never` and `--color
/// always` win; with `auto`, a non-empty `NO_COLOR` turns colour off, a `CLICOLOR_FORCE` other
/// than `0` turns it on, `TERM=dumb` turns it off, and otherwise the stream being a terminal
/// decides. A pipe never gets escape sequences unless asked for explicitly.
pub fn color_wanted(
    choice: ColorChoice,
    is_terminal: bool,
    environment: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let set = |name: &str| environment(name).filter(|value| !value.is_empty());
    match choice {
        ColorChoice::Never => false,
        ColorChoice::Always => true,
        ColorChoice::Auto => {
            if set(crate::config::NO_COLOR).is_some() {
                false
            } else if set(crate::config::CLICOLOR_FORCE).is_some_and(|value| value != "0") {
                true
            } else if set("TERM").as_deref() == Some("dumb") {
                false
            } else {
                is_terminal
            }
        }
    }
}

impl Display {
    /// The display for these flags, this environment and these streams.
    pub fn resolve(
        choice: ColorChoice,
        quiet: bool,
        stderr_is_terminal: bool,
        stdout_is_terminal: bool,
        environment: &dyn Fn(&str) -> Option<String>,
    ) -> Display {
        Display {
            color: color_wanted(choice, stderr_is_terminal, environment),
            stdout_color: color_wanted(choice, stdout_is_terminal, environment),
            quiet,
            interactive: stderr_is_terminal,
        }
    }

    /// Makes this the display of the process (the first call wins) and tells `console`
    /// (used by indicatif and dialoguer) whether to colour.
    pub fn install(self) {
        let display = *DISPLAY.get_or_init(|| self);
        console::set_colors_enabled_stderr(display.color);
        console::set_colors_enabled(display.stdout_color);
    }

    /// The display of this process: the installed one, else the default for this terminal
    /// and environment (library users and tests that never call [`Display::install`]).
    pub fn current() -> Display {
        *DISPLAY.get_or_init(|| {
            Display::resolve(
                ColorChoice::Auto,
                false,
                std::io::stderr().is_terminal(),
                std::io::stdout().is_terminal(),
                &|name| std::env::var(name).ok(),
            )
        })
    }
}

/// A progress bar for a download (a doc fetched over HTTP): bytes, total, rate. Drawn only on
/// an interactive stderr without `-q`; elsewhere it stays silent and the finished transfer is
/// logged at `-v`.
pub struct Download {
    bar: Option<ProgressBar>,
    label: String,
    started: Instant,
    bytes: u64,
}

impl Download {
    /// Bars appear only for transfers that take a moment: below this, nothing is drawn.
    const SHOW_AFTER: Duration = Duration::from_millis(300);

    pub fn start(label: &str, total: Option<u64>) -> Download {
        let display = Display::current();
        let bar = (display.interactive && !display.quiet).then(|| {
            let bar = ProgressBar::hidden();
            bar.set_length(total.unwrap_or(0));
            let template = if total.is_some() {
                "{prefix} {bytes}/{total_bytes} ({bytes_per_sec}, {elapsed})"
            } else {
                "{spinner} {prefix} {bytes} ({bytes_per_sec}, {elapsed})"
            };
            if let Ok(style) = ProgressStyle::with_template(template) {
                bar.set_style(style);
            }
            bar.set_prefix(format!("fetching {label}"));
            bar
        });
        Download {
            bar,
            label: label.to_string(),
            started: Instant::now(),
            bytes: 0,
        }
    }

    pub fn advance(&mut self, bytes: u64) {
        self.bytes += bytes;
        if let Some(bar) = &self.bar {
            if bar.is_hidden() && self.started.elapsed() >= Self::SHOW_AFTER {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            bar.set_position(self.bytes);
        }
    }

    /// Clears the bar and logs the transfer: `fetched URL: 1.2 MB in 0.4s (3.0 MB/s)`.
    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let seconds = self.started.elapsed().as_secs_f64();
        tracing::info!(
            "fetched {}: {} in {seconds:.1}s ({}/s)",
            self.label,
            human_bytes(self.bytes),
            human_bytes((self.bytes as f64 / seconds.max(0.001)) as u64)
        );
    }
}

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

    /// Ends a run that asked no agent: emits its `Finished` event ([`Ending::finished`]) and
    /// gives back the exit status.
    pub fn end(
        &mut self,
        ending: Ending,
        route: Option<String>,
        started: Instant,
    ) -> crate::ExitStatus {
        let status = ending.status;
        self.emit(ending.finished(route, started));
        status
    }

    pub fn emit(&mut self, event: Event) {
        let event = self.record(event);
        if let Some(terminal) = &mut self.terminal {
            terminal.render(&event);
        }
    }

    /// Feeds the report, `--json` and the transcript, but not the terminal: for an ending
    /// that the command also returns as an error, which `main` prints once.
    pub fn emit_unrendered(&mut self, event: Event) {
        self.record(event);
    }

    fn record(&mut self, event: Event) -> Event {
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
        event
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

/// The human view on stderr: a spinner per step on a terminal, plain lines otherwise; with
/// `-q`, only the final summary.
struct Terminal {
    interactive: bool,
    quiet: bool,
    /// When the run began, for the total elapsed time beside each step.
    started: Instant,
    spinner: Option<ProgressBar>,
    step_command: String,
    /// `3/7` when the number of steps is known, else `3`.
    step_label: String,
    styles: Styles,
    /// The requests through the egress fence so far, for the closing summary.
    network: Vec<crate::sandbox::egress::NetworkRequest>,
    /// The step whose requests the fence blocked, if the last `Network` event said so.
    blocked_step: Option<usize>,
}

struct Styles {
    good: Style,
    bad: Style,
    dim: Style,
    bold: Style,
}

impl Terminal {
    fn new() -> Terminal {
        let display = Display::current();
        // `force_styling` makes each style follow the resolved choice rather than console's
        // own guess from the environment.
        let style = |style: Style| style.for_stderr().force_styling(display.color);
        Terminal {
            interactive: display.interactive && !display.quiet,
            quiet: display.quiet,
            started: Instant::now(),
            spinner: None,
            step_command: String::new(),
            step_label: String::new(),
            styles: Styles {
                good: style(Style::new().green()),
                bad: style(Style::new().red()),
                dim: style(Style::new().dim()),
                bold: style(Style::new().bold()),
            },
            network: Vec::new(),
            blocked_step: None,
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
        if let Event::Network { requests, step, .. } = event {
            if requests.iter().any(|request| !request.allowed) {
                self.blocked_step = *step;
            }
            self.network.extend(requests.iter().cloned());
            self.network = crate::sandbox::egress::summarize(&self.network);
        }
        if self.quiet && !matches!(event, Event::Finished { .. }) {
            return;
        }
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
            } if *decision != crate::policy::Decision::Allow => self.line(format!(
                "  {} {command}\n    {}",
                bad.apply_to(format!("policy {decision}:")),
                reasons.join("; ")
            )),
            Event::Decision { .. } => {}
            Event::StepStarted {
                step,
                total,
                command,
                target,
                ..
            } => {
                self.clear_spinner();
                self.step_command = first_line(command);
                self.step_label = match total {
                    Some(total) => format!("{step}/{total}"),
                    None => step.to_string(),
                };
                if self.interactive {
                    // The bar's own clock is the step's; the run's total is a key of its own.
                    let spinner = ProgressBar::new_spinner();
                    let run_started = self.started;
                    let template = format!(
                        "{{spinner}} [{}] {{prefix}} {{elapsed}} (total {{total}}) {{msg}}",
                        self.step_label
                    );
                    if let Ok(style) = ProgressStyle::with_template(&template) {
                        spinner.set_style(style.with_key(
                            "total",
                            move |_: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
                                let _ = write!(out, "{}s", run_started.elapsed().as_secs());
                            },
                        ));
                    }
                    spinner.set_prefix(format!("{} ({target})", self.step_command));
                    spinner.enable_steady_tick(Duration::from_millis(120));
                    self.spinner = Some(spinner);
                } else {
                    self.line(format!(
                        "[{}] {} ({target})",
                        self.step_label, self.step_command
                    ));
                }
            }
            Event::Output { line, stream, .. } => {
                if let Some(spinner) = &self.spinner {
                    // Progress meters (apt, pip, curl) redraw one line with carriage returns:
                    // the last drawing is the news.
                    let latest = line
                        .rsplit('\r')
                        .find(|part| !part.trim().is_empty())
                        .unwrap_or_default();
                    let shown: String = latest.chars().take(80).collect();
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
                let blocked = self.blocked_step.take() == Some(*step);
                let status = match (exit_status, timed_out) {
                    (_, true) => format!("{}", bad.apply_to("timed out")),
                    _ if blocked => format!("{}", bad.apply_to("blocked by the egress fence")),
                    (Some(0), _) => match change {
                        Some(change) => format!("{}", good.apply_to(change.name())),
                        None => format!("{}", good.apply_to("ok")),
                    },
                    (Some(code), _) => format!("{}", bad.apply_to(format!("exit {code}"))),
                    (None, _) => format!("{}", bad.apply_to("killed")),
                };
                let command = self.step_command.clone();
                let label = if self.step_label.is_empty() {
                    step.to_string()
                } else {
                    self.step_label.clone()
                };
                self.line(format!("[{label}] {command} — {status} in {seconds:.1}s"));
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
            Event::Network {
                step: None,
                command,
                requests,
            } if command == REHEARSAL_NETWORK => {
                if let Some(summary) = network_summary(requests) {
                    self.line(format!("{} {command}: {summary}", dim.apply_to("network")));
                }
            }
            Event::Network { requests, .. } => {
                let blocked: Vec<String> = requests
                    .iter()
                    .filter(|request| !request.allowed)
                    .map(|request| format!("{}:{}", request.host, request.port))
                    .collect();
                if !blocked.is_empty() {
                    self.line(format!(
                        "  {} {}",
                        bad.apply_to("network:"),
                        crate::sandbox::egress::blocked_message(&blocked)
                    ));
                }
            }
            Event::CheckSetAside { command, reason } => self.line(format!(
                "  not a check of this install: {command} ({reason})"
            )),
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
                if let Some(summary) = network_summary(&self.network) {
                    self.line(format!("{} {summary}", dim.apply_to("network")));
                }
                self.line(format!("{headline}{route} in {seconds:.1}s — {message}"));
            }
        }
    }
}

/// The `command` of the `Network` event that sums up what a rehearsal reached before an apply
/// to this machine (shown as one line).
pub const REHEARSAL_NETWORK: &str = "the rehearsal before the apply";

/// "contacted deb.debian.org (4.1 MB); blocked 127.0.0.1:18777", or `None` when nothing went
/// through a fence.
pub fn network_summary(requests: &[crate::sandbox::egress::NetworkRequest]) -> Option<String> {
    let contacted: Vec<String> = requests
        .iter()
        .filter(|request| request.allowed)
        .map(|request| format!("{} ({})", request.address(), human_bytes(request.bytes)))
        .collect();
    let blocked: Vec<String> = requests
        .iter()
        .filter(|request| !request.allowed)
        .map(crate::sandbox::egress::NetworkRequest::address)
        .collect();
    let mut parts = Vec::new();
    if !contacted.is_empty() {
        parts.push(format!("contacted {}", contacted.join(", ")));
    }
    if !blocked.is_empty() {
        parts.push(format!("blocked {}", blocked.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
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

/// Sizes as people read them, in decimal units (1.2 MB).
pub fn human_bytes(bytes: u64) -> String {
    ByteSize(bytes).display().si().to_string()
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
    fn colour_follows_the_flag_then_the_environment_then_the_stream() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        // (choice, terminal, environment, colour)
        type Row = (
            ColorChoice,
            bool,
            &'static [(&'static str, &'static str)],
            bool,
        );
        let table: &[Row] = &[
            (ColorChoice::Auto, true, &[], true),
            (ColorChoice::Auto, false, &[], false),
            (ColorChoice::Auto, true, &[("NO_COLOR", "1")], false),
            (ColorChoice::Auto, true, &[("NO_COLOR", "")], true),
            (ColorChoice::Auto, false, &[("CLICOLOR_FORCE", "1")], true),
            (ColorChoice::Auto, false, &[("CLICOLOR_FORCE", "0")], false),
            (
                ColorChoice::Auto,
                false,
                &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
                false,
            ),
            (ColorChoice::Auto, true, &[("TERM", "dumb")], false),
            (ColorChoice::Always, false, &[("NO_COLOR", "1")], true),
            (ColorChoice::Never, true, &[("CLICOLOR_FORCE", "1")], false),
        ];
        for (choice, terminal, pairs, expected) in table {
            assert_eq!(
                color_wanted(*choice, *terminal, &env(pairs)),
                *expected,
                "{choice:?} terminal={terminal} {pairs:?}"
            );
        }
        let display = Display::resolve(ColorChoice::Auto, true, true, false, &env(&[]));
        assert!(display.color && !display.stdout_color && display.quiet && display.interactive);
    }

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
            decision: crate::policy::Decision::Allow,
            risks: vec!["network-fetch".into()],
            reasons: vec![],
        });
        outputs.emit(Event::Finished {
            outcome: Outcome::Verified,
            exit_code: crate::ExitStatus::Success,
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
