//! `agent-install uninstall NAME` and `agent-install undo` (issue 15): take one install back
//! with the same safety as installing it.
//!
//! 1. Plan the removal from the record ([`crate::record::uninstall::plan`]): the package
//!    managers' own removal, then the added files removed and the changed ones restored from
//!    their pre-images; a file changed after the install is listed and left.
//! 2. Rehearse it in an overlay sandbox of this machine, and verify: every check of the
//!    product must fail now, every check of the other recorded installs must still pass.
//! 3. Show the rehearsal's changes; `--dry-run` stops here.
//! 4. With `--yes` or a yes on the terminal, run the same commands here (under the store's
//!    lock, the record marked `uninstalling`), check again that the product is gone, and move
//!    the record to the history.
//!
//! The commands are agent-install's own, made from the record (never from a doc), so they are
//! not put to the doc policy; the consent is the question after the rehearsal.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::list::record_error;
use super::outputs::{spawn_signal_watcher, write_report_to};
use crate::approver::{self, Approver, Unattended};
use crate::cli::{RemovalArgs, SandboxOptions};
use crate::event::{Ending, Event, Outcome};
use crate::policy::{Policy, Target};
use crate::record::uninstall::{self, UninstallPlan};
use crate::record::{InstallRecord, RecordState, Store, summary};
use crate::replay::{self, ReplayEnding, ReplayOptions};
use crate::sandbox::{self, Backend, ExecRequest, Sandbox};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(name: Option<String>, args: RemovalArgs) -> Result<ExitStatus, Error> {
    let started = Instant::now();
    let store = Store::default_location();
    let mut outputs = super::open_outputs(args.json, args.transcript.as_deref())?;
    tokio::task::block_in_place(|| {
        super::recover::finish_interrupted(&store, &mut |event| outputs.emit(event))
    });
    let records = store.list().map_err(record_error)?;
    let record = match &name {
        Some(name) => store.find(name).map_err(record_error)?,
        None => records.last().cloned().ok_or_else(|| {
            Error::usage(
                format!(
                    "nothing to undo: no install is recorded in {}",
                    store.root().display()
                ),
                Some(
                    "`agent-install list --all` shows the installs already taken back".to_string(),
                ),
            )
        })?,
    };
    let root = Path::new("/");
    let removal = uninstall::plan(&record, &store, root, &records);
    outputs.emit(Event::Started {
        doc: format!("uninstall {}", record.name),
        agent: "none".to_string(),
        sandbox: Backend::Overlay.name().to_string(),
        agent_reason: format!(
            "takes back {} ({}, installed {})",
            record.name, record.id, record.installed_at
        ),
    });
    for left in &removal.left {
        outputs.emit(Event::Warning {
            message: format!("{}: {}", left.what, left.reason),
        });
    }
    let steps = removal.plan_steps();
    let finish =
        |outputs: &mut Outputs, ending: Ending| outputs.end(ending, record.route.clone(), started);
    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = spawn_signal_watcher(Arc::clone(&interrupted))?;

    // 1. The rehearsal.
    let mut config = super::sandbox_config(&SandboxOptions {
        backend: Some(Backend::Overlay.name().to_string()),
        base: None,
        network: None,
        profile: None,
        env: Vec::new(),
    })?;
    config.base = root.to_path_buf();
    // Every removal line and check passes the policy like an install's: the sandbox's verdicts
    // for the rehearsal, the host's (with the consent below standing for "yes") for the apply.
    let neighbour_checks: Vec<String> = removal
        .neighbour_checks
        .iter()
        .map(|(_, check)| check.clone())
        .collect();
    let policy = Policy::default();
    let consented = Unattended { yes: true };
    let gated = replay::approve(
        &steps,
        &neighbour_checks,
        &policy,
        Target::Sandbox,
        &consented,
    )
    .and_then(|rehearsed| {
        replay::approve(&steps, &neighbour_checks, &policy, Target::Host, &consented)
            .map(|here| (rehearsed, here))
    });
    let (rehearsed, approved) = match gated {
        Ok(gated) => gated,
        Err(message) => {
            watcher.abort();
            let status = finish(
                &mut outputs,
                Ending::new(
                    Outcome::Refused,
                    format!("not uninstalled, nothing was run: {message}"),
                ),
            );
            write_report_to(args.report.as_deref(), outputs)?;
            return Ok(status);
        }
    };
    let rehearsal = tokio::task::block_in_place(|| {
        rehearse(config, &rehearsed, &removal, &interrupted, &mut |event| {
            outputs.emit(event)
        })
    });
    let rehearsal = match rehearsal {
        Ok(rehearsal) => rehearsal,
        Err(error) => {
            watcher.abort();
            let status = finish(&mut outputs, Ending::sandbox(&error));
            write_report_to(args.report.as_deref(), outputs)?;
            return Ok(status);
        }
    };
    if let Some((outcome, message)) = rehearsal.failure {
        watcher.abort();
        let status = finish(
            &mut outputs,
            Ending::new(
                outcome,
                format!("{message}; nothing was changed on this machine"),
            ),
        );
        write_report_to(args.report.as_deref(), outputs)?;
        return Ok(status);
    }
    if let Some(delta) = &rehearsal.delta {
        let (added, modified, deleted) = delta.counts();
        outputs.emit(Event::Delta {
            added,
            modified,
            deleted,
            bytes: delta
                .visible()
                .filter(|change| change.kind != sandbox::ChangeKind::Deleted)
                .map(|change| change.entry.size)
                .sum(),
            summary: delta
                .visible()
                .map(|change| format!("{} {}", change.kind.marker(), change.path))
                .collect(),
            highlights: removal_highlights(delta),
        });
    }
    if args.dry_run {
        watcher.abort();
        let status = finish(
            &mut outputs,
            Ending::new(
                Outcome::Verified,
                format!(
                    "the removal of {} was rehearsed and verified in the sandbox ({} step(s)); nothing was changed on this machine (--dry-run)",
                    record.name,
                    steps.len()
                ),
            ),
        );
        write_report_to(args.report.as_deref(), outputs)?;
        return Ok(status);
    }

    // 2. Consent.
    let person = approver::Terminal::detect(args.yes);
    let consent = person.consents(&format!(
        "The removal of {} passed in the sandbox ({} step(s)). Apply it to this machine?",
        record.name,
        steps.len()
    ));
    if !consent {
        watcher.abort();
        let reason = if person.interaction().terminal {
            "you declined"
        } else {
            "no terminal to ask on; pass --yes to apply it"
        };
        let status = finish(
            &mut outputs,
            Ending::new(
                Outcome::Refused,
                format!(
                    "not uninstalled: {reason}; the rehearsal passed, nothing was changed on this machine"
                ),
            ),
        );
        write_report_to(args.report.as_deref(), outputs)?;
        return Ok(status);
    }

    // 3. The removal here.
    let applied = tokio::task::block_in_place(|| {
        apply_here(
            &store,
            record.clone(),
            &approved,
            &removal,
            &interrupted,
            &mut |event| outputs.emit(event),
        )
    });
    watcher.abort();
    let status = match applied {
        Ok((outcome, message)) => finish(&mut outputs, Ending::new(outcome, message)),
        Err(error) => finish(&mut outputs, Ending::sandbox(&error)),
    };
    write_report_to(args.report.as_deref(), outputs)?;
    Ok(status)
}

struct Rehearsal {
    delta: Option<sandbox::Delta>,
    /// Why the removal may not be applied.
    failure: Option<(Outcome, String)>,
}

fn rehearse(
    config: sandbox::SandboxConfig,
    approved: &replay::Approved,
    removal: &UninstallPlan,
    interrupted: &Arc<AtomicBool>,
    emit: &mut dyn FnMut(Event),
) -> Result<Rehearsal, sandbox::SandboxError> {
    let mut session = sandbox::open(config)?;
    let result = run_removal(
        session.as_mut(),
        approved,
        removal,
        "sandbox",
        interrupted,
        emit,
    );
    let delta = match &result {
        Ok(_) => session.delta().ok(),
        Err(_) => None,
    };
    let discarded = session.discard();
    let failure = result?;
    discarded?;
    Ok(Rehearsal { delta, failure })
}

/// Runs the removal's steps, the neighbours' checks (must pass) and the product's checks
/// (must fail now) in `target`. `Some` says why the removal failed.
fn run_removal(
    target: &mut dyn Sandbox,
    approved: &replay::Approved,
    removal: &UninstallPlan,
    target_name: &str,
    interrupted: &Arc<AtomicBool>,
    emit: &mut dyn FnMut(Event),
) -> Result<Option<(Outcome, String)>, sandbox::SandboxError> {
    let options = ReplayOptions {
        reason: "takes back what the install record lists".to_string(),
        interrupted: Some(Arc::clone(interrupted)),
        ..ReplayOptions::new(target_name)
    };
    let steps = approved.steps();
    let replayed = replay::replay(approved, target, &options, emit)?;
    match replayed.ending {
        ReplayEnding::Verified => {}
        ReplayEnding::StepFailed { index, outcome } => {
            return Ok(Some((
                Outcome::NoRoute,
                format!(
                    "the removal step {} `{}` {outcome} on the {target_name}",
                    index + 1,
                    steps[index].command
                ),
            )));
        }
        ReplayEnding::VerificationFailed { failures } => {
            let names: Vec<String> = failures
                .iter()
                .map(|failure| {
                    let owner = removal
                        .neighbour_checks
                        .iter()
                        .find(|(_, check)| *check == failure.command)
                        .map(|(name, _)| name.as_str())
                        .unwrap_or("another install");
                    format!("`{}` ({owner})", failure.command)
                })
                .collect();
            return Ok(Some((
                Outcome::VerificationFailed,
                format!(
                    "after the removal on the {target_name}, the check of another install fails: {}",
                    names.join(", ")
                ),
            )));
        }
    }
    let mut still_passing = Vec::new();
    for check in &removal.gone_checks {
        let request =
            ExecRequest::new(replay::login_shell_command(check)).with_timeout(CHECK_TIMEOUT);
        let observation = target.exec(&request, &mut |_, _| {})?;
        let gone = !observation.success();
        emit(Event::Verification {
            command: format!("{check}  (must fail now)"),
            passed: gone,
            target: target_name.to_string(),
            detail: if gone {
                observation.outcome()
            } else {
                "still passes".to_string()
            },
        });
        if !gone {
            still_passing.push(check.clone());
        }
    }
    if !still_passing.is_empty() {
        return Ok(Some((
            Outcome::VerificationFailed,
            format!(
                "after the removal on the {target_name}, the product's check still passes: `{}`",
                still_passing.join("`, `")
            ),
        )));
    }
    Ok(None)
}

/// Runs the removal on this machine under the store's lock and retires the record.
fn apply_here(
    store: &Store,
    mut record: InstallRecord,
    approved: &replay::Approved,
    removal: &UninstallPlan,
    interrupted: &Arc<AtomicBool>,
    emit: &mut dyn FnMut(Event),
) -> Result<(Outcome, String), sandbox::SandboxError> {
    let lock = match store.lock() {
        Ok(lock) => lock,
        Err(error) => return Ok((Outcome::Error, format!("not uninstalled: {error}"))),
    };
    let removed = remove_here(store, &mut record, approved, removal, interrupted, emit);
    drop(lock);
    let failure = removed?;
    if let Some((outcome, message)) = failure {
        return Ok((
            outcome,
            format!(
                "{message}; the steps before it stay applied, the record stays (`agent-install uninstall {}` again)",
                record.name
            ),
        ));
    }
    let left = if removal.left.is_empty() {
        String::new()
    } else {
        format!(
            "; {} item(s) left as they are (listed above)",
            removal.left.len()
        )
    };
    Ok((
        Outcome::Uninstalled,
        format!(
            "uninstalled {} and checked it is gone; the record is in the history (`agent-install list --all`){left}",
            record.name
        ),
    ))
}

/// Runs the removal on this machine and retires the record; the caller holds the store's
/// lock. `Some` says why it was not taken back (the record then keeps its earlier state).
pub(crate) fn remove_here(
    store: &Store,
    record: &mut InstallRecord,
    approved: &replay::Approved,
    removal: &UninstallPlan,
    interrupted: &Arc<AtomicBool>,
    emit: &mut dyn FnMut(Event),
) -> Result<Option<(Outcome, String)>, sandbox::SandboxError> {
    let state_before = match record.state {
        // An uninstall that is finished after an interruption: a failure leaves it installed.
        RecordState::Uninstalling => RecordState::Installed,
        state => state,
    };
    record.state = RecordState::Uninstalling;
    if let Err(error) = store.write(record) {
        return Ok(Some((Outcome::Error, format!("not uninstalled: {error}"))));
    }
    let mut host = sandbox::open(sandbox::SandboxConfig::new(Backend::Host))?;
    let result = run_removal(host.as_mut(), approved, removal, "host", interrupted, emit);
    let _ = host.discard();
    // An error (a signal, a sandbox failure) keeps the record saying `uninstalling`: the
    // next run finishes it.
    if let Some(failure) = result? {
        record.state = state_before;
        let _ = store.write(record);
        return Ok(Some(failure));
    }
    record.left_behind = removal
        .left
        .iter()
        .map(|left| format!("{}: {}", left.what, left.reason))
        .collect();
    match store.retire(record) {
        Ok(()) => Ok(None),
        Err(error) => Ok(Some((
            Outcome::Error,
            format!(
                "uninstalled {}, but its record could not be moved to the history: {error}",
                record.name
            ),
        ))),
    }
}

/// What a removal's delta means for a reader: removed executables, restored files, total.
fn removal_highlights(delta: &sandbox::Delta) -> Vec<String> {
    let changes: Vec<&sandbox::Change> = summary::meaningful(delta).collect();
    let mut lines = Vec::new();
    let removed: Vec<&str> = changes
        .iter()
        .filter(|change| change.kind == sandbox::ChangeKind::Deleted)
        .filter(|change| {
            Path::new(&change.path)
                .parent()
                .and_then(|parent| parent.file_name())
                .is_some_and(|name| name == "bin" || name == "sbin")
        })
        .map(|change| change.path.as_str())
        .collect();
    if !removed.is_empty() {
        lines.push(format!("executables removed: {}", removed.join(", ")));
    }
    let (added, modified, deleted) = changes.iter().fold((0, 0, 0), |counts, change| match change
        .kind
    {
        sandbox::ChangeKind::Added => (counts.0 + 1, counts.1, counts.2),
        sandbox::ChangeKind::Modified => (counts.0, counts.1 + 1, counts.2),
        sandbox::ChangeKind::Deleted => (counts.0, counts.1, counts.2 + 1),
    });
    lines.push(format!(
        "total: {deleted} removed, {modified} restored or changed, {added} added back"
    ));
    let caches = summary::cache_count(delta);
    if caches > 0 {
        lines.push(format!(
            "caches: {caches} path(s) under caches, logs and package indexes (not listed)"
        ));
    }
    lines
}
