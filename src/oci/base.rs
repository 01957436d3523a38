//! The base of an image (`provision --base`): a root filesystem directory (or a named base such
//! as `debian-bookworm`), a rootfs tarball, or an OCI image archive.
//!
//! The overlay sandbox needs a directory as its lower layer, so a tarball or an archive is
//! unpacked once into the cache (`~/.cache/agent-install/bases/<sha256 of the file>/`), keyed
//! by the file's content: the same file is never unpacked twice, a changed one never reuses a
//! stale directory. An OCI archive keeps its own layers for the image (so the result shares
//! them with the base image); the other kinds become one base layer (see [`super::layer_cache`]).

use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::unpack::{self, Compression};
use super::{Descriptor, OciError, cache_dir};
use crate::sandbox::rootfs;

/// What `--base` named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseKind {
    Directory,
    Tarball,
    OciArchive,
}

impl BaseKind {
    pub fn name(self) -> &'static str {
        match self {
            BaseKind::Directory => "directory",
            BaseKind::Tarball => "tarball",
            BaseKind::OciArchive => "oci-archive",
        }
    }
}

/// A resolved base.
#[derive(Debug, Clone)]
pub struct Base {
    /// As given on the command line.
    pub spec: String,
    pub kind: BaseKind,
    /// The root filesystem directory: the sandbox's lower layer.
    pub rootfs: PathBuf,
    /// For an OCI archive: its layers and config.
    pub image: Option<BaseImage>,
}

/// The image an OCI archive base holds.
#[derive(Debug, Clone)]
pub struct BaseImage {
    /// The unpacked layout (its `blobs/sha256/` holds the layers).
    pub layout: PathBuf,
    pub layers: Vec<Descriptor>,
    pub diff_ids: Vec<String>,
    /// The base's image config, to inherit its environment, command and history.
    pub config: serde_json::Value,
}

impl BaseImage {
    pub fn blob(&self, digest: &str) -> PathBuf {
        self.layout
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap_or(digest))
    }
}

/// Resolves `--base`: a directory or named base, else a file (tarball or OCI archive).
pub fn resolve(spec: &str) -> Result<Base, OciError> {
    let path = Path::new(spec);
    if spec == "/" {
        return Err(OciError::base(
            spec,
            "the host's own root filesystem cannot be an image base",
        ));
    }
    if path.is_file() {
        return resolve_file(spec, path);
    }
    let rootfs = rootfs::resolve(spec).map_err(|error| match error {
        crate::sandbox::SandboxError::BaseUnavailable { reason, .. } if !path.exists() => {
            OciError::base(spec, format!("{reason}; nor a tarball or OCI archive"))
        }
        other => OciError::base(spec, other.to_string()),
    })?;
    check_rootfs(spec, &rootfs)?;
    Ok(Base {
        spec: spec.to_string(),
        kind: BaseKind::Directory,
        rootfs,
        image: None,
    })
}

/// A root filesystem has a shell: every step runs with `sh -c`.
fn check_rootfs(spec: &str, rootfs: &Path) -> Result<(), OciError> {
    let has_shell = ["bin/sh", "usr/bin/sh"]
        .iter()
        .any(|shell| fs::symlink_metadata(rootfs.join(shell)).is_ok());
    if has_shell {
        Ok(())
    } else {
        Err(OciError::base(
            spec,
            format!(
                "{} is not a root filesystem (it has no /bin/sh)",
                rootfs.display()
            ),
        ))
    }
}

fn resolve_file(spec: &str, path: &Path) -> Result<Base, OciError> {
    let digest = super::blob::file_digest(path)
        .map_err(|error| OciError::io(format!("reading {spec}"), error))?;
    let key = digest.trim_start_matches("sha256:");
    let directory = cache_dir().join("bases").join(&key[..32]);
    let compression =
        Compression::sniff(path).map_err(|error| OciError::io(format!("reading {spec}"), error))?;
    let is_oci = is_oci_archive(path, compression)
        .map_err(|error| OciError::base(spec, format!("not a readable tar archive: {error}")))?;
    if !directory.join("complete").is_file() {
        unpack_file(spec, path, compression, is_oci, &directory)?;
    }
    let rootfs = directory.join("rootfs");
    check_rootfs(spec, &rootfs)?;
    let image = if is_oci {
        Some(read_layout(spec, &directory.join("layout"))?)
    } else {
        None
    };
    Ok(Base {
        spec: spec.to_string(),
        kind: if is_oci {
            BaseKind::OciArchive
        } else {
            BaseKind::Tarball
        },
        rootfs,
        image,
    })
}

/// Whether a tar holds an OCI image layout (an `oci-layout` file at its top).
fn is_oci_archive(path: &Path, compression: Compression) -> std::io::Result<bool> {
    let mut archive = unpack::open_tar(path, compression)?;
    let mut entries = 0;
    for entry in archive.entries()? {
        let entry = entry?;
        entries += 1;
        let name = entry.path()?.to_string_lossy().into_owned();
        if name.trim_start_matches("./") == "oci-layout" {
            return Ok(true);
        }
    }
    if entries == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "it holds no entries",
        ));
    }
    Ok(false)
}

/// Unpacks into a temporary sibling of `directory`, renamed into place when complete, so an
/// interrupted unpack never looks finished.
fn unpack_file(
    spec: &str,
    path: &Path,
    compression: Compression,
    is_oci: bool,
    directory: &Path,
) -> Result<(), OciError> {
    let parent = directory.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(parent).map_err(|error| OciError::io("creating the cache", error))?;
    let temporary = parent.join(format!(
        ".{}.partial-{}",
        directory
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&temporary);
    let result = (|| {
        let rootfs = temporary.join("rootfs");
        fs::create_dir_all(&rootfs).map_err(|error| OciError::io("creating the cache", error))?;
        eprintln!("agent-install: unpacking the base {spec} (once per file) ...");
        if is_oci {
            let layout = temporary.join("layout");
            fs::create_dir_all(&layout)
                .map_err(|error| OciError::io("creating the cache", error))?;
            unpack::open_tar(path, compression)
                .and_then(|mut archive| archive.unpack(&layout))
                .map_err(|error| {
                    OciError::base(
                        spec,
                        format!("could not unpack it: {}", with_causes(&error)),
                    )
                })?;
            let image = read_layout(spec, &layout)?;
            for layer in &image.layers {
                let compression =
                    Compression::of_media_type(&layer.media_type).ok_or_else(|| {
                        OciError::base(
                            spec,
                            format!(
                                "its layer {} has media type {}, which this build cannot read \
                             (tar and tar+gzip layers only)",
                                layer.digest, layer.media_type
                            ),
                        )
                    })?;
                unpack::apply_layer(&image.blob(&layer.digest), compression, &rootfs).map_err(
                    |error| {
                        OciError::base(
                            spec,
                            format!(
                                "could not apply its layer {}: {}",
                                layer.digest,
                                with_causes(&error)
                            ),
                        )
                    },
                )?;
            }
        } else {
            unpack::apply_layer(path, compression, &rootfs).map_err(|error| {
                OciError::base(
                    spec,
                    format!("could not unpack it: {}", with_causes(&error)),
                )
            })?;
        }
        fs::write(temporary.join("complete"), b"")
            .map_err(|error| OciError::io("writing the cache", error))?;
        let _ = fs::remove_dir_all(directory);
        fs::rename(&temporary, directory).map_err(|error| OciError::io("writing the cache", error))
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&temporary);
    }
    result
}

/// An I/O error with its causes (the tar crate wraps the OS error in its own).
fn with_causes(error: &std::io::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[derive(Deserialize)]
struct Index {
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Manifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// Reads an unpacked OCI layout: index → (nested index →) manifest → config and layers. With
/// several manifests, the one for this machine's platform.
fn read_layout(spec: &str, layout: &Path) -> Result<BaseImage, OciError> {
    let bad = |reason: String| OciError::base(spec, reason);
    let read_json = |path: &Path| -> Result<serde_json::Value, OciError> {
        let text = fs::read_to_string(path).map_err(|error| {
            bad(format!(
                "it lacks {}: {error}",
                path.strip_prefix(layout).unwrap_or(path).display()
            ))
        })?;
        serde_json::from_str(&text).map_err(|error| {
            bad(format!(
                "{} is not valid JSON: {error}",
                path.strip_prefix(layout).unwrap_or(path).display()
            ))
        })
    };
    let blob = |digest: &str| {
        layout
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").unwrap_or(digest))
    };
    let mut index: Index = serde_json::from_value(read_json(&layout.join("index.json"))?)
        .map_err(|error| bad(format!("index.json is not an OCI index: {error}")))?;
    for _ in 0..3 {
        let chosen = choose_manifest(&index.manifests)
            .ok_or_else(|| bad("its index.json lists no image".to_string()))?;
        if chosen.media_type == INDEX_MEDIA_TYPE {
            index = serde_json::from_value(read_json(&blob(&chosen.digest))?)
                .map_err(|error| bad(format!("a nested index is invalid: {error}")))?;
            continue;
        }
        let manifest: Manifest = serde_json::from_value(read_json(&blob(&chosen.digest))?)
            .map_err(|error| bad(format!("its manifest is invalid: {error}")))?;
        let config = read_json(&blob(&manifest.config.digest))?;
        let diff_ids: Vec<String> = config["rootfs"]["diff_ids"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|id| id.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if diff_ids.len() != manifest.layers.len() {
            return Err(bad(format!(
                "its config lists {} diff_ids for {} layers",
                diff_ids.len(),
                manifest.layers.len()
            )));
        }
        return Ok(BaseImage {
            layout: layout.to_path_buf(),
            layers: manifest.layers,
            diff_ids,
            config,
        });
    }
    Err(bad("its indexes nest too deep".to_string()))
}

/// The manifest for this platform, else the only/first one.
fn choose_manifest(manifests: &[Descriptor]) -> Option<&Descriptor> {
    let architecture = super::architecture();
    manifests
        .iter()
        .find(|descriptor| {
            descriptor.platform.as_ref().is_some_and(|platform| {
                platform["architecture"] == architecture && platform["os"] == "linux"
            })
        })
        .or_else(|| manifests.first())
}
