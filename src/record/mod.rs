//! Install records (DESIGN §9): what every apply to a real target did, kept so that `list`,
//! `show`, `uninstall` and `undo` can answer "what did it do, and how do I take it back".
//!
//! A record holds the doc, the route, the plan, the files the install added, changed and
//! removed (from the rehearsal's delta, hashed on the target after the apply), the packages
//! each package manager gained, upgraded or lost (dpkg's status before and after; npm, pipx,
//! pip and cargo from the paths they wrote), and the pre-images of the files it changed or
//! removed, copied before the first step ran.
//!
//! Layout of the store ([`Store`]):
//!
//! ```text
//! STATE/lock                      flock(2): one apply or uninstall at a time
//! STATE/records/ID/record.json    an active install (written atomically: temp file + rename)
//! STATE/records/ID/pre/PATH       the pre-image of PATH
//! STATE/records/ID/dpkg-status    dpkg's status before the apply (to finish an interrupted one)
//! STATE/history/ID/...            a record that was uninstalled (moved, never deleted)
//! ```
//!
//! `STATE` is `$AGENT_INSTALL_STATE_DIR`, else `/var/lib/agent-install` for root, else
//! `$XDG_STATE_HOME/agent-install` (default `~/.local/state/agent-install`).

pub mod capture;
pub mod dpkg;
pub mod managers;
pub mod summary;
pub mod uninstall;

use std::fs;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::plan::{Plan, PlanDoc};
use crate::sandbox::{ChangeKind, FileType};

/// The record schema this build writes and reads.
pub const RECORD_VERSION: u32 = 1;

/// The environment variable that moves the store.
pub const STATE_DIR_VARIABLE: &str = "AGENT_INSTALL_STATE_DIR";

/// Where an install stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordState {
    /// The steps are running (or the run was killed while they ran: the record says so).
    Applying,
    /// Applied and verified on the target.
    Installed,
    /// Applied, but a step or the verification failed on the target.
    Failed,
    /// An uninstall is running (or was killed while it ran).
    Uninstalling,
    /// Taken back; the record is in the history.
    Uninstalled,
}

impl RecordState {
    pub fn name(self) -> &'static str {
        match self {
            RecordState::Applying => "applying",
            RecordState::Installed => "installed",
            RecordState::Failed => "failed",
            RecordState::Uninstalling => "uninstalling",
            RecordState::Uninstalled => "uninstalled",
        }
    }
}

/// One path the install changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedFile {
    pub path: String,
    pub kind: ChangeKind,
    pub file_type: FileType,
    /// Bytes after the install (0 for a deletion).
    pub size: u64,
    /// SHA-256 of the content after the install (regular files), or of the link target
    /// (symlinks); `None` for directories, deletions, and paths the apply did not produce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// Where the file's previous content is kept, relative to the record's directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_image: Option<String>,
    /// Set when the path belongs to a package manager's package or database: the manager takes
    /// it back, not the file list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managed_by: Option<String>,
}

/// A package one package manager gained, upgraded or lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageChange {
    /// `apt`, `npm`, `pipx`, `pip`, `cargo`.
    pub manager: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

impl PackageChange {
    /// `added`, `upgraded` (any version change) or `removed`.
    pub fn change(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            _ => "upgraded",
        }
    }

    /// `jq 1.6-2.1` / `jq 1.6-2.1+deb12u1 → 1.6-2.1+deb12u3`.
    pub fn describe(&self) -> String {
        match (&self.before, &self.after) {
            (None, Some(after)) => format!("{} {after}", self.name),
            (Some(before), None) => format!("{} {before}", self.name),
            (Some(before), Some(after)) => format!("{} {before} → {after}", self.name),
            (None, None) => self.name.clone(),
        }
    }
}

/// One install on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallRecord {
    pub schema_version: u32,
    pub id: String,
    /// The product (the doc's name, else its file name).
    pub name: String,
    /// The first line the product's check printed, when it printed one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub state: RecordState,
    /// RFC 3339, UTC.
    pub installed_at: String,
    pub installed_unix: u64,
    pub doc: PlanDoc,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// `run --apply`, `apply PLAN`.
    pub how: String,
    pub plan: Plan,
    pub files: Vec<RecordedFile>,
    pub packages: Vec<PackageChange>,
    /// Paths under caches, logs and package indexes the install wrote (counted, not listed).
    pub cache_paths: usize,
    /// Bytes the install added outside caches.
    pub size: u64,
    /// What the recorder could not capture, for `show`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uninstalled_at: Option<String>,
    /// Paths an uninstall left because they changed after the install.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<String>,
}

impl InstallRecord {
    /// The product name a plan installs: the doc's name, else the doc file's stem.
    pub fn product_name(plan: &Plan) -> String {
        if let Some(name) = plan.doc.name.as_deref().filter(|name| !name.is_empty()) {
            return sanitize(name);
        }
        let source = plan.doc.source.trim_end_matches('/');
        let last = source.rsplit('/').next().unwrap_or(source);
        let stem = last
            .strip_suffix(".md")
            .or_else(|| last.strip_suffix(".html"))
            .or_else(|| last.strip_suffix(".txt"))
            .unwrap_or(last);
        let stem = stem.strip_prefix("catalog:").unwrap_or(stem);
        if stem.is_empty() || stem == "-" {
            "install".to_string()
        } else {
            sanitize(stem)
        }
    }

    /// The files the install added or changed that are executables on a bin directory.
    pub fn executables(&self) -> Vec<&RecordedFile> {
        self.files
            .iter()
            .filter(|file| file.kind != ChangeKind::Deleted)
            .filter(|file| matches!(file.file_type, FileType::File | FileType::Symlink))
            .filter(|file| {
                Path::new(&file.path)
                    .parent()
                    .and_then(|parent| parent.file_name())
                    .is_some_and(|name| name == "bin" || name == "sbin")
            })
            .collect()
    }
}

/// Lower-case letters, digits, `-`, `_`, `.`; anything else becomes `-`.
fn sanitize(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '-' || c == '.').to_string();
    if cleaned.is_empty() {
        "install".to_string()
    } else {
        cleaned
    }
}

/// Why the store could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the install record {path} is unreadable: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("no install of `{0}` is recorded on this machine")]
    NotFound(String),
}

impl RecordError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> RecordError {
        RecordError::Io {
            context: context.into(),
            source,
        }
    }
}

/// The directory records live in.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// An exclusive lock on the store, released when dropped.
pub struct StoreLock {
    file: fs::File,
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        // SAFETY: flock on a descriptor this struct owns.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}

impl Store {
    /// The store at its default place (see the module header).
    pub fn default_location() -> Store {
        Store::at(crate::config::state_dir())
    }

    pub fn at(root: PathBuf) -> Store {
        Store { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn records_dir(&self) -> PathBuf {
        self.root.join("records")
    }

    fn history_dir(&self) -> PathBuf {
        self.root.join("history")
    }

    /// The directory of an active record.
    pub fn record_dir(&self, id: &str) -> PathBuf {
        self.records_dir().join(id)
    }

    /// The store's lock file, created (with the store) when missing.
    fn open_lock_file(&self) -> Result<(PathBuf, fs::File), RecordError> {
        fs::create_dir_all(&self.root).map_err(|error| {
            RecordError::io(
                format!("could not create the record store {}", self.root.display()),
                error,
            )
        })?;
        let path = self.root.join("lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|error| {
                RecordError::io(format!("could not open {}", path.display()), error)
            })?;
        Ok((path, file))
    }

    /// Takes the store's lock, waiting for another apply or uninstall to finish.
    pub fn lock(&self) -> Result<StoreLock, RecordError> {
        let (path, file) = self.open_lock_file()?;
        loop {
            // SAFETY: flock on a descriptor we own; it blocks until the lock is free.
            let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
            if result == 0 {
                return Ok(StoreLock { file });
            }
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::Interrupted {
                return Err(RecordError::io(
                    format!("could not lock {}", path.display()),
                    error,
                ));
            }
        }
    }

    /// Takes the store's lock if nobody holds it; `None` while another apply or uninstall
    /// runs (its records are live, not interrupted).
    pub fn try_lock(&self) -> Result<Option<StoreLock>, RecordError> {
        let (path, file) = self.open_lock_file()?;
        // SAFETY: flock on a descriptor we own; LOCK_NB returns at once.
        let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if result == 0 {
            return Ok(Some(StoreLock { file }));
        }
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Ok(None)
        } else {
            Err(RecordError::io(
                format!("could not lock {}", path.display()),
                error,
            ))
        }
    }

    /// A fresh id for a record of `name`: `NAME-YYYYMMDDTHHMMSSZ-PID-N`.
    pub fn new_id(&self, name: &str, unix: u64) -> String {
        let stamp = compact_timestamp(unix);
        let pid = std::process::id();
        let mut counter = 0;
        loop {
            let id = format!("{name}-{stamp}-{pid}-{counter}");
            if !self.record_dir(&id).exists() && !self.history_dir().join(&id).exists() {
                return id;
            }
            counter += 1;
        }
    }

    /// Writes a record atomically: a temp file in its directory, fsynced, renamed over.
    pub fn write(&self, record: &InstallRecord) -> Result<(), RecordError> {
        let dir = match record.state {
            RecordState::Uninstalled => self.history_dir().join(&record.id),
            _ => self.record_dir(&record.id),
        };
        fs::create_dir_all(&dir).map_err(|error| {
            RecordError::io(format!("could not create {}", dir.display()), error)
        })?;
        let text = serde_json::to_string_pretty(record).map_err(|error| RecordError::Invalid {
            path: dir.clone(),
            reason: error.to_string(),
        })?;
        write_atomically(&dir.join("record.json"), text.as_bytes())
    }

    /// Every active record, oldest first.
    pub fn list(&self) -> Result<Vec<InstallRecord>, RecordError> {
        read_records(&self.records_dir())
    }

    /// Every uninstalled record, oldest first.
    pub fn history(&self) -> Result<Vec<InstallRecord>, RecordError> {
        read_records(&self.history_dir())
    }

    /// The newest active record named `name` (or with that id).
    pub fn find(&self, name: &str) -> Result<InstallRecord, RecordError> {
        self.list()?
            .into_iter()
            .rev()
            .find(|record| record.name == name || record.id == name)
            .ok_or_else(|| RecordError::NotFound(name.to_string()))
    }

    /// Moves a record (and its pre-images) to the history, marked uninstalled.
    pub fn retire(&self, record: &mut InstallRecord) -> Result<(), RecordError> {
        record.state = RecordState::Uninstalled;
        let (now, _) = now();
        record.uninstalled_at = Some(now);
        let from = self.record_dir(&record.id);
        let to = self.history_dir().join(&record.id);
        fs::create_dir_all(self.history_dir()).map_err(|error| {
            RecordError::io(
                format!("could not create {}", self.history_dir().display()),
                error,
            )
        })?;
        fs::rename(&from, &to).map_err(|error| {
            RecordError::io(
                format!("could not move {} to {}", from.display(), to.display()),
                error,
            )
        })?;
        self.write(record)
    }
}

fn read_records(dir: &Path) -> Result<Vec<InstallRecord>, RecordError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(RecordError::io(
                format!("could not read {}", dir.display()),
                error,
            ));
        }
    };
    let mut records = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path().join("record.json");
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            // A directory without a record: an apply that died before its first write.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                return Err(RecordError::io(
                    format!("could not read {}", path.display()),
                    error,
                ));
            }
        };
        let record: InstallRecord =
            serde_json::from_str(&text).map_err(|error| RecordError::Invalid {
                path: path.clone(),
                reason: error.to_string(),
            })?;
        records.push(record);
    }
    records
        .sort_by(|a, b| (a.installed_unix, a.id.as_str()).cmp(&(b.installed_unix, b.id.as_str())));
    Ok(records)
}

/// Writes `bytes` to `path` so that a reader sees the old content or the new, never half.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    written.map_err(|error| {
        let _ = fs::remove_file(&temp);
        RecordError::io(format!("could not write {}", path.display()), error)
    })
}

/// Now as RFC 3339 (UTC) and as seconds since the epoch.
pub fn now() -> (String, u64) {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|duration| duration.as_secs())
        .unwrap_or(0);
    (rfc3339(unix), unix)
}

/// `2026-12-05T09:30:00Z`.
pub fn rfc3339(unix: u64) -> String {
    let (year, month, day, hour, minute, second) = civil(unix);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

fn compact_timestamp(unix: u64) -> String {
    let (year, month, day, hour, minute, second) = civil(unix);
    format!("{year:04}{month:02}{day:02}T{hour:02}{minute:02}{second:02}Z")
}

/// Seconds since the epoch as a UTC calendar date and time (the days-from-civil algorithm,
/// inverted; valid for every date after 1970).
fn civil(unix: u64) -> (i64, u32, u32, u32, u32, u32) {
    let days = (unix / 86_400) as i64;
    let seconds = unix % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (seconds / 3600) as u32,
        ((seconds % 3600) / 60) as u32,
        (seconds % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_463_000), "2026-12-05T09:30:00Z");
        assert_eq!(compact_timestamp(1_796_463_000), "20261205T093000Z");
    }

    #[test]
    fn product_names_come_from_the_doc() {
        let mut plan: Plan = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "generator": "t",
            "doc": { "source": "/tmp/x/Widget Tool.md", "sha256": "00" },
            "probe": { "fingerprint": "f", "summary": "s" },
            "route": null, "agent": { "kind": "offline" },
            "steps": [], "verification": [], "verified": true
        }))
        .unwrap();
        assert_eq!(InstallRecord::product_name(&plan), "widget-tool");
        plan.doc.name = Some("jq".to_string());
        assert_eq!(InstallRecord::product_name(&plan), "jq");
    }

    #[test]
    fn the_lock_is_not_taken_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::at(dir.path().join("state"));
        let held = store.lock().unwrap();
        assert!(store.try_lock().unwrap().is_none(), "taken while held");
        drop(held);
        assert!(store.try_lock().unwrap().is_some(), "free once dropped");
    }

    #[test]
    fn package_changes_describe_themselves() {
        let change = PackageChange {
            manager: "apt".to_string(),
            name: "jq".to_string(),
            before: Some("1.6-2.1".to_string()),
            after: Some("1.6-2.1+deb12u1".to_string()),
        };
        assert_eq!(change.change(), "upgraded");
        assert_eq!(change.describe(), "jq 1.6-2.1 → 1.6-2.1+deb12u1");
    }
}
