//! The matchers: the code behind `Matcher::Command` and `Matcher::Script` rules, one file per
//! risk class named after the class the rules using it carry, so "what makes a command
//! `Destructive`?" is answered by one file. Each matcher looks at an [`Invocation`] (or the
//! whole [`Context`](super::invocation::Context)) and returns what it saw, or `None`.
//!
//! What several classes share lives here: reading a scripting language's one-liner, and the
//! words of such code that reach the network.

pub mod destructive;
pub mod exfiltration;
pub mod local_change;
pub mod network;
pub mod package_install;
pub mod persistence;
pub mod pipe_to_shell;
pub mod privilege;
pub mod read_only;
pub mod secret_access;
pub mod system_config;
pub mod unknown;
pub mod unparsed;

use crate::policy::rules::invocation::Invocation;
use crate::policy::shell;

/// The code of a scripting language's one-liner: `python -c CODE`, `perl -e`/`-E` (also in a
/// cluster such as `-le`), `ruby -e`, `node -e`/`--eval`/`-p`/`--print`, `php -r`.
pub fn interpreter_one_liner<'a>(invocation: &Invocation<'a>) -> Option<&'a str> {
    let command = invocation.command;
    let family = shell::interpreter_family(command.program_name()?);
    let arguments = command.arguments();
    let is_code_flag = |text: &str| -> bool {
        match family {
            "python" => {
                text == "-c"
                    || text.starts_with('-')
                        && !text.starts_with("--")
                        && text.ends_with('c')
                        && text.len() <= 4
            }
            "perl" | "ruby" => {
                text.starts_with('-')
                    && !text.starts_with("--")
                    && (text.ends_with('e') || text.ends_with('E'))
                    && text.len() <= 5
            }
            "node" => matches!(text, "-e" | "--eval" | "-p" | "--print" | "-pe"),
            "php" => text == "-r",
            _ => false,
        }
    };
    let position = arguments.iter().position(|word| is_code_flag(&word.text))?;
    arguments.get(position + 1).map(|word| word.text.as_str())
}

/// Words of scripting-language code that reach the network.
pub const CODE_NETWORK: &[&str] = &[
    "urlopen",
    "urllib",
    "requests.",
    "http.client",
    "httplib",
    "socket",
    "fetch(",
    "http.get",
    "https.get",
    "http.request",
    "https.request",
    "Net::HTTP",
    "LWP",
    "IO::Socket",
    "HTTP::Tiny",
    "open-uri",
    "curl",
    "wget",
    "XMLHttpRequest",
    "file_get_contents(\"http",
    "fsockopen",
];

/// The one-liner's code and the options around it (`perl -MLWP::Simple -e …` loads the
/// network module in an option).
pub fn interpreter_text<'a>(invocation: &Invocation<'a>) -> Option<&'a str> {
    interpreter_one_liner(invocation).map(|_| invocation.command.text.as_str())
}
