//! The install loop (DESIGN §1, §2): agent proposes → policy decides → sandbox runs →
//! observation back → … → `done` → verification → apply → outcome.
//!
//! This module is the one orchestrator: it owns the sandbox session, asks the policy about
//! every command, rolls back failed steps, enforces the budgets, and reports everything as
//! [`Event`]s. Agents only propose; renderers only listen.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::ExitStatus;
use crate::agent::{Action, ActionResult, Agent, Facts, FailedCheck, Note, Record, Turn};
use crate::approver::Approver;
use crate::doc::{Doc, VerificationOrigin};
use crate::event::PlanSource;
use crate::event::{Ending, Event, Outcome};
use crate::plan::cache::{CacheSettings, MachineMatch};
use crate::plan::{self, Plan, PlanAgent, PlanDoc, PlanProbe, PlanRoute, PlanStep, SourceRef};
use crate::policy::{Policy, Resolution, Target};
use crate::probe;
use crate::record::{self, capture::Recorder};
use crate::replay::{self, ReplayEnding, ReplayOptions, combined_output};
use crate::sandbox::{self, ExecRequest, Observation, Sandbox, SandboxConfig, Snapshot};
use crate::shell;
use crate::ui::Outputs;
use crate::verify;

/// How long a download host may take to answer the reachability check.
const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(4);

/// How long one verification command may take.
const VERIFICATION_TIMEOUT: Duration = Duration::from_secs(60);

/// How a run may change the real target after a verified rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyMode {
    /// Replay the verified steps on the target.
    Apply,
    /// Stop after the rehearsal.
    NoApply,
    /// Ask on a terminal; without one, do not apply.
    Ask,
}

/// Everything a run needs besides the doc and the agent, resolved from flags and files.
pub struct Settings {
    pub rehearsal: SandboxConfig,
    pub max_steps: usize,
    pub timeout: Duration,
    /// Who answers the questions of the run (a step the policy flags, applying the rehearsal).
    pub approver: Arc<dyn Approver>,
    pub apply: ApplyMode,
    pub extra_verification: Vec<String>,
    pub policy: Policy,
    pub plan_out: Option<PathBuf>,
    /// The machine the plan is meant for, as recorded in plans.
    pub target: PlanProbe,
    pub export_layer: Option<PathBuf>,
    /// The plan cache to try before asking the agent and to keep a verified plan in; `None`
    /// with `--no-cache` (and for dry runs, which verify nothing).
    pub plan_cache: Option<CacheSettings>,
    /// Set by a signal handler: stop as soon as possible.
    pub interrupted: Arc<AtomicBool>,
}

/// A step that ran and stayed: what `apply` replays and a plan records.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VerifiedStep {
    command: String,
    purpose: String,
    source: Option<String>,
    risks: Vec<String>,
    decision: crate::policy::Decision,
}

/// The result of a run, for the caller to map to an exit status.
#[derive(Debug)]
pub struct RunOutcome {
    pub outcome: Outcome,
    pub status: ExitStatus,
    pub message: String,
    /// The steps that ran and stayed, with the verification that passed: set once a rehearsal
    /// (or a dry run) got that far, whatever happened after (apply may still have failed).
    pub plan: Option<Plan>,
}

/// Runs the whole loop for one doc in a sandbox of its own, opened from
/// `settings.rehearsal` and discarded at the end. Never panics on bad input; every way out
/// emits `Finished`.
pub async fn run(
    doc: &Doc,
    agent: Box<dyn Agent>,
    settings: Settings,
    outputs: &mut Outputs,
) -> RunOutcome {
    run_with(doc, agent, &settings, outputs, None).await
}

/// Runs the loop for one doc in a sandbox the caller opened and keeps (`provision` runs
/// several docs in one sandbox, then exports it). The sandbox is not discarded; the steps of
/// a failed run are rolled back where the sandbox tracks changes.
pub async fn run_in(
    doc: &Doc,
    agent: Box<dyn Agent>,
    settings: &Settings,
    outputs: &mut Outputs,
    sandbox: &mut dyn Sandbox,
) -> RunOutcome {
    run_with(doc, agent, settings, outputs, Some(sandbox)).await
}

async fn run_with(
    doc: &Doc,
    mut agent: Box<dyn Agent>,
    settings: &Settings,
    outputs: &mut Outputs,
    sandbox: Option<&mut dyn Sandbox>,
) -> RunOutcome {
    let started = Instant::now();
    let mut loop_state = Loop {
        doc,
        settings,
        outputs,
        history: Vec::new(),
        verified: Vec::new(),
        route: None,
        route_reason: String::new(),
        route_start: None,
        route_first_step: 0,
        step: 0,
        state_version: 0,
        failed_at: Vec::new(),
        approved_checks: Vec::new(),
        plan: None,
        cached: None,
        cached_detail: String::new(),
        unverified: None,
        unreachable: Vec::new(),
        rehearsal_delta: None,
        downloaded: Vec::new(),
        contacted: Vec::new(),
        started,
    };
    let Ending {
        outcome,
        status,
        message,
    } = match sandbox {
        Some(sandbox) => loop_state.drive_in(agent.as_mut(), sandbox).await,
        None => loop_state.drive(agent.as_mut()).await,
    };
    let usage = agent.usage();
    let route = loop_state.route.clone();
    let mut plan = loop_state.plan.take();
    match (&mut plan, loop_state.cached.take()) {
        // Replayed from the cache: the plan's provenance is the run that made it.
        (Some(plan), Some(cached)) => plan.agent = cached,
        (Some(plan), None) => {
            plan.agent.calls = usage.calls;
            plan.agent.tokens = usage.tokens;
            // Only a rehearsal that verified keeps its plan (never a dry run).
            if let Some(cache) = &settings.plan_cache
                && plan.verified
            {
                let base = &settings.rehearsal.base;
                if let Err(error) = tokio::task::block_in_place(|| cache.cache.store(plan, base)) {
                    outputs.emit(Event::Warning {
                        message: format!(
                            "could not keep the plan in the cache {}: {error}",
                            cache.cache.root().display()
                        ),
                    });
                }
            }
        }
        (None, _) => {}
    }
    if usage.calls > 0 {
        outputs.emit(Event::AgentUsage {
            calls: usage.calls,
            tokens: usage.tokens,
            cost_usd: agent.cost_usd(),
        });
    }
    outputs.emit(Event::Finished {
        outcome,
        exit_code: status,
        message: message.clone(),
        route,
        agent_calls: usage.calls,
        agent_tokens: usage.tokens,
        duration_ms: started.elapsed().as_millis() as u64,
    });
    RunOutcome {
        outcome,
        status,
        message,
        plan,
    }
}

struct Loop<'a> {
    doc: &'a Doc,
    settings: &'a Settings,
    outputs: &'a mut Outputs,
    history: Vec<Record>,
    verified: Vec<VerifiedStep>,
    route: Option<String>,
    route_reason: String,
    route_start: Option<Snapshot>,
    /// Index in `verified` where the current route's steps begin.
    route_first_step: usize,
    step: usize,
    /// Bumped after every step that changed something; a command that failed at the same
    /// version is not run again (loop detection).
    state_version: u64,
    failed_at: Vec<(String, u64)>,
    /// Verification commands that passed the policy ([`replay::gate`]) in this run: each is
    /// asked about once, and none runs before it passed.
    approved_checks: Vec<String>,
    /// Set when a cached plan verified: the agent record of the run that made it, and where
    /// the plan came from (for the `plan_source` event).
    cached: Option<PlanAgent>,
    cached_detail: String,
    /// Set by the rehearsal once verification passed.
    plan: Option<Plan>,
    /// What a route installed when nothing it added could be tied to the product: the run
    /// then ends "installed, not verified" (exit 5) rather than "no route" if no route verifies.
    unverified: Option<String>,
    /// Origins the doc's routes download from that did not answer (asked once per run).
    unreachable: Vec<String>,
    /// The rehearsal's filesystem changes: the file list of the install record.
    rehearsal_delta: Option<sandbox::Delta>,
    /// Files the steps that ran downloaded: running one later is pipe-to-shell.
    downloaded: Vec<String>,
    /// The requests through the egress fence, with the command that made each.
    contacted: Vec<(String, sandbox::egress::NetworkRequest)>,
    started: Instant,
}

impl Loop<'_> {
    async fn drive(&mut self, agent: &mut dyn Agent) -> Ending {
        let config = self.settings.rehearsal.clone();
        let opened = tokio::task::block_in_place(|| sandbox::open(config));
        let mut sandbox = match opened {
            Ok(sandbox) => sandbox,
            Err(error) => return Ending::sandbox(&error),
        };
        if let Some(message) = sandbox::unfenced_warning(&self.settings.rehearsal, sandbox.as_ref())
        {
            self.outputs.emit(Event::Warning { message });
        }
        let result = self.drive_in(agent, sandbox.as_mut()).await;
        if let Err(error) = tokio::task::block_in_place(|| sandbox.discard()) {
            self.outputs.emit(Event::Warning {
                message: format!("could not clean up the sandbox: {error}"),
            });
        }
        result
    }

    async fn drive_in(&mut self, agent: &mut dyn Agent, sandbox: &mut dyn Sandbox) -> Ending {
        match self.rehearse(agent, sandbox).await {
            Ok(verification) => {
                self.after_rehearsal(sandbox, agent.kind(), verification)
                    .await
            }
            Err(ending) => ending,
        }
    }

    /// The rehearsal: returns the verification that passed, or how the run ended.
    async fn rehearse(
        &mut self,
        agent: &mut dyn Agent,
        sandbox: &mut dyn Sandbox,
    ) -> Result<Vec<String>, Ending> {
        if self.settings.rehearsal.backend != sandbox::Backend::DryRun
            && self.settings.rehearsal.network != sandbox::Network::Off
        {
            let (policy, target) = (&self.settings.policy, self.rehearsal_target());
            // Only hosts of commands the policy would let run are asked: a denied line of a
            // hostile doc must not make agent-install contact its host either.
            let mut origins = download_origins(self.doc, |command| {
                policy.check(command, target).decision != crate::policy::Decision::Deny
            });
            // Nor a host the egress fence would block: one a policy file denies, or a name
            // that resolves to this machine's loopback (the fence's DNS-trick rule).
            if let Some(rules) = &self.settings.rehearsal.egress {
                let mut fenced = Vec::new();
                for origin in origins {
                    let Ok(url) = reqwest::Url::parse(&origin) else {
                        continue;
                    };
                    let port = url.port_or_known_default().unwrap_or(80);
                    let Some(host) = url.host_str().map(str::to_string) else {
                        continue;
                    };
                    let addresses: Vec<std::net::SocketAddr> =
                        tokio::net::lookup_host((host.as_str(), port))
                            .await
                            .map(Iterator::collect)
                            .unwrap_or_default();
                    if rules.allows(&host, port)
                        && !sandbox::egress::resolves_to_loopback(&host, &addresses)
                    {
                        fenced.push(origin);
                    }
                }
                origins = fenced;
            }
            self.unreachable =
                crate::probe::unreachable_origins(&origins, REACHABILITY_TIMEOUT).await;
        }
        let mut facts = self.facts(sandbox)?;
        self.outputs.emit(Event::Probed {
            fingerprint: self.settings.target.fingerprint.clone(),
            summary: describe_facts(&facts),
        });
        let verification = verification_commands(self.doc, &self.settings.extra_verification);
        // Every check passes the policy before anything runs: a check is a command like any
        // other, whether the doc, its front matter, a derivation or --verify supplied it.
        for (index, command) in verification.iter().enumerate() {
            let what = format!("verification check {}", index + 1);
            self.approve_check(command, &what).map_err(|message| {
                Ending::new(Outcome::Refused, format!("nothing was run: {message}"))
            })?;
        }
        if self.replay_cached_plan(sandbox, &verification)? {
            return Ok(verification);
        }
        loop {
            self.check_budgets()?;
            let turn = Turn {
                doc: self.doc,
                facts: &facts,
                history: &self.history,
            };
            // An LLM call can take minutes (timeouts, retries): Ctrl-C and the time budget must
            // not wait for it.
            let remaining = self.settings.timeout.saturating_sub(self.started.elapsed());
            let answer = tokio::select! {
                answer = agent.next(turn) => answer,
                () = wait_until_set(&self.settings.interrupted) => {
                    return Err(Ending::new(Outcome::Interrupted, "interrupted"));
                }
                () = tokio::time::sleep(remaining) => {
                    return Err(Ending::new(
                        Outcome::NoRoute,
                        format!(
                            "the time budget ({}s) ran out while the agent was thinking; raise it with --timeout",
                            self.settings.timeout.as_secs()
                        ),
                    ));
                }
            };
            let proposal = answer.map_err(|error| {
                // An LLM budget that ran out ends like the step budget (exit 4); every other
                // agent failure is a backend error (exit 8).
                if error.is_budget() {
                    Ending::new(Outcome::NoRoute, error.to_string())
                } else {
                    Ending {
                        outcome: Outcome::Error,
                        status: ExitStatus::AgentBackend,
                        message: error.to_string(),
                    }
                }
            })?;
            let mut rolled_back = false;
            for note in proposal.notes {
                rolled_back |= matches!(note, Note::RouteAbandoned { .. });
                self.note(note, sandbox)?;
            }
            if rolled_back {
                // The rollback undid what the route installed (e.g. curl for a failed install
                // script): facts read before it would make the next route's repairs believe a
                // tool is still there.
                facts = self.facts(sandbox)?;
            }
            match proposal.action {
                Action::Run {
                    command,
                    purpose,
                    source,
                } => {
                    let result = self.run_step(sandbox, &command, &purpose, source.as_deref())?;
                    if matches!(
                        result,
                        ActionResult::Ran {
                            exit_status: Some(0),
                            timed_out: false,
                            ..
                        }
                    ) {
                        facts = self.facts(sandbox)?;
                    }
                    self.history.push(Record {
                        action: Action::Run {
                            command,
                            purpose,
                            source,
                        },
                        result,
                    });
                }
                Action::WriteFile { path, content } => {
                    let command = write_file_command(&path, &content);
                    let result =
                        self.run_step(sandbox, &command, &format!("write {path}"), None)?;
                    self.history.push(Record {
                        action: Action::WriteFile { path, content },
                        result,
                    });
                }
                Action::Verify { command, expect } => {
                    if let Err(message) = self.approve_check(&command, "the agent's check") {
                        self.outputs.emit(Event::Warning {
                            message: message.clone(),
                        });
                        self.history.push(Record {
                            action: Action::Verify { command, expect },
                            result: ActionResult::Denied {
                                reasons: vec![message],
                            },
                        });
                        continue;
                    }
                    let check =
                        self.verify_one(sandbox, &command, self.rehearsal_target().name())?;
                    let result = match check {
                        None => ActionResult::Ran {
                            exit_status: Some(0),
                            timed_out: false,
                            output: String::new(),
                        },
                        Some(failed) => ActionResult::Ran {
                            exit_status: failed.exit_status,
                            timed_out: false,
                            output: failed.output,
                        },
                    };
                    self.history.push(Record {
                        action: Action::Verify { command, expect },
                        result,
                    });
                }
                Action::Done { summary } => {
                    if self.settings.rehearsal.backend == sandbox::Backend::DryRun {
                        return Ok(verification);
                    }
                    let failures = match self.verify_route(sandbox, &verification)? {
                        Ok(passed) => return Ok(passed),
                        Err(failures) => failures,
                    };
                    facts.new_executables = self.new_executables(sandbox);
                    self.history.push(Record {
                        action: Action::Done { summary },
                        result: ActionResult::VerificationFailed { failures },
                    });
                }
                Action::GiveUp { reason } => {
                    return Err(match self.unverified.take() {
                        Some(added) => Ending::new(
                            Outcome::VerificationFailed,
                            format!("installed, not verified: {added} ({reason})"),
                        ),
                        None => Ending::new(Outcome::NoRoute, reason),
                    });
                }
            }
        }
    }

    /// Where the rehearsal's commands run, for the policy: `--sandbox host` runs them on this
    /// machine, under the host's stricter rules.
    fn rehearsal_target(&self) -> Target {
        match self.settings.rehearsal.backend {
            sandbox::Backend::Host => Target::Host,
            sandbox::Backend::Overlay | sandbox::Backend::DryRun => Target::Sandbox,
        }
    }

    /// The plan cache (DESIGN §6): replays the plan a verified run kept for this doc and
    /// machine, without asking the agent. `true` when it verified; on failure its changes are
    /// rolled back (where the sandbox can) and the agent takes over.
    fn replay_cached_plan(
        &mut self,
        sandbox: &mut dyn Sandbox,
        verification: &[String],
    ) -> Result<bool, Ending> {
        let Some(cache) = &self.settings.plan_cache else {
            return Ok(false);
        };
        if self.settings.rehearsal.backend == sandbox::Backend::DryRun {
            return Ok(false);
        }
        let lookup = tokio::task::block_in_place(|| {
            cache.cache.lookup(
                &self.doc.sha256,
                &self.settings.rehearsal.base,
                &self.settings.target,
                cache.facts.as_ref(),
            )
        });
        for message in lookup.warnings {
            self.outputs.emit(Event::Warning { message });
        }
        let Some(hit) = lookup.hit else {
            return Ok(false);
        };
        // The policy may have changed since (another --policy, --sandbox host): the cached
        // steps pass it like the agent's would.
        let approved = match replay::approve(
            &hit.plan.steps,
            verification,
            &self.settings.policy,
            self.rehearsal_target(),
            self.settings.approver.as_ref(),
        ) {
            Ok(approved) => approved,
            Err(message) => {
                self.outputs.emit(Event::Warning {
                    message: format!(
                        "the cached plan {} was not used: {message}; asking the agent",
                        hit.path.display()
                    ),
                });
                return Ok(false);
            }
        };
        let snapshot = snapshot_if_tracked(sandbox)?;
        let options = ReplayOptions {
            first_step: self.step + 1,
            reason: format!("from the plan cache ({})", hit.path.display()),
            step_timeout: Some(self.step_timeout(None)),
            interrupted: Some(Arc::clone(&self.settings.interrupted)),
            ..ReplayOptions::new(self.rehearsal_target().name())
        };
        let (outputs, contacted) = (&mut *self.outputs, &mut self.contacted);
        let replayed = tokio::task::block_in_place(|| {
            replay::replay(&approved, sandbox, &options, &mut |event| {
                keep_network(contacted, &event);
                outputs.emit(event)
            })
        })
        .map_err(|error| Ending::sandbox(&error))?;
        self.step += replayed.steps.len();
        let failure = match &replayed.ending {
            ReplayEnding::Verified => None,
            ReplayEnding::StepFailed { index, .. } => Some(format!("at step {}", index + 1)),
            ReplayEnding::VerificationFailed { failures } => Some(format!(
                "its verification (`{}`)",
                failures
                    .iter()
                    .map(|failure| failure.command.as_str())
                    .collect::<Vec<_>>()
                    .join("`, `")
            )),
        };
        if let Some(failure) = failure {
            let undone = match snapshot {
                Some(snapshot) => {
                    tokio::task::block_in_place(|| sandbox.rollback(snapshot))
                        .map_err(|error| Ending::sandbox(&error))?;
                    for step in &replayed.steps {
                        self.outputs.emit(Event::RolledBack { step: step.step });
                    }
                    "its changes were rolled back"
                }
                None => "its changes could not be undone on this backend",
            };
            self.state_version += 1;
            self.outputs.emit(Event::Warning {
                message: format!(
                    "cached plan failed {failure}; {undone}; asking the agent ({})",
                    hit.path.display()
                ),
            });
            return Ok(false);
        }
        self.verified = hit
            .plan
            .steps
            .iter()
            .zip(approved.steps())
            .map(|(cached, approved)| VerifiedStep {
                command: cached.command.clone(),
                purpose: cached.purpose.clone(),
                source: cached
                    .source
                    .as_ref()
                    .map(|source| format!("{}:{}", source.file, source.line)),
                risks: approved.risks.clone(),
                decision: approved.decision,
            })
            .collect();
        if let Some(route) = &hit.plan.route {
            self.route = Some(route.name.clone());
            self.route_reason = route.reason.clone();
        }
        let machine = match &hit.machine {
            MachineMatch::SameExceptInstalled(tools) => format!(
                "; this machine differs only by what the plan installs ({})",
                tools.join(", ")
            ),
            _ => String::new(),
        };
        self.cached_detail = format!(
            "replayed the plan kept by an earlier verified run ({}){machine}; no agent call",
            hit.path.display()
        );
        self.cached = Some(hit.plan.agent.clone());
        Ok(true)
    }

    fn check_budgets(&self) -> Result<(), Ending> {
        if self.settings.interrupted.load(Ordering::SeqCst) {
            return Err(Ending::new(Outcome::Interrupted, "interrupted"));
        }
        if self.step >= self.settings.max_steps {
            return Err(Ending::new(
                Outcome::NoRoute,
                format!(
                    "the step budget ({}) ran out before the install was verified; raise it with --max-steps",
                    self.settings.max_steps
                ),
            ));
        }
        if self.started.elapsed() >= self.settings.timeout {
            return Err(Ending::new(
                Outcome::NoRoute,
                format!(
                    "the time budget ({}s) ran out before the install was verified; raise it with --timeout",
                    self.settings.timeout.as_secs()
                ),
            ));
        }
        Ok(())
    }

    fn note(&mut self, note: Note, sandbox: &mut dyn Sandbox) -> Result<(), Ending> {
        match note {
            Note::RouteChosen { route, reason } => {
                self.route = Some(route.clone());
                self.route_reason = reason.clone();
                self.route_first_step = self.verified.len();
                self.route_start = snapshot_if_tracked(sandbox)?;
                self.outputs.emit(Event::RouteChosen { route, reason });
            }
            Note::RouteAbandoned { route, reason } => {
                if let Some(snapshot) = self.route_start.take() {
                    tokio::task::block_in_place(|| sandbox.rollback(snapshot))
                        .map_err(|error| Ending::sandbox(&error))?;
                    self.state_version += 1;
                }
                self.verified.truncate(self.route_first_step);
                self.route = None;
                self.outputs.emit(Event::RouteAbandoned { route, reason });
            }
            Note::Repair {
                rule,
                reason,
                commands,
            } => self.outputs.emit(Event::Repair {
                rule,
                reason,
                commands,
            }),
        }
        Ok(())
    }

    /// Policy, snapshot, run, roll back on failure.
    fn run_step(
        &mut self,
        sandbox: &mut dyn Sandbox,
        command: &str,
        purpose: &str,
        source: Option<&str>,
    ) -> Result<ActionResult, Ending> {
        self.step += 1;
        let step = self.step;
        let verdict =
            self.settings
                .policy
                .check_after(command, self.rehearsal_target(), &self.downloaded);
        let risks: Vec<String> = verdict
            .classes()
            .iter()
            .map(|class| class.name().to_string())
            .collect();
        let mut reasons = verdict.reasons();
        let mut decision = verdict.decision;
        let refusal = match verdict.resolve(self.settings.approver.interaction()) {
            Resolution::Run => None,
            Resolution::Prompt => {
                if self.settings.approver.confirm(&format!(
                    "Run `{command}` in the sandbox? ({})",
                    reasons.join("; ")
                )) {
                    None
                } else {
                    Some("refused by the user".to_string())
                }
            }
            Resolution::Refuse { message } => Some(message),
        };
        if self
            .failed_at
            .iter()
            .any(|(failed, version)| failed == command && *version == self.state_version)
        {
            decision = crate::policy::Decision::Deny;
            reasons = vec![format!(
                "loop: `{command}` already failed and nothing changed since"
            )];
        } else if let Some(message) = refusal {
            // The refusal message already names the policy's reasons and what to do.
            decision = crate::policy::Decision::Deny;
            reasons = vec![message];
        }
        self.outputs.emit(Event::Decision {
            step,
            command: command.to_string(),
            decision,
            risks: risks.clone(),
            reasons: reasons.clone(),
        });
        if decision == crate::policy::Decision::Deny {
            return Ok(ActionResult::Denied { reasons });
        }

        // A step the policy allowed may fetch what it names, as the doc's own download
        // commands may (the fence started with those): an agent's proposal, a repair.
        sandbox.allow_hosts(&crate::policy::downloads::download_hosts(command));
        let snapshot = snapshot_if_tracked(sandbox)?;
        let target = self.rehearsal_target().name();
        let observation = self.exec(sandbox, step, command, purpose, target, None)?;
        // The dry-run backend executes nothing: every step counts as run, for the plan.
        let success = observation.success() || !observation.executed;
        if success {
            self.state_version += 1;
            self.downloaded
                .extend(crate::policy::downloads::downloaded_paths(command));
            self.verified.push(VerifiedStep {
                command: command.to_string(),
                purpose: purpose.to_string(),
                source: source.map(str::to_string),
                risks,
                decision,
            });
        } else {
            self.failed_at
                .push((command.to_string(), self.state_version));
            if let Some(snapshot) = snapshot {
                tokio::task::block_in_place(|| sandbox.rollback(snapshot))
                    .map_err(|error| Ending::sandbox(&error))?;
                self.outputs.emit(Event::RolledBack { step });
            }
        }
        Ok(ActionResult::Ran {
            exit_status: observation.exit_code,
            timed_out: observation.timed_out,
            output: combined_output(&observation),
        })
    }

    /// Runs a command with streaming output events.
    fn exec(
        &mut self,
        sandbox: &mut dyn Sandbox,
        step: usize,
        command: &str,
        purpose: &str,
        target: &str,
        timeout: Option<Duration>,
    ) -> Result<Observation, Ending> {
        let limit = self.step_timeout(timeout);
        let (outputs, contacted) = (&mut *self.outputs, &mut self.contacted);
        let result = tokio::task::block_in_place(|| {
            replay::run_command(
                sandbox,
                replay::StepNumber { step, total: None },
                command,
                purpose,
                target,
                Some(limit),
                &mut |event| {
                    keep_network(contacted, &event);
                    outputs.emit(event)
                },
            )
        });
        let observation = result.map_err(|error| Ending::sandbox(&error))?;
        self.outputs.emit(Event::StepFinished {
            step,
            exit_status: observation.exit_code,
            duration_ms: observation.duration.as_millis() as u64,
            timed_out: observation.timed_out,
            change: None,
        });
        Ok(observation)
    }

    /// A step's time limit: the given or default one, within what is left of the run's budget.
    fn step_timeout(&self, timeout: Option<Duration>) -> Duration {
        let remaining = self.settings.timeout.saturating_sub(self.started.elapsed());
        let limit = match (timeout, self.settings.rehearsal.limits.timeout) {
            (Some(given), _) => given.min(remaining),
            (None, Some(default)) => default.min(remaining),
            (None, None) => remaining,
        };
        limit.max(Duration::from_secs(1))
    }

    /// Verifies the current route from evidence (see [`crate::verify`]): the doc's checks that
    /// run a program the install provided, the ones written to prove the install, the user's,
    /// and, when none of them runs a provided program, one derived from the executables that
    /// belong to the product. `Ok(Ok(checks))` lists the checks that passed; `Ok(Err(..))`
    /// the failures the agent may repair.
    fn verify_route(
        &mut self,
        sandbox: &mut dyn Sandbox,
        doc_checks: &[String],
    ) -> Result<Result<Vec<String>, Vec<FailedCheck>>, Ending> {
        let target = self.rehearsal_target().name();
        let provided = self.provided(sandbox)?;
        if provided.is_empty() {
            // Nothing new on any PATH (a host rehearsal, or the product was already here): the
            // doc's own checks decide, as they are.
            if doc_checks.is_empty() {
                return Ok(Err(vec![FailedCheck {
                    command: "(no check)".to_string(),
                    exit_status: None,
                    output: "the install added no executable and the doc gives no check"
                        .to_string(),
                }]));
            }
            let mut failures = Vec::new();
            for command in doc_checks {
                failures.extend(self.verify_one(sandbox, command, target)?);
            }
            return Ok(if failures.is_empty() {
                Ok(doc_checks.to_vec())
            } else {
                Err(failures)
            });
        }
        let selection = verify::select(self.doc, &self.settings.extra_verification, &provided);
        for (command, why) in &selection.set_aside {
            self.outputs.emit(Event::CheckSetAside {
                command: command.clone(),
                reason: why.clone(),
            });
        }
        let mut failures = Vec::new();
        for command in &selection.checks {
            failures.extend(self.verify_one(sandbox, command, target)?);
        }
        if !failures.is_empty() {
            return Ok(Err(failures));
        }
        let mut passed = selection.checks.clone();
        if selection.proves_install {
            return Ok(Ok(passed));
        }
        // What the route's own steps installed; a repair's or a prerequisite's tool (npm,
        // pipx) is not the product.
        let route_commands: Vec<&str> = self.verified[self.route_first_step..]
            .iter()
            .filter(|step| {
                !step.purpose.starts_with("repair") && !step.purpose.starts_with("prerequisite")
            })
            .map(|step| step.command.as_str())
            .collect();
        let outside = self
            .route
            .as_deref()
            .is_some_and(crate::agent::rank::is_outside_route);
        let candidates = verify::product_executables(self.doc, &route_commands, &provided);
        if candidates.is_empty() && outside {
            // A package of the product's name that installs other programs is a namesake, not
            // the product: the route failed, nothing was installed that the doc meant.
            let mut names: Vec<&str> = provided.iter().map(|exe| exe.name.as_str()).collect();
            names.truncate(8);
            return Ok(Err(vec![FailedCheck {
                command: "(derived check)".to_string(),
                exit_status: None,
                output: format!(
                    "the package installed {} but nothing of the product ({}): a namesake, not the product",
                    names.join(", "),
                    self.doc.product.names.join(", ")
                ),
            }]));
        }
        if candidates.is_empty() {
            let mut names: Vec<&str> = provided.iter().map(|exe| exe.path.as_str()).collect();
            names.truncate(8);
            let added = format!(
                "the install added {} but none of it is the product's program",
                names.join(", ")
            );
            self.unverified = Some(added.clone());
            return Ok(Err(vec![FailedCheck {
                command: "(derived check)".to_string(),
                exit_status: None,
                output: added,
            }]));
        }
        let mut first_failure = None;
        for executable in candidates.iter().take(3) {
            // From outside the doc, a program not named like the product (a package of the
            // product's name may ship another program) must name the product in its output.
            let tied = !outside || self.doc.product.is_named(&executable.name);
            for check in verify::derived_checks(executable) {
                match self.verify_derived(sandbox, &check, target, tied)? {
                    None => {
                        passed.push(check);
                        return Ok(Ok(passed));
                    }
                    Some(failed) => {
                        // A missing program fails every flag alike: one try says it.
                        let not_found = failed.exit_status == Some(127);
                        first_failure.get_or_insert(failed);
                        if not_found {
                            break;
                        }
                    }
                }
            }
        }
        Ok(Err(first_failure.into_iter().collect()))
    }

    /// The executables the install provided so far, with their owning packages.
    fn provided(&mut self, sandbox: &mut dyn Sandbox) -> Result<Vec<verify::Executable>, Ending> {
        if !sandbox.tracks_changes() {
            return Ok(Vec::new());
        }
        let Ok(delta) = tokio::task::block_in_place(|| sandbox.delta()) else {
            return Ok(Vec::new());
        };
        let executables = verify::executables(&delta);
        let Some(script) = verify::owners_script(&executables) else {
            return Ok(executables);
        };
        let request = ExecRequest::new(script).with_timeout(Duration::from_secs(20));
        let observation = tokio::task::block_in_place(|| sandbox.exec(&request, &mut |_, _| {}))
            .map_err(|error| Ending::sandbox(&error))?;
        Ok(verify::with_owners(executables, &observation.stdout.text()))
    }

    /// Runs one check in a fresh login shell: a PATH change that only lived in one earlier
    /// command does not count, and the installer's own exit status is never the proof.
    fn verify_one(
        &mut self,
        sandbox: &mut dyn Sandbox,
        command: &str,
        target: &str,
    ) -> Result<Option<FailedCheck>, Ending> {
        if self.settings.interrupted.load(Ordering::SeqCst) {
            return Err(Ending::new(Outcome::Interrupted, "interrupted"));
        }
        self.approve_check(command, "a verification check")
            .map_err(|message| Ending::new(Outcome::Refused, message))?;
        let (outputs, contacted) = (&mut *self.outputs, &mut self.contacted);
        tokio::task::block_in_place(|| {
            replay::verify(
                sandbox,
                command,
                target,
                VERIFICATION_TIMEOUT,
                &mut |event| {
                    keep_network(contacted, &event);
                    outputs.emit(event)
                },
            )
        })
        .map_err(|error| Ending::sandbox(&error))
    }

    /// A derived check; unless `tied`, it passes only when its output names the product.
    fn verify_derived(
        &mut self,
        sandbox: &mut dyn Sandbox,
        command: &str,
        target: &str,
        tied: bool,
    ) -> Result<Option<FailedCheck>, Ending> {
        if tied {
            return self.verify_one(sandbox, command, target);
        }
        if self.settings.interrupted.load(Ordering::SeqCst) {
            return Err(Ending::new(Outcome::Interrupted, "interrupted"));
        }
        self.approve_check(command, "a verification check")
            .map_err(|message| Ending::new(Outcome::Refused, message))?;
        let product = &self.doc.product;
        let names_product = |output: &str| verify::names_product(product, output);
        let outputs = &mut *self.outputs;
        tokio::task::block_in_place(|| {
            replay::verify_tied(
                sandbox,
                command,
                target,
                VERIFICATION_TIMEOUT,
                Some(&names_product),
                &mut |event| outputs.emit(event),
            )
        })
        .map_err(|error| Ending::sandbox(&error))
    }

    /// Passes a verification command through the policy for the rehearsal's target, once per
    /// run. `Err` is the refusal message.
    fn approve_check(&mut self, command: &str, what: &str) -> Result<(), String> {
        if self
            .approved_checks
            .iter()
            .any(|approved| approved == command)
        {
            return Ok(());
        }
        replay::gate(
            command,
            what,
            &self.settings.policy,
            self.rehearsal_target(),
            self.settings.approver.as_ref(),
        )?;
        self.approved_checks.push(command.to_string());
        Ok(())
    }

    /// Reads the facts the agent plans with from inside the sandbox: the rehearsal may run on
    /// a different root filesystem than the host the probe describes.
    fn facts(&mut self, sandbox: &mut dyn Sandbox) -> Result<Facts, Ending> {
        let request =
            ExecRequest::new(probe::Facts::script()).with_timeout(Duration::from_secs(20));
        let observation = tokio::task::block_in_place(|| sandbox.exec(&request, &mut |_, _| {}))
            .map_err(|error| Ending::sandbox(&error))?;
        let machine = if observation.executed {
            probe::Facts::from_script(&observation.stdout.text())
        } else {
            // A dry run executes nothing, not even this script: read the base from outside.
            probe::Facts::of_root(&self.settings.rehearsal.base)
        };
        let mut facts = Facts::of_machine(&machine);
        facts.unreachable = self.unreachable.clone();
        facts.dry_run = self.settings.rehearsal.backend == sandbox::Backend::DryRun;
        Ok(facts)
    }

    /// The executables the run added so far, for the renamed-binary repair. Only computed when
    /// a verification failed: listing the delta after an install of tens of thousands of files
    /// costs seconds. A failed listing only weakens that repair; it is no reason to stop.
    fn new_executables(&self, sandbox: &mut dyn Sandbox) -> Vec<String> {
        if !sandbox.tracks_changes() {
            return Vec::new();
        }
        tokio::task::block_in_place(|| sandbox.delta())
            .map(|delta| new_executables(&delta))
            .unwrap_or_default()
    }

    async fn after_rehearsal(
        &mut self,
        sandbox: &mut dyn Sandbox,
        agent_kind: &str,
        verification: Vec<String>,
    ) -> Ending {
        if sandbox.tracks_changes() {
            match tokio::task::block_in_place(|| sandbox.delta()) {
                Ok(delta) => {
                    let (added, modified, deleted) = delta.counts();
                    let bytes = delta.visible().map(|change| change.entry.size).sum();
                    let summary = delta
                        .visible()
                        .map(|change| format!("{} {}", change.kind.marker(), change.path))
                        .collect();
                    let packages = tokio::task::block_in_place(|| {
                        record::summary::rehearsal_packages(
                            &delta,
                            &self.settings.rehearsal.base,
                            sandbox,
                        )
                    });
                    let highlights = record::summary::describe(&delta, &packages);
                    self.outputs.emit(Event::Delta {
                        added,
                        modified,
                        deleted,
                        bytes,
                        summary,
                        highlights,
                    });
                    self.rehearsal_delta = Some(delta);
                }
                Err(error) => self.outputs.emit(Event::Warning {
                    message: format!("could not list the sandbox's changes: {error}"),
                }),
            }
            if let Some(path) = &self.settings.export_layer
                && let Err(error) = tokio::task::block_in_place(|| sandbox.export_layer(path))
            {
                return Ending::new(
                    Outcome::Error,
                    format!("could not write the layer {}: {error}", path.display()),
                );
            }
        }
        let mut plan = self.plan(agent_kind, &verification);
        let (source, detail) = match &self.cached {
            Some(agent) => {
                plan.agent = agent.clone();
                (PlanSource::Cache, self.cached_detail.clone())
            }
            None => (
                PlanSource::Agent,
                format!("proposed by the {agent_kind} agent"),
            ),
        };
        self.outputs.emit(Event::PlanSource { source, detail });
        let written = self
            .settings
            .plan_out
            .as_ref()
            .map(|path| std::fs::write(path, plan.to_json()).map_err(|error| (path, error)));
        self.plan = Some(plan);
        if let Some(Err((path, error))) = written {
            return Ending::new(
                Outcome::Error,
                format!("could not write the plan {}: {error}", path.display()),
            );
        }
        let route = self.route.clone().unwrap_or_default();
        match self.settings.rehearsal.backend {
            sandbox::Backend::DryRun => {
                return Ending::new(
                    Outcome::Planned,
                    format!(
                        "dry run: {} step(s) via {route} would run; nothing was executed",
                        self.verified.len()
                    ),
                );
            }
            sandbox::Backend::Host => {
                return Ending::new(
                    Outcome::Installed,
                    format!("installed on this machine via {route} and verified"),
                );
            }
            sandbox::Backend::Overlay => {}
        }
        let apply = match self.settings.apply {
            ApplyMode::Apply => true,
            ApplyMode::NoApply => false,
            ApplyMode::Ask => {
                let hosts = self
                    .plan
                    .as_ref()
                    .map(|plan| plan.network.clone())
                    .unwrap_or_default();
                let network = if hosts.is_empty() {
                    String::new()
                } else {
                    format!(" The rehearsal contacted {}.", hosts.join(", "))
                };
                if self.settings.approver.interaction().terminal
                    && !self.settings.approver.confirm(&format!(
                        "The rehearsal passed ({} step(s) via {route}).{network} Apply them to this machine?",
                        self.verified.len()
                    ))
                {
                    // A "no" is a refusal by the user (exit 6), not a finished run.
                    return Ending::new(
                        Outcome::Refused,
                        format!(
                            "not applied: you declined; the rehearsal via {route} passed, nothing was changed on this machine (pass --apply to install it)"
                        ),
                    );
                }
                self.settings.approver.interaction().terminal
            }
        };
        if !apply {
            // Only a run that left the choice open gets told how to apply; `--no-apply` (and
            // `provision`, which builds an image from the sandbox) chose not to.
            let hint = if self.settings.apply == ApplyMode::Ask {
                " (pass --apply to install it)"
            } else {
                ""
            };
            return Ending::new(
                Outcome::Verified,
                format!(
                    "rehearsed and verified in the sandbox via {route}; nothing was changed on this machine{hint}"
                ),
            );
        }
        self.apply(verification).await
    }

    /// The verified steps as a plan for the target.
    fn plan(&self, agent_kind: &str, verification: &[String]) -> Plan {
        Plan {
            schema_version: plan::SCHEMA_VERSION,
            generator: Plan::generator(),
            doc: PlanDoc {
                source: self.doc.source.clone(),
                sha256: self.doc.sha256.clone(),
                name: self.doc.name.clone(),
            },
            probe: self.settings.target.clone(),
            route: self.route.clone().map(|name| PlanRoute {
                name,
                reason: self.route_reason.clone(),
            }),
            routes_not_chosen: Vec::new(),
            agent: PlanAgent {
                kind: agent_kind.to_string(),
                calls: 0,
                tokens: 0,
            },
            steps: self
                .verified
                .iter()
                .map(|step| PlanStep {
                    command: step.command.clone(),
                    purpose: step.purpose.clone(),
                    source: step
                        .source
                        .as_deref()
                        .and_then(|source| source_ref(self.doc, source, &step.command)),
                    risks: step.risks.clone(),
                    decision: step.decision,
                    uncertain: None,
                })
                .collect(),
            network: self.needed_hosts(verification),
            verification: verification.to_vec(),
            verified: self.settings.rehearsal.backend != sandbox::Backend::DryRun,
        }
    }

    /// The hosts the verified steps and checks reached through the fence (`host`, or
    /// `host:port` off the default ports): what the install needed from the network.
    fn needed_hosts(&self, verification: &[String]) -> Vec<String> {
        let mut hosts: Vec<String> = Vec::new();
        for (command, request) in &self.contacted {
            let kept = self.verified.iter().any(|step| &step.command == command)
                || verification.contains(command);
            let host = request.address();
            if kept && request.allowed && !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        hosts
    }

    /// Replays exactly the verified steps on the target under the host policy, then verifies
    /// there again.
    async fn apply(&mut self, verification: Vec<String>) -> Ending {
        let steps = self
            .plan
            .as_ref()
            .map(|plan| plan.steps.clone())
            .unwrap_or_default();
        // Check every step against the host policy before the first one runs, so a refusal
        // never leaves the target half-installed.
        let approved = match replay::approve(
            &steps,
            &verification,
            &self.settings.policy,
            Target::Host,
            self.settings.approver.as_ref(),
        ) {
            Ok(approved) => approved,
            Err(message) => {
                return Ending::new(Outcome::Refused, format!("not applied: {message}"));
            }
        };
        let mut config = SandboxConfig::new(sandbox::Backend::Host);
        config.limits = self.settings.rehearsal.limits.clone();
        config.env_passthrough = self.settings.rehearsal.env_passthrough.clone();
        // The record (and its lock) before the first step: a run killed mid-way leaves a
        // record that says `applying`.
        let recorder = match self.plan.as_ref().map(|plan| {
            tokio::task::block_in_place(|| {
                Recorder::begin(
                    &record::Store::default_location(),
                    plan,
                    "run --apply",
                    self.rehearsal_delta.as_ref(),
                    std::path::Path::new("/"),
                )
            })
        }) {
            Some(Ok(recorder)) => Some(recorder),
            Some(Err(error)) => {
                return Ending::new(
                    Outcome::Error,
                    format!(
                        "not applied: the install record could not be written ({error}); set {} to a writable directory",
                        record::STATE_DIR_VARIABLE
                    ),
                );
            }
            None => None,
        };
        let opened = tokio::task::block_in_place(|| sandbox::open(config));
        let mut target = match opened {
            Ok(target) => target,
            Err(error) => return Ending::sandbox(&error),
        };
        let options = ReplayOptions {
            first_step: self.step + 1,
            reason: "verified in the rehearsal".to_string(),
            step_timeout: Some(self.step_timeout(None)),
            interrupted: Some(Arc::clone(&self.settings.interrupted)),
            ..ReplayOptions::new("host")
        };
        let outputs = &mut *self.outputs;
        let mut version = None;
        let replayed = tokio::task::block_in_place(|| {
            replay::replay(&approved, target.as_mut(), &options, &mut |event| {
                if let Event::Verification {
                    passed: true,
                    detail,
                    ..
                } = &event
                    && version.is_none()
                {
                    version = record::capture::version_from(detail);
                }
                outputs.emit(event)
            })
        });
        let _ = tokio::task::block_in_place(|| target.discard());
        let verified = matches!(
            replayed,
            Ok(replay::Replayed {
                ending: ReplayEnding::Verified,
                ..
            })
        );
        let recorded = recorder
            .map(|recorder| tokio::task::block_in_place(|| recorder.finish(verified, version)));
        let recorded_as = match recorded {
            Some(Ok(record)) => format!(
                "; recorded as {} (`agent-install show {}`, `agent-install uninstall {}`)",
                record.id, record.name, record.name
            ),
            Some(Err(error)) => {
                self.outputs.emit(Event::Warning {
                    message: format!("the install record could not be completed: {error}"),
                });
                String::new()
            }
            None => String::new(),
        };
        let replayed = match replayed {
            Ok(replayed) => replayed,
            Err(error) => return Ending::sandbox(&error),
        };
        self.step += replayed.steps.len();
        match replayed.ending {
            ReplayEnding::Verified => Ending::new(
                Outcome::Installed,
                format!("installed and verified on this machine{recorded_as}"),
            ),
            ReplayEnding::StepFailed { index, outcome } => Ending::new(
                Outcome::Error,
                format!(
                    "`{}` passed in the rehearsal but {outcome} on this machine",
                    approved.steps()[index].command
                ),
            ),
            ReplayEnding::VerificationFailed { failures } => Ending::new(
                Outcome::VerificationFailed,
                format!(
                    "{} verification command(s) failed on this machine after the steps were applied",
                    failures.len()
                ),
            ),
        }
    }
}

/// Resolves an agent's `file:line` citation of `command` against the doc: the section, and
/// the doc's own text when the command differs from it.
pub fn source_ref(doc: &Doc, source: &str, command: &str) -> Option<SourceRef> {
    let (file, line) = source.rsplit_once(':')?;
    let line: usize = line.parse().ok()?;
    let cited = doc
        .commands
        .iter()
        .find(|cited| cited.location.file == file && cited.location.line == line);
    Some(SourceRef {
        file: file.to_string(),
        line,
        section: cited.map(|cited| cited.section.clone()).unwrap_or_default(),
        as_written: cited
            .map(|cited| cited.text.trim())
            .filter(|text| *text != command.trim())
            .map(str::to_string),
    })
}

/// A snapshot to roll back to, where the sandbox tracks changes (the host does not).
fn snapshot_if_tracked(sandbox: &mut dyn Sandbox) -> Result<Option<Snapshot>, Ending> {
    if !sandbox.tracks_changes() {
        return Ok(None);
    }
    tokio::task::block_in_place(|| sandbox.snapshot())
        .map(Some)
        .map_err(|error| Ending::sandbox(&error))
}

/// Resolves once `flag` is set (polled: the signal handler only stores a bool).
async fn wait_until_set(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asks a yes/no question on the terminal; anything but a clear yes is no.
/// Keeps the fence's record of a command from its `Network` event.
fn keep_network(contacted: &mut Vec<(String, sandbox::egress::NetworkRequest)>, event: &Event) {
    if let Event::Network {
        command, requests, ..
    } = event
    {
        contacted.extend(
            requests
                .iter()
                .map(|request| (command.clone(), request.clone())),
        );
    }
}

/// The verification commands a run starts from (a dry run's plan, the LLM's hint, a host
/// rehearsal): the doc's checks written to prove the install (front matter, `DONE WHEN`), else
/// its version-style checks of programs on PATH (not `./target/release/x`, not usage
/// examples), then `--verify`. A rehearsal in the sandbox narrows these further to the checks
/// of what the route provided ([`Loop::verify_route`]).
pub fn verification_commands(doc: &Doc, extra: &[String]) -> Vec<String> {
    let written = doc
        .verification
        .iter()
        .map(|check| check.origin)
        .filter(|origin| {
            matches!(
                origin,
                VerificationOrigin::FrontMatter | VerificationOrigin::DoneWhen
            )
        })
        .min();
    let mut commands: Vec<String> = match written {
        Some(origin) => doc
            .verification
            .iter()
            .filter(|check| check.origin == origin)
            .map(|check| check.command.clone())
            .collect(),
        None => doc
            .verification
            .iter()
            .filter(|check| crate::doc::is_version_check(&check.command))
            .filter(|check| {
                crate::doc::check_program(&check.command)
                    .is_some_and(|program| !program.contains('/'))
            })
            .take(3)
            .map(|check| check.command.clone())
            .collect(),
    };
    commands.extend(extra.iter().cloned());
    // Never a check made from the doc's name or title: doc text is not a command. With no
    // check here, the rehearsal derives one from what the install provided.
    let mut seen = std::collections::HashSet::new();
    commands.retain(|command| seen.insert(command.clone()));
    commands
}

/// The origins (`https://host/`) the doc's routes download from, at most a few dozen.
fn download_origins(doc: &Doc, may_run: impl Fn(&str) -> bool) -> Vec<String> {
    static URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"https?://[^\s'"<>)`]+"#)
            .unwrap_or_else(|error| unreachable!("static pattern: {error}"))
    });
    let mut origins: Vec<String> = Vec::new();
    for route in &doc.routes {
        for step in route
            .steps
            .iter()
            .filter(|step| may_run(&step.command.text))
        {
            for found in URL.find_iter(&step.command.text) {
                if let Some(origin) = crate::probe::origin_of(found.as_str())
                    && !origins.contains(&origin)
                {
                    origins.push(origin);
                }
            }
        }
    }
    origins.truncate(32);
    origins
}

fn write_file_command(path: &str, content: &str) -> String {
    let mut marker = "AGENT_INSTALL_EOF".to_string();
    while content.contains(&marker) {
        marker.push('_');
    }
    let quoted_path = shell::quote_always(path);
    format!(
        "mkdir -p \"$(dirname {quoted_path})\" && cat > {quoted_path} <<'{marker}'\n{content}\n{marker}"
    )
}

/// Executables the run added: files and symlinks directly in a `bin`, `sbin` or `games`
/// directory.
fn new_executables(delta: &sandbox::Delta) -> Vec<String> {
    delta
        .changes
        .iter()
        .filter(|change| change.kind == sandbox::ChangeKind::Added)
        .filter(|change| match change.entry.file_type {
            sandbox::FileType::File => change.entry.mode & 0o111 != 0,
            sandbox::FileType::Symlink => true,
            _ => false,
        })
        .filter(|change| {
            change.path.rsplit_once('/').is_some_and(|(directory, _)| {
                directory.ends_with("/bin")
                    || directory.ends_with("/sbin")
                    || directory.ends_with("/games")
            })
        })
        .map(|change| change.path.clone())
        .collect()
}

fn describe_facts(facts: &Facts) -> String {
    let family = facts
        .family
        .map(|family| format!("{family:?}").to_lowercase())
        .unwrap_or_else(|| "unknown distro".to_string());
    let user = if facts.is_root {
        "root"
    } else if facts.can_sudo {
        "user with sudo"
    } else {
        "user without sudo"
    };
    format!("{family}, {user}, {} tools found", facts.commands.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::packages::Family;

    #[test]
    fn facts_of_a_base_classify_its_os_release_with_the_probe_table() {
        let root = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(root.path().join("usr/lib")).expect("mkdir");
        std::fs::write(
            root.path().join("usr/lib/os-release"),
            "ID=foo\nID_LIKE=\"ubuntu debian\"\n",
        )
        .expect("write");
        assert_eq!(
            Facts::of_machine(&probe::Facts::of_root(root.path())).family,
            Some(Family::Debian)
        );
        std::fs::create_dir_all(root.path().join("etc")).expect("mkdir");
        std::fs::write(root.path().join("etc/os-release"), "ID=\"amzn\"\n").expect("write");
        assert_eq!(
            Facts::of_machine(&probe::Facts::of_root(root.path())).family,
            Some(Family::Fedora)
        );
        let empty = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            Facts::of_machine(&probe::Facts::of_root(empty.path())).family,
            None
        );
    }

    #[test]
    fn facts_are_parsed_from_the_probe_script_output() {
        let facts = Facts::of_machine(&probe::Facts::from_script(
            "id=debian\nid_like=\nuid=0\nhas=apt-get\nhas=python3\n",
        ));
        assert_eq!(facts.family, Some(Family::Debian));
        assert!(facts.is_root && !facts.can_sudo);
        assert!(facts.has("python3") && !facts.has("python"));
        let facts = Facts::of_machine(&probe::Facts::from_script(
            "id=linuxmint\nid_like=ubuntu debian\nuid=1000\nsudo=yes\n",
        ));
        assert_eq!(facts.family, Some(Family::Debian));
        assert!(!facts.is_root && facts.can_sudo);
    }

    #[test]
    fn written_files_cannot_end_their_heredoc_early() {
        let command = write_file_command("/etc/x.conf", "a\nAGENT_INSTALL_EOF\nb");
        assert!(command.contains("<<'AGENT_INSTALL_EOF_'"), "{command}");
    }
}
