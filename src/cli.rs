//! Command-line definitions (clap). Parsing only: nothing here does I/O; `commands` does the work.

use clap::{Args, Parser, Subcommand};

use crate::doc::LoadOptions;

/// Whether the subcommand's argument `id` came from the command line (rather than its
/// default), so that a config file default may fill it in.
pub fn given_in_subcommand(matches: &clap::ArgMatches, id: &str) -> bool {
    matches.subcommand().is_some_and(|(_, sub)| {
        sub.try_get_raw(id).ok().flatten().is_some()
            && sub.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
    })
}

/// Install software from its install documentation.
///
/// agent-install reads a product's install doc (a URL, a file, `-` for stdin, or a name from
/// its catalog), probes this machine, rehearses the install in a sandbox until verification
/// passes, and only then applies the verified steps to the real target.
#[derive(Debug, Parser)]
#[command(name = "agent-install", version, propagate_version = true)]
#[command(after_help = crate::config::HELP_FOOTER)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log diagnostics to stderr (repeat for more: -v info, -vv debug, -vvv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print nothing but the final summary and errors (no progress, no warnings).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Colour on stderr: `auto` (a terminal, unless NO_COLOR is set or CLICOLOR_FORCE
    /// forces it), `always` or `never`.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = crate::ui::ColorChoice::Auto
    )]
    pub color: crate::ui::ColorChoice,
}

// Parsed once per process: the size of the largest variant costs nothing worth a Box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Install a product from its doc: rehearse in a sandbox until verification passes, then
    /// (with --apply, or your yes on a terminal) replay the verified steps on this machine.
    ///
    /// `agent-install <DOC>` is short for `agent-install run <DOC>`.
    #[command(
        after_help = "Examples:\n  agent-install jq                     rehearse the catalog's jq doc, ask before applying\n  \
agent-install run ./INSTALL.md --no-apply --report report.json\n  \
agent-install https://example.org/install.md --apply --yes --plan-out plan.json\n  \
agent-install fd --base debian-bookworm --no-apply   rehearse on a clean minimal Debian"
    )]
    Run(RunArgs),
    /// Show what an install would do, for review: a dry run in which nothing executes.
    ///
    /// Prints the chosen route and why, the routes not chosen and why not, every step with its
    /// doc citation, risk classes and the policy's decision for this machine, the verification,
    /// and what stays uncertain until the steps really run. Exit status: 0 when a plan was
    /// made, 3 when the doc could not be loaded, 4 when no route applies to this machine.
    #[command(
        after_help = "Examples:\n  agent-install plan jq                            review the catalog's jq install\n  \
agent-install plan ./INSTALL.md --format markdown   paste into a pull request\n  \
agent-install plan fd --base debian-bookworm -o plan.json   plan for a minimal Debian rootfs"
    )]
    Plan(PlanArgs),
    /// Run exactly the steps of a plan (no agent), then its verification.
    ///
    /// The default target is this machine (`--sandbox host`, under the strict host policy);
    /// `--sandbox overlay` rehearses the plan in a copy-on-write sandbox instead, on `/` or on
    /// `--base`. Before anything runs, the plan is checked against the present: when the doc at
    /// the plan's source or this machine's fingerprint changed, apply refuses (exit 6) and
    /// shows what changed, unless `--force`. Tools the plan itself installs do not count as a
    /// change of machine. Each step is reported `ok` (already as wanted) or `changed`.
    #[command(
        after_help = "Examples:\n  agent-install run jq --no-apply --plan-out jq.plan.json\n  \
agent-install apply jq.plan.json --sandbox overlay       rehearse the plan, change nothing\n  \
agent-install apply jq.plan.json --yes --report r.json   apply it to this machine"
    )]
    #[command(mut_arg("backend", |arg| arg.help(
        "Where the plan runs: this machine (`host`, the default, under the host policy), a \
copy-on-write rehearsal (`overlay`) that changes nothing here, or nowhere (`dry-run`)"
    )))]
    Apply(ApplyArgs),
    /// Turn a plan file into a shell script, Dockerfile lines or an Ansible playbook.
    ///
    /// The export replays the plan's steps in order and ends with its verification, so a
    /// failed install fails the script, the image build or the play. Exit status: 0 on
    /// success, 2 when the plan file cannot be read or is not a valid plan.
    #[command(
        after_help = "Examples:\n  agent-install export plan.json --format sh -o install.sh\n  \
agent-install export plan.json --format dockerfile >> Dockerfile\n  \
agent-install export plan.json --format ansible -o install.yml"
    )]
    Export(ExportArgs),
    /// Build an OCI image archive, no daemon: run install docs (or replay plans) on a base
    /// root filesystem in one sandbox, verify each, and write the base plus the changes as an
    /// image that `podman load` / `docker load` accept.
    ///
    /// Inputs run in the order given, in one overlay sandbox over the base. A doc runs with the
    /// agent; a plan file (`.json`, a plan or a plan bundle) replays its exact steps without one.
    /// If any input fails, no image is written and the exit status is that input's. Next to the
    /// image, `NAME.plan.json` (the plan bundle) records every verified step: commit it and
    /// pass it as the input to rebuild the image with no agent. Layers are reproducible:
    /// sorted entries, mtimes clamped to SOURCE_DATE_EPOCH (0 when unset), no apt lists,
    /// caches or logs.
    #[command(
        after_help = "Examples:\n  agent-install provision --base debian-bookworm jq tree --output tools.tar --tag ci/tools:1\n  \
agent-install provision --base debian-bookworm tools.plan.json --output tools.tar --tag ci/tools:1   (no agent)\n  \
agent-install provision --base debian.oci.tar ./INSTALL.md --output app.tar\n  \
podman load -i tools.tar"
    )]
    #[command(mut_arg("agent", |arg| arg.help(
        "Which agent proposes the commands for the docs among the inputs (plans need none)"
    )))]
    Provision(ProvisionArgs),
    /// What agent-install has applied on this machine: name, version, route, doc, date, size.
    ///
    /// Records live in `/var/lib/agent-install` (root), else the XDG state directory
    /// (`~/.local/state/agent-install`); `AGENT_INSTALL_STATE_DIR` moves them.
    #[command(
        after_help = "Examples:\n  agent-install list\n  agent-install list --json | jq -r '.[].name'"
    )]
    List(ListArgs),
    /// One install record: plan, files with hashes, packages with versions, pre-images kept.
    #[command(
        after_help = "Examples:\n  agent-install show jq\n  agent-install show jq --json | jq '.packages'"
    )]
    Show(ShowArgs),
    /// Take one install back, rehearsed in the sandbox first.
    ///
    /// The package managers remove what they installed (`apt-get purge` of packages the install
    /// added that nothing installed since needs, `npm uninstall -g`, `pipx uninstall`, `cargo
    /// uninstall`), then the added files are removed and the changed ones restored from their
    /// pre-images. A file changed after the install is never overwritten or removed: it is
    /// listed and left. The removal runs in a sandbox first and must make the product's check
    /// fail while the other installs' checks still pass; its changes are shown, and only with
    /// your yes (or --yes) does it run here. The record moves to the history. Exit statuses: 0
    /// uninstalled (or rehearsed with --dry-run), 2 no such install, 4 a removal step failed,
    /// 5 the check still passes or a neighbour's fails, 6 refused, 7 no sandbox.
    #[command(
        after_help = "Examples:\n  agent-install uninstall jq --dry-run   rehearse only\n  agent-install uninstall jq --yes"
    )]
    Uninstall(UninstallArgs),
    /// Take back the most recent apply (as `uninstall` does).
    Undo(UndoArgs),
    /// Show the facts about this machine that planning uses (OS, tools, package managers, ...).
    ///
    /// Read from files and system calls, without starting interpreters or version commands
    /// (milliseconds); `--versions` adds every tool's exact version.
    Probe(ProbeArgs),
    /// Load an install doc and show how it was understood: sections, commands, routes,
    /// verification.
    Doc(DocArgs),
    /// Run commands in the sandbox by hand (see `sandbox exec --help`).
    Sandbox(SandboxArgs),
    /// Search the built-in catalog by name, summary and install route (all entries without
    /// TEXT).
    #[command(
        after_help = "Examples:\n  agent-install search           every catalog entry\n  \
agent-install search rust      entries whose name, summary or routes mention rust\n  \
agent-install search --json pip | jq -r '.[].name'"
    )]
    Search(SearchArgs),
    /// Show the settings in force and where each one came from (flag defaults, environment,
    /// config file).
    Config(ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to stdout.
    #[command(
        after_help = "Install:\n  bash  agent-install completions bash > ~/.local/share/bash-completion/completions/agent-install\n  \
zsh   agent-install completions zsh > ~/.zfunc/_agent-install   (with fpath+=~/.zfunc before compinit)\n  \
fish  agent-install completions fish > ~/.config/fish/completions/agent-install.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout.
    #[command(
        after_help = "Install:\n  agent-install man > /usr/local/share/man/man1/agent-install.1\n  \
man agent-install          (or read it without installing: agent-install man | man -l -)"
    )]
    Man,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words to look for (all must match, any case); nothing lists the whole catalog.
    pub text: Vec<String>,
    /// Print JSON (an array of entries) instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ProvisionArgs {
    /// The base: a root filesystem directory, a named base (`debian-bookworm`), a rootfs
    /// tarball (`.tar`, `.tar.gz`), or an OCI image archive (its layers are kept).
    #[arg(long, value_name = "DIR|TARBALL|OCI-ARCHIVE")]
    pub base: String,
    /// Install docs (URL, file, catalog name) and plan files (`.json`), run in this order.
    #[arg(required = true, value_name = "DOC|PLAN")]
    pub inputs: Vec<String>,
    /// The image archive to write (an OCI layout as a tar). The plan bundle is written beside
    /// it as `NAME.plan.json`.
    #[arg(short, long, value_name = "FILE")]
    pub output: std::path::PathBuf,
    /// The image's name in the archive (what `podman load` / `docker load` call it).
    #[arg(
        long,
        value_name = "NAME:TAG",
        default_value = "agent-install/provisioned:latest"
    )]
    pub tag: String,
    /// The agent for docs (plans need none); the flags are those of `run`.
    #[command(flatten)]
    pub agent: AgentArgs,
    /// Network inside the sandbox.
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub network: Option<String>,
    /// Sandbox profile for limits, environment and the paths left out of the image
    /// (default: `default`); its base is replaced by `--base`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Answer yes to every question the policy would ask (it never overrides a denial).
    #[arg(short, long)]
    pub yes: bool,
    /// Give up on a doc after this many commands.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_steps: usize,
    /// Give up on a doc after this long (e.g. 90s, 20m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub timeout: String,
    /// Policy overrides (TOML).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Print events as NDJSON on stdout, ending with one `image` line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The install doc: an http(s) URL, a file path, `-` for stdin, or a catalog name.
    pub doc: String,
    /// Also write the plan as JSON to this file (the format `apply` and `export` read).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = crate::plan::render::Format::Text)]
    pub format: crate::plan::render::Format,
    /// Plan for this root filesystem instead of this machine: a directory, or a named base
    /// that is already built (`debian-bookworm`). Nothing inside it runs.
    #[arg(long, value_name = "DIR|NAME")]
    pub base: Option<String>,
    /// Which agent proposes the commands: `auto` and `offline` are the offline planner (a dry
    /// run has no command output for an LLM to decide from).
    #[arg(long, value_enum, default_value_t = AgentChoice::Auto)]
    pub agent: AgentChoice,
    /// An extra verification command (repeatable).
    #[arg(long = "verify", value_name = "CMD")]
    pub verify: Vec<String>,
    /// Policy overrides (TOML): the decisions shown are the ones this policy makes.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Give up after this many proposed commands.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_steps: usize,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The plan file (from `plan -o`, `run --plan-out`).
    pub plan: std::path::PathBuf,
    /// What to produce.
    #[arg(long, value_enum)]
    pub format: crate::export::Format,
    /// Write to this file instead of stdout (a shell script is made executable).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also check which package registries answer (short timeout each).
    #[arg(long)]
    pub network: bool,
    /// Also run each tool's version command and ask the Python interpreters for their exact
    /// versions (slower: tens of processes). Without it, versions come only from files.
    #[arg(long)]
    pub versions: bool,
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// The install doc: an http(s) URL, a file path, `-` for stdin, or a catalog name
    /// (see `install-docs/`).
    pub doc: String,
    /// Print JSON instead of the readable view.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Options for loading a doc, shared by every command that takes one.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Refuse docs larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = LoadOptions::DEFAULT_MAX_BYTES)]
    pub max_doc_size: u64,
    /// Give up fetching a doc URL after this many seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = LoadOptions::DEFAULT_TIMEOUT_SECS)]
    pub fetch_timeout: u64,
}

impl LoadArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            max_bytes: self.max_doc_size,
            timeout: std::time::Duration::from_secs(self.fetch_timeout),
            ..LoadOptions::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Run one command in a fresh sandbox, stream its output, and print the filesystem delta.
    ///
    /// The host is never changed: the command sees the host root (or `--base`) through a
    /// copy-on-write overlay, and its changes are listed afterwards (`--keep` keeps them,
    /// `--export-layer` writes them as an OCI tar layer). Exit status: 0 when the command
    /// succeeded, 1 when it failed or timed out, 7 when the sandbox cannot start here.
    Exec(SandboxExecArgs),
}

#[derive(Debug, Args)]
pub struct SandboxExecArgs {
    /// Root filesystem for the lower layer: `/` (default), a directory, or a named base
    /// (`debian-bookworm`, built and cached on first use).
    #[arg(long, value_name = "DIR|NAME")]
    pub base: Option<String>,
    /// Network inside the sandbox.
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub network: Option<String>,
    /// Fence the network: the sandbox gets its own network namespace whose only way out is a
    /// proxy that lets only these hosts through (`host`, `*.domain`, `host:port`; repeatable).
    /// Every request is listed after the command.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_host: Vec<String>,
    /// Keep the changes (the overlay upper dir) in DIR instead of discarding them.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<std::path::PathBuf>,
    /// Sandbox profile: a name from `sandboxes/` (default, debian-bookworm, offline) or a path.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Write the changes as an OCI tar layer (whiteouts as `.wh.` entries).
    #[arg(long, value_name = "FILE")]
    pub export_layer: Option<std::path::PathBuf>,
    /// Kill the command and everything it started after this long (e.g. 30s, 20m; 0 = never).
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,
    /// Pass this variable in although its name looks secret (repeatable; NAME=VALUE sets it).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    /// Where to run: the overlay sandbox (default), the host itself, or nowhere (dry run).
    #[arg(long, value_name = "overlay|host|dry-run", value_parser = ["overlay", "host", "dry-run"])]
    pub sandbox: Option<String>,
    /// Also list changes under the profile's hidden paths (caches, logs, apt lists).
    #[arg(long)]
    pub all: bool,
    /// Print NDJSON events on stdout (output lines, then the result with the delta).
    #[arg(long)]
    pub json: bool,
    /// The command (one argument is shell text; several are quoted and joined).
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub command: Vec<String>,
}

/// Which agent proposes the commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AgentChoice {
    /// An LLM backend when one is configured, else the offline agent.
    Auto,
    /// The built-in rule-based planner: no network, no key, deterministic.
    Offline,
    /// The offline agent drives; the configured LLM is asked only when it cannot repair a
    /// failure or runs out of routes.
    Hybrid,
    /// An OpenAI-compatible Chat Completions endpoint drives from the start (OPENAI_API_KEY,
    /// OPENAI_BASE_URL for Ollama, vLLM, llama.cpp, LM Studio, OpenRouter, ...).
    Openai,
    /// The Anthropic Messages API drives from the start (ANTHROPIC_API_KEY).
    Anthropic,
    /// Replays actions from the JSON file given with --script (tests, reproducing a run).
    Scripted,
}

/// Which agent proposes the commands, and its LLM settings; shared by `run` and `provision`.
#[derive(Debug, Clone, Args)]
pub struct AgentArgs {
    /// Which agent proposes the commands.
    #[arg(long, value_enum, default_value_t = AgentChoice::Auto)]
    pub agent: AgentChoice,
    /// The LLM model (else AGENT_INSTALL_MODEL, else the config file, else the provider's
    /// default).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// The LLM endpoint, e.g. http://localhost:11434/v1 for Ollama (else OPENAI_BASE_URL /
    /// ANTHROPIC_BASE_URL, else the config file).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// Stop after this many LLM calls (default 30, or `max_calls` in the config file).
    #[arg(long, value_name = "N")]
    pub max_llm_calls: Option<u64>,
    /// Stop once the LLM calls used this many tokens (default 400000, or `max_tokens` in the
    /// config file).
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<u64>,
    /// The actions for --agent scripted: a JSON array of {"action": "run", "command": ...}.
    #[arg(long, value_name = "FILE")]
    pub script: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The install doc: an http(s) URL, a file path, `-` for stdin, or a catalog name.
    pub doc: String,
    #[command(flatten)]
    pub agent: AgentArgs,
    #[command(flatten)]
    pub sandbox: SandboxOptions,
    /// After a verified rehearsal, replay the steps on this machine without asking.
    #[arg(long, conflicts_with = "no_apply")]
    pub apply: bool,
    /// Stop after the rehearsal; change nothing on this machine (the default without a terminal).
    #[arg(long)]
    pub no_apply: bool,
    /// Answer yes to every question the policy would ask (it never overrides a denial).
    #[arg(short, long)]
    pub yes: bool,
    /// An extra verification command (repeatable); it must pass for the install to count.
    #[arg(long = "verify", value_name = "CMD")]
    pub verify: Vec<String>,
    /// Give up after this many commands.
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub max_steps: usize,
    /// Give up after this long in total (e.g. 90s, 20m, 1h).
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub timeout: String,
    /// Kill a single command after this long (default: the profile's, 10m).
    #[arg(long, value_name = "DURATION")]
    pub step_timeout: Option<String>,
    /// Policy overrides (TOML): decisions per risk class and target, allow/deny patterns.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Write the report (outcome, steps, verification, delta, timings) as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
    /// Write every event as one JSON line.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<std::path::PathBuf>,
    /// Write the verified steps as a plan that `apply` can replay without an agent.
    #[arg(long, value_name = "FILE")]
    pub plan_out: Option<std::path::PathBuf>,
    /// Write the rehearsal's filesystem changes as an OCI tar layer.
    #[arg(long, value_name = "FILE")]
    pub export_layer: Option<std::path::PathBuf>,
    /// Print events as NDJSON on stdout instead of the progress display.
    #[arg(long)]
    pub json: bool,
    /// Neither replay a plan kept from an earlier verified run of this doc on this machine
    /// nor keep this run's plan. The cache lives in `plans/` of `$AGENT_INSTALL_CACHE_DIR`,
    /// else of `$XDG_CACHE_HOME/agent-install`, else of `~/.cache/agent-install`.
    #[arg(long, env = "AGENT_INSTALL_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan file (written by `run --plan-out`, `plan -o` or the plan cache).
    pub plan: std::path::PathBuf,
    #[command(flatten)]
    pub sandbox: SandboxOptions,
    /// Apply even when the doc or this machine changed since the plan was made.
    #[arg(long)]
    pub force: bool,
    /// On this machine, replay the steps as written even when their rehearsal in a sandbox
    /// fails (by default a plan is rehearsed first, and one that fails there is not applied).
    #[arg(long)]
    pub exact: bool,
    /// Answer yes to every question the policy would ask (it never overrides a denial).
    #[arg(short, long)]
    pub yes: bool,
    /// Policy overrides (TOML): decisions per risk class and target, allow/deny patterns.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<std::path::PathBuf>,
    /// Kill a single step after this long (default: the profile's, 10m).
    #[arg(long, value_name = "DURATION")]
    pub step_timeout: Option<String>,
    /// Write the report (outcome, steps with ok/changed, verification, timings) as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
    /// Write every event as one JSON line.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<std::path::PathBuf>,
    /// Print events as NDJSON on stdout instead of the progress display.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub load: LoadArgs,
}

/// Where commands run; shared by the commands that run anything.
#[derive(Debug, Clone, Args)]
pub struct SandboxOptions {
    /// Where the rehearsal runs: a copy-on-write overlay (default), this machine itself
    /// (`host`: no rehearsal, strict policy), or nowhere (`dry-run`: records what would run).
    #[arg(long = "sandbox", value_name = "overlay|host|dry-run", value_parser = ["overlay", "host", "dry-run"])]
    pub backend: Option<String>,
    /// Root filesystem for the sandbox's lower layer: `/` (default), a directory, or a named
    /// base (`debian-bookworm`, built and cached on first use).
    #[arg(long, value_name = "DIR|NAME")]
    pub base: Option<String>,
    /// Network inside the sandbox.
    #[arg(long, value_name = "on|off", value_parser = ["on", "off"])]
    pub network: Option<String>,
    /// Sandbox profile: a name from `sandboxes/` (default, debian-bookworm, offline) or a path.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Pass this variable in although its name looks secret (repeatable).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print the records as a JSON array.
    #[arg(long)]
    pub json: bool,
    /// Also list the installs that were taken back.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The product name (as `list` shows it) or a record id.
    pub name: String,
    /// Print the whole record as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The options `uninstall` and `undo` share.
#[derive(Debug, Clone, Args)]
pub struct RemovalArgs {
    /// Rehearse and verify the removal in the sandbox, show it, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Apply the removal without asking.
    #[arg(short, long)]
    pub yes: bool,
    /// Write the report (steps, checks, what was left and why) as JSON.
    #[arg(long, value_name = "FILE")]
    pub report: Option<std::path::PathBuf>,
    /// Write every event as one JSON line.
    #[arg(long, value_name = "FILE")]
    pub transcript: Option<std::path::PathBuf>,
    /// Print events as NDJSON on stdout instead of the progress display.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The product name (as `list` shows it) or a record id.
    pub name: String,
    #[command(flatten)]
    pub removal: RemovalArgs,
}

#[derive(Debug, Args)]
pub struct UndoArgs {
    #[command(flatten)]
    pub removal: RemovalArgs,
}
