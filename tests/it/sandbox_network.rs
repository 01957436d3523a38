//! `--network off` gives the sandbox its own network namespace: a server the test runs on the
//! host's 127.0.0.1 is unreachable inside, and reachable with the network on. Name resolution
//! uses the host's resolv.conf and hosts either way.

use std::io::Write;
use std::net::TcpListener;
use std::process::Command;

use crate::common::sandbox::*;
use crate::common::{assert_clean, binary};

/// A server on 127.0.0.1 that answers every connection with `pong`.
fn pong_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.write_all(b"pong\n");
        }
    });
    port
}

fn sandbox_exec(temp: &std::path::Path, arguments: &[&str]) -> (i32, String, String) {
    let output = Command::new(binary())
        .args(["sandbox", "exec"])
        .args(arguments)
        .env("TMPDIR", temp)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_host_loopback_server_is_reachable_only_with_the_network_on() {
    let temp = temp_root();
    let port = pong_server();
    let probe = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && head -n 1 <&3");

    let (status, stdout, stderr) = sandbox_exec(temp.path(), &["--", &probe]);
    assert_eq!(
        (status, stdout.as_str()),
        (0, "pong\n"),
        "network on:\n{stderr}"
    );

    let (status, stdout, stderr) = sandbox_exec(temp.path(), &["--network", "off", "--", &probe]);
    assert_eq!(status, 1, "network off must fail:\n{stdout}\n{stderr}");
    assert!(
        stderr.contains("Connection refused") || stderr.contains("Network is unreachable"),
        "{stderr}"
    );

    // The offline profile says the same.
    let (status, _, _) = sandbox_exec(temp.path(), &["--profile", "offline", "--", &probe]);
    assert_eq!(status, 1);

    // Loopback itself works inside (its own, empty one).
    let (status, stdout, stderr) = sandbox_exec(
        temp.path(),
        &[
            "--network",
            "off",
            "--",
            "cat /sys/class/net/lo/operstate; ls /sys/class/net",
        ],
    );
    assert_eq!(status, 0, "{stderr}");
    assert!(stdout.ends_with("lo\n"), "only loopback inside: {stdout}");
    assert_clean(temp.path());
}

#[test]
fn the_host_resolver_configuration_is_visible_and_read_only() {
    let temp = temp_root();
    for network in ["on", "off"] {
        let (status, stdout, stderr) = sandbox_exec(
            temp.path(),
            &[
                "--network",
                network,
                "--",
                "cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; \
                 echo 'nameserver 6.6.6.6' > /etc/resolv.conf && echo wrote",
            ],
        );
        let expected = format!(
            "{}---\n{}---\n",
            std::fs::read_to_string("/etc/resolv.conf").unwrap(),
            std::fs::read_to_string("/etc/hosts").unwrap()
        );
        assert_eq!(
            status, 1,
            "the bind mount is read-only:\n{stdout}\n{stderr}"
        );
        assert_eq!(stdout, expected);
    }
    assert_clean(temp.path());
}
