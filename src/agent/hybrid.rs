//! The hybrid agent: the offline agent drives; the LLM is asked only when the offline agent
//! cannot repair a failure or runs out of routes.
//!
//! When the offline agent's proposal abandons its route or gives up, that proposal is held
//! back and the LLM gets the failure, the route it happened on and the ranked routes. If the
//! LLM acts, it drives from there (no rollback: it repairs in place). If it gives up — at once
//! or after trying — the held-back proposal goes ahead: the route is rolled back and the
//! offline agent continues with its next route, or the run ends. So every LLM call is spent on
//! a failure the rules could not handle, and the rules never lose a route to the LLM.
//!
//! The LLM only assists here, so when it cannot be reached (refused key, server errors after
//! the retries, replies that stay malformed), the held-back proposal goes ahead as if it had
//! given up, its reason says why, and the rest of the run is the offline agent's alone. An
//! exhausted LLM budget still ends the run, as every budget does.

use super::llm::LlmAgent;
use super::offline::OfflineAgent;
use super::rank::rank;
use super::{Action, ActionResult, Agent, AgentError, Note, Proposal, ProposalFuture, Turn, Usage};

pub struct HybridAgent {
    offline: OfflineAgent,
    llm: LlmAgent,
    /// The offline agent's proposal held back while the LLM tries: `Some` while the LLM drives.
    deferred: Option<Proposal>,
    /// Why the LLM is no longer asked, once it could not be reached.
    unavailable: Option<String>,
}

impl HybridAgent {
    pub fn new(llm: LlmAgent) -> HybridAgent {
        HybridAgent {
            offline: OfflineAgent::new(),
            llm,
            deferred: None,
            unavailable: None,
        }
    }

    async fn propose(&mut self, turn: Turn<'_>) -> Result<Proposal, AgentError> {
        if self.deferred.is_some() {
            return match self.llm.ask(&turn, None).await {
                Ok(answer) => Ok(self.after_llm(answer)),
                Err(error) => self.without_llm(error),
            };
        }
        let proposal = self.offline.next(turn_copy(&turn)).await?;
        let stuck = matches!(proposal.action, Action::GiveUp { .. })
            || proposal
                .notes
                .iter()
                .any(|note| matches!(note, Note::RouteAbandoned { .. }));
        if !stuck || self.unavailable.is_some() {
            // Keep the LLM's idea of the current route in step with the offline agent's.
            for note in &proposal.notes {
                if let Note::RouteChosen { route, .. } = note {
                    self.llm.set_route(Some(route.clone()));
                }
            }
            return Ok(proposal);
        }
        let situation = handover(&turn, &proposal);
        let route = proposal.notes.iter().find_map(|note| match note {
            Note::RouteAbandoned { route, .. } => Some(route.clone()),
            _ => None,
        });
        // On a route abandoned mid-way the LLM repairs in place; with no route at all it
        // starts fresh.
        self.llm
            .set_route(route.or_else(|| self.llm.route().map(str::to_string)));
        self.deferred = Some(proposal);
        match self.llm.ask(&turn, Some(situation)).await {
            Ok(answer) => Ok(self.after_llm(answer)),
            Err(error) => self.without_llm(error),
        }
    }

    /// The LLM failed: the held-back proposal goes ahead, saying why, and the LLM is not asked
    /// again. A budget error ends the run instead.
    fn without_llm(&mut self, error: AgentError) -> Result<Proposal, AgentError> {
        if error.is_budget() {
            return Err(error);
        }
        let Some(mut deferred) = self.deferred.take() else {
            return Err(error);
        };
        let why = format!("the LLM could not be asked ({error}); going on without it");
        match &mut deferred.action {
            Action::GiveUp { reason } => *reason = format!("{reason}; {why}"),
            _ => {
                for note in &mut deferred.notes {
                    if let Note::RouteAbandoned { reason, .. } = note {
                        *reason = format!("{reason}; {why}");
                    }
                }
            }
        }
        self.unavailable = Some(why);
        Ok(deferred)
    }

    /// The LLM's answer, or the held-back offline proposal when the LLM gives up.
    fn after_llm(&mut self, answer: Proposal) -> Proposal {
        let Action::GiveUp { reason } = &answer.action else {
            return answer;
        };
        let Some(mut deferred) = self.deferred.take() else {
            return answer;
        };
        match &mut deferred.action {
            Action::GiveUp { reason: offline } => {
                *offline = format!("{offline}; the LLM could not help either: {reason}");
            }
            _ => {
                // The offline agent resumes with its next route: the LLM follows it again.
                let next = deferred.notes.iter().rev().find_map(|note| match note {
                    Note::RouteChosen { route, .. } => Some(route.clone()),
                    _ => None,
                });
                self.llm.set_route(next);
            }
        }
        deferred
    }
}

/// A second view of the same turn (`Turn` holds only references).
fn turn_copy<'a>(turn: &Turn<'a>) -> Turn<'a> {
    Turn {
        doc: turn.doc,
        facts: turn.facts,
        history: turn.history,
    }
}

/// What the LLM is told when it is asked to help.
fn handover(turn: &Turn, proposal: &Proposal) -> String {
    let mut text = String::from("The offline agent is stuck and asks for your help.\n\n");
    for note in &proposal.notes {
        if let Note::RouteAbandoned { route, reason } = note {
            text.push_str(&format!(
                "It was on route `{route}` and cannot repair this failure: {reason}\n"
            ));
        }
    }
    if let Some(record) = turn.history.last()
        && !matches!(
            record.result,
            ActionResult::Ran {
                exit_status: Some(0),
                timed_out: false,
                ..
            }
        )
    {
        let (observation, _, _) = super::llm::context::observation(&record.result);
        let what = match &record.action {
            Action::Run { command, .. } => format!("`{command}`"),
            Action::Verify { command, .. } => format!("the check `{command}`"),
            Action::Done { .. } => "the verification".to_string(),
            Action::WriteFile { path, .. } => format!("writing {path}"),
            Action::GiveUp { .. } => "giving up".to_string(),
        };
        text.push_str(&format!("\nThe last failure, {what}: {observation}\n"));
    }
    let (candidates, skipped) = rank(turn.doc, turn.facts);
    if !candidates.is_empty() {
        text.push_str("\nThe ranked routes again (best first):\n");
        for (index, candidate) in candidates.iter().enumerate() {
            text.push_str(&format!(
                "{}. `{}`: {}\n",
                index + 1,
                candidate.route.id,
                candidate.reason
            ));
        }
    }
    if !skipped.is_empty() {
        text.push_str("Routes that cannot run here: ");
        let names: Vec<String> = skipped
            .iter()
            .map(|route| format!("`{}` ({})", route.route, route.reason))
            .collect();
        text.push_str(&names.join(", "));
        text.push('\n');
    }
    match &proposal.action {
        Action::GiveUp { reason } => text.push_str(&format!(
            "\nThe offline agent has no route left ({reason}). Install the product another way \
if you can (the changes so far are still in place), or call give_up.\n"
        )),
        _ => text.push_str(
            "\nFix the failure in place (the changes so far are still there), or call give_up \
to let the offline agent roll this route back and try its next one.\n",
        ),
    }
    text
}

impl Agent for HybridAgent {
    fn kind(&self) -> &'static str {
        "hybrid"
    }

    fn next<'a>(&'a mut self, turn: Turn<'a>) -> ProposalFuture<'a> {
        Box::pin(self.propose(turn))
    }

    fn usage(&self) -> Usage {
        self.llm.usage()
    }

    fn cost_usd(&self) -> Option<f64> {
        self.llm.cost_usd()
    }
}
