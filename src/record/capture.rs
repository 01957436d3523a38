//! Writing the record of one apply: [`Recorder::begin`] before the first step runs (the lock,
//! the pre-images, dpkg's state, a record that says `applying`), [`Recorder::finish`] after
//! the verification (dpkg's state again, the hashes of what the apply left, `installed` or
//! `failed`). A run killed in between leaves a record in state `applying`, and dpkg's status
//! from before beside it, so that the next run can complete it or roll it back
//! (`commands::recover`, with [`complete`] and [`dpkg_before`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{
    InstallRecord, PackageChange, RECORD_VERSION, RecordError, RecordState, RecordedFile, Store,
    StoreLock, dpkg, managers, now,
};
use crate::plan::Plan;
use crate::sandbox::{ChangeKind, Delta, FileType};

/// An apply in progress; holds the store's lock until it is finished or dropped.
pub struct Recorder {
    store: Store,
    _lock: StoreLock,
    record: InstallRecord,
    root: PathBuf,
    dpkg_before: Option<BTreeMap<String, String>>,
}

impl Recorder {
    /// Starts the record of applying `plan` to the root filesystem `root` (`/` for this
    /// machine). `delta` is the rehearsal's: the paths the steps will add, change and remove.
    pub fn begin(
        store: &Store,
        plan: &Plan,
        how: &str,
        delta: Option<&Delta>,
        root: &Path,
    ) -> Result<Recorder, RecordError> {
        let lock = store.lock()?;
        let (installed_at, unix) = now();
        let name = InstallRecord::product_name(plan);
        let id = store.new_id(&name, unix);
        let dir = store.record_dir(&id);
        fs::create_dir_all(&dir).map_err(|error| {
            RecordError::io(format!("could not create {}", dir.display()), error)
        })?;
        let mut notes = Vec::new();
        let mut files = Vec::new();
        let mut cache_paths = 0;
        match delta {
            Some(delta) => {
                cache_paths = delta.hidden_count();
                for change in delta.visible() {
                    let mut file = RecordedFile {
                        path: change.path.clone(),
                        kind: change.kind,
                        file_type: change.entry.file_type,
                        size: if change.kind == ChangeKind::Deleted {
                            0
                        } else {
                            change.entry.size
                        },
                        sha256: None,
                        pre_image: None,
                        managed_by: None,
                    };
                    let had_content = change.kind != ChangeKind::Added
                        && matches!(
                            change.previous.as_ref().map(|entry| entry.file_type),
                            Some(FileType::File | FileType::Symlink) | None
                        );
                    if had_content && !dpkg::is_package_database(&change.path) {
                        match keep_pre_image(root, &dir, &change.path) {
                            Ok(Some(relative)) => file.pre_image = Some(relative),
                            Ok(None) => {}
                            Err(error) => {
                                notes.push(format!("no pre-image of {}: {error}", change.path))
                            }
                        }
                    }
                    files.push(file);
                }
            }
            None => notes.push(
                "no rehearsal delta: the files this install changed are not listed (packages are)"
                    .to_string(),
            ),
        }
        let record = InstallRecord {
            schema_version: RECORD_VERSION,
            id,
            name,
            version: None,
            state: RecordState::Applying,
            installed_at,
            installed_unix: unix,
            doc: plan.doc.clone(),
            route: plan.route.as_ref().map(|route| route.name.clone()),
            how: how.to_string(),
            plan: plan.clone(),
            files,
            packages: Vec::new(),
            cache_paths,
            size: 0,
            notes,
            uninstalled_at: None,
            left_behind: Vec::new(),
        };
        // dpkg's status before the first step, kept beside the record: a run that dies
        // mid-way can still be finished (or rolled back) from it.
        let status = root.join(dpkg::STATUS);
        if let Ok(text) = fs::read(&status) {
            super::write_atomically(&dir.join(DPKG_STATUS_KEPT), &text)?;
        }
        store.write(&record)?;
        Ok(Recorder {
            store: store.clone(),
            _lock: lock,
            record,
            root: root.to_path_buf(),
            dpkg_before: dpkg::installed(root),
        })
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// Completes the record after the apply: `verified` says whether the steps and the
    /// verification passed on the target; `version` is the check's first line of output.
    pub fn finish(
        mut self,
        verified: bool,
        version: Option<String>,
    ) -> Result<InstallRecord, RecordError> {
        complete(&mut self.record, &self.root, self.dpkg_before.as_ref());
        self.record.version = version;
        self.record.state = if verified {
            RecordState::Installed
        } else {
            RecordState::Failed
        };
        self.store.write(&self.record)?;
        Ok(self.record)
    }
}

/// Fills in what an apply left on `root`: the packages dpkg gained or lost since
/// `dpkg_before`, which files are a package manager's, the hash and size of every added or
/// changed path as it is now, the npm/pipx/pip/cargo packages, the total size. The state is
/// the caller's to set.
pub fn complete(
    record: &mut InstallRecord,
    root: &Path,
    dpkg_before: Option<&BTreeMap<String, String>>,
) {
    let mut packages = Vec::new();
    if let (Some(before), Some(after)) = (dpkg_before, dpkg::installed(root)) {
        packages.extend(dpkg::diff(before, &after));
    }
    // Files owned by the packages apt changed are apt's to take back.
    let mut owned: BTreeSet<String> = BTreeSet::new();
    for change in &packages {
        owned.extend(dpkg::owned_files(root, &change.name));
    }
    for file in &mut record.files {
        if dpkg::is_package_database(&file.path) || owned.contains(&file.path) {
            file.managed_by = Some("apt".to_string());
        }
        if file.kind != ChangeKind::Deleted {
            let on_target = root.join(file.path.trim_start_matches('/'));
            file.sha256 = content_hash(&on_target);
            if let Ok(metadata) = fs::symlink_metadata(&on_target)
                && metadata.is_file()
            {
                file.size = metadata.len();
            }
        }
    }
    packages.extend(managers::from_paths(
        record
            .files
            .iter()
            .map(|file| (file.path.as_str(), file.kind)),
        root,
    ));
    record.size = record
        .files
        .iter()
        .filter(|file| file.kind != ChangeKind::Deleted && file.file_type == FileType::File)
        .map(|file| file.size)
        .sum();
    record.packages = packages;
}

/// dpkg's status as it was before the apply of `record` began (kept in its directory), for
/// finishing an interrupted apply.
pub fn dpkg_before(store: &Store, record: &InstallRecord) -> Option<BTreeMap<String, String>> {
    let text = fs::read_to_string(store.record_dir(&record.id).join(DPKG_STATUS_KEPT)).ok()?;
    Some(dpkg::parse_status(&text))
}

/// The copy of dpkg's status file in a record's directory.
const DPKG_STATUS_KEPT: &str = "dpkg-status";

/// Copies the file at `path` under `root` into `RECORD/pre/path`, keeping mode and owner (a
/// symlink as a symlink). `None` when there was nothing there.
fn keep_pre_image(root: &Path, record: &Path, path: &str) -> std::io::Result<Option<String>> {
    let relative = path.trim_start_matches('/');
    let source = root.join(relative);
    let metadata = match fs::symlink_metadata(&source) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    let kept = format!("pre/{relative}");
    let destination = record.join(&kept);
    if let Some(parent) = destination.parent() {
        fs::create_dir_all(parent)?;
    }
    if metadata.file_type().is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(&source)?, &destination)?;
    } else if metadata.is_file() {
        fs::copy(&source, &destination)?;
        fs::set_permissions(&destination, fs::Permissions::from_mode(metadata.mode()))?;
        std::os::unix::fs::chown(&destination, Some(metadata.uid()), Some(metadata.gid()))?;
    } else {
        return Ok(None);
    }
    Ok(Some(kept))
}

/// SHA-256 of a regular file's content or of a symlink's target, in hex; `None` for anything
/// else or a path that is not there.
pub fn content_hash(path: &Path) -> Option<String> {
    let metadata = fs::symlink_metadata(path).ok()?;
    let digest = if metadata.file_type().is_symlink() {
        Sha256::digest(fs::read_link(path).ok()?.as_os_str().as_encoded_bytes())
    } else if metadata.is_file() {
        use std::io::Read;
        let mut hasher = Sha256::new();
        let mut file = fs::File::open(path).ok()?;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let read = file.read(&mut buffer).ok()?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        hasher.finalize()
    } else {
        return None;
    };
    Some(hex::encode(digest))
}

/// The version a check printed: its first line, when that line holds a digit (`jq-1.6`,
/// `widget 1.0.0`); `None` for checks that print no version.
pub fn version_from(detail: &str) -> Option<String> {
    let line = detail.lines().next()?.trim();
    (line.chars().any(|c| c.is_ascii_digit()) && line.len() <= 80).then(|| line.to_string())
}

/// The package changes of a record, for one manager.
pub fn packages_of<'a>(record: &'a InstallRecord, manager: &str) -> Vec<&'a PackageChange> {
    record
        .packages
        .iter()
        .filter(|change| change.manager == manager)
        .collect()
}
