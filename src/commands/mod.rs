//! The application layer: one function per subcommand. Each returns the exit status of a run
//! that completed, or an [`Error`] that `main` prints with its hint.

mod doc;
mod probe;
pub mod run;
mod sandbox;

use crate::cli::{Cli, Command, SandboxOptions};
use crate::sandbox::{Backend, Network, Profile, SandboxConfig, rootfs};
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

/// The sandbox settings: the profile (default or `--profile`), then the flags on top.
pub fn sandbox_config(options: &SandboxOptions) -> Result<SandboxConfig, Error> {
    let profile = match &options.profile {
        Some(name) => Profile::load(name)?,
        None => Profile::default_profile()?,
    };
    let mut config = SandboxConfig::from_profile(&Profile {
        // The base is resolved below, after the command line's override.
        base: "/".to_string(),
        ..profile.clone()
    })?;
    config.base = rootfs::resolve(options.base.as_deref().unwrap_or(&profile.base))?;
    if let Some(backend) = &options.backend {
        config.backend = Backend::parse(backend)
            .ok_or_else(|| Error::usage(format!("unknown sandbox `{backend}`"), None))?;
    }
    if let Some(network) = &options.network {
        config.network = Network::parse(network)
            .ok_or_else(|| Error::usage(format!("--network {network}: use on or off"), None))?;
    }
    config.env_passthrough.extend(options.env.iter().cloned());
    Ok(config)
}
