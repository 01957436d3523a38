//! The policy: decides, before anything runs, whether a proposed command may run (DESIGN §3).
//!
//! Why it is pure code with no I/O: the same command must get the same answer in a test, in a dry
//! run and in a real install, and the answer must be explainable. A command is parsed into simple
//! commands ([`shell`]), each is matched against a static table of rules ([`rules`]), every rule
//! belongs to a [`RiskClass`], and each class maps to a [`Decision`] per [`Target`] (stricter on
//! the host than in the sandbox). The strictest decision wins, and the [`Verdict`] lists every rule
//! that matched with a reason a person can read, so a refusal is never a mystery.
//!
//! What can change the answer: only the user's policy file ([`Policy::from_toml`]). The doc being
//! installed is untrusted input; the API takes doc text only as commands to check, never as
//! configuration, so nothing written in a doc can widen the policy.
//!
//! Without a terminal and without `--yes`, "ask" becomes "deny" ([`Verdict::resolve`]).

mod config;
pub mod downloads;
pub mod paths;
pub mod redact;
pub mod rules;
pub mod shell;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use config::{ConfigError, Pattern};
pub use redact::{Redactor, is_secret_name, redact_shapes};
pub use rules::{RULES, Rule, RuleExampleFailure, verify_rules};

/// What to do with a command. Ordered: the strictest of several decisions wins.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Run it.
    #[default]
    Allow,
    /// Run it only if the user agrees (or passed `--yes`).
    Ask,
    /// Do not run it.
    Deny,
}

impl Decision {
    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Ask => "ask",
            Decision::Deny => "deny",
        }
    }

    /// Parse `allow`, `ask` or `deny`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "allow" => Some(Decision::Allow),
            "ask" => Some(Decision::Ask),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// Where a command would run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Inside the rehearsal sandbox: the host is not written.
    Sandbox,
    /// On the real machine (or image) being installed.
    Host,
}

impl Target {
    pub fn name(self) -> &'static str {
        match self {
            Target::Sandbox => "sandbox",
            Target::Host => "host",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// What kind of risk a command carries (DESIGN §3). Every rule belongs to one class; the policy
/// decides per class and target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiskClass {
    /// Only reads or prints (`ls`, `cat README`, `rg --version`).
    ReadOnly,
    /// Changes files or shell state outside system locations (`mkdir build`, `tar xf`, `cd`).
    LocalChange,
    /// Installs or removes software with a package manager, or into `/usr/local` or `/opt`.
    PackageInstall,
    /// Talks to the network (`curl`, `wget`, `git clone`).
    NetworkFetch,
    /// Runs code fetched from the network without it being on disk for review
    /// (`curl … | sh`, `bash <(curl …)`, `sh -c "$(curl …)"`).
    PipeToShell,
    /// Runs with raised privileges or grants them (`sudo`, `su`, setuid bits).
    Privilege,
    /// Makes something run again later: shell startup files, cron, services.
    Persistence,
    /// Changes system configuration: `/etc`, package sources and keys, services, users.
    SystemConfig,
    /// Destroys data or the system: `rm -rf /`, `mkfs`, `dd of=/dev/sda`, fork bombs.
    Destructive,
    /// Reads credentials: `~/.ssh`, `~/.aws`, `/etc/shadow`, secret variables, environment dumps.
    SecretAccess,
    /// Sends local data out: uploads, `nc`, secrets in requests, reverse shells.
    Exfiltration,
    /// Runs a program the policy does not know.
    Unknown,
    /// The command could not be parsed, so nothing about it can be trusted.
    Unparsed,
}

impl RiskClass {
    /// Every class, in order of the table in DESIGN §3.
    pub const ALL: [RiskClass; 13] = [
        RiskClass::ReadOnly,
        RiskClass::LocalChange,
        RiskClass::PackageInstall,
        RiskClass::NetworkFetch,
        RiskClass::PipeToShell,
        RiskClass::Privilege,
        RiskClass::Persistence,
        RiskClass::SystemConfig,
        RiskClass::Destructive,
        RiskClass::SecretAccess,
        RiskClass::Exfiltration,
        RiskClass::Unknown,
        RiskClass::Unparsed,
    ];

    /// The name used in policy files, reports and events.
    pub fn name(self) -> &'static str {
        match self {
            RiskClass::ReadOnly => "read-only",
            RiskClass::LocalChange => "local-change",
            RiskClass::PackageInstall => "package-install",
            RiskClass::NetworkFetch => "network-fetch",
            RiskClass::PipeToShell => "pipe-to-shell",
            RiskClass::Privilege => "privilege",
            RiskClass::Persistence => "persistence",
            RiskClass::SystemConfig => "system-config",
            RiskClass::Destructive => "destructive",
            RiskClass::SecretAccess => "secret-access",
            RiskClass::Exfiltration => "exfiltration",
            RiskClass::Unknown => "unknown",
            RiskClass::Unparsed => "unparsed",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        RiskClass::ALL
            .into_iter()
            .find(|class| class.name() == name)
    }

    /// The built-in decision. The sandbox is contained and its delta is reviewed, so it allows
    /// what the host asks about; what destroys data or leaks secrets is denied everywhere, since
    /// a sandbox with network access can still send data out.
    pub fn default_decision(self, target: Target) -> Decision {
        use Decision::{Allow, Ask, Deny};
        match (self, target) {
            (RiskClass::ReadOnly | RiskClass::LocalChange, _) => Allow,
            (RiskClass::PipeToShell | RiskClass::Unparsed, _) => Ask,
            (RiskClass::Destructive | RiskClass::SecretAccess | RiskClass::Exfiltration, _) => Deny,
            (
                RiskClass::PackageInstall
                | RiskClass::NetworkFetch
                | RiskClass::Privilege
                | RiskClass::Persistence
                | RiskClass::SystemConfig
                | RiskClass::Unknown,
                Target::Sandbox,
            ) => Allow,
            (
                RiskClass::PackageInstall
                | RiskClass::NetworkFetch
                | RiskClass::Privilege
                | RiskClass::Persistence
                | RiskClass::SystemConfig
                | RiskClass::Unknown,
                Target::Host,
            ) => Ask,
        }
    }
}

impl fmt::Display for RiskClass {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// One reason behind a verdict: a rule (or a policy-file pattern) that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule id (see [`RULES`]), or `policy-file` for a pattern from the policy file.
    pub rule: String,
    /// The risk class of the rule; `None` for policy-file patterns.
    pub class: Option<RiskClass>,
    /// What this finding alone decides.
    pub decision: Decision,
    /// Why, for a person: what the rule saw in the command.
    pub reason: String,
    /// The simple command it is about (the whole command line for findings about all of it).
    pub command: String,
    /// The policy-file allow pattern that turned an "ask" into "allow", if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_by: Option<String>,
}

/// The policy's answer for one command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub command: String,
    pub target: Target,
    /// The strictest decision among the findings (allow when there are none).
    pub decision: Decision,
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// The distinct risk classes found, in class order.
    pub fn classes(&self) -> Vec<RiskClass> {
        let mut classes: Vec<RiskClass> = self
            .findings
            .iter()
            .filter_map(|finding| finding.class)
            .collect();
        classes.sort();
        classes.dedup();
        classes
    }

    /// Whether any finding is of `class`.
    pub fn has_class(&self, class: RiskClass) -> bool {
        self.findings
            .iter()
            .any(|finding| finding.class == Some(class))
    }

    /// The reasons behind the decision: the findings that decided it, as `rule: reason`.
    pub fn reasons(&self) -> Vec<String> {
        self.findings
            .iter()
            .filter(|finding| finding.decision == self.decision)
            .map(|finding| format!("{}: {}", finding.rule, finding.reason))
            .collect()
    }

    /// What to do about this verdict given how the run interacts with its user.
    ///
    /// "allow" runs; "deny" is refused even with `--yes`; "ask" runs with `--yes`, prompts on a
    /// terminal, and is refused otherwise with a message naming `--yes`.
    pub fn resolve(&self, interaction: Interaction) -> Resolution {
        match self.decision {
            Decision::Allow => Resolution::Run,
            Decision::Deny => Resolution::Refuse {
                message: format!(
                    "the policy denies `{}` on the {}: {}. --yes does not override a denial; \
                     a policy file (--policy) can change it",
                    self.command,
                    self.target,
                    self.reasons().join("; ")
                ),
            },
            Decision::Ask if interaction.yes => Resolution::Run,
            Decision::Ask if interaction.terminal => Resolution::Prompt,
            Decision::Ask => Resolution::Refuse {
                message: format!(
                    "`{}` needs approval on the {} ({}), and there is no terminal to ask on; \
                     re-run with --yes to approve commands the policy asks about",
                    self.command,
                    self.target,
                    self.reasons().join("; ")
                ),
            },
        }
    }
}

/// How a run can get answers from its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Interaction {
    /// Whether a terminal is attached to ask on.
    pub terminal: bool,
    /// Whether `--yes` was given.
    pub yes: bool,
}

/// What the caller does with a verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    Run,
    /// Ask the user (a terminal is attached); run only on yes.
    Prompt,
    /// Do not run; tell the user why.
    Refuse {
        message: String,
    },
}

/// The policy in effect: a decision per class and target, and the policy file's patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    sandbox: [Decision; RiskClass::ALL.len()],
    host: [Decision; RiskClass::ALL.len()],
    allow: Vec<Pattern>,
    deny: Vec<Pattern>,
    /// Variables the user passed into the sandbox by name (`--env`): reading them is allowed.
    passed_variables: Vec<String>,
    /// The policy file's `[network]` hosts, added to and removed from the egress fence's
    /// defaults.
    network_allow: Vec<String>,
    network_deny: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            sandbox: RiskClass::ALL.map(|class| class.default_decision(Target::Sandbox)),
            host: RiskClass::ALL.map(|class| class.default_decision(Target::Host)),
            allow: Vec::new(),
            deny: Vec::new(),
            passed_variables: Vec::new(),
            network_allow: Vec::new(),
            network_deny: Vec::new(),
        }
    }
}

impl Policy {
    /// The built-in policy changed by a policy file's text (the caller reads the file).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let overrides = config::parse(text)?;
        let mut policy = Policy::default();
        for (class, target, decision) in overrides.decisions {
            policy.set(class, target, decision);
        }
        policy.allow = overrides.allow;
        policy.deny = overrides.deny;
        policy.network_allow = overrides.network_allow;
        policy.network_deny = overrides.network_deny;
        Ok(policy)
    }

    /// Variables the user passed in by name (`--env NAME` or `NAME=VALUE`): a command that
    /// reads one is not secret access, since the user put it there for the install to use.
    /// Sending one over the network is still judged as exfiltration.
    pub fn with_passed_variables<'a>(
        mut self,
        names: impl IntoIterator<Item = &'a String>,
    ) -> Self {
        self.passed_variables = names
            .into_iter()
            .map(|name| name.split_once('=').map_or(name.as_str(), |(name, _)| name))
            .map(str::to_string)
            .collect();
        self
    }

    /// The policy file's `[network] allow` hosts (patterns as the egress fence reads them).
    pub fn network_allow(&self) -> &[String] {
        &self.network_allow
    }

    /// The policy file's `[network] deny` hosts; they win over every allowed host.
    pub fn network_deny(&self) -> &[String] {
        &self.network_deny
    }

    /// The decision for a class on a target.
    pub fn decision(&self, class: RiskClass, target: Target) -> Decision {
        let table = match target {
            Target::Sandbox => &self.sandbox,
            Target::Host => &self.host,
        };
        table[class_index(class)]
    }

    /// Change the decision for a class on a target.
    pub fn set(&mut self, class: RiskClass, target: Target, decision: Decision) {
        let table = match target {
            Target::Sandbox => &mut self.sandbox,
            Target::Host => &mut self.host,
        };
        table[class_index(class)] = decision;
    }

    /// Check one command line (as an agent proposed it) for a target.
    pub fn check(&self, command: &str, target: Target) -> Verdict {
        let script = shell::parse(command);
        let context = rules::Context::with_passed_variables(&script, &self.passed_variables);
        let hits = rules::evaluate(&context);
        let mut findings: Vec<Finding> = Vec::new();
        for hit in &hits {
            let class = hit.rule.class;
            let command_text = match hit.command {
                Some(index) => script
                    .commands
                    .get(index)
                    .map(|command| command.text.clone())
                    .unwrap_or_default(),
                None => command.to_string(),
            };
            let mut finding = Finding {
                rule: hit.rule.id.to_string(),
                class: Some(class),
                decision: self.rule_decision(hit.rule, target),
                reason: hit.reason(),
                command: command_text,
                allowed_by: None,
            };
            if finding.decision == Decision::Ask
                && let Some(index) = hit.command
            {
                finding.allowed_by = self.allow_waiver(&context, index, class);
                if finding.allowed_by.is_some() {
                    finding.decision = Decision::Allow;
                }
            }
            if !findings.contains(&finding) {
                findings.push(finding);
            }
        }
        for finding in self.deny_findings(&script) {
            if !findings.contains(&finding) {
                findings.push(finding);
            }
        }
        let decision = findings
            .iter()
            .map(|finding| finding.decision)
            .max()
            .unwrap_or(Decision::Allow);
        Verdict {
            command: command.to_string(),
            target,
            decision,
            findings,
        }
    }

    /// [`Policy::check`], knowing the files earlier steps downloaded (`downloaded`, see
    /// [`downloads::downloaded_paths`]) and the ones this command downloads itself: running or
    /// sourcing one of them is running code fetched from the network unseen, as `curl … | sh`
    /// is (pipe-to-shell).
    pub fn check_after(&self, command: &str, target: Target, downloaded: &[String]) -> Verdict {
        let mut verdict = self.check(command, target);
        let mut known = downloaded.to_vec();
        known.extend(downloads::downloaded_paths(command));
        if let Some(path) = downloads::runs_downloaded_file(command, &known) {
            let finding = Finding {
                rule: "run-downloaded-file".to_string(),
                class: Some(RiskClass::PipeToShell),
                decision: self.decision(RiskClass::PipeToShell, target),
                reason: format!(
                    "runs code downloaded from the network, unseen: `{path}` was fetched by a download"
                ),
                command: command.to_string(),
                allowed_by: None,
            };
            verdict.decision = verdict.decision.max(finding.decision);
            verdict.findings.push(finding);
        }
        verdict
    }

    /// The decision for a rule's finding: its class's, except that a rule in
    /// [`ASKED_IN_SANDBOX`] is asked about in the sandbox unless a policy file changed its
    /// class's sandbox decision.
    fn rule_decision(&self, rule: &Rule, target: Target) -> Decision {
        let decision = self.decision(rule.class, target);
        if target == Target::Sandbox
            && ASKED_IN_SANDBOX.contains(&rule.id)
            && decision == rule.class.default_decision(Target::Sandbox)
        {
            return decision.max(Decision::Ask);
        }
        decision
    }

    /// The allow pattern that waives an "ask" about command `index`, if any. Patterns match one
    /// simple command at a time, so `allowed; rm -rf ~` gets nothing from allowing `allowed`.
    /// A pipe-to-shell finding is about the code the shell receives, so it is waived only when
    /// every download feeding that code is itself allowed by a pattern.
    fn allow_waiver(
        &self,
        context: &rules::Context,
        index: usize,
        class: RiskClass,
    ) -> Option<String> {
        if self.allow.is_empty() {
            return None;
        }
        let matching = |command: usize| -> Option<&Pattern> {
            let simple = context.script.commands.get(command)?;
            self.allow
                .iter()
                .find(|pattern| pattern.matches_command(simple))
        };
        if class == RiskClass::PipeToShell {
            let sources = rules::network_code_sources(context, index);
            if sources.is_empty() {
                return None;
            }
            let mut names = Vec::new();
            for source in sources {
                names.push(matching(source)?.text().to_string());
            }
            names.dedup();
            return Some(names.join(", "));
        }
        matching(index).map(|pattern| pattern.text().to_string())
    }

    /// Findings for the policy file's deny patterns: each simple command is checked, and the
    /// whole command line too (denying more is always safe).
    fn deny_findings(&self, script: &shell::Script) -> Vec<Finding> {
        let mut findings = Vec::new();
        for pattern in &self.deny {
            let mut matched: Vec<String> = script
                .commands
                .iter()
                .filter(|command| pattern.matches_command(command))
                .map(|command| command.text.clone())
                .collect();
            if matched.is_empty() && pattern.matches_text(script.text.trim()) {
                matched.push(script.text.clone());
            }
            for command in matched {
                findings.push(Finding {
                    rule: "policy-file".to_string(),
                    class: None,
                    decision: Decision::Deny,
                    reason: format!(
                        "matches the deny pattern `{}` of the policy file",
                        pattern.text()
                    ),
                    command,
                    allowed_by: None,
                });
            }
        }
        findings
    }
}

/// Rules asked about in the sandbox too, although their class is allowed there: a shell
/// start-up file written in the rehearsal runs at once in the verification's login shell (and
/// in every shell after the apply), so what the rehearsal contains does not contain it.
const ASKED_IN_SANDBOX: &[&str] = &["write-shell-startup"];

/// Invariant: `RiskClass::ALL` lists the variants in declaration order (a test checks it), so
/// the discriminant is the index into the decision tables.
fn class_index(class: RiskClass) -> usize {
    class as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_table_is_in_declaration_order() {
        for (index, class) in RiskClass::ALL.into_iter().enumerate() {
            assert_eq!(class as usize, index, "{class}");
            assert_eq!(RiskClass::from_name(class.name()), Some(class));
        }
    }
}
