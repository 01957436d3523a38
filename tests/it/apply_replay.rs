//! The replay module (`src/replay.rs`) as `apply`, the post-rehearsal apply, the plan cache and
//! `provision` drive it: real commands in the real overlay sandbox (and, confined to a temp
//! dir, the host backend), the events it emits, `ok` versus `changed`, and where it stops.

use std::path::Path;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary, is_root};
use agent_install::approver::Unattended;
use agent_install::event::{Event, StepChange};
use agent_install::plan::PlanStep;
use agent_install::policy::{Policy, Target};
use agent_install::replay::{self, ReplayEnding, ReplayOptions};
use agent_install::sandbox::{self, Backend, Sandbox, SandboxConfig};

fn step(command: &str) -> PlanStep {
    PlanStep {
        command: command.to_string(),
        purpose: format!("test step: {command}"),
        source: None,
        risks: Vec::new(),
        decision: agent_install::policy::Decision::Allow,
        uncertain: None,
    }
}

fn host_overlay(temp: &Path) -> Box<dyn Sandbox> {
    sandbox::open(config(Path::new("/"), temp)).expect("overlay sandbox starts")
}

/// Replays and collects the events.
fn replay_collecting(
    steps: &[PlanStep],
    verification: &[&str],
    sandbox: &mut dyn Sandbox,
    options: &ReplayOptions,
) -> (replay::Replayed, Vec<Event>) {
    let verification: Vec<String> = verification.iter().map(|text| text.to_string()).collect();
    // Only an approved plan replays: the sandbox policy with --yes lets these test steps run.
    let approved = replay::approve(
        steps,
        &verification,
        &Policy::default(),
        Target::Sandbox,
        &Unattended { yes: true },
    )
    .expect("the sandbox policy allows the test steps");
    let mut events = Vec::new();
    let replayed = replay::replay(&approved, sandbox, options, &mut |event| events.push(event))
        .expect("the sandbox works");
    (replayed, events)
}

fn changes(events: &[Event]) -> Vec<(usize, Option<StepChange>)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::StepFinished { step, change, .. } => Some((*step, *change)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_plan_replays_in_order_with_ok_and_changed_from_the_delta() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on / needs root here");
        return;
    }
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let steps = [
        step("mkdir -p /opt/replay-test && echo one > /opt/replay-test/a && echo wrote a"),
        step("mkdir -p /opt/replay-test"),
        step("cat /opt/replay-test/a"),
        step("cd /opt/replay-test && export REPLAYED=yes"),
        step("echo \"$REPLAYED\" > \"$PWD/b\""),
    ];
    let options = ReplayOptions {
        first_step: 7,
        reason: "from the test's plan".to_string(),
        ..ReplayOptions::new("sandbox")
    };
    let (replayed, events) = replay_collecting(
        &steps,
        &["test \"$(cat /opt/replay-test/b)\" = yes"],
        session.as_mut(),
        &options,
    );
    assert_eq!(replayed.ending, ReplayEnding::Verified, "{events:#?}");
    assert!(replayed.verified());
    // Numbered from first_step; a step that left the filesystem as it was is `ok`, even one
    // that only changed the shell state.
    assert_eq!(
        changes(&events),
        [
            (7, Some(StepChange::Changed)),
            (8, Some(StepChange::Ok)),
            (9, Some(StepChange::Ok)),
            (10, Some(StepChange::Ok)),
            (11, Some(StepChange::Changed)),
        ]
    );
    assert_eq!(replayed.changed(), 2);

    // The event sequence of one step: decision, start, output, finish; verification last.
    let kinds: Vec<&str> = events
        .iter()
        .take(4)
        .map(|event| match event {
            Event::Decision { .. } => "decision",
            Event::StepStarted { .. } => "started",
            Event::Output { .. } => "output",
            Event::StepFinished { .. } => "finished",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["decision", "started", "output", "finished"]);
    match &events[0] {
        Event::Decision {
            step,
            reasons,
            decision,
            ..
        } => {
            assert_eq!(*step, 7);
            assert_eq!(*decision, agent_install::policy::Decision::Allow);
            assert_eq!(reasons, &["from the test's plan".to_string()]);
        }
        other => panic!("first event: {other:?}"),
    }
    match events.last() {
        Some(Event::Verification {
            passed: true,
            target,
            ..
        }) => assert_eq!(target, "sandbox"),
        other => panic!("last event: {other:?}"),
    }
    // The sandbox kept the changes for the caller (nothing is rolled back by a replay).
    assert_eq!(run_ok(session.as_mut(), "cat /opt/replay-test/b"), "yes\n");
    assert!(
        !Path::new("/opt/replay-test").exists(),
        "the host was written"
    );
    session.discard().unwrap();
    assert_clean(temp.path());
}

#[test]
fn a_failing_step_stops_the_replay_before_the_rest_and_the_verification() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on / needs root here");
        return;
    }
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let steps = [
        step("touch /opt/replay-first"),
        step("echo broken >&2; exit 3"),
        step("touch /opt/replay-never"),
    ];
    let (replayed, events) = replay_collecting(
        &steps,
        &["true"],
        session.as_mut(),
        &ReplayOptions::new("sandbox"),
    );
    assert_eq!(
        replayed.ending,
        ReplayEnding::StepFailed {
            index: 1,
            outcome: "exited with status 3".to_string()
        }
    );
    assert_eq!(replayed.steps.len(), 2);
    assert_eq!(replayed.steps[1].exit_status, Some(3));
    assert_eq!(replayed.steps[1].change, None);
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, Event::Verification { .. })),
        "{events:#?}"
    );
    assert!(events.iter().any(|event| matches!(
        event,
        Event::Output { step: 2, line, .. } if line == "broken"
    )));
    let (observation, _) = run(session.as_mut(), "test -e /opt/replay-never");
    assert_eq!(observation.exit_code, Some(1), "step 3 ran");
    session.discard().unwrap();
    assert_clean(temp.path());
}

#[test]
fn failed_verification_is_reported_with_each_failing_command() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on / needs root here");
        return;
    }
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    // Verification runs in a fresh login shell: a variable exported by a step does not count.
    let (replayed, events) = replay_collecting(
        &[step("export ONLY_IN_THE_SESSION=1")],
        &[
            "true",
            "test -n \"$ONLY_IN_THE_SESSION\"",
            "replay-no-such-tool",
        ],
        session.as_mut(),
        &ReplayOptions::new("sandbox"),
    );
    let ReplayEnding::VerificationFailed { failures } = &replayed.ending else {
        panic!("{:?}", replayed.ending);
    };
    let failed: Vec<&str> = failures
        .iter()
        .map(|failure| failure.command.as_str())
        .collect();
    assert_eq!(
        failed,
        ["test -n \"$ONLY_IN_THE_SESSION\"", "replay-no-such-tool"]
    );
    let verdicts: Vec<bool> = events
        .iter()
        .filter_map(|event| match event {
            Event::Verification { passed, .. } => Some(*passed),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts, [true, false, false]);
    session.discard().unwrap();
    assert_clean(temp.path());
}

#[test]
fn on_the_host_the_output_decides_ok_or_changed() {
    let temp = temp_root();
    let work = tempfile::tempdir().expect("temp dir");
    let mut configuration = SandboxConfig::new(Backend::Host);
    configuration.helper = Some(binary());
    configuration.temp_root = Some(temp.path().to_path_buf());
    configuration.cwd = Some(work.path().display().to_string());
    let mut session = sandbox::open(configuration).expect("host backend starts");
    assert!(!session.tracks_changes());
    let steps = [
        step("touch made-here"),
        step("echo '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.'"),
        step("echo 'Requirement already satisfied: widget in /x'"),
        PlanStep {
            risks: vec!["read-only".to_string()],
            ..step("ls")
        },
    ];
    let (replayed, events) =
        replay_collecting(&steps, &[], session.as_mut(), &ReplayOptions::new("host"));
    assert!(replayed.verified());
    assert_eq!(
        changes(&events),
        [
            (1, Some(StepChange::Changed)),
            (2, Some(StepChange::Ok)),
            (3, Some(StepChange::Ok)),
            (4, Some(StepChange::Ok)),
        ]
    );
    assert!(work.path().join("made-here").exists());
    session.discard().unwrap();
    assert_clean(temp.path());
}
