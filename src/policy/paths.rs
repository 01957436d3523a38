//! Paths the policy cares about: where secrets live, which files make a change survive a reboot or
//! a new shell, which locations belong to the system, and which paths are too important to delete.
//!
//! Paths arrive as the shell wrote them (`~/.ssh/id_rsa`, `$HOME/.bashrc`, `/root/.aws`,
//! `/tmp/../etc/shadow`). [`normalize`] rewrites them lexically into one spelling (home as `~`,
//! no `.`/`..`, no doubled or trailing slashes) so each list below needs only one entry per place.
//! Nothing here touches the filesystem: the commands have not run yet, and the policy must give
//! the same answer on every machine.

/// Rewrite a path as written in a command into the one spelling the lists below use.
///
/// The home directory in any of its forms (`~`, `~user`, `$HOME`, `${HOME}`, `/root`,
/// `/home/NAME`) becomes `~`; `.` and `..` are resolved lexically; repeated and trailing slashes
/// are dropped. Relative paths stay relative.
pub fn normalize(path: &str) -> String {
    let path = path.trim();
    let (root, rest) = split_root(path);
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if root.is_empty() {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    // A path that climbs out of the home directory lands in /home (or / for /root).
    let joined = parts.join("/");
    match root {
        "/" => format!("/{joined}"),
        "~" if joined.is_empty() => "~".to_string(),
        "~" => format!("~/{joined}"),
        _ if joined.is_empty() && !path.is_empty() => ".".to_string(),
        _ => joined,
    }
}

/// Split off the root of a path: `/`, `~` (home in any spelling), or nothing (relative).
fn split_root(path: &str) -> (&'static str, &str) {
    for home in ["${HOME}", "$HOME", "~"] {
        if let Some(rest) = path.strip_prefix(home)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return ("~", rest);
        }
    }
    // `~alice/…` is another user's home: still a home directory.
    if let Some(rest) = path.strip_prefix('~') {
        let (_, after) = rest.split_once('/').unwrap_or((rest, ""));
        return ("~", after);
    }
    if let Some(rest) = path.strip_prefix("/root")
        && (rest.is_empty() || rest.starts_with('/'))
    {
        return ("~", rest);
    }
    if let Some(rest) = path.strip_prefix("/home/") {
        let (user, after) = rest.split_once('/').unwrap_or((rest, ""));
        if !user.is_empty() && user != "*" {
            return ("~", after);
        }
    }
    if let Some(rest) = path.strip_prefix('/') {
        return ("/", rest);
    }
    ("", path)
}

/// Whether `path` (normalized) is `location` or inside it.
pub fn within(path: &str, location: &str) -> bool {
    path == location
        || path
            .strip_prefix(location)
            .is_some_and(|rest| rest.starts_with('/') || location.ends_with('/'))
}

/// Whether a normalized path matches a list entry, where a trailing `*` stands for any rest.
fn matches(path: &str, pattern: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return path.starts_with(prefix);
    }
    path == pattern
}

/// Where credentials live, with what they are. Checked in order; the first match names the place.
const SECRET_LOCATIONS: &[(&str, &str)] = &[
    ("~/.ssh", "SSH keys"),
    ("~/.gnupg", "GnuPG keys"),
    ("~/.aws", "AWS credentials"),
    ("~/.azure", "Azure credentials"),
    ("~/.config/gcloud", "Google Cloud credentials"),
    ("~/.kube/config", "Kubernetes credentials"),
    ("~/.docker/config.json", "Docker registry credentials"),
    ("~/.netrc", "network login passwords"),
    ("~/.git-credentials", "git credentials"),
    ("~/.config/gh/hosts.yml", "GitHub CLI token"),
    ("~/.npmrc", "npm token"),
    ("~/.pypirc", "PyPI token"),
    ("~/.cargo/credentials", "crates.io token"),
    ("~/.cargo/credentials.toml", "crates.io token"),
    ("~/.gem/credentials", "RubyGems token"),
    ("~/.vault-token", "Vault token"),
    ("~/.terraform.d/credentials.tfrc.json", "Terraform token"),
    ("~/.password-store", "password store"),
    ("~/.local/share/keyrings", "desktop keyring"),
    ("~/.pgpass", "PostgreSQL passwords"),
    ("~/.my.cnf", "MySQL passwords"),
    ("~/.bash_history", "shell history"),
    ("~/.zsh_history", "shell history"),
    ("~/.history", "shell history"),
    ("~/.mozilla", "browser profile"),
    ("~/.config/google-chrome", "browser profile"),
    ("~/.config/chromium", "browser profile"),
    ("/etc/shadow", "password hashes"),
    ("/etc/shadow-", "password hashes"),
    ("/etc/gshadow", "password hashes"),
    ("/etc/ssh/ssh_host_*", "SSH host keys"),
    ("/run/secrets", "container secrets"),
    ("/var/run/secrets", "container secrets"),
];

/// If `path` (normalized) holds credentials, what kind.
///
/// Public parts of `~/.ssh` (`known_hosts`, `*.pub`, `authorized_keys`, `config`) and public
/// host keys are not secrets; everything else there is. Braces and globs count: `~/.s?h/id_rsa`
/// and `~/.{aws,ssh}` name secrets as surely as the plain spelling.
pub fn secret_location(path: &str) -> Option<&'static str> {
    expand_braces(path).iter().find_map(|alternative| {
        plain_secret_location(alternative).or_else(|| globbed_secret_location(alternative))
    })
}

fn is_public_name(name: &str) -> bool {
    name.ends_with(".pub")
        || name.starts_with("known_hosts")
        || name == "authorized_keys"
        || name == "config"
}

/// A glob that could name a file in a secret location: its leading segments match the
/// location's, and its last segment is not a public file's name.
fn globbed_secret_location(path: &str) -> Option<&'static str> {
    if !has_glob(path) {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or("");
    if !has_glob(name) && is_public_name(name) {
        return None;
    }
    SECRET_LOCATIONS.iter().find_map(|(location, what)| {
        let location = location.trim_end_matches('*');
        let depth = location.split('/').count();
        let prefix: Vec<&str> = path.split('/').take(depth).collect();
        (prefix.len() == depth && glob_matches(&prefix.join("/"), location)).then_some(*what)
    })
}

fn plain_secret_location(path: &str) -> Option<&'static str> {
    let path = path.trim_end_matches('*').trim_end_matches('/');
    if path.is_empty() {
        return None;
    }
    if within(path, "~/.ssh") && is_public_name(path.rsplit('/').next().unwrap_or("")) {
        return None;
    }
    if path.starts_with("/etc/ssh/ssh_host_") && path.ends_with(".pub") {
        return None;
    }
    if path.starts_with("/proc/") && path.ends_with("/environ") {
        return Some("a process environment");
    }
    SECRET_LOCATIONS
        .iter()
        .find(|(location, _)| {
            if location.ends_with('*') {
                matches(path, location)
            } else {
                within(path, location)
            }
        })
        .map(|(_, what)| *what)
}

/// Whether some token of free text (code given to `python -c`, a heredoc) names a secret path.
pub fn text_mentions_secret(text: &str) -> Option<&'static str> {
    text.split(|c: char| c.is_whitespace() || "'\"`;,()[]{}<>|&=".contains(c))
        .filter(|token| token.contains('/') || token.starts_with('~'))
        .find_map(|token| secret_location(&normalize(token)))
}

/// Files read by every new shell (or login): a line added there runs in every later session.
const STARTUP_FILES: &[&str] = &[
    "~/.bashrc",
    "~/.bash_profile",
    "~/.bash_login",
    "~/.bash_logout",
    "~/.profile",
    "~/.zshrc",
    "~/.zshenv",
    "~/.zprofile",
    "~/.zlogin",
    "~/.kshrc",
    "~/.mkshrc",
    "~/.cshrc",
    "~/.tcshrc",
    "~/.xprofile",
    "~/.xinitrc",
    "~/.pam_environment",
    "~/.config/fish/config.fish",
    "~/.config/fish/conf.d*",
    "~/.config/environment.d*",
    "/etc/profile",
    "/etc/profile.d*",
    "/etc/bash.bashrc",
    "/etc/bashrc",
    "/etc/zshrc",
    "/etc/zsh*",
    "/etc/environment",
    "/etc/fish*",
];

/// Whether `path` (normalized) is a shell startup file.
pub fn is_startup_file(path: &str) -> bool {
    STARTUP_FILES.iter().any(|pattern| matches(path, pattern))
}

/// Places that schedule commands (cron and friends).
const SCHEDULE_LOCATIONS: &[&str] = &[
    "/etc/crontab",
    "/etc/cron.*",
    "/etc/anacrontab",
    "/var/spool/cron*",
    "/var/spool/at*",
];

/// Whether `path` (normalized) schedules commands.
pub fn is_schedule_location(path: &str) -> bool {
    SCHEDULE_LOCATIONS
        .iter()
        .any(|pattern| matches(path, pattern))
}

/// Places that start programs at boot or login (services, autostart entries).
const SERVICE_LOCATIONS: &[&str] = &[
    "/etc/systemd*",
    "/lib/systemd/system*",
    "/usr/lib/systemd/system*",
    "/usr/lib/systemd/user*",
    "~/.config/systemd*",
    "/etc/init.d*",
    "/etc/init/*",
    "/etc/rc.local",
    "~/.config/autostart*",
    "/etc/xdg/autostart*",
    "~/Library/LaunchAgents*",
    "/Library/LaunchAgents*",
    "/Library/LaunchDaemons*",
];

/// Whether `path` (normalized) defines a service or autostart entry.
pub fn is_service_location(path: &str) -> bool {
    // `/etc/rc0.d/…` to `/etc/rcS.d/…`: SysV init links.
    let sysv_link = path.starts_with("/etc/rc") && path.contains(".d/");
    sysv_link
        || SERVICE_LOCATIONS
            .iter()
            .any(|pattern| matches(path, pattern))
}

/// Package sources: a line added here makes the package manager trust a new origin.
const PACKAGE_SOURCES: &[&str] = &[
    "/etc/apt/sources.list",
    "/etc/apt/sources.list.d*",
    "/etc/yum.repos.d*",
    "/etc/zypp/repos.d*",
    "/etc/apk/repositories",
    "/etc/pacman.conf",
    "/etc/pacman.d*",
    "/etc/dnf/dnf.conf",
    "/etc/apt/preferences.d*",
];

/// Whether `path` (normalized) lists package sources.
pub fn is_package_source(path: &str) -> bool {
    PACKAGE_SOURCES.iter().any(|pattern| matches(path, pattern))
}

/// Keyrings that decide which packages are trusted.
const PACKAGE_KEYRINGS: &[&str] = &[
    "/etc/apt/keyrings*",
    "/etc/apt/trusted.gpg*",
    "/usr/share/keyrings*",
    "/usr/local/share/keyrings*",
    "/etc/pki/rpm-gpg*",
];

/// Whether `path` (normalized) is a package signing keyring.
pub fn is_package_keyring(path: &str) -> bool {
    PACKAGE_KEYRINGS
        .iter()
        .any(|pattern| matches(path, pattern))
}

/// Files that decide who may become root.
pub fn is_sudoers(path: &str) -> bool {
    within(path, "/etc/sudoers") || within(path, "/etc/sudoers.d") || path == "/etc/doas.conf"
}

/// Files whose wholesale replacement breaks logins or boot.
pub fn is_account_database(path: &str) -> bool {
    matches!(
        path,
        "/etc/passwd"
            | "/etc/shadow"
            | "/etc/group"
            | "/etc/gshadow"
            | "/etc/sudoers"
            | "/etc/fstab"
    )
}

/// Whether `path` (normalized) is where programs are installed for all users by hand
/// (`/usr/local`, `/opt`): writing there installs software rather than configuring the system.
pub fn is_local_install_location(path: &str) -> bool {
    within(path, "/usr/local") || within(path, "/opt")
}

/// Whether `path` (normalized) belongs to the operating system: configuration under `/etc`,
/// the distribution's files under `/usr` (not `/usr/local`), `/boot`, kernel settings.
pub fn is_system_location(path: &str) -> bool {
    if is_local_install_location(path) {
        return false;
    }
    [
        "/etc",
        "/usr",
        "/bin",
        "/sbin",
        "/lib",
        "/lib32",
        "/lib64",
        "/libx32",
        "/boot",
        "/sys",
        "/proc",
        "/var/lib",
        "/var/cache/debconf",
    ]
    .iter()
    .any(|location| within(path, location))
}

/// Whether `path` is a device the kernel stores a filesystem on: writing it destroys data.
pub fn is_block_device(path: &str) -> bool {
    let Some(name) = path.strip_prefix("/dev/") else {
        return false;
    };
    const PREFIXES: &[&str] = &[
        "sd", "hd", "vd", "xvd", "nvme", "mmcblk", "loop", "dm-", "md", "sr", "nbd", "disk/",
        "mapper/", "mem", "kmem", "port",
    ];
    PREFIXES.iter().any(|prefix| {
        name.strip_prefix(prefix).is_some_and(|rest| {
            prefix.ends_with('/')
                || matches!(*prefix, "mem" | "kmem" | "port") && rest.is_empty()
                || rest.starts_with(|c: char| c.is_ascii_alphanumeric())
        })
    })
}

/// Top-level directories whose loss makes the system (or the user's account) unusable.
const CRITICAL_DIRECTORIES: &[&str] = &[
    "/",
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/include",
    "/usr/share",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/share",
    "/usr/src",
    "/var/lib",
    "/var/log",
    "/var/cache",
    "/var/spool",
    "/var/www",
    "/etc/apt",
    "/etc/ssl",
    "/etc/ssh",
    "/etc/systemd",
    "~",
    "~/.config",
    "~/.local",
    "~/.ssh",
    "~/.gnupg",
    "~/Documents",
    "~/Desktop",
    "~/Pictures",
    "~/Projects",
    "~/src",
    "~/code",
];

/// If deleting (or recursively changing) `path` would destroy a system or home directory, which
/// one. Globs and braces count: `/*`, `~/*` and `/usr/*` name everything in a critical
/// directory, `/u*` and `/{usr,etc}` name critical directories.
pub fn critical_path(path: &str) -> Option<String> {
    expand_braces(path.trim())
        .iter()
        .find_map(|alternative| plain_critical_path(alternative))
}

fn plain_critical_path(path: &str) -> Option<String> {
    let trimmed = path.trim();
    if trimmed.is_empty() {
        return None;
    }
    let normalized = normalize(trimmed);
    // `dir/*`, `dir/.*`, `dir/{*,.*}` empty the directory: as bad as deleting it.
    let base = normalized
        .strip_suffix("/*")
        .or_else(|| normalized.strip_suffix("/.*"))
        .or_else(|| normalized.strip_suffix("/{*,.*}"))
        .or_else(|| normalized.strip_suffix("/.[!.]*"))
        .unwrap_or(&normalized);
    let base = if base.is_empty() { "/" } else { base };
    if base == "/*" {
        return Some("/".to_string());
    }
    if CRITICAL_DIRECTORIES.contains(&base) {
        return Some(base.to_string());
    }
    if has_glob(base) {
        let depth = base.split('/').count();
        return CRITICAL_DIRECTORIES
            .iter()
            .find(|directory| {
                directory.split('/').count() == depth && glob_matches(base, directory)
            })
            .map(|directory| directory.to_string());
    }
    None
}

/// Whether a path has glob characters the shell would expand.
fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Shell brace expansion (`/{usr,etc}` → `/usr`, `/etc`), bounded so a hostile command cannot
/// make it explode. Text without braces is returned as is.
pub fn expand_braces(text: &str) -> Vec<String> {
    const LIMIT: usize = 64;
    let mut pending = vec![text.to_string()];
    let mut done = Vec::new();
    while let Some(current) = pending.pop() {
        let Some(open) = current.find('{') else {
            done.push(current);
            continue;
        };
        let Some(close) = current[open..].find('}').map(|offset| open + offset) else {
            done.push(current);
            continue;
        };
        let inner = &current[open + 1..close];
        let alternatives = inner.split(',').count();
        let too_many = done.len() + pending.len() + alternatives > LIMIT;
        if !inner.contains(',') || inner.contains('{') || too_many {
            done.push(current);
            continue;
        }
        for alternative in inner.split(',') {
            pending.push(format!(
                "{}{alternative}{}",
                &current[..open],
                &current[close + 1..]
            ));
        }
    }
    done
}

/// Shell glob matching (`*` any text, `?` one character, `[…]` taken as one character).
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    wildcard_matches(pattern, text, true)
}

/// Wildcard matching with `*` and `?` only (`[` is literal): for policy-file patterns.
pub fn wildcard_matches(pattern: &str, text: &str, brackets: bool) -> bool {
    // Iterative with one backtrack point, so hostile patterns cannot blow up.
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut pattern_index, mut text_index) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while text_index < text.len() {
        match pattern.get(pattern_index) {
            Some('*') => {
                star = Some((pattern_index, text_index));
                pattern_index += 1;
            }
            Some('[') if brackets => {
                // A bracket expression matches one character; which one is not worth modelling.
                match pattern[pattern_index..].iter().position(|c| *c == ']') {
                    Some(length) => {
                        pattern_index += length + 1;
                        text_index += 1;
                    }
                    None if text[text_index] == '[' => {
                        pattern_index += 1;
                        text_index += 1;
                    }
                    None => match star {
                        Some((star_pattern, star_text)) => {
                            pattern_index = star_pattern + 1;
                            text_index = star_text + 1;
                            star = Some((star_pattern, star_text + 1));
                        }
                        None => return false,
                    },
                }
            }
            Some(&character) if character == '?' || character == text[text_index] => {
                pattern_index += 1;
                text_index += 1;
            }
            _ => match star {
                Some((star_pattern, star_text)) => {
                    pattern_index = star_pattern + 1;
                    text_index = star_text + 1;
                    star = Some((star_pattern, star_text + 1));
                }
                None => return false,
            },
        }
    }
    pattern[pattern_index..]
        .iter()
        .all(|character| *character == '*')
}

/// Whether a path written with a variable in front (`$PREFIX/`, `"$DIR"/*`) turns into a critical
/// path when that variable is empty or unset: the classic `rm -rf "$STEAMROOT/"*` accident.
pub fn empty_variable_hazard(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('$') else {
        return false;
    };
    let rest = rest.strip_prefix('{').unwrap_or(rest);
    let name_length = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..name_length];
    if name.is_empty() || name == "HOME" {
        return false;
    }
    let after = rest[name_length..]
        .strip_prefix('}')
        .unwrap_or(&rest[name_length..]);
    // `${X:?message}` makes the shell stop when X is empty: safe.
    if after.starts_with(":?") {
        return false;
    }
    critical_path(after).is_some_and(|critical| critical == "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_spellings_of_home_and_dots() {
        assert_eq!(normalize("~/.ssh/id_rsa"), "~/.ssh/id_rsa");
        assert_eq!(normalize("$HOME/.bashrc"), "~/.bashrc");
        assert_eq!(normalize("${HOME}/.bashrc"), "~/.bashrc");
        assert_eq!(normalize("/root/.aws/credentials"), "~/.aws/credentials");
        assert_eq!(normalize("/home/alice/.netrc"), "~/.netrc");
        assert_eq!(normalize("/tmp/../etc/shadow"), "/etc/shadow");
        assert_eq!(normalize("//usr///local/"), "/usr/local");
        assert_eq!(normalize("/"), "/");
        assert_eq!(normalize("~"), "~");
        assert_eq!(normalize("./build"), "build");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("/.."), "/");
    }

    #[test]
    fn secrets_and_public_files() {
        assert_eq!(secret_location("~/.ssh/id_rsa"), Some("SSH keys"));
        assert_eq!(secret_location("~/.ssh"), Some("SSH keys"));
        assert_eq!(secret_location("~/.ssh/known_hosts"), None);
        assert_eq!(secret_location("~/.ssh/id_ed25519.pub"), None);
        assert_eq!(
            secret_location("~/.aws/credentials"),
            Some("AWS credentials")
        );
        assert_eq!(
            secret_location("/proc/self/environ"),
            Some("a process environment")
        );
        assert_eq!(
            secret_location("/etc/ssh/ssh_host_ed25519_key"),
            Some("SSH host keys")
        );
        assert_eq!(secret_location("/etc/ssh/ssh_host_ed25519_key.pub"), None);
        assert_eq!(secret_location("~/.sshx"), None);
        assert_eq!(secret_location("~/.cargo/env"), None);
        assert_eq!(secret_location("~/.s?h/id_rsa"), Some("SSH keys"));
        assert_eq!(
            secret_location("~/.{cargo,aws}/credentials"),
            Some("AWS credentials")
        );
        assert_eq!(secret_location("/e*/sh*"), Some("password hashes"));
        assert_eq!(secret_location("~/.ss?/known_hosts"), None);
    }

    #[test]
    fn critical_paths_and_ordinary_ones() {
        assert_eq!(critical_path("/").as_deref(), Some("/"));
        assert_eq!(critical_path("/*").as_deref(), Some("/"));
        assert_eq!(critical_path("~").as_deref(), Some("~"));
        assert_eq!(critical_path("$HOME/").as_deref(), Some("~"));
        assert_eq!(critical_path("/usr/*").as_deref(), Some("/usr"));
        assert_eq!(critical_path("/usr/local/go"), None);
        assert_eq!(critical_path("./build"), None);
        assert_eq!(critical_path("/tmp/x"), None);
        assert_eq!(critical_path("/u*").as_deref(), Some("/usr"));
        assert_eq!(critical_path("/{tmp/x,etc}").as_deref(), Some("/etc"));
        assert_eq!(critical_path("/opt/tool-*"), None);
        assert!(empty_variable_hazard("$PREFIX/"));
        assert!(empty_variable_hazard("${DIR}/*"));
        assert!(!empty_variable_hazard("${DIR:?}/*"));
        assert!(!empty_variable_hazard("$DIR/build"));
    }

    #[test]
    fn globs_and_braces() {
        assert!(glob_matches("apt-get install *", "apt-get install -y jq"));
        assert!(glob_matches("a*b*c", "aXXbYYc"));
        assert!(!glob_matches("make", "make install"));
        assert!(glob_matches("r?", "rg"));
        assert!(glob_matches("/[ue]tc", "/etc"));
        assert!(!glob_matches("a*b", "aXXc"));
        assert!(glob_matches("*", ""));
        assert_eq!(expand_braces("/{a,b}/{c,d}").len(), 4);
        assert_eq!(expand_braces("{}"), vec!["{}".to_string()]);
        assert!(expand_braces(&"{a,b}".repeat(40)).len() <= 64);
    }

    #[test]
    fn devices() {
        assert!(is_block_device("/dev/sda"));
        assert!(is_block_device("/dev/nvme0n1"));
        assert!(is_block_device("/dev/disk/by-id/x"));
        assert!(!is_block_device("/dev/null"));
        assert!(!is_block_device("/dev/stdout"));
        assert!(!is_block_device("/dev/tty"));
    }
}
