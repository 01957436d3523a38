//! The shell wrapper that makes separate commands behave like one terminal.
//!
//! Each command runs in a fresh shell (so a timeout can kill it and everything it started), but
//! the shell starts in the working directory and with the exported variables the previous one
//! ended with. An `EXIT` trap writes them to a pipe on file descriptor [`STATE_FD`]: the working
//! directory, a NUL, then the shell's own `export -p` listing, which [`parse_state`] reads
//! back; the next command receives them as its real environment and working directory.
//!
//! Why `export -p`: it is a builtin in bash and dash, so saving costs no fork. Listing the
//! variables by other means (`$(compgen -e)`, `${!a@}` per letter) measured 1–1.7 ms per
//! command; `export -p` about 0.1 ms. The price is parsing shell quoting, done here.
//!
//! The trap runs on `exit N` and under `set -e` too; it does not run when the shell is killed or
//! replaced by `exec`, and then the previous state is kept.

use super::ShellState;

/// The descriptor the state is written to: high, so that scripts using 3..9 are unaffected.
pub(crate) const STATE_FD: i32 = 87;

/// Variables that describe one shell rather than the session.
const PER_SHELL_VARIABLES: &[&str] = &["_", "SHLVL"];

/// The script given to `bash -c` (or `sh -c` when the base has no bash).
pub(crate) fn script(command: &str, bash: bool) -> String {
    // dash accepts single-digit descriptors only in redirections; it reaches 87 through /proc.
    let (builtin, target) = if bash {
        ("builtin ", "&87")
    } else {
        ("", "/proc/self/fd/87")
    };
    format!(
        "__agent_install_save_state() {{ {{ {builtin}printf '%s\\0' \"$PWD\"; \
         {builtin}export -p; }} >{target}; }} 2>/dev/null\n\
         trap __agent_install_save_state EXIT\n{command}\n"
    )
}

/// Parses what the trap wrote; `None` when it is incomplete (no working directory).
pub(crate) fn parse_state(bytes: &[u8]) -> Option<ShellState> {
    let separator = bytes.iter().position(|byte| *byte == 0)?;
    let cwd = String::from_utf8(bytes[..separator].to_vec()).ok()?;
    if !cwd.starts_with('/') {
        return None;
    }
    let mut env = parse_export_listing(&bytes[separator + 1..])?;
    env.retain(|(name, _)| !PER_SHELL_VARIABLES.contains(&name.as_str()));
    env.sort();
    Some(ShellState { cwd, env })
}

/// Parses `export -p` output of bash (`declare -x NAME="value"`, `export NAME=$'…'` in POSIX
/// mode) and dash (`export NAME='value'`). Variables exported without a value are skipped (they
/// are not in the environment either). `None` when the text is malformed.
pub(crate) fn parse_export_listing(text: &[u8]) -> Option<Vec<(String, String)>> {
    let mut parser = Parser { text, position: 0 };
    let mut variables: Vec<(String, String)> = Vec::new();
    loop {
        parser.skip_blank_lines();
        if parser.at_end() {
            return Some(variables);
        }
        let keyword = parser.word();
        match keyword.as_slice() {
            b"declare" | b"typeset" => {
                parser.skip_spaces();
                if parser.peek() == Some(b'-') {
                    parser.word();
                }
            }
            b"export" => {}
            _ => return None,
        }
        parser.skip_spaces();
        let name = parser.name()?;
        let value = if parser.peek() == Some(b'=') {
            parser.position += 1;
            Some(parser.shell_word()?)
        } else {
            None
        };
        if !matches!(parser.peek(), None | Some(b'\n')) {
            return None;
        }
        if let Some(value) = value {
            let value = String::from_utf8_lossy(&value).into_owned();
            variables.retain(|(existing, _)| *existing != name);
            variables.push((name, value));
        }
    }
}

struct Parser<'a> {
    text: &'a [u8],
    position: usize,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.position >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn skip_blank_lines(&mut self) {
        while matches!(self.peek(), Some(b'\n' | b' ' | b'\t')) {
            self.position += 1;
        }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.position += 1;
        }
    }

    /// A run of bytes up to a space or newline.
    fn word(&mut self) -> Vec<u8> {
        let start = self.position;
        while !matches!(self.peek(), None | Some(b' ' | b'\t' | b'\n')) {
            self.position += 1;
        }
        self.text[start..self.position].to_vec()
    }

    fn name(&mut self) -> Option<String> {
        let start = self.position;
        while self
            .peek()
            .is_some_and(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        {
            self.position += 1;
        }
        if start == self.position {
            return None;
        }
        String::from_utf8(self.text[start..self.position].to_vec()).ok()
    }

    /// One shell word made of quoted and unquoted parts, up to an unquoted space or newline.
    fn shell_word(&mut self) -> Option<Vec<u8>> {
        let mut value = Vec::new();
        loop {
            match self.peek() {
                None | Some(b' ' | b'\t' | b'\n') => return Some(value),
                Some(b'\'') => {
                    self.position += 1;
                    loop {
                        match self.next()? {
                            b'\'' => break,
                            byte => value.push(byte),
                        }
                    }
                }
                Some(b'"') => {
                    self.position += 1;
                    loop {
                        match self.next()? {
                            b'"' => break,
                            b'\\' => match self.next()? {
                                escaped @ (b'"' | b'\\' | b'$' | b'`') => value.push(escaped),
                                b'\n' => {}
                                other => value.extend_from_slice(&[b'\\', other]),
                            },
                            byte => value.push(byte),
                        }
                    }
                }
                Some(b'$') if self.text.get(self.position + 1) == Some(&b'\'') => {
                    self.position += 2;
                    self.ansi_c_quoted(&mut value)?;
                }
                Some(b'\\') => {
                    self.position += 1;
                    match self.next()? {
                        b'\n' => {}
                        byte => value.push(byte),
                    }
                }
                Some(byte) => {
                    self.position += 1;
                    value.push(byte);
                }
            }
        }
    }

    /// The body of `$'…'` after the opening quote, through the closing one.
    fn ansi_c_quoted(&mut self, value: &mut Vec<u8>) -> Option<()> {
        loop {
            match self.next()? {
                b'\'' => return Some(()),
                b'\\' => {
                    let escape = self.next()?;
                    match escape {
                        b'a' => value.push(0x07),
                        b'b' => value.push(0x08),
                        b'e' | b'E' => value.push(0x1b),
                        b'f' => value.push(0x0c),
                        b'n' => value.push(b'\n'),
                        b'r' => value.push(b'\r'),
                        b't' => value.push(b'\t'),
                        b'v' => value.push(0x0b),
                        b'0'..=b'7' => {
                            let mut number = u32::from(escape - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(digit @ b'0'..=b'7') => {
                                        number = number * 8 + u32::from(digit - b'0');
                                        self.position += 1;
                                    }
                                    _ => break,
                                }
                            }
                            value.push((number & 0xff) as u8);
                        }
                        b'x' => {
                            let number = self.hex_digits(2)?;
                            value.push((number & 0xff) as u8);
                        }
                        b'u' | b'U' => {
                            let digits = if escape == b'u' { 4 } else { 8 };
                            let number = self.hex_digits(digits)?;
                            let character = char::from_u32(number).unwrap_or('\u{fffd}');
                            let mut buffer = [0u8; 4];
                            value.extend_from_slice(character.encode_utf8(&mut buffer).as_bytes());
                        }
                        b'c' => {
                            let control = self.next()?;
                            value.push(control & 0x1f);
                        }
                        other => value.push(other),
                    }
                }
                byte => value.push(byte),
            }
        }
    }

    fn hex_digits(&mut self, most: usize) -> Option<u32> {
        let mut number = 0u32;
        let mut count = 0;
        while count < most {
            let Some(digit) = self.peek().and_then(|byte| (byte as char).to_digit(16)) else {
                break;
            };
            number = number * 16 + digit;
            self.position += 1;
            count += 1;
        }
        (count > 0).then_some(number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn parses_bash_and_dash_listings() {
        let bash = b"declare -x OLDPWD\ndeclare -x A=\"1\"\ndeclare -rx B=\"q\\\"u\\\\\\$x\\`y\"\n\
declare -x C=$'a\\nb\\001\\E\\303\\251'\ndeclare -x SHLVL=\"1\"\nexport D=\"posix\"\n";
        let state = parse_state(&[b"/opt\0".as_slice(), bash].concat()).unwrap();
        assert_eq!(state.cwd, "/opt");
        assert_eq!(
            state.env,
            pairs(&[
                ("A", "1"),
                ("B", "q\"u\\$x`y"),
                ("C", "a\nb\u{1}\u{1b}é"),
                ("D", "posix"),
            ])
        );
        let dash = b"export PWD='/x'\nexport X='a\nb'\nexport Y='it'\"'\"'s'\nexport Z\n";
        assert_eq!(
            parse_export_listing(dash).unwrap(),
            pairs(&[("PWD", "/x"), ("X", "a\nb"), ("Y", "it's")])
        );
    }

    #[test]
    fn malformed_state_is_rejected() {
        assert!(parse_state(b"").is_none());
        assert!(parse_state(b"relative\0").is_none());
        assert!(parse_state(b"/opt\0declare -x A=\"unterminated").is_none());
        assert!(parse_state(b"/opt\0garbage here\n").is_none());
        assert_eq!(parse_state(b"/opt\0").unwrap().env, Vec::new());
    }

    /// Runs the wrapper with `shell` and returns the state it saved.
    fn round_trip(shell: &str, command: &str, environment: &[(&str, &str)]) -> (i32, ShellState) {
        use std::io::Read;
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;

        let (mut reader, writer) = std::io::pipe().unwrap();
        let writer_fd = writer.as_raw_fd();
        let mut process = std::process::Command::new(shell);
        process
            .arg("-c")
            .arg(script(command, shell.ends_with("bash")))
            .env_clear()
            .env("PATH", "/usr/bin:/bin");
        for (name, value) in environment {
            process.env(name, value);
        }
        // SAFETY: dup2 is async-signal-safe and the closure allocates nothing.
        unsafe {
            process.pre_exec(move || {
                if libc::dup2(writer_fd, STATE_FD) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let status = process.status().unwrap();
        drop(process);
        drop(writer);
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).unwrap();
        (status.code().unwrap(), parse_state(&bytes).unwrap())
    }

    const TRICKY: &[&str] = &[
        "",
        "plain",
        "two\nlines",
        "q\"uote's",
        "back\\slash\\\\",
        "$dollar `tick`",
        "tab\there",
        "ctl\u{1}\u{1b}[0m\u{7f}",
        "ünïcødé ✓",
        " leading and trailing ",
        "=equals=",
    ];

    #[test]
    fn real_shells_round_trip_tricky_values() {
        for shell in ["/bin/bash", "/bin/dash"] {
            if !std::path::Path::new(shell).exists() {
                continue;
            }
            let environment: Vec<(String, &str)> = TRICKY
                .iter()
                .enumerate()
                .map(|(index, value)| (format!("V{index}"), *value))
                .collect();
            let borrowed: Vec<(&str, &str)> = environment
                .iter()
                .map(|(name, value)| (name.as_str(), *value))
                .collect();
            let (status, state) = round_trip(
                shell,
                "cd /tmp && export NEW='set
inside' && unset V1 && exit 3",
                &borrowed,
            );
            assert_eq!(status, 3, "{shell}");
            assert_eq!(state.cwd, "/tmp", "{shell}");
            assert_eq!(state.var("NEW"), Some("set\ninside"), "{shell}");
            assert_eq!(state.var("V1"), None, "{shell}");
            for (index, value) in TRICKY.iter().enumerate() {
                if index != 1 {
                    assert_eq!(
                        state.var(&format!("V{index}")),
                        Some(*value),
                        "{shell}: V{index}"
                    );
                }
            }
        }
    }
}
