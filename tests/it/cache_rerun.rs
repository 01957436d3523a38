//! The plan cache end to end on the Debian minbase rootfs: a verified run keeps its plan, the
//! next run of the same doc on the same base replays it without the agent, `--no-cache`
//! neither reads nor writes it, a cached plan that fails is rolled back and the agent takes
//! over, and a corrupt entry is skipped with a warning and replaced.

use std::path::{Path, PathBuf};

use crate::common::{FileServer, Install, build_tarball, install, is_root, run_doc};

const ARGS: &[&str] = &["--base", "debian-bookworm", "--no-apply"];

/// The plan files in the cache.
fn cached_plans(cache: &Path) -> Vec<PathBuf> {
    let mut plans = Vec::new();
    for directory in std::fs::read_dir(cache.join("plans"))
        .into_iter()
        .flatten()
        .flatten()
    {
        for file in std::fs::read_dir(directory.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            plans.push(file.path());
        }
    }
    plans
}

fn warnings(run: &Install) -> Vec<String> {
    run.report["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|warning| warning.as_str().unwrap_or_default().to_string())
        .collect()
}

struct Fixture {
    _served: tempfile::TempDir,
    _server: FileServer,
    work: tempfile::TempDir,
    doc: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        crate::common::sandbox::minbase();
        let served = tempfile::tempdir().expect("temp dir");
        build_tarball(served.path());
        let server = FileServer::serve(served.path());
        let work = tempfile::tempdir().expect("temp dir");
        let doc = run_doc("widget-tarball.md", server.port(), work.path());
        crate::common::sandbox::cache_with_minbase(&work.path().join("cache"));
        Fixture {
            _served: served,
            _server: server,
            work,
            doc,
        }
    }

    fn cache(&self) -> PathBuf {
        self.work.path().join("cache")
    }

    fn run(&self, extra: &[&str]) -> Install {
        let cache = self.cache();
        let args: Vec<&str> = ARGS.iter().chain(extra).copied().collect();
        install(
            &self.doc,
            &args,
            &[
                ("AGENT_INSTALL_CACHE_DIR", cache.to_str().unwrap()),
                ("AGENT_INSTALL_NO_CACHE", "0"),
            ],
            0,
        )
    }
}

#[test]
fn the_second_run_replays_the_cached_plan_with_no_agent_call() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let fixture = Fixture::new();

    let cold = fixture.run(&[]);
    let context = cold.describe();
    assert_eq!(cold.outcome(), "verified", "{context}");
    assert_eq!(cold.report["plan_source"], "agent", "{context}");
    assert!(!cold.events("route_chosen").is_empty(), "{context}");
    let plans = cached_plans(&fixture.cache());
    assert_eq!(plans.len(), 1, "{context}");
    let kept = std::fs::read_to_string(&plans[0]).expect("cached plan");
    let modified = std::fs::metadata(&plans[0]).unwrap().modified().unwrap();

    let warm = fixture.run(&[]);
    let context = warm.describe();
    assert_eq!(warm.outcome(), "verified", "{context}");
    assert_eq!(warm.report["plan_source"], "cache", "{context}");
    assert_eq!(warm.report["agent"]["calls"], 0, "{context}");
    assert_eq!(warm.report["agent"]["tokens"], 0, "{context}");
    assert_eq!(warm.route(), cold.route(), "{context}");
    // The agent was never asked: it chose no route and fired no repair.
    assert!(warm.events("route_chosen").is_empty(), "{context}");
    assert!(warm.repairs().is_empty(), "{context}");
    let cold_commands: Vec<&serde_json::Value> = cold
        .steps()
        .iter()
        .filter(|step| step["exit_status"] == 0 && step["rolled_back"] == false)
        .map(|step| &step["command"])
        .collect();
    let warm_commands: Vec<&serde_json::Value> =
        warm.steps().iter().map(|step| &step["command"]).collect();
    assert_eq!(warm_commands, cold_commands, "{context}");
    for step in warm.steps() {
        assert!(
            step["change"] == "ok" || step["change"] == "changed",
            "{context}"
        );
    }
    let source = warm.events("plan_source");
    assert_eq!(source.len(), 1, "{context}");
    assert!(
        source[0]["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no agent call"),
        "{context}"
    );
    // A cache hit does not rewrite the entry.
    assert_eq!(std::fs::read_to_string(&plans[0]).unwrap(), kept);

    // --no-cache: the agent plans again, and the cache is left alone.
    let uncached = fixture.run(&["--no-cache"]);
    let context = uncached.describe();
    assert_eq!(uncached.report["plan_source"], "agent", "{context}");
    assert!(!uncached.events("route_chosen").is_empty(), "{context}");
    assert_eq!(cached_plans(&fixture.cache()), plans, "{context}");
    assert_eq!(
        std::fs::metadata(&plans[0]).unwrap().modified().unwrap(),
        modified,
        "--no-cache wrote the cache"
    );
}

#[test]
fn a_failing_cached_plan_is_rolled_back_and_a_corrupt_one_skipped() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return;
    }
    let fixture = Fixture::new();
    fixture.run(&[]);
    let plans = cached_plans(&fixture.cache());
    assert_eq!(plans.len(), 1);

    // Break the last step of the cached plan: it now fails in the replay.
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plans[0]).unwrap()).unwrap();
    let steps = plan["steps"].as_array_mut().expect("steps");
    let last = steps.len();
    steps[last - 1]["command"] = "tar -xzf no-such-archive.tar.gz -C /usr/local/bin".into();
    std::fs::write(&plans[0], plan.to_string()).unwrap();

    let run = fixture.run(&[]);
    let context = run.describe();
    assert_eq!(run.outcome(), "verified", "{context}");
    assert_eq!(run.report["plan_source"], "agent", "{context}");
    let expected = format!(
        "cached plan failed at step {last}; its changes were rolled back; asking the agent"
    );
    assert!(
        warnings(&run)
            .iter()
            .any(|warning| warning.starts_with(&expected)),
        "{context}"
    );
    // Every replayed step was undone before the agent started.
    let rolled_back: Vec<u64> = run
        .events("rolled_back")
        .iter()
        .filter_map(|event| event["step"].as_u64())
        .collect();
    assert!(
        (1..=last as u64).all(|step| rolled_back.contains(&step)),
        "{context}"
    );
    assert!(!run.events("route_chosen").is_empty(), "{context}");
    // The agent's verified plan replaced the broken entry.
    let repaired = std::fs::read_to_string(&plans[0]).unwrap();
    assert!(!repaired.contains("no-such-archive"), "{repaired}");

    // A corrupt entry: skipped with a warning, then replaced by the next verified run.
    std::fs::write(&plans[0], "{ this is not a plan").unwrap();
    let run = fixture.run(&[]);
    let context = run.describe();
    assert_eq!(run.report["plan_source"], "agent", "{context}");
    assert!(
        warnings(&run)
            .iter()
            .any(|warning| warning.starts_with("ignoring a cached plan:")
                && warning.contains("is not a valid plan")),
        "{context}"
    );
    let replaced: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&plans[0]).unwrap())
            .expect("the entry is a plan again");
    assert_eq!(replaced["verified"], true);
}
