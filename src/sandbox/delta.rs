//! The filesystem delta of an overlay sandbox, read from its upper directories.
//!
//! An upper directory records changes the overlayfs way: new and changed files as themselves,
//! deleted ones as character devices 0:0 (whiteouts), and a directory that replaced a lower one
//! with the xattr `trusted.overlay.opaque=y` (`user.overlay.opaque` in a user namespace). With
//! snapshots there are several generations of upper dirs, and with a split root several mounts
//! per generation. [`squash`] folds the generations of each mount into one tree, the way
//! overlayfs would resolve them; the delta compares that tree with the base, and the exporter
//! writes it as a tar layer.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use bytesize::ByteSize;
use serde::{Deserialize, Serialize};

use super::layout::PlannedMount;

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    /// One-character marker for listings: `+`, `~`, `-`.
    pub fn marker(self) -> char {
        match self {
            ChangeKind::Added => '+',
            ChangeKind::Modified => '~',
            ChangeKind::Deleted => '-',
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    File,
    Directory,
    Symlink,
    Device,
    Fifo,
    Socket,
}

/// The attributes of one path (after the change, or before it for deletions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInfo {
    pub file_type: FileType,
    /// Permission bits, including setuid/setgid/sticky.
    pub mode: u32,
    pub size: u64,
    /// Owner as seen inside the sandbox.
    pub uid: u32,
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Absolute path inside the sandbox.
    pub path: String,
    pub kind: ChangeKind,
    pub entry: EntryInfo,
    /// For modifications: the attributes in the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<EntryInfo>,
    /// Matched a hidden path of the profile (apt lists, caches, logs): left out of summaries,
    /// kept in exports.
    pub hidden: bool,
}

/// Every change of a session relative to its base, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Delta {
    pub changes: Vec<Change>,
}

impl Delta {
    /// The changes a summary shows.
    pub fn visible(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|change| !change.hidden)
    }

    pub fn hidden_count(&self) -> usize {
        self.changes.iter().filter(|change| change.hidden).count()
    }

    /// The change of one path, if any.
    pub fn get(&self, path: &str) -> Option<&Change> {
        self.changes.iter().find(|change| change.path == path)
    }

    /// Visible changes, counted per kind: (added, modified, deleted).
    pub fn counts(&self) -> (usize, usize, usize) {
        self.visible().fold(
            (0, 0, 0),
            |(added, modified, deleted), change| match change.kind {
                ChangeKind::Added => (added + 1, modified, deleted),
                ChangeKind::Modified => (added, modified + 1, deleted),
                ChangeKind::Deleted => (added, modified, deleted + 1),
            },
        )
    }

    /// A readable listing: one line per visible change (at most `limit`), then a total.
    pub fn render(&self, limit: usize) -> String {
        let mut text = String::new();
        let visible: Vec<&Change> = self.visible().collect();
        for change in visible.iter().take(limit) {
            let entry = &change.entry;
            let kind = match entry.file_type {
                FileType::Directory => "/",
                FileType::Symlink => "@",
                _ => "",
            };
            let detail = match (change.kind, &change.previous) {
                (ChangeKind::Deleted, _) => String::new(),
                (ChangeKind::Modified, Some(previous)) if previous.mode != entry.mode => {
                    format!("  {:04o} -> {:04o}", previous.mode, entry.mode)
                }
                _ if entry.file_type == FileType::File => {
                    format!("  {:04o} {}", entry.mode, ByteSize(entry.size))
                }
                _ => format!("  {:04o}", entry.mode),
            };
            text.push_str(&format!(
                "{} {}{kind}{detail}\n",
                change.kind.marker(),
                change.path
            ));
        }
        if visible.len() > limit {
            text.push_str(&format!("  ... and {} more\n", visible.len() - limit));
        }
        let (added, modified, deleted) = self.counts();
        let added_bytes: u64 = self
            .visible()
            .filter(|change| change.kind != ChangeKind::Deleted)
            .filter(|change| change.entry.file_type == FileType::File)
            .map(|change| change.entry.size)
            .sum();
        text.push_str(&format!(
            "{added} added, {modified} modified, {deleted} deleted ({} written)",
            ByteSize(added_bytes)
        ));
        let hidden = self.hidden_count();
        if hidden > 0 {
            text.push_str(&format!(
                "; {hidden} more under hidden paths (caches, logs)"
            ));
        }
        text.push('\n');
        text
    }
}

/// How owners on disk map to owners inside: in a rootless session the caller is root inside and
/// every other id is the overflow id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct IdMap {
    pub user_namespace: Option<(u32, u32)>,
}

const OVERFLOW_ID: u32 = 65534;

impl IdMap {
    pub(crate) fn uid(&self, uid: u32) -> u32 {
        match self.user_namespace {
            Some((outside, _)) if outside == uid => 0,
            Some(_) => OVERFLOW_ID,
            None => uid,
        }
    }

    pub(crate) fn gid(&self, gid: u32) -> u32 {
        match self.user_namespace {
            Some((_, outside)) if outside == gid => 0,
            Some(_) => OVERFLOW_ID,
            None => gid,
        }
    }
}

/// One path of a squashed upper tree.
#[derive(Debug)]
pub(crate) enum Node {
    /// Deleted: hides the path of the layers below and of the base.
    Whiteout,
    /// Anything but a directory, stored at `source`.
    Leaf {
        source: PathBuf,
        metadata: fs::Metadata,
    },
    Directory(Directory),
}

#[derive(Debug)]
pub(crate) struct Directory {
    pub source: PathBuf,
    pub metadata: fs::Metadata,
    /// Hides the base's (and lower generations') entries of this directory.
    pub opaque: bool,
    pub children: BTreeMap<OsString, Node>,
}

/// One mount's changes, all generations folded together.
#[derive(Debug)]
pub(crate) struct MountChanges {
    /// Path inside (`/`, `/etc`).
    pub target: String,
    /// The base content this mount covers (a host directory).
    pub host: PathBuf,
    /// The upper tree; `None` when no generation has an upper dir for this mount.
    pub root: Option<Directory>,
    /// Names at the root that are separate mounts (their changes are in their own entry).
    pub excluded: BTreeSet<OsString>,
}

/// Folds the generations (`generation_roots`, oldest first; each holds one upper dir per mount
/// index) of every mount into one tree.
pub(crate) fn squash(
    generation_roots: &[PathBuf],
    mounts: &[PlannedMount],
) -> io::Result<Vec<MountChanges>> {
    let mut result = Vec::with_capacity(mounts.len());
    for (index, mount) in mounts.iter().enumerate() {
        let mut root: Option<Directory> = None;
        for generation in generation_roots {
            let upper = generation.join(index.to_string());
            let Ok(metadata) = fs::symlink_metadata(&upper) else {
                continue;
            };
            let layer = Directory {
                children: read_layer(&upper)?,
                source: upper,
                metadata,
                opaque: false,
            };
            root = Some(match root {
                None => layer,
                Some(mut lower) => {
                    merge_children(&mut lower.children, layer.children);
                    Directory {
                        source: layer.source,
                        metadata: layer.metadata,
                        opaque: false,
                        children: lower.children,
                    }
                }
            });
        }
        let excluded = mounts
            .iter()
            .filter_map(|other| child_name(&mount.target, &other.target))
            .collect();
        result.push(MountChanges {
            target: mount.target.clone(),
            host: mount.lower.host_path().to_path_buf(),
            root,
            excluded,
        });
    }
    Ok(result)
}

/// The name of `child` if it is a direct child path of `parent`.
fn child_name(parent: &str, child: &str) -> Option<OsString> {
    let rest = if parent == "/" {
        child.strip_prefix('/')?
    } else {
        child.strip_prefix(parent)?.strip_prefix('/')?
    };
    (!rest.is_empty() && !rest.contains('/')).then(|| OsString::from(rest))
}

pub(crate) fn read_layer(directory: &Path) -> io::Result<BTreeMap<OsString, Node>> {
    let mut children = BTreeMap::new();
    for entry in fs::read_dir(directory)? {
        let entry = entry?;
        let path = entry.path();
        let metadata = fs::symlink_metadata(&path)?;
        let node = if metadata.file_type().is_char_device() && metadata.rdev() == 0 {
            Node::Whiteout
        } else if metadata.is_dir() {
            Node::Directory(Directory {
                opaque: is_opaque(&path),
                children: read_layer(&path)?,
                source: path,
                metadata,
            })
        } else {
            Node::Leaf {
                source: path,
                metadata,
            }
        };
        children.insert(entry.file_name(), node);
    }
    Ok(children)
}

/// Folds an upper generation's entries into the tree of the generations below it.
fn merge_children(lower: &mut BTreeMap<OsString, Node>, upper: BTreeMap<OsString, Node>) {
    for (name, node) in upper {
        let below = lower.remove(&name);
        let merged = match (below, node) {
            (Some(Node::Directory(mut below)), Node::Directory(above)) if !above.opaque => {
                merge_children(&mut below.children, above.children);
                Node::Directory(Directory {
                    source: above.source,
                    metadata: above.metadata,
                    opaque: below.opaque,
                    children: below.children,
                })
            }
            // A directory over a deleted or non-directory entry hides what was there.
            (Some(_), Node::Directory(mut above)) => {
                above.opaque = true;
                Node::Directory(above)
            }
            (_, node) => node,
        };
        lower.insert(name, merged);
    }
}

/// Whether an upper directory is marked opaque.
pub(crate) fn is_opaque(path: &Path) -> bool {
    ["trusted.overlay.opaque", "user.overlay.opaque"]
        .iter()
        .any(|name| get_xattr(path, name).is_some_and(|value| value == b"y"))
}

fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let path = CString::new(path.as_os_str().as_bytes()).ok()?;
    let name = CString::new(name).ok()?;
    let mut buffer = vec![0u8; 256];
    // SAFETY: path and name are NUL-terminated; the buffer is valid for its length.
    let size = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
        )
    };
    if size < 0 {
        return None;
    }
    buffer.truncate(size as usize);
    Some(buffer)
}

/// The extended attributes of a path worth exporting (overlayfs' own are dropped).
pub(crate) fn exportable_xattrs(path: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
        return Vec::new();
    };
    let mut names = vec![0u8; 4096];
    // SAFETY: c_path is NUL-terminated; the buffer is valid for its length.
    let size = unsafe { libc::llistxattr(c_path.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
    if size <= 0 {
        return Vec::new();
    }
    names.truncate(size as usize);
    names
        .split(|byte| *byte == 0)
        .filter(|name| !name.is_empty())
        .filter_map(|name| std::str::from_utf8(name).ok())
        .filter(|name| !name.starts_with("trusted.overlay.") && !name.starts_with("user.overlay."))
        .filter_map(|name| Some((name.to_string(), get_long_xattr(&c_path, name)?)))
        .collect()
}

fn get_long_xattr(path: &CString, name: &str) -> Option<Vec<u8>> {
    let name = CString::new(name).ok()?;
    // SAFETY: a null buffer of size 0 asks for the value's size.
    let size = unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
    if size < 0 {
        return None;
    }
    let mut buffer = vec![0u8; size as usize];
    // SAFETY: the buffer is valid for its length.
    let read = unsafe {
        libc::lgetxattr(
            path.as_ptr(),
            name.as_ptr(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
        )
    };
    if read < 0 {
        return None;
    }
    buffer.truncate(read as usize);
    Some(buffer)
}

pub(crate) fn file_type(metadata: &fs::Metadata) -> FileType {
    let kind = metadata.file_type();
    if kind.is_dir() {
        FileType::Directory
    } else if kind.is_symlink() {
        FileType::Symlink
    } else if kind.is_char_device() || kind.is_block_device() {
        FileType::Device
    } else if kind.is_fifo() {
        FileType::Fifo
    } else if kind.is_socket() {
        FileType::Socket
    } else {
        FileType::File
    }
}

fn entry_info(path: &Path, metadata: &fs::Metadata, ids: &IdMap) -> EntryInfo {
    let kind = file_type(metadata);
    EntryInfo {
        file_type: kind,
        mode: metadata.mode() & 0o7777,
        size: if kind == FileType::Directory {
            0
        } else {
            metadata.len()
        },
        uid: ids.uid(metadata.uid()),
        gid: ids.gid(metadata.gid()),
        link_target: (kind == FileType::Symlink)
            .then(|| fs::read_link(path).ok())
            .flatten()
            .map(|target| target.to_string_lossy().into_owned()),
    }
}

fn same_attributes(left: &fs::Metadata, right: &fs::Metadata) -> bool {
    left.mode() == right.mode() && left.uid() == right.uid() && left.gid() == right.gid()
}

/// Compares the squashed changes with the base.
pub(crate) fn compute(mounts: &[MountChanges], hidden: &[String], ids: &IdMap) -> Delta {
    let mut changes = Vec::new();
    for mount in mounts {
        let Some(root) = &mount.root else { continue };
        // A mount's root is the upper dir we created; only root can give it the base's owner,
        // so rootless sessions compare its mode alone.
        if mount.target != "/"
            && let Ok(base) = fs::metadata(&mount.host)
            && (base.mode() != root.metadata.mode()
                || (ids.user_namespace.is_none() && !same_attributes(&base, &root.metadata)))
        {
            changes.push(Change {
                path: mount.target.clone(),
                kind: ChangeKind::Modified,
                entry: entry_info(&root.source, &root.metadata, ids),
                previous: Some(entry_info(&mount.host, &base, ids)),
                hidden: false,
            });
        }
        let context = DiffContext {
            ids,
            excluded: &mount.excluded,
        };
        context.directory(
            &root.children,
            Some(&mount.host),
            &mount.target,
            false,
            true,
            &mut changes,
        );
    }
    for change in &mut changes {
        change.hidden = hidden
            .iter()
            .any(|pattern| matches_hidden(pattern, &change.path));
    }
    changes.sort_by(|left, right| left.path.cmp(&right.path));
    Delta { changes }
}

struct DiffContext<'a> {
    ids: &'a IdMap,
    excluded: &'a BTreeSet<OsString>,
}

impl DiffContext<'_> {
    fn directory(
        &self,
        children: &BTreeMap<OsString, Node>,
        base: Option<&Path>,
        inside: &str,
        opaque: bool,
        mount_root: bool,
        changes: &mut Vec<Change>,
    ) {
        let join = |name: &OsStr| {
            if inside == "/" {
                format!("/{}", name.to_string_lossy())
            } else {
                format!("{inside}/{}", name.to_string_lossy())
            }
        };
        if opaque && let Some(base) = base {
            for entry in fs::read_dir(base)
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
            {
                let name = entry.file_name();
                if children.contains_key(&name) {
                    continue;
                }
                let path = entry.path();
                if let Ok(metadata) = fs::symlink_metadata(&path) {
                    changes.push(Change {
                        path: join(&name),
                        kind: ChangeKind::Deleted,
                        entry: entry_info(&path, &metadata, self.ids),
                        previous: None,
                        hidden: false,
                    });
                }
            }
        }
        for (name, node) in children {
            if mount_root && self.excluded.contains(name) {
                continue;
            }
            let path = join(name);
            let base_path = base.map(|base| base.join(name));
            let base_metadata = base_path
                .as_deref()
                .and_then(|path| fs::symlink_metadata(path).ok());
            match node {
                Node::Whiteout => {
                    if let (Some(base_path), Some(metadata)) = (&base_path, &base_metadata) {
                        changes.push(Change {
                            path,
                            kind: ChangeKind::Deleted,
                            entry: entry_info(base_path, metadata, self.ids),
                            previous: None,
                            hidden: false,
                        });
                    }
                }
                Node::Leaf { source, metadata } => {
                    let previous = base_path
                        .as_deref()
                        .zip(base_metadata.as_ref())
                        .map(|(path, metadata)| entry_info(path, metadata, self.ids));
                    changes.push(Change {
                        path,
                        kind: if previous.is_some() {
                            ChangeKind::Modified
                        } else {
                            ChangeKind::Added
                        },
                        entry: entry_info(source, metadata, self.ids),
                        previous,
                        hidden: false,
                    });
                }
                Node::Directory(directory) => {
                    let entry = entry_info(&directory.source, &directory.metadata, self.ids);
                    match (&base_path, &base_metadata) {
                        (Some(base_path), Some(metadata)) if metadata.is_dir() => {
                            if !same_attributes(metadata, &directory.metadata) {
                                changes.push(Change {
                                    path: path.clone(),
                                    kind: ChangeKind::Modified,
                                    entry,
                                    previous: Some(entry_info(base_path, metadata, self.ids)),
                                    hidden: false,
                                });
                            }
                            self.directory(
                                &directory.children,
                                Some(base_path),
                                &path,
                                directory.opaque,
                                false,
                                changes,
                            );
                        }
                        (Some(base_path), Some(metadata)) => {
                            changes.push(Change {
                                path: path.clone(),
                                kind: ChangeKind::Modified,
                                entry,
                                previous: Some(entry_info(base_path, metadata, self.ids)),
                                hidden: false,
                            });
                            self.directory(&directory.children, None, &path, false, false, changes);
                        }
                        _ => {
                            changes.push(Change {
                                path: path.clone(),
                                kind: ChangeKind::Added,
                                entry,
                                previous: None,
                                hidden: false,
                            });
                            self.directory(&directory.children, None, &path, false, false, changes);
                        }
                    }
                }
            }
        }
    }
}

/// Whether `path` is `pattern` or lies under it; `*` matches within one component.
pub fn matches_hidden(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.split('/').filter(|part| !part.is_empty()).collect();
    let path: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
    if pattern.is_empty() || path.len() < pattern.len() {
        return false;
    }
    pattern
        .iter()
        .zip(&path)
        .all(|(pattern, component)| glob_component(pattern, component))
}

fn glob_component(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((prefix, rest)) => {
            let Some(remainder) = text.strip_prefix(prefix) else {
                return false;
            };
            (0..=remainder.len())
                .filter(|start| remainder.is_char_boundary(*start))
                .any(|start| glob_component(rest, &remainder[start..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::layout::Lower;

    #[test]
    fn hidden_patterns() {
        assert!(matches_hidden(
            "/var/lib/apt/lists",
            "/var/lib/apt/lists/partial/x"
        ));
        assert!(matches_hidden("/var/lib/apt/lists", "/var/lib/apt/lists"));
        assert!(!matches_hidden("/var/lib/apt/lists", "/var/lib/apt"));
        assert!(matches_hidden(
            "/var/lib/dpkg/*-old",
            "/var/lib/dpkg/status-old"
        ));
        assert!(!matches_hidden(
            "/var/lib/dpkg/*-old",
            "/var/lib/dpkg/status"
        ));
        assert!(matches_hidden("/home/*/.cache", "/home/ann/.cache/pip/x"));
        assert!(!matches_hidden("/tmp", "/tmpfile"));
    }

    #[test]
    fn child_names() {
        assert_eq!(child_name("/", "/etc"), Some(OsString::from("etc")));
        assert_eq!(child_name("/var", "/var/lib"), Some(OsString::from("lib")));
        assert_eq!(child_name("/var", "/var/lib/x"), None);
        assert_eq!(child_name("/var", "/variable"), None);
        assert_eq!(child_name("/", "/"), None);
    }

    #[test]
    fn generations_fold_like_overlayfs() {
        let base = tempfile::tempdir().unwrap();
        fs::write(base.path().join("kept"), "base").unwrap();
        fs::write(base.path().join("deleted"), "base").unwrap();
        let session = tempfile::tempdir().unwrap();
        let first = session.path().join("1");
        let second = session.path().join("2");
        fs::create_dir_all(first.join("0/new-dir")).unwrap();
        fs::write(first.join("0/new-dir/file"), "one").unwrap();
        fs::write(first.join("0/temporary"), "one").unwrap();
        fs::create_dir_all(second.join("0")).unwrap();
        fs::write(second.join("0/kept"), "changed").unwrap();
        // A whiteout is a 0:0 character device; creating one needs root, so emulate the
        // deletion of a path added in an earlier generation by removing it there.
        fs::remove_file(first.join("0/temporary")).unwrap();
        let mounts = vec![PlannedMount {
            target: "/".to_string(),
            lower: Lower::Host(base.path().to_path_buf()),
        }];
        let squashed = squash(&[first, second], &mounts).unwrap();
        let delta = compute(&squashed, &[], &IdMap::default());
        let listed: Vec<(String, ChangeKind)> = delta
            .changes
            .iter()
            .map(|change| (change.path.clone(), change.kind))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("/kept".to_string(), ChangeKind::Modified),
                ("/new-dir".to_string(), ChangeKind::Added),
                ("/new-dir/file".to_string(), ChangeKind::Added),
            ]
        );
        assert!(delta.render(10).contains("2 added, 1 modified, 0 deleted"));
    }
}
