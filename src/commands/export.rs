//! `agent-install export <PLAN> --format sh|dockerfile|ansible [-o FILE]`.
//!
//! A plan that cannot be read or is not a valid plan is a usage error (exit 2): the plan is an
//! argument the user chose, not a doc, so the doc-load status (3) would mislead.

use crate::cli::ExportArgs;
use crate::export::{self, Format};
use crate::plan::{Plan, PlanError};
use crate::{Error, ExitStatus};

pub async fn run(args: ExportArgs) -> Result<ExitStatus, Error> {
    let plan = Plan::read(&args.plan).map_err(|error| {
        let hint = match &error {
            PlanError::Read { .. } => {
                "check the path; `agent-install plan <DOC> -o plan.json` or `agent-install run <DOC> --plan-out plan.json` writes one"
            }
            PlanError::Invalid { .. } => {
                "pass a plan file written by `agent-install plan -o` or `run --plan-out` (see the README's plan file format)"
            }
            PlanError::Version { .. } => {
                "make the plan again with this agent-install (`agent-install plan <DOC> -o plan.json`)"
            }
        };
        Error::usage(error.to_string(), Some(hint.to_string()))
    })?;
    if plan.steps.is_empty() && plan.verification.is_empty() {
        return Err(Error::usage(
            format!(
                "{} has no steps and no verification: there is nothing to export",
                args.plan.display()
            ),
            Some("make a plan from a doc that installs something".to_string()),
        ));
    }
    // Diagnostics, not errors: a reviewed dry-run plan is a legitimate thing to export.
    if !plan.verified {
        eprintln!(
            "note: {} is a dry-run plan: its steps were never executed; rehearse them first with `agent-install run <DOC> --no-apply --plan-out FILE` for a verified plan",
            args.plan.display()
        );
    }
    let denied = plan
        .steps
        .iter()
        .filter(|step| step.decision == crate::policy::Decision::Deny)
        .count();
    if denied > 0 {
        eprintln!(
            "warning: the policy denies {denied} step(s) of this plan on its target; the export contains them anyway, review them before running it"
        );
    }
    let text = export::export(&plan, args.format);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|error| Error::io(format!("could not write {}", path.display()), error))?;
            if args.format == Format::Sh {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(
                    |error| {
                        Error::io(
                            format!("could not make {} executable", path.display()),
                            error,
                        )
                    },
                )?;
            }
        }
        None => {
            super::write_stdout(&text)?;
        }
    }
    Ok(ExitStatus::Success)
}
