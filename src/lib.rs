//! agent-install: install software from its install documentation.
//!
//! The pipeline (DESIGN §1): a doc source is loaded and parsed into a [`doc::Doc`], the machine
//! is described by a [`probe::Probe`], an agent proposes commands, the policy decides, the
//! sandbox runs them, verification proves the result. `main` here parses the command line,
//! runs the command and maps the outcome to an exit status; nothing else exits the process.

pub mod agent;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod doc;
pub mod error;
pub mod event;
pub mod probe;
pub mod report;
pub mod ui;

use clap::Parser;

pub use error::{Error, ExitStatus};

/// Entry point of the binary: parse, run, report, and return the exit status.
pub fn main() -> ExitStatus {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout and errors to stderr itself.
            let _ = error.print();
            return if error.use_stderr() {
                ExitStatus::Usage
            } else {
                ExitStatus::Success
            };
        }
    };
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(status) => status,
        Err(error) => {
            eprintln!("{}", error::Report(&error));
            error.exit_status()
        }
    }
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("AGENT_INSTALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .try_init();
}
