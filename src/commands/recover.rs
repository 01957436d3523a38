//! Finishing what a killed run left behind (issue 15). A record still in state `applying` or
//! `uninstalling` while nobody holds the store's lock belongs to a run that died mid-way
//! (SIGKILL, power loss). Every apply to this machine, every uninstall and `list` calls
//! [`finish_interrupted`] first, which settles each such record and says which way and why:
//!
//! - **an interrupted apply whose product check passes here is completed**: the files the
//!   rehearsal's delta listed are hashed as they are now, dpkg's status is compared with the
//!   copy kept when the apply began, and the record says `installed`;
//! - **one whose check fails (or that has no check) is rolled back**: the record is completed
//!   the same way, so that it lists what the partial apply left, and then taken back as
//!   `uninstall` would (package managers' removal, added files removed, pre-images restored),
//!   and moved to the history. There is no rehearsal: the commands are made from hashes taken
//!   a moment ago, and the apply they reverse was consented to;
//! - **an interrupted uninstall is finished**: its removal is planned again from the record
//!   against the machine as it is now (what is already gone is skipped, a restored file is
//!   not restored twice), run, and the record retired.
//!
//! Every command passes the host policy, as an uninstall's do.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::uninstall::remove_here;
use crate::approver::Unattended;
use crate::event::Event;
use crate::policy::{Policy, Target};
use crate::record::capture;
use crate::record::uninstall::{self, UninstallPlan};
use crate::record::{InstallRecord, RecordState, Store, StoreLock};
use crate::replay;
use crate::sandbox::{self, Backend, ExecRequest};

const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Settles every record a killed run left in `applying` or `uninstalling`; returns how many.
/// Problems are reported through `emit` as warnings and never stop the caller's own work.
pub fn finish_interrupted(store: &Store, emit: &mut dyn FnMut(Event)) -> usize {
    let interrupted =
        |records: &[InstallRecord]| records.iter().any(|record| is_interrupted(record.state));
    // Cheap first look without the lock: most runs find nothing.
    match store.list() {
        Ok(records) if interrupted(&records) => {}
        _ => return 0,
    }
    let lock = match store.try_lock() {
        Ok(Some(lock)) => lock,
        // Another apply or uninstall runs now: its record is alive, not interrupted.
        Ok(None) => return 0,
        Err(error) => {
            emit(Event::Warning {
                message: format!("could not check for interrupted installs: {error}"),
            });
            return 0;
        }
    };
    let records = match store.list() {
        Ok(records) => records,
        Err(error) => {
            emit(Event::Warning {
                message: format!("could not check for interrupted installs: {error}"),
            });
            return 0;
        }
    };
    let mut settled = 0;
    for record in records.iter().filter(|record| is_interrupted(record.state)) {
        let result = match record.state {
            RecordState::Applying => finish_apply(store, &lock, record.clone(), &records, emit),
            _ => finish_uninstall(store, &lock, record.clone(), &records, emit),
        };
        match result {
            Ok(message) => {
                settled += 1;
                emit(Event::Warning { message });
            }
            Err(message) => emit(Event::Warning { message }),
        }
    }
    settled
}

fn is_interrupted(state: RecordState) -> bool {
    matches!(state, RecordState::Applying | RecordState::Uninstalling)
}

/// Completes an interrupted apply when its check passes, else rolls it back.
fn finish_apply(
    store: &Store,
    _lock: &StoreLock,
    mut record: InstallRecord,
    records: &[InstallRecord],
    emit: &mut dyn FnMut(Event),
) -> Result<String, String> {
    let root = Path::new("/");
    let what = format!(
        "the apply of {} ({}, begun {}) was interrupted",
        record.name, record.id, record.installed_at
    );
    let checks = record.plan.verification.clone();
    let verdict = run_checks(&checks, emit).map_err(|error| format!("{what}: {error}"))?;
    let before = capture::dpkg_before(store, &record);
    if before.is_none() {
        record.notes.push(
            "dpkg's status from before the interrupted apply was not kept: apt packages are not listed"
                .to_string(),
        );
    }
    capture::complete(&mut record, root, before.as_ref());
    if let Some(passing) = verdict.passed_first_line() {
        record.version = capture::version_from(&passing);
        record.state = RecordState::Installed;
        record.notes.push(format!(
            "completed after an interrupted apply: its check passed here; the files are hashed as they were then ({})",
            crate::record::now().0
        ));
        store
            .write(&record)
            .map_err(|error| format!("{what}; it could not be completed: {error}"))?;
        return Ok(format!(
            "{what}; completed it: its check `{}` passes on this machine, so the files the rehearsal listed were recorded as they are now (`agent-install show {}`)",
            checks.join("`, `"),
            record.name
        ));
    }
    let why = match &verdict {
        Checks::None => "its plan has no check to tell whether it got through".to_string(),
        Checks::Failed(command) => format!("its check `{command}` fails on this machine"),
        Checks::Passed(_) => unreachable!("handled above"),
    };
    record.state = RecordState::Failed;
    record
        .notes
        .push(format!("rolled back after an interrupted apply: {why}"));
    store
        .write(&record)
        .map_err(|error| format!("{what}; it could not be rolled back: {error}"))?;
    let removal = uninstall::plan(&record, store, root, records);
    match take_back(store, &mut record, &removal, emit) {
        Ok(()) => Ok(format!(
            "{what}; rolled it back: {why}, so what it had done was taken back ({} step(s){}); the record is in the history (`agent-install list --all`)",
            removal.steps.len(),
            left_note(&removal)
        )),
        Err(error) => Err(format!(
            "{what}; {why}, and rolling it back failed: {error}; the record stays (`agent-install uninstall {}`)",
            record.name
        )),
    }
}

/// Finishes an interrupted uninstall from where the machine is now.
fn finish_uninstall(
    store: &Store,
    _lock: &StoreLock,
    mut record: InstallRecord,
    records: &[InstallRecord],
    emit: &mut dyn FnMut(Event),
) -> Result<String, String> {
    let what = format!(
        "the uninstall of {} ({}) was interrupted",
        record.name, record.id
    );
    let removal = uninstall::plan(&record, store, Path::new("/"), records);
    record
        .notes
        .push("the uninstall was interrupted and finished by the next run".to_string());
    match take_back(store, &mut record, &removal, emit) {
        Ok(()) => Ok(format!(
            "{what}; finished it: you had consented to it, and the {} step(s) still needed ran and the product's check now fails{}; the record is in the history (`agent-install list --all`)",
            removal.steps.len(),
            left_note(&removal)
        )),
        Err(error) => Err(format!(
            "{what}; finishing it failed: {error}; the record says installed again (`agent-install uninstall {}` to retry)",
            record.name
        )),
    }
}

fn left_note(removal: &UninstallPlan) -> String {
    if removal.left.is_empty() {
        String::new()
    } else {
        let items: Vec<String> = removal
            .left
            .iter()
            .map(|left| format!("{}: {}", left.what, left.reason))
            .collect();
        format!("; left: {}", items.join("; "))
    }
}

/// Runs a removal on this machine (the caller holds the lock) and retires the record.
fn take_back(
    store: &Store,
    record: &mut InstallRecord,
    removal: &UninstallPlan,
    emit: &mut dyn FnMut(Event),
) -> Result<(), String> {
    let steps = removal.plan_steps();
    let neighbour_checks: Vec<String> = removal
        .neighbour_checks
        .iter()
        .map(|(_, check)| check.clone())
        .collect();
    let approved = replay::approve(
        &steps,
        &neighbour_checks,
        &Policy::default(),
        Target::Host,
        &CONSENTED,
    )?;
    let interrupted = Arc::new(AtomicBool::new(false));
    match remove_here(store, record, &approved, removal, &interrupted, emit) {
        Ok(None) => Ok(()),
        Ok(Some((_, message))) => Err(message),
        Err(error) => Err(error.to_string()),
    }
}

/// The consent of the run being finished stands for this one (see the module header).
const CONSENTED: Unattended = Unattended { yes: true };

/// What the product's checks said on this machine.
enum Checks {
    /// Every check passed; the first one's output.
    Passed(String),
    /// This check failed.
    Failed(String),
    /// The plan has none.
    None,
}

impl Checks {
    fn passed_first_line(&self) -> Option<String> {
        match self {
            Checks::Passed(output) => Some(output.clone()),
            _ => None,
        }
    }
}

/// Runs the product's checks here, each through the host policy.
fn run_checks(checks: &[String], emit: &mut dyn FnMut(Event)) -> Result<Checks, String> {
    if checks.is_empty() {
        return Ok(Checks::None);
    }
    replay::approve(&[], checks, &Policy::default(), Target::Host, &CONSENTED)?;
    let mut host =
        sandbox::open(sandbox::SandboxConfig::new(Backend::Host)).map_err(|e| e.to_string())?;
    let mut first_output = None;
    let mut failed = None;
    for check in checks {
        let request =
            ExecRequest::new(replay::login_shell_command(check)).with_timeout(CHECK_TIMEOUT);
        let observation = match host.exec(&request, &mut |_, _| {}) {
            Ok(observation) => observation,
            Err(error) => {
                let _ = host.discard();
                return Err(error.to_string());
            }
        };
        let passed = observation.success();
        let output = replay::combined_output(&observation);
        emit(Event::Verification {
            command: check.clone(),
            passed,
            target: "host".to_string(),
            detail: if passed {
                output.lines().next().unwrap_or_default().to_string()
            } else {
                observation.outcome()
            },
        });
        if !passed {
            failed = Some(check.clone());
            break;
        }
        first_output.get_or_insert(output);
    }
    let _ = host.discard();
    Ok(match failed {
        Some(command) => Checks::Failed(command),
        None => Checks::Passed(first_output.unwrap_or_default()),
    })
}
