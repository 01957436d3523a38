//! End to end on the Debian minbase rootfs: a Python package index served by the test.
//!
//! The test builds a pure-Python wheel by hand (Python's `zipfile`, with a console-script entry
//! point) and serves it in the PEP 503 "simple" layout. The doc installs Debian's pip and then
//! says `pip install --index-url … widget-py`. Debian's Python refuses (PEP 668, externally
//! managed); expected: the repair installs pipx and installs the package with it — from the
//! doc's index — and the console script verifies.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{FileServer, install, is_root, run_doc};
use sha2::{Digest, Sha256};

/// Builds `widget_py-1.0.0-py3-none-any.whl` in `directory` (a RECORD with real hashes, an
/// entry point `widget = widget_py:main`).
const BUILD_WHEEL: &str = r#"
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
name, version = "widget_py", "1.0.0"
info = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": 'def main():\n    print("widget-py 1.0.0")\n    return 0\n',
    f"{info}/METADATA": "Metadata-Version: 2.1\nName: widget-py\nVersion: 1.0.0\nSummary: a test tool\n",
    f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: agent-install-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    f"{info}/entry_points.txt": "[console_scripts]\nwidget = widget_py:main\n",
}
record = []
for path, text in files.items():
    data = text.encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(data)}")
record.append(f"{info}/RECORD,,")
files[f"{info}/RECORD"] = "\n".join(record) + "\n"
with zipfile.ZipFile(os.path.join(out, f"{name}-{version}-py3-none-any.whl"), "w", zipfile.ZIP_DEFLATED) as wheel:
    for path, text in files.items():
        wheel.writestr(path, text)
"#;

const WHEEL: &str = "widget_py-1.0.0-py3-none-any.whl";

/// Lays out `root` as a PEP 503 index: `simple/`, `simple/widget-py/`, `packages/WHEEL`.
fn build_index(root: &Path) {
    let packages = root.join("packages");
    let project = root.join("simple/widget-py");
    fs::create_dir_all(&packages).expect("mkdir");
    fs::create_dir_all(&project).expect("mkdir");
    let built = Command::new("python3")
        .arg("-c")
        .arg(BUILD_WHEEL)
        .arg(&packages)
        .output()
        .expect("python3 runs");
    assert!(
        built.status.success(),
        "building the wheel: {}",
        String::from_utf8_lossy(&built.stderr)
    );
    let wheel = fs::read(packages.join(WHEEL)).expect("wheel built");
    let digest: String = Sha256::digest(&wheel)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    fs::write(
        project.join("index.html"),
        format!(
            "<!DOCTYPE html>\n<html><body>\n<a href=\"../../packages/{WHEEL}#sha256={digest}\">{WHEEL}</a>\n</body></html>\n"
        ),
    )
    .expect("project page");
    fs::write(
        root.join("simple/index.html"),
        "<!DOCTYPE html>\n<html><body>\n<a href=\"widget-py/\">widget-py</a>\n</body></html>\n",
    )
    .expect("index page");
}

#[test]
fn pip_under_pep_668_is_repaired_with_pipx_from_the_docs_index() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let work = tempfile::tempdir().expect("temp dir");
    let served = work.path().join("index");
    build_index(&served);
    let server = FileServer::serve(&served);
    let doc = run_doc("pypi.md", server.port(), work.path());

    let run = install(&doc, &["--base", "debian-bookworm", "--no-apply"], &[], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.route(), Some("pip"), "{context}");

    // pip ran, was refused by Debian's Python, and its changes were rolled back.
    let pip_steps: Vec<&serde_json::Value> = run
        .steps()
        .iter()
        .filter(|step| {
            step["command"]
                .as_str()
                .unwrap_or_default()
                .starts_with("pip install")
        })
        .collect();
    assert_eq!(pip_steps.len(), 1, "{context}");
    assert_eq!(pip_steps[0]["exit_status"], 1, "{context}");
    assert_eq!(pip_steps[0]["rolled_back"], true, "{context}");
    assert!(
        run.transcript.iter().any(|event| event["type"] == "output"
            && event["line"]
                .as_str()
                .unwrap_or_default()
                .contains("externally-managed-environment")),
        "{context}"
    );

    // The PEP 668 repair: pipx from apt, then pipx with the doc's index.
    assert!(
        run.repairs()
            .iter()
            .any(|rule| rule == "pep668-externally-managed"),
        "{context}"
    );
    let allowed = run.commands_with_decision("allow");
    assert!(
        allowed
            .iter()
            .any(|command| command.starts_with("apt-get install") && command.ends_with("pipx")),
        "{context}"
    );
    let pipx = format!(
        "PIPX_HOME=/opt/pipx PIPX_BIN_DIR=/usr/local/bin pipx install --pip-args='--index-url {}' widget-py",
        server.url("simple/")
    );
    let pipx_step = run
        .steps()
        .iter()
        .find(|step| step["command"] == pipx.as_str())
        .unwrap_or_else(|| panic!("no `{pipx}` step\n{context}"));
    assert_eq!(pipx_step["exit_status"], 0, "{context}");

    // The wheel came from the test's index, and the entry point runs in a login shell.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|request| request.starts_with("GET /simple/widget-py/")),
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .any(|request| request.starts_with(&format!("GET /packages/{WHEEL}"))),
        "{requests:?}"
    );
    let verification = run.report["verification"].as_array().expect("verification");
    assert!(
        verification
            .iter()
            .any(|check| check["command"] == "widget --version"
                && check["passed"] == true
                && check["detail"] == "widget-py 1.0.0"),
        "{context}"
    );

    // Nothing on the host.
    assert!(!Path::new("/opt/pipx/venvs/widget-py").exists());
    assert!(!Path::new("/usr/local/bin/widget").exists());
}
