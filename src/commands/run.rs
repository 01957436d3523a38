//! `agent-install run <DOC>` (and the bare `agent-install <DOC>`): the install loop.
//!
//! Resolves the settings from flags and files, loads and parses the doc, picks the agent, wires
//! the outputs (terminal, `--json`, transcript, report), installs the Ctrl-C / SIGTERM handlers,
//! and hands over to [`crate::session::run`].

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::outputs::{spawn_signal_watcher, write_report_to};
use super::settings::{Configured, load_policy, parse_duration};
use crate::approver;
use crate::cli::RunArgs;
use crate::event::{Event, Outcome};
use crate::plan::cache::{CacheSettings, PlanCache};
use crate::sandbox;
use crate::session::{self, ApplyMode, Settings};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

pub async fn run(args: RunArgs, configured: &Configured) -> Result<ExitStatus, Error> {
    let agent = configured.choose_agent(&args.agent)?;
    let policy = load_policy(args.policy.as_deref())?;
    let mut rehearsal = super::sandbox_config(&args.sandbox)?;
    let policy = policy.with_passed_variables(&rehearsal.env_passthrough);
    if let Some(text) = &args.step_timeout {
        rehearsal.limits.timeout = Some(parse_duration("--step-timeout", text)?);
    }
    let timeout = parse_duration("--timeout", &args.timeout)?;
    let approver = Arc::new(approver::Terminal::detect(args.yes));
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
                exit_code: ExitStatus::DocLoad,
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
        approver,
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
    Ok(result.status)
}

fn write_report(args: &RunArgs, outputs: Outputs) -> Result<(), Error> {
    write_report_to(args.report.as_deref(), outputs)
}
