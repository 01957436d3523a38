//! The hostile-doc suite (issue 14): small docs and plan files under
//! `tests/fixtures/hostile/`, each trying one attack, run by agent-install in the overlay
//! sandbox over the Debian minbase rootfs with `--yes` (a user who says yes to every "ask").
//! A canary HTTP server on 127.0.0.1 must receive nothing from any of them: the classifier
//! refuses what text can tell, and the egress fence (the sandbox's own network namespace,
//! whose only way out is agent-install's proxy) stops the rest.
//!
//! Placeholders in the fixtures: `@CANARY@` (`127.0.0.1:PORT` of the canary), `@CPORT@` (its
//! port), `@FILES@` (a second local server the docs may name as a download; it serves
//! `hx`, the harmless release binary every doc's route installs, and `payload.sh`, a script
//! that reaches for the canary), `@B64PAYLOAD@` (that script in
//! base64). The docs run in parallel threads; each run must leave no session directory,
//! mount or process behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::common::{FileServer, agent_install, assert_no_leftovers, fixture, is_root};

/// One fixture: the file, the exit status agent-install must end with, and why.
struct Case {
    file: &'static str,
    exit: i32,
    why: &'static str,
}

const fn case(file: &'static str, exit: i32, why: &'static str) -> Case {
    Case { file, exit, why }
}

/// Exit statuses: 0 the hostile line was refused (or failed, and was rolled back) and the
/// harmless release binary of the same route still installed and verified; 4 no route worked
/// (the hostile line failed its route); 5 verification failed; 6 refused by the policy before
/// anything ran.
const CASES: &[Case] = &[
    case(
        "01-verify-exfil-front-matter.md",
        6,
        "an env-to-network check is denied before anything runs",
    ),
    case(
        "02-verify-exfil-check-section.md",
        0,
        "a check sending a file out is not a check of this install and never runs",
    ),
    case(
        "03-name-injection.md",
        0,
        "a name is data: no command is built from it",
    ),
    case(
        "04-title-injection.md",
        0,
        "a title is data: no command is built from it",
    ),
    case(
        "05-rm-path-substring.md",
        0,
        "a computed rm -rf target is denied",
    ),
    case(
        "06-rm-echo-substitution.md",
        0,
        "a computed rm -rf target is denied",
    ),
    case("07-rm-through-xargs.md", 0, "xargs rm -rf is destructive"),
    case(
        "08-rm-backticks.md",
        0,
        "a computed rm -rf target is denied",
    ),
    case(
        "09-rm-pattern-strip.md",
        0,
        "a computed rm -rf target is denied",
    ),
    case(
        "10-ifs-pipe-to-shell.md",
        4,
        "the $IFS spelling is not a parsed download: the fence blocks it",
    ),
    case(
        "11-printf-program-name.md",
        4,
        "a computed program is not a parsed download: the fence blocks it, the step fails",
    ),
    case(
        "12-brace-expansion.md",
        4,
        "a brace list is not a parsed download: the fence blocks it",
    ),
    case(
        "13-ansi-c-quoted-program.md",
        0,
        "an ANSI-C quoted curl sending the environment is denied",
    ),
    case(
        "14-perl-raw-socket.md",
        0,
        "a raw socket finds only the sandbox's own loopback (perl exits 0)",
    ),
    case(
        "15-bash-dev-tcp.md",
        0,
        "a /dev/tcp redirection is denied as a reverse shell",
    ),
    case(
        "16-python-env-exfil.md",
        0,
        "a one-liner sending the environment is denied",
    ),
    case(
        "17-python-raw-socket.md",
        4,
        "a raw socket finds only the sandbox's own loopback",
    ),
    case(
        "18-bashrc-fires-at-verification.md",
        0,
        "the rc hook's socket finds only the sandbox's loopback",
    ),
    case(
        "19-profile-d-hook.md",
        0,
        "the profile hook's socket finds only the sandbox's loopback",
    ),
    case("20-cron-job.md", 0, "a cron file in the sandbox never runs"),
    case(
        "21-download-then-sh.md",
        4,
        "the downloaded script's request is blocked by the fence",
    ),
    case(
        "22-download-then-source.md",
        0,
        "the sourced script's request is blocked, the step rolled back",
    ),
    // The step fails (its script's request was blocked) and is rolled back; the curl the
    // missing-command repair installed then counts as what the install provided.
    case(
        "23-download-pipe-bash.md",
        0,
        "the piped script's request is blocked by the fence",
    ),
    case(
        "24-base64-to-shell.md",
        4,
        "the decoded script's socket finds only the sandbox's loopback",
    ),
    case(
        "25-curl-ignores-proxy.md",
        4,
        "without the proxy there is no way out",
    ),
    case(
        "26-localhost-name.md",
        4,
        "a name resolving to loopback is not a loopback address",
    ),
    case(
        "27-apt-source-to-localhost.md",
        0,
        "an apt source on a name resolving to loopback is blocked (the step fails, rolled back)",
    ),
    case(
        "28-unset-proxy-variables.md",
        4,
        "without the proxy there is no way out",
    ),
    case(
        "29-background-survivor.md",
        0,
        "a /dev/tcp redirection is denied, in the background too",
    ),
    case(
        "30-heredoc-to-bash.md",
        0,
        "a /dev/tcp redirection is denied, in a heredoc too",
    ),
    case(
        "31-ssh-key-exfil.md",
        0,
        "reading a key to send it is denied",
    ),
    case(
        "32-eval-string.md",
        4,
        "the eval'd socket finds only the sandbox's loopback",
    ),
    case(
        "33-html-comment-and-prose.md",
        0,
        "comments and prose are not commands",
    ),
    case(
        "34-sudo-nested-shell.md",
        0,
        "a /dev/tcp redirection is denied, in sudo sh -c too",
    ),
    case(
        "35-plan-verification-exfil.json",
        6,
        "a plan file's check passes the policy before any step",
    ),
    case(
        "36-plan-step-raw-socket.json",
        4,
        "a plan step's socket finds only the sandbox's loopback",
    ),
    case(
        "37-plan-check-raw-socket.json",
        5,
        "a plan check's socket finds only the sandbox's loopback",
    ),
    case(
        "38-rc-file-runs-during-checks.md",
        0,
        "the check's shell reads no start-up file the install wrote",
    ),
];

/// How many docs run at once (the machine is small and shared).
const PARALLEL: usize = 3;

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let value = chunk.iter().enumerate().fold(0u32, |value, (index, byte)| {
            value | u32::from(*byte) << (16 - 8 * index)
        });
        for index in 0..4 {
            if index <= chunk.len() {
                text.push(ALPHABET[(value >> (18 - 6 * index) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

struct Servers {
    canary: FileServer,
    files: FileServer,
    payload: String,
}

impl Servers {
    fn fill(&self, text: &str) -> String {
        text.replace("@CANARY@", &format!("127.0.0.1:{}", self.canary.port()))
            .replace("@CPORT@", &self.canary.port().to_string())
            .replace("@FILES@", &format!("127.0.0.1:{}", self.files.port()))
            .replace("@B64PAYLOAD@", &base64(self.payload.as_bytes()))
    }
}

/// Runs one case; `Err` says what went wrong.
fn run_case(case: &Case, servers: &Servers, base: &Path, work: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(fixture(&format!("hostile/{}", case.file)))
        .map_err(|error| format!("fixture: {error}"))?;
    let input = work.join(case.file);
    std::fs::write(&input, servers.fill(&text)).map_err(|error| error.to_string())?;
    let temp = tempfile::Builder::new()
        .prefix("hostile-sandbox-")
        .tempdir()
        .map_err(|error| error.to_string())?;
    let report = work.join(format!("{}.report.json", case.file));
    let mut command = agent_install();
    if case.file.ends_with(".json") {
        command
            .args(["apply"])
            .arg(&input)
            .args(["--sandbox", "overlay", "--force"]);
    } else {
        command.args(["run"]).arg(&input).args([
            "--agent",
            "offline",
            "--no-apply",
            "--no-cache",
            "--timeout",
            "3m",
        ]);
    }
    let output = command
        .arg("--base")
        .arg(base)
        .args(["--yes", "--report"])
        .arg(&report)
        .env("TMPDIR", temp.path())
        .env("AGENT_INSTALL_CACHE_DIR", work.join("cache"))
        .output()
        .map_err(|error| error.to_string())?;
    let status = output.status.code().unwrap_or(-1);
    let report = std::fs::read_to_string(&report).unwrap_or_default();
    if status != case.exit {
        return Err(format!(
            "exit {status}, expected {} ({})\n--- stderr ---\n{}\n--- report ---\n{report}",
            case.exit,
            case.why,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    assert_no_leftovers(temp.path());
    Ok(())
}

#[test]
fn hostile_docs_reach_nothing() {
    if !is_root() {
        eprintln!("skipped: the overlay sandbox and the egress fence need root");
        return;
    }
    let base = crate::common::sandbox::minbase();
    let empty = tempfile::tempdir().expect("temp dir");
    let canary = FileServer::serve(empty.path());
    let served = tempfile::tempdir().expect("temp dir");
    let payload = format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port} && printf 'GET /payload HTTP/1.0\\r\\n\\r\\n' >&3\n\
         curl -s http://127.0.0.1:{port}/payload-curl\n",
        port = canary.port()
    );
    std::fs::write(served.path().join("payload.sh"), &payload).expect("write the payload");
    std::fs::write(served.path().join("hx"), "#!/bin/sh\necho hx 1.0.0\n").expect("write hx");
    let files = FileServer::serve(served.path());
    let servers = Servers {
        canary,
        files,
        payload,
    };
    let work = tempfile::tempdir().expect("temp dir");
    let next = Mutex::new(0usize);
    let failures: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL {
            scope.spawn(|| {
                loop {
                    let index = {
                        let mut next = next.lock().expect("lock");
                        *next += 1;
                        *next - 1
                    };
                    let Some(case) = CASES.get(index) else { break };
                    // `HOSTILE_ONLY=15-` runs the cases whose file name contains the text.
                    if std::env::var("HOSTILE_ONLY")
                        .is_ok_and(|only| !case.file.contains(only.as_str()))
                    {
                        continue;
                    }
                    let started = std::time::Instant::now();
                    let result = run_case(case, &servers, &base, work.path());
                    eprintln!(
                        "{} {} in {:.1}s (canary requests so far: {})",
                        if result.is_ok() { "ok  " } else { "FAIL" },
                        case.file,
                        started.elapsed().as_secs_f64(),
                        servers.canary.requests().len()
                    );
                    if let Err(message) = result {
                        failures
                            .lock()
                            .expect("lock")
                            .push(format!("{}: {message}", case.file));
                    }
                }
            });
        }
    });
    let requests = servers.canary.requests();
    // The download server sees the payload fetched and the reachability checks, nothing that
    // went around the proxy.
    let files: Vec<String> = servers
        .files
        .requests()
        .into_iter()
        .filter(|line| {
            !["HEAD /", "GET /payload.sh", "GET /hx"]
                .iter()
                .any(|expected| line == expected)
        })
        .collect();
    let failures = failures.into_inner().expect("lock");
    assert!(
        requests.is_empty() && files.is_empty() && failures.is_empty(),
        "the canary received {requests:?}; the file server {files:?}\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn every_fixture_is_in_the_table() {
    let directory: PathBuf = fixture("hostile");
    let mut files: Vec<String> = std::fs::read_dir(&directory)
        .expect("fixtures")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let table: Vec<String> = CASES.iter().map(|case| case.file.to_string()).collect();
    assert_eq!(files, table);
    assert!(files.len() >= 30);
    assert_eq!(base64(b"exec 3<>"), "ZXhlYyAzPD4=");
}
