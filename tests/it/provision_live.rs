//! Live `provision` tests: the Debian minbase rootfs plus the catalog's jq and tree docs,
//! installed with real apt from the Debian mirror. The archive is checked with the real tools
//! (`skopeo inspect`, `umoci unpack`) and by applying its layers ourselves and running each
//! doc's verification in a chroot. Two builds must give identical layers, the plan bundle must
//! rebuild them with no agent, and a failing doc must leave nothing behind.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::provision::*;
use crate::common::{fixture, is_root};
use agent_install::plan::Plan;

fn ready() -> bool {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox on a rootfs needs root");
        return false;
    }
    for tool in ["skopeo", "umoci"] {
        assert!(
            have(tool),
            "{tool} is missing: install it with scripts/setup.sh (Debian package `{tool}`)"
        );
    }
    true
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

fn build(output: &Path, inputs: &[&str], env: &[(&str, &str)]) -> crate::common::Output {
    let output_text = text(output);
    let mut args = vec!["--base", "debian-bookworm"];
    args.extend(inputs);
    args.extend(["--output", &output_text, "--tag", "ci/tools:1"]);
    provision(&args, env, 0)
}

fn skopeo(args: &[&str]) -> serde_json::Value {
    let output = Command::new("skopeo")
        .args(args)
        .output()
        .expect("skopeo runs");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("skopeo prints JSON")
}

#[test]
fn live_jq_and_tree_on_minbase_give_an_image_that_skopeo_umoci_and_a_chroot_accept() {
    if !ready() {
        return;
    }
    let temp = tempfile::Builder::new()
        .prefix("provision-live-")
        .tempdir()
        .unwrap();
    let out = temp.path().join("out");
    fs::create_dir(&out).unwrap();
    let image = out.join("image.tar");
    build(&image, &["jq", "tree"], &[]);
    assert_eq!(names_in(&out), ["image.plan.json", "image.tar"]);

    // The plan bundle: both plans, verified, with their steps.
    let bundle = read_json(&out.join("image.plan.json"));
    let plans: Vec<Plan> = bundle["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plan| serde_json::from_value(plan.clone()).expect("a v1 plan"))
        .collect();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0].doc.name.as_deref(), Some("jq"));
    assert_eq!(plans[1].doc.name.as_deref(), Some("tree"));
    assert!(
        plans
            .iter()
            .all(|plan| plan.verified && !plan.steps.is_empty())
    );

    // skopeo reads the archive, its labels carry the provenance.
    let archive = format!("oci-archive:{}", image.display());
    let inspected = skopeo(&["inspect", &archive]);
    assert_eq!(
        inspected["Layers"].as_array().unwrap().len(),
        2,
        "{inspected}"
    );
    assert_eq!(inspected["Os"], "linux");
    let labels = &inspected["Labels"];
    for (index, plan) in plans.iter().enumerate() {
        let number = index + 1;
        assert_eq!(
            labels[format!("io.agent-install.doc.{number}.source")],
            plan.doc.source.as_str()
        );
        assert_eq!(
            labels[format!("io.agent-install.doc.{number}.sha256")],
            plan.doc.sha256.as_str()
        );
        assert_eq!(
            labels[format!("io.agent-install.doc.{number}.plan-sha256")],
            plan.sha256().as_str()
        );
    }
    let config = skopeo(&["inspect", "--config", &archive]);
    assert_eq!(config["created"], "1970-01-01T00:00:00Z");
    assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    // Base, one per doc, and the layer of the changes.
    let history = config["history"].as_array().unwrap();
    assert_eq!(history.len(), 4, "{config}");
    assert!(history[1]["created_by"].as_str().unwrap().contains("jq"));
    assert!(history[2]["created_by"].as_str().unwrap().contains("tree"));
    assert!(
        config["config"]["Env"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry.as_str().unwrap().starts_with("PATH=/usr/local/sbin:"))
    );

    // umoci unpacks it by its tag.
    let layout = Layout::unpack(&image, &temp.path().join("layout"));
    let bundle_dir = temp.path().join("umoci-bundle");
    let umoci = Command::new("umoci")
        .arg("unpack")
        .arg("--image")
        .arg(format!("{}:ci/tools:1", layout.directory.display()))
        .arg(&bundle_dir)
        .output()
        .expect("umoci runs");
    assert!(
        umoci.status.success(),
        "umoci unpack failed: {}",
        String::from_utf8_lossy(&umoci.stderr)
    );
    assert!(bundle_dir.join("rootfs/usr/bin/jq").is_file());
    assert!(bundle_dir.join("rootfs/usr/bin/tree").is_file());

    // The delta layer holds the installs and none of apt's lists, caches or logs; every mtime
    // is clamped to the epoch.
    let delta = layout.blob(&layout.layer_digests()[1]);
    let mut paths = Vec::new();
    for entry in tar::Archive::new(flate2::read::GzDecoder::new(
        fs::File::open(&delta).unwrap(),
    ))
    .entries()
    .unwrap()
    {
        let entry = entry.unwrap();
        assert_eq!(entry.header().mtime().unwrap(), 0);
        paths.push(entry.path().unwrap().display().to_string());
    }
    assert!(paths.contains(&"usr/bin/jq".to_string()), "{paths:?}");
    for excluded in [
        "var/lib/apt/lists/",
        "var/cache/apt/",
        "var/log/",
        "var/cache/debconf/",
    ] {
        assert!(
            !paths.iter().any(|path| path.starts_with(excluded)),
            "{excluded} in the layer: {paths:?}"
        );
    }

    // Our own application of the layers, then each doc's verification in a chroot.
    let root = temp.path().join("rootfs");
    layout.apply_to(&root);
    for plan in &plans {
        for check in &plan.verification {
            let run = chroot(&root, check);
            assert_eq!(run.status, 0, "`{check}` failed in the image: {run:?}");
        }
    }
    assert_eq!(chroot(&root, "jq -n '1 + 1'").stdout.trim(), "2");
}

#[test]
fn live_two_builds_give_identical_layers_and_the_bundle_rebuilds_them_without_an_agent() {
    if !ready() {
        return;
    }
    let temp = tempfile::Builder::new()
        .prefix("provision-live-")
        .tempdir()
        .unwrap();
    // A fixed SOURCE_DATE_EPOCH: mtimes are clamped to it and `created` is it.
    let env = [("SOURCE_DATE_EPOCH", "1700000000")];
    let first = temp.path().join("first.tar");
    let second = temp.path().join("second.tar");
    build(&first, &["jq", "tree"], &env);
    build(&second, &["jq", "tree"], &env);
    let first_layout = Layout::unpack(&first, &temp.path().join("first"));
    let second_layout = Layout::unpack(&second, &temp.path().join("second"));
    assert_eq!(first_layout.layer_digests(), second_layout.layer_digests());
    assert_eq!(first_layout.config()["created"], "2023-11-14T22:13:20Z");
    assert_eq!(first_layout.config(), second_layout.config());
    assert_eq!(
        fs::read(&first).unwrap(),
        fs::read(&second).unwrap(),
        "the archives are byte-identical"
    );

    // The bundle replays the same steps with no agent: the same layers again.
    let rebuilt = temp.path().join("rebuilt.tar");
    let output = build(
        &rebuilt,
        &[&text(&temp.path().join("first.plan.json"))],
        &env,
    );
    assert!(output.stderr.contains("plan replay"), "{}", output.stderr);
    let rebuilt_layout = Layout::unpack(&rebuilt, &temp.path().join("rebuilt"));
    assert_eq!(rebuilt_layout.layer_digests(), first_layout.layer_digests());
}

#[test]
fn live_a_failing_doc_after_a_good_one_writes_no_image() {
    if !ready() {
        return;
    }
    let temp = tempfile::Builder::new()
        .prefix("provision-live-")
        .tempdir()
        .unwrap();
    let out = temp.path().join("out");
    fs::create_dir(&out).unwrap();
    let image = text(&out.join("image.tar"));
    let failing = text(&fixture("run/unreachable-script.md"));
    let output = provision(
        &[
            "--base",
            "debian-bookworm",
            "jq",
            &failing,
            "--output",
            &image,
            "--yes",
            "--timeout",
            "5m",
        ],
        &[],
        4,
    );
    assert!(
        output.stderr.contains("unreachable-script.md"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("no image was written"),
        "{}",
        output.stderr
    );
    assert!(names_in(&out).is_empty(), "left: {:?}", names_in(&out));
}
