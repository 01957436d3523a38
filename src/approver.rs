//! Who answers a run's yes/no questions: "run this step the policy flags?", "apply the rehearsal
//! to this machine?", "remove it here?". Every question goes through one [`Approver`] that the
//! command builds once and hands to the session, the replays and the lifecycle commands, so no
//! module prompts the terminal on its own, and a test can answer without a terminal.
//!
//! The policy decides *whether* a line may run and whether to ask
//! ([`crate::policy::Verdict::resolve`] with the approver's [`Interaction`]); the approver only
//! asks.

use std::io::IsTerminal;

use crate::policy::Interaction;

/// Answers the questions of one command.
pub trait Approver: Send + Sync {
    /// What the answers can be: whether a person is there to ask, whether `--yes` was given.
    fn interaction(&self) -> Interaction;

    /// Asks a yes/no question; anything but a clear yes is no.
    fn confirm(&self, question: &str) -> bool;

    /// Consent to an action: given in advance with `--yes`, or asked for when a person is
    /// there to answer.
    fn consents(&self, question: &str) -> bool {
        let interaction = self.interaction();
        interaction.yes || (interaction.terminal && self.confirm(question))
    }
}

/// The person at the terminal: asks on stderr when stdin and stderr are both a terminal;
/// otherwise nobody is there and every question is "no" (the policy refuses what needs one).
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    interaction: Interaction,
}

impl Terminal {
    /// The terminal this process runs on, with `--yes` as given.
    pub fn detect(yes: bool) -> Terminal {
        Terminal {
            interaction: Interaction {
                terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
                yes,
            },
        }
    }
}

impl Approver for Terminal {
    fn interaction(&self) -> Interaction {
        self.interaction
    }

    fn confirm(&self, question: &str) -> bool {
        self.interaction.terminal
            && dialoguer::Confirm::new()
                .with_prompt(question)
                .default(false)
                .interact()
                .unwrap_or(false)
    }
}

/// Nobody to ask (a script, CI, crash recovery): "ask" lines run only when consent was given in
/// advance (`yes`, as with `--yes`), and every question is "no".
#[derive(Debug, Clone, Copy)]
pub struct Unattended {
    pub yes: bool,
}

impl Approver for Unattended {
    fn interaction(&self) -> Interaction {
        Interaction {
            terminal: false,
            yes: self.yes,
        }
    }

    fn confirm(&self, _question: &str) -> bool {
        false
    }
}

#[cfg(test)]
pub mod scripted {
    //! An approver with a person who answers from a list, for the tests of the code that asks.

    use std::sync::Mutex;

    use super::*;

    /// Says the next answer of its list to each question (no once the list is used up) and
    /// keeps the questions.
    pub struct Scripted {
        answers: Mutex<Vec<bool>>,
        asked: Mutex<Vec<String>>,
    }

    impl Scripted {
        pub fn new(answers: &[bool]) -> Scripted {
            Scripted {
                answers: Mutex::new(answers.iter().rev().copied().collect()),
                asked: Mutex::new(Vec::new()),
            }
        }

        pub fn questions(&self) -> Vec<String> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl Approver for Scripted {
        fn interaction(&self) -> Interaction {
            Interaction {
                terminal: true,
                yes: false,
            }
        }

        fn confirm(&self, question: &str) -> bool {
            self.asked.lock().unwrap().push(question.to_string());
            self.answers.lock().unwrap().pop().unwrap_or(false)
        }
    }
}
