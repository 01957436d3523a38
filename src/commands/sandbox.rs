//! `agent-install sandbox exec`: one command in a fresh sandbox, its output streamed, then the
//! filesystem delta — the sandbox on its own, for trying a step by hand and for scripts.
//!
//! The sandbox API is blocking, so the whole run happens on a blocking thread; this task waits
//! for it and for SIGINT/SIGTERM. A signal interrupts the sandbox (its processes are killed at
//! once), then the blocking thread discards it and the command exits with 130.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use tokio::signal::unix::{SignalKind, signal};

use crate::cli::{SandboxArgs, SandboxCommand, SandboxExecArgs, SandboxOptions};
use crate::sandbox::profile;
use crate::sandbox::{
    self, Backend, Delta, ExecRequest, ExportSummary, Observation, SandboxConfig, Stream,
};
use crate::{Error, ExitStatus, shell};

pub async fn run(args: SandboxArgs) -> Result<ExitStatus, Error> {
    match args.command {
        SandboxCommand::Exec(args) => exec(args).await,
    }
}

/// What `--json` prints last.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "result")]
struct ResultEvent<'a> {
    backend: Backend,
    observation: &'a Observation,
    delta: Option<&'a Delta>,
    export: Option<&'a ExportSummary>,
    kept: Option<&'a [std::path::PathBuf]>,
    /// Requests through the egress fence, by host and port (empty without one).
    network: &'a [sandbox::egress::NetworkRequest],
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "output")]
struct OutputEvent<'a> {
    stream: Stream,
    line: &'a str,
}

/// The outcome of the blocking part.
struct Outcome {
    observation: Observation,
}

async fn exec(args: SandboxExecArgs) -> Result<ExitStatus, Error> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let mut interrupt_signal = signal(SignalKind::interrupt())
        .map_err(|error| Error::io("installing the SIGINT handler", error))?;
    let mut terminate_signal = signal(SignalKind::terminate())
        .map_err(|error| Error::io("installing the SIGTERM handler", error))?;
    let flag = Arc::clone(&interrupted);
    let mut work = tokio::task::spawn_blocking(move || run_blocking(&args, &flag));
    let joined = tokio::select! {
        joined = &mut work => joined,
        _ = interrupt_signal.recv() => return interrupt_and_wait(&interrupted, work).await,
        _ = terminate_signal.recv() => return interrupt_and_wait(&interrupted, work).await,
    };
    let outcome = joined.map_err(|join_error| {
        Error::Other(anyhow::anyhow!("the sandbox thread failed: {join_error}"))
    })??;
    let observation = outcome.observation;
    if observation.success() {
        Ok(ExitStatus::Success)
    } else {
        eprintln!("error: the command {}", observation.outcome());
        Ok(ExitStatus::Failure)
    }
}

/// Kills the sandbox's processes, waits until the blocking thread has discarded it, and
/// reports the interruption (exit status 130).
async fn interrupt_and_wait(
    interrupted: &AtomicBool,
    work: tokio::task::JoinHandle<Result<Outcome, Error>>,
) -> Result<ExitStatus, Error> {
    interrupted.store(true, Ordering::SeqCst);
    sandbox::interrupt_all();
    let _ = work.await;
    Err(Error::Interrupted)
}

fn config_for(args: &SandboxExecArgs) -> Result<SandboxConfig, Error> {
    let mut config = super::sandbox_config(&SandboxOptions {
        backend: args.sandbox.clone(),
        base: args.base.clone(),
        network: args.network.clone(),
        profile: args.profile.clone(),
        env: args.env.clone(),
    })?;
    if !args.allow_host.is_empty() {
        config.egress = Some(sandbox::egress::EgressRules {
            allow: args.allow_host.clone(),
            deny: Vec::new(),
        });
    }
    if let Some(timeout) = &args.timeout {
        config.limits.timeout = profile::parse_timeout(timeout).map_err(|reason| {
            Error::usage(
                format!("--timeout {timeout}: {reason}"),
                Some("write a duration such as 30s, 20m or 1h".to_string()),
            )
        })?;
    }
    Ok(config)
}

/// One argument is shell text as written; several are quoted and joined, as `sh -c` would need.
fn command_text(arguments: &[String]) -> String {
    if arguments.len() == 1 {
        return arguments[0].clone();
    }
    arguments
        .iter()
        .map(|argument| shell::quote(argument))
        .collect::<Vec<_>>()
        .join(" ")
}

fn run_blocking(args: &SandboxExecArgs, interrupted: &AtomicBool) -> Result<Outcome, Error> {
    let config = config_for(args)?;
    if interrupted.load(Ordering::SeqCst) {
        return Err(Error::Interrupted);
    }
    let backend = config.backend;
    let mut session = sandbox::open(config)?;
    if interrupted.load(Ordering::SeqCst) {
        session.interrupter().interrupt();
    }
    let request = ExecRequest::new(command_text(&args.command));
    let json = args.json;
    let mut print_line = |stream: Stream, line: &str| {
        if json {
            let event = OutputEvent { stream, line };
            if let Ok(text) = serde_json::to_string(&event) {
                let _ = writeln!(std::io::stdout().lock(), "{text}");
            }
        } else {
            let _ = match stream {
                Stream::Stdout => writeln!(std::io::stdout().lock(), "{line}"),
                Stream::Stderr => writeln!(std::io::stderr().lock(), "{line}"),
            };
        }
    };
    // Dropping `session` on any early return below discards it (processes, temp dirs).
    let observation = session.exec(&request, &mut print_line)?;
    let network = sandbox::egress::summarize(&session.network_requests());
    let delta = if session.tracks_changes() {
        let mut delta = session.delta()?;
        if args.all {
            for change in &mut delta.changes {
                change.hidden = false;
            }
        }
        Some(delta)
    } else {
        None
    };
    let export = match &args.export_layer {
        Some(path) => Some(session.export_layer(path)?),
        None => None,
    };
    // Without `--keep`, the sandbox is discarded after the summary is out: removing its
    // directories can take a while on some disks, and the user need not wait for it.
    let (kept, to_discard) = match &args.keep {
        Some(directory) => (Some(session.keep(directory)?), None),
        None => (None, Some(session)),
    };
    if json {
        let event = ResultEvent {
            backend,
            observation: &observation,
            delta: delta.as_ref(),
            export: export.as_ref(),
            kept: kept.as_deref(),
            network: &network,
        };
        let text = serde_json::to_string(&event)
            .map_err(|error| Error::Other(anyhow::anyhow!("serializing the result: {error}")))?;
        let _ = writeln!(std::io::stdout().lock(), "{text}");
    } else {
        let mut summary = format!(
            "── {} sandbox: {} in {:.2}s ──\n",
            backend,
            observation.outcome(),
            observation.duration.as_secs_f64()
        );
        for request in &network {
            summary.push_str(&format!(
                "network: {} {}:{} ({} bytes)\n",
                if request.allowed {
                    "contacted"
                } else {
                    "blocked"
                },
                request.host,
                request.port,
                request.bytes
            ));
        }
        if let Some(delta) = &delta {
            summary.push_str(&delta.render(50));
        }
        if let Some(export) = &export {
            summary.push_str(&format!(
                "layer written to {} ({} entries, {} whiteouts)\n",
                export.path.display(),
                export.entries,
                export.whiteouts + export.opaque_directories
            ));
        }
        if let Some(kept) = &kept {
            for directory in kept {
                summary.push_str(&format!("changes kept in {}\n", directory.display()));
            }
        }
        let _ = write!(std::io::stderr().lock(), "{summary}");
    }
    if let Some(session) = to_discard {
        session.discard()?;
    }
    Ok(Outcome { observation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_joined_with_quoting() {
        assert_eq!(
            command_text(&["cd /opt && ls".to_string()]),
            "cd /opt && ls"
        );
        assert_eq!(
            command_text(&["echo".to_string(), "a b".to_string(), "it's".to_string()]),
            "echo 'a b' 'it'\\''s'"
        );
    }
}
