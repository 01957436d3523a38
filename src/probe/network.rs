//! `--network`: which package registries answer from here.
//!
//! A route through a registry that cannot be reached fails slowly and confusingly (apt-get
//! update even exits 0), so the planner wants to know up front. Each registry gets one HEAD
//! request, all at once, with a short deadline; any HTTP answer, even an error status, means
//! the registry is reachable. Redirects are not followed: a redirect is an answer.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The Debian mirror used when the apt sources name none.
pub const DEFAULT_DEBIAN_MIRROR: &str = "http://deb.debian.org/debian/";

/// The registries checked besides the distribution's mirror.
pub const REGISTRIES: &[(&str, &str)] = &[
    ("pypi", "https://pypi.org/simple/"),
    ("npm", "https://registry.npmjs.org/"),
    ("crates.io", "https://index.crates.io/config.json"),
    ("github", "https://github.com/"),
];

/// The hosts the package managers' default registries download from (the index and the
/// files): what the egress fence allows besides the target's apt sources.
pub const REGISTRY_HOSTS: &[&str] = &[
    "pypi.org",
    "files.pythonhosted.org",
    "registry.npmjs.org",
    "crates.io",
    "index.crates.io",
    "static.crates.io",
];

/// The result of asking one registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCheck {
    pub name: String,
    pub url: String,
    /// It answered with any HTTP status.
    pub reachable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub duration_ms: u64,
    /// Why it did not answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Checks the Debian mirror (on machines with apt sources) and the registries, concurrently.
pub async fn check(timeout: Duration) -> Vec<RegistryCheck> {
    let mut targets: Vec<(String, String)> = Vec::new();
    if let Some(mirror) = debian_mirror(Path::new("/")) {
        targets.push(("debian".to_string(), mirror));
    }
    targets.extend(
        REGISTRIES
            .iter()
            .map(|(name, url)| (name.to_string(), url.to_string())),
    );
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "agent-install/",
            env!("CARGO_PKG_VERSION"),
            " (probe)"
        ))
        .build()
    {
        Ok(client) => client,
        Err(error) => {
            let message = format!("could not build an HTTP client: {error}");
            return targets
                .into_iter()
                .map(|(name, url)| RegistryCheck {
                    name,
                    url,
                    reachable: false,
                    status: None,
                    duration_ms: 0,
                    error: Some(message.clone()),
                })
                .collect();
        }
    };
    let checks = targets.into_iter().map(|(name, url)| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let result = client.head(url.as_str()).send().await;
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            match result {
                Ok(response) => RegistryCheck {
                    name,
                    url,
                    reachable: true,
                    status: Some(response.status().as_u16()),
                    duration_ms,
                    error: None,
                },
                Err(error) => RegistryCheck {
                    name,
                    url,
                    reachable: false,
                    status: None,
                    duration_ms,
                    error: Some(describe(&error)),
                },
            }
        }
    });
    futures_util::future::join_all(checks).await
}

/// The hosts among `urls` (`scheme://host[:port]` origins) that give no HTTP answer within
/// `timeout`, asked all at once. A route that downloads from one of them cannot work here;
/// knowing it first skips the route in milliseconds instead of after its retries time out.
pub async fn unreachable_origins(origins: &[String], timeout: Duration) -> Vec<String> {
    let Ok(client) = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "agent-install/",
            env!("CARGO_PKG_VERSION"),
            " (probe)"
        ))
        .build()
    else {
        return Vec::new();
    };
    let checks = origins.iter().map(|origin| {
        let client = client.clone();
        async move {
            let answered = client.head(origin.as_str()).send().await.is_ok();
            (!answered).then(|| origin.clone())
        }
    });
    futures_util::future::join_all(checks)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// The origin (`https://host:port`) of a URL, for [`unreachable_origins`].
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(match parsed.port() {
        Some(port) => format!("{}://{host}:{port}/", parsed.scheme()),
        None => format!("{}://{host}/", parsed.scheme()),
    })
}

/// A short reason: reqwest's top-level message is generic ("error sending request"), the
/// innermost cause names the problem (DNS, refused, certificate).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_string();
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    innermost.to_string()
}

/// The first Debian mirror named in the apt sources under `root`, or the default mirror on a
/// Debian-like machine whose sources name none. `None` without apt.
pub fn debian_mirror(root: &Path) -> Option<String> {
    let uris = apt_source_uris(root)?;
    let mirror = uris
        .iter()
        .find(|uri| uri.contains("debian") && !uri.contains("security"))
        .or_else(|| uris.first())
        .cloned()
        .unwrap_or_else(|| DEFAULT_DEBIAN_MIRROR.to_string());
    Some(if mirror.ends_with('/') {
        mirror
    } else {
        format!("{mirror}/")
    })
}

/// Every repository URI of the apt sources under `root` (`sources.list` and the `.list` and
/// `.sources` files of `sources.list.d`, in name order). `None` without apt.
pub fn apt_source_uris(root: &Path) -> Option<Vec<String>> {
    let apt = root.join("etc/apt");
    if !apt.is_dir() {
        return None;
    }
    let mut texts = Vec::new();
    if let Ok(text) = std::fs::read_to_string(apt.join("sources.list")) {
        texts.push(text);
    }
    if let Ok(entries) = std::fs::read_dir(apt.join("sources.list.d")) {
        let mut paths: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension()
                    .is_some_and(|extension| extension == "list" || extension == "sources")
            })
            .collect();
        paths.sort();
        texts.extend(
            paths
                .iter()
                .filter_map(|path| std::fs::read_to_string(path).ok()),
        );
    }
    Some(texts.iter().flat_map(|text| source_uris(text)).collect())
}

/// The repository URIs of an apt sources file, in either format: one-line
/// (`deb [options] URI suite components`) or deb822 (`URIs: URI ...`).
pub fn source_uris(text: &str) -> Vec<String> {
    let mut uris = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("URIs:") {
            uris.extend(rest.split_whitespace().map(str::to_string));
            continue;
        }
        let mut words = line.split_whitespace();
        if words.next() != Some("deb") {
            continue;
        }
        let mut word = words.next();
        // Options are `[key=value ...]`, possibly several words.
        if word.is_some_and(|first| first.starts_with('[')) {
            while let Some(option) = word {
                word = words.next();
                if option.ends_with(']') {
                    break;
                }
            }
        }
        if let Some(uri) = word.filter(|uri| uri.contains("://")) {
            uris.push(uri.to_string());
        }
    }
    uris
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_sources() {
        let text = "# comment\ndeb http://deb.debian.org/debian bookworm main\n\
deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://packages.example.com/apt stable main\n\
deb-src http://deb.debian.org/debian bookworm main\n";
        assert_eq!(
            source_uris(text),
            vec![
                "http://deb.debian.org/debian",
                "https://packages.example.com/apt"
            ]
        );
    }

    #[test]
    fn deb822_sources() {
        let text = "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n\n\
Types: deb\n# URIs: http://commented.example/\nURIs: http://deb.debian.org/debian-security\n";
        assert_eq!(
            source_uris(text),
            vec![
                "http://mirror.example/debian",
                "http://deb.debian.org/debian-security"
            ]
        );
    }

    #[test]
    fn mirror_from_a_root() {
        let root = tempfile::tempdir().expect("temp dir");
        assert_eq!(debian_mirror(root.path()), None);
        std::fs::create_dir_all(root.path().join("etc/apt/sources.list.d")).expect("mkdir");
        assert_eq!(
            debian_mirror(root.path()).as_deref(),
            Some(DEFAULT_DEBIAN_MIRROR)
        );
        std::fs::write(
            root.path().join("etc/apt/sources.list.d/debian.sources"),
            "Types: deb\nURIs: http://deb.debian.org/debian-security\n\n\
Types: deb\nURIs: http://ftp.de.debian.org/debian\n",
        )
        .expect("write");
        assert_eq!(
            debian_mirror(root.path()).as_deref(),
            Some("http://ftp.de.debian.org/debian/")
        );
    }
}
