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
pub mod config;
pub mod doc;
pub mod error;
pub mod event;
pub mod export;
pub mod oci;
pub mod plan;
pub mod policy;
pub mod probe;
pub mod record;
pub mod replay;
pub mod report;
pub mod sandbox;
pub mod session;
pub mod ui;

use std::io::Write;

use clap::Parser;

pub use error::{Error, ExitStatus};

/// Entry point of the binary: parse, run, report, and return the exit status.
pub fn main() -> ExitStatus {
    // The sandbox helper re-executes this binary; it must run before any thread exists.
    if let Some(status) = sandbox::holder::main_if_requested() {
        return status;
    }
    let cli = match cli::Cli::try_parse_from(with_default_subcommand(std::env::args_os().collect()))
    {
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
            // Nothing is left to tell a reader who closed stderr; never panic over it.
            let _ = writeln!(std::io::stderr(), "{}", error::Report(&error));
            error.exit_status()
        }
    }
}

/// `agent-install <DOC> ...` means `agent-install run <DOC> ...`: inserts `run` before the first
/// positional argument when it is not a subcommand (or `help`).
fn with_default_subcommand(mut arguments: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let command = cli::Cli::command();
    let first_positional = arguments
        .iter()
        .skip(1)
        .position(|argument| !argument.to_string_lossy().starts_with('-'))
        .map(|index| index + 1);
    if let Some(index) = first_positional {
        let word = arguments[index].to_string_lossy().into_owned();
        let known = word == "help"
            || command.get_subcommands().any(|subcommand| {
                subcommand.get_name() == word
                    || subcommand.get_all_aliases().any(|alias| alias == word)
            });
        if !known {
            arguments.insert(index, "run".into());
        }
    }
    arguments
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
