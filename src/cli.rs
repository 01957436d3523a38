//! Command-line definitions (clap). Parsing only: nothing here does I/O; `commands` does the work.

use clap::{Args, Parser, Subcommand};

use crate::doc::LoadOptions;

/// Install software from its install documentation.
///
/// agent-install reads a product's install doc (a URL, a file, `-` for stdin, or a name from
/// its catalog), probes this machine, rehearses the install in a sandbox until verification
/// passes, and only then applies the verified steps to the real target.
#[derive(Debug, Parser)]
#[command(name = "agent-install", version, propagate_version = true)]
#[command(
    after_help = "Exit statuses: 0 ok · 1 unexpected failure · 2 usage · 3 doc could not \
be loaded · 4 no route worked · 5 verification failed · 6 refused · 7 sandbox unavailable · \
8 agent backend error · 130 interrupted"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log diagnostics to stderr (repeat for more: -v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the facts about this machine that planning uses (OS, tools, package managers, ...).
    Probe(ProbeArgs),
    /// Load an install doc and show how it was understood: sections, commands, routes,
    /// verification.
    Doc(DocArgs),
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also check which package registries answer (short timeout each).
    #[arg(long)]
    pub network: bool,
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// The install doc: an http(s) URL, a file path, `-` for stdin, or a catalog name
    /// (see `install-docs/`).
    pub doc: String,
    /// Print JSON instead of the readable view.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Options for loading a doc, shared by every command that takes one.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Refuse docs larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = LoadOptions::DEFAULT_MAX_BYTES)]
    pub max_doc_size: u64,
    /// Give up fetching a doc URL after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = LoadOptions::DEFAULT_TIMEOUT_SECS)]
    pub fetch_timeout: u64,
}

impl LoadArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            max_bytes: self.max_doc_size,
            timeout: std::time::Duration::from_secs(self.fetch_timeout),
            ..LoadOptions::default()
        }
    }
}
