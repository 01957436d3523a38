//! Hybrid mode: the offline agent drives and the LLM is asked only when the rules cannot repair
//! a failure or run out of routes; `auto` picks hybrid when an LLM is configured and says so on
//! the first line. The LLM is a local Chat Completions server playing a scripted conversation.

use crate::common::llm::{
    FakeLlm, SECRET, Step, Widget, Wire, assert_clean_requests, openai_call, run_agent,
};
use crate::common::{install, skip_unless_root};

const KEY: &str = "sk-test-hybrid-key-0123456789abcdef";
const MODEL: &str = "test-model-hybrid";

/// The flags every run of this file starts with.
const AGENT: &[&str] = &["--no-apply"];

#[test]
fn the_llm_repairs_what_the_rules_cannot_and_is_asked_only_then() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("llm/broken-tarball.md", MODEL, "");
    let fixed = r#"{"command": "tar -xzf widget-1.0.0-linux.tar.gz -C /usr/local/bin widget", "purpose": "unpack the archive that was downloaded"}"#;
    let fake = FakeLlm::start(
        Wire::OpenAi,
        KEY,
        MODEL,
        vec![
            Step::Reply(openai_call("run", fixed)),
            Step::Reply(openai_call("done", r#"{"summary": "unpacked"}"#)),
        ],
    );
    // `auto` with a configured LLM is hybrid.
    let run = run_agent(&widget, &fake, AGENT, &[], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["agent"]["kind"], "hybrid", "{context}");
    assert_eq!(run.report["agent"]["calls"], 2, "{context}");
    let first_line = run.output.stderr.lines().next().unwrap_or_default();
    assert!(
        first_line.contains("agent hybrid") && first_line.contains("OPENAI_API_KEY is set"),
        "{first_line}"
    );
    // The offline agent ran the doc's commands first; the LLM came in only after the tar
    // failure, and the route was not rolled back (the download stayed).
    let commands: Vec<String> = run
        .steps()
        .iter()
        .map(|step| step["command"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(commands[0].starts_with("curl -fsSLO"), "{context}");
    assert!(
        commands
            .iter()
            .any(|command| command.contains("widget-1.0-linux.tar.gz")),
        "{context}"
    );
    assert_eq!(
        commands.last().map(String::as_str),
        Some("tar -xzf widget-1.0.0-linux.tar.gz -C /usr/local/bin widget"),
        "{context}"
    );
    assert!(run.events("route_abandoned").is_empty(), "{context}");
    // The LLM got the failure and the ranked routes.
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0].raw_body;
    assert!(first.contains("cannot repair this failure"), "{first}");
    assert!(first.contains("widget-1.0-linux.tar.gz"), "{first}");
    assert!(first.contains("ranked routes"), "{first}");
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn the_offline_agent_alone_cannot_install_the_broken_doc() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("llm/broken-tarball.md", MODEL, "");
    let fake = FakeLlm::start(Wire::OpenAi, KEY, MODEL, vec![]);
    let run = run_agent(&widget, &fake, AGENT, &["--agent", "offline"], 4);
    assert_eq!(run.outcome(), "no_route", "{}", run.describe());
    assert!(
        fake.requests().is_empty(),
        "the offline agent called the LLM"
    );
}

#[test]
fn when_the_llm_gives_up_the_offline_agent_continues_with_its_next_route() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::OpenAi,
        KEY,
        MODEL,
        vec![Step::Reply(openai_call(
            "give_up",
            r#"{"reason": "the install script is not on the server; try the next route"}"#,
        ))],
    );
    // The install script pipes into a shell: "ask" by policy, hence --yes.
    let run = run_agent(&widget, &fake, AGENT, &["--agent", "hybrid", "--yes"], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.route(), Some("release-binary"), "{context}");
    assert_eq!(run.report["agent"]["calls"], 1, "{context}");
    let abandoned = run.events("route_abandoned");
    assert_eq!(abandoned.len(), 1, "{context}");
    assert_eq!(abandoned[0]["route"], "script", "{context}");
    assert!(fake.requests()[0].raw_body.contains("/install.sh | sh"));
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn an_llm_that_cannot_be_reached_leaves_the_offline_agent_to_go_on_alone() {
    if skip_unless_root() {
        return;
    }
    // Server errors after every retry (the widget config allows 2), and a refused key: in
    // hybrid mode the LLM only assists, so the run goes on with the next route.
    let cases = [
        (
            vec![
                Step::Error {
                    status: 500,
                    retry_after: None
                };
                3
            ],
            "500",
        ),
        (
            vec![Step::Error {
                status: 401,
                retry_after: None,
            }],
            "401",
        ),
    ];
    for (script, status) in cases {
        let widget = Widget::serve("tarball.md", MODEL, "");
        let fake = FakeLlm::start(Wire::OpenAi, KEY, MODEL, script);
        let run = run_agent(&widget, &fake, AGENT, &["--agent", "hybrid", "--yes"], 0);
        let context = run.describe();
        assert_eq!(run.outcome(), "verified", "{status}: {context}");
        assert_eq!(run.route(), Some("release-binary"), "{status}: {context}");
        let abandoned = run.events("route_abandoned");
        assert_eq!(abandoned.len(), 1, "{status}: {context}");
        let reason = abandoned[0]["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("the LLM could not be asked") && reason.contains(status),
            "{status}: {reason}"
        );
        assert_eq!(
            fake.remaining(),
            0,
            "{status}: every scripted reply was used"
        );
        assert_clean_requests(&fake, &[KEY, SECRET]);
    }
}

#[test]
fn a_doc_without_commands_is_handed_to_the_llm_at_once() {
    if skip_unless_root() {
        return;
    }
    let widget = Widget::serve("llm/prose-only.md", MODEL, "");
    let fake = FakeLlm::start(
        Wire::OpenAi,
        KEY,
        MODEL,
        vec![
            Step::Reply(openai_call(
                "run",
                &crate::common::llm::widget_run_arguments(widget.server.port()),
            )),
            Step::Reply(openai_call("done", r#"{"summary": "unpacked"}"#)),
        ],
    );
    let run = run_agent(&widget, &fake, AGENT, &["--agent", "hybrid"], 0);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["agent"]["calls"], 2, "{context}");
    let first = &fake.requests()[0].raw_body;
    assert!(first.contains("no route left"), "{first}");
    assert!(first.contains("no commands"), "{first}");
    assert_clean_requests(&fake, &[KEY, SECRET]);
}

#[test]
fn auto_is_hybrid_with_an_llm_and_offline_without_and_says_why() {
    let widget = Widget::serve("tarball.md", MODEL, "");
    let fake = FakeLlm::start(Wire::OpenAi, KEY, MODEL, vec![]);
    // A dry run never fails, so the hybrid agent never needs the LLM.
    let with = run_agent(&widget, &fake, AGENT, &["--sandbox", "dry-run", "--yes"], 0);
    let started = with.events("started");
    assert_eq!(started[0]["agent"], "hybrid", "{}", with.describe());
    assert!(
        started[0]["agent_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("OPENAI_API_KEY is set"),
        "{}",
        with.describe()
    );
    assert_eq!(with.report["agent"]["calls"], 0);
    assert!(fake.requests().is_empty());

    let config = widget.config.display().to_string();
    let without = install(
        &widget.doc,
        &["--sandbox", "dry-run", "--yes", "--no-apply"],
        &[("AGENT_INSTALL_CONFIG", &config)],
        0,
    );
    let started = without.events("started");
    assert_eq!(started[0]["agent"], "offline");
    assert!(
        started[0]["agent_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("no LLM is configured"),
        "{}",
        without.describe()
    );
}
