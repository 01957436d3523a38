//! LLM agents: an OpenAI-compatible or Anthropic model proposes the actions through tool calls.
//!
//! The conversation is kept in a provider-neutral form ([`Message`]) and rendered into each
//! provider's wire format only when sent. The model gets the system prompt
//! (`system-prompt.md`), an opening message with the machine's facts, the offline planner's
//! ranked routes and the doc as delimited untrusted data, then one tool result per action. What
//! it proposes goes through the session's policy like any other agent's action.
//!
//! Robustness: one corrective message for a malformed tool call, one nudge for a reply that
//! talks instead of acting, then a clean failure; call and token budgets checked before every
//! call; secrets redacted from everything sent.

pub mod anthropic;
pub mod context;
pub mod http;
pub mod openai;

use serde_json::{Value, json};

use super::rank::rank;
use super::{Action, AgentError, Note, Proposal, ProposalFuture, Record, Turn, Usage};
use crate::config::{LlmSettings, Provider};
use crate::policy::Redactor;

/// The system prompt, reviewable as text.
pub const SYSTEM_PROMPT: &str = include_str!("../system-prompt.md");

/// One message of the conversation, independent of the provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Text from us (the opening, a nudge, the hybrid's handover).
    User(String),
    /// The model's reply as it came: its text and its tool calls.
    Assistant {
        text: Option<String>,
        calls: Vec<ToolCall>,
    },
    /// The results of the previous reply's tool calls, one per call.
    Results(Vec<ToolResult>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as JSON text, exactly as the model wrote them (possibly invalid).
    pub arguments: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub call_id: String,
    pub content: String,
    /// A one-line stand-in for `content` when the conversation must shrink.
    pub summary: String,
    pub is_error: bool,
}

/// A parsed reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: Option<String>,
    pub calls: Vec<ToolCall>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A tool the model may call: one per [`Action`].
#[derive(Debug, Clone)]
pub struct Tool {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: Value,
}

/// The actions of DESIGN §2 as tools.
pub fn tools() -> Vec<Tool> {
    let string = |description: &str| json!({"type": "string", "description": description});
    vec![
        Tool {
            name: "run",
            description: "Run one shell command in the sandbox (bash; state persists between commands).",
            schema: json!({
                "type": "object",
                "properties": {
                    "command": string("the shell command"),
                    "purpose": string("why this step is needed, in a few words"),
                    "source": string("where the command comes from in the doc, as file:line, if it does"),
                    "route": string("the id of the route this command belongs to, if any"),
                },
                "required": ["command", "purpose"],
            }),
        },
        Tool {
            name: "write_file",
            description: "Create or replace a file in the sandbox with the given content.",
            schema: json!({
                "type": "object",
                "properties": {
                    "path": string("absolute path of the file"),
                    "content": string("the whole content"),
                },
                "required": ["path", "content"],
            }),
        },
        Tool {
            name: "verify",
            description: "Run a check now, in a fresh login shell, without ending the session.",
            schema: json!({
                "type": "object",
                "properties": {
                    "command": string("the check"),
                    "expect": string("what the output should contain, if anything"),
                },
                "required": ["command"],
            }),
        },
        Tool {
            name: "done",
            description: "The product is installed: run the verification and end if it passes.",
            schema: json!({
                "type": "object",
                "properties": {"summary": string("what was installed and how")},
                "required": ["summary"],
            }),
        },
        Tool {
            name: "give_up",
            description: "No way of installing the product can work here.",
            schema: json!({
                "type": "object",
                "properties": {"reason": string("why, and what the user could do")},
                "required": ["reason"],
            }),
        },
    ]
}

/// Parses a tool call into an action, with the route it names; the error is what the model is
/// told to correct.
pub fn parse_call(call: &ToolCall) -> Result<(Action, Option<String>), String> {
    let known: Vec<&str> = tools().iter().map(|tool| tool.name).collect();
    if !known.contains(&call.name.as_str()) {
        return Err(format!(
            "unknown tool `{}`; the tools are: {}",
            call.name,
            known.join(", ")
        ));
    }
    let mut arguments: Value = serde_json::from_str(&call.arguments).map_err(|error| {
        format!(
            "the arguments of `{}` are not valid JSON ({error}); send a JSON object",
            call.name
        )
    })?;
    let Some(object) = arguments.as_object_mut() else {
        return Err(format!(
            "the arguments of `{}` must be a JSON object",
            call.name
        ));
    };
    let route = object
        .remove("route")
        .and_then(|route| route.as_str().map(str::to_string))
        .filter(|route| !route.trim().is_empty());
    object.insert("action".to_string(), Value::String(call.name.clone()));
    let action: Action = serde_json::from_value(arguments)
        .map_err(|error| format!("the arguments of `{}` are incomplete: {error}", call.name))?;
    let empty = match &action {
        Action::Run { command, .. } | Action::Verify { command, .. } => command.trim().is_empty(),
        Action::WriteFile { path, .. } => path.trim().is_empty(),
        Action::Done { .. } | Action::GiveUp { .. } => false,
    };
    if empty {
        return Err(format!("`{}` needs a non-empty command or path", call.name));
    }
    Ok((action, route))
}

const NUDGE: &str = "Reply with exactly one tool call (run, write_file, verify, done or give_up); prose alone does nothing.";

/// An agent driven by a model.
pub struct LlmAgent {
    settings: LlmSettings,
    http: http::Http,
    redactor: Redactor,
    /// The doc's text as loaded, when the caller has it.
    doc_text: Option<String>,
    conversation: Vec<Message>,
    started: bool,
    /// How many history records were already reported to the model.
    seen: usize,
    /// The tool calls of the last reply: the first was proposed, the others were not run.
    pending: Vec<String>,
    pending_action: Option<Action>,
    route: Option<String>,
    usage: Usage,
    input_tokens: u64,
    output_tokens: u64,
}

impl LlmAgent {
    pub fn new(settings: LlmSettings, doc_text: Option<String>) -> Result<LlmAgent, AgentError> {
        let http = http::Http::new(settings.timeout, settings.retries, settings.backoff)
            .map_err(AgentError::Backend)?;
        tracing::debug!(?settings, "LLM agent settings");
        Ok(LlmAgent {
            settings,
            http,
            redactor: Redactor::from_env(std::env::vars()),
            doc_text,
            conversation: Vec::new(),
            started: false,
            seen: 0,
            pending: Vec::new(),
            pending_action: None,
            route: None,
            usage: Usage::default(),
            input_tokens: 0,
            output_tokens: 0,
        })
    }

    /// Tells the agent which route the session is on (the hybrid agent hands over mid-route).
    pub fn set_route(&mut self, route: Option<String>) {
        self.route = route;
    }

    pub fn route(&self) -> Option<&str> {
        self.route.as_deref()
    }

    /// Asks the model for the next action. `situation` is a message of ours to add after the
    /// results of what ran (the hybrid agent's handover).
    pub async fn ask(
        &mut self,
        turn: &Turn<'_>,
        situation: Option<String>,
    ) -> Result<Proposal, AgentError> {
        if !self.started {
            self.started = true;
            let (candidates, skipped) = rank(turn.doc, turn.facts);
            let verification = crate::session::verification_commands(turn.doc, &[]);
            let text = context::doc_text(turn.doc, self.doc_text.as_deref());
            let opening = context::opening(
                turn.doc,
                &text,
                turn.facts,
                &candidates,
                &skipped,
                &verification,
            );
            self.push_user(opening);
        }
        self.report_results(turn.history, situation.is_some());
        if let Some(situation) = situation {
            self.push_user(situation);
        }
        let mut nudged = false;
        let mut corrected = false;
        loop {
            let reply = self.call().await?;
            let Some(first) = reply.calls.first().cloned() else {
                // Both APIs reject an assistant turn with no content at all.
                let text = reply
                    .text
                    .map(|text| self.redact(&text))
                    .unwrap_or_else(|| "(empty reply)".to_string());
                self.conversation.push(Message::Assistant {
                    text: Some(text),
                    calls: Vec::new(),
                });
                if nudged {
                    return Err(AgentError::Malformed(
                        "the model answered in prose again after being asked for a tool call"
                            .to_string(),
                    ));
                }
                nudged = true;
                self.push_user(NUDGE.to_string());
                continue;
            };
            let ids: Vec<String> = reply.calls.iter().map(|call| call.id.clone()).collect();
            self.conversation.push(Message::Assistant {
                text: reply.text.clone(),
                calls: reply.calls.clone(),
            });
            match parse_call(&first) {
                Ok((action, route)) => {
                    let mut notes = Vec::new();
                    let chosen = route.or_else(|| self.route.is_none().then(|| "llm".to_string()));
                    if let Some(route) = chosen
                        && self.route.as_deref() != Some(route.as_str())
                    {
                        notes.push(Note::RouteChosen {
                            route: route.clone(),
                            reason: format!("chosen by {}", self.settings.model),
                        });
                        self.route = Some(route);
                    }
                    self.pending = ids;
                    self.pending_action = Some(action.clone());
                    self.seen = turn.history.len();
                    return Ok(Proposal { action, notes });
                }
                Err(problem) => {
                    tracing::warn!("malformed tool call from the model: {problem}");
                    let results = ids
                        .iter()
                        .map(|id| ToolResult {
                            call_id: id.clone(),
                            content: format!("error: {problem}. Nothing ran; call one tool again with valid arguments."),
                            summary: "error: malformed tool call".to_string(),
                            is_error: true,
                        })
                        .collect();
                    self.conversation.push(Message::Results(results));
                    if corrected {
                        return Err(AgentError::Malformed(format!(
                            "a malformed tool call again after a correction: {problem}"
                        )));
                    }
                    corrected = true;
                }
            }
        }
    }

    /// Adds the results of the pending tool calls, from the history records since last time.
    /// Records that are not ours (the offline agent's, in hybrid mode) are listed in a note.
    fn report_results(&mut self, history: &[Record], handover: bool) {
        let new = history.get(self.seen..).unwrap_or_default();
        self.seen = history.len();
        let mut ours = None;
        let mut others = Vec::new();
        for record in new {
            if ours.is_none() && self.pending_action.as_ref() == Some(&record.action) {
                ours = Some(record);
            } else {
                others.push(record);
            }
        }
        if !self.pending.is_empty() {
            let mut results = Vec::new();
            for (index, id) in self.pending.iter().enumerate() {
                let (content, summary, is_error) = match (index, ours) {
                    (0, Some(record)) => context::observation(&record.result),
                    (0, None) if handover => (
                        "not run: control went back to the offline agent".to_string(),
                        "not run".to_string(),
                        false,
                    ),
                    (0, None) => (
                        "finished without a result".to_string(),
                        "finished".to_string(),
                        false,
                    ),
                    _ => (
                        "not run: one action per reply; only the first tool call ran".to_string(),
                        "not run".to_string(),
                        true,
                    ),
                };
                results.push(ToolResult {
                    call_id: id.clone(),
                    content: self.redact(&content),
                    summary,
                    is_error,
                });
            }
            self.conversation.push(Message::Results(results));
            self.pending.clear();
            self.pending_action = None;
        }
        if !others.is_empty() {
            let mut text = String::from("Steps run by the offline agent since your last action:\n");
            for record in others {
                let (_, summary, _) = context::observation(&record.result);
                text.push_str(&format!(
                    "- {}: {summary}\n",
                    describe_action(&record.action)
                ));
            }
            self.push_user(text);
        }
    }

    fn push_user(&mut self, text: String) {
        let text = self.redact(&text);
        // Two texts of ours in a row become one message.
        if let Some(Message::User(previous)) = self.conversation.last_mut() {
            previous.push_str("\n\n");
            previous.push_str(&text);
        } else {
            self.conversation.push(Message::User(text));
        }
    }

    fn redact(&self, text: &str) -> String {
        self.redactor.redact(text).into_owned()
    }

    /// One model call, within the budgets.
    async fn call(&mut self) -> Result<Reply, AgentError> {
        if self.usage.calls >= self.settings.max_calls {
            return Err(AgentError::Budget {
                what: "LLM call",
                limit: self.settings.max_calls,
                flag: "--max-llm-calls",
            });
        }
        if self.usage.tokens >= self.settings.max_tokens {
            return Err(AgentError::Budget {
                what: "LLM token",
                limit: self.settings.max_tokens,
                flag: "--max-tokens",
            });
        }
        let shrunk = context::compact(
            SYSTEM_PROMPT,
            &mut self.conversation,
            self.settings.context_tokens,
        );
        if shrunk > 0 {
            tracing::info!("dropped the output of {shrunk} old observation(s) to fit the context");
        }
        let tools = tools();
        let model = &self.settings.model;
        let key = self.settings.api_key.as_ref();
        let (url, headers, body) = match self.settings.provider {
            Provider::OpenAi => (
                openai::endpoint(&self.settings.base_url),
                openai::headers(key),
                openai::request_body(model, SYSTEM_PROMPT, &self.conversation, &tools),
            ),
            Provider::Anthropic => (
                anthropic::endpoint(&self.settings.base_url),
                anthropic::headers(key),
                anthropic::request_body(model, SYSTEM_PROMPT, &self.conversation, &tools),
            ),
        };
        tracing::debug!("asking {} ({} messages)", url, self.conversation.len());
        let answer = self
            .http
            .post(&url, &headers, &body)
            .await
            .map_err(|error| self.backend_error(&url, error))?;
        let reply = match self.settings.provider {
            Provider::OpenAi => openai::parse_reply(&answer),
            Provider::Anthropic => anthropic::parse_reply(&answer),
        }
        .map_err(|problem| {
            AgentError::Backend(format!("{url} answered in an unexpected shape: {problem}"))
        })?;
        self.usage.calls += 1;
        self.input_tokens += reply.input_tokens;
        self.output_tokens += reply.output_tokens;
        self.usage.tokens = self.input_tokens + self.output_tokens;
        Ok(reply)
    }

    fn backend_error(&self, url: &str, error: http::HttpError) -> AgentError {
        let provider = self.settings.provider;
        match error {
            http::HttpError::Auth { status, message } => AgentError::Auth {
                provider: provider.name(),
                variable: provider.key_variable(),
                status,
                detail: format!(" ({})", self.redact(&message)),
            },
            http::HttpError::Status {
                status,
                message,
                attempts,
            } => AgentError::Backend(format!(
                "{url} answered {status} after {attempts} attempt(s): {}",
                self.redact(&message)
            )),
            http::HttpError::Transport { message, attempts } => AgentError::Backend(format!(
                "{url}: {message} (after {attempts} attempt(s)); check --base-url and that the server is up"
            )),
            http::HttpError::Body(message) => AgentError::Backend(format!("{url}: {message}")),
        }
    }

    pub fn usage(&self) -> Usage {
        self.usage
    }

    pub fn cost_usd(&self) -> Option<f64> {
        let price = self.settings.price?;
        Some(
            (self.input_tokens as f64 * price.input + self.output_tokens as f64 * price.output)
                / 1_000_000.0,
        )
    }
}

fn describe_action(action: &Action) -> String {
    match action {
        Action::Run { command, .. } => format!("`{command}`"),
        Action::WriteFile { path, .. } => format!("wrote {path}"),
        Action::Verify { command, .. } => format!("check `{command}`"),
        Action::Done { .. } => "verification".to_string(),
        Action::GiveUp { .. } => "gave up".to_string(),
    }
}

impl super::Agent for LlmAgent {
    fn kind(&self) -> &'static str {
        self.settings.provider.name()
    }

    fn next<'a>(&'a mut self, turn: Turn<'a>) -> ProposalFuture<'a> {
        Box::pin(async move { self.ask(&turn, None).await })
    }

    fn usage(&self) -> Usage {
        self.usage
    }

    fn cost_usd(&self) -> Option<f64> {
        LlmAgent::cost_usd(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: "c".to_string(),
            name: name.to_string(),
            arguments: arguments.to_string(),
        }
    }

    #[test]
    fn tool_calls_become_actions() {
        let (action, route) = parse_call(&call(
            "run",
            r#"{"command": "apt-get install -y jq", "purpose": "install", "route": "apt"}"#,
        ))
        .unwrap();
        assert_eq!(
            action,
            Action::Run {
                command: "apt-get install -y jq".into(),
                purpose: "install".into(),
                source: None
            }
        );
        assert_eq!(route.as_deref(), Some("apt"));
        let (action, _) = parse_call(&call("done", r#"{"summary": "ok"}"#)).unwrap();
        assert_eq!(
            action,
            Action::Done {
                summary: "ok".into()
            }
        );
    }

    #[test]
    fn malformed_calls_say_what_to_fix() {
        let error = parse_call(&call("run", "{\"command\": ")).unwrap_err();
        assert!(error.contains("not valid JSON"), "{error}");
        let error = parse_call(&call("launch", "{}")).unwrap_err();
        assert!(
            error.contains("unknown tool `launch`") && error.contains("give_up"),
            "{error}"
        );
        let error = parse_call(&call("run", r#"{"purpose": "x"}"#)).unwrap_err();
        assert!(error.contains("missing field `command`"), "{error}");
        let error = parse_call(&call("run", "[1]")).unwrap_err();
        assert!(error.contains("JSON object"), "{error}");
        let error = parse_call(&call("run", r#"{"command": " ", "purpose": "x"}"#)).unwrap_err();
        assert!(error.contains("non-empty"), "{error}");
    }

    #[test]
    fn every_tool_schema_requires_what_the_action_needs() {
        for tool in tools() {
            assert_eq!(tool.schema["type"], "object", "{}", tool.name);
            assert!(
                tool.schema["required"]
                    .as_array()
                    .is_some_and(|r| !r.is_empty())
            );
        }
    }
}
