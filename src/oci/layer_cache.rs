//! The compressed base layer of a root filesystem directory, cached: tarring and compressing
//! a 200 MB minimal Debian takes tens of seconds, and every build on the same base would do it
//! again. The cache key is a fingerprint of the tree's metadata (every path with its type, mode,
//! owner, size and mtime), the export options and the format version, so a change anywhere in
//! the base makes a new layer; the stored blob is checked against its digest when reused.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::blob::{BlobStore, LayerBlob};
use super::{OciError, cache_dir};
use crate::sandbox::ExportOptions;
use crate::sandbox::export::write_directory_layer;

/// Bumped when the layer format changes, so old cache entries are not reused.
const FORMAT: &str = "agent-install base layer v1";

/// Puts the base layer of `rootfs` into `store`, from the cache when it is there. `progress`
/// shows the bytes written while a layer is built.
pub fn base_layer(
    rootfs: &Path,
    options: &ExportOptions,
    store: &BlobStore,
    progress: bool,
) -> Result<LayerBlob, OciError> {
    let key = fingerprint(rootfs, options)
        .map_err(|error| OciError::io(format!("reading {}", rootfs.display()), error))?;
    let entry = cache_dir().join("layers").join(&key[..32]);
    let record = entry.join("layer.json");
    if let Some(layer) = fs::read_to_string(&record)
        .ok()
        .and_then(|text| serde_json::from_str::<LayerBlob>(&text).ok())
        && let Ok(blob) = store.put_file(&entry.join("layer.tar.gz"), &layer.blob.digest)
    {
        return Ok(LayerBlob {
            blob,
            diff_id: layer.diff_id,
        });
    }
    let bar = progress.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} building the base layer (once per base): {bytes} tarred, {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    });
    let layer = store
        .put_layer(|sink| {
            let counted = Counted {
                inner: sink,
                bar: bar.as_ref(),
            };
            write_directory_layer(rootfs, options, counted).map(|_| ())
        })
        .map_err(|error| {
            OciError::io(
                format!("writing the base layer of {}", rootfs.display()),
                error,
            )
        })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    // A failed cache write costs the next build time, not this one its image.
    let _ = store_in_cache(&entry, store, &layer);
    Ok(layer)
}

fn store_in_cache(entry: &Path, store: &BlobStore, layer: &LayerBlob) -> io::Result<()> {
    let parent = entry.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(parent)?;
    let temporary = parent.join(format!(".partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&temporary);
    let result = (|| {
        fs::create_dir_all(&temporary)?;
        fs::copy(
            store.path(&layer.blob.digest),
            temporary.join("layer.tar.gz"),
        )?;
        let record = serde_json::to_string_pretty(layer).map_err(io::Error::other)?;
        fs::write(temporary.join("layer.json"), record)?;
        let _ = fs::remove_dir_all(entry);
        fs::rename(&temporary, entry)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temporary);
    }
    result
}

/// Counts the bytes written for the progress display.
struct Counted<'a> {
    inner: &'a mut dyn Write,
    bar: Option<&'a indicatif::ProgressBar>,
}

impl Write for Counted<'_> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buffer)?;
        if let Some(bar) = self.bar {
            bar.inc(written as u64);
        }
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A hash of the tree's metadata and the options (hex).
fn fingerprint(rootfs: &Path, options: &ExportOptions) -> io::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(FORMAT.as_bytes());
    hasher.update(format!("{options:?}\n").as_bytes());
    hasher.update(rootfs.as_os_str().as_encoded_bytes());
    walk(rootfs, Path::new(""), &mut hasher)?;
    Ok(hex::encode(hasher.finalize()))
}

fn walk(root: &Path, relative: &Path, hasher: &mut Sha256) -> io::Result<()> {
    let directory = root.join(relative);
    let mut names: Vec<_> = fs::read_dir(&directory)?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let path = relative.join(&name);
        let metadata = fs::symlink_metadata(root.join(&path))?;
        hasher.update(path.as_os_str().as_encoded_bytes());
        hasher.update(
            format!(
                "\0{:o} {} {} {} {}.{} {}\n",
                metadata.mode(),
                metadata.uid(),
                metadata.gid(),
                metadata.len(),
                metadata.mtime(),
                metadata.mtime_nsec(),
                metadata.rdev()
            )
            .as_bytes(),
        );
        if metadata.is_dir() {
            walk(root, &path, hasher)?;
        }
    }
    Ok(())
}
