//! The OCI image spec's whiteouts ("Whiteouts" in the layer spec), named in one place: a layer
//! deletes `NAME` from the layers below with an empty `.wh.NAME` file, and empties a directory
//! of what the layers below put there with a `.wh..wh..opq` file inside it.
//!
//! The sandbox writes them when it exports its changes ([`super::export`]); `oci::unpack` reads
//! them when it applies a base image's layers. It lives in `sandbox` because `oci` already
//! depends on `sandbox`, while `sandbox` imports no other module of the application.

/// The prefix of a whiteout file's name: `.wh.NAME` deletes `NAME`.
pub const PREFIX: &str = ".wh.";

/// The file that makes its directory opaque: nothing of the layers below shows through it.
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";

/// What a whiteout file in a layer means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whiteout<'a> {
    /// `.wh..wh..opq`: the directory it stands in hides everything the layers below put there.
    Opaque,
    /// `.wh.NAME`: the entry `NAME` next to it is deleted from the layers below.
    Deletes(&'a str),
}

impl<'a> Whiteout<'a> {
    /// What the entry named `name` (a file name, not a path) means, or `None` for an ordinary
    /// entry. The opaque marker also starts with [`PREFIX`], so it is recognized first.
    pub fn parse(name: &'a str) -> Option<Whiteout<'a>> {
        if name == OPAQUE_MARKER {
            Some(Whiteout::Opaque)
        } else {
            name.strip_prefix(PREFIX).map(Whiteout::Deletes)
        }
    }
}

/// The path of the whiteout that deletes `path`: `/etc/issue.net` → `/etc/.wh.issue.net`.
pub fn whiteout_for(path: &str) -> String {
    match path.rfind('/') {
        Some(slash) => format!("{}{PREFIX}{}", &path[..=slash], &path[slash + 1..]),
        None => format!("{PREFIX}{path}"),
    }
}

/// The path of the opaque marker inside `directory`: `/etc/apt` → `/etc/apt/.wh..wh..opq`.
pub fn opaque_marker_in(directory: &str) -> String {
    if directory.is_empty() {
        OPAQUE_MARKER.to_string()
    } else if directory.ends_with('/') {
        format!("{directory}{OPAQUE_MARKER}")
    } else {
        format!("{directory}/{OPAQUE_MARKER}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whiteout_of_a_path_is_its_name_prefixed_in_the_same_directory() {
        assert_eq!(whiteout_for("/etc/issue.net"), "/etc/.wh.issue.net");
        assert_eq!(whiteout_for("/etc"), "/.wh.etc");
        assert_eq!(whiteout_for("usr/share/doc/apt"), "usr/share/doc/.wh.apt");
        assert_eq!(whiteout_for("apt"), ".wh.apt");
    }

    #[test]
    fn the_opaque_marker_stands_inside_its_directory() {
        assert_eq!(
            opaque_marker_in("/etc/apt/apt.conf.d"),
            "/etc/apt/apt.conf.d/.wh..wh..opq"
        );
        assert_eq!(opaque_marker_in("/"), "/.wh..wh..opq");
        assert_eq!(opaque_marker_in("var/lib/"), "var/lib/.wh..wh..opq");
        assert_eq!(opaque_marker_in(""), ".wh..wh..opq");
    }

    #[test]
    fn whiteouts_are_recognized_and_ordinary_names_are_not() {
        assert_eq!(Whiteout::parse(".wh..wh..opq"), Some(Whiteout::Opaque));
        assert_eq!(
            Whiteout::parse(".wh.issue.net"),
            Some(Whiteout::Deletes("issue.net"))
        );
        // A hidden file whose own name starts with a dot.
        assert_eq!(
            Whiteout::parse(".wh..bashrc"),
            Some(Whiteout::Deletes(".bashrc"))
        );
        assert_eq!(Whiteout::parse("issue.net"), None);
        assert_eq!(Whiteout::parse(".whatever"), None);
        assert_eq!(Whiteout::parse("x.wh.y"), None);
    }

    #[test]
    fn what_is_written_reads_back() {
        for path in ["/etc/issue.net", "/etc/.bashrc", "/usr/share/doc/apt"] {
            let whiteout = whiteout_for(path);
            let (directory, name) = whiteout.rsplit_once('/').unwrap();
            let (deleted_directory, deleted) = path.rsplit_once('/').unwrap();
            assert_eq!(directory, deleted_directory);
            assert_eq!(Whiteout::parse(name), Some(Whiteout::Deletes(deleted)));
        }
        let marker = opaque_marker_in("/etc/apt");
        let name = marker.rsplit_once('/').unwrap().1;
        assert_eq!(Whiteout::parse(name), Some(Whiteout::Opaque));
    }
}
