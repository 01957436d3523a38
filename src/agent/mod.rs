//! Agents: what proposes the next action of an install (DESIGN §2).
//!
//! One trait, several backends; the session loop never knows which one it drives. An agent sees
//! the parsed doc, the facts of the machine the commands run on, and the history of what it
//! proposed and what happened; it answers with one [`Action`] and optional notes (route chosen,
//! repair applied, route abandoned) that the session turns into events.

pub mod hybrid;
pub mod llm;
pub mod offline;
pub mod packages;
pub mod rank;
pub mod repair;
pub mod scripted;

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::doc::Doc;

pub use repair::Facts;

/// What an agent may ask for (DESIGN §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Run a shell command in the sandbox.
    Run {
        command: String,
        purpose: String,
        /// Where the command comes from in the doc (`jq.md:12`), if it does.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// Write a file in the sandbox.
    WriteFile { path: String, content: String },
    /// Run a check now (it does not end the run).
    Verify {
        command: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expect: Option<String>,
    },
    /// The agent believes the product is installed: run the verification.
    Done { summary: String },
    /// The agent cannot install the product.
    GiveUp { reason: String },
}

/// What came of an action, as the agent sees it next turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ActionResult {
    /// The command ran (or was killed on timeout).
    Ran {
        exit_status: Option<i32>,
        timed_out: bool,
        /// Head and tail of stdout and stderr combined.
        output: String,
    },
    /// The policy (or the user) refused the command; it did not run.
    Denied { reasons: Vec<String> },
    /// The verification ran after `done` and did not pass: each failed check with its output.
    VerificationFailed { failures: Vec<FailedCheck> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCheck {
    pub command: String,
    pub exit_status: Option<i32>,
    pub output: String,
}

/// One exchange: an action and its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub action: Action,
    pub result: ActionResult,
}

/// What an agent gets each turn.
pub struct Turn<'a> {
    pub doc: &'a Doc,
    pub facts: &'a Facts,
    pub history: &'a [Record],
}

/// Something the agent wants the user and the record to know, besides its action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    RouteChosen {
        route: String,
        reason: String,
    },
    /// The session rolls the sandbox back to where the route started.
    RouteAbandoned {
        route: String,
        reason: String,
    },
    Repair {
        rule: String,
        reason: String,
        commands: Vec<String>,
    },
}

/// An agent's answer for one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub action: Action,
    pub notes: Vec<Note>,
}

impl Proposal {
    pub fn new(action: Action) -> Proposal {
        Proposal {
            action,
            notes: Vec::new(),
        }
    }
}

/// Calls and tokens an agent spent (zero for the offline agent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub calls: u64,
    pub tokens: u64,
}

/// Why an agent could not answer (backend failures; giving up is an [`Action`]).
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("the agent backend failed: {0}")]
    Backend(String),
    /// The LLM service refused the credentials (401/403).
    #[error("the {provider} API refused the credentials ({status}): check {variable}{detail}")]
    Auth {
        provider: &'static str,
        variable: &'static str,
        status: u16,
        detail: String,
    },
    /// An LLM budget ran out (exit 4, like the step budget).
    #[error(
        "the {what} budget ({limit}) ran out before the install was verified; raise it with {flag}"
    )]
    Budget {
        what: &'static str,
        limit: u64,
        flag: &'static str,
    },
    /// The model kept answering with something that is not a valid action.
    #[error("the model's replies were unusable: {0}")]
    Malformed(String),
}

impl AgentError {
    /// Whether the run should end as "no route" (exit 4) rather than a backend error (exit 8).
    pub fn is_budget(&self) -> bool {
        matches!(self, AgentError::Budget { .. })
    }
}

/// The future an agent returns; boxed so agents can live behind `dyn Agent`.
pub type ProposalFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Proposal, AgentError>> + Send + 'a>>;

/// Proposes the next action from the doc, the machine and the history.
pub trait Agent: Send {
    /// The backend's name (`offline`, `openai`, ...), as shown to the user and in reports.
    fn kind(&self) -> &'static str;

    fn next<'a>(&'a mut self, turn: Turn<'a>) -> ProposalFuture<'a>;

    fn usage(&self) -> Usage {
        Usage::default()
    }

    /// What the calls cost in US dollars, when a price for the model is configured.
    fn cost_usd(&self) -> Option<f64> {
        None
    }
}
