//! Base root filesystems: `/`, a directory, or a named base built by a script in
//! `sandboxes/<name>/build.sh` and cached per machine.
//!
//! The build scripts are compiled into the binary and run with bash when a named base is first
//! used, so `--base debian-bookworm` works from any directory. The script owns the cache layout
//! (atomic rename, stamp file, lock), which CI and tests share by calling the same script.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::SandboxError;

/// A base that a script builds: (name, directory in the cache, script text).
struct NamedBase {
    name: &'static str,
    directory: &'static str,
    script: &'static str,
}

const NAMED_BASES: &[NamedBase] = &[NamedBase {
    name: "debian-bookworm",
    directory: "debian-bookworm-minbase",
    script: include_str!("../../sandboxes/debian-bookworm/build.sh"),
}];

/// The names accepted by [`resolve`] besides paths.
pub fn named_bases() -> Vec<&'static str> {
    NAMED_BASES.iter().map(|base| base.name).collect()
}

/// Where built bases are cached: the `rootfs/` directory of the cache (see
/// [`crate::config::rootfs_cache_dir`]).
pub fn cache_root() -> PathBuf {
    crate::config::rootfs_cache_dir()
}

/// The cached directory of a named base, if it was built completely.
pub fn cached(name: &str) -> Option<PathBuf> {
    let base = NAMED_BASES.iter().find(|base| base.name == name)?;
    let root = cache_root();
    let directory = root.join(base.directory);
    let stamp = root.join(format!("{}.stamp", base.directory));
    (stamp.is_file() && directory.is_dir()).then_some(directory)
}

/// Resolves a `--base` value: `/`, a directory, or a named base (built now if missing; the
/// script reports progress on stderr).
pub fn resolve(spec: &str) -> Result<PathBuf, SandboxError> {
    if spec == "/" {
        return Ok(PathBuf::from("/"));
    }
    let path = Path::new(spec);
    if path.is_dir() {
        return path
            .canonicalize()
            .map_err(|source| SandboxError::BaseUnavailable {
                name: spec.to_string(),
                reason: source.to_string(),
            });
    }
    if !spec.contains('/') && NAMED_BASES.iter().any(|base| base.name == spec) {
        return ensure(spec);
    }
    let reason = if path.exists() {
        "not a directory (a base is a root filesystem directory)".to_string()
    } else {
        format!(
            "no such directory, and not a named base ({})",
            named_bases().join(", ")
        )
    };
    Err(SandboxError::BaseUnavailable {
        name: spec.to_string(),
        reason,
    })
}

/// Returns the cached base, building it first with its script when it is missing.
pub fn ensure(name: &str) -> Result<PathBuf, SandboxError> {
    if let Some(directory) = cached(name) {
        return Ok(directory);
    }
    let unavailable = |reason: String| SandboxError::BaseUnavailable {
        name: name.to_string(),
        reason,
    };
    let base = NAMED_BASES
        .iter()
        .find(|base| base.name == name)
        .ok_or_else(|| unavailable("unknown base".to_string()))?;
    eprintln!("agent-install: building the `{name}` base root filesystem (once per machine) ...");
    let output = Command::new("bash")
        .arg("-c")
        .arg(base.script)
        .arg(format!("sandboxes/{name}/build.sh"))
        .env("AGENT_INSTALL_ROOTFS_CACHE", cache_root())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|source| unavailable(format!("could not run bash: {source}")))?;
    if !output.status.success() {
        return Err(unavailable(format!(
            "the build script failed ({})",
            output.status
        )));
    }
    cached(name).ok_or_else(|| unavailable("the build script did not produce it".to_string()))
}
