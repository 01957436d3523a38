//! The application layer: one function per subcommand. Each returns the exit status of a run
//! that completed, or an [`Error`] that `main` prints with its hint.

mod apply;
mod config;
mod doc;
mod export;
pub mod fence;
mod list;
mod outputs;
pub mod plan;
mod probe;
mod provision;
mod recover;
pub mod run;
mod sandbox;
mod search;
mod settings;
mod show;
mod uninstall;

use crate::cli::{Cli, Command};
use crate::{Error, ExitStatus};

pub use outputs::{open_outputs, write_stdout};
pub use settings::sandbox_config;

pub fn run(mut cli: Cli, agent_given: bool) -> Result<ExitStatus, Error> {
    // Commands that print what the parser knows need neither a runtime nor the settings.
    match &cli.command {
        Command::Completions(args) => return completions(args.shell),
        Command::Man => return man_page(),
        _ => {}
    }
    let configured = settings::Configured::for_command(&mut cli.command, agent_given)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Error::io("could not start the async runtime", error))?;
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run::run(args, &configured).await,
            Command::Apply(args) => apply::run(args).await,
            Command::Probe(args) => probe::run(args).await,
            Command::Doc(args) => doc::run(args).await,
            Command::Sandbox(args) => sandbox::run(args).await,
            Command::Plan(args) => plan::run(args).await,
            Command::Export(args) => export::run(args).await,
            Command::Provision(args) => provision::run(args, &configured).await,
            Command::Search(args) => search::run(args).await,
            Command::Config(args) => config::run(args).await,
            Command::Completions(_) | Command::Man => Ok(ExitStatus::Success),
            Command::List(args) => list::run(args),
            Command::Show(args) => show::run(args),
            Command::Uninstall(args) => uninstall::run(Some(args.name), args.removal).await,
            Command::Undo(args) => uninstall::run(None, args.removal).await,
        }
    })
}

/// `agent-install completions SHELL`: the completion script on stdout.
fn completions(shell: clap_complete::Shell) -> Result<ExitStatus, Error> {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "agent-install", &mut script);
    write_stdout(&String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}

/// `agent-install man`: the manual page (roff) on stdout, with a section per subcommand.
fn man_page() -> Result<ExitStatus, Error> {
    use clap::CommandFactory;
    let command = Cli::command();
    let mut page = Vec::new();
    let io_error = |error| Error::io("could not render the manual page", error);
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page).map_err(io_error)?;
    man.render_name_section(&mut page).map_err(io_error)?;
    man.render_synopsis_section(&mut page).map_err(io_error)?;
    man.render_description_section(&mut page)
        .map_err(io_error)?;
    man.render_options_section(&mut page).map_err(io_error)?;
    man.render_subcommands_section(&mut page)
        .map_err(io_error)?;
    // Each subcommand's own options, which the main page only names.
    for subcommand in command.get_subcommands() {
        if subcommand.get_name() == "help" {
            continue;
        }
        let name = format!("agent-install {}", subcommand.get_name());
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let sub = clap_mangen::Man::new(subcommand.clone());
        let mut section = Vec::new();
        sub.render_description_section(&mut section)
            .map_err(io_error)?;
        sub.render_options_section(&mut section).map_err(io_error)?;
        // The subcommand's sections become subsections of the page.
        let text = String::from_utf8_lossy(&section).replace(".SH ", ".SS ");
        page.extend_from_slice(text.as_bytes());
    }
    man.render_extra_section(&mut page).map_err(io_error)?;
    man.render_version_section(&mut page).map_err(io_error)?;
    write_stdout(&String::from_utf8_lossy(&page))?;
    Ok(ExitStatus::Success)
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
) -> (crate::plan::PlanProbe, Option<crate::probe::Facts>) {
    use sha2::{Digest, Sha256};
    if base == std::path::Path::new("/") {
        let probe = crate::probe::probe(&crate::probe::ProbeOptions::default()).await;
        let facts = probe.facts();
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
    let fingerprint = hex::encode(&Sha256::digest(identity.as_bytes())[..8]);
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
