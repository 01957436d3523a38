//! Matchers of the rules whose class is `NetworkFetch` beyond the downloader table: other
//! tools that talk to the network, and fetching signing keys from a key server.

use crate::policy::rules::invocation::{Invocation, is_remote};

pub fn network_tool(invocation: &Invocation) -> Option<String> {
    const TOOLS: &[&str] = &[
        "ssh",
        "scp",
        "sftp",
        "ftp",
        "tftp",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "telnet",
        "ssh-keyscan",
        "ssh-copy-id",
        "ping",
        "ping6",
        "traceroute",
        "tracepath",
        "mtr",
        "dig",
        "nslookup",
        "host",
        "whois",
        "nmap",
    ];
    let program = invocation.program.as_deref()?;
    if invocation.is(TOOLS) {
        return Some(format!("`{program}`"));
    }
    if program == "rsync"
        && invocation
            .arguments
            .iter()
            .any(|word| is_remote(&word.text))
    {
        return Some("`rsync` to or from another host".to_string());
    }
    if program == "openssl" && invocation.verb() == Some("s_client") {
        return Some("`openssl s_client`".to_string());
    }
    None
}

pub fn fetch_keys(invocation: &Invocation) -> Option<String> {
    let flags = [
        "--recv-keys",
        "--recv-key",
        "--keyserver",
        "--fetch-keys",
        "--search-keys",
    ];
    if invocation.is(&["gpg", "gpg2", "apt-key"]) && invocation.has_flag(None, &flags) {
        return Some(format!("`{}`", invocation.command.text.trim()));
    }
    None
}
