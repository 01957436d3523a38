//! `agent-install probe`: describe this machine.

use crate::cli::ProbeArgs;
use crate::{Error, ExitStatus};

pub async fn run(args: ProbeArgs) -> Result<ExitStatus, Error> {
    let _ = args;
    todo!("probe")
}
