//! The error type of the application layer and the exit statuses of DESIGN §6.
//!
//! Library modules define their own `thiserror` enums (for example [`crate::doc::LoadError`]);
//! this module wraps them, maps each to its documented exit status, and carries the `hint:`
//! line that tells the user what to do next.

use std::fmt;

/// Exit statuses, as documented in the README and DESIGN §6. Scripts depend on these numbers.
///
/// The code carries this type end to end (errors, run endings, events, reports); the number
/// appears only where the status leaves the process: the exit code itself, and the
/// `exit_code` field of `--json` events and `report.json`, which serialize it as that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(into = "u8", from = "u8")]
pub enum ExitStatus {
    /// Installed and verified (or the command did what was asked).
    Success,
    /// An unexpected failure outside the documented classes (an I/O error, a bug); the message
    /// says which.
    Failure,
    /// Bad command-line usage.
    Usage,
    /// The install doc could not be loaded.
    DocLoad,
    /// No route worked, or the agent gave up.
    NoRoute,
    /// Verification failed.
    VerificationFailed,
    /// Refused by policy or by the user.
    Refused,
    /// The sandbox is unavailable.
    SandboxUnavailable,
    /// The agent backend failed (LLM auth, protocol, ...).
    AgentBackend,
    /// Interrupted by Ctrl-C or SIGTERM.
    Interrupted,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::DocLoad => 3,
            ExitStatus::NoRoute => 4,
            ExitStatus::VerificationFailed => 5,
            ExitStatus::Refused => 6,
            ExitStatus::SandboxUnavailable => 7,
            ExitStatus::AgentBackend => 8,
            ExitStatus::Interrupted => 130,
        }
    }
}

/// Reads a status back from a recorded `exit_code` (a report, a `--json` event); unknown codes
/// are [`ExitStatus::Failure`].
impl From<u8> for ExitStatus {
    fn from(code: u8) -> ExitStatus {
        [
            ExitStatus::Success,
            ExitStatus::Usage,
            ExitStatus::DocLoad,
            ExitStatus::NoRoute,
            ExitStatus::VerificationFailed,
            ExitStatus::Refused,
            ExitStatus::SandboxUnavailable,
            ExitStatus::AgentBackend,
            ExitStatus::Interrupted,
        ]
        .into_iter()
        .find(|status| status.code() == code)
        .unwrap_or(ExitStatus::Failure)
    }
}

impl From<ExitStatus> for u8 {
    fn from(status: ExitStatus) -> u8 {
        status.code()
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// An error that ends a command. Every variant knows its exit status and, where one helps,
/// a hint for the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    DocLoad(#[from] crate::doc::LoadError),
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("interrupted")]
    Interrupted,
    #[error(transparent)]
    Sandbox(#[from] crate::sandbox::SandboxError),
    /// The agent's backend could not be set up (an LLM client without TLS roots, say).
    #[error(transparent)]
    Agent(#[from] crate::agent::AgentError),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_status(&self) -> ExitStatus {
        match self {
            Error::DocLoad(_) => ExitStatus::DocLoad,
            Error::Usage { .. } => ExitStatus::Usage,
            Error::Interrupted => ExitStatus::Interrupted,
            Error::Sandbox(error) => error.exit_status(),
            Error::Agent(error) if error.is_budget() => ExitStatus::NoRoute,
            Error::Agent(_) => ExitStatus::AgentBackend,
            Error::Io { .. } | Error::Other(_) => ExitStatus::Failure,
        }
    }

    /// What the user can do next, printed as a `hint:` line under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::DocLoad(error) => Some(error.hint()),
            Error::Usage { hint, .. } => hint.clone(),
            Error::Sandbox(error) => error.hint(),
            _ => None,
        }
    }
}

/// Prints an error the way every command does: `error: ...`, its causes, then `hint: ...`.
pub struct Report<'a>(pub &'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.0)?;
        let mut source = std::error::Error::source(self.0);
        while let Some(cause) = source {
            write!(f, "\n  caused by: {cause}")?;
            source = cause.source();
        }
        if let Some(hint) = self.0.hint() {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::AgentError;

    #[test]
    fn agent_errors_exit_8_and_an_exhausted_budget_4() {
        let backend = Error::from(AgentError::Backend("no TLS roots".to_string()));
        assert_eq!(backend.exit_status().code(), 8);
        let budget = Error::from(AgentError::Budget {
            what: "LLM call",
            limit: 3,
            flag: "--max-llm-calls",
        });
        assert_eq!(budget.exit_status().code(), 4);
    }

    #[test]
    fn a_status_is_recorded_as_its_exit_code_and_read_back() {
        for status in [
            ExitStatus::Success,
            ExitStatus::NoRoute,
            ExitStatus::AgentBackend,
            ExitStatus::Interrupted,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, status.code().to_string());
            assert_eq!(serde_json::from_str::<ExitStatus>(&json).unwrap(), status);
        }
        // A code no status has (a newer version's) reads as a failure, not an error.
        assert_eq!(
            serde_json::from_str::<ExitStatus>("42").unwrap(),
            ExitStatus::Failure
        );
    }
}
