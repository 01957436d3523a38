//! `agent-install plan <DOC>`: the reviewer's dry run (DESIGN §1, §8).
//!
//! Runs the install loop on the dry-run backend, which executes nothing (not even the facts
//! script: the machine is read from outside), then completes the plan for a reviewer: the
//! decisions the policy makes for the real target (the host rules, stricter than the
//! sandbox's), the routes not chosen and why, and what stays uncertain until the steps run.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::agent::offline::OfflineAgent;
use crate::agent::rank::rank;
use crate::agent::{Agent, Facts};
use crate::approver::Unattended;
use crate::cli::{AgentChoice, PlanArgs};
use crate::doc::Doc;
use crate::plan::{render, review};
use crate::sandbox::{Backend, SandboxConfig, rootfs};
use crate::session::{self, ApplyMode, Settings};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

pub async fn run(args: PlanArgs) -> Result<ExitStatus, Error> {
    let policy = super::settings::load_policy(args.policy.as_deref())?;
    let base = resolve_base(args.base.as_deref())?;
    let loaded = crate::catalog::load_doc(&args.doc, &args.load.options()).await?;
    let doc = crate::doc::parse(&loaded);
    let facts = Facts::of_machine(&crate::probe::Facts::of_root(&base));
    let target = super::target_probe(&base).await;

    let mut rehearsal = SandboxConfig::new(Backend::DryRun);
    rehearsal.base = base;
    let settings = Settings {
        target,
        rehearsal,
        max_steps: args.max_steps,
        timeout: std::time::Duration::from_secs(60),
        // Nothing runs, so a step the policy would ask about is walked as if approved; the
        // plan shows the question the real run would ask.
        approver: Arc::new(Unattended { yes: true }),
        apply: ApplyMode::NoApply,
        extra_verification: args.verify.clone(),
        policy: policy.clone(),
        plan_out: None,
        export_layer: None,
        // A dry run neither replays a cached plan nor keeps one: nothing is verified.
        plan_cache: None,
        interrupted: Arc::new(AtomicBool::new(false)),
    };
    // A dry run has no output to show an LLM, which decides from what its commands print:
    // its plan would be guesswork. `auto` therefore means the offline planner here.
    let agent: Box<dyn Agent> = match args.agent {
        AgentChoice::Auto | AgentChoice::Offline => Box::new(OfflineAgent::new()),
        other => {
            return Err(Error::usage(
                format!(
                    "`plan` uses the offline planner; --agent {} decides from the output of commands, which a dry run does not have",
                    format!("{other:?}").to_lowercase()
                ),
                Some(
                    "run `agent-install run <DOC> --agent … --no-apply --plan-out plan.json` for a plan verified in the sandbox"
                        .to_string(),
                ),
            ));
        }
    };
    let mut outputs = Outputs::silent();
    let outcome = session::run(&doc, agent, settings, &mut outputs).await;
    let Some(mut plan) = outcome.plan else {
        eprintln!("error: no plan for {}: {}", doc.source, outcome.message);
        eprintln!("hint: {}", no_route_hint(&doc, &facts));
        return Ok(outcome.status);
    };
    review::review(&mut plan, &doc, &facts, &policy);
    if let Some(path) = &args.output {
        std::fs::write(path, plan.to_json()).map_err(|error| {
            Error::io(
                format!("could not write the plan {}", path.display()),
                error,
            )
        })?;
    }
    super::write_stdout(&render::render(&plan, args.format))?;
    Ok(ExitStatus::Success)
}

fn no_route_hint(doc: &Doc, facts: &Facts) -> String {
    let (_, skipped) = rank(doc, facts);
    if skipped.is_empty() {
        return "run `agent-install doc <DOC>` to see which routes and commands were found".into();
    }
    let reasons: Vec<String> = skipped
        .iter()
        .map(|skipped| format!("{}: {}", skipped.route, skipped.reason))
        .collect();
    format!(
        "routes that do not apply here — {}; try --base with a matching root filesystem",
        reasons.join("; ")
    )
}

/// `--base`: a directory, or a named base that is already built. Building one would execute
/// debootstrap, and a dry run executes nothing.
fn resolve_base(base: Option<&str>) -> Result<std::path::PathBuf, Error> {
    let Some(spec) = base else {
        return Ok(std::path::PathBuf::from("/"));
    };
    if !spec.contains('/') && rootfs::named_bases().contains(&spec) {
        return rootfs::cached(spec).ok_or_else(|| {
            Error::usage(
                format!("the named base `{spec}` is not built yet, and a dry run builds nothing"),
                Some(format!(
                    "build it once with `agent-install sandbox exec --base {spec} -- true`, then plan again"
                )),
            )
        });
    }
    Ok(rootfs::resolve(spec)?)
}
