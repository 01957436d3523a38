//! The image itself: config, manifest, `index.json`, `oci-layout`, and the archive.
//!
//! The image is assembled in a staging directory beside the output (an OCI image layout), then
//! written as a tar to a temporary file that is renamed onto the output: a failed build leaves
//! nothing at the output path, and nothing beside it either (the staging directory is removed
//! when [`Staging`] is dropped).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::blob::{BlobStore, LayerBlob};
use super::{CONFIG_MEDIA_TYPE, Descriptor, LAYER_MEDIA_TYPE, MANIFEST_MEDIA_TYPE, OciError};

/// A staging directory beside the output, removed on drop.
pub struct Staging {
    directory: PathBuf,
}

impl Staging {
    /// Creates `.<output name>.staging-<pid>` in the output's directory.
    pub fn beside(output: &Path) -> io::Result<Staging> {
        let name = output
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image.tar".to_string());
        let parent = parent_of(output);
        let directory = parent.join(format!(".{name}.staging-{}", std::process::id()));
        let _ = fs::remove_dir_all(&directory);
        fs::create_dir_all(directory.join("layout"))?;
        Ok(Staging { directory })
    }

    /// The OCI layout being assembled.
    pub fn layout(&self) -> PathBuf {
        self.directory.join("layout")
    }

    /// A scratch path outside the layout (e.g. for the uncompressed delta).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.directory.join(name)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.directory);
    }
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// One entry of the config's history.
#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub created_by: String,
    pub comment: String,
    /// True for entries that made no layer of their own.
    pub empty_layer: bool,
}

/// What goes into the image besides its layers.
pub struct ImageConfig {
    /// RFC 3339 (`created` of the image and of each history entry).
    pub created: String,
    /// `NAME=VALUE`, PATH first.
    pub env: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// The base image's config, when the base was an image: its command, working directory,
    /// user and history are kept.
    pub base_config: Option<serde_json::Value>,
    pub history: Vec<HistoryEntry>,
}

/// The layers in order, each with its media type.
pub struct Layers {
    pub descriptors: Vec<Descriptor>,
    pub diff_ids: Vec<String>,
}

impl Layers {
    pub fn push(&mut self, descriptor: Descriptor, diff_id: String) {
        self.descriptors.push(descriptor);
        self.diff_ids.push(diff_id);
    }

    pub fn push_gzip(&mut self, layer: &LayerBlob) {
        self.push(
            Descriptor::new(LAYER_MEDIA_TYPE, &layer.blob),
            layer.diff_id.clone(),
        );
    }
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    pub manifest: Descriptor,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
}

/// Writes config, manifest, index and `oci-layout` into the layout `store` belongs to.
pub fn write_layout(
    layout: &Path,
    store: &BlobStore,
    layers: &Layers,
    config: &ImageConfig,
    tag: &str,
) -> Result<Written, OciError> {
    let base = config.base_config.as_ref();
    let inherited = |key: &str| {
        base.and_then(|base| base["config"].get(key))
            .filter(|value| !value.is_null())
            .cloned()
    };
    let mut runtime = serde_json::Map::new();
    runtime.insert("Env".to_string(), json!(config.env));
    runtime.insert(
        "Cmd".to_string(),
        inherited("Cmd").unwrap_or_else(|| json!(["/bin/sh"])),
    );
    for key in [
        "Entrypoint",
        "User",
        "ExposedPorts",
        "Volumes",
        "StopSignal",
    ] {
        if let Some(value) = inherited(key) {
            runtime.insert(key.to_string(), value);
        }
    }
    runtime.insert(
        "WorkingDir".to_string(),
        inherited("WorkingDir").unwrap_or_else(|| json!("/")),
    );
    let mut labels: BTreeMap<String, String> = inherited("Labels")
        .and_then(|labels| serde_json::from_value(labels).ok())
        .unwrap_or_default();
    labels.extend(config.labels.clone());
    runtime.insert("Labels".to_string(), json!(labels));

    let mut history: Vec<serde_json::Value> = base
        .and_then(|base| base["history"].as_array().cloned())
        .unwrap_or_default();
    // Engines pair history entries that made a layer with the layers, in order: a base image
    // without (enough) history gets one entry per unexplained layer.
    let with_layer =
        |entries: &mut dyn Iterator<Item = bool>| entries.filter(|empty| !empty).count();
    let explained = with_layer(&mut history.iter().map(|entry| entry["empty_layer"] == true))
        + with_layer(&mut config.history.iter().map(|entry| entry.empty_layer));
    for number in explained..layers.descriptors.len() {
        history.push(json!({
            "created": config.created,
            "created_by": format!("layer {} of the base image (it has no history for it)", number + 1),
        }));
    }
    for entry in &config.history {
        let mut value = json!({
            "created": config.created,
            "created_by": entry.created_by,
            "comment": entry.comment,
        });
        if entry.empty_layer {
            value["empty_layer"] = json!(true);
        }
        history.push(value);
    }
    let image_config = json!({
        "created": config.created,
        "architecture": super::architecture(),
        "os": "linux",
        "config": runtime,
        "rootfs": { "type": "layers", "diff_ids": layers.diff_ids },
        "history": history,
    });
    let io_error = |error| OciError::io("writing the image", error);
    let config_blob = store
        .put_bytes(&to_bytes(&image_config))
        .map_err(io_error)?;
    let config_descriptor = Descriptor::new(CONFIG_MEDIA_TYPE, &config_blob);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "config": config_descriptor,
        "layers": layers.descriptors,
    });
    let manifest_blob = store.put_bytes(&to_bytes(&manifest)).map_err(io_error)?;
    let mut manifest_descriptor = Descriptor::new(MANIFEST_MEDIA_TYPE, &manifest_blob);
    manifest_descriptor.annotations = Some(BTreeMap::from([
        (
            "org.opencontainers.image.ref.name".to_string(),
            tag.to_string(),
        ),
        ("io.containerd.image.name".to_string(), full_reference(tag)),
    ]));
    manifest_descriptor.platform = Some(json!({
        "architecture": super::architecture(),
        "os": "linux",
    }));
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [manifest_descriptor],
    });
    fs::write(layout.join("index.json"), to_bytes(&index)).map_err(io_error)?;
    fs::write(
        layout.join("oci-layout"),
        to_bytes(&json!({ "imageLayoutVersion": "1.0.0" })),
    )
    .map_err(io_error)?;
    Ok(Written {
        manifest: manifest_descriptor,
        config: config_descriptor,
        layers: layers.descriptors.clone(),
    })
}

fn to_bytes(value: &serde_json::Value) -> Vec<u8> {
    // serde_json keeps object keys sorted (no preserve_order feature): stable bytes.
    serde_json::to_vec(value).unwrap_or_default()
}

/// `jq-tree:1` → `docker.io/library/jq-tree:1`, as Docker names images (it reads the
/// `io.containerd.image.name` annotation when loading an OCI archive).
pub fn full_reference(tag: &str) -> String {
    let first = tag.split('/').next().unwrap_or_default();
    let has_registry =
        tag.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if has_registry {
        tag.to_string()
    } else if tag.contains('/') {
        format!("docker.io/{tag}")
    } else {
        format!("docker.io/library/{tag}")
    }
}

/// Whether `tag` is a valid image reference `NAME[:TAG]` (lowercase name components separated
/// by `/`, optionally a registry host with a port first; a tag of letters, digits, `_.-`).
pub fn valid_reference(tag: &str) -> bool {
    let pattern = regex::Regex::new(
        r"^([a-zA-Z0-9.-]+(:[0-9]+)?/)?[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*(/[a-z0-9]+(([._]|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$",
    );
    pattern.is_ok_and(|pattern| pattern.is_match(tag)) && tag.len() <= 255
}

/// Writes the layout as a tar at `output`: a temporary file beside it, renamed into place.
/// Entries in name order with fixed owner and mtime, so equal layouts give equal archives.
pub fn write_archive(layout: &Path, output: &Path, mtime: u64) -> Result<(), OciError> {
    let name = output
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image.tar".to_string());
    let temporary = parent_of(output).join(format!(".{name}.partial-{}", std::process::id()));
    let result = (|| {
        let file = fs::File::create(&temporary)?;
        let mut builder = tar::Builder::new(BufWriter::new(file));
        let mut files = Vec::new();
        collect(layout, Path::new(""), &mut files)?;
        for (relative, is_directory) in files {
            let mut header = tar::Header::new_ustar();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(mtime);
            if is_directory {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(
                    &mut header,
                    format!("{}/", relative.display()),
                    io::empty(),
                )?;
            } else {
                let path = layout.join(&relative);
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(0o644);
                header.set_size(fs::metadata(&path)?.len());
                builder.append_data(&mut header, &relative, fs::File::open(&path)?)?;
            }
        }
        builder.finish()?;
        let mut writer = builder.into_inner()?;
        writer.flush()?;
        writer.get_ref().sync_all()?;
        drop(writer);
        fs::rename(&temporary, output)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result.map_err(|error| OciError::io(format!("writing {}", output.display()), error))
}

/// Every path under `directory`, parents before children, names sorted.
fn collect(root: &Path, relative: &Path, into: &mut Vec<(PathBuf, bool)>) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(root.join(relative))?
        .map(|entry| entry.map(|entry| entry.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let path = relative.join(&name);
        let is_directory = fs::symlink_metadata(root.join(&path))?.is_dir();
        into.push((path.clone(), is_directory));
        if is_directory {
            collect(root, &path, into)?;
        }
    }
    Ok(())
}

/// Writes `text` to `path` atomically (temporary file beside it, then rename).
pub fn write_atomically(path: &Path, text: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent_of(path).join(format!(".{name}.partial-{}", std::process::id()));
    let result = fs::write(&temporary, text).and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layer_has_a_history_entry_even_when_the_base_image_had_none() {
        let layout = std::env::temp_dir().join(format!("oci-image-test-{}", std::process::id()));
        let store = BlobStore::create(&layout).unwrap();
        let mut layers = Layers {
            descriptors: Vec::new(),
            diff_ids: Vec::new(),
        };
        for content in ["base one", "base two", "delta"] {
            let layer = store
                .put_layer(|sink: &mut dyn Write| sink.write_all(content.as_bytes()))
                .unwrap();
            layers.push_gzip(&layer);
        }
        let config = ImageConfig {
            created: "1970-01-01T00:00:00Z".to_string(),
            env: vec!["PATH=/bin".to_string()],
            labels: BTreeMap::new(),
            base_config: Some(json!({ "config": { "Cmd": ["/bin/bash"] } })),
            history: vec![
                HistoryEntry {
                    created_by: "doc".to_string(),
                    comment: String::new(),
                    empty_layer: true,
                },
                HistoryEntry {
                    created_by: "changes".to_string(),
                    comment: String::new(),
                    empty_layer: false,
                },
            ],
        };
        let written = write_layout(&layout, &store, &layers, &config, "a/b:1").unwrap();
        let image: serde_json::Value =
            serde_json::from_slice(&fs::read(store.path(&written.config.digest)).unwrap()).unwrap();
        let history = image["history"].as_array().unwrap();
        let with_layer = history
            .iter()
            .filter(|entry| entry["empty_layer"] != true)
            .count();
        assert_eq!(with_layer, 3, "{history:?}");
        assert_eq!(image["config"]["Cmd"], json!(["/bin/bash"]), "inherited");
        assert_eq!(image["rootfs"]["diff_ids"].as_array().unwrap().len(), 3);
        fs::remove_dir_all(&layout).unwrap();
    }

    #[test]
    fn references_are_checked_and_expanded_like_docker_does() {
        for good in [
            "jq-tree:1",
            "ci/tools:2026.11",
            "localhost:5000/ci/tools:latest",
            "registry.example.org/team/image",
            "a",
        ] {
            assert!(valid_reference(good), "{good}");
        }
        for bad in ["Jq:1", "jq tree:1", "jq:", ":1", "jq:-x", "jq::1", ""] {
            assert!(!valid_reference(bad), "{bad}");
        }
        assert_eq!(full_reference("jq:1"), "docker.io/library/jq:1");
        assert_eq!(full_reference("ci/jq:1"), "docker.io/ci/jq:1");
        assert_eq!(full_reference("localhost/jq:1"), "localhost/jq:1");
        assert_eq!(full_reference("ghcr.io/a/jq:1"), "ghcr.io/a/jq:1");
    }
}
