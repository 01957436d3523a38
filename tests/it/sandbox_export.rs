//! The exported layer is faithful: applied onto a copy of the base with OCI whiteout rules, it
//! gives the same tree as the sandbox's merged view — added, changed, deleted and replaced
//! entries, over two generations (a snapshot in between), with modes, owners, links and
//! content.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::is_root;
use crate::common::sandbox::*;
use agent_install::sandbox::{self, ExecRequest, Stream};

/// Lists every path with type, mode, owner, size (not for directories), link target, and the
/// content hash of regular files. Run inside the sandbox and in a chroot of the applied copy.
const LISTING: &str = r#"
skip='( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run -o -path /etc/hosts -o -path /etc/resolv.conf )'
find / -xdev $skip -prune -o -printf '%p %y %m %U %G %s %l\n' | sort
find / -xdev $skip -prune -o -type f -print0 | sort -z | xargs -0 sha256sum
"#;

fn normalize(listing: &str) -> Vec<String> {
    listing
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            // Directory sizes differ between overlayfs and ext4.
            if fields.len() >= 6 && fields[1] == "d" {
                format!(
                    "{} d {} {} {} -",
                    fields[0], fields[2], fields[3], fields[4]
                )
            } else {
                line.to_string()
            }
        })
        .collect()
}

/// Applies an OCI layer: first the whiteouts and opaque markers (they delete from the layers
/// below), then the entries.
fn apply_layer(layer: &Path, root: &Path) {
    let mut archive = tar::Archive::new(fs::File::open(layer).unwrap());
    for entry in archive.entries().unwrap() {
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
    let mut archive = tar::Archive::new(fs::File::open(layer).unwrap());
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_unpack_xattrs(true);
    archive.set_overwrite(true);
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().into_owned();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(".wh.")
        {
            continue;
        }
        let target = root.join(&path);
        if let Ok(existing) = fs::symlink_metadata(&target) {
            let entry_is_directory = entry.header().entry_type().is_dir();
            if existing.is_dir() != entry_is_directory || !existing.is_dir() {
                remove(&target);
            }
        }
        if entry.header().entry_type() == tar::EntryType::Fifo {
            // The tar crate unpacks FIFOs as regular files; make them by hand.
            let c_path = std::ffi::CString::new(target.to_string_lossy().as_bytes()).unwrap();
            let mode = entry.header().mode().unwrap();
            // SAFETY: c_path is NUL-terminated and lives for the call.
            assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), mode) }, 0);
            fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(mode))
                .unwrap();
            continue;
        }
        assert!(entry.unpack_in(root).unwrap(), "{} escapes", path.display());
    }
}

fn remove(path: &Path) {
    match fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs::remove_dir_all(path).unwrap(),
        Ok(_) => fs::remove_file(path).unwrap(),
        Err(_) => {}
    }
}

#[test]
fn the_layer_applied_to_the_base_reproduces_the_merged_view() {
    if !is_root() {
        eprintln!("skipped: the minbase rootfs and chroot need root");
        return;
    }
    let base = minbase();
    let temp = temp_root();
    let mut session = sandbox::open(config(&base, temp.path())).unwrap();
    run_ok(
        session.as_mut(),
        "mkdir -p /opt/app/bin && printf '#!/bin/sh\\necho app\\n' > /opt/app/bin/app && \
         chmod 755 /opt/app/bin/app && ln /opt/app/bin/app /opt/app/bin/app-hardlink && \
         ln -s /opt/app/bin/app /usr/local/bin/app && echo first > /opt/app/replaced-later && \
         echo temporary > /opt/app/temporary && rm /etc/issue.net && \
         rm -rf /usr/share/doc/apt && chown 1000:1000 /opt/app && \
         touch /opt/app/long-$(printf 'x%.0s' $(seq 1 150))",
    );
    session.snapshot().unwrap();
    run_ok(
        session.as_mut(),
        "rm /opt/app/temporary && rm /opt/app/replaced-later && mkdir /opt/app/replaced-later && \
         echo inside > /opt/app/replaced-later/file && echo more >> /etc/motd && \
         rm -rf /etc/apt/apt.conf.d && mkdir /etc/apt/apt.conf.d && \
         echo 'APT::Get::Assume-Yes \"true\";' > /etc/apt/apt.conf.d/90yes && \
         chmod 700 /etc/default && mkfifo /opt/app/fifo && mkdir /newtop && echo t > /newtop/file && \
         rm -rf /var/lib/apt/lists/partial && chmod 4755 /opt/app/bin/app",
    );
    let mut merged = String::new();
    let observation = session
        .exec(&ExecRequest::new(LISTING), &mut |stream, line| {
            if stream == Stream::Stdout {
                merged.push_str(line);
                merged.push('\n');
            }
        })
        .unwrap();
    assert!(observation.success(), "{}", observation.stderr.text());
    let layer = temp.path().join("layer.tar");
    let summary = session.export_layer(&layer).unwrap();
    assert!(summary.whiteouts >= 3, "{summary:?}");
    assert_eq!(summary.opaque_directories, 1, "{summary:?}");
    session.discard().unwrap();

    // The layer speaks OCI, not overlayfs: no device whiteouts, markers where expected.
    let names: BTreeSet<String> = tar::Archive::new(fs::File::open(&layer).unwrap())
        .entries()
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .path()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    for expected in [
        "etc/.wh.issue.net",
        "usr/share/doc/.wh.apt",
        "etc/apt/apt.conf.d/.wh..wh..opq",
        "var/lib/apt/lists/.wh.partial",
    ] {
        assert!(
            names.contains(expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|name| name.contains("temporary")),
        "{names:?}"
    );

    let copy = temp.path().join("copy");
    let status = Command::new("cp")
        .arg("-a")
        .arg(&base)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    apply_layer(&layer, &copy);
    let output = Command::new("chroot")
        .arg(&copy)
        .args(["/bin/bash", "-c", LISTING])
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let applied = String::from_utf8_lossy(&output.stdout).into_owned();
    let merged: BTreeSet<String> = normalize(&merged).into_iter().collect();
    let applied: BTreeSet<String> = normalize(&applied).into_iter().collect();
    let only_merged: Vec<_> = merged.difference(&applied).collect();
    let only_applied: Vec<_> = applied.difference(&merged).collect();
    assert!(
        only_merged.is_empty() && only_applied.is_empty(),
        "sandbox view and applied layer differ\nonly in the sandbox: {only_merged:#?}\n\
         only after applying: {only_applied:#?}"
    );
    assert!(merged.len() > 1000, "the listing covers the whole tree");
    assert_clean_except(temp.path(), &["layer.tar", "copy"]);
}

fn assert_clean_except(temp: &Path, allowed: &[&str]) {
    let left: Vec<String> = fs::read_dir(temp)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !allowed.contains(&name.as_str()))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
