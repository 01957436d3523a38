//! `agent-install config`: the settings in force and where each came from.

use std::fmt::Write as _;

use crate::cli::ConfigArgs;
use crate::config::{self, Setting, Settings};
use crate::{Error, ExitStatus};

pub async fn run(args: ConfigArgs) -> Result<ExitStatus, Error> {
    let settings = Settings::load().map_err(config_error)?;
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&settings)
            .map_err(|error| anyhow::anyhow!("could not serialize the settings: {error}"))?;
        json.push('\n');
        json
    } else {
        table(&settings)
    };
    super::write_stdout(&text)?;
    Ok(ExitStatus::Success)
}

pub fn config_error(error: config::ConfigError) -> Error {
    let hint = error.hint();
    Error::usage(error.to_string(), Some(hint))
}

/// `setting  value  from`, one a line.
fn table(settings: &Settings) -> String {
    let path = |setting: &Setting<std::path::PathBuf>| {
        (
            setting.value.display().to_string(),
            setting.origin.to_string(),
        )
    };
    let mut rows: Vec<(&str, (String, String))> = Vec::new();
    rows.push((
        "config file",
        match &settings.config_file {
            Some(setting) => {
                let (value, origin) = path(setting);
                let value = if setting.value.is_file() {
                    value
                } else {
                    format!("{value} (absent)")
                };
                (value, origin)
            }
            None => ("none".into(), "no HOME".into()),
        },
    ));
    rows.push(("cache dir", path(&settings.cache_dir)));
    rows.push(("plan cache", path(&settings.plan_cache)));
    rows.push(("rootfs cache", path(&settings.rootfs_cache)));
    rows.push(("state dir", path(&settings.state_dir)));
    rows.push((
        "catalog",
        settings
            .catalog
            .as_ref()
            .map(path)
            .unwrap_or_else(|| ("built in".into(), "default".into())),
    ));
    rows.push((
        "plan cache in use",
        match &settings.no_cache {
            Some(setting) => (
                if setting.value { "no" } else { "yes" }.to_string(),
                setting.origin.to_string(),
            ),
            None => ("yes".into(), "default (--no-cache turns it off)".into()),
        },
    ));
    let default = |setting: &Option<Setting<String>>, fallback: &str| match setting {
        Some(setting) => (setting.value.clone(), setting.origin.to_string()),
        None => (fallback.to_string(), "default".to_string()),
    };
    rows.push(("--agent", default(&settings.default_agent, "auto")));
    rows.push(("--base", default(&settings.default_base, "/")));
    rows.push((
        "--policy",
        settings
            .default_policy
            .as_ref()
            .map(path)
            .unwrap_or_else(|| ("built in".into(), "default".into())),
    ));
    rows.extend(llm_rows());
    let name_width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let value_width = rows
        .iter()
        .map(|(_, (value, _))| value.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (name, (value, origin)) in rows {
        let _ = writeln!(out, "{name:name_width$}  {value:value_width$}  {origin}");
    }
    out
}

/// The LLM an `--agent auto` run would use, and why (never a key's value).
fn llm_rows() -> Vec<(&'static str, (String, String))> {
    let environment = config::ProcessEnvironment;
    let Ok(file) = config::load_config(&environment) else {
        return Vec::new();
    };
    let flags = config::LlmFlags::default();
    let Some((provider, reason)) = config::configured_provider(&flags, &environment, &file) else {
        return vec![(
            "llm",
            (
                "none (the offline agent)".into(),
                "no key, endpoint or [llm] provider set".into(),
            ),
        )];
    };
    let mut rows = vec![("llm", (provider.name().to_string(), reason))];
    match config::resolve(provider, &flags, &environment, &file) {
        Ok(settings) => {
            rows.push((
                "llm model",
                (settings.model, "flags > environment > file".into()),
            ));
            rows.push((
                "llm endpoint",
                (settings.base_url, "flags > environment > file".into()),
            ));
            let key = if settings.api_key.is_some() {
                "set"
            } else {
                "none (a local server needs none)"
            };
            rows.push((
                "llm key",
                (key.into(), format!("${}", provider.key_variable())),
            ));
        }
        Err(error) => rows.push(("llm key", ("missing".into(), error.to_string()))),
    }
    rows
}
