//! `agent-install doc`: load and parse a doc, print the parsed view.

use crate::cli::DocArgs;
use crate::{Error, ExitStatus};

pub async fn run(args: DocArgs) -> Result<ExitStatus, Error> {
    let loaded = crate::doc::load(&args.doc, &args.load.options()).await?;
    let doc = crate::doc::parse(&loaded);
    let _ = (doc, args.json);
    todo!("print the doc")
}
