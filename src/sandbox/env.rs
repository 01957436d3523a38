//! The environment a sandboxed command starts with.
//!
//! Secrets never reach the sandbox unless the user passes them by name (DESIGN §3): variables
//! whose names look like credentials are dropped, as are sockets to the user's agents (ssh, gpg,
//! the session bus), which would hand out keys without any secret in the environment. Installers
//! must not prompt, so `DEBIAN_FRONTEND=noninteractive` is always set.
//!
//! Even a sandbox that inherits from the caller gets only the variables that say where things
//! are and how to talk ([`KEPT_NAMES`]: PATH, HOME, USER, the locale, the proxy and trust
//! settings, the toolchains' home directories), never the whole environment: a database URL
//! with its password, a registry URL with a token in it, or a project's settings have names
//! that no list of secret names catches, and an install needs none of them. `--env NAME` and
//! the profile's `env` pass more by name.

/// `PATH` for a root filesystem that is not the host's.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Proxy settings, carried into every sandbox: users behind corporate proxies need them.
const PROXY_NAMES: &[&str] = &[
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
];

/// What a sandbox that inherits the caller's environment keeps of it (besides [`PROXY_NAMES`],
/// `LC_*` and what is passed by name): where things are and how to talk, no data.
const KEPT_NAMES: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TZ",
    // Trust settings: behind a TLS-inspecting proxy nothing downloads without them.
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "PIP_CERT",
    "NODE_EXTRA_CA_CERTS",
    "CARGO_HTTP_CAINFO",
    // Where the caller's toolchains live: PATH points into them, and their tools read these.
    "CARGO_HOME",
    "RUSTUP_HOME",
    "GOPATH",
    "GOROOT",
    "PYENV_ROOT",
    "NVM_DIR",
    "JAVA_HOME",
];

/// Whether a sandbox that inherits the environment keeps the variable `name`.
fn kept(name: &str) -> bool {
    KEPT_NAMES.contains(&name) || PROXY_NAMES.contains(&name) || name.starts_with("LC_")
}

/// Variables that give access to credentials without containing one.
const AGENT_SOCKETS: &[&str] = &[
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "GPG_AGENT_INFO",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "KRB5CCNAME",
];

/// Whether a variable's name marks it as a secret: `*_API_KEY`, `*_TOKEN`, `*_SECRET`,
/// `*PASSWORD*`, and their close relatives (`*_SECRET_*`, `*_TOKEN_*`, `*_ACCESS_KEY`,
/// `*_PRIVATE_KEY`, `*_CREDENTIALS`, `*PASSWD*`). Case-insensitive.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("_API_KEY")
        || upper == "API_KEY"
        || upper.ends_with("_TOKEN")
        || upper == "TOKEN"
        || upper.contains("_TOKEN_")
        || upper.ends_with("_SECRET")
        || upper == "SECRET"
        || upper.contains("_SECRET_")
        || upper.contains("PASSWORD")
        || upper.contains("PASSWD")
        || upper.ends_with("_ACCESS_KEY")
        || upper.ends_with("_PRIVATE_KEY")
        || upper.ends_with("_CREDENTIALS")
}

/// How to build an environment.
#[derive(Debug, Clone)]
pub struct EnvironmentPlan<'a> {
    /// Start from the (filtered) source environment, or from a minimal one.
    pub inherit: bool,
    /// `NAME` (copied from the source even if secret) or `NAME=VALUE` (set).
    pub passthrough: &'a [String],
    /// `HOME` inside the sandbox.
    pub home: &'a str,
}

/// The filtered environment, sorted by name.
pub fn build(plan: &EnvironmentPlan<'_>, source: &[(String, String)]) -> Vec<(String, String)> {
    let passed_by_name = |name: &str| {
        plan.passthrough
            .iter()
            .any(|entry| !entry.contains('=') && entry == name)
    };
    let mut environment: Vec<(String, String)> = Vec::new();
    let set = |environment: &mut Vec<(String, String)>, name: &str, value: &str| {
        environment.retain(|(existing, _)| existing != name);
        environment.push((name.to_string(), value.to_string()));
    };
    if plan.inherit {
        for (name, value) in source {
            if name.is_empty() || name.contains('=') {
                continue;
            }
            let hidden =
                is_secret_name(name) || AGENT_SOCKETS.contains(&name.as_str()) || !kept(name);
            if hidden && !passed_by_name(name) {
                continue;
            }
            set(&mut environment, name, value);
        }
        if !environment.iter().any(|(name, _)| name == "PATH") {
            set(&mut environment, "PATH", DEFAULT_PATH);
        }
    } else {
        set(&mut environment, "PATH", DEFAULT_PATH);
        set(&mut environment, "LANG", "C.UTF-8");
        for (name, value) in source {
            if PROXY_NAMES.contains(&name.as_str()) || passed_by_name(name) {
                set(&mut environment, name, value);
            }
        }
    }
    for (name, value) in source {
        if PROXY_NAMES.contains(&name.as_str()) || passed_by_name(name) {
            set(&mut environment, name, value);
        }
    }
    for entry in plan.passthrough {
        if let Some((name, value)) = entry.split_once('=')
            && !name.is_empty()
        {
            set(&mut environment, name, value);
        }
    }
    set(&mut environment, "HOME", plan.home);
    set(&mut environment, "DEBIAN_FRONTEND", "noninteractive");
    set(&mut environment, "TERM", "dumb");
    environment.sort();
    environment
}

/// This process's environment as UTF-8 pairs (others are skipped: they cannot be passed on
/// faithfully through the helper protocol).
pub fn current() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> Vec<(String, String)> {
        [
            ("PATH", "/host/bin:/usr/bin"),
            ("OPENAI_API_KEY", "sk-1"),
            ("GITHUB_TOKEN", "ghp"),
            ("AWS_SECRET_ACCESS_KEY", "aws"),
            ("MY_SECRET", "s"),
            ("DB_PASSWORD_FILE", "p"),
            ("SSH_AUTH_SOCK", "/tmp/agent"),
            ("https_proxy", "http://proxy:3128"),
            ("CARGO_HOME", "/root/.cargo"),
            ("DEBIAN_FRONTEND", "dialog"),
            ("DATABASE_URL", "postgres://admin:hunter2@db/app"),
            ("PIP_INDEX_URL", "https://user:pass@index.example/simple"),
            ("LC_ALL", "C.UTF-8"),
            ("USER", "root"),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
    }

    fn get<'a>(environment: &'a [(String, String)], name: &str) -> Option<&'a str> {
        environment
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    #[test]
    fn secrets_are_dropped_unless_passed() {
        let passthrough = vec!["GITHUB_TOKEN".to_string(), "EXTRA=1".to_string()];
        let plan = EnvironmentPlan {
            inherit: true,
            passthrough: &passthrough,
            home: "/root",
        };
        let environment = build(&plan, &source());
        assert_eq!(get(&environment, "OPENAI_API_KEY"), None);
        assert_eq!(get(&environment, "AWS_SECRET_ACCESS_KEY"), None);
        assert_eq!(get(&environment, "MY_SECRET"), None);
        assert_eq!(get(&environment, "DB_PASSWORD_FILE"), None);
        assert_eq!(get(&environment, "SSH_AUTH_SOCK"), None);
        assert_eq!(get(&environment, "GITHUB_TOKEN"), Some("ghp"));
        assert_eq!(get(&environment, "EXTRA"), Some("1"));
        assert_eq!(get(&environment, "PATH"), Some("/host/bin:/usr/bin"));
        assert_eq!(get(&environment, "DEBIAN_FRONTEND"), Some("noninteractive"));
        assert_eq!(get(&environment, "https_proxy"), Some("http://proxy:3128"));
        // Not the whole environment: what no secret-name list catches stays out too.
        assert_eq!(get(&environment, "DATABASE_URL"), None);
        assert_eq!(get(&environment, "PIP_INDEX_URL"), None);
        assert_eq!(get(&environment, "CARGO_HOME"), Some("/root/.cargo"));
        assert_eq!(get(&environment, "LC_ALL"), Some("C.UTF-8"));
        assert_eq!(get(&environment, "USER"), Some("root"));
        let passed = vec!["DATABASE_URL".to_string()];
        let plan = EnvironmentPlan {
            inherit: true,
            passthrough: &passed,
            home: "/root",
        };
        let environment = build(&plan, &source());
        assert_eq!(
            get(&environment, "DATABASE_URL"),
            Some("postgres://admin:hunter2@db/app")
        );
    }

    #[test]
    fn minimal_environment_keeps_proxies_only() {
        let plan = EnvironmentPlan {
            inherit: false,
            passthrough: &[],
            home: "/root",
        };
        let environment = build(&plan, &source());
        assert_eq!(get(&environment, "PATH"), Some(DEFAULT_PATH));
        assert_eq!(get(&environment, "CARGO_HOME"), None);
        assert_eq!(get(&environment, "https_proxy"), Some("http://proxy:3128"));
        assert_eq!(get(&environment, "HOME"), Some("/root"));
    }

    #[test]
    fn secret_names() {
        for name in [
            "ANTHROPIC_API_KEY",
            "npm_token",
            "X_SECRET",
            "PGPASSWORD",
            "a_secret_b",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PATH",
            "TOKENIZERS_PARALLELISM",
            "SECRETARY",
            "HOME",
            "KEYMAP",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
