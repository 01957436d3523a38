//! How long the environment probe takes: in-process (`probe::probe`, what `run` pays before
//! planning) and as a whole process (`agent-install probe --json`, what a user or script
//! pays, including process start and the runtime).
//!
//! Both are dominated by the slowest tool the probe runs, not by our code, so the figures
//! depend on the machine; run `cargo bench --bench probe` and compare on one machine.

use std::process::{Command, Stdio};
use std::time::Duration;

use agent_install::probe::{ProbeOptions, probe};
use criterion::{Criterion, criterion_group, criterion_main};

fn in_process(criterion: &mut Criterion) {
    let Ok(runtime) = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    else {
        eprintln!("could not start a tokio runtime; skipping the in-process benchmark");
        return;
    };
    let options = ProbeOptions::default();
    let mut group = criterion.benchmark_group("probe");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("in-process", |bencher| {
        bencher.iter(|| runtime.block_on(probe(&options)));
    });
    group.finish();
}

fn whole_process(criterion: &mut Criterion) {
    // Cargo builds the binary with the bench profile (optimized) and tells benches where it is.
    let binary = env!("CARGO_BIN_EXE_agent-install");
    let mut group = criterion.benchmark_group("probe");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("agent-install probe --json", |bencher| {
        bencher.iter(|| {
            let status = Command::new(binary)
                .args(["probe", "--json"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            assert!(status.is_ok_and(|status| status.success()));
        });
    });
    group.finish();
}

criterion_group!(benches, in_process, whole_process);
criterion_main!(benches);
