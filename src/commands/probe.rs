//! `agent-install probe`: describe this machine, as a table or as JSON.

use std::io::IsTerminal;

use crate::cli::ProbeArgs;
use crate::probe::{ProbeOptions, probe};
use crate::{Error, ExitStatus};

/// Colours are off when `NO_COLOR` is set to anything non-empty (no-color.org).
const NO_COLOR_VARIABLE: &str = "NO_COLOR";

pub async fn run(args: ProbeArgs) -> Result<ExitStatus, Error> {
    let options = ProbeOptions {
        network: args.network,
        ..ProbeOptions::default()
    };
    let probe = probe(&options).await;
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&probe)
            .map_err(|error| anyhow::anyhow!("could not serialize the probe: {error}"))?;
        json.push('\n');
        json
    } else {
        let stdout = std::io::stdout();
        let bold = stdout.is_terminal()
            && std::env::var_os(NO_COLOR_VARIABLE).is_none_or(|value| value.is_empty());
        probe.table(bold)
    };
    super::write_stdout(&text)?;
    Ok(ExitStatus::Success)
}
