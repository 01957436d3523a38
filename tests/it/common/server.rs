//! `FileServer`: the products a test builds (tarballs, an apt repository, a Python package
//! index, docs behind repository URLs) served on 127.0.0.1 by wiremock.
//!
//! Every request is answered from the directory at the time it arrives, so a test may write
//! files after starting the server; a directory is served as its `index.html`. wiremock records
//! the requests, so a test can also prove that nothing was sent. The sandbox shares the host's
//! network namespace, so commands in it reach the server at the same address. (A raw TCP server
//! is kept only where a test needs a broken peer: `doc_load`'s truncated and hanging answers,
//! and the fake LLM service's cut connection in `common::llm`.)

use std::path::{Component, Path, PathBuf};

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A static file server that stops when dropped. Its API is synchronous, for synchronous tests:
/// wiremock runs the server on a thread of its own, and a small runtime here drives the calls
/// that set it up and read its records.
pub struct FileServer {
    // Declared first so it is dropped (returned to wiremock's pool) while the runtime exists.
    server: MockServer,
    runtime: tokio::runtime::Runtime,
}

impl FileServer {
    pub fn serve(root: &Path) -> FileServer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the file server");
        let server = runtime.block_on(async {
            let server = MockServer::start().await;
            Mock::given(any())
                .respond_with(Directory {
                    root: root.to_path_buf(),
                })
                .mount(&server)
                .await;
            server
        });
        FileServer { server, runtime }
    }

    pub fn port(&self) -> u16 {
        self.server.address().port()
    }

    /// `http://127.0.0.1:PORT/` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port(),
            path.trim_start_matches('/')
        )
    }

    /// The requests received so far, as method and target (`GET /simple/x/`).
    pub fn requests(&self) -> Vec<String> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap_or_default()
            .iter()
            .map(|request| {
                let target = match request.url.query() {
                    Some(query) => format!("{}?{query}", request.url.path()),
                    None => request.url.path().to_string(),
                };
                format!("{} {target}", request.method)
            })
            .collect()
    }
}

/// Answers `GET` and `HEAD` with the file the path names under `root`.
struct Directory {
    root: PathBuf,
}

impl Respond for Directory {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request.method.as_str();
        if method != "GET" && method != "HEAD" {
            return ResponseTemplate::new(405)
                .insert_header("Content-Type", "text/plain")
                .set_body_string("method not allowed\n");
        }
        match resolve(&self.root, request.url.path()).map(|file| (std::fs::read(&file), file)) {
            Some((Ok(content), file)) => ResponseTemplate::new(200)
                .insert_header("Content-Type", content_type_of(&file))
                .set_body_bytes(content),
            _ => ResponseTemplate::new(404)
                .insert_header("Content-Type", "text/plain")
                .set_body_string("not found\n"),
        }
    }
}

/// The file a URL path names under `root` (a directory's `index.html`); `None` outside it.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    // apt asks for `/./Packages` in a flat repository: `.` is fine, `..` is not.
    let mut file = root.to_path_buf();
    for component in Path::new(path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(name) => file.push(name),
            Component::CurDir => {}
            _ => return None,
        }
    }
    let file = if file.is_dir() {
        file.join("index.html")
    } else {
        file
    };
    file.is_file().then_some(file)
}

fn content_type_of(file: &Path) -> &'static str {
    match file.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html",
        Some("md" | "txt" | "sh") => "text/plain",
        _ => "application/octet-stream",
    }
}
