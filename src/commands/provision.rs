//! `agent-install provision --base <BASE> <DOC|PLAN>... --output image.tar [--tag NAME:TAG]`:
//! CI image provisioning without a container engine (DESIGN §1, §6).
//!
//! Every input runs, in order, in one overlay sandbox over the base: a doc through the install
//! loop ([`session::run_in`], no apply), a plan by replaying its exact steps; each must verify.
//! Then the sandbox's changes become one layer on top of the base's, and the image is written
//! with [`crate::oci`], together with a plan bundle (`NAME.plan.json`) that rebuilds it with
//! no agent. Any failure writes nothing at `--output` and exits with that failure's status.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::settings::{AgentChoiceMade, Configured};
use crate::approver;
use crate::cli::ProvisionArgs;
use crate::doc::Doc;
use crate::event::{Ending, Event, Outcome};
use crate::oci::base::{self, Base};
use crate::oci::blob::BlobStore;
use crate::oci::image::{self, HistoryEntry, ImageConfig, Layers, Staging};
use crate::oci::{self, OciError};
use crate::plan::Plan;
use crate::plan::bundle::{BundleBase, PlanBundle, PlanFile};
use crate::policy::Target;
use crate::replay::{self, ReplayEnding, ReplayOptions};
use crate::sandbox::{self, Backend, ExportOptions, Network, Profile, Sandbox};
use crate::session::{self, ApplyMode, Settings};
use crate::ui::Outputs;
use crate::{Error, ExitStatus};

/// One input, loaded before anything runs (a doc that cannot be loaded fails in seconds,
/// not after the inputs before it ran).
enum Input {
    Doc {
        label: String,
        doc: Box<Doc>,
        /// The doc as loaded, for an LLM agent.
        text: String,
    },
    Plan {
        path: String,
        plan: Box<Plan>,
    },
}

pub async fn run(args: ProvisionArgs, configured: &Configured) -> Result<ExitStatus, Error> {
    if !image::valid_reference(&args.tag) {
        return Err(Error::usage(
            format!("--tag {}: not a valid image name", args.tag),
            Some(
                "write NAME:TAG with a lowercase name, e.g. ci/tools:1 or \
                 registry.example.org/team/tools:2026.11"
                    .to_string(),
            ),
        ));
    }
    let output = check_output(&args.output)?;
    let timeout = super::settings::parse_duration("--timeout", &args.timeout)?;
    let policy = super::settings::load_policy(args.policy.as_deref())?;
    let base = base::resolve(&args.base).map_err(oci_error)?;
    // A bad --agent setting (no key, no --script) fails now, not after the first inputs ran.
    let agent = configured.choose_agent(&args.agent)?;

    let mut inputs = Vec::new();
    for spec in &args.inputs {
        inputs.extend(load_input(spec, &args).await?);
    }

    let profile = match &args.profile {
        Some(name) => Profile::load(name)?,
        None => Profile::default_profile()?,
    };
    let mut config = sandbox::SandboxConfig::from_profile(&Profile {
        base: "/".to_string(),
        ..profile
    })?;
    config.backend = Backend::Overlay;
    config.base = base.rootfs.clone();
    if let Some(network) = &args.network {
        config.network = Network::parse(network)
            .ok_or_else(|| Error::usage(format!("--network {network}: use on or off"), None))?;
    }
    let mut hidden = config.hidden.clone();
    // What a build leaves behind that no image needs and that differs on every build.
    hidden.extend(
        ["/root/.bash_history", "/root/.wget-hsts", "/root/.lesshst"]
            .iter()
            .map(|path| path.to_string()),
    );
    config.export = ExportOptions::reproducible(hidden);
    let policy = policy.with_passed_variables(&config.env_passthrough);
    // One sandbox runs every input: the fence lets through what any of them downloads from.
    let commands: Vec<&str> = inputs
        .iter()
        .flat_map(|input| -> Box<dyn Iterator<Item = &str> + '_> {
            match input {
                Input::Doc { doc, .. } => Box::new(super::fence::doc_commands(doc)),
                Input::Plan { plan, .. } => {
                    Box::new(plan.steps.iter().map(|step| step.command.as_str()))
                }
            }
        })
        .collect();
    let unfenced = super::fence::enable(&mut config, &policy, commands);

    let mut outputs = super::open_outputs(args.json, None)?;
    if let Some(message) = unfenced {
        outputs.emit(crate::event::Event::Warning { message });
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = super::outputs::spawn_signal_watcher(Arc::clone(&interrupted))?;
    let settings = Settings {
        plan_cache: None,
        target: super::target_probe(&base.rootfs).await,
        rehearsal: config.clone(),
        max_steps: args.max_steps,
        timeout,
        approver: Arc::new(approver::Terminal::detect(args.yes)),
        apply: ApplyMode::NoApply,
        extra_verification: Vec::new(),
        policy,
        plan_out: None,
        export_layer: None,
        interrupted: Arc::clone(&interrupted),
    };
    let result = build(
        &args,
        &agent,
        &base,
        &inputs,
        &settings,
        &mut outputs,
        &output,
    )
    .await;
    watcher.abort();
    drop(outputs.finish());
    if interrupted.load(Ordering::SeqCst) {
        return Ok(ExitStatus::Interrupted);
    }
    result
}

/// Runs the inputs and writes the image and the bundle.
async fn build(
    args: &ProvisionArgs,
    agent: &AgentChoiceMade,
    base: &Base,
    inputs: &[Input],
    settings: &Settings,
    outputs: &mut Outputs,
    output: &Path,
) -> Result<ExitStatus, Error> {
    let bundle_path = &PlanBundle::path_beside(output);
    // Before anything runs: an output directory we cannot write to fails in a moment.
    let staging = Staging::beside(output).map_err(|error| {
        Error::io(
            format!("could not write beside {}", output.display()),
            error,
        )
    })?;
    let config = settings.rehearsal.clone();
    let mut sandbox = tokio::task::block_in_place(|| sandbox::open(config))?;
    if let Some(message) = sandbox::unfenced_warning(&settings.rehearsal, sandbox.as_ref()) {
        outputs.emit(crate::event::Event::Warning { message });
    }
    let initial_env = sandbox.shell_state().env.clone();
    let delta_path = staging.scratch("delta.tar");
    let ran = run_inputs(agent, inputs, settings, outputs, sandbox.as_mut()).await;
    let exported = match &ran {
        Ok(_) => Some(tokio::task::block_in_place(|| {
            sandbox.export_layer(&delta_path)
        })),
        Err(_) => None,
    };
    let final_env = sandbox.shell_state().env.clone();
    if let Err(error) = tokio::task::block_in_place(|| sandbox.discard()) {
        outputs.emit(Event::Warning {
            message: format!("could not clean up the sandbox: {error}"),
        });
    }
    let plans = match ran {
        Ok(plans) => plans,
        Err(failure) => {
            eprintln!(
                "error: {}; no image was written",
                failure.message.trim_end_matches('.')
            );
            return Ok(failure.status);
        }
    };
    if let Some(Err(error)) = exported {
        return Err(error.into());
    }

    let progress = !args.json && std::io::stderr().is_terminal();
    let started = Instant::now();
    let layout = staging.layout();
    let store = BlobStore::create(&layout)
        .map_err(|error| Error::io("creating the image layout", error))?;
    let mut layers = Layers {
        descriptors: Vec::new(),
        diff_ids: Vec::new(),
    };
    let epoch = sandbox::export::source_date_epoch();
    let base_options = ExportOptions {
        exclude: Vec::new(),
        clamp_mtime: Some(epoch),
    };
    match &base.image {
        Some(image) => {
            for (descriptor, diff_id) in image.layers.iter().zip(&image.diff_ids) {
                store
                    .put_file(&image.blob(&descriptor.digest), &descriptor.digest)
                    .map_err(|error| Error::io("copying the base image's layers", error))?;
                let mut descriptor = descriptor.clone();
                descriptor.annotations = None;
                layers.push(descriptor, diff_id.clone());
            }
        }
        None => {
            let layer = oci::layer_cache::base_layer(&base.rootfs, &base_options, &store, progress)
                .map_err(oci_error)?;
            layers.push_gzip(&layer);
        }
    }
    let delta = store
        .put_layer(|sink| {
            let mut file = std::fs::File::open(&delta_path)?;
            std::io::copy(&mut file, sink).map(|_| ())
        })
        .map_err(|error| Error::io("compressing the delta layer", error))?;
    layers.push_gzip(&delta);

    let bundle = PlanBundle::new(
        BundleBase {
            spec: base.spec.clone(),
            kind: base.kind.name().to_string(),
        },
        plans,
    );
    let bundle_text = bundle.to_json();
    let image_config = image_config(base, &bundle, &bundle_text, &initial_env, &final_env, epoch);
    let written = image::write_layout(&layout, &store, &layers, &image_config, &args.tag)
        .map_err(oci_error)?;
    // Ctrl-C while the layers were compressed: stop before anything appears at --output.
    if settings.interrupted.load(Ordering::SeqCst) {
        eprintln!("error: interrupted; no image was written");
        return Ok(ExitStatus::Interrupted);
    }
    image::write_archive(&layout, output, epoch).map_err(oci_error)?;
    if let Err(error) = image::write_atomically(bundle_path, bundle_text.as_bytes()) {
        let _ = std::fs::remove_file(output);
        return Err(Error::io(
            format!("could not write the plan bundle {}", bundle_path.display()),
            error,
        ));
    }
    drop(staging);
    report_image(args, output, bundle_path, &written, started.elapsed());
    Ok(ExitStatus::Success)
}

/// How an input failed: its exit status and message.
struct Failure {
    status: ExitStatus,
    message: String,
}

async fn run_inputs(
    agent_choice: &AgentChoiceMade,
    inputs: &[Input],
    settings: &Settings,
    outputs: &mut Outputs,
    sandbox: &mut dyn Sandbox,
) -> Result<Vec<Plan>, Failure> {
    let mut plans = Vec::new();
    for input in inputs {
        if settings.interrupted.load(Ordering::SeqCst) {
            return Err(Failure {
                status: ExitStatus::Interrupted,
                message: "interrupted".to_string(),
            });
        }
        match input {
            Input::Doc { label, doc, text } => {
                // Chosen before anything ran (in `run`), so only building can fail here.
                let (kind, reason) = (agent_choice.kind, agent_choice.reason.clone());
                let agent = agent_choice.build(text).map_err(|error| Failure {
                    status: error.exit_status(),
                    message: format!("{label}: {error}"),
                })?;
                outputs.emit(Event::Started {
                    doc: label.clone(),
                    agent: kind.to_string(),
                    sandbox: Backend::Overlay.name().to_string(),
                    agent_reason: reason,
                });
                outputs.emit(Event::doc_loaded(doc));
                let result = session::run_in(doc, agent, settings, outputs, sandbox).await;
                match (result.outcome, result.plan) {
                    (Outcome::Verified, Some(plan)) => plans.push(plan),
                    (_, _) => {
                        return Err(Failure {
                            status: result.status,
                            message: format!("{label}: {}", result.message),
                        });
                    }
                }
            }
            Input::Plan { path, plan } => {
                replay_plan(path, plan, settings, outputs, sandbox)?;
                plans.push(plan.as_ref().clone());
            }
        }
    }
    Ok(plans)
}

/// Replays a plan's exact steps with no agent ([`replay::replay`]), after checking every step
/// against the sandbox policy: a plan file is input like a doc, and may not run what the
/// policy refuses.
fn replay_plan(
    path: &str,
    plan: &Plan,
    settings: &Settings,
    outputs: &mut Outputs,
    sandbox: &mut dyn Sandbox,
) -> Result<(), Failure> {
    let started = Instant::now();
    outputs.emit(Event::Started {
        doc: path.to_string(),
        agent: "none (plan replay)".to_string(),
        sandbox: Backend::Overlay.name().to_string(),
        agent_reason: format!("replaying the plan for {}", plan.doc.source),
    });
    let finish = |outputs: &mut Outputs, outcome: Outcome, message: String| {
        let route = plan.route.as_ref().map(|route| route.name.clone());
        outputs.end(Ending::new(outcome, message.clone()), route, started);
        Failure {
            status: outcome.exit_status(),
            message: format!("{path}: {message}"),
        }
    };
    let approved = match replay::approve(
        &plan.steps,
        &plan.verification,
        &settings.policy,
        Target::Sandbox,
        settings.approver.as_ref(),
    ) {
        Ok(approved) => approved,
        Err(message) => {
            return Err(finish(
                outputs,
                Outcome::Refused,
                format!("not replayed: {message}"),
            ));
        }
    };
    let options = ReplayOptions {
        reason: format!("a step of the plan {path}"),
        step_timeout: settings.rehearsal.limits.timeout,
        interrupted: Some(Arc::clone(&settings.interrupted)),
        ..ReplayOptions::new("sandbox")
    };
    let replayed = tokio::task::block_in_place(|| {
        replay::replay(&approved, sandbox, &options, &mut |event| {
            outputs.emit(event)
        })
    });
    let replayed = match replayed {
        Ok(replayed) => replayed,
        Err(error) => {
            let outcome = if matches!(error, sandbox::SandboxError::Interrupted) {
                Outcome::Interrupted
            } else {
                Outcome::Error
            };
            let mut failure = finish(outputs, outcome, error.to_string());
            failure.status = error.exit_status();
            return Err(failure);
        }
    };
    match replayed.ending {
        ReplayEnding::Verified => {
            finish(
                outputs,
                Outcome::Verified,
                format!("replayed {} step(s) and verified", approved.steps().len()),
            );
            Ok(())
        }
        ReplayEnding::StepFailed { index, outcome } => Err(finish(
            outputs,
            Outcome::NoRoute,
            format!(
                "step {} `{}` {outcome}; the plan no longer works on this base \
                 (build from the doc again to let the agent adapt)",
                index + 1,
                approved.steps()[index].command
            ),
        )),
        ReplayEnding::VerificationFailed { failures } => Err(finish(
            outputs,
            Outcome::VerificationFailed,
            format!(
                "verification failed after replaying the plan: {}",
                failures
                    .iter()
                    .map(|failure| format!("`{}`", failure.command))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The config: environment, provenance labels and one history entry per input.
fn image_config(
    base: &Base,
    bundle: &PlanBundle,
    bundle_text: &str,
    initial_env: &[(String, String)],
    final_env: &[(String, String)],
    epoch: u64,
) -> ImageConfig {
    let base_config = base.image.as_ref().map(|image| image.config.clone());
    let mut env: Vec<String> = base_config
        .as_ref()
        .and_then(|config| config["config"]["Env"].as_array().cloned())
        .map(|values| {
            values
                .iter()
                .filter_map(|value| value.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_else(|| {
            vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()]
        });
    for (name, value) in exported_variables(initial_env, final_env) {
        let prefix = format!("{name}=");
        let entry = format!("{name}={value}");
        match env
            .iter_mut()
            .find(|existing| existing.starts_with(&prefix))
        {
            Some(existing) => *existing = entry,
            None => env.push(entry),
        }
    }

    let mut labels = BTreeMap::new();
    let mut put = |key: String, value: String| {
        labels.insert(format!("io.agent-install.{key}"), value);
    };
    put("generator".to_string(), Plan::generator());
    put(
        "base".to_string(),
        format!("{} {}", base.kind.name(), base.spec),
    );
    put(
        "plan-bundle.sha256".to_string(),
        oci::blob::sha256_digest(bundle_text.as_bytes())
            .trim_start_matches("sha256:")
            .to_string(),
    );
    put("inputs".to_string(), bundle.plans.len().to_string());
    let mut history = Vec::new();
    if base.image.is_none() {
        history.push(HistoryEntry {
            created_by: format!("agent-install provision --base {}", base.spec),
            comment: format!("base layer from the {} {}", base.kind.name(), base.spec),
            empty_layer: false,
        });
    }
    for (index, plan) in bundle.plans.iter().enumerate() {
        let number = index + 1;
        let plan_sha256 = plan.sha256();
        put(format!("doc.{number}.source"), plan.doc.source.clone());
        put(format!("doc.{number}.sha256"), plan.doc.sha256.clone());
        put(format!("doc.{number}.plan-sha256"), plan_sha256.clone());
        if let Some(route) = &plan.route {
            put(format!("doc.{number}.route"), route.name.clone());
        }
        let name = plan
            .doc
            .name
            .clone()
            .unwrap_or_else(|| plan.doc.source.clone());
        history.push(HistoryEntry {
            created_by: format!(
                "agent-install: install {name} from {} ({} step(s){})",
                plan.doc.source,
                plan.steps.len(),
                plan.route
                    .as_ref()
                    .map(|route| format!(", route {}", route.name))
                    .unwrap_or_default()
            ),
            comment: format!("doc sha256 {}, plan sha256 {plan_sha256}", plan.doc.sha256),
            empty_layer: true,
        });
    }
    history.push(HistoryEntry {
        created_by: format!(
            "agent-install provision: the changes of {} install(s)",
            bundle.plans.len()
        ),
        comment: "one layer for all inputs; apt lists, caches and logs left out".to_string(),
        empty_layer: false,
    });
    ImageConfig {
        created: oci::rfc3339(epoch),
        env,
        labels,
        base_config,
        history,
    }
}

/// Variables the steps exported or changed (the sandbox's own session variables aside).
fn exported_variables(
    initial: &[(String, String)],
    after: &[(String, String)],
) -> Vec<(String, String)> {
    const SESSION: &[&str] = &[
        "PWD", "OLDPWD", "SHLVL", "_", "HOME", "TERM", "USER", "LOGNAME",
    ];
    after
        .iter()
        .filter(|(name, _)| !SESSION.contains(&name.as_str()))
        .filter(|(name, value)| {
            !initial
                .iter()
                .any(|(initial_name, initial_value)| initial_name == name && initial_value == value)
        })
        .cloned()
        .collect()
}

/// Loads a doc, or reads a plan file (`.json`: one plan, or a bundle of them).
async fn load_input(spec: &str, args: &ProvisionArgs) -> Result<Vec<Input>, Error> {
    let path = Path::new(spec);
    if spec.ends_with(".json") && path.is_file() {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::io(format!("could not read {spec}"), error))?;
        let invalid = |reason: String| {
            Error::usage(
                format!("{spec} is not a plan or a plan bundle: {reason}"),
                Some(
                    "pass a plan written by `agent-install plan`/`--plan-out`, or the \
                     NAME.plan.json that `provision` wrote"
                        .to_string(),
                ),
            )
        };
        return match PlanFile::parse(&text).map_err(invalid)? {
            // A bundle stands for its plans: each replays as an input of its own, in order.
            PlanFile::Bundle(bundle) => {
                let count = bundle.plans.len();
                Ok(bundle
                    .plans
                    .into_iter()
                    .enumerate()
                    .map(|(index, plan)| Input::Plan {
                        path: format!("{spec} (plan {} of {count})", index + 1),
                        plan: Box::new(plan),
                    })
                    .collect())
            }
            PlanFile::Plan(plan) => Ok(vec![Input::Plan {
                path: spec.to_string(),
                plan,
            }]),
        };
    }
    let loaded = crate::catalog::load_doc(spec, &args.load.options()).await?;
    Ok(vec![Input::Doc {
        label: spec.to_string(),
        doc: Box::new(crate::doc::parse(&loaded)),
        text: loaded.text.clone(),
    }])
}

/// `--output` must name a file in an existing directory.
fn check_output(output: &Path) -> Result<PathBuf, Error> {
    if output.is_dir() {
        return Err(Error::usage(
            format!("--output {} is a directory", output.display()),
            Some("name the archive to write, e.g. --output image.tar".to_string()),
        ));
    }
    let parent = match output.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Error::usage(
            format!(
                "--output {}: {} does not exist",
                output.display(),
                parent.display()
            ),
            Some("create the directory first, or write the archive elsewhere".to_string()),
        ));
    }
    Ok(output.to_path_buf())
}

fn oci_error(error: OciError) -> Error {
    let hint = error.hint();
    match error {
        OciError::Base { .. } => Error::usage(error.to_string(), hint),
        OciError::Io { context, source } => Error::io(context, source),
    }
}

fn report_image(
    args: &ProvisionArgs,
    output: &Path,
    bundle: &Path,
    written: &image::Written,
    took: Duration,
) {
    if args.json {
        let line = serde_json::json!({
            "type": "image",
            "path": output,
            "plan_bundle": bundle,
            "tag": args.tag,
            "manifest_digest": written.manifest.digest,
            "config_digest": written.config.digest,
            "layers": written.layers.iter().map(|layer| &layer.digest).collect::<Vec<_>>(),
        });
        // A closed stdout is the reader's choice; the image is written either way.
        let _ = super::write_stdout(&format!("{line}\n"));
        return;
    }
    eprintln!(
        "image {} written to {} ({} layers, manifest {}) in {:.1}s",
        args.tag,
        output.display(),
        written.layers.len(),
        written.manifest.digest,
        took.as_secs_f64()
    );
    eprintln!(
        "plan bundle written to {} (rebuild without an agent: agent-install provision --base {} {} --output {} --tag {})",
        bundle.display(),
        args.base,
        bundle.display(),
        output.display(),
        args.tag
    );
    eprintln!("load it with: podman load -i {}", output.display());
}
