//! Writes a sandbox's changes as an OCI image layer: a tar whose deletions are `.wh.NAME` files
//! and whose replaced directories carry a `.wh..wh..opq` marker, as the OCI image spec
//! ("Whiteouts") defines (the names come from [`super::whiteout`]). Applied onto the base it
//! gives the sandbox's view of the filesystem.
//!
//! overlayfs' own encoding (0:0 character devices, `trusted.overlay.*` xattrs) must not leak into
//! the layer: a tool that unpacks the raw upper dir (`tar` of it, `umoci insert`) would create
//! device nodes instead of deleting files. Owners are written as seen inside the sandbox.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tar::{Builder, EntryType, Header};

use super::delta::{Directory, IdMap, MountChanges, Node, exportable_xattrs, read_layer};
use super::whiteout;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExportSummary {
    pub path: PathBuf,
    /// Entries written (files, directories, links, whiteouts).
    pub entries: u64,
    pub whiteouts: u64,
    pub opaque_directories: u64,
    /// Bytes of file content.
    pub content_bytes: u64,
}

/// How a layer is written. The default keeps everything as it is in the sandbox; a
/// reproducible build (`provision`) leaves out paths whose content differs on every run (apt
/// lists, caches, logs) and clamps mtimes, so the same steps give a byte-identical layer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportOptions {
    /// Paths left out of the layer, in the profile's `hidden` syntax (a directory leaves out
    /// everything under it; `*` matches within one name). Nothing is said about them either:
    /// no whiteout, so the base's version shows through.
    pub exclude: Vec<String>,
    /// Mtimes later than this (seconds since the epoch) are written as this, as reproducible
    /// builds do with `SOURCE_DATE_EPOCH`; `None` keeps them.
    pub clamp_mtime: Option<u64>,
}

impl ExportOptions {
    /// The options for a reproducible layer: `exclude` left out, mtimes clamped to
    /// `SOURCE_DATE_EPOCH` when it is set (to 0 otherwise).
    pub fn reproducible(exclude: Vec<String>) -> ExportOptions {
        ExportOptions {
            exclude,
            clamp_mtime: Some(source_date_epoch()),
        }
    }

    /// The mtime to write for a file whose real mtime is `mtime`.
    pub fn mtime(&self, mtime: i64) -> u64 {
        let mtime = u64::try_from(mtime).unwrap_or(0);
        match self.clamp_mtime {
            Some(limit) => mtime.min(limit),
            None => mtime,
        }
    }

    fn excludes(&self, path: &str) -> bool {
        self.exclude
            .iter()
            .any(|pattern| super::delta::matches_hidden(pattern, path))
    }
}

/// `SOURCE_DATE_EPOCH` (the reproducible-builds convention) when set to a number, else 0.
pub fn source_date_epoch() -> u64 {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

/// Writes the layer to `destination` (atomically: a temporary file renamed into place).
pub(crate) fn write_layer(
    mounts: &[MountChanges],
    ids: &IdMap,
    options: &ExportOptions,
    destination: &Path,
) -> io::Result<ExportSummary> {
    let temporary = destination.with_file_name(format!(
        ".{}.partial",
        destination
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "layer.tar".to_string())
    ));
    let result = (|| {
        let file = fs::File::create(&temporary)?;
        let (mut summary, mut inner) = write_layer_to(mounts, ids, options, BufWriter::new(file))?;
        inner.flush()?;
        inner.get_ref().sync_all()?;
        summary.path = destination.to_path_buf();
        Ok::<_, io::Error>(summary)
    })();
    match result {
        Ok(summary) => {
            fs::rename(&temporary, destination)?;
            Ok(summary)
        }
        Err(error) => {
            let _ = fs::remove_file(&temporary);
            Err(error)
        }
    }
}

/// Writes the layer as a tar stream into `sink` and gives the sink back (for hashing and
/// compressing writers). Entries come in name order, so the same tree gives the same bytes.
pub(crate) fn write_layer_to<W: Write>(
    mounts: &[MountChanges],
    ids: &IdMap,
    options: &ExportOptions,
    sink: W,
) -> io::Result<(ExportSummary, W)> {
    let mut writer = LayerWriter {
        builder: Builder::new(sink),
        ids: *ids,
        options: options.clone(),
        emitted_directories: HashSet::new(),
        hard_links: HashMap::new(),
        summary: ExportSummary::default(),
    };
    for mount in mounts {
        writer.mount(mount)?;
    }
    writer.builder.finish()?;
    let sink = writer.builder.into_inner()?;
    Ok((writer.summary, sink))
}

/// Writes a whole root filesystem directory as one layer (an image's base layer) into `sink`:
/// every entry in name order, owners as numbers, mtimes as `options` say. (A 0:0 character
/// device would be read as an overlayfs whiteout; a root filesystem has none.)
pub fn write_directory_layer<W: Write>(
    root: &Path,
    options: &ExportOptions,
    sink: W,
) -> io::Result<(ExportSummary, W)> {
    let metadata = fs::symlink_metadata(root)?;
    if !metadata.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a directory", root.display()),
        ));
    }
    let mount = MountChanges {
        target: "/".to_string(),
        host: root.to_path_buf(),
        root: Some(Directory {
            source: root.to_path_buf(),
            metadata,
            opaque: false,
            children: read_layer(root)?,
        }),
        excluded: Default::default(),
    };
    write_layer_to(&[mount], &IdMap::default(), options, sink)
}

struct LayerWriter<W: Write> {
    builder: Builder<W>,
    ids: IdMap,
    options: ExportOptions,
    emitted_directories: HashSet<String>,
    /// (device, inode) of files already written, for hard links within a layer.
    hard_links: HashMap<(u64, u64), String>,
    summary: ExportSummary,
}

/// `etc/apt` for `/etc/apt`: layer paths are relative.
fn relative(path: &str) -> String {
    path.trim_start_matches('/').to_string()
}

fn join(parent: &str, name: &OsString) -> String {
    if parent == "/" {
        format!("/{}", name.to_string_lossy())
    } else {
        format!("{parent}/{}", name.to_string_lossy())
    }
}

impl<W: Write> LayerWriter<W> {
    fn mount(&mut self, mount: &MountChanges) -> io::Result<()> {
        let Some(root) = &mount.root else {
            return Ok(());
        };
        if mount.target != "/" && self.options.excludes(&mount.target) {
            return Ok(());
        }
        let children: BTreeMap<&OsString, &Node> = root
            .children
            .iter()
            .filter(|(name, _)| !mount.excluded.contains(*name))
            .collect();
        if children.is_empty() {
            return Ok(());
        }
        if mount.target != "/" {
            self.parents(&mount.target, &mount.host)?;
            self.directory_entry(&mount.target, &root.source, &root.metadata)?;
        }
        for (name, node) in children {
            self.node(
                &join(&mount.target, name),
                node,
                Some(&mount.host.join(name)),
            )?;
        }
        Ok(())
    }

    /// Writes entries for the ancestors of `path` not written yet, with the base's attributes
    /// (they are unchanged, or they would be in an upper dir).
    fn parents(&mut self, path: &str, host: &Path) -> io::Result<()> {
        let components: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        let mut host_ancestor = host.to_path_buf();
        let mut ancestors = Vec::new();
        for depth in (1..components.len()).rev() {
            host_ancestor.pop();
            ancestors.push((
                format!("/{}", components[..depth].join("/")),
                host_ancestor.clone(),
            ));
        }
        for (ancestor, host_path) in ancestors.into_iter().rev() {
            if self.emitted_directories.contains(&ancestor) {
                continue;
            }
            if let Ok(metadata) = fs::metadata(&host_path) {
                self.directory_entry(&ancestor, &host_path, &metadata)?;
            }
        }
        Ok(())
    }

    fn node(&mut self, path: &str, node: &Node, base: Option<&Path>) -> io::Result<()> {
        if self.options.excludes(path) {
            return Ok(());
        }
        match node {
            Node::Whiteout => {
                // Only deletions of something that exists below need saying.
                if base.is_some_and(|base| fs::symlink_metadata(base).is_ok()) {
                    self.marker(&whiteout::whiteout_for(path))?;
                    self.summary.whiteouts += 1;
                }
                Ok(())
            }
            Node::Leaf { source, metadata } => self.leaf(path, source, metadata),
            Node::Directory(directory) => self.directory(path, directory, base),
        }
    }

    fn directory(
        &mut self,
        path: &str,
        directory: &Directory,
        base: Option<&Path>,
    ) -> io::Result<()> {
        self.directory_entry(path, &directory.source, &directory.metadata)?;
        let base_is_directory = base.is_some_and(|base| base.is_dir() && !base.is_symlink());
        if directory.opaque && base_is_directory {
            self.marker(&whiteout::opaque_marker_in(path))?;
            self.summary.opaque_directories += 1;
        }
        // Below an opaque directory (or one the base lacks) nothing of the base shows.
        let child_base = if directory.opaque || !base_is_directory {
            None
        } else {
            base
        };
        for (name, node) in &directory.children {
            let child_path = join(path, name);
            let child_base_path = child_base.map(|base| base.join(name));
            self.node(&child_path, node, child_base_path.as_deref())?;
        }
        Ok(())
    }

    fn header(&self, metadata: &fs::Metadata, kind: EntryType) -> Header {
        let mut header = Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(metadata.mode() & 0o7777);
        header.set_uid(u64::from(self.ids.uid(metadata.uid())));
        header.set_gid(u64::from(self.ids.gid(metadata.gid())));
        header.set_mtime(self.options.mtime(metadata.mtime()));
        header.set_size(0);
        header
    }

    fn directory_entry(
        &mut self,
        path: &str,
        source: &Path,
        metadata: &fs::Metadata,
    ) -> io::Result<()> {
        if !self.emitted_directories.insert(path.to_string()) {
            return Ok(());
        }
        self.xattrs(source)?;
        let mut header = self.header(metadata, EntryType::Directory);
        self.builder
            .append_data(&mut header, format!("{}/", relative(path)), io::empty())?;
        self.summary.entries += 1;
        Ok(())
    }

    fn leaf(&mut self, path: &str, source: &Path, metadata: &fs::Metadata) -> io::Result<()> {
        let kind = metadata.file_type();
        let name = relative(path);
        if kind.is_file() && metadata.nlink() > 1 {
            let key = (metadata.dev(), metadata.ino());
            if let Some(first) = self.hard_links.get(&key).cloned() {
                let mut header = self.header(metadata, EntryType::Link);
                self.builder.append_link(&mut header, &name, first)?;
                self.summary.entries += 1;
                return Ok(());
            }
            self.hard_links.insert(key, name.clone());
        }
        if kind.is_socket() {
            return Ok(());
        }
        self.xattrs(source)?;
        if kind.is_symlink() {
            let target = fs::read_link(source)?;
            let mut header = self.header(metadata, EntryType::Symlink);
            self.builder.append_link(&mut header, &name, target)?;
        } else if kind.is_char_device() || kind.is_block_device() || kind.is_fifo() {
            let entry_type = if kind.is_char_device() {
                EntryType::Char
            } else if kind.is_block_device() {
                EntryType::Block
            } else {
                EntryType::Fifo
            };
            let mut header = self.header(metadata, entry_type);
            let device = metadata.rdev();
            header.set_device_major(libc::major(device))?;
            header.set_device_minor(libc::minor(device))?;
            self.builder.append_data(&mut header, &name, io::empty())?;
        } else {
            let mut header = self.header(metadata, EntryType::Regular);
            header.set_size(metadata.len());
            let file = fs::File::open(source)?;
            self.builder.append_data(&mut header, &name, file)?;
            self.summary.content_bytes += metadata.len();
        }
        self.summary.entries += 1;
        Ok(())
    }

    /// An empty regular file: a whiteout or the opaque marker.
    fn marker(&mut self, path: &str) -> io::Result<()> {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(0);
        header.set_mtime(0);
        self.builder
            .append_data(&mut header, relative(path), io::empty())?;
        self.summary.entries += 1;
        Ok(())
    }

    /// Extended attributes (file capabilities, ACLs) go in a PAX header before the entry.
    fn xattrs(&mut self, source: &Path) -> io::Result<()> {
        let attributes = exportable_xattrs(source);
        if attributes.is_empty() {
            return Ok(());
        }
        let mut records = Vec::new();
        for (name, value) in attributes {
            records.extend(pax_record(&format!("SCHILY.xattr.{name}"), &value));
        }
        let mut header = Header::new_ustar();
        header.set_entry_type(EntryType::XHeader);
        header.set_path("PaxHeader")?;
        header.set_mode(0o644);
        header.set_size(records.len() as u64);
        header.set_cksum();
        self.builder.append(&header, records.as_slice())
    }
}

/// One PAX record: `<length> <key>=<value>\n`, where length counts the whole record.
fn pax_record(key: &str, value: &[u8]) -> Vec<u8> {
    let rest = key.len() + value.len() + 3; // space, '=', newline
    let mut length = rest + 1;
    while length != rest + length.to_string().len() {
        length = rest + length.to_string().len();
    }
    let mut record = format!("{length} {key}=").into_bytes();
    record.extend_from_slice(value);
    record.push(b'\n');
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproducible_options_clamp_mtimes_and_exclude_hidden_paths() {
        let options = ExportOptions {
            exclude: vec![
                "/var/lib/apt/lists".to_string(),
                "/var/lib/dpkg/*-old".to_string(),
            ],
            clamp_mtime: Some(1_000),
        };
        assert_eq!(options.mtime(5_000), 1_000);
        assert_eq!(options.mtime(999), 999);
        assert_eq!(options.mtime(-1), 0);
        assert!(options.excludes("/var/lib/apt/lists/partial/x"));
        assert!(options.excludes("/var/lib/dpkg/status-old"));
        assert!(!options.excludes("/var/lib/dpkg/status"));
        assert!(!options.excludes("/var/lib/apt/extended_states"));
        let keep_all = ExportOptions::default();
        assert_eq!(keep_all.mtime(5_000), 5_000);
        assert!(!keep_all.excludes("/var/lib/apt/lists/x"));
    }

    #[test]
    fn a_directory_layer_is_sorted_and_the_same_every_time() {
        let root = std::env::temp_dir().join(format!("export-dir-test-{}", std::process::id()));
        fs::create_dir_all(root.join("b/inner")).unwrap();
        fs::write(root.join("b/inner/file"), "x").unwrap();
        fs::write(root.join("a"), "y").unwrap();
        std::os::unix::fs::symlink("a", root.join("c")).unwrap();
        let options = ExportOptions {
            exclude: Vec::new(),
            clamp_mtime: Some(0),
        };
        let (_, first) = write_directory_layer(&root, &options, Vec::new()).unwrap();
        let (summary, second) = write_directory_layer(&root, &options, Vec::new()).unwrap();
        assert_eq!(first, second);
        assert_eq!(summary.entries, 5);
        let names: Vec<String> = tar::Archive::new(first.as_slice())
            .entries()
            .unwrap()
            .map(|entry| {
                let entry = entry.unwrap();
                assert_eq!(entry.header().mtime().unwrap(), 0);
                entry.path().unwrap().display().to_string()
            })
            .collect();
        assert_eq!(names, ["a", "b/", "b/inner/", "b/inner/file", "c"]);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn pax_record_lengths_count_themselves() {
        let record = pax_record("SCHILY.xattr.user.a", b"1");
        let text = String::from_utf8(record.clone()).unwrap();
        let (length, _) = text.split_once(' ').unwrap();
        assert_eq!(length.parse::<usize>().unwrap(), record.len());
        let long = pax_record("k", &[b'x'; 95]);
        let text = String::from_utf8(long.clone()).unwrap();
        let (length, _) = text.split_once(' ').unwrap();
        assert_eq!(length.parse::<usize>().unwrap(), long.len());
    }
}
