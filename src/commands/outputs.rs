//! Where a command's results go: stdout, the event outputs (terminal or `--json`, the
//! transcript, the report file), and the signals that end a run early.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::signal::unix::{SignalKind, signal};

use crate::Error;
use crate::sandbox;
use crate::ui::Outputs;

/// Writes a command's result to stdout. A reader that closed the pipe early
/// (`agent-install doc x | head`) is not a failure.
pub fn write_stdout(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::io("could not write to standard output", error))
        }
        _ => Ok(()),
    }
}

/// The outputs of a command that runs steps: the terminal display or `--json` NDJSON on
/// stdout, the `--transcript` file if asked for, the report; every text redacted of the
/// secrets in this process's environment.
pub fn open_outputs(
    json: bool,
    transcript: Option<&std::path::Path>,
) -> Result<crate::ui::Outputs, Error> {
    let transcript = match transcript {
        Some(path) => Some(std::fs::File::create(path).map_err(|error| {
            Error::io(
                format!("could not create the transcript {}", path.display()),
                error,
            )
        })?),
        None => None,
    };
    let redactor = crate::policy::Redactor::from_env(std::env::vars());
    Ok(crate::ui::Outputs::new(
        json,
        transcript,
        Box::new(move |text: &str| redactor.redact(text).into_owned()),
    ))
}

/// Stops the outputs and writes the report to `path`, if one was asked for.
pub fn write_report_to(path: Option<&std::path::Path>, outputs: Outputs) -> Result<(), Error> {
    let report = outputs.finish();
    if let (Some(path), Some(report)) = (path, report) {
        let text =
            serde_json::to_string_pretty(&report).map_err(|error| Error::Other(error.into()))?;
        std::fs::write(path, text + "\n").map_err(|error| {
            Error::io(
                format!("could not write the report {}", path.display()),
                error,
            )
        })?;
    }
    Ok(())
}

/// On SIGINT or SIGTERM: mark the run interrupted and kill every sandbox's processes, so the
/// session unwinds, cleans up and reports `interrupted` (exit 130).
pub fn spawn_signal_watcher(
    interrupted: Arc<AtomicBool>,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|error| Error::io("installing the SIGINT handler", error))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| Error::io("installing the SIGTERM handler", error))?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        interrupted.store(true, Ordering::SeqCst);
        sandbox::interrupt_all();
    }))
}
