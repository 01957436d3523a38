//! Sandbox overhead: `true` run directly, in one overlay session (many commands), in a fresh
//! overlay sandbox per command, and on the host backend; plus the cost of a snapshot and of a
//! rollback per step. Prints milliseconds per command and the ratio to running directly.
//!
//! Run with `cargo bench --bench sandbox` (as root for the overlay on `/`; a user namespace is
//! used otherwise). `SANDBOX_BENCH_ITERATIONS` sets the count (default 200). A plain timing
//! program rather than criterion: the numbers are whole-command latencies of milliseconds,
//! measured the same way for each variant, which is what the goal (≤ 5 ms per command within a
//! session) is about.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use agent_install::sandbox::{self, Backend, ExecRequest, Sandbox, SandboxConfig};

fn config(backend: Backend, temp: &Path) -> SandboxConfig {
    let mut config = SandboxConfig::new(backend);
    config.helper = Some(PathBuf::from(env!("CARGO_BIN_EXE_agent-install")));
    config.temp_root = Some(temp.to_path_buf());
    config
}

fn exec(session: &mut dyn Sandbox, command: &str) {
    let observation = session
        .exec(&ExecRequest::new(command), &mut |_, _| {})
        .expect("exec");
    assert!(
        observation.success(),
        "`{command}` failed: {}",
        observation.stderr.text()
    );
}

fn per_command(total: Duration, count: usize) -> f64 {
    total.as_secs_f64() * 1000.0 / count as f64
}

fn main() {
    let iterations: usize = std::env::var("SANDBOX_BENCH_ITERATIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(200);
    let temp = tempfile::tempdir().expect("temp dir");

    let started = Instant::now();
    for _ in 0..iterations {
        let status = Command::new("true").status().expect("true");
        assert!(status.success());
    }
    let direct = per_command(started.elapsed(), iterations);

    let started = Instant::now();
    for _ in 0..iterations {
        let status = Command::new("bash")
            .args(["-c", "true"])
            .status()
            .expect("bash");
        assert!(status.success());
    }
    let direct_bash = per_command(started.elapsed(), iterations);

    let mut session = sandbox::open(config(Backend::Overlay, temp.path())).expect("overlay");
    exec(session.as_mut(), "true");
    let started = Instant::now();
    for _ in 0..iterations {
        exec(session.as_mut(), "true");
    }
    let in_session = per_command(started.elapsed(), iterations);

    // Per step: a command that writes, a snapshot (freezes the layer), and the next command
    // (which starts the next generation's helper).
    let steps = iterations.min(50);
    let started = Instant::now();
    for step in 0..steps {
        exec(
            session.as_mut(),
            &format!("echo {step} > /opt/bench-step-{step}"),
        );
    }
    let writing_commands = started.elapsed();
    // The trailing command pays for the last restart; one plain command is subtracted again.
    let one_command = Duration::from_secs_f64(in_session / 1000.0);
    let started = Instant::now();
    for step in 0..steps {
        exec(
            session.as_mut(),
            &format!("echo {step} > /opt/bench-snapshot-{step}"),
        );
        session.snapshot().expect("snapshot");
    }
    exec(session.as_mut(), "true");
    let with_snapshots = started.elapsed();
    let snapshot_cost = per_command(
        with_snapshots.saturating_sub(writing_commands + one_command),
        steps,
    );
    let target = session.snapshot().expect("snapshot");
    let started = Instant::now();
    for step in 0..steps {
        exec(
            session.as_mut(),
            &format!("echo {step} > /opt/bench-rollback-{step}"),
        );
        session.rollback(target).expect("rollback");
    }
    exec(session.as_mut(), "true");
    let with_rollbacks = started.elapsed();
    let rollback_cost = per_command(
        with_rollbacks.saturating_sub(writing_commands + one_command),
        steps,
    );
    exec(session.as_mut(), "true");
    session.discard().expect("discard");

    let fresh_count = iterations.min(100);
    let started = Instant::now();
    for _ in 0..fresh_count {
        let mut session = sandbox::open(config(Backend::Overlay, temp.path())).expect("overlay");
        exec(session.as_mut(), "true");
        session.discard().expect("discard");
    }
    let fresh = per_command(started.elapsed(), fresh_count);

    let mut host = sandbox::open(config(Backend::Host, temp.path())).expect("host");
    let started = Instant::now();
    for _ in 0..iterations {
        exec(host.as_mut(), "true");
    }
    let on_host = per_command(started.elapsed(), iterations);
    host.discard().expect("discard");

    println!("sandbox overhead, `true` x {iterations} (ms per command)");
    println!("  direct: true                      {direct:8.3}");
    println!("  direct: bash -c true              {direct_bash:8.3}");
    println!(
        "  overlay, one session              {in_session:8.3}   overhead {:6.3} ms  ratio {:5.1}x (vs true) {:5.1}x (vs bash -c)",
        in_session - direct,
        in_session / direct,
        in_session / direct_bash
    );
    println!(
        "  overlay, fresh sandbox each       {fresh:8.3}   overhead {:6.3} ms  ratio {:5.1}x  (x {fresh_count})",
        fresh - direct,
        fresh / direct
    );
    println!(
        "  host backend, one session         {on_host:8.3}   overhead {:6.3} ms  ratio {:5.1}x",
        on_host - direct,
        on_host / direct
    );
    println!("per step ({steps} steps that write a file)");
    println!("  snapshot (freeze + next helper)   {snapshot_cost:8.3}");
    println!("  rollback (drop layer + helper)    {rollback_cost:8.3}");
}
