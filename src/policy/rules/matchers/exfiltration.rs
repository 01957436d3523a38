//! Matchers of the rules whose class is `Exfiltration`: secrets sent over the network, local
//! data uploaded, the environment sent by an interpreter's one-liner, and reverse shells.

use super::secret_access::{credential_store, environment_dump, secret_file, secret_variable};
use super::{CODE_NETWORK, interpreter_text};
use crate::policy::rules::invocation::{Invocation, feeders, is_remote, trace};
use crate::policy::shell::{self, CodeInput, Language};

const NETWORK_SENDERS: &[&str] = &[
    "curl",
    "wget",
    "http",
    "https",
    "xh",
    "xhs",
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "scp",
    "sftp",
    "rsync",
    "ftp",
    "tftp",
    "ssh",
    "openssl",
    "aws",
    "gsutil",
    "rclone",
    "git",
    "mail",
    "mailx",
    "sendmail",
    "mutt",
    "smbclient",
];

fn reads_secrets(invocation: &Invocation) -> bool {
    secret_file(invocation).is_some()
        || secret_variable(invocation).is_some()
        || environment_dump(invocation).is_some()
        || credential_store(invocation).is_some()
}

pub fn send_secrets(invocation: &Invocation) -> Option<String> {
    if !invocation.is(NETWORK_SENDERS) {
        return None;
    }
    if let Some(detail) = secret_variable(invocation) {
        return Some(format!("sends {detail}"));
    }
    if let Some(detail) = secret_file(invocation) {
        return Some(format!("sends {detail}"));
    }
    let readers = trace(
        invocation.context,
        feeders(invocation.context, invocation.index),
        &reads_secrets,
    );
    let reader = readers.first()?;
    let text = &invocation.script().commands.get(*reader)?.text;
    Some(format!("sends what `{text}` reads"))
}

pub fn upload_data(invocation: &Invocation) -> Option<String> {
    let program = invocation.program.as_deref()?;
    match program {
        "curl" => {
            if let Some((file, _)) = invocation.values("T", &["--upload-file"]).first() {
                return Some(format!("uploads `{file}`"));
            }
            for (value, _) in invocation.values("F", &["--form"]) {
                if value.contains("=@") || value.contains("=<") {
                    return Some(format!("uploads a file with `-F {value}`"));
                }
            }
            let data_options = [
                "--data",
                "--data-binary",
                "--data-ascii",
                "--data-urlencode",
                "--json",
            ];
            for (value, word) in invocation.values("d", &data_options) {
                if !word.substitutions.is_empty() {
                    return Some(format!("sends the output of a command (`{}`)", word.text));
                }
                let file = value.strip_prefix('@').or_else(|| {
                    value
                        .split_once('@')
                        .map(|(_, file)| file)
                        .filter(|_| !value.contains('='))
                });
                match file {
                    Some("-") => {
                        if let Some(source) = invocation.stdin_data() {
                            return Some(format!("sends {source}"));
                        }
                    }
                    Some(file) if !file.is_empty() => return Some(format!("uploads `{file}`")),
                    _ => {}
                }
            }
            None
        }
        "wget" => invocation
            .values("", &["--post-file", "--body-file"])
            .first()
            .map(|(file, _)| format!("uploads `{file}`")),
        "http" | "https" | "xh" | "xhs" => {
            for word in invocation.arguments {
                if let Some((_, file)) = word.text.split_once('@')
                    && file.starts_with(['/', '~', '.', '$'])
                {
                    return Some(format!("uploads `{file}`"));
                }
            }
            invocation
                .stdin_data()
                .map(|source| format!("sends {source}"))
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet" | "ssh" | "mail" | "mailx" | "mutt"
        | "sendmail" => {
            if matches!(program, "mail" | "mailx" | "mutt")
                && let Some((file, _)) = invocation.values("aA", &["--attach"]).first()
            {
                return Some(format!("mails `{file}`"));
            }
            invocation
                .stdin_data()
                .map(|source| format!("sends {source}"))
        }
        "scp" | "rsync" | "sftp" => {
            let positionals = invocation.positionals("iPoFcleJ", &["--rsh", "--port"]);
            let (destination, sources) = positionals.split_last()?;
            (is_remote(&destination.text) && sources.iter().any(|source| !is_remote(&source.text)))
                .then(|| format!("copies local files to `{}`", destination.text))
        }
        "aws" | "gsutil" | "rclone" => {
            let positionals = invocation.positionals("", &[]);
            let copies = positionals.iter().any(|word| {
                matches!(
                    word.text.as_str(),
                    "cp" | "mv" | "sync" | "rsync" | "copy" | "copyto" | "move" | "moveto"
                )
            });
            let (destination, sources) = positionals.split_last()?;
            let remote = |text: &str| {
                text.starts_with("s3://")
                    || text.starts_with("gs://")
                    || program == "rclone" && is_remote(text)
            };
            (copies
                && remote(&destination.text)
                && sources.iter().any(|source| {
                    !remote(&source.text)
                        && !matches!(
                            source.text.as_str(),
                            "s3" | "cp"
                                | "mv"
                                | "sync"
                                | "rsync"
                                | "copy"
                                | "copyto"
                                | "move"
                                | "moveto"
                        )
                }))
            .then(|| format!("uploads to `{}`", destination.text))
        }
        "git" => (invocation.verb() == Some("push"))
            .then(|| "`git push` sends commits to a remote".to_string()),
        _ => None,
    }
}

/// Words of scripting-language code that read the whole environment.
const CODE_ENVIRONMENT: &[&str] = &[
    "environ",
    "process.env",
    "%ENV",
    "ENV.to_h",
    "ENV.to_a",
    "ENV.each",
    "ENV.inspect",
    "$_ENV",
    "getenv()",
    "printenv",
    "/proc/self/environ",
];

pub fn interpreter_sends_environment(invocation: &Invocation) -> Option<String> {
    let code = interpreter_text(invocation)?;
    let environment = CODE_ENVIRONMENT.iter().find(|word| code.contains(*word))?;
    let network = CODE_NETWORK.iter().find(|word| code.contains(*word))?;
    Some(format!(
        "its inline code reads the environment (`{environment}`) and reaches the network (`{network}`)"
    ))
}

pub fn reverse_shell(invocation: &Invocation) -> Option<String> {
    let command = invocation.command;
    for redirect in &command.redirects {
        let target = redirect.target.text.as_str();
        if target.starts_with("/dev/tcp/") || target.starts_with("/dev/udp/") {
            return Some(format!("connects its input or output to `{target}`"));
        }
    }
    let program = invocation.program.as_deref()?;
    if matches!(program, "nc" | "ncat" | "netcat")
        && (invocation.has_flag(Some('e'), &["--exec", "--sh-exec", "--lua-exec"])
            || invocation.has_flag(Some('c'), &[]))
    {
        return Some(format!("`{program}` runs a program for whoever connects"));
    }
    if program == "socat" {
        let texts: Vec<String> = invocation.texts().map(str::to_ascii_lowercase).collect();
        let runs = texts
            .iter()
            .any(|text| text.starts_with("exec:") || text.starts_with("system:"));
        let connects = texts.iter().any(|text| {
            text.starts_with("tcp")
                || text.starts_with("udp")
                || text.starts_with("openssl")
                || text.starts_with("ssl")
        });
        if runs && connects {
            return Some("`socat` connects a program to the network".to_string());
        }
    }
    if let Some((Language::Other, CodeInput::Arguments(indices))) = shell::code_input(command) {
        let code: String = indices
            .iter()
            .filter_map(|&index| command.words.get(index))
            .map(|word| word.text.as_str())
            .collect();
        let spawns = [
            "pty.spawn",
            "subprocess",
            "/bin/sh",
            "/bin/bash",
            "dup2",
            "exec(",
        ]
        .iter()
        .any(|needle| code.contains(needle));
        if code.contains("fsockopen") || code.contains("socket") && spawns {
            return Some("inline code connects a shell to a socket".to_string());
        }
    }
    None
}
