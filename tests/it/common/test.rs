//! `Test`: one run of the real binary, described fluently and checked in one place.
//!
//! A test says what the run gets (a doc, other files, arguments, environment, stdin) and what it
//! must show (exit status, text that stdout or stderr must or must not hold), then calls
//! [`Test::run`]. The run happens in a temp dir of its own with the clean environment of
//! [`agent_install`](super::agent_install); when a check fails, the message holds the command,
//! the exit status and both streams, so a failure can be debugged from the log alone. `run`
//! returns the output (and keeps the temp dir alive) for checks the builder does not cover.

use std::ffi::OsString;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use super::{Output, agent_install};

/// The name [`Test::doc`] writes its text under, in the test's directory.
pub const DOC: &str = "doc.md";

/// A run of `agent-install` to set up, run and check.
#[must_use = "a Test does nothing until `.run()`"]
pub struct Test {
    directory: tempfile::TempDir,
    current_dir: Option<PathBuf>,
    args: Vec<OsString>,
    /// Variables set (`Some`) or removed (`None`), in the order the test said; the last word
    /// on a name wins.
    env: Vec<(OsString, Option<OsString>)>,
    stdin: Option<Vec<u8>>,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
    stdout_has: Vec<String>,
    stdout_lacks: Vec<String>,
    stderr_has: Vec<String>,
    stderr_lacks: Vec<String>,
}

impl Test {
    /// A run with no arguments in a fresh temp dir, expected to exit 0.
    pub fn new() -> Test {
        Test {
            directory: tempfile::Builder::new()
                .prefix("cli-test-")
                .tempdir()
                .expect("temp dir"),
            current_dir: None,
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            status: 0,
            stdout: None,
            stderr: None,
            stdout_has: Vec::new(),
            stdout_lacks: Vec::new(),
            stderr_has: Vec::new(),
            stderr_lacks: Vec::new(),
        }
    }

    /// The test's own directory (the command's working directory unless
    /// [`Test::current_dir`] says otherwise).
    pub fn path(&self) -> &Path {
        self.directory.path()
    }

    /// Writes `text` as the doc, [`DOC`] in the test's directory (pass [`DOC`] or
    /// [`Test::doc_path`] in the arguments to use it).
    pub fn doc(self, text: &str) -> Test {
        self.file(DOC, text)
    }

    /// The absolute path of the doc that [`Test::doc`] writes.
    pub fn doc_path(&self) -> PathBuf {
        self.path().join(DOC)
    }

    /// Writes a file (any parent directories too) under the test's directory.
    pub fn file(self, relative: &str, content: impl AsRef<[u8]>) -> Test {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's directory");
        }
        std::fs::write(&path, content).unwrap_or_else(|error| panic!("write {relative}: {error}"));
        self
    }

    /// Runs the command in `directory` instead of the test's own.
    pub fn current_dir(mut self, directory: &Path) -> Test {
        self.current_dir = Some(directory.to_path_buf());
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> Test {
        self.env.push((name.into(), Some(value.into())));
        self
    }

    pub fn env_remove(mut self, name: impl Into<OsString>) -> Test {
        self.env.push((name.into(), None));
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Test {
        self.stdin = Some(input.into());
        self
    }

    /// The exit status the run must end with (0 unless said).
    pub fn status(mut self, status: i32) -> Test {
        self.status = status;
        self
    }

    /// stdout must be exactly `text`.
    pub fn stdout(mut self, text: &str) -> Test {
        self.stdout = Some(text.to_string());
        self
    }

    pub fn stdout_has(mut self, text: &str) -> Test {
        self.stdout_has.push(text.to_string());
        self
    }

    pub fn stdout_lacks(mut self, text: &str) -> Test {
        self.stdout_lacks.push(text.to_string());
        self
    }

    /// stderr must be exactly `text`.
    pub fn stderr(mut self, text: &str) -> Test {
        self.stderr = Some(text.to_string());
        self
    }

    pub fn stderr_has(mut self, text: &str) -> Test {
        self.stderr_has.push(text.to_string());
        self
    }

    pub fn stderr_lacks(mut self, text: &str) -> Test {
        self.stderr_lacks.push(text.to_string());
        self
    }

    /// Runs the binary and checks everything that was asked; returns what it printed.
    pub fn run(self) -> Ran {
        let mut command = agent_install();
        command
            .current_dir(self.current_dir.as_deref().unwrap_or(self.path()))
            .args(&self.args);
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        if let Some(input) = &self.stdin {
            command.write_stdin(input.clone());
        }
        let output = Output::from(command.output().expect("agent-install runs"));
        let context = format!(
            "command: {command:?}\n--- status {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            output.status, output.stdout, output.stderr
        );
        assert_eq!(
            output.status, self.status,
            "unexpected exit status\n{context}"
        );
        if let Some(expected) = &self.stdout {
            assert_eq!(&output.stdout, expected, "unexpected stdout\n{context}");
        }
        if let Some(expected) = &self.stderr {
            assert_eq!(&output.stderr, expected, "unexpected stderr\n{context}");
        }
        for (stream, text, expected, present) in [
            ("stdout", &output.stdout, &self.stdout_has, true),
            ("stdout", &output.stdout, &self.stdout_lacks, false),
            ("stderr", &output.stderr, &self.stderr_has, true),
            ("stderr", &output.stderr, &self.stderr_lacks, false),
        ] {
            for needle in expected {
                assert_eq!(
                    text.contains(needle.as_str()),
                    present,
                    "{stream} should {}contain {needle:?}\n{context}",
                    if present { "" } else { "not " }
                );
            }
        }
        Ran {
            output,
            directory: self.directory,
        }
    }
}

/// A finished [`Test`]: its output (through `Deref`) and its directory, kept until dropped.
pub struct Ran {
    pub output: Output,
    directory: tempfile::TempDir,
}

impl Ran {
    /// The directory the command ran in (files it wrote are there).
    pub fn path(&self) -> &Path {
        self.directory.path()
    }
}

impl Deref for Ran {
    type Target = Output;

    fn deref(&self) -> &Output {
        &self.output
    }
}
