//! The human-readable view of a [`Probe`]: aligned `key  value` rows in sections (system,
//! user, package managers, tools, python, network, probe). Scripts use `--json`; this view is
//! for reading, so it groups what was not found into one line per section instead of a row
//! each, and spells out what the booleans mean ("pip install refused").

use std::fmt::Write as _;

use super::{Probe, PythonInterpreter, Tool, ToolSpec};

/// One titled group of rows.
struct Section {
    title: &'static str,
    rows: Vec<(String, String)>,
}

impl Section {
    fn new(title: &'static str) -> Section {
        Section {
            title,
            rows: Vec::new(),
        }
    }

    fn row(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.rows.push((key.into(), value.into()));
    }
}

impl Probe {
    /// The probe as an aligned table. `bold` makes section titles bold (for a terminal that
    /// allows colours).
    pub fn table(&self, bold: bool) -> String {
        let sections = [
            self.system_section(),
            self.user_section(),
            tool_section("package managers", super::PACKAGE_MANAGERS, |name| {
                self.package_managers.get(name)
            }),
            tool_section("tools", super::TOOLS, |name| self.tools.get(name)),
            self.python_section(),
            self.network_section(),
            self.probe_section(),
        ];
        let width = sections
            .iter()
            .flat_map(|section| section.rows.iter())
            .map(|(key, _)| key.chars().count())
            .max()
            .unwrap_or(0);
        let mut output = String::new();
        for (index, section) in sections.iter().enumerate() {
            if index > 0 {
                output.push('\n');
            }
            if bold {
                let _ = writeln!(output, "\x1b[1m{}\x1b[0m", section.title);
            } else {
                let _ = writeln!(output, "{}", section.title);
            }
            for (key, value) in &section.rows {
                let mut lines = value.lines();
                let first = lines.next().unwrap_or("");
                let _ = writeln!(output, "  {key:<width$}  {first}");
                for line in lines {
                    let _ = writeln!(output, "  {:<width$}  {line}", "");
                }
            }
        }
        output
    }

    fn system_section(&self) -> Section {
        let system = &self.system;
        let distro = &system.distro;
        let mut section = Section::new("system");
        section.row("os", system.os.as_str());
        let mut distro_text = distro.id.clone();
        if let Some(version) = &distro.version {
            let _ = write!(distro_text, " {version}");
        }
        if let Some(codename) = &distro.codename {
            let _ = write!(distro_text, " ({codename})");
        }
        if let Some(name) = &distro.name {
            let _ = write!(distro_text, " · {name}");
        }
        if !distro.id_like.is_empty() {
            let _ = write!(distro_text, " · like {}", distro.id_like.join(" "));
        }
        section.row("distro", distro_text);
        section.row("family", distro.family.as_str());
        section.row("arch", system.arch.as_str());
        section.row("kernel", system.kernel.as_deref().unwrap_or("unknown"));
        let libc = match &system.libc.version {
            Some(version) => format!("{} {version}", system.libc.family.as_str()),
            None => system.libc.family.as_str().to_string(),
        };
        section.row("libc", libc);
        section.row("cpus", system.cpus.to_string());
        let memory = match &system.memory {
            Some(memory) => format!(
                "{} available of {}",
                bytes(memory.available_bytes),
                bytes(memory.total_bytes)
            ),
            None => "unknown".to_string(),
        };
        section.row("memory", memory);
        for disk in &system.disks {
            section.row(
                format!("disk {}", disk.name),
                format!(
                    "{} free of {}  {}",
                    bytes(disk.free_bytes),
                    bytes(disk.total_bytes),
                    disk.path
                ),
            );
        }
        section.row("container", system.container.as_deref().unwrap_or("none"));
        section.row("ci", system.ci.as_deref().unwrap_or("none"));
        section
    }

    fn user_section(&self) -> Section {
        let user = &self.user;
        let mut section = Section::new("user");
        section.row(
            "user",
            format!(
                "{} (uid {})",
                user.name.as_deref().unwrap_or("unknown"),
                user.uid
            ),
        );
        section.row("root", if user.root { "yes" } else { "no" });
        let sudo = match (&user.sudo.path, user.sudo.passwordless) {
            (None, _) => "not found".to_string(),
            (Some(path), true) => format!("works without a password  {path}"),
            (Some(path), false) => format!("needs a password (or is not allowed)  {path}"),
        };
        section.row("sudo", sudo);
        section.row("home", user.home.as_deref().unwrap_or("unknown"));
        section.row("shell", user.shell.as_deref().unwrap_or("unknown"));
        let path = if self.path.is_empty() {
            "(empty)".to_string()
        } else {
            self.path.join("\n")
        };
        section.row("PATH", path);
        section
    }

    fn python_section(&self) -> Section {
        let mut section = Section::new("python");
        let describe = |interpreter: &Option<PythonInterpreter>| match interpreter {
            None => "not found".to_string(),
            Some(interpreter) => describe_interpreter(interpreter),
        };
        section.row("python3 on PATH", describe(&self.python.on_path));
        section.row("system python3", describe(&self.python.system));
        let pep668 = match (self.pep668(), self.pip_install_refused()) {
            (true, true) => "applies: pip install is refused, use pipx or a venv",
            (true, false) => "applies to the system Python; pip install on PATH is allowed",
            (false, true) => "pip install on PATH is refused",
            (false, false) => "does not apply",
        };
        section.row("PEP 668", pep668);
        section
    }

    fn network_section(&self) -> Section {
        let mut section = Section::new("network");
        let Some(checks) = &self.network else {
            section.row("registries", "not checked (use --network)");
            return section;
        };
        // Columns: state, HTTP status, time, URL, and the reason last (it can be long).
        let rows: Vec<(String, String, String)> = checks
            .iter()
            .map(|check| {
                let state = if check.reachable {
                    "reachable"
                } else {
                    "unreachable"
                };
                let status = check
                    .status
                    .map(|status| format!("HTTP {status}"))
                    .unwrap_or_else(|| "-".to_string());
                (
                    state.to_string(),
                    status,
                    format!("{} ms", check.duration_ms),
                )
            })
            .collect();
        let width = |column: fn(&(String, String, String)) -> &String| {
            rows.iter()
                .map(|row| column(row).chars().count())
                .max()
                .unwrap_or(0)
        };
        let state_width = width(|row| &row.0);
        let status_width = width(|row| &row.1);
        let duration_width = width(|row| &row.2);
        for (check, (state, status, duration)) in checks.iter().zip(&rows) {
            let mut value = format!(
                "{state:<state_width$}  {status:<status_width$}  {duration:>duration_width$}  {}",
                check.url
            );
            if let Some(error) = &check.error {
                let _ = write!(value, "  {error}");
            }
            section.row(check.name.as_str(), value);
        }
        section
    }

    fn probe_section(&self) -> Section {
        let mut section = Section::new("probe");
        section.row("fingerprint", self.fingerprint.as_str());
        section.row("took", format!("{} ms", self.duration_ms));
        section
    }
}

/// Found tools with version and path, in the order of the spec list; the missing ones on one
/// line.
fn tool_section<'a>(
    title: &'static str,
    specs: &[ToolSpec],
    found: impl Fn(&str) -> Option<&'a Tool>,
) -> Section {
    let mut section = Section::new(title);
    let present: Vec<(&str, &Tool)> = specs
        .iter()
        .filter_map(|spec| found(spec.name).map(|tool| (spec.name, tool)))
        .collect();
    let version = |tool: &Tool| {
        tool.version
            .clone()
            .unwrap_or_else(|| "present".to_string())
    };
    let width = present
        .iter()
        .map(|(_, tool)| version(tool).chars().count())
        .max()
        .unwrap_or(0);
    for (name, tool) in &present {
        section.row(*name, format!("{:<width$}  {}", version(tool), tool.path));
    }
    let missing: Vec<&str> = specs
        .iter()
        .map(|spec| spec.name)
        .filter(|name| found(name).is_none())
        .collect();
    if !missing.is_empty() {
        section.row("not found", missing.join(", "));
    }
    section
}

fn describe_interpreter(interpreter: &PythonInterpreter) -> String {
    let mut first = format!(
        "{}  {}",
        interpreter.version.as_deref().unwrap_or("unknown version"),
        interpreter.path
    );
    if let Some(executable) = &interpreter.executable
        && executable != &interpreter.path
    {
        let _ = write!(first, " → {executable}");
    }
    let mut facts = Vec::new();
    facts.push(if interpreter.externally_managed {
        "externally managed (PEP 668)".to_string()
    } else {
        "not externally managed".to_string()
    });
    if interpreter.virtual_environment {
        facts.push("in a virtual environment".to_string());
    }
    facts.push(match &interpreter.pip {
        Some(pip) => format!("pip {pip}"),
        None => "no pip".to_string(),
    });
    if interpreter.pip.is_some() {
        facts.push(if interpreter.pip_install_refused {
            "pip install refused".to_string()
        } else {
            "pip install allowed".to_string()
        });
    }
    format!("{first}\n{}", facts.join(" · "))
}

/// `1536 MiB` → `1.5 GiB`; below a GiB in MiB.
fn bytes(count: u64) -> String {
    const MEBIBYTE: f64 = 1024.0 * 1024.0;
    const GIBIBYTE: f64 = MEBIBYTE * 1024.0;
    // Display only: the precision lost converting to f64 is far below what is shown.
    let value = count as f64;
    if value >= GIBIBYTE {
        format!("{:.1} GiB", value / GIBIBYTE)
    } else {
        format!("{:.0} MiB", value / MEBIBYTE)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    #[test]
    fn table_has_every_section_aligned() {
        let table = sample().table(false);
        for title in [
            "system\n",
            "\nuser\n",
            "\npackage managers\n",
            "\ntools\n",
            "\npython\n",
            "\nnetwork\n",
            "\nprobe\n",
        ] {
            assert!(table.contains(title), "missing {title:?} in\n{table}");
        }
        assert!(
            table.contains("  distro           debian 12 (bookworm)\n"),
            "{table}"
        );
        assert!(
            table.contains("  apt              2.6.1    /usr/bin/apt\n"),
            "{table}"
        );
        assert!(table.contains("  root             yes\n"), "{table}");
        assert!(table.contains("  sudo             not found\n"), "{table}");
        assert!(
            table.contains("  registries       not checked (use --network)\n"),
            "{table}"
        );
        assert!(table.contains("pip install refused"), "{table}");
        assert!(table.contains(&format!("  fingerprint      {}\n", sample().fingerprint)));
        assert!(
            table.contains("  not found        dnf, yum, zypper"),
            "{table}"
        );
        assert!(!table.contains('\x1b'));
        assert!(sample().table(true).contains("\x1b[1msystem\x1b[0m"));
    }

    #[test]
    fn network_rows_are_aligned() {
        let mut probe = sample();
        let check = |name: &str, status: Option<u16>, duration_ms: u64, error: Option<&str>| {
            super::super::RegistryCheck {
                name: name.to_string(),
                url: format!("https://{name}.example/"),
                reachable: status.is_some(),
                status,
                duration_ms,
                error: error.map(str::to_string),
            }
        };
        probe.network = Some(vec![
            check("pypi", Some(200), 148, None),
            check("github", None, 2, Some("timed out")),
        ]);
        let table = probe.table(false);
        assert!(
            table.contains(
                "  pypi             reachable    HTTP 200  148 ms  https://pypi.example/\n"
            ),
            "{table}"
        );
        assert!(
            table.contains(
                "  github           unreachable  -           2 ms  https://github.example/  \
timed out\n"
            ),
            "{table}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(1536 * 1024 * 1024), "1.5 GiB");
        assert_eq!(bytes(512 * 1024 * 1024), "512 MiB");
        assert_eq!(bytes(0), "0 MiB");
    }
}
