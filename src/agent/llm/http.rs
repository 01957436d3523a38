//! One JSON POST to an LLM endpoint, with timeouts and retries.
//!
//! Retried: 429 (after `Retry-After` when the server sends one, else the backoff), 5xx
//! (including Anthropic's 529 "overloaded"), timeouts, refused and dropped connections (also a
//! body cut off mid-way). Not retried: 401/403 (the key is wrong; waiting will not help) and the
//! other 4xx (the request is wrong). The backoff starts at the configured delay and doubles.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

/// The longest wait a server's `Retry-After` may impose on us.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest wait between two attempts of our own backoff.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub enum HttpError {
    /// 401 or 403.
    Auth { status: u16, message: String },
    /// Another status that retrying will not fix, or the last of the retried ones.
    Status {
        status: u16,
        message: String,
        attempts: u32,
    },
    /// The server could not be reached or did not answer in full, on every attempt.
    Transport { message: String, attempts: u32 },
    /// A 2xx answer whose body is not JSON.
    Body(String),
}

pub struct Http {
    client: reqwest::Client,
    retries: u32,
    backoff: Duration,
}

impl Http {
    pub fn new(timeout: Duration, retries: u32, backoff: Duration) -> Result<Http, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(15)))
            .user_agent(concat!("agent-install/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("could not set up the HTTP client: {error}"))?;
        Ok(Http {
            client,
            retries,
            backoff,
        })
    }

    /// POSTs `body` as JSON and returns the JSON answer.
    pub async fn post(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: &Value,
    ) -> Result<Value, HttpError> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let last = attempt > self.retries;
            let mut request = self.client.post(url).json(body);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            let wait = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let retry_after = retry_after(response.headers());
                    match response.text().await {
                        Ok(text) if status.is_success() => {
                            return serde_json::from_str(&text).map_err(|error| {
                                HttpError::Body(format!(
                                    "the answer is not JSON ({error}): {}",
                                    excerpt(&text)
                                ))
                            });
                        }
                        Ok(text) => {
                            let message = error_message(&text);
                            if matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
                                return Err(HttpError::Auth {
                                    status: status.as_u16(),
                                    message,
                                });
                            }
                            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                                || status.is_server_error()
                                || status.as_u16() == 529;
                            if !retryable || last {
                                return Err(HttpError::Status {
                                    status: status.as_u16(),
                                    message,
                                    attempts: attempt,
                                });
                            }
                            tracing::warn!(
                                "{url} answered {status} ({message}); retrying ({attempt}/{})",
                                self.retries
                            );
                            retry_after.unwrap_or_else(|| self.backoff_for(attempt))
                        }
                        Err(error) => {
                            // The status line came, the body did not (a dropped connection).
                            let message = format!("the answer was cut off: {error}");
                            if last {
                                return Err(HttpError::Transport {
                                    message,
                                    attempts: attempt,
                                });
                            }
                            tracing::warn!("{url}: {message}; retrying");
                            self.backoff_for(attempt)
                        }
                    }
                }
                Err(error) => {
                    let message = describe_transport_error(&error);
                    if last {
                        return Err(HttpError::Transport {
                            message,
                            attempts: attempt,
                        });
                    }
                    tracing::warn!("{url}: {message}; retrying");
                    self.backoff_for(attempt)
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.backoff.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// `Retry-After` in seconds (or OpenAI's `retry-after-ms`), capped. HTTP dates are ignored:
/// the backoff applies instead.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    let wait = if let Some(millis) = text("retry-after-ms").and_then(|value| value.parse().ok()) {
        Duration::from_millis(millis)
    } else {
        Duration::from_secs_f64(text("retry-after")?.parse::<f64>().ok()?.max(0.0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The provider's error message: both OpenAI and Anthropic answer `{"error": {"message": ..}}`.
fn error_message(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|value| {
            let error = value.get("error")?;
            error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| excerpt(text))
}

fn excerpt(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.chars().count() > 200 {
        format!("{}…", trimmed.chars().take(200).collect::<String>())
    } else if trimmed.is_empty() {
        "(empty body)".to_string()
    } else {
        trimmed.to_string()
    }
}

fn describe_transport_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer before the timeout".to_string()
    } else if error.is_connect() {
        format!("could not connect: {}", root_cause(error))
    } else {
        root_cause(error)
    }
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_error_messages_are_extracted() {
        assert_eq!(
            error_message(
                r#"{"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}"#
            ),
            "Incorrect API key"
        );
        assert_eq!(
            error_message(
                r#"{"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}"#
            ),
            "slow down"
        );
        assert_eq!(
            error_message("<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after", "86400".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(MAX_RETRY_AFTER));
        headers.insert("retry-after-ms", "250".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let http = Http::new(Duration::from_secs(1), 3, Duration::from_millis(100)).unwrap();
        assert_eq!(http.backoff_for(1), Duration::from_millis(100));
        assert_eq!(http.backoff_for(3), Duration::from_millis(400));
        assert_eq!(http.backoff_for(40), MAX_BACKOFF);
    }
}
