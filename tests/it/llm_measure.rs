//! The measurement of issue 5 (not a pass/fail test; ignored by default): LLM calls per
//! successful install, hybrid vs pure-LLM mode, over the catalog on the Debian minbase rootfs.
//!
//! The LLM is a scripted "oracle" on 127.0.0.1 speaking the Chat Completions format:
//! - pure mode (`--agent openai`): it replays a known-good solution one `run` per call, then
//!   `done` — the fewest calls any model driving from the start could need;
//! - hybrid mode (`--agent hybrid`): when consulted, it gives the route back to the offline
//!   agent (`give_up`) if the rules can install the product alone, else it replays the fix.
//!
//! Solutions: the steps of the offline agent's verified plan where it succeeds; for the one
//! case the rules cannot handle, the fix in `FIXES`. The broken-tarball fixture (a doc with a
//! typo only a reader can fix) is measured alongside the catalog, labelled as such.
//!
//! Run: `cargo test --test it llm_measure -- --ignored --nocapture` (as root; needs the Debian
//! mirror and the registries the catalog uses).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::common::llm::{FakeLlm, Received, Step, Wire, openai_call, write_config};
use crate::common::{Output, agent_install, assert_no_leftovers, fixture, repo_root};
use serde_json::{Value, json};

const KEY: &str = "sk-measure-key-0123456789abcdef";
const MODEL: &str = "oracle";

/// Fixes for products the offline rules cannot install here, by catalog name.
const FIXES: &[(&str, &[&str])] = &[];

struct Run {
    status: i32,
    calls: u64,
    steps: Vec<String>,
}

fn run(doc: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let files = tempfile::tempdir().expect("temp dir");
    let sandbox_temp = tempfile::tempdir().expect("temp dir");
    let report = files.path().join("report.json");
    let plan = files.path().join("plan.json");
    let mut command = agent_install();
    command
        .args([
            "run",
            doc,
            "--base",
            "debian-bookworm",
            "--no-apply",
            "--yes",
        ])
        .arg("--report")
        .arg(&report)
        .arg("--plan-out")
        .arg(&plan)
        .args(args)
        .env("TMPDIR", sandbox_temp.path());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = Output::from(command.output().expect("agent-install runs"));
    assert_no_leftovers(sandbox_temp.path());
    let report: Value = std::fs::read_to_string(&report)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let steps = std::fs::read_to_string(&plan)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|plan| plan["steps"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|step| step["command"].as_str().map(str::to_string))
        .collect();
    if output.status != 0 {
        eprintln!(
            "{doc} {args:?}: exit {} — {}",
            output.status,
            report["message"].as_str().unwrap_or_default()
        );
    }
    Run {
        status: output.status,
        calls: report["agent"]["calls"].as_u64().unwrap_or(0),
        steps,
    }
}

/// Whether the request is the hybrid agent's handover (its last message is ours, saying the
/// offline agent is stuck).
fn is_handover(request: &Received) -> bool {
    request.body["messages"]
        .as_array()
        .and_then(|messages| messages.last())
        .is_some_and(|last| {
            last["role"] == "user"
                && last["content"]
                    .as_str()
                    .is_some_and(|text| text.contains("The offline agent is stuck"))
        })
}

/// The oracle: replays `solution` from the first call (pure) or from the handover (hybrid),
/// or hands a stuck route back to the rules when `rules_suffice`.
fn oracle(solution: Vec<String>, rules_suffice: bool) -> Box<crate::common::llm::Responder> {
    let next = Mutex::new(0usize);
    Box::new(move |request: &Received| {
        if is_handover(request) && rules_suffice {
            return Step::Reply(openai_call(
                "give_up",
                r#"{"reason": "the rules' next route will do"}"#,
            ));
        }
        let mut index = next.lock().expect("lock");
        if is_handover(request) {
            *index = 0;
        }
        let reply = match solution.get(*index) {
            Some(command) => openai_call(
                "run",
                &json!({"command": command, "purpose": "known-good step"}).to_string(),
            ),
            None if solution.is_empty() => openai_call(
                "give_up",
                r#"{"reason": "no known way to install this here"}"#,
            ),
            None => openai_call("done", r#"{"summary": "replayed the known-good steps"}"#),
        };
        *index += 1;
        Step::Reply(reply)
    })
}

/// `LLM_MEASURE_DOCS=jq,broken` limits the run to docs whose label starts with one of these.
fn selected(label: &str) -> bool {
    match std::env::var("LLM_MEASURE_DOCS") {
        Ok(list) if !list.trim().is_empty() => list
            .split(',')
            .any(|prefix| label.starts_with(prefix.trim())),
        _ => true,
    }
}

fn catalog() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("install-docs"))
        .expect("install-docs")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_stem().is_some_and(|stem| stem != "README")
                && matches!(
                    path.extension().and_then(|extension| extension.to_str()),
                    Some("md" | "html")
                )
        })
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_string()))
        .collect();
    names.sort();
    names
}

/// The broken-tarball fixture with its server, as a doc path.
fn broken_tarball(directory: &Path) -> (crate::common::FileServer, PathBuf, Vec<String>) {
    crate::common::build_tarball(directory);
    let server = crate::common::FileServer::serve(directory);
    let text = std::fs::read_to_string(fixture("llm/broken-tarball.md")).expect("fixture");
    let doc = directory.join("broken-tarball.md");
    std::fs::write(&doc, text.replace("@PORT@", &server.port().to_string())).expect("write");
    // The offline agent got as far as the download (curl included); only the typo needs a
    // reader.
    let fix = vec!["tar -xzf widget-1.0.0-linux.tar.gz -C /usr/local/bin widget".to_string()];
    (server, doc, fix)
}

#[test]
#[ignore = "a measurement: minutes long, needs the network; run with --ignored --nocapture"]
fn llm_calls_per_successful_install_hybrid_vs_pure() {
    if !crate::common::is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let config_dir = tempfile::tempdir().expect("temp dir");
    let config = write_config(config_dir.path(), MODEL, "");
    let config = config.display().to_string();
    let served = tempfile::tempdir().expect("temp dir");
    let (_server, broken_doc, broken_fix) = broken_tarball(served.path());
    let mut docs: Vec<(String, String, Option<Vec<String>>)> = catalog()
        .into_iter()
        .map(|name| {
            let fix = FIXES
                .iter()
                .find(|(fixed, _)| *fixed == name)
                .map(|(_, commands)| commands.iter().map(|c| c.to_string()).collect());
            (name.clone(), name, fix)
        })
        .collect();
    docs.push((
        "broken-tarball (fixture)".to_string(),
        broken_doc.display().to_string(),
        Some(broken_fix),
    ));

    println!("| doc | offline | hybrid (exit, calls) | pure LLM (exit, calls) |");
    println!("|---|---|---|---|");
    let (mut hybrid_calls, mut hybrid_successes) = (0u64, 0u64);
    let (mut pure_calls, mut pure_successes) = (0u64, 0u64);
    for (label, doc, fix) in docs {
        if !selected(&label) {
            continue;
        }
        let offline = run(&doc, &["--agent", "offline"], &[]);
        let rules_suffice = offline.status == 0;
        // Hybrid: the rules' own steps when they suffice, else the fix from where they stopped.
        let mut solution = if rules_suffice {
            offline.steps.clone()
        } else {
            fix.unwrap_or_default()
        };
        let mut results: Vec<Run> = Vec::new();
        for agent in ["hybrid", "openai"] {
            // Pure LLM starts from nothing: it gets the whole verified plan of the hybrid run
            // (the rules' repairs included), the fewest steps known to work.
            if agent == "openai"
                && !rules_suffice
                && let Some(hybrid) = results.first().filter(|hybrid| hybrid.status == 0)
            {
                solution = hybrid.steps.clone();
            }
            let fake = FakeLlm::responding(
                Wire::OpenAi,
                KEY,
                MODEL,
                oracle(solution.clone(), rules_suffice),
            );
            let base_url = fake.base_url();
            let result = run(
                &doc,
                &["--agent", agent, "--max-llm-calls", "80"],
                &[
                    ("OPENAI_API_KEY", KEY),
                    ("OPENAI_BASE_URL", &base_url),
                    ("AGENT_INSTALL_MODEL", MODEL),
                    ("AGENT_INSTALL_CONFIG", &config),
                ],
            );
            assert!(fake.problems().is_empty(), "{label}: {:?}", fake.problems());
            results.push(result);
        }
        let (hybrid, pure) = (&results[0], &results[1]);
        if hybrid.status == 0 {
            hybrid_calls += hybrid.calls;
            hybrid_successes += 1;
        }
        if pure.status == 0 {
            pure_calls += pure.calls;
            pure_successes += 1;
        }
        println!(
            "| {label} | exit {} | exit {}, {} call(s) | exit {}, {} call(s) |",
            offline.status, hybrid.status, hybrid.calls, pure.status, pure.calls
        );
    }
    let per = |calls: u64, successes: u64| {
        if successes == 0 {
            "n/a".to_string()
        } else {
            format!("{:.2}", calls as f64 / successes as f64)
        }
    };
    println!(
        "\nhybrid: {hybrid_successes} installs, {hybrid_calls} LLM calls, {} calls per install",
        per(hybrid_calls, hybrid_successes)
    );
    println!(
        "pure LLM: {pure_successes} installs, {pure_calls} LLM calls, {} calls per install",
        per(pure_calls, pure_successes)
    );
}
