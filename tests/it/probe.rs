//! `agent-install probe`, run as the real binary on this machine.
//!
//! Facts are checked against independent readings (os-release, `uname -m`, `id -u`), so the
//! tests hold on any Linux machine; on the machines this project targets (Debian 12, x86_64,
//! root) they check exactly that. Two tests run the binary in a chroot: an empty one built
//! from the binary and its shared libraries (no os-release, no /proc, no tools at all), and,
//! when `AGENT_INSTALL_TEST_ROOTFS` names one, a minimal Debian rootfs made by debootstrap.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{agent_install, run_expecting};
use agent_install::probe::{DistroFamily, Probe};
use serde_json::Value;

/// A minimal Debian rootfs (e.g. `debootstrap --variant=minbase bookworm DIR`) to probe in.
const ROOTFS_VARIABLE: &str = "AGENT_INSTALL_TEST_ROOTFS";

fn probe_json(extra: &[&str]) -> (Value, Probe) {
    let output = run_expecting(agent_install().arg("probe").arg("--json").args(extra), 0);
    let value: Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|error| panic!("probe --json is not JSON ({error}):\n{}", output.stdout));
    let probe: Probe = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|error| panic!("probe --json is not a Probe ({error})"));
    (value, probe)
}

fn os_release_field(key: &str) -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines().find_map(|line| {
        let value = line.strip_prefix(key)?.strip_prefix('=')?;
        Some(value.trim_matches('"').to_string())
    })
}

fn command_output(program: &str, arguments: &[&str]) -> String {
    let output = Command::new(program)
        .args(arguments)
        .output()
        .unwrap_or_else(|error| panic!("{program} runs: {error}"));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn json_describes_this_machine() {
    let (json, probe) = probe_json(&[]);
    let distro = &json["system"]["distro"];
    assert_eq!(
        distro["id"].as_str(),
        Some(os_release_field("ID").as_deref().unwrap_or("unknown"))
    );
    assert_eq!(
        distro["version"].as_str(),
        os_release_field("VERSION_ID").as_deref()
    );
    assert_eq!(
        json["system"]["arch"].as_str(),
        Some(command_output("uname", &["-m"]).as_str())
    );
    let uid: u32 = command_output("id", &["-u"]).parse().expect("numeric uid");
    assert_eq!(json["user"]["uid"].as_u64(), Some(u64::from(uid)));
    assert_eq!(json["user"]["root"].as_bool(), Some(uid == 0));
    assert_eq!(probe.is_root(), uid == 0);
    assert!(json["system"]["os"].is_string());
    assert!(
        json["system"]["cpus"]
            .as_u64()
            .is_some_and(|cpus| cpus >= 1)
    );
    assert!(json["path"].is_array());
    assert!(json["duration_ms"].is_u64());
    assert!(
        json.get("network").is_none(),
        "network is only checked on request"
    );
    if probe.distro_family() == DistroFamily::Debian {
        assert!(probe.has("apt"), "a Debian machine without apt? {json:#}");
        assert!(probe.has("dpkg"));
        assert_eq!(probe.system_package_manager(), Some("apt"));
    }
}

/// The machines this project runs on: Debian 12 on x86_64, as root, with Debian's Python
/// marked externally managed and `sudo` absent.
#[test]
fn this_is_debian_12_x86_64_as_root() {
    if os_release_field("ID").as_deref() != Some("debian")
        || os_release_field("VERSION_ID").as_deref() != Some("12")
    {
        eprintln!("skipped: not a Debian 12 machine");
        return;
    }
    let (json, probe) = probe_json(&["--versions"]);
    assert_eq!(json["system"]["distro"]["id"], "debian");
    assert_eq!(json["system"]["distro"]["version"], "12");
    assert_eq!(json["system"]["distro"]["codename"], "bookworm");
    assert_eq!(json["system"]["distro"]["family"], "debian");
    assert_eq!(json["system"]["libc"]["family"], "glibc");
    assert_eq!(json["system"]["libc"]["version"], "2.36");
    assert!(json["package_managers"]["apt"]["version"].is_string());
    if command_output("uname", &["-m"]) == "x86_64" {
        assert_eq!(json["system"]["arch"], "x86_64");
    }
    if Path::new("/usr/bin/python3").exists() {
        assert!(probe.pep668(), "Debian 12's Python is externally managed");
        assert_eq!(json["python"]["system"]["path"], "/usr/bin/python3");
        assert_eq!(json["python"]["system"]["externally_managed"], true);
    }
    if Path::new("/etc/ssl/certs/ca-certificates.crt").exists() {
        assert!(probe.has("ca-certificates"));
    }
}

/// The probe without `--versions` reads Python's facts from files; with it, the interpreters
/// answer for themselves. The facts a plan depends on must not differ between the two: every
/// `apply` compares the fast fingerprint with one a `probe` may have shown.
#[test]
fn facts_read_from_files_match_what_the_interpreters_say() {
    let (fast, _) = probe_json(&[]);
    let (full, _) = probe_json(&["--versions"]);
    assert_eq!(fast["fingerprint"], full["fingerprint"]);
    for interpreter in ["on_path", "system"] {
        for fact in [
            "stdlib",
            "externally_managed",
            "virtual_environment",
            "pip",
            "pip_install_refused",
        ] {
            assert_eq!(
                fast["python"][interpreter][fact], full["python"][interpreter][fact],
                "python.{interpreter}.{fact}:\nfast {:#}\nfull {:#}",
                fast["python"], full["python"]
            );
        }
        // The exact version needs the interpreter; files give its series.
        if let (Some(series), Some(exact)) = (
            fast["python"][interpreter]["version"].as_str(),
            full["python"][interpreter]["version"].as_str(),
        ) {
            assert!(exact.starts_with(series), "{series} vs {exact}");
        }
    }
    // Only --versions runs the tools.
    if full["package_managers"]["apt"].is_object() {
        assert!(
            full["package_managers"]["apt"]["version"].is_string(),
            "{full:#}"
        );
        assert!(
            fast["package_managers"]["apt"]["version"].is_null(),
            "{fast:#}"
        );
    }
}

#[test]
fn fingerprint_is_stable_across_runs() {
    let (first, _) = probe_json(&[]);
    let (second, _) = probe_json(&[]);
    let fingerprint = first["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fingerprint.len(), 16);
    assert!(fingerprint.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(Some(fingerprint), second["fingerprint"].as_str());
}

#[test]
fn table_shows_the_key_lines() {
    let output = run_expecting(agent_install().arg("probe"), 0);
    let table = output.stdout;
    for line in [
        "system\n",
        "  distro ",
        "  arch ",
        "  libc ",
        "  memory ",
        "  disk root ",
        "user\n",
        "  root ",
        "  sudo ",
        "  PATH ",
        "package managers\n",
        "tools\n",
        "python\n",
        "  PEP 668 ",
        "network\n",
        "not checked (use --network)",
        "  fingerprint ",
    ] {
        assert!(table.contains(line), "missing {line:?} in:\n{table}");
    }
    let (json, _) = probe_json(&[]);
    let fingerprint = json["fingerprint"].as_str().expect("fingerprint");
    assert!(table.contains(fingerprint), "{table}");
    assert!(
        !table.contains('\x1b'),
        "no colours when stdout is not a terminal"
    );
    if os_release_field("ID").as_deref() == Some("debian") {
        assert!(table.contains("  apt "), "{table}");
    }
}

/// Live: the registries this project's machines reach (crates.io, PyPI, npm, Debian) answer;
/// GitHub may not, and must then be reported as unreachable rather than hang the probe.
#[test]
fn network_checks_registries() {
    let (json, _) = probe_json(&["--network"]);
    let checks = json["network"].as_array().expect("network checks");
    let check = |name: &str| {
        checks
            .iter()
            .find(|check| check["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check in {checks:#?}"))
    };
    for name in ["pypi", "npm", "crates.io", "github"] {
        let check = check(name);
        assert!(check["url"].is_string());
        assert!(check["reachable"].is_boolean());
        assert!(
            check["duration_ms"]
                .as_u64()
                .is_some_and(|duration| duration < 10_000),
            "{check}"
        );
    }
    assert_eq!(check("crates.io")["reachable"], true, "{checks:#?}");
    if Path::new("/etc/apt").is_dir() {
        assert!(check("debian")["url"].is_string());
    }
}

/// Copies the binary and the shared libraries it loads into an empty directory.
fn bare_root() -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp dir");
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_agent-install"));
    std::fs::copy(&binary, root.path().join("agent-install")).expect("copy binary");
    let listing = command_output("ldd", &[binary.to_str().expect("UTF-8 path")]);
    for library in listing
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
    {
        let target = root.path().join(library.trim_start_matches('/'));
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).expect("library directory");
        }
        std::fs::copy(library, &target).expect("copy library");
    }
    root
}

fn is_root() -> bool {
    command_output("id", &["-u"]) == "0"
}

/// `chroot` resolved on the test's own PATH: the child's PATH below is the chroot's.
fn chroot() -> Command {
    Command::new(which::which("chroot").unwrap_or_else(|_| PathBuf::from("/usr/sbin/chroot")))
}

/// A root with nothing in it: no os-release, no /proc, no /tmp, no tools, no Python. Every
/// fact that cannot be read is "unknown" or absent, and the probe still exits 0.
#[test]
fn empty_root_reports_unknown_without_panicking() {
    if !is_root() {
        eprintln!("skipped: chroot needs root");
        return;
    }
    let root = bare_root();
    let output = chroot()
        .arg(root.path())
        .args(["/agent-install", "probe", "--json"])
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("NO_COLOR", "1")
        .output()
        .expect("chroot runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        output.status
    );
    let probe: Probe = serde_json::from_str(&stdout).expect("a Probe");
    assert_eq!(probe.system.distro.id, "unknown");
    assert_eq!(probe.distro_family(), DistroFamily::Unknown);
    assert!(probe.package_managers.is_empty(), "{stdout}");
    assert!(probe.tools.is_empty(), "{stdout}");
    assert!(probe.python.on_path.is_none() && probe.python.system.is_none());
    assert!(!probe.has("sudo") && !probe.can_sudo());
    assert!(!probe.pep668());
    assert_eq!(probe.system_package_manager(), None);
    assert_eq!(probe.fingerprint.len(), 16);
}

/// A minimal Debian rootfs: apt and dpkg, no sudo, no python3, no curl.
#[test]
fn minimal_debian_rootfs() {
    let Some(rootfs) = std::env::var_os(ROOTFS_VARIABLE).map(PathBuf::from) else {
        eprintln!("skipped: set {ROOTFS_VARIABLE} to a debootstrap'ed Debian rootfs");
        return;
    };
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_agent-install"));
    let inside = tempfile::Builder::new()
        .prefix("agent-install-probe-test")
        .tempdir_in(rootfs.join("tmp"))
        .expect("temp dir in the rootfs");
    std::fs::copy(&binary, inside.path().join("agent-install")).expect("copy binary");
    let binary_inside = Path::new("/").join(
        inside
            .path()
            .strip_prefix(&rootfs)
            .expect("inside the rootfs")
            .join("agent-install"),
    );
    let output = chroot()
        .arg(&rootfs)
        .arg(&binary_inside)
        .args(["probe", "--json"])
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/root")
        .output()
        .expect("chroot runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let probe: Probe = serde_json::from_str(&stdout).expect("a Probe");
    assert_eq!(probe.system.distro.id, "debian");
    assert!(probe.has("apt") && probe.has("dpkg"));
    assert!(!probe.has("sudo"));
    assert!(!probe.has("curl"));
    assert!(probe.python.on_path.is_none());
    assert!(probe.is_root());
}
