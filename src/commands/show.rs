//! `agent-install show NAME [--json]`: one install record (issue 15).

use bytesize::ByteSize;

use super::list::record_error;
use crate::cli::ShowArgs;
use crate::record::{InstallRecord, Store};
use crate::{Error, ExitStatus};

pub fn run(args: ShowArgs) -> Result<ExitStatus, Error> {
    let store = Store::default_location();
    let record = match store.find(&args.name) {
        Ok(record) => record,
        // An install taken back is still shown, from the history.
        Err(crate::record::RecordError::NotFound(name)) => store
            .history()
            .map_err(record_error)?
            .into_iter()
            .rev()
            .find(|record| record.name == name || record.id == name)
            .ok_or_else(|| record_error(crate::record::RecordError::NotFound(name)))?,
        Err(error) => return Err(record_error(error)),
    };
    let text = if args.json {
        serde_json::to_string_pretty(&record).map_err(|error| Error::Other(error.into()))? + "\n"
    } else {
        render(&record, &store)
    };
    super::write_stdout(&text).map(|()| ExitStatus::Success)
}

fn render(record: &InstallRecord, store: &Store) -> String {
    let mut text = String::new();
    let mut line = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    line(format!(
        "{} {} — {}",
        record.name,
        record.version.as_deref().unwrap_or(""),
        record.state.name()
    ));
    line(format!("  id:        {}", record.id));
    line(format!(
        "  installed: {} by `{}`",
        record.installed_at, record.how
    ));
    if let Some(at) = &record.uninstalled_at {
        line(format!("  taken back: {at}"));
    }
    line(format!(
        "  doc:       {} (sha256 {})",
        record.doc.source, record.doc.sha256
    ));
    line(format!(
        "  route:     {}",
        record.route.as_deref().unwrap_or("-")
    ));
    line(format!(
        "  size:      {} in {} path(s); {} path(s) under caches and logs",
        ByteSize(record.size),
        record.files.len(),
        record.cache_paths
    ));
    line("plan:".to_string());
    for (index, step) in record.plan.steps.iter().enumerate() {
        line(format!("  {}. {}", index + 1, step.command));
    }
    for check in &record.plan.verification {
        line(format!("  check: {check}"));
    }
    if !record.packages.is_empty() {
        line("packages:".to_string());
        for change in &record.packages {
            line(format!(
                "  {} {} {}",
                change.manager,
                change.change(),
                change.describe()
            ));
        }
    }
    let executables = record.executables();
    if !executables.is_empty() {
        line("executables:".to_string());
        for file in executables {
            line(format!("  {}", file.path));
        }
    }
    line("files:".to_string());
    let record_dir = store.record_dir(&record.id);
    for file in &record.files {
        let mut notes = Vec::new();
        if let Some(manager) = &file.managed_by {
            notes.push(format!("{manager}'s"));
        }
        if let Some(pre_image) = &file.pre_image {
            notes.push(format!(
                "pre-image {}",
                record_dir.join(pre_image).display()
            ));
        }
        if let Some(sha256) = &file.sha256 {
            notes.push(format!("sha256 {}", &sha256[..sha256.len().min(12)]));
        }
        line(format!(
            "  {} {}{}",
            file.kind.marker(),
            file.path,
            if notes.is_empty() {
                String::new()
            } else {
                format!("  ({})", notes.join(", "))
            }
        ));
    }
    for left in &record.left_behind {
        line(format!("left behind: {left}"));
    }
    for note in &record.notes {
        line(format!("note: {note}"));
    }
    text
}
