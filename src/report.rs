//! `report.json`: the record of a run (DESIGN §6, §8), folded from the event stream.
//!
//! The report is built only from [`Event`]s, the same values the terminal and `--json` see, so
//! it can never claim something the user was not shown. Fields named in DESIGN §8 are part of
//! the contract scripts rely on; add fields, never rename them.

use serde::{Deserialize, Serialize};

use crate::event::{Event, Outcome};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub outcome: Outcome,
    /// Serialized as the number the process exited with.
    pub exit_code: crate::ExitStatus,
    pub message: String,
    pub doc: Option<String>,
    pub doc_sha256: Option<String>,
    pub route: Option<String>,
    pub steps: Vec<StepRecord>,
    pub repairs: Vec<RepairRecord>,
    pub verification: Vec<VerificationRecord>,
    pub delta: Option<DeltaRecord>,
    pub agent: AgentRecord,
    /// Where the steps came from: `agent`, `cache` (a plan kept from an earlier verified
    /// run) or `file` (`apply`); `None` when the run ended before it had steps to show.
    pub plan_source: Option<crate::event::PlanSource>,
    pub warnings: Vec<String>,
    /// Doc checks that did not prove this install (another route's, usage examples).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks_set_aside: Vec<SetAside>,
    /// Every host the commands reached through the egress fence, or tried to: host, port,
    /// bytes relayed both ways, allowed or blocked (empty without a fence).
    #[serde(default)]
    pub network: Vec<crate::sandbox::egress::NetworkRequest>,
    pub duration_ms: u64,
}

/// A doc check that was not run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAside {
    pub command: String,
    pub reason: String,
}

/// One proposed command: what the policy said, and how it ran if it ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub step: usize,
    pub command: String,
    pub purpose: String,
    pub target: String,
    pub decision: crate::policy::Decision,
    pub risks: Vec<String>,
    pub reasons: Vec<String>,
    /// `None` when the command did not run (denied) or was killed.
    pub exit_status: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub rolled_back: bool,
    /// For replayed steps: `ok` (already as wanted) or `changed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<crate::event::StepChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepairRecord {
    pub rule: String,
    pub reason: String,
    pub commands: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRecord {
    pub command: String,
    pub passed: bool,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeltaRecord {
    pub added: usize,
    pub modified: usize,
    pub deleted: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub kind: String,
    pub calls: u64,
    pub tokens: u64,
    /// US dollars, when the config file has a price for the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

/// Folds events into a [`Report`]. Feed it every event of a run, in order.
#[derive(Debug, Default)]
pub struct ReportBuilder {
    doc: Option<String>,
    doc_sha256: Option<String>,
    steps: Vec<StepRecord>,
    repairs: Vec<RepairRecord>,
    verification: Vec<VerificationRecord>,
    delta: Option<DeltaRecord>,
    agent: AgentRecord,
    plan_source: Option<crate::event::PlanSource>,
    warnings: Vec<String>,
    checks_set_aside: Vec<SetAside>,
    network: Vec<crate::sandbox::egress::NetworkRequest>,
    finished: Option<(Outcome, crate::ExitStatus, String, Option<String>, u64)>,
}

impl ReportBuilder {
    pub fn observe(&mut self, event: &Event) {
        match event {
            Event::Started { doc, agent, .. } => {
                self.doc = Some(doc.clone());
                self.agent.kind = agent.clone();
            }
            Event::DocLoaded {
                sha256, warnings, ..
            } => {
                self.doc_sha256 = Some(sha256.clone());
                self.warnings.extend(warnings.iter().cloned());
            }
            Event::Decision {
                step,
                command,
                decision,
                risks,
                reasons,
            } => self.steps.push(StepRecord {
                step: *step,
                command: command.clone(),
                purpose: String::new(),
                target: String::new(),
                decision: *decision,
                risks: risks.clone(),
                reasons: reasons.clone(),
                exit_status: None,
                duration_ms: 0,
                timed_out: false,
                rolled_back: false,
                change: None,
            }),
            Event::StepStarted {
                step,
                purpose,
                target,
                ..
            } => {
                if let Some(record) = self.step_mut(*step) {
                    record.purpose = purpose.clone();
                    record.target = target.clone();
                }
            }
            Event::StepFinished {
                step,
                exit_status,
                duration_ms,
                timed_out,
                change,
            } => {
                if let Some(record) = self.step_mut(*step) {
                    record.exit_status = *exit_status;
                    record.duration_ms = *duration_ms;
                    record.timed_out = *timed_out;
                    record.change = *change;
                }
            }
            Event::PlanSource { source, .. } => self.plan_source = Some(*source),
            Event::RolledBack { step } => {
                if let Some(record) = self.step_mut(*step) {
                    record.rolled_back = true;
                }
            }
            Event::Repair {
                rule,
                reason,
                commands,
            } => self.repairs.push(RepairRecord {
                rule: rule.clone(),
                reason: reason.clone(),
                commands: commands.clone(),
            }),
            Event::Verification {
                command,
                passed,
                target,
                detail,
            } => self.verification.push(VerificationRecord {
                command: command.clone(),
                passed: *passed,
                target: target.clone(),
                detail: detail.clone(),
            }),
            Event::Delta {
                added,
                modified,
                deleted,
                bytes,
                ..
            } => {
                self.delta = Some(DeltaRecord {
                    added: *added,
                    modified: *modified,
                    deleted: *deleted,
                    bytes: *bytes,
                })
            }
            Event::Warning { message } => self.warnings.push(message.clone()),
            Event::Network { requests, .. } => {
                self.network.extend(requests.iter().cloned());
                self.network = crate::sandbox::egress::summarize(&self.network);
            }
            Event::CheckSetAside { command, reason } => self.checks_set_aside.push(SetAside {
                command: command.clone(),
                reason: reason.clone(),
            }),
            Event::AgentUsage { cost_usd, .. } => self.agent.cost_usd = *cost_usd,
            Event::Finished {
                outcome,
                exit_code,
                message,
                route,
                agent_calls,
                agent_tokens,
                duration_ms,
            } => {
                self.agent.calls = *agent_calls;
                self.agent.tokens = *agent_tokens;
                self.finished = Some((
                    *outcome,
                    *exit_code,
                    message.clone(),
                    route.clone(),
                    *duration_ms,
                ));
            }
            Event::Probed { .. }
            | Event::RouteChosen { .. }
            | Event::RouteAbandoned { .. }
            | Event::Output { .. } => {}
        }
    }

    fn step_mut(&mut self, step: usize) -> Option<&mut StepRecord> {
        self.steps
            .iter_mut()
            .rev()
            .find(|record| record.step == step)
    }

    /// The report; `None` until the run's `Finished` event was observed.
    pub fn finish(self) -> Option<Report> {
        let (outcome, exit_code, message, route, duration_ms) = self.finished?;
        Some(Report {
            outcome,
            exit_code,
            message,
            doc: self.doc,
            doc_sha256: self.doc_sha256,
            route,
            steps: self.steps,
            repairs: self.repairs,
            verification: self.verification,
            delta: self.delta,
            agent: self.agent,
            plan_source: self.plan_source,
            warnings: self.warnings,
            checks_set_aside: self.checks_set_aside,
            network: self.network,
            duration_ms,
        })
    }
}
