//! `agent-install apply <PLAN>`: runs exactly a plan's steps, with no agent, then its
//! verification (DESIGN §6, §8).
//!
//! Before anything runs, the plan is compared with the present:
//! - the doc: loaded again from the plan's source and hashed. A different hash means the
//!   product's instructions changed since the plan was made. When the doc cannot be loaded
//!   (offline CI, a temp file that is gone) its state is unknown: apply says so in a warning
//!   and goes on, because the plan is self-contained and runs without the doc.
//! - the machine: its fingerprint, compared by [`crate::plan::cache::compare`], which forgives
//!   tools the plan itself installs (so a plan can be applied again to the machine it changed).
//!
//! A mismatch refuses the run (exit 6) with what changed and a hint naming `--force`. Then
//! every step passes the policy for the target (the host's strict rules by default; without a
//! terminal and without `--yes`, an "ask" is a refusal naming `--yes`), all before the first
//! step runs. Exit statuses: 0 applied (or rehearsed) and verified, 4 a step failed (the
//! plan's route did not work here; nothing after it ran), 5 the verification failed,
//! 6 refused, 2 a bad plan file or flags, 7 the sandbox is unavailable, 130 interrupted.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::outputs::{spawn_signal_watcher, write_report_to};
use super::settings::{load_policy, parse_duration};
use crate::approver;
use crate::cli::ApplyArgs;
use crate::event::{Ending, Event, Outcome, PlanSource};
use crate::plan::cache::{MachineMatch, compare};
use crate::plan::{Plan, PlanError};
use crate::policy::Target;
use crate::record::Store;
use crate::record::capture::Recorder;
use crate::replay::{self, ReplayEnding, ReplayOptions};
use crate::sandbox::{self, Backend};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

pub async fn run(args: ApplyArgs) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let plan = Plan::read(&args.plan).map_err(plan_error)?;
    let policy = load_policy(args.policy.as_deref())?;
    let mut options = args.sandbox.clone();
    if options.backend.is_none() {
        if let Some(base) = &options.base {
            return Err(Error::usage(
                format!(
                    "--base {base} names a root filesystem to rehearse on; apply does not write into one"
                ),
                Some(format!(
                    "add `--sandbox overlay` to rehearse the plan on {base}, or leave out --base to apply it to this machine"
                )),
            ));
        }
        options.backend = Some(Backend::Host.name().to_string());
    }
    let mut config = super::sandbox_config(&options)?;
    if config.backend == Backend::DryRun {
        return Err(Error::usage(
            "`apply --sandbox dry-run` would run nothing",
            Some("read the plan file itself, or rehearse it with `--sandbox overlay`".to_string()),
        ));
    }
    if let Some(text) = &args.step_timeout {
        config.limits.timeout = Some(parse_duration("--step-timeout", text)?);
    }
    // A variable passed in with --env is the user's to read, as in `run`.
    let policy = policy.with_passed_variables(&config.env_passthrough);
    let approver = approver::Terminal::detect(args.yes);
    let mut outputs = super::open_outputs(args.json, args.transcript.as_deref())?;
    let on_host = config.backend == Backend::Host;
    outputs.emit(Event::Started {
        doc: args.plan.display().to_string(),
        agent: "none".to_string(),
        sandbox: config.backend.name().to_string(),
        agent_reason: "apply replays a plan; no agent is asked".to_string(),
    });
    let route = plan.route.as_ref().map(|route| route.name.clone());
    let finish =
        |outputs: &mut Outputs, ending: Ending| outputs.end(ending, route.clone(), started);

    // An apply here first settles what a killed run left (see `recover`).
    if on_host {
        tokio::task::block_in_place(|| {
            super::recover::finish_interrupted(&Store::default_location(), &mut |event| {
                outputs.emit(event)
            })
        });
    }
    // Only a run on this machine needs the advice; a rehearsal is what it advises.
    if !plan.verified && on_host {
        outputs.emit(Event::Warning {
            message: format!(
                "{} was never rehearsed (a dry-run plan): its steps run as written; consider \
                 `--sandbox overlay` first",
                args.plan.display()
            ),
        });
    }
    let mut changes = Vec::new();
    match current_doc_sha256(&plan, &args.load.options()).await {
        Ok(sha256) if sha256 == plan.doc.sha256 => {}
        Ok(sha256) => changes.push(format!(
            "the doc changed: {} has SHA-256 {} now, the plan was made from {}",
            plan.doc.source,
            short(&sha256),
            short(&plan.doc.sha256)
        )),
        Err(reason) => outputs.emit(Event::Warning {
            message: format!(
                "could not load the doc {} to check that it is unchanged ({reason}); applying \
                 the plan as written",
                plan.doc.source
            ),
        }),
    }
    let (current, facts) = super::target_facts(&config.base).await;
    let machine = compare(&plan, &current, facts.as_ref());
    let summary = match &machine {
        MachineMatch::Same => format!("{} (as in the plan)", current.summary),
        MachineMatch::SameExceptInstalled(tools) => format!(
            "{} (as in the plan, plus {} that the plan installs)",
            current.summary,
            tools.join(", ")
        ),
        MachineMatch::Different => {
            changes.push(format!(
                "the machine changed: the plan was made for fingerprint {} ({}), this target is {} ({})",
                plan.probe.fingerprint, plan.probe.summary, current.fingerprint, current.summary
            ));
            current.summary.clone()
        }
    };
    outputs.emit(Event::Probed {
        fingerprint: current.fingerprint.clone(),
        summary,
    });
    if !changes.is_empty() {
        if args.force {
            for change in changes {
                outputs.emit(Event::Warning {
                    message: format!("{change}; applying anyway (--force)"),
                });
            }
        } else {
            let message = format!(
                "the plan no longer matches:\n  - {}\nNothing was run. Make a new plan \
                 (`agent-install run {} --plan-out FILE`), or pass --force to apply this one anyway.",
                changes.join("\n  - "),
                plan.doc.source
            );
            let status = finish(&mut outputs, Ending::new(Outcome::Refused, message));
            write_report_to(args.report.as_deref(), outputs)?;
            return Ok(status);
        }
    }

    let target = if on_host {
        Target::Host
    } else {
        Target::Sandbox
    };
    let approved =
        match replay::approve(&plan.steps, &plan.verification, &policy, target, &approver) {
            Ok(approved) => approved,
            Err(message) => {
                let status = finish(
                    &mut outputs,
                    Ending::new(
                        Outcome::Refused,
                        format!("not applied, nothing was run: {message}"),
                    ),
                );
                write_report_to(args.report.as_deref(), outputs)?;
                return Ok(status);
            }
        };
    outputs.emit(Event::PlanSource {
        source: PlanSource::File,
        detail: format!(
            "{} ({} step(s) via {}, made by agent-install's {} agent)",
            args.plan.display(),
            plan.steps.len(),
            route.as_deref().unwrap_or("no named route"),
            plan.agent.kind
        ),
    });

    let plan_commands = || plan.steps.iter().map(|step| step.command.as_str());
    // The rehearsal here (overlay) or before an apply to this machine gets the fence.
    let mut fenced = config.clone();
    fenced.backend = Backend::Overlay;
    if let Some(message) = super::fence::enable(&mut fenced, &policy, plan_commands()) {
        outputs.emit(Event::Warning { message });
    }
    if !on_host {
        config.egress = fenced.egress.clone();
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = spawn_signal_watcher(Arc::clone(&interrupted))?;
    let target_name = if on_host { "host" } else { "sandbox" };
    // On this machine the plan is rehearsed first: a plan that fails there is not applied
    // (unless --exact), and the rehearsal's delta is the file list of the install record.
    let mut rehearsal_delta = None;
    if on_host {
        let rehearsal = fenced;
        let rehearsed = tokio::task::block_in_place(|| {
            rehearse_before_apply(rehearsal, &approved, &interrupted)
        });
        // The hosts the rehearsal reached, shown before anything runs here.
        if let Ok(Rehearsed { network, .. }) = &rehearsed
            && !network.is_empty()
        {
            outputs.emit(Event::Network {
                step: None,
                command: crate::ui::REHEARSAL_NETWORK.to_string(),
                requests: network.clone(),
            });
        }
        match rehearsed {
            Ok(Rehearsed {
                delta,
                packages,
                failure: None,
                ..
            }) => {
                if let Some(delta) = &delta {
                    emit_delta(&mut outputs, delta, &packages);
                }
                rehearsal_delta = delta;
            }
            Ok(Rehearsed {
                failure: Some((outcome, reason)),
                ..
            }) if !args.exact => {
                watcher.abort();
                let hint = if plan.verified {
                    "this machine differs from the one the plan was made on".to_string()
                } else {
                    format!(
                        "the plan was never rehearsed (a dry-run plan); make one that was, with repairs, by `agent-install run {} --plan-out FILE`",
                        plan.doc.source
                    )
                };
                let status = finish(
                    &mut outputs,
                    Ending::new(outcome, format!(
                        "not applied: in a rehearsal on a sandbox of this machine, {reason}; nothing was changed here ({hint}; --exact applies it as written anyway)"
                    )),
                );
                write_report_to(args.report.as_deref(), outputs)?;
                return Ok(status);
            }
            Ok(Rehearsed {
                failure: Some((_, reason)),
                ..
            }) => outputs.emit(Event::Warning {
                message: format!(
                    "in a rehearsal on a sandbox of this machine, {reason}; applying as written (--exact)"
                ),
            }),
            Err(crate::sandbox::SandboxError::Interrupted) => {
                watcher.abort();
                let status = finish(
                    &mut outputs,
                    Ending::sandbox(&crate::sandbox::SandboxError::Interrupted),
                );
                write_report_to(args.report.as_deref(), outputs)?;
                return Ok(status);
            }
            Err(error) => outputs.emit(Event::Warning {
                message: format!(
                    "could not rehearse the plan first ({error}); applying as written, and the install record lists packages but not files"
                ),
            }),
        }
    }
    let recorder = if on_host {
        match tokio::task::block_in_place(|| {
            Recorder::begin(
                &Store::default_location(),
                &plan,
                "apply",
                rehearsal_delta.as_ref(),
                std::path::Path::new("/"),
            )
        }) {
            Ok(recorder) => Some(recorder),
            Err(error) => {
                watcher.abort();
                return Err(Error::Other(anyhow::anyhow!(
                    "not applied: the install record could not be written ({error}); set {} to a writable directory",
                    crate::record::STATE_DIR_VARIABLE
                )));
            }
        }
    } else {
        None
    };
    let fence_config = config.clone();
    let opened = tokio::task::block_in_place(|| sandbox::open(config));
    let mut session = match opened {
        Ok(session) => {
            if let Some(message) = sandbox::unfenced_warning(&fence_config, session.as_ref()) {
                outputs.emit(Event::Warning { message });
            }
            session
        }
        Err(error) => {
            watcher.abort();
            let status = finish(&mut outputs, Ending::sandbox(&error));
            write_report_to(args.report.as_deref(), outputs)?;
            return Ok(status);
        }
    };
    let replay_options = ReplayOptions {
        reason: format!("from the plan {}", args.plan.display()),
        interrupted: Some(Arc::clone(&interrupted)),
        ..ReplayOptions::new(target_name)
    };
    let mut version = None;
    let replayed = tokio::task::block_in_place(|| {
        replay::replay(&approved, session.as_mut(), &replay_options, &mut |event| {
            if let Event::Verification {
                passed: true,
                detail,
                ..
            } = &event
                && version.is_none()
            {
                version = crate::record::capture::version_from(detail);
            }
            outputs.emit(event)
        })
    });
    let discarded = tokio::task::block_in_place(|| session.discard());
    watcher.abort();
    let verified = matches!(
        replayed,
        Ok(replay::Replayed {
            ending: ReplayEnding::Verified,
            ..
        })
    );
    let recorded_as = match recorder
        .map(|recorder| tokio::task::block_in_place(|| recorder.finish(verified, version)))
    {
        Some(Ok(record)) => format!(
            "; recorded as {} (`agent-install show {}`, `agent-install uninstall {}`)",
            record.id, record.name, record.name
        ),
        Some(Err(error)) => {
            outputs.emit(Event::Warning {
                message: format!("the install record could not be completed: {error}"),
            });
            String::new()
        }
        None => String::new(),
    };
    if let Err(error) = discarded {
        outputs.emit(Event::Warning {
            message: format!("could not clean up the sandbox: {error}"),
        });
    }
    let status = match replayed {
        Ok(replayed) => {
            let counts = format!(
                "{} step(s): {} changed, {} ok",
                replayed.steps.len(),
                replayed.changed(),
                replayed.steps.len() - replayed.changed()
            );
            match replayed.ending {
                ReplayEnding::Verified if on_host => finish(
                    &mut outputs,
                    Ending::new(
                        Outcome::Installed,
                        format!("applied and verified on this machine; {counts}{recorded_as}"),
                    ),
                ),
                ReplayEnding::Verified => finish(
                    &mut outputs,
                    Ending::new(
                        Outcome::Verified,
                        format!(
                            "rehearsed and verified in the sandbox; {counts}; nothing was changed on this machine"
                        ),
                    ),
                ),
                ReplayEnding::StepFailed { index, outcome } => finish(
                    &mut outputs,
                    Ending::new(
                        Outcome::NoRoute,
                        format!(
                            "step {} `{}` {outcome}; the steps after it did not run{}",
                            index + 1,
                            approved.steps()[index].command,
                            if on_host {
                                " (the steps before it stay applied)"
                            } else {
                                ""
                            }
                        ),
                    ),
                ),
                ReplayEnding::VerificationFailed { failures } => finish(
                    &mut outputs,
                    Ending::new(
                        Outcome::VerificationFailed,
                        format!(
                            "the steps ran but the verification failed: `{}`",
                            failures
                                .iter()
                                .map(|failure| failure.command.as_str())
                                .collect::<Vec<_>>()
                                .join("`, `")
                        ),
                    ),
                ),
            }
        }
        Err(error) => finish(&mut outputs, Ending::sandbox(&error)),
    };
    write_report_to(args.report.as_deref(), outputs)?;
    Ok(status)
}

/// What the rehearsal before an apply found.
struct Rehearsed {
    delta: Option<crate::sandbox::Delta>,
    packages: Vec<crate::record::PackageChange>,
    /// When the plan failed there: the outcome and why.
    failure: Option<(Outcome, String)>,
    /// What the rehearsal reached through the egress fence, shown before the apply.
    network: Vec<crate::sandbox::egress::NetworkRequest>,
}

/// Rehearses the steps and the verification in a fresh sandbox (its events are not shown:
/// the apply's are).
fn rehearse_before_apply(
    config: crate::sandbox::SandboxConfig,
    approved: &replay::Approved,
    interrupted: &Arc<AtomicBool>,
) -> Result<Rehearsed, crate::sandbox::SandboxError> {
    let base = config.base.clone();
    let mut session = sandbox::open(config)?;
    let options = ReplayOptions {
        reason: "rehearsal before the apply".to_string(),
        interrupted: Some(Arc::clone(interrupted)),
        ..ReplayOptions::new("sandbox")
    };
    let steps = approved.steps();
    let mut network = Vec::new();
    let replayed = replay::replay(approved, session.as_mut(), &options, &mut |event| {
        if let Event::Network { requests, .. } = event {
            network.extend(requests);
        }
    });
    let result = match replayed {
        Ok(replayed) => {
            let failure = match replayed.ending {
                ReplayEnding::Verified => None,
                ReplayEnding::StepFailed { index, outcome } => Some((
                    Outcome::NoRoute,
                    format!("step {} `{}` {outcome}", index + 1, steps[index].command),
                )),
                ReplayEnding::VerificationFailed { failures } => Some((
                    Outcome::VerificationFailed,
                    format!(
                        "the verification failed: `{}`",
                        failures
                            .iter()
                            .map(|failure| failure.command.as_str())
                            .collect::<Vec<_>>()
                            .join("`, `")
                    ),
                )),
            };
            let delta = session.delta().ok();
            let packages = delta
                .as_ref()
                .map(|delta| {
                    crate::record::summary::rehearsal_packages(delta, &base, session.as_mut())
                })
                .unwrap_or_default();
            Ok(Rehearsed {
                delta,
                packages,
                failure,
                network: crate::sandbox::egress::summarize(&network),
            })
        }
        Err(error) => Err(error),
    };
    let _ = session.discard();
    result
}

/// The rehearsal's changes, summarised for a reader (`record::summary`).
fn emit_delta(
    outputs: &mut Outputs,
    delta: &crate::sandbox::Delta,
    packages: &[crate::record::PackageChange],
) {
    let (added, modified, deleted) = delta.counts();
    outputs.emit(Event::Delta {
        added,
        modified,
        deleted,
        bytes: delta.visible().map(|change| change.entry.size).sum(),
        summary: delta
            .visible()
            .map(|change| format!("{} {}", change.kind.marker(), change.path))
            .collect(),
        highlights: crate::record::summary::describe(delta, packages),
    });
}

/// The SHA-256 of the doc at the plan's source now. A catalog doc is recorded by its path in
/// the repository (`install-docs/jq.md`); where that path does not exist, its catalog name is
/// tried.
async fn current_doc_sha256(
    plan: &Plan,
    options: &crate::doc::LoadOptions,
) -> Result<String, String> {
    let source = &plan.doc.source;
    if source == "-" || source == "stdin" {
        // Reading stdin now would wait for a doc nobody sends.
        return Err("the plan was made from a doc read on stdin".to_string());
    }
    match crate::catalog::load_doc(source, options).await {
        Ok(loaded) => Ok(loaded.sha256),
        Err(error) => {
            let catalog_name = source
                .strip_prefix("install-docs/")
                .and_then(|file| file.rsplit_once('.'))
                .map(|(stem, _)| stem.to_string());
            match catalog_name {
                Some(name) if !std::path::Path::new(source).exists() => {
                    crate::catalog::load_doc(&name, options)
                        .await
                        .map(|loaded| loaded.sha256)
                        .map_err(|error| error.to_string())
                }
                _ => Err(error.to_string()),
            }
        }
    }
}

fn short(sha256: &str) -> String {
    sha256.chars().take(12).collect::<String>() + "…"
}

fn plan_error(error: PlanError) -> Error {
    let hint = match &error {
        PlanError::Read { .. } => {
            "check the path; plans are written by `agent-install run --plan-out FILE` and `agent-install plan -o FILE`"
        }
        PlanError::Invalid { .. } => {
            "the file must be a plan written by agent-install (JSON, see schema/plan.schema.json)"
        }
        PlanError::Version { .. } => {
            "make the plan again with this agent-install, or use the version that wrote it"
        }
    };
    Error::usage(error.to_string(), Some(hint.to_string()))
}
