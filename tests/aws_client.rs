//! `shared::aws` against an AWS double for what moto cannot play: throttling and server errors
//! (retried, within three attempts), client errors (not retried, the service's code kept) and
//! the exact shape of each request (signed for the right service, the right operation).
//! Everything else about SQS, SES and S3 runs against moto in the other suites.
use serde_json::{json, Value};
use shared::aws::{ses, sqs, Aws};
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
