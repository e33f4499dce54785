//! Sending one request to the API server within the command's deadline. Every request of nexus
//! goes through [`call`]:
//! - 429 and 503 answers are retried (the server did not do the request), honouring
//!   `Retry-After` up to [`MAX_RETRY_AFTER`], else with exponential backoff and jitter;
//! - timeouts, broken connections and 504 are retried for reads (GET) only: a write whose answer
//!   was lost may have been done, and its caller re-reads to learn it. A refused connection is
//!   retried for writes too (nothing was sent);
//! - nothing waits past the deadline: the last answer and what to do become the error;
//! - a response body larger than [`max_body`] is an error, never unbounded memory.
//!
//! kube's own retry layer is turned off (`connect`): it retried up to 15 times with pauses of up
//! to 1000 s, silently.

use super::connect::Connection;
use super::deadline::seconds;
use super::errors::{Attempt, Failure, classify};
use http::{Method, Request, StatusCode};
use http_body::Body as HttpBody;
use serde_json::Value;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::time::Duration;

/// The request type of kube's builder (the `http` crate).
pub type HttpRequest = Request<Vec<u8>>;

/// Default cap of a response body: the largest list page of CRDs or objects nexus asks for is
/// far below it.
pub const DEFAULT_MAX_BODY: u64 = 256 << 20;

/// Error answers are read up to this much (the message is all nexus needs).
const MAX_ERROR_BODY: u64 = 64 << 10;

/// A server asking for a longer pause is retried after this long (still within the deadline).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

const FIRST_PAUSE: Duration = Duration::from_millis(200);
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// The response body cap: `NEXUS_MAX_RESPONSE_BYTES` if set, else [`DEFAULT_MAX_BODY`].
pub fn max_body() -> u64 {
    std::env::var("NEXUS_MAX_RESPONSE_BYTES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &u64| n > 0)
        .unwrap_or(DEFAULT_MAX_BODY)
}

/// What one try ended with, when it did not succeed.
struct Miss {
    failure: Failure,
    /// Whether trying again is safe and may help.
    retryable: bool,
    /// The server's `Retry-After`, in seconds.
    retry_after: Option<Duration>,
}

/// Sends the request, retrying as the module says, and returns the JSON answer.
pub async fn call(
    conn: &Connection,
    req: HttpRequest,
    attempt: &Attempt,
) -> Result<Value, Failure> {
    let is_read = req.method() == Method::GET;
    let mut pause = FIRST_PAUSE;
    let mut said: Option<String> = None;
    loop {
        let budget = conn.deadline.attempt_budget();
        let miss = match tokio::time::timeout(budget, once(conn, copy(&req), is_read)).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(miss)) => miss,
            Err(_) => Miss {
                failure: Failure::Unreachable(format!(
                    "no answer within {}",
                    super::duration::format_duration(budget)
                )),
                retryable: is_read,
                retry_after: None,
            },
        };
        if !miss.retryable {
            return Err(miss.failure);
        }
        let last = short(&miss.failure);
        let remaining = conn.deadline.remaining();
        let wait = match miss.retry_after {
            Some(asked) if asked.min(MAX_RETRY_AFTER) >= remaining && !remaining.is_zero() => {
                return Err(Failure::GaveUp {
                    last: format!(
                        "{last}, asking to retry after {} s, past the deadline",
                        asked.as_secs()
                    ),
                    timeout: conn.deadline.timeout,
                });
            }
            Some(asked) => asked.clamp(FIRST_PAUSE, MAX_RETRY_AFTER),
            None => jitter(pause),
        };
        if remaining.is_zero() {
            return Err(give_up(miss.failure, last, conn, is_read));
        }
        // Once per wait: again only when the answer changes.
        if said.as_deref() != Some(last.as_str()) {
            super::notice::say(&conn.secrets.scrub(&format!(
                "waiting for {}: {attempt} got {last}; retrying until the deadline in {} s (--timeout {})",
                conn.describe(),
                seconds(remaining),
                super::duration::format_duration(conn.deadline.timeout)
            )));
            said = Some(last.clone());
        }
        tokio::time::sleep(wait.min(remaining)).await;
        pause = (pause * 2).min(MAX_PAUSE);
        if conn.deadline.passed() {
            return Err(give_up(miss.failure, last, conn, is_read));
        }
    }
}

/// The failure at the deadline: a read that never reached the server stays "cannot reach"
/// (with the retrying said); anything else names the last answer.
fn give_up(failure: Failure, last: String, conn: &Connection, is_read: bool) -> Failure {
    let timeout = conn.deadline.timeout;
    match failure {
        Failure::Unreachable(why) if is_read => Failure::Unreachable(format!(
            "{why}, retried until the deadline ({} after the start, --timeout)",
            super::duration::format_duration(timeout)
        )),
        _ => Failure::GaveUp { last, timeout },
    }
}

/// One try: send, read the body within the cap, decode.
async fn once(conn: &Connection, req: HttpRequest, is_read: bool) -> Result<Value, Miss> {
    let res = conn
        .client
        .send(req.map(kube::client::Body::from))
        .await
        .map_err(|e| transport_miss(&e, is_read))?;
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let limit = if status.is_success() {
        max_body()
    } else {
        MAX_ERROR_BODY
    };
    let declared = res.body().size_hint().exact();
    if status.is_success() && declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let body = read_capped(res.into_body(), limit)
        .await
        .map_err(|e| transport_miss(&e, is_read))?;
    if status.is_success() {
        let Some(bytes) = body else {
            return Err(too_large(limit));
        };
        return serde_json::from_slice(&bytes).map_err(|e| Miss {
            failure: Failure::Other(format!("the answer is not JSON ({e})")),
            retryable: false,
            retry_after: None,
        });
    }
    let bytes = body.unwrap_or_default();
    let failure = answer_failure(status, &bytes);
    let code = status.as_u16();
    Err(Miss {
        failure,
        retryable: code == 429 || code == 503 || (code == 504 && is_read),
        retry_after,
    })
}

fn too_large(limit: u64) -> Miss {
    Miss {
        failure: Failure::TooLarge { limit },
        retryable: false,
        retry_after: None,
    }
}

fn transport_miss(err: &kube::Error, is_read: bool) -> Miss {
    let failure = classify(err);
    let retryable = match &failure {
        Failure::Unreachable(_) => is_read || refused(err),
        _ => false,
    };
    Miss {
        failure,
        retryable,
        retry_after: None,
    }
}

/// A refused connection: the request never left, so even a write may be sent again.
fn refused(err: &kube::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let mut depth = 0;
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cur = e.source();
        depth += 1;
        if depth > 32 {
            break;
        }
    }
    false
}

/// The body, or `None` past `limit` (reading stops there; an error answer is cut instead).
async fn read_capped(
    mut body: kube::client::Body,
    limit: u64,
) -> Result<Option<Vec<u8>>, kube::Error> {
    let mut out: Vec<u8> = Vec::new();
    loop {
        let frame = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await;
        let Some(frame) = frame else {
            return Ok(Some(out));
        };
        if let Ok(data) = frame?.into_data() {
            if out.len() as u64 + data.len() as u64 > limit {
                if limit == MAX_ERROR_BODY {
                    let room = (limit as usize).saturating_sub(out.len());
                    out.extend_from_slice(&data[..room.min(data.len())]);
                    return Ok(Some(out));
                }
                return Ok(None);
            }
            out.extend_from_slice(&data);
        }
    }
}

/// An error answer as the API server sends it (a `Status`), or what a proxy in between said.
fn answer_failure(status: StatusCode, body: &[u8]) -> Failure {
    if let Ok(s) = serde_json::from_slice::<kube::core::Status>(body)
        && (s.code != 0 || !s.message.is_empty())
    {
        return Failure::Api {
            code: if s.code == 0 { status.as_u16() } else { s.code },
            reason: s.reason,
            message: s.message,
        };
    }
    let text: String = String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    Failure::Api {
        code: status.as_u16(),
        reason: status
            .canonical_reason()
            .unwrap_or_default()
            .replace(' ', ""),
        message: text.trim().to_string(),
    }
}

/// The failure in a few words, for "waiting …" lines and the final error.
fn short(failure: &Failure) -> String {
    match failure {
        Failure::Api { code, message, .. } => {
            let name = StatusCode::from_u16(*code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            if message.is_empty() {
                format!("{code} {name}")
            } else {
                format!("{code} {name} ({message})")
            }
        }
        Failure::Unreachable(why) => format!("no answer ({why})"),
        other => format!("{other:?}"),
    }
}

/// The request again, for another try (a request body is bytes, so it can be sent twice).
fn copy(req: &HttpRequest) -> HttpRequest {
    let mut out = Request::new(req.body().clone());
    *out.method_mut() = req.method().clone();
    *out.uri_mut() = req.uri().clone();
    *out.version_mut() = req.version();
    *out.headers_mut() = req.headers().clone();
    out
}

/// Between half and all of `pause`, so that clients retrying together spread out.
fn jitter(pause: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let half = pause / 2;
    half + Duration::from_nanos(random % (half.as_nanos() as u64 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_between_half_and_all() {
        for _ in 0..100 {
            let p = jitter(Duration::from_millis(400));
            assert!(p >= Duration::from_millis(200) && p <= Duration::from_millis(400));
        }
    }

    #[test]
    fn answers_that_are_not_a_status_keep_the_code() {
        let f = answer_failure(
            StatusCode::SERVICE_UNAVAILABLE,
            b"<html>\nupstream down</html>",
        );
        assert_eq!(
            f,
            Failure::Api {
                code: 503,
                reason: "ServiceUnavailable".into(),
                message: "<html> upstream down</html>".into()
            }
        );
        let s = br#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too many requests, please try again later","reason":"TooManyRequests","code":429}"#;
        assert!(matches!(
            answer_failure(StatusCode::TOO_MANY_REQUESTS, s),
            Failure::Api { code: 429, .. }
        ));
    }

    #[test]
    fn short_names_the_answer() {
        let f = Failure::Api {
            code: 503,
            reason: "ServiceUnavailable".into(),
            message: String::new(),
        };
        assert_eq!(short(&f), "503 Service Unavailable");
    }
}
