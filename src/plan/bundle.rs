//! The plan bundle: what `provision` writes beside an image (`NAME.plan.json`), every input's
//! verified plan in build order, so that the image can be built again without an agent
//! (`provision --base B NAME.plan.json`). A plan file given to `provision` may be a bundle or
//! a single plan; [`PlanFile::parse`] tells them apart.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Plan, SCHEMA_VERSION};

/// The `kind` that marks a bundle (a single plan has none).
pub const BUNDLE_KIND: &str = "agent-install-plan-bundle";

/// Every input's verified plan, in order, and the base they were built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanBundle {
    pub schema_version: u32,
    pub kind: String,
    pub generator: String,
    pub base: BundleBase,
    pub plans: Vec<Plan>,
}

/// The base image of a bundle, as `provision` was given it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleBase {
    /// `--base` as given.
    pub spec: String,
    /// `directory`, `tarball` or `oci-archive`.
    pub kind: String,
}

impl PlanBundle {
    /// A bundle of `plans` built on `base`, written by this build.
    pub fn new(base: BundleBase, plans: Vec<Plan>) -> PlanBundle {
        PlanBundle {
            schema_version: SCHEMA_VERSION,
            kind: BUNDLE_KIND.to_string(),
            generator: Plan::generator(),
            base,
            plans,
        }
    }

    /// The bundle as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        // A bundle holds only strings, numbers and lists: serializing it cannot fail.
        serde_json::to_string_pretty(self).expect("a bundle serializes") + "\n"
    }

    /// Where the bundle of the image archive `output` goes: beside it, `image.tar` (or
    /// `image.tar.gz`) → `image.plan.json`.
    pub fn path_beside(output: &Path) -> PathBuf {
        let name = output
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".to_string());
        let stem = name
            .strip_suffix(".tar.gz")
            .or_else(|| name.strip_suffix(".tar"))
            .unwrap_or(&name);
        output.with_file_name(format!("{stem}.plan.json"))
    }
}

/// A plan file as `provision` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanFile {
    Bundle(PlanBundle),
    Plan(Box<Plan>),
}

impl PlanFile {
    /// Parses a bundle (by its `kind`) or a single plan; `Err` says why it is neither, in
    /// words that fit after "it is not a plan or a plan bundle: ".
    pub fn parse(text: &str) -> Result<PlanFile, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| error.to_string())?;
        if value.get("kind").and_then(|kind| kind.as_str()) != Some(BUNDLE_KIND) {
            return Plan::from_json(text)
                .map(|plan| PlanFile::Plan(Box::new(plan)))
                .map_err(|error| error.to_string());
        }
        // The version first, so a newer bundle is named as such rather than as malformed.
        let version = value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64);
        if version != Some(u64::from(SCHEMA_VERSION)) {
            let found = version.map_or_else(|| "none".to_string(), |found| found.to_string());
            return Err(format!(
                "it has bundle schema version {found}; this agent-install reads version {SCHEMA_VERSION}"
            ));
        }
        let bundle: PlanBundle =
            serde_json::from_value(value).map_err(|error| error.to_string())?;
        if bundle.plans.is_empty() {
            return Err("it holds no plans".to_string());
        }
        Ok(PlanFile::Bundle(bundle))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample;

    fn bundle(plans: Vec<Plan>) -> PlanBundle {
        PlanBundle::new(
            BundleBase {
                spec: "debian-bookworm".to_string(),
                kind: "directory".to_string(),
            },
            plans,
        )
    }

    #[test]
    fn a_bundle_reads_back_as_written() {
        let written = bundle(vec![sample(), sample()]);
        let text = written.to_json();
        assert!(text.ends_with("}\n"));
        assert_eq!(PlanFile::parse(&text), Ok(PlanFile::Bundle(written)));
    }

    #[test]
    fn a_single_plan_is_a_plan_file_too() {
        let plan = sample();
        assert_eq!(
            PlanFile::parse(&plan.to_json()),
            Ok(PlanFile::Plan(Box::new(plan)))
        );
    }

    #[test]
    fn a_bundle_of_another_version_or_of_nothing_is_refused_with_why() {
        let mut newer = serde_json::to_value(bundle(vec![sample()])).unwrap();
        newer["schema_version"] = serde_json::json!(7);
        newer["plans"] = serde_json::json!([{ "a field": "of version 7" }]);
        let error = PlanFile::parse(&newer.to_string()).unwrap_err();
        assert!(error.contains("bundle schema version 7"), "{error}");
        let error = PlanFile::parse(&bundle(Vec::new()).to_json()).unwrap_err();
        assert_eq!(error, "it holds no plans");
        let error = PlanFile::parse("[1, 2]").unwrap_err();
        assert!(error.contains("schema_version"), "{error}");
    }

    #[test]
    fn the_bundle_sits_beside_the_image() {
        assert_eq!(
            PlanBundle::path_beside(Path::new("out/tools.tar")),
            Path::new("out/tools.plan.json")
        );
        assert_eq!(
            PlanBundle::path_beside(Path::new("tools.tar.gz")),
            Path::new("tools.plan.json")
        );
    }
}
