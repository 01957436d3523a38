//! agent-install: install software from its install documentation.
//!
//! The pipeline (DESIGN §1): a doc source is loaded and parsed into a [`doc::Doc`], the machine
//! is described by a [`probe::Probe`], an agent proposes commands, the policy decides, the
//! sandbox runs them, verification proves the result. `main` here parses the command line,
//! runs the command and maps the outcome to an exit status; nothing else exits the process.

pub mod agent;
pub mod approver;
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
pub mod shell;
pub mod ui;
pub mod verify;

use std::io::{IsTerminal, Write};

pub use error::{Error, ExitStatus};

/// Entry point of the binary: parse, run, report, and return the exit status.
pub fn main() -> ExitStatus {
    // The sandbox helper re-executes this binary; it must run before any thread exists.
    if let Some(status) = sandbox::helper::main_if_requested() {
        return status;
    }
    let parsed = {
        use clap::{CommandFactory, FromArgMatches};
        cli::Cli::command()
            .try_get_matches_from(with_default_subcommand(std::env::args_os().collect()))
            .and_then(|matches| {
                let agent_given = cli::given_in_subcommand(&matches, "agent");
                cli::Cli::from_arg_matches(&matches).map(|cli| (cli, agent_given))
            })
    };
    let (cli, agent_given) = match parsed {
        Ok(parsed) => parsed,
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
    let display = ui::Display::resolve(
        cli.color,
        cli.quiet,
        std::io::stderr().is_terminal(),
        std::io::stdout().is_terminal(),
        &|name| std::env::var(name).ok(),
    );
    display.install();
    init_logging(cli.verbose, display.color);
    match commands::run(cli, agent_given) {
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
    // The global options that take a value in the next argument (`--color never`): that
    // value is not the first positional argument.
    let takes_value: Vec<String> = command
        .get_arguments()
        .filter(|argument| argument.get_action().takes_values())
        .flat_map(|argument| {
            let long = argument.get_long().map(|long| format!("--{long}"));
            let short = argument.get_short().map(|short| format!("-{short}"));
            long.into_iter().chain(short)
        })
        .collect();
    let mut first_positional = None;
    let mut index = 1;
    while index < arguments.len() {
        let argument = arguments[index].to_string_lossy();
        if !argument.starts_with('-') {
            first_positional = Some(index);
            break;
        }
        index += if takes_value.iter().any(|option| *option == argument) {
            2
        } else {
            1
        };
    }
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

/// Diagnostics on stderr: `-v` info, `-vv` debug, `-vvv` trace, only agent-install's own
/// (libraries' logs would drown them; `AGENT_INSTALL_LOG` takes any `tracing` filter, e.g.
/// `AGENT_INSTALL_LOG=reqwest=debug`). Escape sequences only when the display has colour, so a
/// pipe never receives them.
fn init_logging(verbose: u8, color: bool) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let default = if verbose == 0 {
        level.to_string()
    } else {
        format!("warn,agent_install={level}")
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env(config::AGENT_INSTALL_LOG)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .without_time()
        .try_init();
}
