//! Helpers for the `provision` tests: run it, open the archive it wrote, and apply the image's
//! layers the way a container engine does, independently of the code under test.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Output, agent_install, assert_no_leftovers};

/// Runs `agent-install provision ARGS...` with a `TMPDIR` of its own, expects `status`, and
/// checks that no sandbox session, mount or process was left behind.
pub fn provision(args: &[&str], env: &[(&str, &str)], status: i32) -> Output {
    let sandbox_temp = tempfile::Builder::new()
        .prefix("provision-sandbox-")
        .tempdir()
        .expect("temp dir");
    let mut command = agent_install();
    command
        .arg("provision")
        .args(args)
        .env("TMPDIR", sandbox_temp.path());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = Output::from(command.output().expect("agent-install runs"));
    assert_eq!(
        output.status, status,
        "unexpected exit status of agent-install provision {args:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.stdout, output.stderr
    );
    assert_no_leftovers(sandbox_temp.path());
    output
}

/// The names in a directory, sorted.
pub fn names_in(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .expect("readable directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn read_json(path: &Path) -> serde_json::Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// An OCI archive unpacked into a directory (an OCI image layout).
pub struct Layout {
    pub directory: PathBuf,
}

impl Layout {
    pub fn unpack(archive: &Path, directory: &Path) -> Layout {
        fs::create_dir_all(directory).unwrap();
        tar::Archive::new(fs::File::open(archive).expect("archive exists"))
            .unpack(directory)
            .expect("the archive is a tar");
        Layout {
            directory: directory.to_path_buf(),
        }
    }

    pub fn blob(&self, digest: &str) -> PathBuf {
        self.directory
            .join("blobs/sha256")
            .join(digest.strip_prefix("sha256:").expect("a sha256 digest"))
    }

    pub fn index(&self) -> serde_json::Value {
        read_json(&self.directory.join("index.json"))
    }

    pub fn manifest(&self) -> serde_json::Value {
        let index = self.index();
        read_json(&self.blob(index["manifests"][0]["digest"].as_str().unwrap()))
    }

    pub fn config(&self) -> serde_json::Value {
        read_json(&self.blob(self.manifest()["config"]["digest"].as_str().unwrap()))
    }

    /// The layer digests, base first.
    pub fn layer_digests(&self) -> Vec<String> {
        self.manifest()["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|layer| layer["digest"].as_str().unwrap().to_string())
            .collect()
    }

    /// Applies every layer in order onto an empty `root`, as an engine does.
    pub fn apply_to(&self, root: &Path) {
        fs::create_dir_all(root).unwrap();
        for layer in self.manifest()["layers"].as_array().unwrap() {
            let digest = layer["digest"].as_str().unwrap();
            assert_eq!(
                layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip",
                "layers are gzipped tars"
            );
            apply_gzip_layer(&self.blob(digest), root);
        }
    }
}

fn gzip_tar(path: &Path) -> tar::Archive<flate2::read::GzDecoder<fs::File>> {
    tar::Archive::new(flate2::read::GzDecoder::new(fs::File::open(path).unwrap()))
}

/// Whiteouts first (`.wh.NAME` deletes NAME below, `.wh..wh..opq` empties the directory of
/// what the layers below had), then the entries of the layer.
fn apply_gzip_layer(layer: &Path, root: &Path) {
    for entry in gzip_tar(layer).entries().unwrap() {
        let entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let parent = root.join(path.parent().unwrap_or(Path::new("")));
        if name == ".wh..wh..opq" {
            for child in fs::read_dir(&parent).unwrap() {
                remove(&child.unwrap().path());
            }
        } else if let Some(deleted) = name.strip_prefix(".wh.") {
            remove(&parent.join(deleted));
        }
    }
    let mut archive = gzip_tar(layer);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_overwrite(true);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        if path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with(".wh."))
        {
            continue;
        }
        let target = root.join(&path);
        if let Ok(existing) = fs::symlink_metadata(&target)
            && (existing.is_dir() != entry.header().entry_type().is_dir() || existing.is_symlink())
        {
            remove(&target);
        }
        entry.unpack_in(root).unwrap();
    }
}

fn remove(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path).unwrap(),
        Ok(_) => fs::remove_file(path).unwrap(),
        Err(_) => {}
    }
}

/// Runs `sh -c COMMAND` chrooted into `root` with a clean login-like environment.
pub fn chroot(root: &Path, command: &str) -> Output {
    Output::from(
        Command::new("chroot")
            .arg(root)
            .args(["/bin/sh", "-c", command])
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("HOME", "/root")
            .output()
            .expect("chroot runs"),
    )
}

/// Whether a program is on this machine's PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|output| output.status.success())
}
