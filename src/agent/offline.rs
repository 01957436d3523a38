//! The offline agent: a deterministic, rule-based planner that needs no network and no key.
//!
//! It ranks the doc's routes against the machine ([`super::rank`]), runs the best one step by
//! step, repairs failures with the rules in [`super::repair`], and falls back to the next route
//! when a failure has no repair. It never repeats a fix that already failed for the same
//! command, so it always ends: every turn either consumes a queued step, adds a fix it has not
//! tried, or moves to the next route.

use std::collections::{HashSet, VecDeque};

use crate::doc::{Doc, Shell};

use super::rank::{Candidate, Skipped, rank, satisfied_prerequisite};
use super::repair::{self, Facts, Failure, Fix};
use super::{Action, ActionResult, Agent, Note, Proposal, ProposalFuture, Record, Turn};

/// How many times the verification may fail and be repaired within one route.
const VERIFICATION_ROUNDS: usize = 3;

#[derive(Debug, Default)]
pub struct OfflineAgent {
    state: Option<State>,
}

#[derive(Debug)]
struct State {
    candidates: Vec<Candidate>,
    skipped: Vec<Skipped>,
    /// Index into `candidates` of the route being tried.
    current: usize,
    queue: VecDeque<Pending>,
    /// `(rule, command)` pairs already tried, so a fix that did not help is not tried again.
    tried: HashSet<(String, String)>,
    verification_rounds: usize,
    /// Commands of the current route the policy or the user refused, with the last reason.
    refused: Vec<(String, String)>,
    /// Why each abandoned route failed, for the final message.
    failures: Vec<String>,
    /// How many history records were already processed.
    seen: usize,
    /// A package index refresh succeeded in this run: "unknown package" is then the answer,
    /// not a stale index, and the refresh is not repeated.
    index_refreshed: bool,
}

#[derive(Debug, Clone)]
struct Pending {
    command: String,
    purpose: String,
    source: Option<String>,
}

impl OfflineAgent {
    pub fn new() -> OfflineAgent {
        OfflineAgent::default()
    }

    fn propose(&mut self, turn: &Turn) -> Proposal {
        let mut notes = Vec::new();
        let state = match &mut self.state {
            Some(state) => state,
            None => {
                let (candidates, skipped) = rank(turn.doc, turn.facts);
                let state = self.state.insert(State {
                    candidates,
                    skipped,
                    current: 0,
                    queue: VecDeque::new(),
                    tried: HashSet::new(),
                    verification_rounds: 0,
                    refused: Vec::new(),
                    failures: Vec::new(),
                    seen: 0,
                    index_refreshed: false,
                });
                if !state.start_route(turn, &mut notes) {
                    return state.give_up(turn.doc, notes);
                }
                state.seen = turn.history.len();
                return state.next_action(notes);
            }
        };

        // React to what happened since the last turn (one record per action we proposed).
        let new_records = turn.history.get(state.seen..).unwrap_or_default();
        state.seen = turn.history.len();
        if let Some(record) = new_records.last() {
            let continue_route = state.react(record, turn.facts, &mut notes);
            if !continue_route && !state.next_route(turn, &mut notes) {
                return state.give_up(turn.doc, notes);
            }
        }
        state.next_action(notes)
    }
}

impl Agent for OfflineAgent {
    fn kind(&self) -> &'static str {
        "offline"
    }

    fn next<'a>(&'a mut self, turn: Turn<'a>) -> ProposalFuture<'a> {
        let proposal = self.propose(&turn);
        Box::pin(async move { Ok(proposal) })
    }
}

impl State {
    fn route_id(&self) -> String {
        self.candidates
            .get(self.current)
            .map(|candidate| candidate.route.id.clone())
            .unwrap_or_default()
    }

    /// Queues the current candidate's steps; false when there is no candidate left.
    fn start_route(&mut self, turn: &Turn, notes: &mut Vec<Note>) -> bool {
        let Some(candidate) = self.candidates.get(self.current) else {
            return false;
        };
        notes.push(Note::RouteChosen {
            route: candidate.route.id.clone(),
            reason: candidate.reason.clone(),
        });
        self.queue.clear();
        self.verification_rounds = 0;
        self.refused.clear();
        // The session rolled the sandbox back to where the previous route started, so a fix
        // that was tried there (e.g. the index refresh before installing curl) is untried here.
        self.tried.clear();
        // An abandoned route's changes are rolled back, its index refresh with them.
        self.index_refreshed = false;
        for step in &candidate.route.steps {
            let command = &step.command;
            if command.shell != Shell::Sh {
                continue;
            }
            if satisfied_prerequisite(&candidate.route, step, turn.facts) {
                continue;
            }
            let source = Some(format!(
                "{}:{}",
                command.location.file, command.location.line
            ));
            let (mut prepared, mut applied) = repair::prepare(&command.text, turn.facts);
            let product = &turn.doc.product;
            if let Some(global) = repair::npm_global(&prepared, &|name| product.is_named(name)) {
                prepared = global;
                applied.push("npm-global");
            }
            if let Some(placeholder) = repair::placeholder(&prepared) {
                notes.push(Note::Repair {
                    rule: "placeholder".to_string(),
                    reason: format!(
                        "skipped a step that still holds the placeholder {placeholder}"
                    ),
                    commands: Vec::new(),
                });
                continue;
            }
            if !applied.is_empty() {
                notes.push(Note::Repair {
                    rule: applied.join(", "),
                    reason: format!("rewrote `{}` for this machine", command.text),
                    commands: vec![prepared.clone()],
                });
            }
            let purpose = if step.prerequisite {
                format!("prerequisite of the {} route", candidate.route.id)
            } else {
                format!("{} route: {}", candidate.route.id, candidate.route.title)
            };
            self.queue.push_back(Pending {
                command: prepared,
                purpose,
                source,
            });
        }
        true
    }

    /// Abandons the current route and starts the next; false when none is left.
    fn next_route(&mut self, turn: &Turn, notes: &mut Vec<Note>) -> bool {
        self.current += 1;
        self.start_route(turn, notes)
    }

    fn abandon(&mut self, reason: String, notes: &mut Vec<Note>) {
        let route = self.route_id();
        self.failures.push(format!("{route}: {reason}"));
        notes.push(Note::RouteAbandoned { route, reason });
    }

    /// Digests the result of the last action. Returns false when the route must be abandoned.
    fn react(&mut self, record: &Record, facts: &Facts, notes: &mut Vec<Note>) -> bool {
        match (&record.action, &record.result) {
            (
                Action::Run {
                    command, purpose, ..
                },
                ActionResult::Ran {
                    exit_status,
                    timed_out,
                    output,
                },
            ) => {
                if *exit_status == Some(0) && !timed_out {
                    if facts
                        .family
                        .is_some_and(|family| command.contains(family.refresh_command()))
                    {
                        self.index_refreshed = true;
                    }
                    return true;
                }
                let failure = Failure {
                    command,
                    exit_status: *exit_status,
                    output,
                    timed_out: *timed_out,
                    verification: false,
                };
                let repaired = repair::repair(&failure, facts)
                    .filter(|(rule, _)| !(self.index_refreshed && rule.id == "apt-index-stale"));
                match repaired {
                    Some((rule, fix)) => {
                        self.apply_fix(rule.id, rule.description, command, fix, true, notes)
                    }
                    None => {
                        let how = if *timed_out {
                            "timed out".to_string()
                        } else {
                            format!(
                                "failed with status {}",
                                exit_status.map_or("?".to_string(), |code| code.to_string())
                            )
                        };
                        let last_line = output
                            .lines()
                            .rev()
                            .find(|line| !line.trim().is_empty())
                            .unwrap_or_default()
                            .trim();
                        // A repair's own command is ours, not the doc's: name the rule.
                        let what = match purpose.strip_prefix("repair (") {
                            Some(rule) => format!("the {} repair", rule.trim_end_matches(')')),
                            None => format!("`{}`", first_line(command)),
                        };
                        let reason = format!("{what} {how} ({last_line}){}", self.refusal_note());
                        self.abandon(reason, notes);
                        false
                    }
                }
            }
            (action, ActionResult::Denied { reasons }) => {
                // A refused step is skipped (a doc may carry commands the install does not
                // need); if the route needed it, verification will say so.
                if let Action::Run { command, .. } = action {
                    let reason = reasons.last().cloned().unwrap_or_default();
                    self.refused.push((command.clone(), reason));
                }
                true
            }
            (Action::Done { .. }, ActionResult::VerificationFailed { failures }) => {
                self.verification_rounds += 1;
                if self.verification_rounds > VERIFICATION_ROUNDS {
                    self.abandon("verification kept failing".to_string(), notes);
                    return false;
                }
                let mut repaired = false;
                for check in failures {
                    let failure = Failure {
                        command: &check.command,
                        exit_status: check.exit_status,
                        output: &check.output,
                        timed_out: false,
                        verification: true,
                    };
                    if let Some((rule, fix)) = repair::repair_verification(&failure, facts) {
                        // `choose --version` and `… | choose 1` fail alike: one link will do.
                        if let Fix::RunThenRetry(commands) | Fix::Replace(commands) = &fix
                            && !commands.is_empty()
                            && commands.iter().all(|command| {
                                self.queue.iter().any(|pending| &pending.command == command)
                            })
                        {
                            continue;
                        }
                        // No retry: the verification runs again, in a login shell, once the
                        // fix is done; a retry step would only land in the plan.
                        repaired |= self.apply_fix(
                            rule.id,
                            rule.description,
                            &check.command,
                            fix,
                            false,
                            notes,
                        );
                    }
                }
                if !repaired {
                    let summary = failures
                        .first()
                        .map(|check| {
                            format!(
                                "`{}` failed: {}",
                                check.command,
                                check.output.lines().last().unwrap_or_default().trim()
                            )
                        })
                        .unwrap_or_default();
                    let reason = if self.refused.is_empty() {
                        format!("installed, but verification failed ({summary})")
                    } else {
                        format!("verification failed ({summary}){}", self.refusal_note())
                    };
                    self.abandon(reason, notes);
                }
                repaired
            }
            // Our own verify/write actions carry their result to the next turn only as history.
            _ => true,
        }
    }

    /// `, after `X` was refused (why)` when a step of this route was refused: a later failure
    /// (`. ~/.cargo/env` after a refused rustup script, a tool that is not found) is then most
    /// likely its consequence, and the message must not blame the wrong step.
    fn refusal_note(&self) -> String {
        match self.refused.first() {
            Some((command, reason)) => {
                format!(", after `{}` was refused: {reason}", first_line(command))
            }
            None => String::new(),
        }
    }

    /// Queues a fix unless the same rule already failed to fix the same command.
    fn apply_fix(
        &mut self,
        rule: &str,
        description: &str,
        command: &str,
        fix: Fix,
        may_retry: bool,
        notes: &mut Vec<Note>,
    ) -> bool {
        if let Fix::AbandonRoute(reason) = fix {
            self.abandon(reason, notes);
            return false;
        }
        if !self.tried.insert((rule.to_string(), command.to_string())) {
            self.abandon(
                format!(
                    "`{}` still fails after the {rule} repair",
                    first_line(command)
                ),
                notes,
            );
            return false;
        }
        let (commands, retry) = match fix {
            Fix::RunThenRetry(commands) => (commands, may_retry),
            Fix::Replace(commands) => (commands, false),
            Fix::AbandonRoute(_) => unreachable!("handled above"),
        };
        notes.push(Note::Repair {
            rule: rule.to_string(),
            reason: description.to_string(),
            commands: commands.clone(),
        });
        let purpose = format!("repair ({rule})");
        let mut front: Vec<Pending> = commands
            .into_iter()
            .map(|command| Pending {
                command,
                purpose: purpose.clone(),
                source: None,
            })
            .collect();
        if retry {
            front.push(Pending {
                command: command.to_string(),
                purpose: "retry after repair".to_string(),
                source: None,
            });
        }
        for pending in front.into_iter().rev() {
            self.queue.push_front(pending);
        }
        true
    }

    fn next_action(&mut self, notes: Vec<Note>) -> Proposal {
        let action = match self.queue.pop_front() {
            Some(pending) => Action::Run {
                command: pending.command,
                purpose: pending.purpose,
                source: pending.source,
            },
            None => Action::Done {
                summary: format!("ran every step of the {} route", self.route_id()),
            },
        };
        Proposal { action, notes }
    }

    fn give_up(&self, doc: &Doc, notes: Vec<Note>) -> Proposal {
        let mut reasons: Vec<String> = self.failures.clone();
        reasons.extend(
            self.skipped
                .iter()
                .map(|skipped| format!("{}: {}", skipped.route, skipped.reason)),
        );
        let reason = if doc.commands.is_empty() {
            "the doc contains no commands to install anything with".to_string()
        } else if doc.routes.is_empty() {
            "the doc's commands form no install route".to_string()
        } else if reasons.is_empty() {
            "no route fits this machine".to_string()
        } else {
            format!("no route worked — {}", reasons.join("; "))
        };
        Proposal {
            action: Action::GiveUp { reason },
            notes,
        }
    }
}

fn first_line(command: &str) -> &str {
    command.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::packages::Family;

    fn doc(text: &str) -> Doc {
        crate::doc::parse_text(text)
    }

    fn debian_root() -> Facts {
        Facts {
            family: Some(Family::Debian),
            is_root: true,
            can_sudo: false,
            commands: ["bash", "apt-get", "apt", "dpkg", "tar", "curl"]
                .map(String::from)
                .to_vec(),
            installed_packages: Vec::new(),
            new_executables: Vec::new(),
            ..Facts::default()
        }
    }

    async fn next(
        agent: &mut OfflineAgent,
        doc: &Doc,
        facts: &Facts,
        history: &[Record],
    ) -> Proposal {
        agent
            .next(Turn {
                doc,
                facts,
                history,
            })
            .await
            .unwrap()
    }

    fn ran(action: &Action, status: i32, output: &str) -> Record {
        Record {
            action: action.clone(),
            result: ActionResult::Ran {
                exit_status: Some(status),
                timed_out: false,
                output: output.to_string(),
            },
        }
    }

    fn command_of(proposal: &Proposal) -> &str {
        match &proposal.action {
            Action::Run { command, .. } => command,
            other => panic!("expected a command, got {other:?}"),
        }
    }

    const THREE_ROUTES: &str = "# Tool\n\n## macOS\n\n```sh\nbrew install tool\n```\n\n## Install script\n\n```sh\ncurl -fsSL https://get.tool.example/install.sh | sh\n```\n\n## Release tarball\n\n```sh\ncurl -fsSLO http://127.0.0.1:9/tool.tar.gz\ntar -xzf tool.tar.gz -C /usr/local/bin\n```\n\n## Verify\n\n```sh\ntool --version\n```\n";

    #[tokio::test]
    async fn skips_foreign_routes_and_falls_back_when_a_host_is_unreachable() {
        let doc = doc(THREE_ROUTES);
        let facts = debian_root();
        let mut agent = OfflineAgent::new();
        let mut history = Vec::new();
        let first = next(&mut agent, &doc, &facts, &history).await;
        assert!(command_of(&first).contains("install.sh | sh"), "{first:?}");
        assert!(
            matches!(&first.notes[0], Note::RouteChosen { .. }),
            "{:?}",
            first.notes
        );
        history.push(ran(
            &first.action,
            6,
            "curl: (6) Could not resolve host: get.tool.example",
        ));
        let second = next(&mut agent, &doc, &facts, &history).await;
        assert!(
            second.notes.iter().any(|note| matches!(note, Note::RouteAbandoned { reason, .. } if reason.contains("unreachable"))),
            "{:?}",
            second.notes
        );
        assert!(
            command_of(&second).starts_with("curl -fsSLO http://127.0.0.1:9/tool.tar.gz"),
            "{second:?}"
        );
        history.push(ran(&second.action, 0, ""));
        let third = next(&mut agent, &doc, &facts, &history).await;
        assert!(command_of(&third).starts_with("tar -xzf"), "{third:?}");
        history.push(ran(&third.action, 0, ""));
        let fourth = next(&mut agent, &doc, &facts, &history).await;
        assert!(matches!(fourth.action, Action::Done { .. }), "{fourth:?}");
    }

    #[tokio::test]
    async fn prepares_apt_commands_and_refreshes_a_stale_index() {
        let doc = doc("# jq\n\n## Debian\n\n```console\n$ sudo apt install jq\n```\n");
        let facts = debian_root();
        let mut agent = OfflineAgent::new();
        let first = next(&mut agent, &doc, &facts, &[]).await;
        assert_eq!(command_of(&first), "apt install -y jq");
        let history = vec![ran(&first.action, 100, "E: Unable to locate package jq")];
        let second = next(&mut agent, &doc, &facts, &history).await;
        assert_eq!(
            command_of(&second),
            "apt-get update --error-on=any -o Acquire::Retries=1"
        );
        let mut history = history;
        history.push(ran(&second.action, 0, ""));
        let third = next(&mut agent, &doc, &facts, &history).await;
        assert_eq!(
            command_of(&third),
            "apt install -y jq",
            "the failed step is retried after the repair"
        );
        // The same failure again: the repair is not repeated, the route is abandoned, and with
        // no other route the agent gives up.
        history.push(ran(&third.action, 100, "E: Unable to locate package jq"));
        let fourth = next(&mut agent, &doc, &facts, &history).await;
        assert!(matches!(fourth.action, Action::GiveUp { .. }), "{fourth:?}");
    }

    #[tokio::test]
    async fn links_a_renamed_binary_when_verification_cannot_find_it() {
        let doc = doc(
            "# fd\n\n## Debian\n\n```sh\napt-get install -y fd-find\n```\n\n## Check\n\n```sh\nfd --version\n```\n",
        );
        let facts = debian_root();
        let mut agent = OfflineAgent::new();
        let first = next(&mut agent, &doc, &facts, &[]).await;
        let mut history = vec![ran(&first.action, 0, "")];
        let done = next(&mut agent, &doc, &facts, &history).await;
        assert!(matches!(done.action, Action::Done { .. }), "{done:?}");
        history.push(Record {
            action: done.action.clone(),
            result: ActionResult::VerificationFailed {
                failures: vec![fd_not_found()],
            },
        });
        let link = next(&mut agent, &doc, &facts, &history).await;
        assert!(command_of(&link).contains("/usr/local/bin/fd"), "{link:?}");
        assert!(
            link.notes
                .iter()
                .any(|note| matches!(note, Note::Repair { rule, .. } if rule == "renamed-binary"))
        );
    }

    #[tokio::test]
    async fn two_failed_checks_of_one_tool_get_one_repair() {
        let doc = doc(
            "# choose\n\n## Install\n\n```sh\ncargo install --locked choose\n```\n\n## Check\n\n```sh\nchoose --version\necho 'a b' | choose 1\n```\n",
        );
        let mut facts = debian_root();
        facts.commands.push("cargo".to_string());
        let mut agent = OfflineAgent::new();
        let first = next(&mut agent, &doc, &facts, &[]).await;
        let mut history = vec![ran(&first.action, 0, "")];
        let done = next(&mut agent, &doc, &facts, &history).await;
        let not_found = |command: &str| crate::agent::FailedCheck {
            command: command.to_string(),
            exit_status: Some(127),
            output: "bash: line 1: choose: command not found".to_string(),
        };
        history.push(Record {
            action: done.action.clone(),
            result: ActionResult::VerificationFailed {
                failures: vec![
                    not_found("choose --version"),
                    not_found("echo 'a b' | choose 1"),
                ],
            },
        });
        let link = next(&mut agent, &doc, &facts, &history).await;
        assert!(
            command_of(&link).contains("/usr/local/bin/choose"),
            "{link:?}"
        );
        history.push(ran(&link.action, 0, ""));
        let again = next(&mut agent, &doc, &facts, &history).await;
        assert!(matches!(again.action, Action::Done { .. }), "{again:?}");
    }

    fn fd_not_found() -> crate::agent::FailedCheck {
        crate::agent::FailedCheck {
            command: "fd --version".to_string(),
            exit_status: Some(127),
            output: "bash: line 1: fd: command not found".to_string(),
        }
    }

    #[tokio::test]
    async fn a_prerequisite_runs_unless_what_it_provides_is_here() {
        let doc = doc(
            "# widget\n\n## Installation\n\nYou need pip:\n\n```sh\nsudo apt-get install -y python3-pip\n```\n\nThen:\n\n```sh\npip install widget\n```\n",
        );
        let without_pip = debian_root();
        let first = next(&mut OfflineAgent::new(), &doc, &without_pip, &[]).await;
        assert_eq!(command_of(&first), "apt-get install -y python3-pip");
        let mut with_pip = debian_root();
        with_pip.commands.push("pip".to_string());
        let first = next(&mut OfflineAgent::new(), &doc, &with_pip, &[]).await;
        assert_eq!(command_of(&first), "pip install widget");
    }

    #[tokio::test]
    async fn gives_up_clearly_on_a_doc_without_commands() {
        let doc = doc("# Nothing\n\nJust prose, no commands at all.\n");
        let mut agent = OfflineAgent::new();
        let proposal = next(&mut agent, &doc, &debian_root(), &[]).await;
        match proposal.action {
            Action::GiveUp { reason } => assert!(reason.contains("no commands"), "{reason}"),
            other => panic!("expected give_up, got {other:?}"),
        }
    }
}
