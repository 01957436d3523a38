//! Applies OCI layers onto a directory, in order, honouring whiteouts: `.wh.NAME` deletes
//! `NAME` from the layers below, `.wh..wh..opq` empties its directory of what the layers below
//! put there. Used to turn a base image (an OCI archive) into a root filesystem directory that
//! the overlay sandbox can use as its lower layer. The whiteout names are read with
//! [`crate::sandbox::whiteout`], the module the layer export writes them with.

use std::fs;
use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use flate2::read::GzDecoder;

use crate::sandbox::whiteout::Whiteout;

/// How a layer blob is compressed, from its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

impl Compression {
    /// The compression of a layer media type; `None` for one this build cannot read (zstd).
    pub fn of_media_type(media_type: &str) -> Option<Compression> {
        match media_type {
            "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | "application/vnd.docker.image.rootfs.diff.tar" => Some(Compression::None),
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip" => Some(Compression::Gzip),
            _ => None,
        }
    }

    /// Detects gzip by its magic bytes.
    pub fn sniff(path: &Path) -> io::Result<Compression> {
        let mut magic = [0u8; 2];
        let mut file = fs::File::open(path)?;
        let read = file.read(&mut magic)?;
        Ok(if read == 2 && magic == [0x1f, 0x8b] {
            Compression::Gzip
        } else {
            Compression::None
        })
    }
}

/// Opens a (possibly compressed) tar file as a tar reader.
pub fn open_tar(path: &Path, compression: Compression) -> io::Result<tar::Archive<Box<dyn Read>>> {
    let file = BufReader::new(fs::File::open(path)?);
    let reader: Box<dyn Read> = match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(GzDecoder::new(file)),
    };
    Ok(tar::Archive::new(reader))
}

/// The relative path of an entry, refusing absolute paths and `..` (a layer must not write
/// outside the directory it is applied to).
fn safe_relative(path: &Path) -> io::Result<PathBuf> {
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => relative.push(name),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("layer entry `{}` points outside the layer", path.display()),
                ));
            }
        }
    }
    Ok(relative)
}

/// Removes whatever is at `path` (a file, a link or a whole directory); absent is fine.
fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// Applies one layer onto `root`. Two passes: the deletions first (they concern the layers
/// below, wherever they stand in the tar), then the entries.
pub fn apply_layer(layer: &Path, compression: Compression, root: &Path) -> io::Result<()> {
    for entry in open_tar(layer, compression)?.entries()? {
        let entry = entry?;
        let path = safe_relative(&entry.path()?)?;
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        let parent = root.join(path.parent().unwrap_or(Path::new("")));
        match Whiteout::parse(name) {
            Some(Whiteout::Opaque) if parent.is_dir() && !parent.is_symlink() => {
                for child in fs::read_dir(&parent)? {
                    remove_any(&child?.path())?;
                }
            }
            Some(Whiteout::Deletes(hidden)) => remove_any(&parent.join(hidden))?,
            Some(Whiteout::Opaque) | None => {}
        }
    }
    let mut archive = open_tar(layer, compression)?;
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_preserve_mtime(true);
    archive.set_unpack_xattrs(true);
    archive.set_overwrite(true);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = safe_relative(&entry.path()?)?;
        let Some(name) = path.file_name().and_then(|name| name.to_str()) else {
            continue;
        };
        if Whiteout::parse(name).is_some() {
            continue;
        }
        let target = root.join(&path);
        // A layer may replace a directory by a file or the other way round.
        if let Ok(existing) = fs::symlink_metadata(&target) {
            let entry_is_directory = entry.header().entry_type().is_dir();
            if existing.is_dir() != entry_is_directory || existing.is_symlink() {
                remove_any(&target)?;
            }
        }
        let kind = entry.header().entry_type();
        if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
            // The tar crate would write these as regular files (a rootfs has /dev/null etc.).
            remove_any(&target)?;
            make_node(&target, entry.header())?;
        } else {
            entry.unpack_in(root)?;
        }
    }
    Ok(())
}

/// Creates a device node or FIFO with the entry's mode and owner.
fn make_node(target: &Path, header: &tar::Header) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;

    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent)?;
    }
    let kind = header.entry_type();
    let file_type = if kind.is_character_special() {
        libc::S_IFCHR
    } else if kind.is_block_special() {
        libc::S_IFBLK
    } else {
        libc::S_IFIFO
    };
    let mode = (header.mode()? & 0o7777) as libc::mode_t;
    let device = libc::makedev(
        header.device_major()?.unwrap_or(0),
        header.device_minor()?.unwrap_or(0),
    );
    let path = CString::new(target.as_os_str().as_bytes())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, error))?;
    // SAFETY: path is NUL-terminated; mknod and lchown take no other pointers.
    if unsafe { libc::mknod(path.as_ptr(), file_type | mode, device) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let uid = u32::try_from(header.uid()?).unwrap_or(0);
    let gid = u32::try_from(header.gid()?).unwrap_or(0);
    // SAFETY: as above.
    if unsafe { libc::lchown(path.as_ptr(), uid, gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
