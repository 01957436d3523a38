//! The scripted agent: replays actions from a JSON file, for tests and for reproducing a
//! transcript by hand.
//!
//! The file is a JSON array of actions in the agent's own format (`{"action": "run",
//! "command": "...", "purpose": "..."}`, `write_file`, `verify`, `done`, `give_up`), or an
//! object with such an array under `actions`. It does not look at results: when the script
//! runs out, it gives up.

use std::collections::VecDeque;
use std::path::Path;

use serde::Deserialize;

use super::{Action, Agent, Note, Proposal, ProposalFuture, Turn};

#[derive(Debug, Clone)]
pub struct ScriptedAgent {
    actions: VecDeque<Action>,
    started: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScriptFile {
    List(Vec<Action>),
    Object { actions: Vec<Action> },
}

impl ScriptedAgent {
    pub fn new(actions: Vec<Action>) -> ScriptedAgent {
        ScriptedAgent {
            actions: actions.into(),
            started: false,
        }
    }

    /// Parses a script's text; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ScriptedAgent, String> {
        let script: ScriptFile = serde_json::from_str(text).map_err(|error| {
            format!(
                "{error} (expected a JSON array of actions such as {{\"action\": \"run\", \"command\": \"...\", \"purpose\": \"...\"}})"
            )
        })?;
        let actions = match script {
            ScriptFile::List(actions) | ScriptFile::Object { actions } => actions,
        };
        Ok(ScriptedAgent::new(actions))
    }

    pub fn load(path: &Path) -> Result<ScriptedAgent, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("could not read {}: {error}", path.display()))?;
        ScriptedAgent::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }
}

impl Agent for ScriptedAgent {
    fn kind(&self) -> &'static str {
        "scripted"
    }

    fn next<'a>(&'a mut self, _turn: Turn<'a>) -> ProposalFuture<'a> {
        let action = self.actions.pop_front().unwrap_or_else(|| Action::GiveUp {
            reason: "the script ran out of actions".to_string(),
        });
        let mut proposal = Proposal::new(action);
        if !self.started {
            self.started = true;
            proposal.notes.push(Note::RouteChosen {
                route: "script".to_string(),
                reason: "actions replayed from a script".to_string(),
            });
        }
        Box::pin(async move { Ok(proposal) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_parse_and_bad_input_says_what_is_expected() {
        let list = r#"[{"action": "run", "command": "true", "purpose": "p"}, {"action": "done", "summary": "ok"}]"#;
        assert_eq!(ScriptedAgent::parse(list).unwrap().actions.len(), 2);
        let object = r#"{"actions": [{"action": "give_up", "reason": "r"}]}"#;
        assert_eq!(ScriptedAgent::parse(object).unwrap().actions.len(), 1);
        let error = ScriptedAgent::parse(r#"[{"action": "fly"}]"#).unwrap_err();
        assert!(
            error.contains("expected a JSON array of actions"),
            "{error}"
        );
    }
}
