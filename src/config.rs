//! Settings, resolved in one place: command-line flags, then the environment, then the config
//! file (`~/.config/agent-install/config.toml`, or the file `AGENT_INSTALL_CONFIG` names), then
//! defaults. [`Settings::resolve`] holds the directories (caches, state), the catalog and the
//! defaults for `--agent`, `--base` and `--policy`, each with where it came from (what
//! `agent-install config` prints); [`resolve`] the LLM's.
//!
//! Every environment variable agent-install reads is named once, below, and listed in
//! [`ENVIRONMENT`] (which `--help` and the README show). API keys are held in [`ApiKey`], whose
//! `Debug` never shows the value, so settings can be logged at any verbosity.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The OpenAI (and compatible) key.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
/// The OpenAI-compatible endpoint, e.g. `http://localhost:11434/v1` for Ollama.
pub const OPENAI_BASE_URL: &str = "OPENAI_BASE_URL";
/// The Anthropic key.
pub const ANTHROPIC_API_KEY: &str = "ANTHROPIC_API_KEY";
/// The Anthropic endpoint (a proxy or a test server).
pub const ANTHROPIC_BASE_URL: &str = "ANTHROPIC_BASE_URL";
/// The model, for either provider.
pub const AGENT_INSTALL_MODEL: &str = "AGENT_INSTALL_MODEL";
/// Another config file than `~/.config/agent-install/config.toml`.
pub const AGENT_INSTALL_CONFIG: &str = "AGENT_INSTALL_CONFIG";

/// The root of every cache: plans (`plans/`), named base root filesystems (`rootfs/`),
/// unpacked image bases (`bases/`) and base layers (`layers/`).
pub const AGENT_INSTALL_CACHE_DIR: &str = "AGENT_INSTALL_CACHE_DIR";
/// The old name of [`AGENT_INSTALL_CACHE_DIR`] used by `provision`; an alias for one release.
pub const AGENT_INSTALL_CACHE: &str = "AGENT_INSTALL_CACHE";
/// The old, undocumented override of the `rootfs/` cache alone; an alias for one release.
pub const AGENT_INSTALL_ROOTFS_CACHE: &str = "AGENT_INSTALL_ROOTFS_CACHE";
/// Where install records are kept.
pub const AGENT_INSTALL_STATE_DIR: &str = "AGENT_INSTALL_STATE_DIR";
/// A directory of install docs that replaces the built-in catalog.
pub const AGENT_INSTALL_CATALOG: &str = crate::catalog::CATALOG_ENV;
/// Turns the plan cache off (`1`) like `--no-cache`.
pub const AGENT_INSTALL_NO_CACHE: &str = "AGENT_INSTALL_NO_CACHE";
/// A `tracing` filter for the diagnostics on stderr (overrides `-v`).
pub const AGENT_INSTALL_LOG: &str = "AGENT_INSTALL_LOG";
/// For tests: the base URL that stands in for the raw-file hosts of GitHub, GitLab and
/// Codeberg when a repository URL is rewritten to its README.
pub const AGENT_INSTALL_RAW_BASE_URL: &str = "AGENT_INSTALL_RAW_BASE_URL";

/// Every environment variable agent-install reads, with what it does: the single list that
/// `--help` and the README are checked against.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        AGENT_INSTALL_CONFIG,
        "the config file (default ~/.config/agent-install/config.toml)",
    ),
    (
        AGENT_INSTALL_CACHE_DIR,
        "the root of every cache: plans, base root filesystems, image layers",
    ),
    (AGENT_INSTALL_STATE_DIR, "where install records are kept"),
    (
        AGENT_INSTALL_CATALOG,
        "a directory of install docs that replaces the built-in catalog",
    ),
    (
        AGENT_INSTALL_NO_CACHE,
        "1: neither replay nor keep cached plans (--no-cache)",
    ),
    (
        AGENT_INSTALL_LOG,
        "a tracing filter for diagnostics (overrides -v)",
    ),
    (AGENT_INSTALL_MODEL, "the LLM model"),
    (OPENAI_API_KEY, "the OpenAI(-compatible) key"),
    (
        OPENAI_BASE_URL,
        "an OpenAI-compatible endpoint (Ollama, vLLM, ...)",
    ),
    (ANTHROPIC_API_KEY, "the Anthropic key"),
    (ANTHROPIC_BASE_URL, "the Anthropic endpoint"),
    (NO_COLOR, "any value: no colour (with --color auto)"),
    (
        CLICOLOR_FORCE,
        "not 0: colour even into pipes (with --color auto)",
    ),
    (
        AGENT_INSTALL_RAW_BASE_URL,
        "tests only: stands in for the raw-file hosts of repository URLs",
    ),
    (
        AGENT_INSTALL_CACHE,
        "old name of AGENT_INSTALL_CACHE_DIR (still read, for one release)",
    ),
    (
        AGENT_INSTALL_ROOTFS_CACHE,
        "old override of the rootfs/ cache alone (still read, for one release)",
    ),
];

/// Turns colour off (<https://no-color.org>).
pub const NO_COLOR: &str = "NO_COLOR";
/// Turns colour on even without a terminal.
pub const CLICOLOR_FORCE: &str = "CLICOLOR_FORCE";

/// The end of `--help`: exit statuses and the environment (kept equal to [`ENVIRONMENT`] by a
/// test; clap takes a `&'static str`, so it is written out).
pub const HELP_FOOTER: &str = "\
Exit statuses: 0 ok · 1 unexpected failure · 2 usage · 3 doc could not be loaded · 4 no route \
worked · 5 verification failed · 6 refused · 7 sandbox unavailable · 8 agent backend error · \
130 interrupted

Environment (`agent-install config` shows what is in force and why):
  AGENT_INSTALL_CONFIG        the config file (default ~/.config/agent-install/config.toml)
  AGENT_INSTALL_CACHE_DIR     the root of every cache: plans, base root filesystems, image layers
  AGENT_INSTALL_STATE_DIR     where install records are kept
  AGENT_INSTALL_CATALOG       a directory of install docs that replaces the built-in catalog
  AGENT_INSTALL_NO_CACHE      1: neither replay nor keep cached plans (--no-cache)
  AGENT_INSTALL_LOG           a tracing filter for diagnostics (overrides -v)
  AGENT_INSTALL_MODEL         the LLM model
  OPENAI_API_KEY              the OpenAI(-compatible) key
  OPENAI_BASE_URL             an OpenAI-compatible endpoint (Ollama, vLLM, ...)
  ANTHROPIC_API_KEY           the Anthropic key
  ANTHROPIC_BASE_URL          the Anthropic endpoint
  NO_COLOR                    any value: no colour (with --color auto)
  CLICOLOR_FORCE              not 0: colour even into pipes (with --color auto)
  AGENT_INSTALL_RAW_BASE_URL  tests only: stands in for the raw-file hosts of repository URLs
  AGENT_INSTALL_CACHE         old name of AGENT_INSTALL_CACHE_DIR (still read, for one release)
  AGENT_INSTALL_ROOTFS_CACHE  old override of the rootfs/ cache alone (still read, for one release)";

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
pub const DEFAULT_OPENAI_MODEL: &str = "gpt-4o-mini";
pub const DEFAULT_ANTHROPIC_MODEL: &str = "claude-sonnet-4-5";
/// The `anthropic-version` header the Messages API requires.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Which wire format an LLM speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Chat Completions with tool calling (OpenAI, Ollama, vLLM, llama.cpp, LM Studio, ...).
    OpenAi,
    /// The Anthropic Messages API with tool use.
    Anthropic,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
        }
    }

    /// The environment variable that holds this provider's key.
    pub fn key_variable(self) -> &'static str {
        match self {
            Provider::OpenAi => OPENAI_API_KEY,
            Provider::Anthropic => ANTHROPIC_API_KEY,
        }
    }
}

/// A secret. `Debug` and `Display` print `[redacted]`; only [`ApiKey::expose`] gives the value.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(value: impl Into<String>) -> ApiKey {
        ApiKey(value.into())
    }

    /// The value, for the one place that puts it in a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Dollars per million tokens for one model.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// The config file's shape. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Defaults for flags of `run`, `plan`, `apply` and `provision`.
    #[serde(default)]
    pub defaults: DefaultsSection,
    #[serde(default)]
    pub llm: LlmSection,
    /// Prices by model name.
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
}

/// `[defaults]`: what a command uses when its flag is not given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsSection {
    /// `--agent` (`auto`, `offline`, `hybrid`, `openai`, `anthropic`).
    pub agent: Option<String>,
    /// `--base` (a directory or a named base such as `debian-bookworm`).
    pub base: Option<String>,
    /// `--policy`: a policy file; a relative path is relative to the config file.
    pub policy: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LlmSection {
    pub provider: Option<Provider>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Discouraged (keys belong in the environment or a secret store) but accepted.
    pub api_key: Option<String>,
    pub max_calls: Option<u64>,
    pub max_tokens: Option<u64>,
    /// Seconds to wait for one reply.
    pub timeout_secs: Option<u64>,
    /// Retries after a 429, a 5xx or a dropped connection.
    pub retries: Option<u32>,
    /// The first backoff delay in milliseconds; doubled on every retry.
    pub backoff_ms: Option<u64>,
    /// The conversation's size budget (estimated tokens) before old observations are dropped.
    pub context_tokens: Option<u64>,
}

/// What the command line says about the LLM.
#[derive(Debug, Clone, Default)]
pub struct LlmFlags {
    pub model: Option<String>,
    pub base_url: Option<String>,
    pub max_calls: Option<u64>,
    pub max_tokens: Option<u64>,
}

/// Everything an LLM backend needs, resolved.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub provider: Provider,
    pub model: String,
    pub base_url: String,
    pub api_key: Option<ApiKey>,
    pub max_calls: u64,
    pub max_tokens: u64,
    pub timeout: Duration,
    pub retries: u32,
    pub backoff: Duration,
    pub context_tokens: u64,
    pub price: Option<Price>,
}

impl LlmSettings {
    /// `openai gpt-4o-mini at https://api.openai.com/v1`, for the first line of output.
    pub fn describe(&self) -> String {
        format!(
            "{} {} at {}",
            self.provider.name(),
            self.model,
            self.base_url
        )
    }
}

pub const DEFAULT_MAX_CALLS: u64 = 30;
pub const DEFAULT_MAX_TOKENS: u64 = 400_000;
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_BACKOFF_MS: u64 = 1000;
pub const DEFAULT_CONTEXT_TOKENS: u64 = 24_000;

/// Why the settings could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("could not read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is invalid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("no API key for {provider}: {variable} is not set")]
    MissingKey {
        provider: &'static str,
        variable: &'static str,
    },
}

impl ConfigError {
    pub fn hint(&self) -> String {
        match self {
            ConfigError::Read { .. } => format!(
                "fix the file's permissions, or point {AGENT_INSTALL_CONFIG} at another file"
            ),
            ConfigError::Invalid { .. } => {
                "see the README section \"LLM agents\" for the config file's keys".to_string()
            }
            ConfigError::MissingKey { variable, .. } => {
                format!("export {variable}=..., or use --agent offline (no key needed)")
            }
        }
    }
}

/// The environment, as a lookup (tests pass their own).
pub trait Environment {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment; empty values count as unset.
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl Environment for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|value| !value.is_empty()).cloned()
    }
}

/// Where the config file is: `AGENT_INSTALL_CONFIG`, else `$XDG_CONFIG_HOME` or `~/.config`.
pub fn config_path(environment: &dyn Environment) -> Option<PathBuf> {
    if let Some(path) = environment.var(AGENT_INSTALL_CONFIG) {
        return Some(PathBuf::from(path));
    }
    let base = environment
        .var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            environment
                .var("HOME")
                .map(|home| Path::new(&home).join(".config"))
        })?;
    Some(base.join("agent-install/config.toml"))
}

/// Reads the config file. A missing default file is an empty config; a missing file named by
/// `AGENT_INSTALL_CONFIG` is an error (the user asked for it).
pub fn load_config(environment: &dyn Environment) -> Result<ConfigFile, ConfigError> {
    let Some(path) = config_path(environment) else {
        return Ok(ConfigFile::default());
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error)
            if error.kind() == std::io::ErrorKind::NotFound
                && environment.var(AGENT_INSTALL_CONFIG).is_none() =>
        {
            return Ok(ConfigFile::default());
        }
        Err(source) => return Err(ConfigError::Read { path, source }),
    };
    toml::from_str(&text).map_err(|error| ConfigError::Invalid {
        path,
        message: error.message().to_string(),
    })
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Origin {
    /// An environment variable.
    Environment(String),
    /// An old environment variable, still read for one release.
    Alias(String),
    /// The config file (its path).
    ConfigFile(String),
    /// Derived from another setting or a standard location (XDG, HOME).
    Default(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Environment(name) => write!(f, "${name}"),
            Origin::Alias(name) => write!(f, "${name} (old name; use ${AGENT_INSTALL_CACHE_DIR})"),
            Origin::ConfigFile(path) => write!(f, "{path}"),
            Origin::Default(why) => write!(f, "default ({why})"),
        }
    }
}

/// A resolved value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn new(value: T, origin: Origin) -> Setting<T> {
        Setting { value, origin }
    }
}

/// The settings that are not the LLM's: directories, the catalog and flag defaults.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Settings {
    /// The config file read (it may not exist: then it is only where one would be read).
    pub config_file: Option<Setting<PathBuf>>,
    /// The root of every cache.
    pub cache_dir: Setting<PathBuf>,
    /// Kept plans (`<cache>/plans`).
    pub plan_cache: Setting<PathBuf>,
    /// Built named bases (`<cache>/rootfs`).
    pub rootfs_cache: Setting<PathBuf>,
    /// Install records.
    pub state_dir: Setting<PathBuf>,
    /// A catalog directory instead of the built-in catalog.
    pub catalog: Option<Setting<PathBuf>>,
    /// The plan cache is off.
    pub no_cache: Option<Setting<bool>>,
    pub default_agent: Option<Setting<String>>,
    pub default_base: Option<Setting<String>>,
    pub default_policy: Option<Setting<PathBuf>>,
}

impl Settings {
    /// The settings of this process (its environment and config file).
    pub fn load() -> Result<Settings, ConfigError> {
        let environment = ProcessEnvironment;
        let config = load_config(&environment)?;
        Ok(Settings::resolve(
            &environment,
            &config,
            nix::unistd::geteuid().is_root(),
        ))
    }

    /// Resolves every setting; `root` decides the state directory's default.
    pub fn resolve(environment: &dyn Environment, config: &ConfigFile, root: bool) -> Settings {
        let home = environment.var("HOME").map(PathBuf::from);
        let xdg = |variable: &str, fallback: &str| -> Option<(PathBuf, Origin)> {
            environment
                .var(variable)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
                .map(|path| (path, Origin::Default(format!("${variable}"))))
                .or_else(|| {
                    home.as_ref().map(|home| {
                        (
                            home.join(fallback),
                            Origin::Default(format!("$HOME/{fallback}")),
                        )
                    })
                })
        };
        let cache_dir = if let Some(path) = environment.var(AGENT_INSTALL_CACHE_DIR) {
            Setting::new(
                PathBuf::from(path),
                Origin::Environment(AGENT_INSTALL_CACHE_DIR.into()),
            )
        } else if let Some(path) = environment.var(AGENT_INSTALL_CACHE) {
            Setting::new(
                PathBuf::from(path),
                Origin::Alias(AGENT_INSTALL_CACHE.into()),
            )
        } else {
            match xdg("XDG_CACHE_HOME", ".cache") {
                Some((path, origin)) => Setting::new(path.join("agent-install"), origin),
                None => Setting::new(
                    PathBuf::from("/var/cache/agent-install"),
                    Origin::Default("no HOME".into()),
                ),
            }
        };
        let derived = |child: &str| {
            Setting::new(
                cache_dir.value.join(child),
                Origin::Default(format!("the cache directory's {child}/")),
            )
        };
        let plan_cache = derived("plans");
        let rootfs_cache = match environment.var(AGENT_INSTALL_ROOTFS_CACHE) {
            Some(path) => Setting::new(
                PathBuf::from(path),
                Origin::Alias(AGENT_INSTALL_ROOTFS_CACHE.into()),
            ),
            None => derived("rootfs"),
        };
        let state_dir = if let Some(path) = environment.var(AGENT_INSTALL_STATE_DIR) {
            Setting::new(
                PathBuf::from(path),
                Origin::Environment(AGENT_INSTALL_STATE_DIR.into()),
            )
        } else if root {
            Setting::new(
                PathBuf::from("/var/lib/agent-install"),
                Origin::Default("root".into()),
            )
        } else {
            match xdg("XDG_STATE_HOME", ".local/state") {
                Some((path, origin)) => Setting::new(path.join("agent-install"), origin),
                None => Setting::new(
                    PathBuf::from("/var/lib/agent-install"),
                    Origin::Default("no HOME".into()),
                ),
            }
        };
        let config_path = config_path(environment);
        let from_file = || {
            Origin::ConfigFile(
                config_path
                    .as_ref()
                    .map(|path| path.display().to_string())
                    .unwrap_or_default(),
            )
        };
        let default_policy = config.defaults.policy.as_ref().map(|policy| {
            // Relative to the file that names it, as a reader of that file expects.
            let directory = config_path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new("."));
            Setting::new(directory.join(policy), from_file())
        });
        Settings {
            config_file: config_path.clone().map(|path| {
                let origin = if environment.var(AGENT_INSTALL_CONFIG).is_some() {
                    Origin::Environment(AGENT_INSTALL_CONFIG.into())
                } else {
                    Origin::Default("$XDG_CONFIG_HOME or $HOME/.config".into())
                };
                Setting::new(path, origin)
            }),
            plan_cache,
            rootfs_cache,
            cache_dir,
            state_dir,
            catalog: environment.var(AGENT_INSTALL_CATALOG).map(|path| {
                Setting::new(
                    PathBuf::from(path),
                    Origin::Environment(AGENT_INSTALL_CATALOG.into()),
                )
            }),
            no_cache: environment.var(AGENT_INSTALL_NO_CACHE).map(|value| {
                let off = !matches!(
                    value.to_ascii_lowercase().as_str(),
                    "0" | "false" | "no" | "off"
                );
                Setting::new(off, Origin::Environment(AGENT_INSTALL_NO_CACHE.into()))
            }),
            default_agent: config
                .defaults
                .agent
                .clone()
                .map(|agent| Setting::new(agent, from_file())),
            default_base: config
                .defaults
                .base
                .clone()
                .map(|base| Setting::new(base, from_file())),
            default_policy,
        }
    }
}

/// The root of every cache, for the modules that keep one (plans, rootfs, bases, layers):
/// `$AGENT_INSTALL_CACHE_DIR`, else the old `$AGENT_INSTALL_CACHE`, else
/// `$XDG_CACHE_HOME/agent-install`, else `~/.cache/agent-install`.
pub fn cache_dir() -> PathBuf {
    Settings::resolve(&ProcessEnvironment, &ConfigFile::default(), false)
        .cache_dir
        .value
}

/// Where named bases are built and kept: `<cache>/rootfs`, or the old
/// `$AGENT_INSTALL_ROOTFS_CACHE`.
pub fn rootfs_cache_dir() -> PathBuf {
    Settings::resolve(&ProcessEnvironment, &ConfigFile::default(), false)
        .rootfs_cache
        .value
}

/// Where install records are kept: `$AGENT_INSTALL_STATE_DIR`, else `/var/lib/agent-install`
/// as root, else `$XDG_STATE_HOME/agent-install` or `~/.local/state/agent-install`.
pub fn state_dir() -> PathBuf {
    Settings::resolve(
        &ProcessEnvironment,
        &ConfigFile::default(),
        nix::unistd::geteuid().is_root(),
    )
    .state_dir
    .value
}

/// The provider an LLM is configured for, if any: a key or endpoint in the environment, or a
/// provider, endpoint or key in the config file. OpenAI-compatible wins when both are set.
pub fn configured_provider(
    flags: &LlmFlags,
    environment: &dyn Environment,
    config: &ConfigFile,
) -> Option<(Provider, String)> {
    if let Some(provider) = config.llm.provider {
        return Some((provider, "the config file names the provider".to_string()));
    }
    if flags.base_url.is_some() {
        return Some((Provider::OpenAi, "--base-url is set".to_string()));
    }
    for variable in [OPENAI_API_KEY, OPENAI_BASE_URL] {
        if environment.var(variable).is_some() {
            return Some((Provider::OpenAi, format!("{variable} is set")));
        }
    }
    for variable in [ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL] {
        if environment.var(variable).is_some() {
            return Some((Provider::Anthropic, format!("{variable} is set")));
        }
    }
    if config.llm.base_url.is_some() || config.llm.api_key.is_some() {
        return Some((
            Provider::OpenAi,
            "the config file sets an LLM endpoint".to_string(),
        ));
    }
    None
}

/// Resolves the settings for `provider`: flags, then environment, then config file, then
/// defaults.
pub fn resolve(
    provider: Provider,
    flags: &LlmFlags,
    environment: &dyn Environment,
    config: &ConfigFile,
) -> Result<LlmSettings, ConfigError> {
    let section = &config.llm;
    // The file's endpoint and key belong to the provider it names (or OpenAI when it names none).
    let file_applies = section.provider.is_none_or(|named| named == provider)
        && (section.provider.is_some() || provider == Provider::OpenAi);
    let (base_variable, default_base, default_model) = match provider {
        Provider::OpenAi => (
            OPENAI_BASE_URL,
            DEFAULT_OPENAI_BASE_URL,
            DEFAULT_OPENAI_MODEL,
        ),
        Provider::Anthropic => (
            ANTHROPIC_BASE_URL,
            DEFAULT_ANTHROPIC_BASE_URL,
            DEFAULT_ANTHROPIC_MODEL,
        ),
    };
    let base_url = flags
        .base_url
        .clone()
        .or_else(|| environment.var(base_variable))
        .or_else(|| section.base_url.clone().filter(|_| file_applies))
        .unwrap_or_else(|| default_base.to_string());
    let model = flags
        .model
        .clone()
        .or_else(|| environment.var(AGENT_INSTALL_MODEL))
        .or_else(|| section.model.clone().filter(|_| file_applies))
        .unwrap_or_else(|| default_model.to_string());
    let api_key = environment
        .var(provider.key_variable())
        .or_else(|| section.api_key.clone().filter(|_| file_applies))
        .map(ApiKey::new);
    // A local OpenAI-compatible server (Ollama, llama.cpp) needs no key; the hosted APIs do.
    let needs_key = match provider {
        Provider::OpenAi => base_url == DEFAULT_OPENAI_BASE_URL,
        Provider::Anthropic => true,
    };
    if api_key.is_none() && needs_key {
        return Err(ConfigError::MissingKey {
            provider: provider.name(),
            variable: provider.key_variable(),
        });
    }
    let price = config.prices.get(&model).copied();
    Ok(LlmSettings {
        provider,
        base_url: base_url.trim_end_matches('/').to_string(),
        model,
        api_key,
        max_calls: flags
            .max_calls
            .or(section.max_calls)
            .unwrap_or(DEFAULT_MAX_CALLS),
        max_tokens: flags
            .max_tokens
            .or(section.max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS),
        timeout: Duration::from_secs(section.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS).max(1)),
        retries: section.retries.unwrap_or(DEFAULT_RETRIES),
        backoff: Duration::from_millis(section.backoff_ms.unwrap_or(DEFAULT_BACKOFF_MS)),
        context_tokens: section.context_tokens.unwrap_or(DEFAULT_CONTEXT_TOKENS),
        price,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    /// The resolution table of the directories: each row is an environment and the cache
    /// root, rootfs cache and state directory it gives, with the origin of the cache root.
    #[test]
    fn directories_resolve_from_the_environment_then_xdg_then_home() {
        struct Row {
            environment: &'static [(&'static str, &'static str)],
            root: bool,
            cache: &'static str,
            cache_origin: Origin,
            rootfs: &'static str,
            state: &'static str,
        }
        let rows = [
            Row {
                environment: &[("HOME", "/home/u")],
                root: false,
                cache: "/home/u/.cache/agent-install",
                cache_origin: Origin::Default("$HOME/.cache".into()),
                rootfs: "/home/u/.cache/agent-install/rootfs",
                state: "/home/u/.local/state/agent-install",
            },
            Row {
                environment: &[
                    ("HOME", "/home/u"),
                    ("XDG_CACHE_HOME", "/xdg/cache"),
                    ("XDG_STATE_HOME", "/xdg/state"),
                ],
                root: false,
                cache: "/xdg/cache/agent-install",
                cache_origin: Origin::Default("$XDG_CACHE_HOME".into()),
                rootfs: "/xdg/cache/agent-install/rootfs",
                state: "/xdg/state/agent-install",
            },
            // A relative XDG directory is ignored, as the XDG spec says.
            Row {
                environment: &[("HOME", "/home/u"), ("XDG_CACHE_HOME", "relative")],
                root: true,
                cache: "/home/u/.cache/agent-install",
                cache_origin: Origin::Default("$HOME/.cache".into()),
                rootfs: "/home/u/.cache/agent-install/rootfs",
                state: "/var/lib/agent-install",
            },
            Row {
                environment: &[
                    ("HOME", "/home/u"),
                    (AGENT_INSTALL_CACHE_DIR, "/c"),
                    (AGENT_INSTALL_CACHE, "/old"),
                    (AGENT_INSTALL_STATE_DIR, "/s"),
                ],
                root: true,
                cache: "/c",
                cache_origin: Origin::Environment(AGENT_INSTALL_CACHE_DIR.into()),
                rootfs: "/c/rootfs",
                state: "/s",
            },
            Row {
                environment: &[("HOME", "/home/u"), (AGENT_INSTALL_CACHE, "/old")],
                root: false,
                cache: "/old",
                cache_origin: Origin::Alias(AGENT_INSTALL_CACHE.into()),
                rootfs: "/old/rootfs",
                state: "/home/u/.local/state/agent-install",
            },
            Row {
                environment: &[
                    (AGENT_INSTALL_CACHE_DIR, "/c"),
                    (AGENT_INSTALL_ROOTFS_CACHE, "/r"),
                ],
                root: false,
                cache: "/c",
                cache_origin: Origin::Environment(AGENT_INSTALL_CACHE_DIR.into()),
                rootfs: "/r",
                state: "/var/lib/agent-install",
            },
            // An empty variable counts as unset.
            Row {
                environment: &[("HOME", "/home/u"), (AGENT_INSTALL_CACHE_DIR, "")],
                root: false,
                cache: "/home/u/.cache/agent-install",
                cache_origin: Origin::Default("$HOME/.cache".into()),
                rootfs: "/home/u/.cache/agent-install/rootfs",
                state: "/home/u/.local/state/agent-install",
            },
        ];
        for row in rows {
            let env = environment(row.environment);
            let settings = Settings::resolve(&env, &ConfigFile::default(), row.root);
            let context = format!("{:?}", row.environment);
            assert_eq!(settings.cache_dir.value, Path::new(row.cache), "{context}");
            assert_eq!(settings.cache_dir.origin, row.cache_origin, "{context}");
            assert_eq!(
                settings.rootfs_cache.value,
                Path::new(row.rootfs),
                "{context}"
            );
            assert_eq!(
                settings.plan_cache.value,
                Path::new(row.cache).join("plans"),
                "{context}"
            );
            assert_eq!(settings.state_dir.value, Path::new(row.state), "{context}");
        }
    }

    #[test]
    fn the_config_file_gives_flag_defaults_with_a_policy_relative_to_it() {
        let config: ConfigFile = toml::from_str(
            "[defaults]\nagent = \"offline\"\nbase = \"debian-bookworm\"\npolicy = \"policy.toml\"\n",
        )
        .unwrap();
        let env = environment(&[(AGENT_INSTALL_CONFIG, "/etc/ai/config.toml")]);
        let settings = Settings::resolve(&env, &config, false);
        let origin = Origin::ConfigFile("/etc/ai/config.toml".into());
        assert_eq!(
            settings.default_agent,
            Some(Setting::new("offline".to_string(), origin.clone()))
        );
        assert_eq!(
            settings
                .default_base
                .map(|setting| setting.value)
                .as_deref(),
            Some("debian-bookworm")
        );
        assert_eq!(
            settings.default_policy,
            Some(Setting::new(PathBuf::from("/etc/ai/policy.toml"), origin))
        );
        let absolute: ConfigFile =
            toml::from_str("[defaults]\npolicy = \"/p/policy.toml\"\n").unwrap();
        let settings = Settings::resolve(&env, &absolute, false);
        assert_eq!(
            settings.default_policy.unwrap().value,
            PathBuf::from("/p/policy.toml")
        );
        assert!(toml::from_str::<ConfigFile>("[defaults]\nagnet = \"x\"\n").is_err());
    }

    #[test]
    fn the_help_footer_lists_every_environment_variable() {
        for (name, meaning) in ENVIRONMENT {
            let line = HELP_FOOTER
                .lines()
                .find(|line| line.trim_start().starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{name} is not in the help footer"));
            assert!(line.ends_with(meaning), "{line:?} does not say {meaning:?}");
        }
        let listed = HELP_FOOTER
            .lines()
            .filter(|line| {
                line.starts_with("  ") && line.trim_start().starts_with(char::is_uppercase)
            })
            .count();
        assert_eq!(listed, ENVIRONMENT.len());
    }

    #[test]
    fn flags_beat_environment_beat_config_file() {
        let config: ConfigFile = toml::from_str(
            "[llm]\nmodel = \"from-file\"\nbase_url = \"http://file/v1\"\nmax_calls = 7\n",
        )
        .unwrap();
        let env = environment(&[
            (AGENT_INSTALL_MODEL, "from-env"),
            (OPENAI_API_KEY, "sk-test"),
        ]);
        let settings = resolve(Provider::OpenAi, &LlmFlags::default(), &env, &config).unwrap();
        assert_eq!(settings.model, "from-env");
        assert_eq!(settings.base_url, "http://file/v1");
        assert_eq!(settings.max_calls, 7);
        let flags = LlmFlags {
            model: Some("from-flag".into()),
            max_calls: Some(3),
            ..LlmFlags::default()
        };
        let settings = resolve(Provider::OpenAi, &flags, &env, &config).unwrap();
        assert_eq!(settings.model, "from-flag");
        assert_eq!(settings.max_calls, 3);
    }

    #[test]
    fn the_key_never_shows_in_debug_output() {
        let env = environment(&[(ANTHROPIC_API_KEY, "sk-ant-verysecretvalue")]);
        let settings = resolve(
            Provider::Anthropic,
            &LlmFlags::default(),
            &env,
            &ConfigFile::default(),
        )
        .unwrap();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("verysecret"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
    }

    #[test]
    fn a_hosted_api_without_key_is_an_error_naming_the_variable() {
        let error = resolve(
            Provider::Anthropic,
            &LlmFlags::default(),
            &environment(&[]),
            &ConfigFile::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains(ANTHROPIC_API_KEY), "{error}");
        // A local OpenAI-compatible server needs none.
        let flags = LlmFlags {
            base_url: Some("http://127.0.0.1:11434/v1/".into()),
            ..LlmFlags::default()
        };
        let settings = resolve(
            Provider::OpenAi,
            &flags,
            &environment(&[]),
            &ConfigFile::default(),
        )
        .unwrap();
        assert_eq!(settings.base_url, "http://127.0.0.1:11434/v1");
        assert!(settings.api_key.is_none());
    }

    #[test]
    fn auto_detection_names_its_reason() {
        let none = configured_provider(
            &LlmFlags::default(),
            &environment(&[]),
            &ConfigFile::default(),
        );
        assert!(none.is_none());
        let (provider, reason) = configured_provider(
            &LlmFlags::default(),
            &environment(&[(ANTHROPIC_API_KEY, "x")]),
            &ConfigFile::default(),
        )
        .unwrap();
        assert_eq!(provider, Provider::Anthropic);
        assert!(reason.contains(ANTHROPIC_API_KEY));
    }

    #[test]
    fn unknown_config_keys_are_rejected() {
        let error = toml::from_str::<ConfigFile>("[llm]\nmodle = \"x\"\n").unwrap_err();
        assert!(error.message().contains("modle"), "{error}");
    }

    #[test]
    fn prices_come_from_the_table_by_model() {
        let config: ConfigFile =
            toml::from_str("[llm]\nmodel = \"m\"\n[prices.m]\ninput = 1.0\noutput = 2.0\n")
                .unwrap();
        let env = environment(&[(OPENAI_API_KEY, "k")]);
        let settings = resolve(Provider::OpenAi, &LlmFlags::default(), &env, &config).unwrap();
        assert_eq!(
            settings.price,
            Some(Price {
                input: 1.0,
                output: 2.0
            })
        );
    }
}
