//! Fetching a doc over HTTP: one request with the limits every doc gets (connect and total
//! timeouts, the size cap while the body streams in, a redirect chain capped and stopped on loops
//! and https → http downgrades), repository pages turned into their README, and reqwest's
//! errors turned into a [`LoadError`] that says what happened.

use reqwest::Url;

use super::decode::decode_doc;
use super::{LoadError, LoadOptions, LoadedDoc, Origin, load_file};
use crate::doc::repository;

pub(super) async fn load_url(spec: &str, options: &LoadOptions) -> Result<LoadedDoc, LoadError> {
    let url = Url::parse(spec).map_err(|error| LoadError::InvalidUrl {
        url: spec.to_string(),
        reason: error.to_string(),
    })?;
    match url.scheme() {
        "http" | "https" => {}
        "file" => {
            let path = url.to_file_path().map_err(|()| LoadError::InvalidUrl {
                url: spec.to_string(),
                reason: "a file URL needs an absolute local path (`file:///path/doc.md`)".into(),
            })?;
            let origin = Origin::File { path: path.clone() };
            return load_file(&path, origin, options).await;
        }
        scheme => {
            return Err(LoadError::UnsupportedScheme {
                url: spec.to_string(),
                scheme: scheme.to_string(),
            });
        }
    }
    if let Some(page) = repository::repository_page(&url) {
        return load_repository(spec, &page, options).await;
    }
    let target = repository::raw_file_url(&url).unwrap_or(url);
    let fetched = fetch_within_timeout(spec, &target, options).await?;
    let origin = Origin::Url {
        requested: spec.to_string(),
        fetched: fetched.url.to_string(),
    };
    decode_doc(&fetched.bytes, origin, spec, fetched.declared_html)
}

async fn fetch_within_timeout(
    requested: &str,
    url: &Url,
    options: &LoadOptions,
) -> Result<Fetched, LoadError> {
    // reqwest's own total timeout covers the body too; this one also bounds anything around it.
    tokio::time::timeout(options.timeout, fetch(requested, url, options))
        .await
        .map_err(|_| LoadError::Timeout {
            url: requested.to_string(),
            after: options.timeout,
        })?
}

/// A repository's page (root or directory): its README, from the forge's raw host. When the
/// README installs nothing itself and links to an install file of the repository ("see
/// INSTALL.md"), that file is the doc, with a warning that says so.
async fn load_repository(
    spec: &str,
    page: &repository::RepositoryPage,
    options: &LoadOptions,
) -> Result<LoadedDoc, LoadError> {
    let mut tried = Vec::new();
    let mut readme = None;
    for candidate in page.readme_candidates() {
        match fetch_within_timeout(spec, &candidate, options).await {
            Ok(fetched) => {
                readme = Some(fetched);
                break;
            }
            Err(LoadError::HttpStatus {
                status: 404 | 410, ..
            }) => tried.push(
                candidate
                    .path()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(error) => return Err(error),
        }
    }
    let Some(readme) = readme else {
        tried.dedup();
        return Err(LoadError::NoReadme {
            url: spec.to_string(),
            tried,
        });
    };
    tracing::info!("{spec}: the repository's README is {}", readme.url);
    let origin = Origin::Url {
        requested: spec.to_string(),
        fetched: readme.url.to_string(),
    };
    let mut doc = decode_doc(&readme.bytes, origin, spec, readme.declared_html)?;
    let Some(link) = repository::install_link(&doc.text) else {
        return Ok(doc);
    };
    let target = Url::parse(&link)
        .ok()
        .map(|absolute| repository::raw_file_url(&absolute).unwrap_or(absolute))
        .or_else(|| readme.url.join(&link).ok());
    let Some(mut target) = target else {
        return Ok(doc);
    };
    target.set_fragment(None);
    match fetch_within_timeout(spec, &target, options).await {
        Ok(install) => {
            let origin = Origin::Url {
                requested: spec.to_string(),
                fetched: install.url.to_string(),
            };
            let mut followed = decode_doc(&install.bytes, origin, spec, install.declared_html)?;
            followed.warnings.insert(
                0,
                format!(
                    "the README installs nothing itself and points to `{link}`: that is the doc"
                ),
            );
            Ok(followed)
        }
        Err(error) => {
            doc.warnings.push(format!(
                "the README points to `{link}` for installing, which could not be loaded ({error}); \
                 the README is the doc"
            ));
            Ok(doc)
        }
    }
}

/// Rewrites a GitHub page URL of a file (`https://github.com/O/R/blob/REF/PATH`, also `raw/`)
/// to the raw file (`https://raw.githubusercontent.com/O/R/REF/PATH`), which is the Markdown
/// itself instead of an HTML page around it. `None` for every other URL (GitLab and Codeberg
/// file pages: [`repository::raw_file_url`]).
pub fn github_raw_url(url: &Url) -> Option<Url> {
    let host = url.host_str()?.to_ascii_lowercase();
    if host != "github.com" && host != "www.github.com" {
        return None;
    }
    repository::raw_file_url(url)
}

/// A fetched body and what its response said about it.
struct Fetched {
    url: Url,
    bytes: Vec<u8>,
    declared_html: bool,
}

/// What stopped a redirect chain; carried through reqwest's error to [`classify`].
#[derive(Debug, thiserror::Error)]
enum RedirectProblem {
    #[error("redirect loop back to {0}")]
    Loop(String),
    #[error("more than {0} redirects")]
    TooMany(usize),
    #[error("redirect from https to http ({0})")]
    Downgrade(String),
}

fn redirect_policy(max_redirects: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        // `previous` starts with the original URL, then every URL redirected to so far.
        let next = attempt.url().clone();
        let previous = attempt.previous();
        if previous.contains(&next) {
            attempt.error(RedirectProblem::Loop(next.to_string()))
        } else if previous.len() > max_redirects {
            attempt.error(RedirectProblem::TooMany(max_redirects))
        } else if previous.last().is_some_and(|last| last.scheme() == "https")
            && next.scheme() == "http"
        {
            attempt.error(RedirectProblem::Downgrade(next.to_string()))
        } else {
            attempt.follow()
        }
    })
}

async fn fetch(requested: &str, url: &Url, options: &LoadOptions) -> Result<Fetched, LoadError> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("agent-install/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.connect_timeout)
        .timeout(options.timeout)
        .redirect(redirect_policy(options.max_redirects))
        .build()
        .map_err(|error| classify(requested, &error, options))?;
    let mut response = client
        .get(url.clone())
        .header(
            reqwest::header::ACCEPT,
            "text/markdown, text/plain;q=0.9, text/html;q=0.8, */*;q=0.5",
        )
        .send()
        .await
        .map_err(|error| classify(requested, &error, options))?;
    let final_url = response.url().clone();
    let status = response.status();
    if !status.is_success() {
        return Err(LoadError::HttpStatus {
            url: requested.to_string(),
            fetched: final_url.to_string(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
        });
    }
    let media_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| {
            let essence = value.split(';').next().unwrap_or_default();
            essence.trim().to_ascii_lowercase()
        })
        .unwrap_or_default();
    if is_binary_media_type(&media_type) {
        return Err(LoadError::Binary {
            source_name: requested.to_string(),
            what: format!("served as `{media_type}`"),
        });
    }
    if let Some(length) = response.content_length()
        && length > options.max_bytes
    {
        return Err(LoadError::TooLarge {
            source_name: requested.to_string(),
            size: Some(length),
            max: options.max_bytes,
        });
    }
    let mut bytes = Vec::new();
    let mut progress = crate::ui::Download::start(final_url.as_str(), response.content_length());
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|error| classify(requested, &error, options))?
    {
        if (bytes.len() + chunk.len()) as u64 > options.max_bytes {
            return Err(LoadError::TooLarge {
                source_name: requested.to_string(),
                size: None,
                max: options.max_bytes,
            });
        }
        bytes.extend_from_slice(&chunk);
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    Ok(Fetched {
        url: final_url,
        bytes,
        declared_html: matches!(media_type.as_str(), "text/html" | "application/xhtml+xml"),
    })
}

/// Media types that are never a text doc; `application/octet-stream` and unknown types are
/// judged by their bytes instead (some servers send Markdown as octet-stream).
fn is_binary_media_type(media_type: &str) -> bool {
    let Some((kind, subtype)) = media_type.split_once('/') else {
        return false;
    };
    matches!(kind, "image" | "audio" | "video" | "font")
        || (kind == "application"
            && matches!(
                subtype,
                "zip"
                    | "gzip"
                    | "x-gzip"
                    | "x-tar"
                    | "x-xz"
                    | "x-bzip2"
                    | "zstd"
                    | "x-7z-compressed"
                    | "pdf"
                    | "wasm"
                    | "java-archive"
                    | "x-executable"
                    | "x-elf"
                    | "x-sharedlib"
                    | "x-msdownload"
                    | "vnd.debian.binary-package"
                    | "x-rpm"
            ))
}

/// Turns a reqwest error into the variant that says what happened, reading the error's
/// causes: reqwest flags timeouts, connects and redirects, but DNS and TLS failures only show
/// in the messages of the errors underneath.
fn classify(requested: &str, error: &reqwest::Error, options: &LoadOptions) -> LoadError {
    let url = requested.to_string();
    let mut causes: Vec<String> = Vec::new();
    let mut tls_failed = false;
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(problem) = cause.downcast_ref::<RedirectProblem>() {
            return match problem {
                RedirectProblem::Loop(target) => LoadError::RedirectLoop {
                    url,
                    target: target.clone(),
                },
                RedirectProblem::TooMany(max) => LoadError::TooManyRedirects { url, max: *max },
                RedirectProblem::Downgrade(target) => LoadError::InsecureRedirect {
                    url,
                    target: target.clone(),
                },
            };
        }
        // rustls reports its failures as I/O errors of kind `InvalidData`, sometimes wrapped
        // in another I/O error (whose `source()` skips the inner one).
        tls_failed |= cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(has_invalid_data_kind);
        causes.push(cause.to_string());
        source = cause.source();
    }
    // The innermost cause is the most specific ("Connection refused (os error 111)").
    let detail = causes.last().cloned().unwrap_or_else(|| error.to_string());
    let all_causes = causes.join(": ").to_lowercase();
    if error.is_timeout() {
        return if error.is_connect() {
            LoadError::ConnectTimeout {
                url,
                after: options.connect_timeout,
            }
        } else {
            LoadError::Timeout {
                url,
                after: options.timeout,
            }
        };
    }
    if all_causes.contains("dns error") || all_causes.contains("failed to lookup address") {
        let host = error
            .url()
            .and_then(|failed| failed.host_str().map(str::to_string))
            .unwrap_or_default();
        return LoadError::Dns { url, host, detail };
    }
    let certificate = all_causes.contains("certificate");
    if tls_failed || certificate || all_causes.contains("tls") || all_causes.contains("handshake") {
        return LoadError::Tls {
            url,
            detail,
            certificate,
        };
    }
    if error.is_redirect() {
        return LoadError::Request { url, detail };
    }
    if error.is_connect() {
        return LoadError::Connect { url, detail };
    }
    LoadError::Request {
        url,
        detail: if causes.is_empty() {
            error.to_string()
        } else {
            causes.join(": ")
        },
    }
}

/// Whether an I/O error, or one it wraps, is of kind `InvalidData`.
fn has_invalid_data_kind(error: &std::io::Error) -> bool {
    let mut current = Some(error);
    while let Some(io_error) = current {
        if io_error.kind() == std::io::ErrorKind::InvalidData {
            return true;
        }
        current = io_error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<std::io::Error>());
    }
    false
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::doc::source::tests::{load, options};

    async fn serve(route: &str, response: ResponseTemplate) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(response)
            .mount(&server)
            .await;
        server
    }

    #[test]
    fn github_blob_urls_become_raw_urls() {
        let rewrite = |url: &str| {
            github_raw_url(&Url::parse(url).expect("valid URL")).map(|url| url.to_string())
        };
        assert_eq!(
            rewrite("https://github.com/jqlang/jq/blob/master/README.md").as_deref(),
            Some("https://raw.githubusercontent.com/jqlang/jq/master/README.md")
        );
        assert_eq!(
            rewrite("https://github.com/o/r/blob/v1.2/docs/install/linux.md?plain=1#L10")
                .as_deref(),
            Some("https://raw.githubusercontent.com/o/r/v1.2/docs/install/linux.md")
        );
        assert_eq!(
            rewrite("http://www.github.com/o/r/raw/main/INSTALL.md").as_deref(),
            Some("https://raw.githubusercontent.com/o/r/main/INSTALL.md")
        );
        for untouched in [
            "https://github.com/o/r",
            "https://github.com/o/r/blob/main",
            "https://github.com/o/r/tree/main/docs",
            "https://example.com/o/r/blob/main/README.md",
        ] {
            assert_eq!(rewrite(untouched), None, "{untouched}");
        }
    }

    #[tokio::test]
    async fn markdown_and_html_are_fetched_over_http() {
        let server = serve(
            "/INSTALL.md",
            ResponseTemplate::new(200).set_body_raw(
                "# Tool\n\n```sh\ncargo install tool\n```\n",
                "text/markdown",
            ),
        )
        .await;
        let url = format!("{}/INSTALL.md", server.uri());
        let doc = load(&url, &options()).await.expect("loads");
        assert!(doc.text.contains("cargo install tool"));
        assert!(!doc.converted_from_html);
        assert_eq!(doc.citation_name(), "INSTALL.md");
        assert_eq!(
            doc.origin,
            Origin::Url {
                requested: url.clone(),
                fetched: url
            }
        );

        let server = serve(
            "/install",
            ResponseTemplate::new(200).set_body_raw(
                "<h1>Tool</h1><p>Run <code>make</code></p><style>p{}</style>",
                "text/html; charset=utf-8",
            ),
        )
        .await;
        let doc = load(&format!("{}/install", server.uri()), &options())
            .await
            .expect("loads");
        assert!(doc.converted_from_html);
        assert!(doc.text.starts_with("# Tool"), "{}", doc.text);
        assert!(!doc.text.contains("p{}"), "{}", doc.text);
    }

    #[tokio::test]
    async fn http_failures_are_classified() {
        let server = serve("/gone.md", ResponseTemplate::new(404)).await;
        let url = format!("{}/gone.md", server.uri());
        let error = load(&url, &options()).await.expect_err("404");
        assert_eq!(error.to_string(), format!("`{url}` returned 404 Not Found"));
        assert_eq!(error.hint(), "check the URL, or pass a local file");

        let server = serve("/broken.md", ResponseTemplate::new(500)).await;
        let error = load(&format!("{}/broken.md", server.uri()), &options())
            .await
            .expect_err("500");
        assert!(
            error.to_string().contains("500 Internal Server Error"),
            "{error}"
        );
        assert!(error.hint().contains("retry later"), "{}", error.hint());

        let server = serve(
            "/logo",
            ResponseTemplate::new(200)
                .set_body_raw(b"plain bytes served as an image".to_vec(), "image/png"),
        )
        .await;
        let error = load(&format!("{}/logo", server.uri()), &options())
            .await
            .expect_err("image");
        assert!(
            error.to_string().contains("served as `image/png`"),
            "{error}"
        );

        let server = serve(
            "/huge.md",
            ResponseTemplate::new(200).set_body_string("x".repeat(4096)),
        )
        .await;
        let small = LoadOptions {
            max_bytes: 1024,
            ..options()
        };
        let error = load(&format!("{}/huge.md", server.uri()), &small)
            .await
            .expect_err("too large");
        assert!(
            matches!(
                error,
                LoadError::TooLarge {
                    size: Some(4096),
                    ..
                }
            ),
            "{error:?}"
        );

        let server = serve(
            "/slow.md",
            ResponseTemplate::new(200)
                .set_body_string("# slow")
                .set_delay(Duration::from_secs(5)),
        )
        .await;
        let quick = LoadOptions {
            timeout: Duration::from_millis(300),
            ..options()
        };
        let error = load(&format!("{}/slow.md", server.uri()), &quick)
            .await
            .expect_err("timeout");
        assert!(matches!(error, LoadError::Timeout { .. }), "{error:?}");
        assert!(error.to_string().contains("300 ms"), "{error}");
    }

    #[tokio::test]
    async fn redirects_are_followed_within_limits() {
        let server = MockServer::start().await;
        for (from, to) in [
            ("/a", "/b"),
            ("/b", "/c"),
            ("/loop1", "/loop2"),
            ("/loop2", "/loop1"),
        ] {
            Mock::given(path(from))
                .respond_with(ResponseTemplate::new(302).insert_header("location", to))
                .mount(&server)
                .await;
        }
        Mock::given(path("/c"))
            .respond_with(ResponseTemplate::new(200).set_body_string("# Final\n"))
            .mount(&server)
            .await;
        let doc = load(&format!("{}/a", server.uri()), &options())
            .await
            .expect("chain works");
        assert_eq!(doc.text, "# Final\n");
        assert!(matches!(doc.origin, Origin::Url { ref fetched, .. } if fetched.ends_with("/c")));

        let error = load(&format!("{}/loop1", server.uri()), &options())
            .await
            .expect_err("loop");
        assert!(matches!(error, LoadError::RedirectLoop { .. }), "{error:?}");

        let strict = LoadOptions {
            max_redirects: 1,
            ..options()
        };
        let error = load(&format!("{}/a", server.uri()), &strict)
            .await
            .expect_err("too many");
        assert!(
            matches!(error, LoadError::TooManyRedirects { max: 1, .. }),
            "{error:?}"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        let error = load(&format!("http://{address}/doc.md"), &options())
            .await
            .expect_err("refused");
        assert!(matches!(error, LoadError::Connect { .. }), "{error:?}");
        assert!(
            error.to_string().to_lowercase().contains("refused"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_is_a_handshake_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buffer = [0u8; 512];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
            }
        });
        let error = load(&format!("https://{address}/doc.md"), &options())
            .await
            .expect_err("not TLS");
        assert!(
            matches!(
                error,
                LoadError::Tls {
                    certificate: false,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.hint().contains("http or https"), "{}", error.hint());
    }

    #[tokio::test]
    async fn an_unresolvable_host_is_a_dns_error() {
        let error = load("http://agent-install-test.invalid/doc.md", &options())
            .await
            .expect_err("dns");
        assert!(
            matches!(error, LoadError::Dns { ref host, .. } if host == "agent-install-test.invalid"),
            "{error:?}"
        );
    }
}
