//! `shared::clients::aws` against an AWS double for what moto cannot play: throttling and server errors
//! (retried, within three attempts), client errors (not retried, the service's code kept) and
//! the exact shape of each request (signed for the right service, the right operation).
//! Everything else about SQS, SES and S3 runs against moto in the other suites.
use serde_json::{json, Value};
use shared::clients::aws::{ses, sqs, Aws};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Answers each request with the next status of `statuses` (the last one repeats).
struct Sequence {
    statuses: Vec<(u16, Value)>,
    seen: Arc<AtomicUsize>,
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.seen.fetch_add(1, Ordering::SeqCst);
        let (status, body) = &self.statuses[i.min(self.statuses.len() - 1)];
        ResponseTemplate::new(*status)
            .insert_header("content-type", "application/x-amz-json-1.0")
            .set_body_json(body)
    }
}

async fn sqs_double(statuses: Vec<(u16, Value)>) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let seen = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("x-amz-target", "AmazonSQS.SendMessage"))
        .and(header("content-type", "application/x-amz-json-1.0"))
        .respond_with(Sequence {
            statuses,
            seen: seen.clone(),
        })
        .mount(&server)
        .await;
    (server, seen)
}

fn authorization(r: &Request) -> &str {
    r.headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn client(server: &MockServer) -> Result<Aws, anyhow::Error> {
    Ok(Aws::from_env()?.with_endpoint(&server.uri()))
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_until_sqs_takes_the_message() -> TestResult {
    let throttled =
        json!({"__type": "com.amazonaws.sqs#ThrottlingException", "message": "Rate exceeded"});
    let (server, seen) = sqs_double(vec![
        (400, throttled),
        (503, json!({"__type": "ServiceUnavailable"})),
        (200, json!({"MessageId": "m-42", "MD5OfMessageBody": "x"})),
    ])
    .await;
    let sqs = sqs::Sqs::new(client(&server)?);
    let id = sqs
        .send_message(
            "https://sqs.ap-south-1.amazonaws.com/1/notifications",
            r#"{"id":1}"#,
        )
        .await?;
    assert_eq!(id, "m-42");
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    // Every attempt is signed for SQS in the configured region, and carries the body.
    for r in server.received_requests().await.unwrap_or_default() {
        let auth = authorization(&r);
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential="), "{auth}");
        assert!(auth.contains("/sqs/aws4_request"), "{auth}");
        assert!(auth.contains("x-amz-target"), "{auth}");
        let body: Value = serde_json::from_slice(&r.body)?;
        assert_eq!(body["MessageBody"], r#"{"id":1}"#);
        assert_eq!(
            body["QueueUrl"],
            "https://sqs.ap-south-1.amazonaws.com/1/notifications"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_keeps_the_services_code() -> TestResult {
    let (server, seen) = sqs_double(vec![(
        400,
        json!({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "The specified queue does not exist."}),
    )])
    .await;
    let err = sqs::Sqs::new(client(&server)?)
        .send_message("https://sqs.ap-south-1.amazonaws.com/1/gone", "{}")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    assert!(err.contains("QueueDoesNotExist"), "{err}");
    assert!(err.contains("HTTP 400"), "{err}");
    assert!(!err.contains("testing"), "no credential in an error: {err}");
    Ok(())
}

#[tokio::test]
async fn a_server_that_keeps_failing_gets_three_attempts_then_an_error() -> TestResult {
    let (server, seen) = sqs_double(vec![(500, json!({"__type": "InternalError"}))]).await;
    let result = sqs::Sqs::new(client(&server)?)
        .send_message("https://sqs.ap-south-1.amazonaws.com/1/q", "{}")
        .await;
    assert!(result.is_err());
    assert_eq!(seen.load(Ordering::SeqCst), 3);
    Ok(())
}

#[tokio::test]
async fn an_email_goes_to_ses_v2_as_a_simple_message_with_both_parts() -> TestResult {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/email/outbound-emails"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"MessageId": "ses-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let id = ses::Ses::new(client(&server)?)
        .send_email(&ses::Mail {
            from: "noreply@yestoryd.test",
            to: "parent@example.com",
            subject: "Your refund — ₹150",
            text: "plain",
            html: "<p>html</p>",
        })
        .await?;
    assert_eq!(id, "ses-1");
    let requests = server.received_requests().await.unwrap_or_default();
    let r = requests.first().ok_or("no request")?;
    let auth = authorization(r);
    assert!(auth.contains("/ses/aws4_request"), "{auth}");
    let body: Value = serde_json::from_slice(&r.body)?;
    assert_eq!(body["FromEmailAddress"], "noreply@yestoryd.test");
    assert_eq!(
        body["Destination"]["ToAddresses"],
        json!(["parent@example.com"])
    );
    let simple = &body["Content"]["Simple"];
    assert_eq!(simple["Subject"]["Data"], "Your refund — ₹150");
    assert_eq!(simple["Subject"]["Charset"], "UTF-8");
    assert_eq!(simple["Body"]["Text"]["Data"], "plain");
    assert_eq!(simple["Body"]["Html"]["Data"], "<p>html</p>");
    Ok(())
}

/// Everything logged while a message is throttled, retried and refused, with logging set to
/// TRACE through the functions' own filter: not the secret key, not the session token, not the
/// access key id (the SDK writes the key id at DEBUG and the token at TRACE; the filter keeps
/// the SDK at INFO).
#[tokio::test(flavor = "current_thread")]
async fn no_credential_reaches_a_log_line_or_an_error() -> TestResult {
    use std::io::Write;
    use std::sync::Mutex;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);
    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // Credentials no other text could hold (the other tests here do not check signatures).
    let (id, secret, token) = (
        "AKIDYTLOGCHECK000001",
        "yt-log-check-secret-5f0c2e9a",
        "yt-log-check-session-token-77d1",
    );
    std::env::set_var("AWS_ACCESS_KEY_ID", id);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", secret);
    std::env::set_var("AWS_SESSION_TOKEN", token);
    let captured = Captured::default();
    let sink = captured.clone();
    // The Lambda binaries' filter, with the most a function's settings can ask for.
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(shared::runtime::telemetry::filter("trace"))
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (server, seen) = sqs_double(vec![
        (
            400,
            json!({"__type": "com.amazonaws.sqs#ThrottlingException", "message": "Rate exceeded"}),
        ),
        (
            403,
            json!({"__type": "com.amazonaws.sqs#AccessDenied", "message": "Access to the resource is denied."}),
        ),
    ])
    .await;
    let err = sqs::Sqs::new(client(&server)?)
        .send_message("https://sqs.ap-south-1.amazonaws.com/1/q", "{}")
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert_eq!(
        seen.load(Ordering::SeqCst),
        2,
        "the throttle retried, the refusal not"
    );
    assert!(
        err.contains("AccessDenied") && err.contains("HTTP 403"),
        "{err}"
    );
    let logs = String::from_utf8(captured.0.lock().map(|b| b.clone()).unwrap_or_default())?;
    assert!(
        logs.contains("TRACE"),
        "the filter let no TRACE line through: {logs}"
    );
    for credential in [id, secret, token] {
        if let Some(at) = logs.find(credential) {
            let from = logs[..at].rfind('\n').map_or(0, |n| n + 1);
            panic!(
                "a credential in the logs: {}",
                &logs[from..(at + 80).min(logs.len())]
            );
        }
        assert!(
            !err.contains(credential),
            "a credential in the error: {err}"
        );
    }
    // The attempts were signed with them (the double saw the key id and the token).
    let requests = server.received_requests().await.unwrap_or_default();
    let first = requests.first().ok_or("no request")?;
    assert!(authorization(first).contains(id));
    assert_eq!(
        first
            .headers
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok()),
        Some(token)
    );
    Ok(())
}
