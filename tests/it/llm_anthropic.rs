//! `--agent anthropic` against a local server speaking the Messages API wire format
//! (`x-api-key`, `anthropic-version`, `tool_use` / `tool_result` blocks, alternating roles,
//! errors as `{"type": "error", ...}`), installing the test widget in the overlay sandbox.

use std::time::Duration;

use crate::common::llm::{
    FakeLlm, SECRET, Step, Widget, Wire, anthropic_call, anthropic_text, assert_clean_requests,
    assert_doc_delimited, done_step, install_step, opening_text, run_agent,
};
use crate::common::skip_unless_root;
use serde_json::json;

const KEY: &str = "sk-ant-api03-test-key-0123456789abcdefghij";
/// The flags every run of this file starts with.
const AGENT: &[&str] = &["--agent", "anthropic", "--no-apply", "--model", MODEL];
const MODEL: &str = "claude-test-1";

#[test]
fn happy_path_installs_and_speaks_the_messages_api() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        KEY,
        MODEL,
        vec![
            install_step(Wire::Anthropic, &widget),
            done_step(Wire::Anthropic),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["agent"]["kind"], "anthropic", "{context}");
    assert_eq!(run.report["agent"]["calls"], 2, "{context}");
    assert_eq!(run.report["agent"]["tokens"], 220, "{context}");
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("x-api-key"), Some(KEY));
    assert_eq!(requests[0].header("authorization"), None);
    assert_clean_requests(&fake, &[KEY, SECRET]);
    assert_doc_delimited(
        &opening_text(&requests[0], Wire::Anthropic),
        "widget is a tiny command-line tool",
    );
    // The observation comes back as a tool_result block for the tool_use id.
    let last = requests[1].body["messages"]
        .as_array()
        .and_then(|messages| messages.last().cloned())
        .expect("messages");
    assert_eq!(last["content"][0]["type"], "tool_result", "{last}");
    assert_eq!(last["content"][0]["is_error"], false, "{last}");
    assert!(
        last["content"][0]["tool_use_id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("toolu_run"),
        "{last}"
    );
    let everything = format!("{}{}", run.output.stdout, run.output.stderr);
    assert!(!everything.contains(KEY));
}

#[test]
fn overloaded_and_rate_limited_answers_are_retried() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        KEY,
        MODEL,
        vec![
            Step::Error {
                status: 429,
                retry_after: Some(1),
            },
            Step::Error {
                status: 529,
                retry_after: None,
            },
            install_step(Wire::Anthropic, &widget),
            done_step(Wire::Anthropic),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    assert_eq!(fake.requests().len(), 4);
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn a_refused_key_exits_8_naming_anthropic_api_key() {
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        "sk-ant-other-0000000000000000",
        MODEL,
        vec![],
    )
    .client_key(KEY);
    let run = run_agent(&widget, &fake, AGENT, &[], 8);
    let message = run.report["message"].as_str().unwrap_or_default();
    assert!(message.contains("ANTHROPIC_API_KEY"), "{}", run.describe());
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_missing_key_is_a_usage_error_naming_the_variable() {
    let widget = Widget::serve("tarball.md", MODEL, "");
    let config = widget.config.display().to_string();
    let mut command = crate::common::agent_install();
    command
        .args(["run", "--agent", "anthropic", "--no-apply"])
        .arg(&widget.doc)
        .env("AGENT_INSTALL_CONFIG", &config);
    let output = crate::common::run_expecting(&mut command, 2);
    assert!(
        output.stderr.contains("ANTHROPIC_API_KEY") && output.stderr.contains("hint:"),
        "{}",
        output.stderr
    );
}

#[test]
fn missing_fields_get_one_correction() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        KEY,
        MODEL,
        vec![
            Step::Reply(anthropic_call(
                "run",
                json!({"purpose": "forgot the command"}),
            )),
            install_step(Wire::Anthropic, &widget),
            done_step(Wire::Anthropic),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    let last = fake.requests()[1].body["messages"]
        .as_array()
        .and_then(|messages| messages.last().cloned())
        .expect("messages");
    assert_eq!(last["content"][0]["is_error"], true, "{last}");
    assert!(
        last["content"][0]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("missing field `command`"),
        "{last}"
    );
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn an_unknown_tool_then_prose_is_corrected_then_nudged() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        KEY,
        MODEL,
        vec![
            Step::Reply(anthropic_call("bash", json!({"command": "true"}))),
            install_step(Wire::Anthropic, &widget),
            Step::Reply(anthropic_text("It is installed, I think.")),
            done_step(Wire::Anthropic),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    let requests = fake.requests();
    assert!(requests[1].raw_body.contains("unknown tool `bash`"));
    assert!(requests[3].raw_body.contains("exactly one tool call"));
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn a_dropped_connection_and_a_slow_answer_are_retried() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "retries = 3");
    let fake = FakeLlm::start(
        Wire::Anthropic,
        KEY,
        MODEL,
        vec![
            Step::Drop,
            Step::Slow(
                Duration::from_secs(5),
                anthropic_call("give_up", json!({"reason": "too late"})),
            ),
            install_step(Wire::Anthropic, &widget),
            done_step(Wire::Anthropic),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    assert_eq!(run.outcome(), "verified", "{}", run.describe());
    assert_eq!(fake.requests().len(), 4);
}
