//! The settings of a command, resolved once: the config file is read once per process
//! ([`Configured`]), its `[defaults]` fill the flags the command line left out, and the values
//! every step-running command shares (the policy, the sandbox, durations, the agent) are
//! resolved here from flags, environment and file, so that `run`, `plan`, `apply` and
//! `provision` agree on what a flag means and on the error a bad one gets.

use crate::Error;
use crate::agent::Agent;
use crate::agent::hybrid::HybridAgent;
use crate::agent::llm::LlmAgent;
use crate::agent::offline::OfflineAgent;
use crate::agent::scripted::ScriptedAgent;
use crate::cli::{AgentArgs, AgentChoice, Command, SandboxOptions};
use crate::config::{self, ConfigFile, LlmFlags, LlmSettings, Provider};
use crate::policy::Policy;
use crate::sandbox::{Backend, Network, Profile, SandboxConfig, profile, rootfs};

/// What this process was configured with: the config file, read once.
pub struct Configured {
    file: ConfigFile,
}

impl Configured {
    /// The configuration `command` runs with. The commands that run steps (`run`, `plan`,
    /// `apply`, `provision`) read the config file, and a bad one stops them with a usage error;
    /// its `[defaults]` fill the flags the command line left out (`--agent` only when
    /// `agent_given` is false). The other commands do not read it, so a broken file never
    /// stops `doc`, `list` or `config` itself.
    pub fn for_command(command: &mut Command, agent_given: bool) -> Result<Configured, Error> {
        let environment = config::ProcessEnvironment;
        let reads_file = matches!(
            command,
            Command::Run(_) | Command::Plan(_) | Command::Apply(_) | Command::Provision(_)
        );
        let file = if reads_file {
            config::load_config(&environment).map_err(super::config::config_error)?
        } else {
            ConfigFile::default()
        };
        if reads_file {
            let settings =
                config::Settings::resolve(&environment, &file, nix::unistd::geteuid().is_root());
            apply_defaults(settings, command, agent_given)?;
        }
        Ok(Configured { file })
    }

    /// `--agent`, with the LLM settings resolved from flags, environment and config file.
    pub fn choose_agent(&self, args: &AgentArgs) -> Result<AgentChoiceMade, Error> {
        let environment = config::ProcessEnvironment;
        let flags = LlmFlags {
            model: args.model.clone(),
            base_url: args.base_url.clone(),
            max_calls: args.max_llm_calls,
            max_tokens: args.max_tokens,
        };
        let config_error = |error: config::ConfigError| {
            let hint = error.hint();
            Error::usage(error.to_string(), Some(hint))
        };
        let file = &self.file;
        let resolve = |provider: Provider| {
            config::resolve(provider, &flags, &environment, file)
                .map(Box::new)
                .map_err(config_error)
        };
        let configured = config::configured_provider(&flags, &environment, file);
        Ok(match args.agent {
            AgentChoice::Offline => AgentChoiceMade {
                kind: "offline",
                reason: "chosen with --agent offline".to_string(),
                backend: AgentBackend::Offline,
            },
            AgentChoice::Scripted => {
                let Some(path) = &args.script else {
                    return Err(Error::usage(
                        "--agent scripted needs the actions to replay",
                        Some("pass --script FILE (a JSON array of actions)".to_string()),
                    ));
                };
                let agent = ScriptedAgent::load(path).map_err(|error| {
                    Error::usage(
                        format!("the script is unusable: {error}"),
                        Some("see the README section \"LLM agents\" for the format".to_string()),
                    )
                })?;
                AgentChoiceMade {
                    kind: "scripted",
                    reason: format!("replaying {}", path.display()),
                    backend: AgentBackend::Scripted(agent),
                }
            }
            AgentChoice::Openai | AgentChoice::Anthropic => {
                let provider = if args.agent == AgentChoice::Openai {
                    Provider::OpenAi
                } else {
                    Provider::Anthropic
                };
                let settings = resolve(provider)?;
                AgentChoiceMade {
                    kind: provider.name(),
                    reason: format!("{} drives from the start", settings.describe()),
                    backend: AgentBackend::Llm(settings),
                }
            }
            AgentChoice::Hybrid => {
                let provider = configured
                    .map(|(provider, _)| provider)
                    .unwrap_or(Provider::OpenAi);
                let settings = resolve(provider)?;
                AgentChoiceMade {
                    kind: "hybrid",
                    reason: format!(
                        "offline rules drive; {} helps when they cannot repair a failure",
                        settings.describe()
                    ),
                    backend: AgentBackend::Hybrid(settings),
                }
            }
            AgentChoice::Auto => match configured {
                Some((provider, why)) => {
                    let settings = resolve(provider)?;
                    AgentChoiceMade {
                        kind: "hybrid",
                        reason: format!(
                            "{why}: offline rules drive; {} helps when they cannot repair a failure",
                            settings.describe()
                        ),
                        backend: AgentBackend::Hybrid(settings),
                    }
                }
                None => AgentChoiceMade {
                    kind: "offline",
                    reason: format!(
                        "no LLM is configured (set {} or {} to add one)",
                        config::OPENAI_API_KEY,
                        config::ANTHROPIC_API_KEY
                    ),
                    backend: AgentBackend::Offline,
                },
            },
        })
    }
}

/// The config file's `[defaults]` for the flags `command` was not given.
fn apply_defaults(
    settings: config::Settings,
    command: &mut Command,
    agent_given: bool,
) -> Result<(), Error> {
    let agent = match (&settings.default_agent, agent_given) {
        (Some(setting), false) => Some(
            <crate::cli::AgentChoice as clap::ValueEnum>::from_str(&setting.value, true).map_err(
                |_| {
                    Error::usage(
                        format!(
                            "the config file {} sets agent = \"{}\", which is not an agent",
                            setting.origin, setting.value
                        ),
                        Some(
                            "use auto, offline, hybrid, openai, anthropic or scripted".to_string(),
                        ),
                    )
                },
            )?,
        ),
        _ => None,
    };
    let base = settings.default_base.map(|setting| setting.value);
    let policy = settings.default_policy.map(|setting| setting.value);
    tracing::info!(
        "config defaults: agent {agent:?}, base {base:?}, policy {:?}",
        policy.as_deref()
    );
    match command {
        Command::Run(args) => {
            args.agent.agent = agent.unwrap_or(args.agent.agent);
            args.sandbox.base = args.sandbox.base.take().or(base);
            args.policy = args.policy.take().or(policy);
        }
        Command::Plan(args) => {
            args.agent = agent.unwrap_or(args.agent);
            args.base = args.base.take().or(base);
            args.policy = args.policy.take().or(policy);
        }
        Command::Apply(args) => {
            // A plan names its own machine; `--base` stays what the command line says.
            args.policy = args.policy.take().or(policy);
        }
        Command::Provision(args) => {
            args.agent.agent = agent.unwrap_or(args.agent.agent);
            args.policy = args.policy.take().or(policy);
        }
        _ => {}
    }
    Ok(())
}

/// The agent a run will use, decided before the doc loads (the first line of output names
/// it) and built after (an LLM agent gets the doc's text).
pub struct AgentChoiceMade {
    pub kind: &'static str,
    pub reason: String,
    backend: AgentBackend,
}

/// How the chosen agent is built once the doc is loaded.
enum AgentBackend {
    Offline,
    Scripted(ScriptedAgent),
    Llm(Box<LlmSettings>),
    Hybrid(Box<LlmSettings>),
}

impl AgentChoiceMade {
    /// A fresh agent for one doc (`provision` builds one per doc from the same choice).
    pub fn build(&self, doc_text: &str) -> Result<Box<dyn Agent>, Error> {
        let llm = |settings: &LlmSettings| {
            LlmAgent::new(settings.clone(), Some(doc_text.to_string())).map_err(Error::Agent)
        };
        Ok(match &self.backend {
            AgentBackend::Offline => Box::new(OfflineAgent::new()),
            AgentBackend::Scripted(agent) => Box::new(agent.clone()),
            AgentBackend::Llm(settings) => Box::new(llm(settings)?),
            AgentBackend::Hybrid(settings) => Box::new(HybridAgent::new(llm(settings)?)),
        })
    }
}

/// The policy: the defaults, or `--policy FILE` on top of them.
pub fn load_policy(path: Option<&std::path::Path>) -> Result<Policy, Error> {
    let Some(path) = path else {
        return Ok(Policy::default());
    };
    // The policy file is an argument the user chose: a missing or unreadable one is a usage
    // error (2), and a FIFO or device is refused before it could block the read.
    let unreadable = |reason: String| {
        Error::usage(
            format!(
                "could not read the policy file {}: {reason}",
                path.display()
            ),
            Some(
                "check the path given to --policy (a TOML file; see the README's policy section)"
                    .to_string(),
            ),
        )
    };
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => {}
        Ok(_) => return Err(unreadable("it is not a regular file".to_string())),
        Err(error) => return Err(unreadable(error.to_string())),
    }
    let text = std::fs::read_to_string(path).map_err(|error| unreadable(error.to_string()))?;
    Policy::from_toml(&text).map_err(|error| {
        Error::usage(
            format!("the policy file {} is invalid: {error}", path.display()),
            Some("see the README's policy section for the format".to_string()),
        )
    })
}

/// The sandbox settings: the profile (default or `--profile`), then the flags on top.
pub fn sandbox_config(options: &SandboxOptions) -> Result<SandboxConfig, Error> {
    let profile = match &options.profile {
        Some(name) => Profile::load(name)?,
        None => Profile::default_profile()?,
    };
    let mut config = SandboxConfig::from_profile(&Profile {
        // The base is resolved below, after the command line's override.
        base: "/".to_string(),
        ..profile.clone()
    })?;
    config.base = rootfs::resolve(options.base.as_deref().unwrap_or(&profile.base))?;
    if let Some(backend) = &options.backend {
        config.backend = Backend::parse(backend)
            .ok_or_else(|| Error::usage(format!("unknown sandbox `{backend}`"), None))?;
    }
    if let Some(network) = &options.network {
        config.network = Network::parse(network)
            .ok_or_else(|| Error::usage(format!("--network {network}: use on or off"), None))?;
    }
    config.env_passthrough.extend(options.env.iter().cloned());
    Ok(config)
}

/// A duration flag (`--timeout 20m`), with the hint a bad one needs.
pub fn parse_duration(flag: &str, text: &str) -> Result<std::time::Duration, Error> {
    profile::parse_duration(text).map_err(|reason| {
        Error::usage(
            format!("{flag} {text}: {reason}"),
            Some("write a duration such as 30s, 20m or 1h".to_string()),
        )
    })
}
