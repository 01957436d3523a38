//! The dry-run backend: executes nothing and records what would have run, for the plan view
//! (`agent-install plan`). Every command "succeeds" with empty output and `executed: false`, so
//! a caller can walk a whole plan; the shell state never changes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config::SandboxConfig;
use super::{
    Backend, CapturedOutput, Delta, ExecRequest, ExportSummary, Interrupter, Observation, Sandbox,
    SandboxError, ShellState, Snapshot, Stream,
};

pub struct DryRunSandbox {
    recorded: Vec<ExecRequest>,
    state: ShellState,
    interrupter: Interrupter,
    next_sequence: u64,
}

impl DryRunSandbox {
    pub fn open(config: SandboxConfig) -> DryRunSandbox {
        DryRunSandbox {
            recorded: Vec::new(),
            state: ShellState {
                cwd: config.cwd.unwrap_or_else(|| "/".to_string()),
                env: Vec::new(),
            },
            interrupter: Interrupter::new(),
            next_sequence: 0,
        }
    }

    /// The commands "run" so far, in order.
    pub fn recorded(&self) -> &[ExecRequest] {
        &self.recorded
    }
}

impl Sandbox for DryRunSandbox {
    fn backend(&self) -> Backend {
        Backend::DryRun
    }

    fn exec(
        &mut self,
        request: &ExecRequest,
        _on_output: &mut dyn FnMut(Stream, &str),
    ) -> Result<Observation, SandboxError> {
        if self.interrupter.is_interrupted() {
            return Err(SandboxError::Interrupted);
        }
        self.recorded.push(request.clone());
        Ok(Observation {
            command: request.command.clone(),
            exit_code: Some(0),
            signal: None,
            timed_out: false,
            duration: Duration::ZERO,
            stdout: CapturedOutput::default(),
            stderr: CapturedOutput::default(),
            executed: false,
            blocked: Vec::new(),
        })
    }

    fn snapshot(&mut self) -> Result<Snapshot, SandboxError> {
        self.next_sequence += 1;
        Ok(Snapshot {
            sequence: self.next_sequence,
        })
    }

    fn rollback(&mut self, _snapshot: Snapshot) -> Result<(), SandboxError> {
        Ok(())
    }

    fn tracks_changes(&self) -> bool {
        false
    }

    fn delta(&self) -> Result<Delta, SandboxError> {
        Ok(Delta::default())
    }

    fn export_layer(&self, _destination: &Path) -> Result<ExportSummary, SandboxError> {
        Err(SandboxError::Unsupported(
            "a dry run executes nothing, so it has no layer to export".to_string(),
        ))
    }

    fn shell_state(&self) -> &ShellState {
        &self.state
    }

    fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    fn discard(self: Box<Self>) -> Result<(), SandboxError> {
        Ok(())
    }

    fn keep(self: Box<Self>, _destination: &Path) -> Result<Vec<PathBuf>, SandboxError> {
        Err(SandboxError::Unsupported(
            "a dry run executes nothing, so it has nothing to keep".to_string(),
        ))
    }
}
