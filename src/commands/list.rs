//! `agent-install list [--json] [--all]`: the installs recorded on this machine (issue 15).

use bytesize::ByteSize;

use crate::cli::ListArgs;
use crate::record::{InstallRecord, Store};
use crate::{Error, ExitStatus};

pub fn run(args: ListArgs) -> Result<ExitStatus, Error> {
    let store = Store::default_location();
    // A run killed mid-way is settled before it is listed (on stderr: stdout stays data).
    let mut diagnostics = super::open_outputs(false, None)?;
    super::recover::finish_interrupted(&store, &mut |event| diagnostics.emit(event));
    let mut records = store.list().map_err(record_error)?;
    if args.all {
        records.extend(store.history().map_err(record_error)?);
        records.sort_by_key(|record| record.installed_unix);
    }
    if args.json {
        let rows: Vec<serde_json::Value> = records.iter().map(row).collect();
        let text =
            serde_json::to_string_pretty(&rows).map_err(|error| Error::Other(error.into()))?;
        return super::write_stdout(&(text + "\n")).map(|()| ExitStatus::Success);
    }
    if records.is_empty() {
        eprintln!(
            "No installs recorded in {} (agent-install records every apply to this machine).",
            store.root().display()
        );
        return Ok(ExitStatus::Success);
    }
    let header = ["NAME", "VERSION", "ROUTE", "DOC", "DATE", "SIZE", "STATE"];
    let cells: Vec<[String; 7]> = records
        .iter()
        .map(|record| {
            [
                record.name.clone(),
                record.version.clone().unwrap_or_else(|| "-".to_string()),
                record.route.clone().unwrap_or_else(|| "-".to_string()),
                record.doc.source.clone(),
                record
                    .installed_at
                    .replace('T', " ")
                    .trim_end_matches('Z')
                    .to_string(),
                ByteSize(record.size).to_string(),
                record.state.name().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let line = |cells: Vec<&str>, text: &mut String| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header.to_vec(), &mut text);
    for row in &cells {
        line(row.iter().map(String::as_str).collect(), &mut text);
    }
    super::write_stdout(&text).map(|()| ExitStatus::Success)
}

fn row(record: &InstallRecord) -> serde_json::Value {
    serde_json::json!({
        "id": record.id,
        "name": record.name,
        "version": record.version,
        "route": record.route,
        "doc": record.doc.source,
        "installed_at": record.installed_at,
        "size": record.size,
        "state": record.state,
        "files": record.files.len(),
        "packages": record.packages.iter().map(|change| format!("{} {}", change.manager, change.describe())).collect::<Vec<_>>(),
    })
}

/// A store that cannot be read is an I/O failure; an unknown name is the user's to fix.
pub(super) fn record_error(error: crate::record::RecordError) -> Error {
    match error {
        crate::record::RecordError::NotFound(_) => Error::usage(
            error.to_string(),
            Some("`agent-install list` shows the recorded installs".to_string()),
        ),
        other => Error::Other(anyhow::anyhow!(other)),
    }
}
