//! Sandbox profiles: named TOML files that say which backend, base, network, environment
//! passthrough, hidden delta paths and limits a session uses (`sandboxes/*.toml`).
//!
//! The profiles in the repository's `sandboxes/` directory are compiled into the binary, so
//! `--profile debian-bookworm` works from any directory; a user's own profiles live in
//! `$XDG_CONFIG_HOME/agent-install/sandboxes/NAME.toml` (same name: the user's wins), and a path
//! (`--profile ./mine.toml`) is read as given.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::config::Limits;
use super::{Backend, Network, SandboxError};

/// The profiles shipped with agent-install: (name, TOML text).
const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../sandboxes/default.toml")),
    (
        "debian-bookworm",
        include_str!("../../sandboxes/debian-bookworm.toml"),
    ),
    ("offline", include_str!("../../sandboxes/offline.toml")),
];

/// A loaded profile, every field resolved to its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub backend: Backend,
    /// `/`, a directory, or the name of a base built by `sandboxes/<name>/build.sh`.
    pub base: String,
    pub network: Network,
    /// Variables to pass in even though their names look secret.
    pub env: Vec<String>,
    pub inherit_environment: Option<bool>,
    pub carry_host_trust: bool,
    /// Paths hidden from delta summaries (a directory hides everything under it; `*` matches
    /// within one path component).
    pub hidden: Vec<String>,
    pub limits: Limits,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    description: Option<String>,
    backend: Option<String>,
    base: Option<String>,
    network: Option<String>,
    env: Option<Vec<String>>,
    inherit_environment: Option<bool>,
    carry_host_trust: Option<bool>,
    hidden: Option<Vec<String>>,
    limits: Option<LimitsFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    timeout: Option<String>,
    output_cap: Option<Size>,
    max_processes: Option<u64>,
    file_size: Option<Size>,
    open_files: Option<u64>,
}

/// A size written as a number of bytes or as text such as `64KiB` or `8G`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

impl Size {
    fn bytes(&self) -> Result<u64, String> {
        match self {
            Size::Bytes(bytes) => Ok(*bytes),
            Size::Text(text) => parse_size(text),
        }
    }
}

impl Profile {
    /// The profile used when none is named.
    pub fn default_profile() -> Result<Profile, SandboxError> {
        Profile::load("default")
    }

    /// Names of the profiles compiled into the binary.
    pub fn built_in_names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(name, _)| *name).collect()
    }

    /// Loads a profile by name (user directory first, then built in) or by path.
    pub fn load(name: &str) -> Result<Profile, SandboxError> {
        let error = |reason: String| SandboxError::Profile {
            name: name.to_string(),
            reason,
        };
        if name.contains('/') || name.ends_with(".toml") {
            let path = Path::new(name);
            let text = std::fs::read_to_string(path)
                .map_err(|source| error(format!("could not read {}: {source}", path.display())))?;
            let stem = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_else(|| name.to_string());
            return Profile::parse(&stem, &text);
        }
        if let Some(path) = user_profile_path(name)
            && path.is_file()
        {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| error(format!("could not read {}: {source}", path.display())))?;
            return Profile::parse(name, &text);
        }
        match BUILT_IN.iter().find(|(built_in, _)| *built_in == name) {
            Some((_, text)) => Profile::parse(name, text),
            None => Err(error(format!(
                "no such profile (built in: {})",
                Profile::built_in_names().join(", ")
            ))),
        }
    }

    /// Parses profile TOML; `name` is used in messages.
    pub fn parse(name: &str, text: &str) -> Result<Profile, SandboxError> {
        let error = |reason: String| SandboxError::Profile {
            name: name.to_string(),
            reason,
        };
        let file: ProfileFile = toml::from_str(text).map_err(|source| error(source.to_string()))?;
        let backend = match file.backend.as_deref() {
            None => Backend::Overlay,
            Some(text) => Backend::parse(text).ok_or_else(|| {
                error(format!(
                    "backend `{text}` is not one of overlay, host, dry-run"
                ))
            })?,
        };
        let network = match file.network.as_deref() {
            None => Network::On,
            Some(text) => Network::parse(text)
                .ok_or_else(|| error(format!("network `{text}` is not `on` or `off`")))?,
        };
        let limits_file = file.limits.unwrap_or_default();
        let defaults = Limits::default();
        let timeout = match limits_file.timeout.as_deref() {
            None => defaults.timeout,
            Some(text) => {
                parse_timeout(text).map_err(|reason| error(format!("timeout: {reason}")))?
            }
        };
        let output_cap = match &limits_file.output_cap {
            None => defaults.output_cap,
            Some(size) => {
                let bytes = size
                    .bytes()
                    .map_err(|reason| error(format!("output_cap: {reason}")))?;
                usize::try_from(bytes).unwrap_or(usize::MAX)
            }
        };
        let file_size = match &limits_file.file_size {
            None => None,
            Some(size) => Some(
                size.bytes()
                    .map_err(|reason| error(format!("file_size: {reason}")))?,
            ),
        };
        Ok(Profile {
            name: name.to_string(),
            description: file.description.unwrap_or_default(),
            backend,
            base: file.base.unwrap_or_else(|| "/".to_string()),
            network,
            env: file.env.unwrap_or_default(),
            inherit_environment: file.inherit_environment,
            carry_host_trust: file.carry_host_trust.unwrap_or(true),
            hidden: file.hidden.unwrap_or_default(),
            limits: Limits {
                timeout,
                output_cap,
                max_processes: limits_file.max_processes,
                file_size,
                open_files: limits_file.open_files,
            },
        })
    }
}

fn user_profile_path(name: &str) -> Option<PathBuf> {
    let config_home = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(
        config_home
            .join("agent-install/sandboxes")
            .join(format!("{name}.toml")),
    )
}

/// Parses a timeout: `30s`, `20m`, `1h30m`, `500ms`, a bare number of seconds, or `none`/`0`
/// for no timeout.
pub fn parse_timeout(text: &str) -> Result<Option<Duration>, String> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("none") || trimmed.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    let duration = parse_duration(trimmed)?;
    Ok(if duration.is_zero() {
        None
    } else {
        Some(duration)
    })
}

/// Parses a duration: a sequence of numbers with units `ms`, `s`, `m`, `h`, `d`; a bare number
/// means seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|error| error.to_string());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .unwrap_or(rest.len());
        if number_end == 0 {
            return Err(format!("`{text}` is not a duration (e.g. 30s, 20m, 1h)"));
        }
        let number: f64 = rest[..number_end]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (e.g. 30s, 20m, 1h)"))?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|character: char| character.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds_per_unit = match rest[..unit_end].trim() {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            unit => return Err(format!("unknown unit `{unit}` in `{text}`")),
        };
        rest = &rest[unit_end..];
        total += Duration::try_from_secs_f64(number * seconds_per_unit)
            .map_err(|error| error.to_string())?;
    }
    Ok(total)
}

/// Parses a size: bytes, or a number with `K`, `M`, `G`, `T` (powers of 1024; `KiB`, `KB` and
/// `k` are read the same).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let number_end = text
        .find(|character: char| !(character.is_ascii_digit() || character == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..number_end]
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 65536, 64KiB, 8G)"))?;
    let unit = text[number_end..].trim().to_ascii_lowercase();
    let multiplier: f64 = match unit.trim_end_matches("ib").trim_end_matches('b') {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit in `{text}` (use K, M, G or T)")),
    };
    // Sizes are far below 2^53, so the float round trip is exact for whole numbers.
    Ok((number * multiplier) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse() {
        for name in Profile::built_in_names() {
            let profile = Profile::load(name).unwrap();
            assert_eq!(profile.name, name);
        }
        let bookworm = Profile::load("debian-bookworm").unwrap();
        assert_eq!(bookworm.base, "debian-bookworm");
        assert!(
            bookworm
                .hidden
                .iter()
                .any(|path| path == "/var/lib/apt/lists")
        );
        assert_eq!(Profile::load("offline").unwrap().network, Network::Off);
    }

    #[test]
    fn unknown_fields_and_values_are_errors() {
        assert!(Profile::parse("x", "bakend = \"overlay\"").is_err());
        assert!(Profile::parse("x", "backend = \"docker\"").is_err());
        assert!(Profile::parse("x", "network = \"maybe\"").is_err());
        assert!(Profile::load("no-such-profile").is_err());
    }

    #[test]
    fn limits_parse() {
        let profile = Profile::parse(
            "x",
            "[limits]\ntimeout = \"1m30s\"\noutput_cap = \"16KiB\"\nfile_size = 1024\n\
             max_processes = 100",
        )
        .unwrap();
        assert_eq!(profile.limits.timeout, Some(Duration::from_secs(90)));
        assert_eq!(profile.limits.output_cap, 16384);
        assert_eq!(profile.limits.file_size, Some(1024));
        assert_eq!(profile.limits.max_processes, Some(100));
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_timeout("0").unwrap(), None);
        assert_eq!(parse_size("8G").unwrap(), 8 << 30);
        assert_eq!(parse_size("64KiB").unwrap(), 65536);
        assert!(parse_size("lots").is_err());
    }
}
