//! Helpers for the tests that drive the sandbox (`sandbox_*`, and the runs that need a rootfs):
//! a sandbox configuration that uses the real `agent-install` binary as its helper and a
//! per-test temp dir, the cached Debian minbase rootfs, and tree digests to prove nothing
//! changed. The leftover checks (processes, mounts, temp dirs) are in the parent module, which
//! every test shares.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use agent_install::sandbox::{Backend, ExecRequest, Observation, Sandbox, SandboxConfig, Stream};
use sha2::{Digest, Sha256};

use super::{binary, repo_root};

/// A temp dir for session directories, owned by one test, so leftovers can be checked.
pub fn temp_root() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("sandbox-test-")
        .tempdir()
        .expect("temp dir")
}

/// An overlay configuration on `base` with session dirs under `temp`.
pub fn config(base: &Path, temp: &Path) -> SandboxConfig {
    let mut config = SandboxConfig::new(Backend::Overlay);
    config.base = base.to_path_buf();
    config.helper = Some(binary());
    config.temp_root = Some(temp.to_path_buf());
    config
}

/// Runs a command, collecting every streamed line; prints everything if `expect_success` fails.
pub fn run(sandbox: &mut dyn Sandbox, command: &str) -> (Observation, Vec<(Stream, String)>) {
    let mut lines = Vec::new();
    let observation = sandbox
        .exec(&ExecRequest::new(command), &mut |stream, line| {
            lines.push((stream, line.to_string()))
        })
        .unwrap_or_else(|error| panic!("exec of `{command}` failed: {error}"));
    (observation, lines)
}

/// Runs a command that must succeed; returns its stdout.
pub fn run_ok(sandbox: &mut dyn Sandbox, command: &str) -> String {
    let (observation, _) = run(sandbox, command);
    assert!(
        observation.success(),
        "`{command}` {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        observation.outcome(),
        observation.stdout.text(),
        observation.stderr.text()
    );
    observation.stdout.text()
}

/// The cached Debian bookworm minbase rootfs, built by the same script CI and users run (about
/// a minute the first time on a machine; concurrent callers wait on its lock).
pub fn minbase() -> PathBuf {
    let script = repo_root().join("sandboxes/debian-bookworm/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .output()
        .expect("run build.sh");
    assert!(
        output.status.success(),
        "build.sh failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let path = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .expect("build.sh prints the rootfs path")
        .trim()
        .to_string();
    PathBuf::from(path)
}

/// A cache directory for `AGENT_INSTALL_CACHE_DIR` (the root of every cache) whose `rootfs/`
/// is the machine's built minbase, so that `--base debian-bookworm` finds it there instead of
/// building another one; plans go to `cache/plans/`.
pub fn cache_with_minbase(cache: &Path) {
    let rootfs_cache = minbase()
        .parent()
        .expect("the rootfs lives in a cache directory")
        .to_path_buf();
    std::fs::create_dir_all(cache).expect("create the cache directory");
    let link = cache.join("rootfs");
    if !link.exists() {
        std::os::unix::fs::symlink(&rootfs_cache, &link).expect("link the rootfs cache");
    }
}

/// Type, mode, owner, size and content hash (or link target) of every path under `root`,
/// skipping paths (relative, `/`-separated) for which `skip` is true.
pub fn tree_digest(root: &Path, skip: &dyn Fn(&str) -> bool) -> BTreeMap<String, String> {
    let mut digest = BTreeMap::new();
    walk(root, root, skip, &mut digest);
    digest
}

fn walk(
    root: &Path,
    directory: &Path,
    skip: &dyn Fn(&str) -> bool,
    digest: &mut BTreeMap<String, String>,
) {
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        if skip(&relative) {
            continue;
        }
        let Ok(metadata) = fs::symlink_metadata(&path) else {
            continue;
        };
        let kind = metadata.file_type();
        let content = if kind.is_symlink() {
            format!(
                "-> {}",
                fs::read_link(&path).unwrap_or_default().to_string_lossy()
            )
        } else if kind.is_file() {
            file_hash(&path)
        } else {
            String::new()
        };
        digest.insert(
            relative,
            format!(
                "{:o} {}:{} {} {}",
                metadata.mode(),
                metadata.uid(),
                metadata.gid(),
                if kind.is_dir() { 0 } else { metadata.len() },
                content
            ),
        );
        if kind.is_dir() {
            walk(root, &path, skip, digest);
        }
    }
}

pub fn file_hash(path: &Path) -> String {
    let mut hasher = Sha256::new();
    let Ok(mut file) = fs::File::open(path) else {
        return "unreadable".to_string();
    };
    let mut buffer = [0u8; 65536];
    loop {
        match file.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(count) => hasher.update(&buffer[..count]),
        }
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
