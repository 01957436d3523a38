//! Python interpreters and PEP 668: will `pip install` be refused here?
//!
//! Since Debian 12 and Ubuntu 23.04 the system Python carries an `EXTERNALLY-MANAGED` marker in
//! its standard-library directory, and pip ≥ 23.0 refuses to install into it outside a virtual
//! environment. Many install docs still say `pip install x`, so the planner must know ahead of
//! time whether to switch to pipx or a venv. Two interpreters matter and often differ: the
//! `python3` first on PATH (what a doc's `pip install` reaches; on these machines a pyenv
//! build) and the system one at `/usr/bin/python3` (what `apt install python3-x` and a fresh
//! sandbox base see). Both are reported.
//!
//! Each interpreter is asked about itself with one short script (`sys.executable`, the stdlib
//! directory, whether it runs in a venv, where pip is). `pip --version` is never run: it
//! imports most of pip and costs close to a second here, more than the whole probe may take;
//! pip's version is read from its `__init__.py` instead.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::process;

/// The system interpreter's path on Linux distributions.
pub const SYSTEM_PYTHON: &str = "/usr/bin/python3";
/// The marker file of PEP 668, in the interpreter's `stdlib` directory.
pub const EXTERNALLY_MANAGED: &str = "EXTERNALLY-MANAGED";
/// pip's switch that ignores the marker, as an environment variable.
pub const BREAK_SYSTEM_PACKAGES_VARIABLE: &str = "PIP_BREAK_SYSTEM_PACKAGES";
/// An explicit pip configuration file, which replaces the usual ones.
pub const PIP_CONFIG_FILE_VARIABLE: &str = "PIP_CONFIG_FILE";
/// The first pip release that honours the marker.
const FIRST_PIP_WITH_PEP668: (u64, u64) = (23, 0);

/// Asks an interpreter about itself; prints one JSON object. Kept to modules that load fast
/// (`sysconfig`, `json`, `importlib.util`): `find_spec` locates pip without importing it.
const INTERPRETER_SCRIPT: &str = "import sys, sysconfig, json, importlib.util
spec = importlib.util.find_spec('pip')
print(json.dumps({
    'version': '%d.%d.%d' % sys.version_info[:3],
    'executable': sys.executable,
    'prefix': sys.prefix,
    'base_prefix': getattr(sys, 'base_prefix', sys.prefix),
    'stdlib': sysconfig.get_path('stdlib'),
    'pip_module': spec.origin if spec is not None else None,
}))";

/// One Python interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonInterpreter {
    /// The path it was found at (on PATH, or `/usr/bin/python3`); may be a shim.
    pub path: String,
    /// The real executable behind it (`sys.executable`), when it answered.
    pub executable: Option<String>,
    /// `3.11.2`, when it answered.
    pub version: Option<String>,
    /// Its standard-library directory, where the PEP 668 marker would be.
    pub stdlib: Option<String>,
    /// The PEP 668 marker is present.
    pub externally_managed: bool,
    /// It runs inside a virtual environment (`sys.prefix != sys.base_prefix`), where the marker
    /// does not apply.
    pub virtual_environment: bool,
    /// The version of the pip this interpreter imports, if any.
    pub pip: Option<String>,
    /// `pip install` with this interpreter would be refused (PEP 668).
    pub pip_install_refused: bool,
}

/// Both interpreters that matter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PythonFacts {
    /// The `python3` first on PATH.
    pub on_path: Option<PythonInterpreter>,
    /// `/usr/bin/python3`, the distribution's own.
    pub system: Option<PythonInterpreter>,
}

/// What the interpreter script prints.
#[derive(Debug, Deserialize)]
struct ScriptReport {
    version: Option<String>,
    executable: Option<String>,
    prefix: Option<String>,
    base_prefix: Option<String>,
    stdlib: Option<String>,
    pip_module: Option<String>,
}

/// Probes the `python3` on PATH (`on_path`, from the `which` lookup already made) and the
/// system one, concurrently. The system one is skipped where it does not exist and on macOS,
/// where `/usr/bin/python3` is a stub that may offer to install developer tools.
///
/// With `run_interpreters` false, each interpreter is first read from its files
/// ([`read_statically`]: no process, a fraction of a millisecond) and run only when its layout
/// is not one that can be read; the facts are the same, the version only `major.minor`.
pub async fn probe(
    on_path: Option<PathBuf>,
    timeout: Duration,
    run_interpreters: bool,
) -> PythonFacts {
    let break_system_packages = breaks_system_packages();
    let system_path = PathBuf::from(SYSTEM_PYTHON);
    let probe_system = cfg!(not(target_os = "macos")) && system_path.is_file();
    // Asking the same interpreter twice would only cost time.
    let same = on_path
        .as_deref()
        .is_some_and(|path| same_interpreter(path, &system_path));
    let ask = |path: PathBuf| async move {
        if !run_interpreters && let Some(read) = read_statically(&path, break_system_packages) {
            return read;
        }
        interpret(&path, timeout, break_system_packages).await
    };
    let path_probe = async {
        match &on_path {
            Some(path) => Some(ask(path.clone()).await),
            None => None,
        }
    };
    let system_probe = async {
        if probe_system && !same {
            Some(ask(system_path.clone()).await)
        } else {
            None
        }
    };
    let (on_path_interpreter, system_interpreter) = tokio::join!(path_probe, system_probe);
    let system_interpreter = if same && probe_system {
        on_path_interpreter
            .clone()
            .map(|interpreter| PythonInterpreter {
                path: SYSTEM_PYTHON.to_string(),
                ..interpreter
            })
    } else {
        system_interpreter
    };
    PythonFacts {
        on_path: on_path_interpreter,
        system: system_interpreter,
    }
}

/// The same interpreter: the same name in the same directory once the directories' links are
/// resolved (`/bin/python3` is `/usr/bin/python3` on a merged-/usr system). The final link is
/// deliberately not followed: a venv's `bin/python3` links to the system binary, yet behaves
/// differently (the venv's `pyvenv.cfg` beside it changes `sys.prefix`).
fn same_interpreter(left: &Path, right: &Path) -> bool {
    let resolve = |path: &Path| {
        let directory = path.parent()?.canonicalize().ok()?;
        Some(directory.join(path.file_name()?))
    };
    match (resolve(left), resolve(right)) {
        (Some(left), Some(right)) => left == right,
        _ => false,
    }
}

/// Runs the script with one interpreter. An interpreter that fails or times out is still
/// reported, by path, with what is unknown left empty.
async fn interpret(
    path: &Path,
    timeout: Duration,
    break_system_packages: bool,
) -> PythonInterpreter {
    let arguments = ["-c", INTERPRETER_SCRIPT];
    let started = std::time::Instant::now();
    let result = process::run(path, &arguments, timeout).await;
    tracing::debug!(
        "{}: answered in {} ms",
        path.display(),
        started.elapsed().as_millis()
    );
    let report = match result {
        Ok(output) if output.success => serde_json::from_str::<ScriptReport>(output.stdout.trim())
            .map_err(|error| {
                tracing::debug!("{}: unreadable interpreter report: {error}", path.display())
            })
            .ok(),
        Ok(output) => {
            tracing::debug!("{} failed: {}", path.display(), output.stderr.trim());
            None
        }
        Err(error) => {
            tracing::debug!("{}: {error}", path.display());
            None
        }
    };
    let Some(report) = report else {
        return PythonInterpreter {
            path: path.display().to_string(),
            executable: None,
            version: None,
            stdlib: None,
            externally_managed: false,
            virtual_environment: false,
            pip: None,
            pip_install_refused: false,
        };
    };
    let externally_managed = report
        .stdlib
        .as_deref()
        .is_some_and(|stdlib| is_externally_managed(Path::new(stdlib)));
    let virtual_environment = match (&report.prefix, &report.base_prefix) {
        (Some(prefix), Some(base)) => prefix != base,
        _ => false,
    };
    let pip = report
        .pip_module
        .as_deref()
        .and_then(|module| std::fs::read_to_string(module).ok())
        .and_then(|text| pip_version_in(&text));
    let pip_install_refused = pip_refuses_install(
        externally_managed,
        virtual_environment,
        pip.as_deref(),
        break_system_packages,
    );
    PythonInterpreter {
        path: path.display().to_string(),
        executable: report.executable,
        version: report.version,
        stdlib: report.stdlib,
        externally_managed,
        virtual_environment,
        pip,
        pip_install_refused,
    }
}

/// An interpreter's facts read from its files, without running it, for the layouts that can
/// be read with certainty: a real `pythonX.Y` binary under `PREFIX/bin` with its standard
/// library in `PREFIX/lib/pythonX.Y` (distributions, pyenv builds, python.org builds), a
/// virtual environment (`pyvenv.cfg` beside or above it), and a pyenv shim (resolved the way
/// pyenv resolves it: `PYENV_VERSION`, `.python-version` up from the working directory, the
/// global `version` file). `None` for anything else; the caller runs the interpreter then.
/// pip is looked for where the interpreter's `sys.path` would find it first.
pub fn read_statically(path: &Path, break_system_packages: bool) -> Option<PythonInterpreter> {
    let target = match pyenv_shim_target(path) {
        Some(target) => target,
        None => path.to_path_buf(),
    };
    if is_script(&target) {
        return None;
    }
    let virtual_environment = venv_root(&target);
    let (real, venv_version) = match &virtual_environment {
        Some((_, config)) => {
            let home = pyvenv_value(config, "home")?;
            let base = ["python3", "python"]
                .iter()
                .map(|name| Path::new(&home).join(name))
                .find(|candidate| candidate.is_file())?;
            (
                base.canonicalize().ok()?,
                pyvenv_value(config, "version_info").or_else(|| pyvenv_value(config, "version")),
            )
        }
        None => (target.canonicalize().ok()?, None),
    };
    let (major, minor) = python_version_of_name(real.file_name()?.to_str()?)?;
    let series = format!("python{major}.{minor}");
    let prefix = real.parent()?.parent()?;
    let stdlib = prefix.join("lib").join(&series);
    if !stdlib.join("os.py").is_file() {
        return None;
    }
    let externally_managed = is_externally_managed(&stdlib);
    let site_directories: Vec<PathBuf> = match &virtual_environment {
        Some((root, _)) => vec![root.join("lib").join(&series).join("site-packages")],
        None => {
            let mut directories = Vec::new();
            if let Some(home) = std::env::var_os("HOME") {
                directories.push(
                    Path::new(&home)
                        .join(".local/lib")
                        .join(&series)
                        .join("site-packages"),
                );
            }
            directories.push(prefix.join("local/lib").join(&series).join("dist-packages"));
            directories.push(prefix.join("lib/python3/dist-packages"));
            directories.push(prefix.join("lib").join(&series).join("site-packages"));
            directories.push(prefix.join("lib").join(&series).join("dist-packages"));
            directories
        }
    };
    let pip = site_directories.iter().find_map(|directory| {
        let text = std::fs::read_to_string(directory.join("pip/__init__.py")).ok()?;
        pip_version_in(&text)
    });
    let in_venv = virtual_environment.is_some();
    let version = venv_version
        .map(|version| version.trim().to_string())
        .unwrap_or_else(|| format!("{major}.{minor}"));
    Some(PythonInterpreter {
        path: path.display().to_string(),
        executable: Some(target.display().to_string()),
        version: Some(version),
        stdlib: Some(stdlib.display().to_string()),
        externally_managed,
        virtual_environment: in_venv,
        pip_install_refused: pip_refuses_install(
            externally_managed,
            in_venv,
            pip.as_deref(),
            break_system_packages,
        ),
        pip,
    })
}

/// A `#!` script (a shim or wrapper) rather than the interpreter itself.
fn is_script(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0_u8; 2];
    std::fs::File::open(path)
        .and_then(|mut file| file.read_exact(&mut head))
        .map(|()| &head == b"#!")
        .unwrap_or(true)
}

/// `python3.11` → `(3, 11)`.
fn python_version_of_name(name: &str) -> Option<(u64, u64)> {
    let (major, minor) = name.strip_prefix("python")?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The virtual environment an interpreter belongs to: its root (where `pyvenv.cfg` is: one
/// directory above `bin/`, or beside the executable, as Python looks for it) and the file's
/// text.
fn venv_root(interpreter: &Path) -> Option<(PathBuf, String)> {
    let directory = interpreter.parent()?;
    [directory.parent()?, directory]
        .iter()
        .find_map(|candidate| {
            std::fs::read_to_string(candidate.join("pyvenv.cfg"))
                .ok()
                .map(|text| (candidate.to_path_buf(), text))
        })
}

/// A `key = value` line of `pyvenv.cfg`.
fn pyvenv_value(config: &str, key: &str) -> Option<String> {
    config.lines().find_map(|line| {
        let (name, value) = line.split_once('=')?;
        (name.trim() == key).then(|| value.trim().to_string())
    })
}

/// The interpreter a pyenv shim (`$PYENV_ROOT/shims/NAME`) runs, resolved without running
/// pyenv: the first version of `PYENV_VERSION`, else of the nearest `.python-version` from the
/// working directory up, else of `$PYENV_ROOT/version`. `None` when `path` is no pyenv shim, or
/// the version is `system` or not installed (pyenv then searches PATH itself).
fn pyenv_shim_target(path: &Path) -> Option<PathBuf> {
    let shims = path.parent()?;
    if shims.file_name()? != "shims" {
        return None;
    }
    let root = shims.parent()?;
    let versions = root.join("versions");
    if !versions.is_dir() {
        return None;
    }
    let first_word = |text: &str| {
        text.split(|character: char| character.is_whitespace() || character == ':')
            .find(|word| !word.is_empty() && !word.starts_with('#'))
            .map(str::to_string)
    };
    let version = std::env::var("PYENV_VERSION")
        .ok()
        .and_then(|value| first_word(&value))
        .or_else(|| {
            let directory = std::env::current_dir().ok()?;
            directory.ancestors().find_map(|directory| {
                std::fs::read_to_string(directory.join(".python-version"))
                    .ok()
                    .and_then(|text| first_word(&text))
            })
        })
        .or_else(|| {
            std::fs::read_to_string(root.join("version"))
                .ok()
                .and_then(|text| first_word(&text))
        })?;
    if version == "system" {
        return None;
    }
    let target = versions.join(&version).join("bin").join(path.file_name()?);
    target.is_file().then_some(target)
}

/// The PEP 668 marker is in this stdlib directory.
pub fn is_externally_managed(stdlib: &Path) -> bool {
    stdlib.join(EXTERNALLY_MANAGED).is_file()
}

/// Whether `pip install` (without `--break-system-packages`) would stop with
/// "externally-managed-environment". Without pip there is nothing to refuse; a pip of unknown
/// version is assumed recent.
pub fn pip_refuses_install(
    externally_managed: bool,
    virtual_environment: bool,
    pip_version: Option<&str>,
    break_system_packages: bool,
) -> bool {
    let Some(pip_version) = pip_version else {
        return false;
    };
    let honours_marker = leading_numbers(pip_version)
        .map(|version| version >= FIRST_PIP_WITH_PEP668)
        .unwrap_or(true);
    externally_managed && !virtual_environment && !break_system_packages && honours_marker
}

/// `23.0.1` → `(23, 0)`.
fn leading_numbers(version: &str) -> Option<(u64, u64)> {
    let mut parts = version.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts
        .next()
        .map(|part| {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap_or(0)
        })
        .unwrap_or(0);
    Some((major, minor))
}

/// Finds `__version__ = "23.2.1"` in pip's `__init__.py`.
pub fn pip_version_in(init_source: &str) -> Option<String> {
    init_source.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("__version__")?;
        let value = rest.trim_start().strip_prefix('=')?.trim();
        let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let inner = &value[1..];
        let end = inner.find(quote)?;
        Some(inner[..end].to_string())
    })
}

/// pip is told to ignore the marker, by `PIP_BREAK_SYSTEM_PACKAGES` or by
/// `break-system-packages = true` in a pip configuration file.
fn breaks_system_packages() -> bool {
    if let Ok(value) = std::env::var(BREAK_SYSTEM_PACKAGES_VARIABLE) {
        return is_true(&value);
    }
    pip_config_files()
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .any(|text| config_breaks_system_packages(&text))
}

/// The pip configuration files pip itself reads, global then user.
fn pip_config_files() -> Vec<PathBuf> {
    if let Some(file) = std::env::var_os(PIP_CONFIG_FILE_VARIABLE) {
        return vec![PathBuf::from(file)];
    }
    let mut files = vec![
        PathBuf::from("/etc/pip.conf"),
        PathBuf::from("/etc/xdg/pip/pip.conf"),
    ];
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")));
    if let Some(config_home) = config_home {
        files.push(config_home.join("pip/pip.conf"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        files.push(PathBuf::from(home).join(".pip/pip.conf"));
    }
    files
}

/// A pip configuration file (INI) sets `break-system-packages` to a true value in any section.
pub fn config_breaks_system_packages(text: &str) -> bool {
    text.lines().any(|line| {
        let Some((key, value)) = line.split_once('=') else {
            return false;
        };
        let key = key.trim().replace('_', "-");
        key == "break-system-packages" && is_true(value)
    })
}

/// How pip reads a boolean option.
fn is_true(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_in_a_temp_stdlib() {
        let stdlib = tempfile::tempdir().expect("temp dir");
        assert!(!is_externally_managed(stdlib.path()));
        std::fs::write(
            stdlib.path().join(EXTERNALLY_MANAGED),
            "[externally-managed]\nError=use apt\n",
        )
        .expect("write marker");
        assert!(is_externally_managed(stdlib.path()));
    }

    #[test]
    fn refusal_needs_marker_no_venv_and_a_recent_pip() {
        assert!(pip_refuses_install(true, false, Some("23.0.1"), false));
        assert!(pip_refuses_install(true, false, Some("24.2"), false));
        assert!(!pip_refuses_install(false, false, Some("23.0.1"), false));
        assert!(!pip_refuses_install(true, true, Some("23.0.1"), false));
        assert!(!pip_refuses_install(true, false, Some("22.3.1"), false));
        assert!(!pip_refuses_install(true, false, Some("23.0.1"), true));
        assert!(!pip_refuses_install(true, false, None, false));
        assert!(pip_refuses_install(true, false, Some("unreleased"), false));
    }

    #[test]
    fn pip_version_from_init() {
        let source = "from typing import List, Optional\n\n__version__ = \"23.2.1\"\n\n\
def main(args: Optional[List[str]] = None) -> int:\n";
        assert_eq!(pip_version_in(source).as_deref(), Some("23.2.1"));
        assert_eq!(
            pip_version_in("__version__='9.0.1'\n").as_deref(),
            Some("9.0.1")
        );
        assert_eq!(pip_version_in("version = '1'\n"), None);
    }

    #[test]
    fn config_file_switch() {
        assert!(config_breaks_system_packages(
            "[global]\nbreak-system-packages = true\n"
        ));
        assert!(config_breaks_system_packages(
            "[install]\nbreak_system_packages=1\n"
        ));
        assert!(!config_breaks_system_packages(
            "[global]\nbreak-system-packages = false\n"
        ));
        assert!(!config_breaks_system_packages("[global]\ntimeout = 60\n"));
    }

    #[test]
    fn versions_compare_by_major_and_minor() {
        assert_eq!(leading_numbers("23.0.1"), Some((23, 0)));
        assert_eq!(leading_numbers("24.1b1"), Some((24, 1)));
        assert_eq!(leading_numbers("x"), None);
    }

    #[test]
    fn a_venv_is_not_the_system_interpreter() {
        let directory = tempfile::tempdir().expect("temp dir");
        let bin = directory.path().join("bin");
        std::fs::create_dir(&bin).expect("mkdir");
        let real = bin.join("python3.11");
        std::fs::write(&real, "").expect("write");
        let venv = directory.path().join("venv/bin");
        std::fs::create_dir_all(&venv).expect("mkdir");
        std::os::unix::fs::symlink(&real, venv.join("python3")).expect("symlink");
        std::os::unix::fs::symlink(&bin, directory.path().join("merged")).expect("symlink");
        assert!(!same_interpreter(&venv.join("python3"), &real));
        assert!(same_interpreter(
            &directory.path().join("merged/python3.11"),
            &real
        ));
    }

    /// A fake installation: `PREFIX/bin/python3.12` with a standard library (and marker) and
    /// a pip, and a venv made from it.
    fn fake_python(prefix: &Path, marker: bool, pip: &str) -> PathBuf {
        let bin = prefix.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let binary = bin.join("python3.12");
        std::fs::write(&binary, b"\x7fELF").unwrap();
        std::os::unix::fs::symlink("python3.12", bin.join("python3")).unwrap();
        let stdlib = prefix.join("lib/python3.12");
        std::fs::create_dir_all(stdlib.join("site-packages/pip")).unwrap();
        std::fs::write(stdlib.join("os.py"), "").unwrap();
        if marker {
            std::fs::write(stdlib.join(EXTERNALLY_MANAGED), "[externally-managed]\n").unwrap();
        }
        std::fs::write(
            stdlib.join("site-packages/pip/__init__.py"),
            format!("__version__ = \"{pip}\"\n"),
        )
        .unwrap();
        bin.join("python3")
    }

    #[test]
    fn interpreters_are_read_from_their_files() {
        let directory = tempfile::tempdir().unwrap();
        let python = fake_python(&directory.path().join("usr"), true, "23.0.1");
        let read = read_statically(&python, false).expect("a readable layout");
        assert_eq!(read.version.as_deref(), Some("3.12"));
        assert!(read.externally_managed && !read.virtual_environment);
        assert_eq!(read.pip.as_deref(), Some("23.0.1"));
        assert!(read.pip_install_refused);
        assert!(!read_statically(&python, true).unwrap().pip_install_refused);
        assert_eq!(
            read.stdlib.as_deref(),
            Some(
                directory
                    .path()
                    .join("usr/lib/python3.12")
                    .to_str()
                    .unwrap()
            )
        );

        // A venv over it: the marker is the base's, but pip installs are fine.
        let venv = directory.path().join("venv");
        std::fs::create_dir_all(venv.join("bin")).unwrap();
        std::fs::create_dir_all(venv.join("lib/python3.12/site-packages/pip")).unwrap();
        std::fs::write(
            venv.join("lib/python3.12/site-packages/pip/__init__.py"),
            "__version__ = '24.0'\n",
        )
        .unwrap();
        std::fs::write(
            venv.join("pyvenv.cfg"),
            format!(
                "home = {}\nversion_info = 3.12.1.final.0\n",
                python.parent().unwrap().display()
            ),
        )
        .unwrap();
        std::os::unix::fs::symlink(&python, venv.join("bin/python3")).unwrap();
        let read = read_statically(&venv.join("bin/python3"), false).expect("a venv");
        assert!(read.virtual_environment && read.externally_managed);
        assert!(!read.pip_install_refused);
        assert_eq!(read.pip.as_deref(), Some("24.0"));

        // A script (a wrapper) and a bare `python3` without a series cannot be read.
        let wrapper = directory.path().join("wrapper");
        std::fs::write(&wrapper, "#!/bin/sh\nexec python3 \"$@\"\n").unwrap();
        assert!(read_statically(&wrapper, false).is_none());
    }

    #[test]
    fn a_pyenv_shim_is_resolved_like_pyenv_does() {
        let directory = tempfile::tempdir().unwrap();
        let root = directory.path().join("pyenv");
        fake_python(&root.join("versions/3.12.4"), false, "24.0");
        std::fs::create_dir_all(root.join("shims")).unwrap();
        let shim = root.join("shims/python3");
        std::fs::write(&shim, "#!/usr/bin/env bash\nexec pyenv exec \"$@\"\n").unwrap();
        std::fs::write(root.join("version"), "3.12.4\n").unwrap();
        assert_eq!(
            pyenv_shim_target(&shim),
            Some(root.join("versions/3.12.4/bin/python3"))
        );
        let read = read_statically(&shim, false).expect("the shim's interpreter");
        assert_eq!(read.path, shim.display().to_string());
        assert!(!read.externally_managed && !read.pip_install_refused);
        std::fs::write(root.join("version"), "system\n").unwrap();
        assert_eq!(pyenv_shim_target(&shim), None);
        std::fs::write(root.join("version"), "3.9.1\n").unwrap();
        assert_eq!(pyenv_shim_target(&shim), None, "not installed");
    }

    /// The real system interpreter of this machine (Debian 12): externally managed.
    #[tokio::test]
    async fn system_python_of_this_machine() {
        if !Path::new(SYSTEM_PYTHON).is_file() {
            return;
        }
        let facts = probe(None, Duration::from_secs(10), true).await;
        let system = facts.system.expect("system python probed");
        assert!(system.version.is_some(), "{system:?}");
        assert!(system.stdlib.is_some(), "{system:?}");
        let stdlib = system.stdlib.clone().unwrap_or_default();
        assert_eq!(
            system.externally_managed,
            Path::new(&stdlib).join(EXTERNALLY_MANAGED).is_file()
        );
    }
}
