//! `agent-install probe`: describe this machine, as a table or as JSON.

use crate::cli::ProbeArgs;
use crate::probe::{ProbeOptions, probe};
use crate::{Error, ExitStatus};

pub async fn run(args: ProbeArgs) -> Result<ExitStatus, Error> {
    let options = ProbeOptions {
        network: args.network,
        versions: args.versions,
        ..ProbeOptions::default()
    };
    let probe = probe(&options).await;
    let text = if args.json {
        let mut json = serde_json::to_string_pretty(&probe)
            .map_err(|error| anyhow::anyhow!("could not serialize the probe: {error}"))?;
        json.push('\n');
        json
    } else {
        probe.table(crate::ui::Display::current().stdout_color)
    };
    super::write_stdout(&text)?;
    Ok(ExitStatus::Success)
}
