//! `agent-install run <DOC>` (and the bare `agent-install <DOC>`): the install loop.
//!
//! Resolves the settings from flags and files, loads and parses the doc, picks the agent, wires
//! the outputs (terminal, `--json`, transcript, report), installs the Ctrl-C / SIGTERM handlers,
//! and hands over to [`crate::session::run`].

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::signal::unix::{SignalKind, signal};

use crate::agent::Agent;
use crate::agent::hybrid::HybridAgent;
use crate::agent::llm::LlmAgent;
use crate::agent::offline::OfflineAgent;
use crate::agent::scripted::ScriptedAgent;
use crate::cli::{AgentArgs, AgentChoice, RunArgs};
use crate::config::{self, LlmFlags, LlmSettings, Provider};
use crate::event::{Event, Outcome};
use crate::plan::cache::{CacheSettings, PlanCache};
use crate::policy::{Interaction, Policy};
use crate::sandbox::{self, profile};
use crate::session::{self, ApplyMode, Settings};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

pub async fn run(args: RunArgs) -> Result<ExitStatus, Error> {
    let agent = choose_agent(&args.agent)?;
    let policy = load_policy(args.policy.as_deref())?;
    let mut rehearsal = super::sandbox_config(&args.sandbox)?;
    let policy = policy.with_passed_variables(&rehearsal.env_passthrough);
    if let Some(text) = &args.step_timeout {
        rehearsal.limits.timeout = Some(parse_duration("--step-timeout", text)?);
    }
    let timeout = parse_duration("--timeout", &args.timeout)?;
    let interaction = Interaction {
        terminal: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        yes: args.yes,
    };
    let apply = if args.apply {
        ApplyMode::Apply
    } else if args.no_apply {
        ApplyMode::NoApply
    } else {
        ApplyMode::Ask
    };
    let mut outputs = super::open_outputs(args.json, args.transcript.as_deref())?;
    let started = Event::Started {
        doc: args.doc.clone(),
        agent: agent.kind.to_string(),
        sandbox: rehearsal.backend.name().to_string(),
        agent_reason: agent.reason.clone(),
    };
    let loading = crate::catalog::load_doc(&args.doc, &args.load.options()).await;
    let loaded = match loading {
        Ok(loaded) => {
            outputs.emit(started);
            loaded
        }
        Err(error) => {
            // The error is returned and printed once, by `main`; the display shows nothing
            // else (`--json`, the transcript and the report still get both events).
            outputs.emit_unrendered(started);
            outputs.emit_unrendered(Event::Finished {
                outcome: Outcome::Error,
                exit_code: ExitStatus::DocLoad.code(),
                message: error.to_string(),
                route: None,
                agent_calls: 0,
                agent_tokens: 0,
                duration_ms: 0,
            });
            write_report(&args, outputs)?;
            return Err(error.into());
        }
    };
    // A run that may apply here first settles what a killed run left (see `recover`).
    if apply != ApplyMode::NoApply {
        let store = crate::record::Store::default_location();
        tokio::task::block_in_place(|| {
            super::recover::finish_interrupted(&store, &mut |event| outputs.emit(event))
        });
    }
    let doc = crate::doc::parse(&loaded);
    if let Some(message) =
        super::fence::enable(&mut rehearsal, &policy, super::fence::doc_commands(&doc))
    {
        outputs.emit(Event::Warning { message });
    }
    let agent = agent.build(&loaded.text)?;
    outputs.emit(Event::doc_loaded(&doc));

    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = spawn_signal_watcher(Arc::clone(&interrupted))?;
    let (target, facts) = super::target_facts(&rehearsal.base).await;
    let plan_cache = if args.no_cache || rehearsal.backend == sandbox::Backend::DryRun {
        None
    } else {
        PlanCache::default_location().map(|cache| CacheSettings { cache, facts })
    };
    let settings = Settings {
        target,
        plan_cache,
        rehearsal,
        max_steps: args.max_steps,
        timeout,
        interaction,
        apply,
        extra_verification: args.verify.clone(),
        policy,
        plan_out: args.plan_out.clone(),
        export_layer: args.export_layer.clone(),
        interrupted: Arc::clone(&interrupted),
    };
    let result = session::run(&doc, agent, settings, &mut outputs).await;
    watcher.abort();
    write_report(&args, outputs)?;
    Ok(ExitStatus::from_code(result.exit_code))
}

/// The policy: the defaults, or `--policy FILE` on top of them.
pub(super) fn load_policy(path: Option<&std::path::Path>) -> Result<Policy, Error> {
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

/// The agent a run will use, decided before the doc loads (the first line of output names
/// it) and built after (an LLM agent gets the doc's text).
pub(super) struct AgentChoiceMade {
    pub(super) kind: &'static str,
    pub(super) reason: String,
    backend: Backend,
}

enum Backend {
    Offline,
    Scripted(ScriptedAgent),
    Llm(Box<LlmSettings>),
    Hybrid(Box<LlmSettings>),
}

impl AgentChoiceMade {
    pub(super) fn build(self, doc_text: &str) -> Result<Box<dyn Agent>, Error> {
        let llm = |settings: Box<LlmSettings>| {
            LlmAgent::new(*settings, Some(doc_text.to_string())).map_err(Error::Agent)
        };
        Ok(match self.backend {
            Backend::Offline => Box::new(OfflineAgent::new()),
            Backend::Scripted(agent) => Box::new(agent),
            Backend::Llm(settings) => Box::new(llm(settings)?),
            Backend::Hybrid(settings) => Box::new(HybridAgent::new(llm(settings)?)),
        })
    }
}

/// `--agent`, with the LLM settings resolved from flags, environment and config file.
pub(super) fn choose_agent(args: &AgentArgs) -> Result<AgentChoiceMade, Error> {
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
    let file = config::load_config(&environment).map_err(config_error)?;
    let resolve = |provider: Provider| {
        config::resolve(provider, &flags, &environment, &file)
            .map(Box::new)
            .map_err(config_error)
    };
    let configured = config::configured_provider(&flags, &environment, &file);
    Ok(match args.agent {
        AgentChoice::Offline => AgentChoiceMade {
            kind: "offline",
            reason: "chosen with --agent offline".to_string(),
            backend: Backend::Offline,
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
                backend: Backend::Scripted(agent),
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
                backend: Backend::Llm(settings),
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
                backend: Backend::Hybrid(settings),
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
                    backend: Backend::Hybrid(settings),
                }
            }
            None => AgentChoiceMade {
                kind: "offline",
                reason: format!(
                    "no LLM is configured (set {} or {} to add one)",
                    config::OPENAI_API_KEY,
                    config::ANTHROPIC_API_KEY
                ),
                backend: Backend::Offline,
            },
        },
    })
}

fn write_report(args: &RunArgs, outputs: Outputs) -> Result<(), Error> {
    write_report_to(args.report.as_deref(), outputs)
}

/// Stops the outputs and writes the report to `path`, if one was asked for.
pub(super) fn write_report_to(
    path: Option<&std::path::Path>,
    outputs: Outputs,
) -> Result<(), Error> {
    let report = outputs.finish();
    if let (Some(path), Some(report)) = (path, report) {
        let text =
            serde_json::to_string_pretty(&report).map_err(|error| Error::Other(error.into()))?;
        std::fs::write(path, text + "\n").map_err(|error| {
            Error::io(
                format!("could not write the report {}", path.display()),
                error,
            )
        })?;
    }
    Ok(())
}

/// On SIGINT or SIGTERM: mark the run interrupted and kill every sandbox's processes, so the
/// session unwinds, cleans up and reports `interrupted` (exit 130).
pub(super) fn spawn_signal_watcher(
    interrupted: Arc<AtomicBool>,
) -> Result<tokio::task::JoinHandle<()>, Error> {
    let mut interrupt = signal(SignalKind::interrupt())
        .map_err(|error| Error::io("installing the SIGINT handler", error))?;
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| Error::io("installing the SIGTERM handler", error))?;
    Ok(tokio::spawn(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        interrupted.store(true, Ordering::SeqCst);
        sandbox::interrupt_all();
    }))
}

pub(super) fn parse_duration(flag: &str, text: &str) -> Result<std::time::Duration, Error> {
    profile::parse_duration(text).map_err(|reason| {
        Error::usage(
            format!("{flag} {text}: {reason}"),
            Some("write a duration such as 30s, 20m or 1h".to_string()),
        )
    })
}
