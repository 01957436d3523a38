//! A fake LLM service on 127.0.0.1 for the LLM agent tests: a small HTTP/1.1 server that speaks
//! the OpenAI Chat Completions or the Anthropic Messages wire format and plays a scripted
//! conversation, one step per request.
//!
//! It checks what real services check — the auth header (and `anthropic-version`), the path,
//! the model, the tool schema, the message structure — and answers a bad key with 401 in the
//! provider's error format. Every request is recorded so tests can assert what was sent (the
//! doc inside its markers, no key or secret anywhere). A raw server rather than a mock library,
//! for full control: a connection cut mid-body, a slow answer, `Retry-After`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Install, install};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    OpenAi,
    Anthropic,
}

/// What the server does for one request.
#[derive(Debug, Clone)]
pub enum Step {
    /// 200 with this JSON body.
    Reply(Value),
    /// Another status, in the provider's error format, with an optional `Retry-After`.
    Error {
        status: u16,
        retry_after: Option<u32>,
    },
    /// Announces a body, sends half of it, and closes the connection.
    Drop,
    /// Waits, then replies (the client should have given up by then).
    Slow(Duration, Value),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub raw_body: String,
    pub body: Value,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

struct Shared {
    wire: Wire,
    key: String,
    model: String,
    script: Mutex<Vec<Step>>,
    /// Decides the answer from the request when set (the scripted "oracle" of the
    /// measurement); the script is not used then.
    responder: Option<Box<Responder>>,
    requests: Mutex<Vec<Received>>,
    problems: Mutex<Vec<String>>,
}

/// Answers a request with a step.
pub type Responder = dyn Fn(&Received) -> Step + Send + Sync;

pub struct FakeLlm {
    port: u16,
    wire: Wire,
    /// The key [`run_agent`] gives the client: the accepted one unless
    /// [`FakeLlm::client_key`] said otherwise.
    key: String,
    model: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeLlm {
    /// Starts a server that accepts `key` for `model` and plays `script` in order.
    pub fn start(wire: Wire, key: &str, model: &str, script: Vec<Step>) -> FakeLlm {
        FakeLlm::launch(wire, key, model, script, None)
    }

    /// Starts a server whose answers `responder` computes from each request.
    pub fn responding(wire: Wire, key: &str, model: &str, responder: Box<Responder>) -> FakeLlm {
        FakeLlm::launch(wire, key, model, Vec::new(), Some(responder))
    }

    fn launch(
        wire: Wire,
        key: &str,
        model: &str,
        script: Vec<Step>,
        responder: Option<Box<Responder>>,
    ) -> FakeLlm {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let shared = Arc::new(Shared {
            wire,
            key: key.to_string(),
            model: model.to_string(),
            script: Mutex::new(script.into_iter().rev().collect()),
            responder,
            requests: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let shared = Arc::clone(&shared);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || serve(stream, &shared));
                }
            })
        };
        FakeLlm {
            port,
            wire,
            key: key.to_string(),
            model: model.to_string(),
            shared,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL a client is configured with (`/v1` included for OpenAI, as usual).
    pub fn base_url(&self) -> String {
        match self.wire {
            Wire::OpenAi => format!("http://127.0.0.1:{}/v1", self.port),
            Wire::Anthropic => format!("http://127.0.0.1:{}", self.port),
        }
    }

    pub fn requests(&self) -> Vec<Received> {
        self.shared.requests.lock().expect("lock").clone()
    }

    /// Everything the server found wrong with the requests (empty when they were right).
    pub fn problems(&self) -> Vec<String> {
        self.shared.problems.lock().expect("lock").clone()
    }

    /// Configures the client (in [`run_agent`]) with `key` instead of the one the server
    /// accepts, to see a refused key.
    pub fn client_key(mut self, key: &str) -> FakeLlm {
        self.key = key.to_string();
        self
    }

    /// Steps not played yet.
    pub fn remaining(&self) -> usize {
        self.shared.script.lock().expect("lock").len()
    }
}

impl Drop for FakeLlm {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(clone) => clone,
        Err(_) => return,
    });
    let mut writer = stream;
    // Keep-alive: answer requests on this connection until it closes.
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_string());
                if name == "content-length" {
                    length = value.parse().unwrap_or(0);
                }
                headers.push((name, value));
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let raw_body = String::from_utf8_lossy(&body).into_owned();
        let received = Received {
            path: path.clone(),
            headers,
            body: serde_json::from_str(&raw_body).unwrap_or(Value::Null),
            raw_body,
        };
        let problems = check(shared, &method, &received);
        shared.requests.lock().expect("lock").push(received.clone());
        if !authorized(shared, &received) {
            respond(&mut writer, 401, None, &error_body(shared.wire, 401));
            continue;
        }
        shared.problems.lock().expect("lock").extend(problems);
        let step = match &shared.responder {
            Some(responder) => Some(responder(&received)),
            None => shared.script.lock().expect("lock").pop(),
        };
        match step {
            Some(Step::Reply(value)) => respond(&mut writer, 200, None, &value),
            Some(Step::Error {
                status,
                retry_after,
            }) => respond(
                &mut writer,
                status,
                retry_after,
                &error_body(shared.wire, status),
            ),
            Some(Step::Drop) => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\": \"cut";
                let _ = writer.write_all(head.as_bytes());
                let _ = writer.flush();
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Step::Slow(delay, value)) => {
                std::thread::sleep(delay);
                respond(&mut writer, 200, None, &value);
                return;
            }
            None => {
                shared
                    .problems
                    .lock()
                    .expect("lock")
                    .push("a request after the script ended".to_string());
                respond(&mut writer, 500, None, &error_body(shared.wire, 500));
            }
        }
    }
}

fn respond(stream: &mut TcpStream, status: u16, retry_after: Option<u32>, body: &Value) {
    let text = body.to_string();
    let reason = match status {
        200 => "OK",
        401 => "Unauthorized",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        529 => "Overloaded",
        _ => "Status",
    };
    let retry = retry_after
        .map(|seconds| format!("Retry-After: {seconds}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{retry}\r\n",
        text.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

fn authorized(shared: &Shared, received: &Received) -> bool {
    match shared.wire {
        Wire::OpenAi => {
            received.header("authorization") == Some(format!("Bearer {}", shared.key).as_str())
        }
        Wire::Anthropic => received.header("x-api-key") == Some(shared.key.as_str()),
    }
}

/// What a real service would reject in the request.
fn check(shared: &Shared, method: &str, received: &Received) -> Vec<String> {
    let mut problems = Vec::new();
    let body = &received.body;
    if method != "POST" {
        problems.push(format!("method {method}"));
    }
    if body.is_null() {
        problems.push("the body is not JSON".to_string());
        return problems;
    }
    if body["model"] != shared.model.as_str() {
        problems.push(format!("model {}", body["model"]));
    }
    let tools = body["tools"].as_array().cloned().unwrap_or_default();
    let mut names = Vec::new();
    for tool in &tools {
        let (name, schema) = match shared.wire {
            Wire::OpenAi => {
                if tool["type"] != "function" {
                    problems.push(format!("tool without type function: {tool}"));
                }
                (&tool["function"]["name"], &tool["function"]["parameters"])
            }
            Wire::Anthropic => (&tool["name"], &tool["input_schema"]),
        };
        if schema["type"] != "object" || !schema["properties"].is_object() {
            problems.push(format!("tool {name} has no object schema"));
        }
        names.push(name.as_str().unwrap_or_default().to_string());
    }
    for expected in ["run", "write_file", "verify", "done", "give_up"] {
        if !names.iter().any(|name| name == expected) {
            problems.push(format!("tool {expected} missing"));
        }
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    match shared.wire {
        Wire::OpenAi => {
            if received.path != "/v1/chat/completions" {
                problems.push(format!("path {}", received.path));
            }
            if messages.first().map(|m| &m["role"]) != Some(&json!("system")) {
                problems.push("the first message is not the system prompt".to_string());
            }
            // Every tool call is answered by a tool message before the next assistant turn.
            let mut open: Vec<String> = Vec::new();
            for message in &messages {
                match message["role"].as_str() {
                    Some("assistant") => {
                        if !open.is_empty() {
                            problems.push(format!("unanswered tool calls {open:?}"));
                        }
                        open = message["tool_calls"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|call| call["id"].as_str().unwrap_or_default().to_string())
                            .collect();
                    }
                    Some("tool") => {
                        let id = message["tool_call_id"].as_str().unwrap_or_default();
                        if !open.iter().any(|open_id| open_id == id) {
                            problems.push(format!("tool result for unknown call {id}"));
                        }
                        open.retain(|open_id| open_id != id);
                    }
                    Some("user") | Some("system") => {
                        if !open.is_empty() {
                            problems.push(format!("user message before tool results {open:?}"));
                        }
                    }
                    other => problems.push(format!("role {other:?}")),
                }
            }
        }
        Wire::Anthropic => {
            if received.path != "/v1/messages" {
                problems.push(format!("path {}", received.path));
            }
            if received.header("anthropic-version") != Some("2023-06-01") {
                problems.push("anthropic-version header missing".to_string());
            }
            if !body["max_tokens"].is_u64() {
                problems.push("max_tokens missing".to_string());
            }
            if !body["system"].is_string() {
                problems.push("system prompt missing".to_string());
            }
            let mut expected_role = "user";
            for message in &messages {
                if message["role"] != expected_role {
                    problems.push(format!("roles do not alternate at {message}"));
                }
                expected_role = if expected_role == "user" {
                    "assistant"
                } else {
                    "user"
                };
            }
            if messages.last().map(|m| &m["role"]) != Some(&json!("user")) {
                problems.push("the last message is not the user's".to_string());
            }
        }
    }
    problems
}

fn error_body(wire: Wire, status: u16) -> Value {
    let (kind, message) = match status {
        401 => (
            "authentication_error",
            "invalid x-api-key / Incorrect API key provided",
        ),
        429 => (
            "rate_limit_error",
            "Rate limit reached; please retry after a moment",
        ),
        529 => ("overloaded_error", "Overloaded"),
        _ => ("api_error", "Internal server error"),
    };
    match wire {
        Wire::OpenAi => {
            json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
        }
        Wire::Anthropic => json!({"type": "error", "error": {"type": kind, "message": message}}),
    }
}

/// The secret every LLM test puts in the environment (`GITHUB_TOKEN`) to prove that no request
/// carries it.
pub const SECRET: &str = "ghp_secretvalue0123456789abcdefghijklmnop";

/// Runs `agent-install run` on the widget's doc with a test file's `agent` flags and then the
/// test's own `args`, the LLM
/// configured the way a user does it: the provider's key and base URL in its own variables
/// (and, for Chat Completions, the model in `AGENT_INSTALL_MODEL`), the test config, and
/// [`SECRET`] in `GITHUB_TOKEN`. Expects `status`; checks that nothing was left behind.
pub fn run_agent(
    widget: &Widget,
    fake: &FakeLlm,
    agent: &[&str],
    args: &[&str],
    status: i32,
) -> Install {
    let base_url = fake.base_url();
    let config = widget.config.display().to_string();
    let mut env = match fake.wire {
        Wire::OpenAi => vec![
            ("OPENAI_API_KEY", fake.key.as_str()),
            ("OPENAI_BASE_URL", base_url.as_str()),
            ("AGENT_INSTALL_MODEL", fake.model.as_str()),
        ],
        Wire::Anthropic => vec![
            ("ANTHROPIC_API_KEY", fake.key.as_str()),
            ("ANTHROPIC_BASE_URL", base_url.as_str()),
        ],
    };
    env.extend([
        ("AGENT_INSTALL_CONFIG", config.as_str()),
        ("GITHUB_TOKEN", SECRET),
    ]);
    install(&widget.doc, &[agent, args].concat(), &env, status)
}

/// The answer that calls `done` after the widget is installed, in `wire`'s format.
pub fn done_step(wire: Wire) -> Step {
    Step::Reply(match wire {
        Wire::OpenAi => openai_call(
            "done",
            r#"{"summary": "widget unpacked into /usr/local/bin"}"#,
        ),
        Wire::Anthropic => anthropic_call(
            "done",
            json!({"summary": "widget unpacked into /usr/local/bin"}),
        ),
    })
}

/// The answer that runs the widget's one install command from `widget`'s server, in `wire`'s
/// format.
pub fn install_step(wire: Wire, widget: &Widget) -> Step {
    let port = widget.server.port();
    Step::Reply(match wire {
        Wire::OpenAi => openai_call("run", &widget_run_arguments(port)),
        Wire::Anthropic => anthropic_call(
            "run",
            json!({"command": widget_command(port), "purpose": "download and unpack"}),
        ),
    })
}

/// A Chat Completions answer with one tool call whose arguments are `arguments` verbatim.
pub fn openai_call(name: &str, arguments: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [{
                    "id": format!("call_{name}_{}", arguments.len()),
                    "type": "function",
                    "function": {"name": name, "arguments": arguments}
                }]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    })
}

/// A Chat Completions answer in prose, without a tool call.
pub fn openai_text(text: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110}
    })
}

/// A Messages answer with one tool use.
pub fn anthropic_call(name: &str, input: Value) -> Value {
    json!({
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "model": "test-model",
        "content": [{"type": "tool_use", "id": format!("toolu_{name}_{}", input.to_string().len()), "name": name, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 100, "output_tokens": 10}
    })
}

/// A Messages answer in prose.
pub fn anthropic_text(text: &str) -> Value {
    json!({
        "id": "msg_test",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 100, "output_tokens": 10}
    })
}

/// The one command that installs the test widget from the file server at `port`.
pub fn widget_command(port: u16) -> String {
    format!(
        "curl -fsSLO http://127.0.0.1:{port}/widget-1.0.0-linux.tar.gz && tar -xzf widget-1.0.0-linux.tar.gz -C /usr/local/bin widget"
    )
}

/// `run` arguments for the widget install, as JSON text.
pub fn widget_run_arguments(port: u16) -> String {
    json!({"command": widget_command(port), "purpose": "download and unpack the release", "route": "release-binary"})
        .to_string()
}

/// The widget product served by a test, with the doc that describes it.
pub struct Widget {
    pub server: crate::common::FileServer,
    pub doc: std::path::PathBuf,
    pub config: std::path::PathBuf,
    _served: tempfile::TempDir,
    _docs: tempfile::TempDir,
}

impl Widget {
    /// Serves the widget tarball and writes `fixture` (from `tests/fixtures/run/` or, with an
    /// `llm/` prefix, `tests/fixtures/`) with the server's port, plus a config file.
    pub fn serve(fixture: &str, model: &str, config_extra: &str) -> Widget {
        let served = tempfile::tempdir().expect("temp dir");
        crate::common::build_tarball(served.path());
        let server = crate::common::FileServer::serve(served.path());
        let docs = tempfile::tempdir().expect("temp dir");
        let doc = match fixture.strip_prefix("llm/") {
            Some(name) => {
                let text = std::fs::read_to_string(crate::common::fixture(fixture))
                    .unwrap_or_else(|error| panic!("fixture {fixture}: {error}"));
                let path = docs.path().join(name);
                std::fs::write(&path, text.replace("@PORT@", &server.port().to_string()))
                    .expect("write the doc");
                path
            }
            None => crate::common::run_doc(fixture, server.port(), docs.path()),
        };
        let config = write_config(docs.path(), model, config_extra);
        Widget {
            server,
            doc,
            config,
            _served: served,
            _docs: docs,
        }
    }
}

/// Asserts that nothing sent to the fake service holds `secrets`, and that the service found
/// nothing wrong with the requests.
pub fn assert_clean_requests(fake: &FakeLlm, secrets: &[&str]) {
    assert!(
        fake.problems().is_empty(),
        "problems: {:?}",
        fake.problems()
    );
    for request in fake.requests() {
        for secret in secrets {
            assert!(
                !request.raw_body.contains(secret),
                "a request body holds the secret {secret}"
            );
        }
    }
}

/// The text of the first user message of a request (the opening with the doc).
pub fn opening_text(request: &Received, wire: Wire) -> String {
    let messages = request.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let user = messages
        .iter()
        .find(|message| message["role"] == "user")
        .cloned()
        .unwrap_or(Value::Null);
    match wire {
        Wire::OpenAi => user["content"].as_str().unwrap_or_default().to_string(),
        Wire::Anthropic => user["content"][0]["text"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

/// Asserts that the opening message holds the doc between its markers, and the rules say the
/// doc is data.
pub fn assert_doc_delimited(opening: &str, doc_line: &str) {
    let start = opening
        .find("\n<<<UNTRUSTED-DOC-")
        .unwrap_or_else(|| panic!("no opening marker in:\n{opening}"));
    let nonce_end = opening[start + 1..]
        .find('\n')
        .map(|offset| start + 1 + offset)
        .expect("marker line");
    let nonce = &opening[start + "\n<<<UNTRUSTED-DOC-".len()..nonce_end];
    let close = format!("UNTRUSTED-DOC-{nonce}>>>");
    let end = opening.rfind(&close).expect("closing marker");
    let inside = &opening[nonce_end..end];
    assert!(
        inside.contains(doc_line),
        "the doc is not between the markers"
    );
    assert!(
        !opening[..start].contains(doc_line) && !opening[end..].contains(doc_line),
        "doc text outside the markers"
    );
    assert!(opening.contains("untrusted data"));
}

/// A config file for fast tests: short backoff and timeout, and a price for the model.
pub fn write_config(directory: &std::path::Path, model: &str, extra: &str) -> std::path::PathBuf {
    let path = directory.join("config.toml");
    // `extra` lines (`retries = 3`) replace the defaults of the same key.
    let mut text = String::from("[llm]\n");
    for default in ["backoff_ms = 50", "timeout_secs = 2", "retries = 2"] {
        let key = default.split(' ').next().unwrap_or_default();
        if !extra.lines().any(|line| line.starts_with(key)) {
            text.push_str(default);
            text.push('\n');
        }
    }
    text.push_str(&format!(
        "{extra}\n[prices.\"{model}\"]\ninput = 1.0\noutput = 4.0\n"
    ));
    std::fs::write(&path, text).expect("write the config");
    path
}
