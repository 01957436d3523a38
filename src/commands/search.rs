//! `agent-install search [TEXT]`: the catalog, searched by name, summary and route.

use std::fmt::Write as _;

use crate::catalog::{Catalog, Summary};
use crate::cli::SearchArgs;
use crate::doc::LoadOptions;
use crate::{Error, ExitStatus};

pub async fn run(args: SearchArgs) -> Result<ExitStatus, Error> {
    let catalog = Catalog::from_environment().map_err(crate::doc::LoadError::from)?;
    let found = catalog.search(&args.text, &LoadOptions::default()).await?;
    if args.json {
        let mut json = serde_json::to_string_pretty(&found)
            .map_err(|error| anyhow::anyhow!("could not serialize the results: {error}"))?;
        json.push('\n');
        super::write_stdout(&json)?;
    } else if !found.is_empty() {
        super::write_stdout(&table(&found, crate::ui::Display::current().stdout_color))?;
    }
    if found.is_empty() {
        let query = args.text.join(" ");
        let suggestions = catalog.suggest(&query);
        let hint = if suggestions.is_empty() {
            "`agent-install search` with no text lists the whole catalog; any install doc \
             works too: pass its URL or file"
                .to_string()
        } else {
            format!("did you mean {}?", suggestions.join(" or "))
        };
        // Nothing found is an answer, not a failure (as `grep` would have it, scripts can
        // test the JSON's length); the note goes to stderr.
        if !crate::ui::Display::current().quiet {
            eprintln!("no catalog entry matches `{query}`\nhint: {hint}");
        }
    }
    Ok(ExitStatus::Success)
}

/// `name  routes  summary`, one entry a line, the names aligned.
fn table(found: &[Summary], bold: bool) -> String {
    let name_width = found
        .iter()
        .map(|entry| entry.name.len())
        .max()
        .unwrap_or(0);
    let routes: Vec<String> = found.iter().map(|entry| entry.routes.join(",")).collect();
    let routes_width = routes.iter().map(String::len).max().unwrap_or(0);
    let style = console::Style::new().bold().force_styling(bold);
    let mut out = String::new();
    for (entry, routes) in found.iter().zip(&routes) {
        let padding = " ".repeat(name_width - entry.name.len());
        let _ = writeln!(
            out,
            "{}{padding}  {routes:routes_width$}  {}",
            style.apply_to(&entry.name),
            entry.summary
        );
    }
    out
}
