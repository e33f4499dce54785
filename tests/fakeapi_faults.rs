//! The fake API server's fault kinds, driven through its Rust handle and seen by a raw HTTP
//! client (exact status lines and headers) and by kube-rs (what nexus sees).

mod install_support;

use install_support::crd;
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use nexus_fakeapi::{FakeApiServer, FakeConfig, FaultOn};
use serde_json::{Value, json};
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const GADGETS: &str = "/apis/shop.example.com/v1/namespaces/ns1/gadgets";

fn server_with_gadgets() -> FakeApiServer {
    let server = FakeApiServer::start(FakeConfig::default()).expect("the server starts");
    server
        .seed_crd(&crd(
            "gadgets",
            "shop.example.com",
            "Gadget",
            &[install_support::version("v1", true, &[("size", "integer")])],
        ))
        .expect("the CRD is seeded");
    server
}

fn gadget(name: &str) -> Value {
    json!({"apiVersion": "shop.example.com/v1", "kind": "Gadget",
           "metadata": {"name": name, "namespace": "ns1"}, "spec": {"size": 1}})
}

/// What a raw HTTP/1.1 client gets: the whole answer as text (empty if the connection closed
/// without one), or the I/O error.
fn raw(server: &FakeApiServer, method: &str, path: &str, body: Option<&Value>) -> String {
    let mut tcp = TcpStream::connect(server.addr()).expect("connects");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes())
        .expect("the request is sent");
    let mut answer = Vec::new();
    match tcp.read_to_end(&mut answer) {
        Ok(_) => String::from_utf8_lossy(&answer).into_owned(),
        // A reset is as good as an end: no answer either way.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => String::new(),
        Err(e) => panic!("reading the answer: {e}"),
    }
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

#[test]
fn a_lost_response_is_carried_out_and_the_connection_closes_without_an_answer() {
    let server = server_with_gadgets();
    server.lose_response(FaultOn::ObjectWrite, 1);
    let answer = raw(&server, "POST", GADGETS, Some(&gadget("a")));
    assert_eq!(answer, "", "no byte of an answer");
    assert_eq!(server.object_count("gadgets.shop.example.com"), 1, "stored");
    assert_eq!(server.counters().writes, 2, "the CRD seed and the object");
    assert_eq!(server.requests().last().map(|r| r.code), Some(0));
    // Only the first: the next write is answered.
    let answer = raw(&server, "POST", GADGETS, Some(&gadget("b")));
    assert_eq!(status_line(&answer), "HTTP/1.1 201 Created");
}

#[test]
fn kube_rs_reports_a_lost_response_as_an_error_not_a_hang() {
    let server = server_with_gadgets();
    server.lose_response(FaultOn::Write, 1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let config = kube::Config::new(server.url().parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        let resource = ApiResource {
            group: "shop.example.com".into(),
            version: "v1".into(),
            api_version: "shop.example.com/v1".into(),
            kind: "Gadget".into(),
            plural: "gadgets".into(),
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client, "ns1", &resource);
        let object: DynamicObject = serde_json::from_value(gadget("a")).unwrap();
        let started = Instant::now();
        let lost = tokio::time::timeout(
            Duration::from_secs(20),
            api.create(&PostParams::default(), &object),
        )
        .await
        .expect("kube-rs gives up instead of hanging");
        let err = lost.expect_err("a lost response is an error");
        assert!(
            !matches!(err, kube::Error::Api(_)),
            "a transport error, not an answer: {err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
        // The write happened: creating it again meets it.
        let again = api.create(&PostParams::default(), &object).await;
        match again {
            Err(kube::Error::Api(status)) => assert_eq!(status.code, 409),
            other => panic!("expected AlreadyExists, got {other:?}"),
        }
    });
    assert_eq!(server.object_count("gadgets.shop.example.com"), 1);
}

#[test]
fn a_burst_is_answered_with_the_code_and_retry_after_then_ends() {
    let server = server_with_gadgets();
    server.fail_times(FaultOn::Read, 2, 2, 503, "the server is overloaded");
    let statuses: Vec<String> = (0..4)
        .map(|_| {
            let answer = raw(&server, "GET", GADGETS, None);
            if answer.starts_with("HTTP/1.1 503") {
                assert!(
                    answer
                        .to_ascii_lowercase()
                        .contains("\r\nretry-after: 1\r\n"),
                    "{answer}"
                );
                let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
                let status: Value = serde_json::from_str(body).expect("a Status body");
                assert_eq!(status["kind"], "Status");
                assert_eq!(status["reason"], "ServiceUnavailable");
                assert_eq!(status["message"], "the server is overloaded");
                assert_eq!(status["details"]["retryAfterSeconds"], 1);
            }
            status_line(&answer).to_string()
        })
        .collect();
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 503 Service Unavailable",
            "HTTP/1.1 503 Service Unavailable",
            "HTTP/1.1 200 OK"
        ]
    );
}

#[test]
fn a_failing_write_is_not_carried_out_and_forever_means_forever() {
    let server = server_with_gadgets();
    server.fail_times(FaultOn::ObjectWrite, 1, u64::MAX, 429, "slow down");
    for name in ["a", "b", "c"] {
        let answer = raw(&server, "POST", GADGETS, Some(&gadget(name)));
        assert_eq!(status_line(&answer), "HTTP/1.1 429 Too Many Requests");
        assert!(answer.contains(r#""reason":"TooManyRequests""#), "{answer}");
    }
    assert_eq!(server.object_count("gadgets.shop.example.com"), 0);
    // Reads are not writes.
    let answer = raw(&server, "GET", GADGETS, None);
    assert_eq!(status_line(&answer), "HTTP/1.1 200 OK");
}

#[test]
fn a_delayed_request_waits_then_is_handled() {
    let server = server_with_gadgets();
    server.delay(FaultOn::Read, 2, 400);
    let timed = |server: &FakeApiServer| {
        let started = Instant::now();
        let answer = raw(server, "GET", GADGETS, None);
        (status_line(&answer).to_string(), started.elapsed())
    };
    let (first, fast) = timed(&server);
    let (second, slow) = timed(&server);
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("HTTP/1.1 200 OK", "HTTP/1.1 200 OK")
    );
    assert!(slow >= Duration::from_millis(400), "{slow:?}");
    assert!(fast < Duration::from_millis(400), "{fast:?}");
}

#[test]
fn a_watch_is_a_read() {
    let server = server_with_gadgets();
    server.fail_times(FaultOn::Read, 1, 1, 500, "watch cache not ready");
    let answer = raw(
        &server,
        "GET",
        &format!("{GADGETS}?watch=true&timeoutSeconds=1"),
        None,
    );
    assert_eq!(status_line(&answer), "HTTP/1.1 500 Internal Server Error");
    assert!(answer.contains("watch cache not ready"));
}
