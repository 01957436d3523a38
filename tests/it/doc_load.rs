//! Loading docs, run as the real binary (`agent-install doc <spec>`) against servers the tests
//! start on 127.0.0.1: wiremock for ordinary HTTP, and a small raw TCP server for what wiremock
//! cannot do (a connection accepted and never answered, a body that keeps streaming past the
//! cap without a Content-Length).
//!
//! Every bad case must exit 3 with an `error:` line naming the thing and a `hint:` line; the
//! good cases must show the doc's commands (script, style and navigation text of HTML pages
//! must not survive).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use crate::common::test::Ran;
use crate::common::{Test, fixture};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

const DOC_LOAD_FAILED: i32 = 3;

/// `agent-install doc <spec> [extra...]`, with no catalog override leaking in.
fn doc_command(spec: &str, extra: &[&str]) -> Test {
    Test::new()
        .env_remove("AGENT_INSTALL_CATALOG")
        .arg("doc")
        .arg(spec)
        .args(extra)
}

/// Runs a spec that must load and be shown; returns the output.
fn expect_loaded(test: Test) -> Ran {
    test.run()
}

/// Runs a spec that must fail to load: exit 3, the message parts in the `error:` line, and
/// the hint part in the `hint:` line, nothing on stdout.
fn expect_load_failure(test: Test, message_parts: &[&str], hint_part: &str) {
    let output = test.status(DOC_LOAD_FAILED).stdout("").run();
    let error_line = output
        .stderr
        .lines()
        .find(|line| line.starts_with("error: "))
        .unwrap_or_else(|| panic!("no `error:` line in stderr:\n{}", output.stderr));
    for part in message_parts {
        assert!(
            error_line.contains(part),
            "`{part}` missing from the error line:\n{}",
            output.stderr
        );
    }
    let hint_line = output
        .stderr
        .lines()
        .find(|line| line.starts_with("hint: "))
        .unwrap_or_else(|| panic!("no `hint:` line in stderr:\n{}", output.stderr));
    assert!(
        hint_line.contains(hint_part),
        "`{hint_part}` missing from the hint line:\n{}",
        output.stderr
    );
}

async fn mount(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

fn markdown(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/markdown")
}

const TOOL_DOC: &str = "# Tool\n\nOn Debian:\n\n```sh\nsudo apt-get install -y http-tool\n```\n";

/// A raw TCP server on 127.0.0.1 whose connections are handled by `handle` on a thread each.
/// The threads end with the test process.
fn raw_server(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    let address = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || handle(stream));
        }
    });
    address
}

/// Reads a request's head (up to the blank line), so the client sees it was received.
fn read_request_head(stream: &mut TcpStream) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    while !received.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(count) => received.extend_from_slice(&buffer[..count]),
        }
    }
}

/// A port on which nothing listens (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
    listener.local_addr().expect("local address").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_markdown_url_is_fetched_and_shown() {
    let server = MockServer::start().await;
    mount(&server, "/INSTALL.md", markdown(TOOL_DOC)).await;
    let url = format!("{}/INSTALL.md", server.uri());
    let output = expect_loaded(doc_command(&url, &[]));
    assert!(
        output.stdout.contains("apt-get install -y http-tool"),
        "{}",
        output.stdout
    );
    let output = expect_loaded(doc_command(&url, &["--json"]));
    let json: serde_json::Value = serde_json::from_str(&output.stdout)
        .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", output.stdout));
    assert!(
        json.to_string().contains("apt-get install -y http-tool"),
        "{json}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_html_page_is_converted_without_scripts_styles_or_navigation() {
    let server = MockServer::start().await;
    let page = std::fs::read(fixture("load/page.html")).expect("fixture");
    mount(
        &server,
        "/install",
        ResponseTemplate::new(200).set_body_raw(page, "text/html; charset=utf-8"),
    )
    .await;
    let output = expect_loaded(doc_command(&format!("{}/install", server.uri()), &[]));
    assert!(
        output.stdout.contains("apt-get install -y gadget"),
        "{}",
        output.stdout
    );
    for dropped in [
        "trackingScriptMarker",
        "beacon",
        "stylesheet-marker",
        "Docs navigation marker",
        "Sidebar menu marker",
        "Search form marker",
        "Footer marker",
    ] {
        assert!(
            !output.stdout.contains(dropped),
            "`{dropped}` survived the conversion:\n{}",
            output.stdout
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_chain_is_followed() {
    let server = MockServer::start().await;
    for (from, to) in [("/old", "/older"), ("/older", "/docs/INSTALL.md")] {
        mount(
            &server,
            from,
            ResponseTemplate::new(301).insert_header("location", to),
        )
        .await;
    }
    mount(&server, "/docs/INSTALL.md", markdown(TOOL_DOC)).await;
    let output = expect_loaded(doc_command(&format!("{}/old", server.uri()), &[]));
    assert!(output.stdout.contains("http-tool"), "{}", output.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_loop_is_refused() {
    let server = MockServer::start().await;
    for (from, to) in [("/ping", "/pong"), ("/pong", "/ping")] {
        mount(
            &server,
            from,
            ResponseTemplate::new(302).insert_header("location", to),
        )
        .await;
    }
    let url = format!("{}/ping", server.uri());
    expect_load_failure(
        doc_command(&url, &[]),
        &[&url, "redirects in a loop"],
        "final address",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_and_server_errors_name_the_status() {
    let server = MockServer::start().await;
    mount(&server, "/missing.md", ResponseTemplate::new(404)).await;
    mount(&server, "/broken.md", ResponseTemplate::new(500)).await;
    let missing = format!("{}/missing.md", server.uri());
    expect_load_failure(
        doc_command(&missing, &[]),
        &[&format!("`{missing}` returned 404 Not Found")],
        "check the URL, or pass a local file",
    );
    let broken = format!("{}/broken.md", server.uri());
    expect_load_failure(
        doc_command(&broken, &[]),
        &[&format!("`{broken}` returned 500 Internal Server Error")],
        "retry later",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_times_out() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/slow.md",
        markdown(TOOL_DOC).set_delay(Duration::from_secs(30)),
    )
    .await;
    let url = format!("{}/slow.md", server.uri());
    expect_load_failure(
        doc_command(&url, &["--fetch-timeout", "1"]),
        &[&url, "timed out after 1 s"],
        "--fetch-timeout",
    );
}

#[test]
fn a_connection_that_is_never_answered_times_out() {
    let address = raw_server(|mut stream| {
        read_request_head(&mut stream);
        std::thread::sleep(Duration::from_secs(60));
    });
    let url = format!("http://{address}/hangs.md");
    expect_load_failure(
        doc_command(&url, &["--fetch-timeout", "1"]),
        &[&url, "timed out"],
        "--fetch-timeout",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_body_is_refused_by_its_length() {
    let server = MockServer::start().await;
    mount(&server, "/huge.md", markdown(&"x".repeat(64 * 1024))).await;
    let url = format!("{}/huge.md", server.uri());
    expect_load_failure(
        doc_command(&url, &["--max-doc-size", "1024"]),
        &[
            &url,
            "larger than the 1.0 KiB (1024 bytes) limit",
            "65536 bytes",
        ],
        "--max-doc-size",
    );
}

#[test]
fn an_endless_body_is_cut_off_at_the_cap() {
    let address = raw_server(|mut stream| {
        read_request_head(&mut stream);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        // No Content-Length: only counting the bytes can stop this body. The client hanging
        // up makes the write fail, which ends the thread.
        let line = [b'y'; 4096];
        for _ in 0..100_000 {
            if stream.write_all(&line).is_err() {
                return;
            }
        }
    });
    let url = format!("http://{address}/endless.md");
    expect_load_failure(
        doc_command(&url, &["--max-doc-size", "10000", "--fetch-timeout", "20"]),
        &[&url, "more than 9.8 KiB (10000 bytes) arrived"],
        "--max-doc-size",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_content_is_refused() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/tool.tar.gz",
        ResponseTemplate::new(200).set_body_raw(
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03binary".to_vec(),
            "application/octet-stream",
        ),
    )
    .await;
    mount(
        &server,
        "/logo",
        ResponseTemplate::new(200).set_body_raw(b"whatever".to_vec(), "image/png"),
    )
    .await;
    let archive = format!("{}/tool.tar.gz", server.uri());
    expect_load_failure(
        doc_command(&archive, &[]),
        &[&archive, "gzip data, not a text doc"],
        "not an archive",
    );
    let image = format!("{}/logo", server.uri());
    expect_load_failure(
        doc_command(&image, &[]),
        &[&image, "served as `image/png`"],
        "not an archive",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn non_utf8_text_loads_with_a_warning() {
    let server = MockServer::start().await;
    let latin1 = std::fs::read(fixture("load/latin1.md")).expect("fixture");
    mount(
        &server,
        "/latin1.md",
        ResponseTemplate::new(200).set_body_raw(latin1, "text/plain"),
    )
    .await;
    let output = expect_loaded(doc_command(&format!("{}/latin1.md", server.uri()), &[]));
    assert!(
        output.stdout.contains("apt-get install -y cafe-tool"),
        "{}",
        output.stdout
    );
    assert!(
        output.stderr.contains("is not valid UTF-8"),
        "no warning on stderr:\n{}",
        output.stderr
    );
}

#[test]
fn an_unreachable_port_is_a_connect_error() {
    let url = format!("http://127.0.0.1:{}/doc.md", closed_port());
    expect_load_failure(
        doc_command(&url, &[]),
        &[&format!("could not connect to `{url}`"), "refused"],
        "server is up",
    );
}

#[test]
fn unsupported_schemes_are_refused() {
    expect_load_failure(
        doc_command("ftp://127.0.0.1/doc.md", &[]),
        &["`ftp://127.0.0.1/doc.md`", "unsupported scheme `ftp://`"],
        "http(s) URL",
    );
}

#[test]
fn a_local_html_file_loads() {
    let page = fixture("load/page.html");
    let output = expect_loaded(doc_command(page.to_str().expect("UTF-8 path"), &[]));
    assert!(
        output.stdout.contains("apt-get install -y gadget"),
        "{}",
        output.stdout
    );
    assert!(
        !output.stdout.contains("trackingScriptMarker"),
        "{}",
        output.stdout
    );
}

#[test]
fn local_file_failures_are_clear() {
    expect_load_failure(
        doc_command("./no/such/INSTALL.md", &[]),
        &["`./no/such/INSTALL.md` does not exist"],
        "check the path",
    );
    let bad = fixture("load/bad-front-matter.md");
    expect_load_failure(
        doc_command(bad.to_str().expect("UTF-8 path"), &[]),
        &["bad front matter", "bad-front-matter.md", "at line 3"],
        "+++",
    );
    let large = fixture("load/page.html");
    expect_load_failure(
        doc_command(
            large.to_str().expect("UTF-8 path"),
            &["--max-doc-size", "100"],
        ),
        &["page.html", "larger than the 100 bytes limit"],
        "--max-doc-size",
    );
    let directory = fixture("load");
    expect_load_failure(
        doc_command(directory.to_str().expect("UTF-8 path"), &[]),
        &["is a directory"],
        "README.md",
    );
}

#[test]
fn stdin_is_read_with_a_dash() {
    let output = expect_loaded(doc_command("-", &[]).stdin(TOOL_DOC));
    assert!(
        output.stdout.contains("apt-get install -y http-tool"),
        "{}",
        output.stdout
    );
}

#[test]
fn stdin_failures_are_clear() {
    expect_load_failure(
        doc_command("-", &["--max-doc-size", "10"]).stdin(TOOL_DOC),
        &["`stdin` is larger than the 10 bytes limit"],
        "--max-doc-size",
    );
    expect_load_failure(
        doc_command("-", &[]).stdin(b"\x7fELF\x02\x01\x01\x00".to_vec()),
        &["`stdin` is an ELF executable"],
        "not an archive",
    );
}

#[test]
fn catalog_names_resolve_in_the_catalog_directory() {
    let catalog = fixture("load/catalog");
    for name in ["widget", "WIDGET", "widget-tool"] {
        let output = expect_loaded(doc_command(name, &[]).env("AGENT_INSTALL_CATALOG", &catalog));
        assert!(
            output.stdout.contains("apt-get install -y widget"),
            "{name}: {}",
            output.stdout
        );
    }
}

#[test]
fn unknown_names_and_unreadable_catalogs_are_clear() {
    let catalog = fixture("load/catalog");
    expect_load_failure(
        doc_command("no-such-product", &[]).env("AGENT_INSTALL_CATALOG", &catalog),
        &["`no-such-product` is not a URL, an existing file, `-`, or a catalog name"],
        "catalog name: widget",
    );
    expect_load_failure(
        doc_command("widget", &[]).env("AGENT_INSTALL_CATALOG", "/nonexistent/catalog"),
        &["/nonexistent/catalog", "AGENT_INSTALL_CATALOG"],
        "unset it",
    );
}

#[test]
fn catalog_names_resolve_in_the_embedded_catalog() {
    let output = expect_loaded(doc_command("jq", &[]));
    assert!(output.stdout.contains("jq"), "{}", output.stdout);
}

#[test]
fn unknown_names_list_the_embedded_catalog() {
    expect_load_failure(
        doc_command("no-such-product", &[]),
        &["`no-such-product` is not a URL"],
        "jq",
    );
}

/// An `openssl s_server` child with a fresh self-signed certificate; killed on drop.
struct SelfSignedServer {
    child: std::process::Child,
    port: u16,
    _directory: tempfile::TempDir,
}

impl SelfSignedServer {
    /// `None` when the `openssl` command is missing (the test then says so and skips).
    fn start() -> Option<SelfSignedServer> {
        let directory = tempfile::tempdir().expect("temp dir");
        let key = directory.path().join("key.pem");
        let certificate = directory.path().join("cert.pem");
        let generated = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        assert!(generated.success(), "openssl req failed");
        let port = closed_port();
        let child = std::process::Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(port.to_string())
            .arg("-cert")
            .arg(&certificate)
            .arg("-key")
            .arg(&key)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let server = SelfSignedServer {
            child,
            port,
            _directory: directory,
        };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("openssl s_server did not listen on port {port}");
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_certificate_outside_the_system_store_is_a_tls_error() {
    let Some(server) = SelfSignedServer::start() else {
        eprintln!("skipped: the `openssl` command is not installed");
        return;
    };
    let url = format!("https://127.0.0.1:{}/INSTALL.md", server.port);
    expect_load_failure(
        doc_command(&url, &[]),
        &[&format!("TLS failed for `{url}`"), "certificate"],
        "ca-certificates",
    );
}

#[test]
fn an_existing_file_wins_over_a_catalog_name_and_a_directory_does_not() {
    let catalog = fixture("load/catalog");
    let here = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(here.path().join("widget")).expect("mkdir");
    let output = expect_loaded(
        doc_command("widget", &[])
            .current_dir(here.path())
            .env("AGENT_INSTALL_CATALOG", &catalog),
    );
    assert!(
        output.stdout.contains("apt-get install -y widget"),
        "{}",
        output.stdout
    );

    // The test's own directory is the working directory: the file is found there.
    let output = expect_loaded(
        doc_command("widget-tool", &[])
            .file(
                "widget-tool",
                "# Local widget\n\n```sh\napt-get install -y local-widget\n```\n",
            )
            .env("AGENT_INSTALL_CATALOG", &catalog),
    );
    assert!(output.stdout.contains("local-widget"), "{}", output.stdout);

    std::fs::create_dir(here.path().join("docs")).expect("mkdir");
    expect_load_failure(
        doc_command("docs", &[])
            .current_dir(here.path())
            .env("AGENT_INSTALL_CATALOG", &catalog),
        &["`docs` is a directory"],
        "README.md",
    );
}
