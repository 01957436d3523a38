//! The one event stream of a run (STYLE rule 3). The session emits [`Event`]s; the terminal UI,
//! `--json` (NDJSON on stdout), the `--transcript` file and the `--report` builder all consume
//! the same values, so what a user sees, what a script parses and what is recorded never
//! disagree. Renderers never reach into the session.

use serde::{Deserialize, Serialize};

use crate::ExitStatus;

/// Something that happened during a run. Serialized with a `type` tag, one JSON object per line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// The run began: which doc, which agent and sandbox drive it.
    Started {
        doc: String,
        agent: String,
        sandbox: String,
        /// Why this agent was picked (e.g. "no LLM configured").
        agent_reason: String,
    },
    /// The doc was loaded and parsed.
    DocLoaded {
        source: String,
        sha256: String,
        routes: usize,
        commands: usize,
        warnings: Vec<String>,
    },
    /// The machine was probed.
    Probed {
        fingerprint: String,
        summary: String,
    },
    /// The agent chose (or switched to) a route.
    RouteChosen { route: String, reason: String },
    /// The agent gave up on a route and why.
    RouteAbandoned { route: String, reason: String },
    /// A repair rule fired: the failure it recognised and what it will run.
    Repair {
        rule: String,
        reason: String,
        commands: Vec<String>,
    },
    /// The policy decided on a proposed command.
    Decision {
        step: usize,
        command: String,
        decision: crate::policy::Decision,
        risks: Vec<String>,
        reasons: Vec<String>,
    },
    /// A command started running.
    StepStarted {
        step: usize,
        /// The number of the last step, when it is known in advance (a plan's replay); an
        /// agent's run is open-ended.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<usize>,
        command: String,
        purpose: String,
        target: String,
    },
    /// One line of a command's output.
    Output {
        step: usize,
        stream: Stream,
        line: String,
    },
    /// A command finished.
    StepFinished {
        step: usize,
        exit_status: Option<i32>,
        duration_ms: u64,
        timed_out: bool,
        /// For a replayed step (`apply`, a cached plan, the apply after a rehearsal): whether it
        /// changed the target or found it already as wanted (see [`crate::replay`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        change: Option<StepChange>,
    },
    /// Where the steps of a run came from: the agent, the plan cache, or a plan file.
    PlanSource { source: PlanSource, detail: String },
    /// A failed step's changes were rolled back.
    RolledBack { step: usize },
    /// A doc check that does not prove this route's install (another route's, a usage
    /// example), shown and not run.
    CheckSetAside { command: String, reason: String },
    /// A verification command ran.
    Verification {
        command: String,
        passed: bool,
        target: String,
        detail: String,
    },
    /// The rehearsal's filesystem changes, summarised.
    Delta {
        added: usize,
        modified: usize,
        deleted: usize,
        bytes: u64,
        summary: Vec<String>,
        /// The summary a person reads: new executables, packages with versions, config files,
        /// the total, caches in one line (see `record::summary`). The terminal shows these
        /// instead of `summary` when there are any.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        highlights: Vec<String>,
    },
    /// The requests through the egress fence while one command ran (a step, or a check when
    /// `step` is `None`), one per host and port, bytes summed; a blocked one failed it.
    Network {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<usize>,
        command: String,
        requests: Vec<crate::sandbox::egress::NetworkRequest>,
    },
    /// Something the user should know that is not an error.
    Warning { message: String },
    /// What an LLM agent spent, emitted just before `Finished` when it made any call.
    AgentUsage {
        calls: u64,
        tokens: u64,
        /// US dollars, when the config file has a price for the model.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost_usd: Option<f64>,
    },
    /// The run ended.
    Finished {
        outcome: Outcome,
        /// Serialized as the number the process exits with.
        exit_code: ExitStatus,
        message: String,
        /// The route that installed the product, if one did.
        route: Option<String>,
        agent_calls: u64,
        agent_tokens: u64,
        duration_ms: u64,
    },
}

impl Event {
    /// The event for a doc that was loaded and parsed.
    pub fn doc_loaded(doc: &crate::doc::Doc) -> Event {
        Event::DocLoaded {
            source: doc.source.clone(),
            sha256: doc.sha256.clone(),
            routes: doc.routes.len(),
            commands: doc.commands.len(),
            warnings: doc.warnings.clone(),
        }
    }
}

/// Which output stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Stdout,
    Stderr,
}

/// What a replayed step did to its target, as Ansible reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepChange {
    /// The target was already as the step wanted it.
    Ok,
    /// The step changed the target (or there was no evidence that it did not).
    Changed,
}

impl StepChange {
    pub fn name(self) -> &'static str {
        match self {
            StepChange::Ok => "ok",
            StepChange::Changed => "changed",
        }
    }
}

/// Where a run's steps came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanSource {
    /// The agent proposed them in this run.
    Agent,
    /// A plan the cache kept from an earlier verified run of the same doc on the same machine.
    Cache,
    /// A plan file given to `apply`.
    File,
}

impl PlanSource {
    pub fn name(self) -> &'static str {
        match self {
            PlanSource::Agent => "agent",
            PlanSource::Cache => "cache",
            PlanSource::File => "file",
        }
    }
}

/// How a run ended (DESIGN §8 `outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Applied to the target and verified there.
    Installed,
    /// Rehearsed and verified in the sandbox, not applied.
    Verified,
    /// An install taken back (`uninstall`, `undo`) and checked gone.
    Uninstalled,
    /// Planned only; nothing ran.
    Planned,
    /// No route worked, or the agent gave up.
    NoRoute,
    VerificationFailed,
    Refused,
    Error,
    Interrupted,
}

impl Outcome {
    pub fn exit_status(self) -> ExitStatus {
        match self {
            Outcome::Installed | Outcome::Verified | Outcome::Planned | Outcome::Uninstalled => {
                ExitStatus::Success
            }
            Outcome::NoRoute => ExitStatus::NoRoute,
            Outcome::VerificationFailed => ExitStatus::VerificationFailed,
            Outcome::Refused => ExitStatus::Refused,
            Outcome::Error => ExitStatus::Failure,
            Outcome::Interrupted => ExitStatus::Interrupted,
        }
    }
}

/// How a run ends: the outcome, the exit status it maps to, and the message for the user.
/// The status is the outcome's own except where the cause says more (a sandbox that could not
/// start exits 7, a failing agent backend 8, both with the outcome `error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    pub outcome: Outcome,
    pub status: ExitStatus,
    pub message: String,
}

impl Ending {
    /// The ending with the outcome's own exit status.
    pub fn new(outcome: Outcome, message: impl Into<String>) -> Ending {
        Ending {
            outcome,
            status: outcome.exit_status(),
            message: message.into(),
        }
    }

    /// How a run ends when its sandbox failed: `interrupted` (130) or `error` with the
    /// sandbox's status, and its message with the hint.
    pub fn sandbox(error: &crate::sandbox::SandboxError) -> Ending {
        let status = error.exit_status();
        let outcome = match status {
            ExitStatus::Interrupted => Outcome::Interrupted,
            _ => Outcome::Error,
        };
        let hint = error
            .hint()
            .map(|hint| format!(" — {hint}"))
            .unwrap_or_default();
        Ending {
            outcome,
            status,
            message: format!("{error}{hint}"),
        }
    }

    /// The `Finished` event of a run that asked no agent (a replay, an uninstall, a doc that
    /// did not load), `started` being when it began.
    pub fn finished(self, route: Option<String>, started: std::time::Instant) -> Event {
        Event::Finished {
            outcome: self.outcome,
            exit_code: self.status,
            message: self.message,
            route,
            agent_calls: 0,
            agent_tokens: 0,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }
}
