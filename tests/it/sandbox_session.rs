//! The sandbox library as the session loop drives it: shell state that persists like one
//! terminal, streamed and bounded output, the filtered environment, per-step rollback, the host
//! and dry-run backends, and cleanup after a panic. Real commands in the real overlay sandbox.

use std::path::Path;
use std::time::Duration;

use crate::common::sandbox::*;
use crate::common::{assert_clean, assert_no_processes, process_alive};
use agent_install::sandbox::overlay::OverlaySandbox;
use agent_install::sandbox::{self, Backend, ChangeKind, ExecRequest, Sandbox, Stream};

fn host_overlay(temp: &Path) -> Box<dyn Sandbox> {
    sandbox::open(config(Path::new("/"), temp)).expect("overlay sandbox starts")
}

#[test]
fn working_directory_and_exported_variables_persist() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    run_ok(session.as_mut(), "cd /opt && export A=1");
    assert_eq!(run_ok(session.as_mut(), "pwd; echo $A"), "/opt\n1\n");

    // `exit N` and `set -e` still save the state; unset variables disappear.
    let (observation, _) = run(
        session.as_mut(),
        "cd /usr && export B='two\nlines' && unset A && exit 3",
    );
    assert_eq!(observation.exit_code, Some(3));
    assert_eq!(
        run_ok(session.as_mut(), "pwd; echo \"${A-unset}\"; echo \"$B\""),
        "/usr\nunset\ntwo\nlines\n"
    );
    assert_eq!(session.shell_state().cwd, "/usr");
    assert_eq!(session.shell_state().var("B"), Some("two\nlines"));

    // A killed shell cannot save its state: the previous one stays.
    let observation = session
        .exec(
            &ExecRequest::new("cd /tmp; export C=1; sleep 30")
                .with_timeout(Duration::from_millis(300)),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(observation.timed_out);
    assert_eq!(
        run_ok(session.as_mut(), "pwd; echo ${C-unset}"),
        "/usr\nunset\n"
    );
    session.discard().unwrap();
    assert_clean(temp.path());
}

#[test]
fn output_is_streamed_in_order_and_kept_bounded() {
    let temp = temp_root();
    let mut configuration = config(Path::new("/"), temp.path());
    configuration.limits.output_cap = 4096;
    let mut session = sandbox::open(configuration).unwrap();
    let (observation, lines) = run(
        session.as_mut(),
        "for i in $(seq 1 20000); do echo line $i; done; echo oops >&2; printf 'no newline'",
    );
    assert!(observation.success());
    let stdout: Vec<&str> = lines
        .iter()
        .filter(|(stream, _)| *stream == Stream::Stdout)
        .map(|(_, line)| line.as_str())
        .collect();
    assert_eq!(stdout.len(), 20001);
    assert_eq!(stdout[0], "line 1");
    assert_eq!(stdout[19999], "line 20000");
    assert_eq!(stdout[20000], "no newline");
    assert!(lines.contains(&(Stream::Stderr, "oops".to_string())));
    assert!(observation.stdout.head.starts_with("line 1\nline 2\n"));
    assert!(
        observation
            .stdout
            .tail
            .ends_with("line 20000\nno newline\n")
    );
    assert!(observation.stdout.head.len() + observation.stdout.tail.len() <= 4096);
    assert!(observation.stdout.omitted_bytes > 0);
    assert_eq!(observation.stdout.lines, 20001);
    assert_eq!(observation.stderr.text(), "oops\n");
}

#[test]
fn stdin_is_closed_and_secrets_stay_out() {
    let temp = temp_root();
    let mut configuration = config(Path::new("/"), temp.path());
    configuration.source_environment = Some(vec![
        (
            "PATH".to_string(),
            "/usr/sbin:/usr/bin:/sbin:/bin".to_string(),
        ),
        ("OPENAI_API_KEY".to_string(), "sk-secret".to_string()),
        ("GITHUB_TOKEN".to_string(), "ghp-secret".to_string()),
        ("DB_PASSWORD".to_string(), "hunter2".to_string()),
        ("PLAIN".to_string(), "visible".to_string()),
    ]);
    configuration.env_passthrough = vec!["GITHUB_TOKEN".to_string()];
    let mut session = sandbox::open(configuration).unwrap();
    // `cat` would hang on an open stdin; it must see end of file at once.
    let output = run_ok(
        session.as_mut(),
        "cat; echo ${OPENAI_API_KEY-none} ${DB_PASSWORD-none} $GITHUB_TOKEN ${PLAIN-none} $DEBIAN_FRONTEND; \
         cat /proc/1/environ | tr '\\0' '\\n' | grep -c SECRET || true",
    );
    // Not even a harmless-looking variable comes through unless passed by name (issue 14).
    assert_eq!(output, "none none ghp-secret none noninteractive\n0\n");
}

#[test]
fn a_failed_step_is_rolled_back_without_residue() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    run_ok(
        session.as_mut(),
        "mkdir -p /opt/kept && echo base > /opt/kept/file",
    );
    let before = session.snapshot().unwrap();
    let (observation, _) = run(
        session.as_mut(),
        "cd /opt && export STEP=half && echo 'deb http://broken/ x main' > \
         /etc/apt/sources.list.d/half-written.list && mkdir /opt/half && \
         echo partial > /opt/kept/file && rm /etc/issue.net && false",
    );
    assert_eq!(observation.exit_code, Some(1));
    assert!(session.delta().unwrap().get("/opt/half").is_some());
    session.rollback(before).unwrap();

    let output = run_ok(
        session.as_mut(),
        "pwd; echo ${STEP-none}; ls /etc/apt/sources.list.d/half-written.list 2>&1 | grep -c 'No such'; \
         test -e /opt/half && echo half-exists; cat /opt/kept/file; test -f /etc/issue.net && echo issue-back",
    );
    assert_eq!(output, format!("{}\nnone\n1\nbase\nissue-back\n", "/root"));
    let delta = session.delta().unwrap();
    let paths: Vec<&str> = delta.visible().map(|change| change.path.as_str()).collect();
    assert_eq!(paths, vec!["/opt/kept", "/opt/kept/file"]);
    assert!(!Path::new("/opt/kept").exists(), "the host was changed");
}

#[test]
fn snapshots_stack_and_the_delta_folds_them() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let empty = session.snapshot().unwrap();
    run_ok(
        session.as_mut(),
        "mkdir /opt/stack && echo 1 > /opt/stack/first && echo gone > /opt/stack/temporary",
    );
    let one = session.snapshot().unwrap();
    // Nothing changed: a second snapshot adds no layer but is a valid target.
    run_ok(session.as_mut(), "cat /opt/stack/first");
    let same = session.snapshot().unwrap();
    run_ok(
        session.as_mut(),
        "echo 2 > /opt/stack/second && rm /opt/stack/temporary && rm /etc/issue.net",
    );
    let two = session.snapshot().unwrap();
    run_ok(
        session.as_mut(),
        "echo 3 > /opt/stack/third && echo changed > /opt/stack/first",
    );

    let delta = session.delta().unwrap();
    let listed: Vec<(&str, ChangeKind)> = delta
        .visible()
        .map(|change| (change.path.as_str(), change.kind))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("/etc/issue.net", ChangeKind::Deleted),
            ("/opt/stack", ChangeKind::Added),
            ("/opt/stack/first", ChangeKind::Added),
            ("/opt/stack/second", ChangeKind::Added),
            ("/opt/stack/third", ChangeKind::Added),
        ]
    );

    session.rollback(two).unwrap();
    assert_eq!(
        run_ok(session.as_mut(), "ls /opt/stack; cat /opt/stack/first"),
        "first\nsecond\n1\n"
    );
    session.rollback(same).unwrap();
    assert_eq!(
        run_ok(
            session.as_mut(),
            "ls /opt/stack; test -f /etc/issue.net && echo issue"
        ),
        "first\ntemporary\nissue\n"
    );
    session.rollback(one).unwrap();
    session.rollback(empty).unwrap();
    assert_eq!(
        run_ok(session.as_mut(), "ls /opt/stack 2>/dev/null | wc -l"),
        "0\n"
    );
    assert!(
        session.rollback(two).is_err(),
        "a snapshot after the rollback target is gone"
    );
    assert!(session.delta().unwrap().changes.is_empty());
}

#[test]
fn a_timeout_kills_the_whole_process_tree() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let marker = "7346291";
    let started = std::time::Instant::now();
    let observation = session
        .exec(
            &ExecRequest::new(format!(
                "(sleep {marker}1 & setsid sleep {marker}2 & nohup sleep {marker}3 >/dev/null 2>&1 &) ; \
                 echo started; sleep {marker}4"
            ))
            .with_timeout(Duration::from_millis(500)),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(observation.timed_out);
    assert_eq!(observation.signal, Some(9));
    assert_eq!(observation.stdout.text(), "started\n");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_no_processes(&format!("sleep {marker}"));
    // The session is still usable after a timeout.
    assert_eq!(run_ok(session.as_mut(), "echo alive"), "alive\n");
}

#[test]
fn background_processes_end_with_their_command() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let marker = "5518237";
    let started = std::time::Instant::now();
    run_ok(
        session.as_mut(),
        &format!("setsid sleep {marker} >/dev/null 2>&1 & echo forked"),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_no_processes(&format!("sleep {marker}"));
}

#[test]
fn a_panic_while_a_sandbox_is_open_leaves_nothing_behind() {
    let temp = temp_root();
    let temp_path = temp.path().to_path_buf();
    let (sender, receiver) = std::sync::mpsc::channel();
    let result = std::thread::spawn(move || {
        let mut session = OverlaySandbox::open(config(Path::new("/"), &temp_path)).unwrap();
        sender.send(session.process_ids()).unwrap();
        session
            .exec(
                &ExecRequest::new("echo x > /opt/panic-test"),
                &mut |_, _| {},
            )
            .unwrap();
        panic!("deliberate panic with an open sandbox");
    })
    .join();
    assert!(result.is_err());
    let processes = receiver.recv().unwrap();
    assert_eq!(processes.len(), 2, "helper and init");
    for pid in processes {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while process_alive(pid) {
            assert!(
                std::time::Instant::now() < deadline,
                "process {pid} survived"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_clean(temp.path());
}

#[test]
fn the_host_backend_runs_on_the_machine() {
    let temp = temp_root();
    let mut configuration = config(Path::new("/"), temp.path());
    configuration.backend = Backend::Host;
    configuration.cwd = Some(temp.path().to_string_lossy().into_owned());
    let mut session = sandbox::open(configuration).unwrap();
    run_ok(
        session.as_mut(),
        "mkdir sub && cd sub && export HOSTVAR=yes && echo made > file",
    );
    assert!(
        temp.path().join("sub/file").exists(),
        "host mode writes the host"
    );
    assert_eq!(
        run_ok(session.as_mut(), "pwd; echo $HOSTVAR"),
        format!("{}/sub\nyes\n", temp.path().display())
    );
    let marker = "6610243";
    let observation = session
        .exec(
            &ExecRequest::new(format!("(setsid sleep {marker} &); sleep {marker}"))
                .with_timeout(Duration::from_millis(300)),
            &mut |_, _| {},
        )
        .unwrap();
    assert!(observation.timed_out);
    assert_no_processes(&format!("sleep {marker}"));
    assert!(!session.tracks_changes());
    let snapshot = session.snapshot().unwrap();
    assert!(session.rollback(snapshot).is_err());
    assert!(session.delta().is_err());
    session.discard().unwrap();
}

#[test]
fn the_dry_run_backend_executes_nothing() {
    let temp = temp_root();
    let mut configuration = config(Path::new("/"), temp.path());
    configuration.backend = Backend::DryRun;
    let mut session = sandbox::open(configuration).unwrap();
    let marker = temp.path().join("must-not-exist");
    let (observation, lines) = run(session.as_mut(), &format!("touch {}", marker.display()));
    assert!(!observation.executed);
    assert!(observation.success());
    assert!(lines.is_empty());
    assert!(!marker.exists());
    assert!(session.delta().unwrap().changes.is_empty());
}

#[test]
fn an_interrupter_ends_a_running_command() {
    let temp = temp_root();
    let mut session = host_overlay(temp.path());
    let interrupter = session.interrupter();
    let marker = "4471920";
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        interrupter.interrupt();
    });
    let result = session.exec(&ExecRequest::new(format!("sleep {marker}")), &mut |_, _| {});
    killer.join().unwrap();
    assert!(
        matches!(result, Err(sandbox::SandboxError::Interrupted)),
        "{result:?}"
    );
    assert_no_processes(&format!("sleep {marker}"));
    session.discard().unwrap();
    assert_clean(temp.path());
}
