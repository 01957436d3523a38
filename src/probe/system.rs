//! Facts about the operating system and the user: kernel, architecture, C library, CPUs,
//! memory, free disk, who runs the probe and whether they can become root.
//!
//! These come from system calls and small files, not from running programs — except
//! `sudo -n true`, the only reliable way to know whether sudo works without a password, and
//! `ldd --version` for a binary that is not linked against glibc.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process;

/// The C library, which decides whether prebuilt Linux binaries (`-gnu` vs `-musl` release
/// assets) run here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Libc {
    pub family: LibcFamily,
    /// `2.36` for glibc, `1.2.4` for musl.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LibcFamily {
    Glibc,
    Musl,
    /// macOS's libSystem, Windows, or nothing recognisable.
    Unknown,
}

impl LibcFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            LibcFamily::Glibc => "glibc",
            LibcFamily::Musl => "musl",
            LibcFamily::Unknown => "unknown",
        }
    }
}

/// Physical memory, from `/proc/meminfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    pub total_bytes: u64,
    /// What can be used without swapping (`MemAvailable`).
    pub available_bytes: u64,
}

/// Free space of one directory's file system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskSpace {
    /// What the directory is for: `root`, `tmp` or `home`.
    pub name: String,
    pub path: String,
    /// Available to an unprivileged user (`f_bavail`), which is what an install can use.
    pub free_bytes: u64,
    pub total_bytes: u64,
}

/// Whether `sudo` exists and works without a password.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sudo {
    /// Where `sudo` is, if on PATH.
    pub path: Option<String>,
    /// `sudo -n true` succeeded within its deadline.
    pub passwordless: bool,
}

/// Who runs the probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFacts {
    /// The login name from the passwd entry (or `$USER`).
    pub name: Option<String>,
    /// The effective user id.
    pub uid: u32,
    /// The effective user is root.
    pub root: bool,
    /// `$HOME`, or the passwd entry's home directory.
    pub home: Option<String>,
    /// The login shell from the passwd entry.
    pub shell: Option<String>,
    pub sudo: Sudo,
}

/// The machine architecture as the kernel names it, with Apple's and Debian's spellings
/// mapped to the kernel's (`arm64` → `aarch64`, `amd64` → `x86_64`), so that release-asset
/// matching has one name per architecture.
pub fn architecture() -> String {
    let machine = nix::sys::utsname::uname()
        .ok()
        .map(|name| name.machine().to_string_lossy().into_owned())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    match machine.as_str() {
        "arm64" => "aarch64".to_string(),
        "amd64" => "x86_64".to_string(),
        _ => machine,
    }
}

/// The kernel release (`6.1.0-18-amd64`).
pub fn kernel() -> Option<String> {
    nix::sys::utsname::uname()
        .ok()
        .map(|name| name.release().to_string_lossy().into_owned())
}

/// The C library. A glibc-linked build asks the running glibc itself (exact, and free); any
/// other build looks for the musl loader and asks `ldd`.
pub async fn libc(timeout: Duration) -> Libc {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let _ = timeout;
        // SAFETY: gnu_get_libc_version takes no arguments and returns a pointer to a static,
        // NUL-terminated string owned by glibc, valid for the life of the process.
        let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        Libc {
            family: LibcFamily::Glibc,
            version: Some(version.to_string_lossy().into_owned()),
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        if !cfg!(target_os = "linux") {
            return Libc {
                family: LibcFamily::Unknown,
                version: None,
            };
        }
        let output = match process::run(Path::new("ldd"), &["--version"], timeout).await {
            Ok(finished) => format!("{}\n{}", finished.stdout, finished.stderr),
            Err(_) => String::new(),
        };
        let parsed = parse_ldd(&output);
        if parsed.family != LibcFamily::Unknown {
            return parsed;
        }
        let musl_loader = std::fs::read_dir("/lib").ok().is_some_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|entry| entry.file_name().to_string_lossy().starts_with("ld-musl-"))
        });
        Libc {
            family: if musl_loader {
                LibcFamily::Musl
            } else {
                LibcFamily::Unknown
            },
            version: None,
        }
    }
}

/// Reads the C library from `ldd --version` output (stdout and stderr together): glibc prints
/// `ldd (Debian GLIBC 2.36-9+deb12u4) 2.36`, musl prints `musl libc (x86_64)` and
/// `Version 1.2.4` (to stderr, exiting 1).
// A glibc build never asks ldd; the tests still check the parser.
#[cfg_attr(all(target_os = "linux", target_env = "gnu"), allow(dead_code))]
pub fn parse_ldd(output: &str) -> Libc {
    let lower = output.to_ascii_lowercase();
    if lower.contains("musl") {
        let version = output.lines().find_map(|line| {
            line.trim()
                .strip_prefix("Version")
                .map(|rest| rest.trim().to_string())
        });
        return Libc {
            family: LibcFamily::Musl,
            version,
        };
    }
    if lower.contains("glibc") || lower.contains("gnu libc") || lower.contains("gnu c library") {
        let version = output
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().last())
            .map(str::to_string);
        return Libc {
            family: LibcFamily::Glibc,
            version,
        };
    }
    Libc {
        family: LibcFamily::Unknown,
        version: None,
    }
}

/// CPUs this process may use (cgroup and affinity limits included).
pub fn cpus() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
}

/// Physical memory (sysinfo reads the kernel's counters).
pub fn memory() -> Option<Memory> {
    use sysinfo::{MemoryRefreshKind, RefreshKind, System};
    let system = System::new_with_specifics(
        RefreshKind::nothing().with_memory(MemoryRefreshKind::nothing().with_ram()),
    )
    .ok()?;
    let total_bytes = system.total_memory();
    (total_bytes > 0).then(|| Memory {
        total_bytes,
        available_bytes: system.available_memory(),
    })
}

/// Free space of `/`, the temp directory and the home directory: the space of the mounted
/// file system each is on (sysinfo lists them; the longest mount point that contains the
/// path wins).
pub fn disks(home: Option<&Path>) -> Vec<DiskSpace> {
    use sysinfo::{DiskRefreshKind, Disks};
    let Ok(mounted) =
        Disks::new_with_refreshed_list_specifics(DiskRefreshKind::nothing().with_storage())
    else {
        return Vec::new();
    };
    let mut places: Vec<(&str, PathBuf)> =
        vec![("root", PathBuf::from("/")), ("tmp", std::env::temp_dir())];
    if let Some(home) = home {
        places.push(("home", home.to_path_buf()));
    }
    places
        .into_iter()
        .filter_map(|(name, path)| {
            let resolved = path.canonicalize().unwrap_or_else(|_| path.clone());
            let disk = mounted
                .iter()
                .filter(|disk| resolved.starts_with(disk.mount_point()))
                .max_by_key(|disk| disk.mount_point().as_os_str().len())?;
            Some(DiskSpace {
                name: name.to_string(),
                path: path.display().to_string(),
                free_bytes: disk.available_space(),
                total_bytes: disk.total_space(),
            })
        })
        .collect()
}

/// Who runs the probe, without sudo (see [`sudo`]).
pub fn user() -> UserFacts {
    let uid = nix::unistd::geteuid();
    let entry = nix::unistd::User::from_uid(uid).ok().flatten();
    let name = entry
        .as_ref()
        .map(|entry| entry.name.clone())
        .or_else(|| std::env::var("USER").ok());
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| PathBuf::from(home).display().to_string())
        .or_else(|| entry.as_ref().map(|entry| entry.dir.display().to_string()));
    let shell = entry
        .as_ref()
        .map(|entry| entry.shell.display().to_string())
        .filter(|shell| !shell.is_empty());
    UserFacts {
        name,
        uid: uid.as_raw(),
        root: uid.is_root(),
        home,
        shell,
        sudo: Sudo::default(),
    }
}

/// Whether `sudo` is on PATH and runs without asking for a password. `-n` makes sudo fail
/// instead of prompting; the deadline covers a sudo that hangs resolving the host name.
pub async fn sudo(timeout: Duration) -> Sudo {
    let Ok(path) = which::which("sudo") else {
        return Sudo::default();
    };
    let passwordless = match process::run(&path, &["-n", "true"], timeout).await {
        Ok(finished) => finished.success,
        Err(error) => {
            tracing::debug!("sudo -n true: {error}");
            false
        }
    };
    Sudo {
        path: Some(path.display().to_string()),
        passwordless,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ldd_outputs() {
        let glibc = parse_ldd(
            "ldd (Debian GLIBC 2.36-9+deb12u4) 2.36\nCopyright (C) 2022 Free Software \
Foundation, Inc.\n",
        );
        assert_eq!(glibc.family, LibcFamily::Glibc);
        assert_eq!(glibc.version.as_deref(), Some("2.36"));
        let musl = parse_ldd(
            "\nmusl libc (x86_64)\nVersion 1.2.4\nDynamic Program Loader\nUsage: ldd [options]\n",
        );
        assert_eq!(musl.family, LibcFamily::Musl);
        assert_eq!(musl.version.as_deref(), Some("1.2.4"));
        assert_eq!(parse_ldd("").family, LibcFamily::Unknown);
    }

    #[tokio::test]
    async fn this_machine() {
        assert!(cpus() >= 1);
        assert!(!architecture().is_empty());
        let disks = disks(Some(Path::new("/")));
        assert!(
            disks
                .iter()
                .any(|disk| disk.name == "root" && disk.total_bytes > 0),
            "{disks:?}"
        );
        let memory = memory().expect("memory is known on Linux");
        assert!(memory.total_bytes >= memory.available_bytes && memory.available_bytes > 0);
        let libc = libc(Duration::from_secs(5)).await;
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert_eq!(libc.family, LibcFamily::Glibc);
            assert!(libc.version.is_some());
        }
        let user = user();
        assert_eq!(user.root, user.uid == 0);
    }
}
