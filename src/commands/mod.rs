//! The application layer: one function per subcommand. Each returns the exit status of a run
//! that completed, or an [`Error`] that `main` prints with its hint.

mod doc;
mod probe;
pub mod run;
mod sandbox;

use crate::cli::{Cli, Command};
use crate::{Error, ExitStatus};

pub fn run(cli: Cli) -> Result<ExitStatus, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("could not start the async runtime", error))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            Command::Probe(args) => probe::run(args).await,
            Command::Doc(args) => doc::run(args).await,
            Command::Sandbox(args) => sandbox::run(args).await,
        }
    })
}
