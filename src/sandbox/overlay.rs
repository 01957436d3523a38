//! The overlay backend: a copy-on-write rehearsal of commands on the host root or a base rootfs.
//!
//! A session is a series of *generations*. Each generation is one helper process with the
//! overlays mounted over the frozen upper dirs of the earlier generations. A snapshot freezes
//! the current upper dirs (when they hold changes) and the next command starts a new
//! generation on top; a rollback deletes the upper dirs made after the snapshot. Both cost one
//! helper restart (a few milliseconds) and no copying, whatever the size of the changes.
//! Between snapshots, commands reuse the running helper: a fork and an exec each.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::cleanup::{self, remove_tree};
use super::client::{self, Helper};
use super::config::SandboxConfig;
use super::delta::{self, Delta, IdMap, MountChanges};
use super::egress::{NetworkRequest, PROXY_PORT, Proxy};
use super::env::{self, EnvironmentPlan};
use super::export::{self, ExportSummary};
use super::layout::{self, HOST_FILES, Lower, PlannedMount};
use super::protocol::{IsolatedSetup, Mode, OverlayMount, ProcessLimits, Setup};
use super::{
    Backend, ExecRequest, Interrupter, Network, Observation, Sandbox, SandboxError, ShellState,
    Snapshot, Stream,
};

/// Where the host's CA bundle is copied to inside a rootfs sandbox (a fresh tmpfs, so it is in
/// no delta).
pub const CA_BUNDLE_INSIDE: &str = "/run/agent-install/ca-certificates.crt";
/// The host's CA bundle (Debian and derivatives; others are looked up in [`host_ca_bundle`]).
const HOST_CA_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];
/// Variables that make common tools trust a CA bundle.
const CA_VARIABLES: &[&str] = &[
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "NODE_EXTRA_CA_CERTS",
    "CARGO_HTTP_CAINFO",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
];

#[derive(Debug, Clone)]
struct SnapshotRecord {
    sequence: u64,
    generations: u64,
    state: ShellState,
}

pub struct OverlaySandbox {
    config: SandboxConfig,
    helper_program: PathBuf,
    session_dir: PathBuf,
    mounts: Vec<PlannedMount>,
    privileges: Privileges,
    /// Frozen generations under `layers/`.
    generations: u64,
    helper: Option<Helper>,
    state: ShellState,
    snapshots: Vec<SnapshotRecord>,
    next_sequence: u64,
    interrupter: Interrupter,
    ca_bundle: Option<PathBuf>,
    /// The egress fence's proxy, when the sandbox has one.
    proxy: Option<Proxy>,
    finished: bool,
}

/// What the sandbox may do with the caller's privileges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Privileges {
    /// Enter a new user namespace first (the caller is not root).
    create_user_namespace: bool,
    /// Mounts happen inside a user namespace (ours, or one the caller already is in, as in a
    /// rootless container): submounts are locked and overlayfs needs `userxattr`.
    in_user_namespace: bool,
}

/// Whether this process is in the initial user namespace (its uid map is the identity).
fn in_initial_user_namespace() -> bool {
    fs::read_to_string("/proc/self/uid_map")
        .is_ok_and(|map| map.split_whitespace().collect::<Vec<_>>() == ["0", "0", "4294967295"])
}

impl OverlaySandbox {
    /// Creates the session directory and starts the first generation, so an unavailable
    /// sandbox is reported before anything runs.
    pub fn open(config: SandboxConfig) -> Result<OverlaySandbox, SandboxError> {
        let root = nix::unistd::geteuid().is_root();
        let privileges = Privileges {
            create_user_namespace: !root,
            in_user_namespace: !root || !in_initial_user_namespace(),
        };
        match OverlaySandbox::open_as(config.clone(), privileges) {
            // Root without the right to mount (a container): try a user namespace.
            Err(SandboxError::Unavailable { reason, .. })
                if root && reason.starts_with("mount namespace") =>
            {
                let privileges = Privileges {
                    create_user_namespace: true,
                    in_user_namespace: true,
                };
                OverlaySandbox::open_as(config, privileges)
            }
            other => other,
        }
    }

    fn open_as(
        config: SandboxConfig,
        privileges: Privileges,
    ) -> Result<OverlaySandbox, SandboxError> {
        let unavailable = |reason: String| SandboxError::Unavailable {
            backend: Backend::Overlay,
            reason,
        };
        let helper_program = config
            .helper
            .clone()
            .unwrap_or_else(|| PathBuf::from("/proc/self/exe"));
        let temp_root = config.temp_root.clone().unwrap_or_else(std::env::temp_dir);
        let temp_root = temp_root.canonicalize().map_err(|error| {
            SandboxError::io(format!("temp dir {}", temp_root.display()), error)
        })?;
        if temp_root == Path::new("/") {
            return Err(SandboxError::Unsupported(
                "the sandbox temp dir cannot be `/`; set TMPDIR".to_string(),
            ));
        }
        if !config.base.is_dir() {
            return Err(SandboxError::BaseUnavailable {
                name: config.base.display().to_string(),
                reason: "not a directory".to_string(),
            });
        }
        let mounts = layout::plan_mounts(&config.base, &temp_root, privileges.in_user_namespace)
            .map_err(|error| unavailable(format!("could not read the base: {error}")))?;
        let session_dir = cleanup::create_session_dir(&temp_root)
            .map_err(|error| SandboxError::io("creating the sandbox directory", error))?;

        let home = sandbox_home(&config, privileges.create_user_namespace);
        let source = config
            .source_environment
            .clone()
            .unwrap_or_else(env::current);
        let mut environment = env::build(
            &EnvironmentPlan {
                inherit: config.inherits_environment(),
                passthrough: &config.env_passthrough,
                home: &home,
            },
            &source,
        );
        let ca_bundle = if config.carry_host_trust && !config.base_is_host_root() {
            host_ca_bundle()
        } else {
            None
        };
        if ca_bundle.is_some() {
            for variable in CA_VARIABLES {
                environment.retain(|(name, _)| name != variable);
                environment.push((variable.to_string(), CA_BUNDLE_INSIDE.to_string()));
            }
            environment.sort();
        }
        let cwd = config.cwd.clone().unwrap_or_else(|| {
            if config.base.join(home.trim_start_matches('/')).is_dir() {
                home.clone()
            } else {
                "/".to_string()
            }
        });

        // The fence needs to enter the sandbox's network namespace, which a caller outside the
        // sandbox's user namespace cannot: rootless sandboxes keep the host's network.
        let proxy = match &config.egress {
            Some(rules) if config.network == Network::On && !privileges.create_user_namespace => {
                Some(Proxy::new(rules.clone()))
            }
            _ => None,
        };
        if proxy.is_some() {
            let address = format!("http://127.0.0.1:{PROXY_PORT}");
            environment.retain(|(name, _)| {
                !matches!(
                    name.to_ascii_lowercase().as_str(),
                    "http_proxy" | "https_proxy" | "all_proxy" | "ftp_proxy" | "no_proxy"
                )
            });
            for name in [
                "http_proxy",
                "https_proxy",
                "HTTP_PROXY",
                "HTTPS_PROXY",
                "all_proxy",
            ] {
                environment.push((name.to_string(), address.clone()));
            }
            environment.sort();
        }
        let mut sandbox = OverlaySandbox {
            helper_program,
            session_dir,
            mounts,
            privileges,
            generations: 0,
            helper: None,
            state: ShellState {
                cwd,
                env: environment,
            },
            snapshots: Vec::new(),
            next_sequence: 0,
            interrupter: Interrupter::new(),
            ca_bundle,
            proxy,
            finished: false,
            config,
        };
        // On failure the sandbox is dropped here, which removes the session directory.
        sandbox
            .build_session_dir()
            .map_err(|error| SandboxError::io("preparing the sandbox directory", error))?;
        sandbox.start_helper()?;
        Ok(sandbox)
    }

    fn build_session_dir(&mut self) -> std::io::Result<()> {
        fs::create_dir(self.session_dir.join(layout::SCRATCH))?;
        self.fresh_upper()
    }

    /// Empty upper and work dirs for a new generation.
    fn fresh_upper(&self) -> std::io::Result<()> {
        for directory in ["upper", "work"] {
            remove_tree(&self.session_dir.join(directory))?;
            fs::create_dir(self.session_dir.join(directory))?;
        }
        for (index, mount) in self.mounts.iter().enumerate() {
            let upper = self.session_dir.join("upper").join(index.to_string());
            fs::create_dir(&upper)?;
            layout::copy_attributes(mount.lower.host_path(), &upper);
            fs::create_dir(self.session_dir.join("work").join(index.to_string()))?;
        }
        Ok(())
    }

    fn setup(&self) -> Setup {
        let mounts = self
            .mounts
            .iter()
            .enumerate()
            .map(|(index, mount)| {
                let synthetic_exists = matches!(mount.lower, Lower::Host(_) | Lower::BaseView(_))
                    && layout::synthetic_covers(&mount.target);
                OverlayMount {
                    target: mount.target.clone(),
                    options: layout::overlay_options(
                        mount,
                        index,
                        self.generations,
                        synthetic_exists,
                        self.privileges.in_user_namespace,
                    ),
                }
            })
            .collect();
        Setup {
            mode: Mode::Isolated(IsolatedSetup {
                session_dir: self.session_dir.to_string_lossy().into_owned(),
                user_namespace: self.privileges.create_user_namespace,
                base: self.config.base.to_string_lossy().into_owned(),
                skeletons: self
                    .mounts
                    .iter()
                    .enumerate()
                    .filter_map(|(index, mount)| match &mount.lower {
                        Lower::Skeleton(host) => Some((
                            index,
                            host.to_string_lossy().into_owned(),
                            mount.target.clone(),
                        )),
                        _ => None,
                    })
                    .collect(),
                base_view: self.uses_base_view().then(layout::base_view_options),
                network_off: self.config.network == Network::Off || self.proxy.is_some(),
                mounts,
                bind_files: HOST_FILES
                    .iter()
                    .filter(|file| Path::new(file).exists())
                    .map(|file| file.to_string())
                    .collect(),
                masks: self.masks(),
                ca_bundle: self
                    .ca_bundle
                    .as_ref()
                    .map(|path| path.to_string_lossy().into_owned()),
            }),
            limits: process_limits(&self.config),
        }
    }

    fn uses_base_view(&self) -> bool {
        self.mounts
            .iter()
            .any(|mount| matches!(mount.lower, Lower::BaseView(_)))
    }

    /// Secret paths, and the sandbox temp dir itself when the host root shows it (the sandbox
    /// must not see its own layers, nor other sessions').
    fn masks(&self) -> Vec<String> {
        let mut masks = layout::secret_masks(&self.config.base);
        if self.uses_base_view()
            && let Some(temp_root) = self.session_dir.parent()
            && !temp_root.starts_with("/tmp")
        {
            masks.push(temp_root.to_string_lossy().into_owned());
        }
        masks
    }

    fn start_helper(&mut self) -> Result<(), SandboxError> {
        if self.helper.is_some() {
            return Ok(());
        }
        let setup = self.setup();
        let mut helper = Helper::start(
            &self.helper_program,
            &setup,
            self.interrupter.state(),
            Backend::Overlay,
        )?;
        if let Some(proxy) = &mut self.proxy {
            let listening = match helper.init_pid() {
                Some(pid) => proxy.listen_in(pid),
                None => Err(std::io::Error::other(
                    "the helper did not say its init's pid",
                )),
            };
            if let Err(error) = listening {
                helper.stop();
                return Err(SandboxError::Unavailable {
                    backend: Backend::Overlay,
                    reason: format!("could not start the egress fence's proxy: {error}"),
                });
            }
        }
        self.helper = Some(helper);
        Ok(())
    }

    fn stop_helper(&mut self) {
        if let Some(mut helper) = self.helper.take() {
            helper.stop();
        }
        if let Some(proxy) = &mut self.proxy {
            proxy.stop_listening();
        }
    }

    fn ids(&self) -> IdMap {
        IdMap {
            user_namespace: self.privileges.create_user_namespace.then(|| {
                // SAFETY: getuid/getgid have no preconditions.
                unsafe { (libc::getuid(), libc::getgid()) }
            }),
        }
    }

    /// The generation roots, oldest first: `layers/1`, ..., then `upper`.
    fn generation_roots(&self) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = (1..=self.generations)
            .map(|generation| self.session_dir.join("layers").join(generation.to_string()))
            .collect();
        roots.push(self.session_dir.join("upper"));
        roots
    }

    fn squashed(&self) -> Result<Vec<MountChanges>, SandboxError> {
        delta::squash(&self.generation_roots(), &self.mounts)
            .map_err(|error| SandboxError::io("reading the sandbox changes", error))
    }

    /// Whether the current upper dirs hold no change.
    fn upper_is_unchanged(&self) -> bool {
        self.mounts.iter().enumerate().all(|(index, mount)| {
            let upper = self.session_dir.join("upper").join(index.to_string());
            let empty = fs::read_dir(&upper).is_ok_and(|mut entries| entries.next().is_none());
            let same = match (fs::metadata(&upper), fs::metadata(mount.lower.host_path())) {
                (Ok(upper), Ok(lower)) => upper.mode() == lower.mode(),
                _ => false,
            };
            empty && same
        })
    }

    /// The session directory (for diagnostics and tests).
    pub fn session_dir(&self) -> &Path {
        &self.session_dir
    }

    /// The processes that hold the sandbox now (helper, init), for diagnostics and tests;
    /// empty between generations.
    pub fn process_ids(&self) -> Vec<u32> {
        self.helper
            .as_ref()
            .map(Helper::process_ids)
            .unwrap_or_default()
    }

    /// Whether the session runs in a user namespace (started without root).
    pub fn is_rootless(&self) -> bool {
        self.privileges.in_user_namespace
    }

    fn finish(&mut self) -> Result<(), SandboxError> {
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        self.stop_helper();
        remove_tree(&self.session_dir).map_err(|error| {
            SandboxError::io(format!("removing {}", self.session_dir.display()), error)
        })
    }

    /// Ends the session and moves its change layers to `destination` (created; must be on the
    /// same filesystem as the temp dir). One generation: `destination` is the upper dir, as a
    /// tree rooted at `/`. Several (after snapshots): `destination/1`, `destination/2`, ...,
    /// oldest first.
    pub fn keep(mut self, destination: &Path) -> Result<Vec<PathBuf>, SandboxError> {
        self.stop_helper();
        let io_error =
            |error| SandboxError::io(format!("keeping {}", destination.display()), error);
        if destination.exists()
            && fs::read_dir(destination)
                .map_err(io_error)?
                .next()
                .is_some()
        {
            return Err(SandboxError::Unsupported(format!(
                "{} exists and is not empty",
                destination.display()
            )));
        }
        let _ = fs::remove_dir(destination);
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent).map_err(io_error)?;
        }
        let roots = self.generation_roots();
        let mut kept = Vec::new();
        if roots.len() == 1 {
            self.assemble(&roots[0], destination).map_err(io_error)?;
            kept.push(destination.to_path_buf());
        } else {
            fs::create_dir(destination).map_err(io_error)?;
            for (position, root) in roots.iter().enumerate() {
                let layer = destination.join((position + 1).to_string());
                self.assemble(root, &layer).map_err(io_error)?;
                kept.push(layer);
            }
        }
        self.finish()?;
        Ok(kept)
    }

    /// Moves the per-mount upper dirs of one generation into one tree at `destination`.
    fn assemble(&self, generation: &Path, destination: &Path) -> std::io::Result<()> {
        for (index, mount) in self.mounts.iter().enumerate() {
            let source = generation.join(index.to_string());
            if !source.exists() {
                continue;
            }
            let target = destination.join(mount.target.trim_start_matches('/'));
            if mount.target == "/" {
                fs::rename(&source, destination)?;
                continue;
            }
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            let is_empty = fs::read_dir(&source).is_ok_and(|mut entries| entries.next().is_none());
            if is_empty && !target.exists() {
                // Unchanged mount: no directory for it in the kept tree.
                continue;
            }
            if !target.exists() {
                fs::rename(&source, &target)?;
            }
        }
        if !destination.exists() {
            fs::create_dir(destination)?;
        }
        Ok(())
    }
}

impl Sandbox for OverlaySandbox {
    fn backend(&self) -> Backend {
        Backend::Overlay
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
            // The helper is dead or unreliable; the next command starts a new one on the
            // same upper dirs.
            self.stop_helper();
        }
        result
    }

    fn snapshot(&mut self) -> Result<Snapshot, SandboxError> {
        if !self.upper_is_unchanged() {
            self.stop_helper();
            let generation = self.generations + 1;
            let layers = self.session_dir.join("layers");
            let frozen = layers.join(generation.to_string());
            fs::create_dir_all(&layers)
                .and_then(|()| fs::rename(self.session_dir.join("upper"), &frozen))
                .and_then(|()| self.fresh_upper())
                .map_err(|error| SandboxError::io("freezing the sandbox layer", error))?;
            self.generations = generation;
        }
        self.next_sequence += 1;
        let record = SnapshotRecord {
            sequence: self.next_sequence,
            generations: self.generations,
            state: self.state.clone(),
        };
        self.snapshots.push(record);
        Ok(Snapshot {
            sequence: self.next_sequence,
        })
    }

    fn rollback(&mut self, snapshot: Snapshot) -> Result<(), SandboxError> {
        let Some(position) = self
            .snapshots
            .iter()
            .position(|record| record.sequence == snapshot.sequence)
        else {
            return Err(SandboxError::Unsupported(
                "that snapshot no longer exists (an earlier rollback removed it)".to_string(),
            ));
        };
        let record = self.snapshots[position].clone();
        self.snapshots.truncate(position + 1);
        self.stop_helper();
        let io_error = |error| SandboxError::io("rolling the sandbox back", error);
        for generation in (record.generations + 1)..=self.generations {
            remove_tree(&self.session_dir.join("layers").join(generation.to_string()))
                .map_err(io_error)?;
        }
        self.fresh_upper().map_err(io_error)?;
        self.generations = record.generations;
        self.state = record.state;
        Ok(())
    }

    fn tracks_changes(&self) -> bool {
        true
    }

    fn delta(&self) -> Result<Delta, SandboxError> {
        Ok(delta::compute(
            &self.squashed()?,
            &self.config.hidden,
            &self.ids(),
        ))
    }

    fn export_layer(&self, destination: &Path) -> Result<ExportSummary, SandboxError> {
        export::write_layer(
            &self.squashed()?,
            &self.ids(),
            &self.config.export,
            destination,
        )
        .map_err(|error| {
            SandboxError::io(
                format!("writing the layer {}", destination.display()),
                error,
            )
        })
    }

    fn shell_state(&self) -> &ShellState {
        &self.state
    }

    fn interrupter(&self) -> Interrupter {
        self.interrupter.clone()
    }

    fn discard(mut self: Box<Self>) -> Result<(), SandboxError> {
        self.finish()
    }

    fn network_requests(&mut self) -> Vec<NetworkRequest> {
        self.proxy
            .as_ref()
            .map(Proxy::take_requests)
            .unwrap_or_default()
    }

    fn fenced(&self) -> bool {
        self.proxy.is_some()
    }

    fn allow_hosts(&mut self, hosts: &[String]) {
        if let Some(proxy) = &self.proxy {
            proxy.allow(hosts);
        }
    }

    fn keep(self: Box<Self>, destination: &Path) -> Result<Vec<PathBuf>, SandboxError> {
        OverlaySandbox::keep(*self, destination)
    }
}

impl Drop for OverlaySandbox {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// `HOME` inside: root's home, or the caller's own home when a rootless sandbox shows the host.
fn sandbox_home(config: &SandboxConfig, rootless: bool) -> String {
    if rootless
        && config.base_is_host_root()
        && let Some(home) = std::env::var_os("HOME")
    {
        return home.to_string_lossy().into_owned();
    }
    "/root".to_string()
}

fn host_ca_bundle() -> Option<PathBuf> {
    HOST_CA_BUNDLES
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
}

pub(crate) fn process_limits(config: &SandboxConfig) -> ProcessLimits {
    ProcessLimits {
        max_processes: config.limits.max_processes,
        file_size: config.limits.file_size,
        open_files: config.limits.open_files,
    }
}
