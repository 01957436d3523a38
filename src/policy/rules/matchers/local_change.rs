//! Matchers of the rules whose class is `LocalChange`: sourcing a known environment file
//! (`. ~/.cargo/env`) and inline shell code, which change the shell's state but nothing outside
//! the working tree.

use crate::policy::rules::invocation::Invocation;

pub fn run_inline_code(invocation: &Invocation) -> Option<String> {
    invocation
        .command
        .inline_code
        .then(|| format!("`{}`", invocation.program.as_deref().unwrap_or("shell")))
}

pub fn source_environment_file(invocation: &Invocation) -> Option<String> {
    if !invocation.is(&["source", "."]) {
        return None;
    }
    let file = invocation.arguments.first()?;
    if file.substitutions.is_empty() {
        let path = invocation.resolve_path(&file.text);
        let known = [
            "~/.cargo/env",
            "~/.bashrc",
            "~/.profile",
            "~/.bash_profile",
            "~/.zshrc",
            "~/.nvm/nvm.sh",
            "~/.sdkman/bin/sdkman-init.sh",
            "~/.local/bin/env",
            "~/.asdf/asdf.sh",
            "~/.ghcup/env",
            "/etc/profile",
            "/etc/os-release",
        ];
        if known.contains(&path.as_str()) || path.ends_with("bin/activate") {
            return Some(format!("`{}`", file.text));
        }
    }
    None
}
