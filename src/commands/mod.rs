//! The application layer: one function per subcommand. Each returns the exit status of a run
//! that completed, or an [`Error`] that `main` prints with its hint.

mod apply;
mod doc;
mod export;
mod list;
pub mod plan;
mod probe;
mod provision;
pub mod run;
mod sandbox;
mod show;
mod uninstall;

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
            Command::Apply(args) => apply::run(args).await,
            Command::Probe(args) => probe::run(args).await,
            Command::Doc(args) => doc::run(args).await,
            Command::Sandbox(args) => sandbox::run(args).await,
            Command::Plan(args) => plan::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Provision(args) => provision::run(args).await,
            Command::List(args) => list::run(args),
            Command::Show(args) => show::run(args),
            Command::Uninstall(args) => uninstall::run(Some(args.name), args.removal).await,
            Command::Undo(args) => uninstall::run(None, args.removal).await,
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

/// The machine a plan is meant for: this one (probed) when the base is `/`, else the root
/// filesystem given as `--base`, described by its os-release (a rootfs has no running
/// system to probe; its fingerprint changes when its os-release or path does).
pub async fn target_probe(base: &std::path::Path) -> crate::plan::PlanProbe {
    target_facts(base).await.0
}

/// [`target_probe`], with the planning facts behind the fingerprint when the target is this
/// machine (for comparing a plan's machine with this one, see `plan::cache::compare`).
pub async fn target_facts(
    base: &std::path::Path,
) -> (crate::plan::PlanProbe, Option<crate::probe::PlanningFacts>) {
    use sha2::{Digest, Sha256};
    if base == std::path::Path::new("/") {
        let probe = crate::probe::probe(&crate::probe::ProbeOptions::default()).await;
        let facts = probe.planning_facts();
        let version = facts.distro_version.clone().unwrap_or_default();
        let user = if facts.root { "root" } else { "non-root" };
        let target = crate::plan::PlanProbe {
            fingerprint: probe.fingerprint,
            summary: format!("{} {version}, {}, {user}", facts.distro, facts.arch)
                .replace(" ,", ","),
        };
        return (target, Some(facts));
    }
    // A rootfs has no running system to probe: its os-release (read with the probe's parser)
    // and its path identify it.
    let distro = crate::probe::Distro::read(base);
    let version = distro.version.clone().unwrap_or_default();
    let identity = format!(
        "rootfs={}\narch={}\nid={}\nid_like={}\nversion={version}\ncodename={}",
        base.display(),
        std::env::consts::ARCH,
        distro.id,
        distro.id_like.join(" "),
        distro.codename.clone().unwrap_or_default(),
    );
    let fingerprint = Sha256::digest(identity.as_bytes())
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let target = crate::plan::PlanProbe {
        fingerprint,
        summary: format!(
            "root filesystem {}: {} {version}, {}",
            base.display(),
            distro.id,
            std::env::consts::ARCH
        ),
    };
    (target, None)
}

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
