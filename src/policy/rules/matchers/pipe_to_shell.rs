//! Matchers of the rules whose class is `PipeToShell`: code that runs without being on disk
//! for review first — fetched (`curl … | sh`), downloaded and run in the same line, decoded
//! (`base64 -d | sh`), or fetched and run by an interpreter's one-liner. These follow the data
//! flow the invocation model traces between commands.

use super::{CODE_NETWORK, interpreter_text};
use crate::policy::rules::invocation::{Invocation, code_producers, network_code_sources, trace};

pub fn run_fetched_code(invocation: &Invocation) -> Option<String> {
    let sources = network_code_sources(invocation.context, invocation.index);
    let first = sources.first()?;
    let source = &invocation.script().commands.get(*first)?.text;
    Some(format!("runs what `{source}` downloads"))
}

pub fn run_downloaded_script(invocation: &Invocation) -> Option<String> {
    let context = invocation.context;
    let with_files = code_producers(context, invocation.index, true);
    let without_files = code_producers(context, invocation.index, false);
    let downloader = with_files
        .into_iter()
        .find(|producer| !without_files.contains(producer))?;
    let source = &invocation.script().commands.get(downloader)?.text;
    Some(format!(
        "runs a script downloaded by `{source}` in the same command"
    ))
}

fn is_decoder(invocation: &Invocation) -> bool {
    match invocation.program.as_deref() {
        Some("base64" | "base32" | "basenc") => {
            invocation.has_flag(Some('d'), &["--decode"]) || invocation.has_flag(Some('D'), &[])
        }
        Some("xxd") => invocation.has_flag(Some('r'), &["-revert"]),
        Some("openssl") => {
            invocation.has_flag(Some('d'), &[])
                && matches!(invocation.verb(), Some("enc" | "base64"))
        }
        Some("uudecode" | "rev") => true,
        Some("printf" | "echo") => invocation
            .arguments
            .iter()
            .any(|word| word.text.contains("\\x") || word.text.contains("\\0")),
        _ => false,
    }
}

pub fn run_decoded_code(invocation: &Invocation) -> Option<String> {
    let producers = code_producers(invocation.context, invocation.index, false);
    let decoders = trace(invocation.context, producers, &is_decoder);
    let first = decoders.first()?;
    let decoder = &invocation.script().commands.get(*first)?.text;
    Some(format!("runs code decoded by `{decoder}`"))
}

/// Words of scripting-language code that run programs or code.
const CODE_EXECUTION: &[&str] = &[
    "system(",
    "popen",
    "subprocess",
    "exec(",
    "execSync",
    "spawn",
    "child_process",
    "eval(",
    "`",
    "os.exec",
    "Kernel.exec",
    "shell_exec",
    "passthru",
];

pub fn interpreter_runs_download(invocation: &Invocation) -> Option<String> {
    let code = interpreter_text(invocation)?;
    let network = CODE_NETWORK.iter().find(|word| code.contains(*word))?;
    let execution = CODE_EXECUTION.iter().find(|word| code.contains(*word))?;
    Some(format!(
        "its inline code both reaches the network (`{network}`) and runs code (`{execution}`)"
    ))
}
