//! Namespace and mount setup of an isolated sandbox (see the module diagram in [`super`]).
//!
//! Everything here runs in the single-threaded helper, relative to the session directory (the
//! working directory), so mount options stay short and need no absolute paths. Each step names
//! its stage, which the parent reports when setup fails.

use std::fs;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, unshare};
use nix::unistd::{ForkResult, fork};

use super::server::{KillScope, Server, find_shell};
use super::sys;
use super::{Channel, Response};
use crate::sandbox::protocol::{IsolatedSetup, OverlayMount, ProcessLimits};

use crate::sandbox::layout::{self, BASE_VIEW, MERGED, SCRATCH};

/// Device nodes bound from the host into the fresh `/dev`.
const DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty"];

/// `/proc` entries made read-only (or hidden) because root in the sandbox may be real root.
const PROC_READ_ONLY: &[&str] = &["sys", "sysrq-trigger", "irq", "bus", "fs"];
const PROC_HIDDEN: &[&str] = &["kcore", "keys", "timer_list"];

struct StageError {
    stage: &'static str,
    error: io::Error,
}

trait Stage<T> {
    fn stage(self, stage: &'static str) -> Result<T, StageError>;
}

impl<T> Stage<T> for io::Result<T> {
    fn stage(self, stage: &'static str) -> Result<T, StageError> {
        self.map_err(|error| StageError { stage, error })
    }
}

impl<T> Stage<T> for nix::Result<T> {
    fn stage(self, stage: &'static str) -> Result<T, StageError> {
        self.map_err(|errno| StageError {
            stage,
            error: io::Error::from(errno),
        })
    }
}

pub(super) fn run(
    channel: Channel,
    setup: &IsolatedSetup,
    limits: ProcessLimits,
) -> io::Result<()> {
    if let Err(failure) = enter_and_mount(setup) {
        channel.setup_failed(failure.stage, &failure.error)?;
        return Err(failure.error);
    }
    // A handle on ourselves, for init to check that we did not die before it set its parent
    // death signal (getppid cannot tell: the parent is outside init's PID namespace).
    let helper = match sys::pidfd_open(std::process::id() as libc::pid_t) {
        Ok(helper) => helper,
        Err(error) => {
            channel.setup_failed("pidfd", &error)?;
            return Err(error);
        }
    };
    // SAFETY: this process is single-threaded (the helper starts no threads), so the child may
    // run arbitrary code after fork.
    match unsafe { fork() } {
        Err(errno) => {
            let error = io::Error::from(errno);
            channel.setup_failed("fork init", &error)?;
            Err(error)
        }
        // PID 1 of the namespace ends when this returns to main, which exits.
        Ok(ForkResult::Child) => init(channel, setup, &helper, limits),
        Ok(ForkResult::Parent { child }) => {
            // The init process owns the pipes now; without our copies, agent-install sees end
            // of file as soon as init is gone.
            drop(channel);
            drop(helper);
            match sys::wait(child.as_raw(), true)? {
                Some((_, sys::ChildExit::Code(0))) => Ok(()),
                _ => Err(io::Error::other("the sandbox init process failed")),
            }
        }
    }
}

/// User namespace (rootless), mount namespace, private propagation, overlays, then the
/// namespaces the init process will be born into.
fn enter_and_mount(setup: &IsolatedSetup) -> Result<(), StageError> {
    if setup.user_namespace {
        // SAFETY: getuid/getgid have no preconditions.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS).stage("user namespace")?;
        fs::write("/proc/self/setgroups", "deny").stage("user namespace: setgroups")?;
        fs::write("/proc/self/uid_map", format!("0 {uid} 1")).stage("user namespace: uid_map")?;
        fs::write("/proc/self/gid_map", format!("0 {gid} 1")).stage("user namespace: gid_map")?;
    } else {
        unshare(CloneFlags::CLONE_NEWNS).stage("mount namespace")?;
    }
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .stage("private mount propagation")?;
    std::env::set_current_dir(&setup.session_dir).stage("session directory")?;
    mount(
        Some("tmpfs"),
        SCRATCH,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=755"),
    )
    .stage("scratch tmpfs")?;
    let skeletons: Vec<(usize, PathBuf, String)> = setup
        .skeletons
        .iter()
        .map(|(index, host, target)| (*index, PathBuf::from(host), target.clone()))
        .collect();
    layout::build_scratch(
        Path::new(&setup.base),
        &skeletons,
        setup.base_view.is_some(),
    )
    .stage("scratch layers")?;
    if let Some(options) = &setup.base_view {
        mount(
            Some("overlay"),
            BASE_VIEW,
            Some("overlay"),
            MsFlags::empty(),
            Some(options.as_str()),
        )
        .stage("overlay mount of the host root")?;
    }
    mount_overlays(&setup.mounts)?;
    let mut flags = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWIPC | CloneFlags::CLONE_NEWUTS;
    if setup.network_off {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    unshare(flags).stage("pid/ipc/uts/net namespaces")?;
    Ok(())
}

/// Mounts the overlays level by level (a parent before the mounts inside it), the mounts of one
/// level in parallel threads. Mounting an overlay mostly waits in the kernel (several ms each
/// on a busy machine, measured), so a split root of 15 mounts would otherwise take ~100 ms.
/// The threads are joined before this returns: the process forks init single-threaded.
fn mount_overlays(mounts: &[OverlayMount]) -> Result<(), StageError> {
    let depth = |mount: &OverlayMount| {
        mount
            .target
            .split('/')
            .filter(|part| !part.is_empty())
            .count()
    };
    let deepest = mounts.iter().map(depth).max().unwrap_or(0);
    for level in 0..=deepest {
        let batch: Vec<&OverlayMount> = mounts
            .iter()
            .filter(|mount| depth(mount) == level)
            .collect();
        let results: Vec<Result<(), StageError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = batch
                .iter()
                .map(|overlay| {
                    let overlay = *overlay;
                    let spawned = std::thread::Builder::new()
                        .spawn_scoped(scope, move || mount_overlay(overlay));
                    (overlay, spawned)
                })
                .collect();
            handles
                .into_iter()
                .map(|(overlay, spawned)| match spawned {
                    Ok(handle) => handle.join().unwrap_or_else(|_| {
                        Err(StageError {
                            stage: "overlay mount",
                            error: io::Error::other("a mount thread panicked"),
                        })
                    }),
                    // No thread to spare: mount here.
                    Err(_) => mount_overlay(overlay),
                })
                .collect()
        });
        for result in results {
            result?;
        }
    }
    Ok(())
}

fn mount_overlay(overlay: &OverlayMount) -> Result<(), StageError> {
    mount(
        Some("overlay"),
        &inside(&overlay.target),
        Some("overlay"),
        MsFlags::empty(),
        Some(overlay.options.as_str()),
    )
    .map_err(|errno| StageError {
        stage: "overlay mount",
        error: io::Error::new(
            io::Error::from(errno).kind(),
            format!(
                "{} ({}): {}",
                overlay.target,
                overlay.options,
                io::Error::from(errno)
            ),
        ),
    })
}

/// PID 1 of the sandbox: finish the root, pivot into it, serve commands.
fn init(
    channel: Channel,
    setup: &IsolatedSetup,
    helper: &OwnedFd,
    limits: ProcessLimits,
) -> io::Result<()> {
    let result = (|| {
        sys::set_parent_death_signal(libc::SIGKILL).stage("parent death signal")?;
        // The helper may have died between fork and prctl; then nobody would kill us.
        let helper_gone = sys::poll(&[helper.as_raw_fd()], 0)
            .map(|ready| ready.iter().any(|entry| entry.readable))
            .unwrap_or(true);
        if helper_gone {
            return Err(StageError {
                stage: "parent death signal",
                error: io::Error::other("the helper exited during setup"),
            });
        }
        // /proc is still the host's here, so /proc/self names our pid as agent-install sees it.
        let host_pid = fs::read_link("/proc/self")
            .ok()
            .and_then(|link| link.to_str()?.parse::<i32>().ok());
        finish_root(setup)?;
        Ok(host_pid)
    })();
    let host_pid = match result {
        Ok(host_pid) => host_pid,
        Err(failure) => {
            channel.setup_failed(failure.stage, &failure.error)?;
            return Err(failure.error);
        }
    };
    let Some(shell) = find_shell(Path::new("/")) else {
        let error = io::Error::new(
            io::ErrorKind::NotFound,
            "the base has neither /bin/bash nor /bin/sh",
        );
        channel.setup_failed("shell", &error)?;
        return Err(error);
    };
    channel.send(&Response::Ready {
        shell: shell.display(),
        init_pid: host_pid,
    })?;
    Server::new(channel, KillScope::Namespace, shell, limits)?.serve()
}

fn finish_root(setup: &IsolatedSetup) -> Result<(), StageError> {
    let strict = !setup.user_namespace;
    mount_proc(strict)?;
    mount_sys()?;
    mount_dev()?;
    mount_tmpfs("tmp", "mode=1777").stage("/tmp")?;
    mount_run(setup.ca_bundle.as_deref())?;
    for file in &setup.bind_files {
        bind_read_only(Path::new(file), &inside(file)).stage("bind host file")?;
    }
    for path in &setup.masks {
        mask(path)?;
    }
    if setup.network_off {
        sys::loopback_up().stage("loopback interface")?;
    }
    std::env::set_current_dir(MERGED).stage("pivot_root")?;
    sys::pivot_root_here().stage("pivot_root")?;
    umount2(".", MntFlags::MNT_DETACH).stage("detach the old root")?;
    std::env::set_current_dir("/").stage("pivot_root")?;
    Ok(())
}

/// `merged/<path>` for a path inside the sandbox.
fn inside(path: &str) -> PathBuf {
    Path::new(MERGED).join(path.trim_start_matches('/'))
}

fn mount_proc(strict: bool) -> Result<(), StageError> {
    let proc = inside("/proc");
    mount(
        Some("proc"),
        &proc,
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .stage("/proc")?;
    for entry in PROC_READ_ONLY {
        let path = proc.join(entry);
        if !path.exists() {
            continue;
        }
        let result = bind_read_only(&path, &path);
        if strict {
            result.stage("/proc read-only parts")?;
        }
    }
    for entry in PROC_HIDDEN {
        let path = proc.join(entry);
        if !path.exists() {
            continue;
        }
        let result = bind(Path::new("/dev/null"), &path);
        if strict {
            result.stage("/proc hidden parts")?;
        }
    }
    Ok(())
}

fn mount_sys() -> Result<(), StageError> {
    let sys = inside("/sys");
    let flags = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    if mount(Some("sysfs"), &sys, Some("sysfs"), flags, None::<&str>).is_ok() {
        return Ok(());
    }
    // Without a network namespace of our own, a user namespace may not mount sysfs: show the
    // host's, read-only.
    mount(
        Some("/sys"),
        &sys,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .stage("/sys")?;
    mount(
        None::<&str>,
        &sys,
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | flags,
        None::<&str>,
    )
    .stage("/sys read-only")
}

fn mount_dev() -> Result<(), StageError> {
    let dev = inside("/dev");
    mount(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
        Some("mode=755,size=65536k"),
    )
    .stage("/dev")?;
    for device in DEVICES {
        let target = dev.join(device);
        fs::write(&target, b"").stage("/dev nodes")?;
        bind(&Path::new("/dev").join(device), &target).stage("/dev nodes")?;
    }
    let pts = dev.join("pts");
    fs::create_dir(&pts).stage("/dev/pts")?;
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .stage("/dev/pts")?;
    symlink("pts/ptmx", dev.join("ptmx")).stage("/dev/ptmx")?;
    let shm = dev.join("shm");
    fs::create_dir(&shm).stage("/dev/shm")?;
    mount(
        Some("tmpfs"),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some("mode=1777"),
    )
    .stage("/dev/shm")?;
    for (name, target) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
        ("core", "/proc/kcore"),
    ] {
        symlink(target, dev.join(name)).stage("/dev links")?;
    }
    Ok(())
}

fn mount_tmpfs(path: &str, options: &str) -> io::Result<()> {
    mount(
        Some("tmpfs"),
        &inside(path),
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
        Some(options),
    )
    .map_err(io::Error::from)
}

fn mount_run(ca_bundle: Option<&str>) -> Result<(), StageError> {
    mount_tmpfs("run", "mode=755").stage("/run")?;
    let lock = inside("/run/lock");
    fs::create_dir(&lock).stage("/run/lock")?;
    fs::set_permissions(&lock, fs::Permissions::from_mode(0o1777)).stage("/run/lock")?;
    let own = inside("/run/agent-install");
    fs::create_dir(&own).stage("/run/agent-install")?;
    if let Some(bundle) = ca_bundle {
        let destination = own.join("ca-certificates.crt");
        fs::copy(bundle, &destination).stage("CA bundle")?;
        fs::set_permissions(&destination, fs::Permissions::from_mode(0o644)).stage("CA bundle")?;
    }
    Ok(())
}

/// Hides a secret path: an empty tmpfs over a directory, `/dev/null` over a file. A path the
/// sandbox cannot reach anyway (rootless, behind a directory it may not search) is skipped.
fn mask(path: &str) -> Result<(), StageError> {
    let target = inside(path);
    let metadata = match fs::symlink_metadata(&target) {
        Ok(metadata) => metadata,
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied
            ) =>
        {
            return Ok(());
        }
        Err(error) => {
            return Err(StageError {
                stage: "mask secret path",
                error,
            });
        }
    };
    if metadata.file_type().is_symlink() {
        return Ok(());
    }
    if !sys::accessible(&target) {
        return Ok(());
    }
    if metadata.is_dir() {
        mount(
            Some("tmpfs"),
            &target,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            Some("mode=700,size=1024k"),
        )
        .stage("mask secret path")
    } else {
        bind_read_only(Path::new("/dev/null"), &target).stage("mask secret path")
    }
}

fn bind(source: &Path, target: &Path) -> io::Result<()> {
    mount(
        Some(source),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(io::Error::from)
}

fn bind_read_only(source: &Path, target: &Path) -> io::Result<()> {
    bind(source, target)?;
    // Inside a user namespace the flags inherited from the source mount (nosuid, nodev, ...)
    // are locked: a remount must repeat them or it fails with EPERM.
    let inherited = MsFlags::from_bits_truncate(sys::mount_flags(target)?);
    mount(
        None::<&str>,
        target,
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY | inherited,
        None::<&str>,
    )
    .map_err(io::Error::from)
}
