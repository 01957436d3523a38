//! The host backend: commands run on this machine itself, with the same shell-state, streaming,
//! timeout and process-tree handling as in a sandbox (the helper runs as a child subreaper, so
//! even daemonized children are found and killed). Nothing is isolated or recorded: only for
//! users who chose it explicitly (`--sandbox host`), under the strict host policy.

use std::path::{Path, PathBuf};

use super::client::{self, Helper};
use super::config::SandboxConfig;
use super::env::{self, EnvironmentPlan};
use super::overlay::process_limits;
use super::protocol::{Mode, Setup};
use super::{
    Backend, Delta, ExecRequest, ExportSummary, Interrupter, Network, Observation, Sandbox,
    SandboxError, ShellState, Snapshot, Stream,
};

pub struct HostSandbox {
    config: SandboxConfig,
    helper_program: PathBuf,
    helper: Option<Helper>,
    state: ShellState,
    interrupter: Interrupter,
    next_sequence: u64,
}

impl HostSandbox {
    pub fn open(config: SandboxConfig) -> Result<HostSandbox, SandboxError> {
        if config.network == Network::Off {
            return Err(SandboxError::Unsupported(
                "`--network off` needs a sandbox; the host backend runs on the machine's own \
                 network"
                    .to_string(),
            ));
        }
        if !config.base_is_host_root() {
            return Err(SandboxError::Unsupported(
                "`--base` needs a sandbox; the host backend runs on the machine itself".to_string(),
            ));
        }
        let source = config
            .source_environment
            .clone()
            .unwrap_or_else(env::current);
        let home = source
            .iter()
            .find(|(name, _)| name == "HOME")
            .map(|(_, value)| value.clone())
            .unwrap_or_else(|| "/root".to_string());
        let environment = env::build(
            &EnvironmentPlan {
                inherit: true,
                passthrough: &config.env_passthrough,
                home: &home,
            },
            &source,
        );
        let cwd = config.cwd.clone().unwrap_or_else(|| {
            std::env::current_dir()
                .map(|path| path.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "/".to_string())
        });
        let mut sandbox = HostSandbox {
            helper_program: config
                .helper
                .clone()
                .unwrap_or_else(|| PathBuf::from("/proc/self/exe")),
            config,
            helper: None,
            state: ShellState {
                cwd,
                env: environment,
            },
            interrupter: Interrupter::new(),
            next_sequence: 0,
        };
        sandbox.start_helper()?;
        Ok(sandbox)
    }

    fn start_helper(&mut self) -> Result<(), SandboxError> {
        if self.helper.is_none() {
            let setup = Setup {
                mode: Mode::Host,
                limits: process_limits(&self.config),
            };
            self.helper = Some(Helper::start(
                &self.helper_program,
                &setup,
                self.interrupter.state(),
                Backend::Host,
            )?);
        }
        Ok(())
    }

    fn unsupported(what: &str) -> SandboxError {
        SandboxError::Unsupported(format!(
            "the host backend cannot {what}: commands change the machine directly"
        ))
    }
}

impl Sandbox for HostSandbox {
    fn backend(&self) -> Backend {
        Backend::Host
    }

    fn exec(
        &mut self,
        request: &ExecRequest,
        on_output: &mut dyn FnMut(Stream, &str),
    ) -> Result<Observation, SandboxError> {
        self.start_helper()?;
        let result = client::run_command(
            self.helper.as_mut(),
            request,
            &mut self.state,
            &self.config.limits,
            on_output,
        );
        if result.is_err() {
            self.helper = None;
        }
        result
    }

    /// Snapshots exist so callers need no special case, but they cannot be rolled back to.
    fn snapshot(&mut self) -> Result<Snapshot, SandboxError> {
        self.next_sequence += 1;
        Ok(Snapshot {
            sequence: self.next_sequence,
        })
    }

    fn rollback(&mut self, _snapshot: Snapshot) -> Result<(), SandboxError> {
        Err(HostSandbox::unsupported("roll back"))
    }

    fn tracks_changes(&self) -> bool {
        false
    }

    fn delta(&self) -> Result<Delta, SandboxError> {
        Err(HostSandbox::unsupported("list the changes"))
    }

    fn export_layer(&self, _destination: &Path) -> Result<ExportSummary, SandboxError> {
        Err(HostSandbox::unsupported("export a layer"))
    }

    fn shell_state(&self) -> &ShellState {
        &self.state
    }

    fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    fn discard(mut self: Box<Self>) -> Result<(), SandboxError> {
        self.helper = None;
        Ok(())
    }

    fn keep(self: Box<Self>, _destination: &Path) -> Result<Vec<PathBuf>, SandboxError> {
        Err(HostSandbox::unsupported("keep a layer"))
    }
}
