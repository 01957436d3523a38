//! The session directory of an overlay sandbox and the overlay mounts that assemble its root.
//!
//! ```text
//! $TMPDIR/agent-install-sandbox-<pid>-<n>/
//!   layers/<g>/<i>/    frozen upper dirs of earlier generations (snapshots), oldest g = 1
//!   upper/<i>/         the current upper dir of mount i
//!   work/<i>/          overlayfs work dirs
//!   scratch/           a tmpfs in the helper's mount namespace only, holding:
//!     synthetic/       files the sandbox needs that the base may lack (mount points)
//!     skeleton/<i>/    lower layer of a "split" mount: the directory's entries, empty
//!     base/            the host root seen through an overlay (root only, see below)
//!     merged/          where the root is assembled before pivot_root
//! ```
//!
//! The scratch parts live in memory and vanish with the namespace: directory removal is slow
//! on some disks (ext4 mounted with `discard` measured 2–4 ms per `rmdir`), so the less of the
//! session that sits on disk, the faster a session ends.
//!
//! overlayfs refuses a lower layer that lies inside another lower layer of the same filesystem
//! ("overlapping lowerdir path", ELOOP): with the host root `/` as a lower layer, the snapshot
//! layers and the synthetic layer under `$TMPDIR` could not be stacked on it. Two ways around
//! it, chosen by privilege:
//!
//! - As root, the host root is first mounted as a read-only-in-practice overlay of its own,
//!   `base/` (`lowerdir=/`, with an unused upper dir). Its dentries belong to another
//!   superblock, so the session's layers no longer lie "inside" a lower layer; the sandbox is
//!   one overlay on it (two levels, the kernel's maximum), plus one overlay for each separate
//!   disk filesystem mounted below `/` (a `/home` partition), which `lowerdir=/` would show
//!   empty.
//! - In a user namespace, `lowerdir=/` fails outright because `/` has locked submounts
//!   (`/proc`, `/sys`, ...), so the host root is *split*: its own overlay gets a skeleton of its
//!   entries as lower layer (new top-level entries are still captured), and each child
//!   directory gets its own overlay, recursively where mounts lie below it.
//!
//! A base such as a rootfs directory is one overlay either way.

use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

/// The helper's tmpfs in the session directory, and what it holds (paths relative to the
/// session directory, as the overlay options use them).
pub(crate) const SCRATCH: &str = "scratch";
pub(crate) const SYNTHETIC: &str = "scratch/synthetic";
pub(crate) const SKELETONS: &str = "scratch/skeleton";
pub(crate) const BASE_VIEW: &str = "scratch/base";
pub(crate) const MERGED: &str = "scratch/merged";

/// Directories at the sandbox root that get fresh filesystems instead of the base's content.
pub(crate) const FRESH_MOUNT_POINTS: &[&str] = &["proc", "sys", "dev", "tmp", "run"];

/// Files of the host bound read-only into every sandbox, so name resolution works.
pub(crate) const HOST_FILES: &[&str] = &["/etc/resolv.conf", "/etc/hosts"];

/// Secret paths relative to a home directory, masked in the sandbox when present.
const HOME_SECRETS: &[&str] = &[
    ".ssh",
    ".aws",
    ".azure",
    ".gnupg",
    ".kube",
    ".docker",
    ".netrc",
    ".git-credentials",
    ".pgpass",
    ".my.cnf",
    ".npmrc",
    ".pypirc",
    ".vault-token",
    ".password-store",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".config/gcloud",
    ".config/gh",
    ".config/hub",
    ".config/agent-install",
    ".local/share/keyrings",
    ".terraform.d/credentials.tfrc.json",
];

/// Where a mount's base content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lower {
    /// A host directory, used directly as the lowest layer.
    Host(PathBuf),
    /// `skeleton/<i>`: the entries of this host directory, with child directories mounted
    /// separately.
    Skeleton(PathBuf),
    /// `base/`: the host root seen through an overlay of its own (see the module docs).
    BaseView(PathBuf),
}

impl Lower {
    /// The host directory whose content this mount shows.
    pub(crate) fn host_path(&self) -> &Path {
        match self {
            Lower::Host(path) | Lower::Skeleton(path) | Lower::BaseView(path) => path,
        }
    }
}

/// Filesystems whose content a sandbox should see when they are mounted below the host root
/// (disk filesystems). Pseudo, network and FUSE filesystems are left out: they show as the
/// empty directory below them, as with `lowerdir=/`.
const DISK_FILESYSTEMS: &[&str] = &[
    "ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "vfat", "exfat", "zfs", "bcachefs", "jfs",
    "reiserfs", "nilfs2", "ntfs3",
];

/// One overlay mount of the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedMount {
    /// Path inside the sandbox: `/`, `/etc`, ...
    pub target: String,
    pub lower: Lower,
}

/// Computes the mounts for `base`. `hidden_root` is the directory holding session directories;
/// it appears empty inside. `rootless` asks for the user-namespace rules.
pub(crate) fn plan_mounts(
    base: &Path,
    hidden_root: &Path,
    rootless: bool,
) -> io::Result<Vec<PlannedMount>> {
    let mut mounts = Vec::new();
    if rootless {
        let mount_points: Vec<PathBuf> =
            mount_table()?.into_iter().map(|(point, _)| point).collect();
        plan_directory("/", base, base, hidden_root, &mount_points, &mut mounts)?;
    } else if base == Path::new("/") {
        mounts.push(PlannedMount {
            target: "/".to_string(),
            lower: Lower::BaseView(base.to_path_buf()),
        });
        let mut disks: Vec<PathBuf> = mount_table()?
            .into_iter()
            .filter(|(point, filesystem)| {
                point != Path::new("/")
                    && DISK_FILESYSTEMS.contains(&filesystem.as_str())
                    && !FRESH_MOUNT_POINTS
                        .iter()
                        .any(|fresh| point.starts_with(Path::new("/").join(fresh)))
                    && !point.starts_with(hidden_root)
            })
            .map(|(point, _)| point)
            .collect();
        disks.sort();
        disks.dedup();
        for disk in disks {
            let target = disk.to_string_lossy().into_owned();
            plan_directory(&target, &disk, base, hidden_root, &[], &mut mounts)?;
        }
    } else {
        plan_directory("/", base, base, hidden_root, &[], &mut mounts)?;
    }
    Ok(mounts)
}

fn plan_directory(
    target: &str,
    host: &Path,
    base: &Path,
    hidden_root: &Path,
    mount_points: &[PathBuf],
    mounts: &mut Vec<PlannedMount>,
) -> io::Result<()> {
    let contains_hidden = hidden_root.starts_with(host);
    let has_submounts = mount_points
        .iter()
        .any(|point| point != host && point.starts_with(host));
    if !contains_hidden && !has_submounts {
        mounts.push(PlannedMount {
            target: target.to_string(),
            lower: Lower::Host(host.to_path_buf()),
        });
        return Ok(());
    }
    mounts.push(PlannedMount {
        target: target.to_string(),
        lower: Lower::Skeleton(host.to_path_buf()),
    });
    let mut children: Vec<_> = fs::read_dir(host)?
        .filter_map(Result::ok)
        .map(|entry| entry.file_name())
        .collect();
    children.sort();
    for name in children {
        let child_host = host.join(&name);
        let Ok(metadata) = fs::symlink_metadata(&child_host) else {
            continue;
        };
        if !metadata.is_dir() || child_host == hidden_root {
            continue;
        }
        if host == base && FRESH_MOUNT_POINTS.iter().any(|fresh| name == *fresh) {
            continue;
        }
        let child_target = if target == "/" {
            format!("/{}", name.to_string_lossy())
        } else {
            format!("{target}/{}", name.to_string_lossy())
        };
        plan_directory(
            &child_target,
            &child_host,
            base,
            hidden_root,
            mount_points,
            mounts,
        )?;
    }
    Ok(())
}

/// The mount points of this process's mount namespace with their filesystem types (from
/// `/proc/self/mountinfo`: the type is the first field after the ` - ` separator).
fn mount_table() -> io::Result<Vec<(PathBuf, String)>> {
    let text = fs::read_to_string("/proc/self/mountinfo")?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let (fields, rest) = line.split_once(" - ")?;
            let point = fields.split(' ').nth(4)?;
            let filesystem = rest.split(' ').next()?;
            Some((
                PathBuf::from(unescape_mountinfo(point)),
                filesystem.to_string(),
            ))
        })
        .collect())
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
fn unescape_mountinfo(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'\\'
            && index + 3 < bytes.len()
            && bytes[index + 1..index + 4].iter().all(u8::is_ascii_digit)
        {
            let value = (bytes[index + 1] - b'0') * 64
                + (bytes[index + 2] - b'0') * 8
                + (bytes[index + 3] - b'0');
            out.push(value);
            index += 4;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Builds the skeleton of a split mount: an entry per entry of `host` (directories empty,
/// symlinks copied, small regular files copied), plus the synthetic files under `target`.
pub(crate) fn build_skeleton(
    skeleton: &Path,
    host: &Path,
    synthetic: &Path,
    target: &str,
) -> io::Result<()> {
    fs::create_dir_all(skeleton)?;
    copy_attributes(host, skeleton);
    for entry in fs::read_dir(host)? {
        let Ok(entry) = entry else { continue };
        let source = entry.path();
        let destination = skeleton.join(entry.file_name());
        let Ok(metadata) = fs::symlink_metadata(&source) else {
            continue;
        };
        let file_type = metadata.file_type();
        if file_type.is_dir() {
            fs::create_dir(&destination)?;
            copy_attributes(&source, &destination);
        } else if file_type.is_symlink() {
            if let Ok(link) = fs::read_link(&source) {
                symlink(link, &destination)?;
            }
        } else if file_type.is_file()
            && metadata.len() <= 1024 * 1024
            && fs::copy(&source, &destination).is_ok()
        {
            copy_attributes(&source, &destination);
        }
    }
    let synthetic_here = synthetic.join(target.trim_start_matches('/'));
    if synthetic_here.is_dir() {
        copy_missing(&synthetic_here, skeleton)?;
    }
    Ok(())
}

/// Copies the synthetic entries that the skeleton lacks (empty files and directories only).
fn copy_missing(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let destination = to.join(entry.file_name());
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            if !destination.exists() {
                fs::create_dir(&destination)?;
            }
            copy_missing(&entry.path(), &destination)?;
        } else if fs::symlink_metadata(&destination).is_err() {
            fs::write(&destination, b"")?;
        } else if fs::symlink_metadata(&destination)?.file_type().is_symlink() {
            // A symlinked resolv.conf cannot be mounted over; replace the link by a file.
            fs::remove_file(&destination)?;
            fs::write(&destination, b"")?;
        }
    }
    Ok(())
}

/// Creates the synthetic layer: empty files where host files are bound in, and the fresh mount
/// points when the base lacks them. Sitting above the base, its files shadow the base's (even a
/// symlinked `/etc/resolv.conf`), so the bind mounts always have a regular file to cover.
pub(crate) fn build_synthetic(synthetic: &Path, base: &Path) -> io::Result<()> {
    fs::create_dir_all(synthetic)?;
    let etc = synthetic.join("etc");
    fs::create_dir_all(&etc)?;
    copy_attributes(&base.join("etc"), &etc);
    for file in HOST_FILES {
        let path = synthetic.join(file.trim_start_matches('/'));
        fs::write(&path, b"")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
    }
    for name in FRESH_MOUNT_POINTS {
        if fs::symlink_metadata(base.join(name)).is_err() {
            let path = synthetic.join(name);
            fs::create_dir_all(&path)?;
            let mode = if *name == "tmp" { 0o1777 } else { 0o755 };
            fs::set_permissions(&path, fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

/// Secret paths present in the base, to mask inside.
pub(crate) fn secret_masks(base: &Path) -> Vec<String> {
    let mut homes: Vec<String> = vec!["/root".to_string()];
    if let Ok(entries) = fs::read_dir(base.join("home")) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                homes.push(format!("/home/{}", entry.file_name().to_string_lossy()));
            }
        }
    }
    let mut masks = Vec::new();
    for home in &homes {
        for secret in HOME_SECRETS {
            let inside = format!("{home}/{secret}");
            if fs::symlink_metadata(base.join(inside.trim_start_matches('/'))).is_ok() {
                masks.push(inside);
            }
        }
    }
    masks.sort();
    masks
}

/// Gives `destination` the mode and (when permitted) the owner of `source`. Overlayfs shows the
/// upper directory's attributes for a mount's root, so an upper dir must look like its lower.
pub(crate) fn copy_attributes(source: &Path, destination: &Path) {
    let Ok(metadata) = fs::metadata(source) else {
        return;
    };
    let _ = fs::set_permissions(
        destination,
        fs::Permissions::from_mode(metadata.mode() & 0o7777),
    );
    let _ = std::os::unix::fs::lchown(destination, Some(metadata.uid()), Some(metadata.gid()));
}

/// Escapes a path for an overlayfs option string (`\`, `:` and `,` are special there).
pub(crate) fn escape_option_path(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for character in path.chars() {
        if matches!(character, '\\' | ':' | ',') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// The overlayfs options of mount `index` in a session with `generations` frozen layers.
pub(crate) fn overlay_options(
    mount: &PlannedMount,
    index: usize,
    generations: u64,
    synthetic_exists: bool,
    rootless: bool,
) -> String {
    let mut lowers: Vec<String> = (1..=generations)
        .rev()
        .map(|generation| format!("layers/{generation}/{index}"))
        .collect();
    match &mount.lower {
        Lower::BaseView(_) => {
            if synthetic_exists {
                lowers.push(SYNTHETIC.to_string());
            }
            lowers.push(BASE_VIEW.to_string());
        }
        Lower::Host(host) => {
            if synthetic_exists {
                let relative = mount.target.trim_start_matches('/');
                lowers.push(if relative.is_empty() {
                    SYNTHETIC.to_string()
                } else {
                    format!("{SYNTHETIC}/{relative}")
                });
            }
            lowers.push(escape_option_path(&host.to_string_lossy()));
        }
        Lower::Skeleton(_) => lowers.push(format!("{SKELETONS}/{index}")),
    }
    let features = if rootless {
        "userxattr"
    } else {
        "index=off,metacopy=off,redirect_dir=off"
    };
    format!(
        "lowerdir={},upperdir=upper/{index},workdir=work/{index},{features},volatile",
        lowers.join(":")
    )
}

/// The overlay that shows the host root under `base/` (see the module docs): `lowerdir=/` with an
/// upper dir nothing ever writes to (a lower-only overlay would need two lower layers, and any
/// second one on the root filesystem would overlap `/`).
pub(crate) fn base_view_options() -> String {
    format!(
        "lowerdir=/,upperdir={SCRATCH}/base-upper,workdir={SCRATCH}/base-work,index=off,\
         metacopy=off,redirect_dir=off"
    )
}

/// Whether the synthetic layer has a directory for a mount at `target` (it holds `/etc` and,
/// for bases that lack them, mount points at the root).
pub(crate) fn synthetic_covers(target: &str) -> bool {
    target == "/" || target == "/etc"
}

/// Builds the scratch contents in the helper (run inside its mount namespace, with the
/// session directory as working directory and a fresh tmpfs on `scratch/`).
pub(crate) fn build_scratch(
    base: &Path,
    skeletons: &[(usize, PathBuf, String)],
    base_view: bool,
) -> io::Result<()> {
    let synthetic = Path::new(SYNTHETIC);
    build_synthetic(synthetic, base)?;
    for (index, host, target) in skeletons {
        build_skeleton(
            &Path::new(SKELETONS).join(index.to_string()),
            host,
            synthetic,
            target,
        )?;
    }
    if base_view {
        fs::create_dir(BASE_VIEW)?;
        let upper = Path::new(SCRATCH).join("base-upper");
        fs::create_dir(&upper)?;
        copy_attributes(Path::new("/"), &upper);
        fs::create_dir(Path::new(SCRATCH).join("base-work"))?;
    }
    fs::create_dir(MERGED)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rootfs_base_is_one_mount() {
        let base = tempfile::tempdir().unwrap();
        fs::create_dir(base.path().join("etc")).unwrap();
        let mounts = plan_mounts(base.path(), Path::new("/nonexistent/tmp"), false).unwrap();
        assert_eq!(
            mounts,
            vec![PlannedMount {
                target: "/".to_string(),
                lower: Lower::Host(base.path().to_path_buf())
            }]
        );
    }

    #[test]
    fn base_holding_the_session_root_is_split() {
        let base = tempfile::tempdir().unwrap();
        for directory in ["etc", "var/tmp/sessions", "var/lib", "proc", "usr"] {
            fs::create_dir_all(base.path().join(directory)).unwrap();
        }
        symlink("usr/bin", base.path().join("bin")).unwrap();
        let hidden = base.path().join("var/tmp/sessions");
        let mounts = plan_mounts(base.path(), &hidden, false).unwrap();
        let targets: Vec<_> = mounts
            .iter()
            .map(|mount| {
                let split = matches!(mount.lower, Lower::Skeleton(_));
                format!("{}{}", mount.target, if split { " (split)" } else { "" })
            })
            .collect();
        assert_eq!(
            targets,
            vec![
                "/ (split)",
                "/etc",
                "/usr",
                "/var (split)",
                "/var/lib",
                "/var/tmp (split)"
            ]
        );
    }

    #[test]
    fn options_stack_generations_and_escape_paths() {
        let mount = PlannedMount {
            target: "/etc".to_string(),
            lower: Lower::Host(PathBuf::from("/base,x:y/etc")),
        };
        assert_eq!(
            overlay_options(&mount, 2, 2, true, false),
            "lowerdir=layers/2/2:layers/1/2:scratch/synthetic/etc:/base\\,x\\:y/etc,upperdir=upper/2,\
             workdir=work/2,index=off,metacopy=off,redirect_dir=off,volatile"
        );
    }

    #[test]
    fn mountinfo_escapes() {
        assert_eq!(unescape_mountinfo("/a\\040b"), "/a b");
        assert_eq!(unescape_mountinfo("/plain"), "/plain");
    }
}
