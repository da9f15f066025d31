//! The signatures against the worked examples of Amazon's S3 SigV4 documentation
//! (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html and
//! sigv4-query-string-auth.html): same credentials, time and request, same signature. They pin
//! the S3 settings the SDK used to apply for us (single percent-encoding, no path
//! normalization, the payload hash header, presigning in the query).
use super::*;

fn example_aws() -> Aws {
    Aws {
        http: reqwest::Client::new(),
        region: Some("us-east-1".into()),
        endpoint: None,
        service_endpoints: vec![],
    }
}

fn example_creds() -> Credentials {
    Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        None,
        None,
        "docs",
    )
}

fn may_24_2013() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_369_353_600)
}

fn authorization(req: &http::Request<bytes::Bytes>) -> &str {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[test]
fn s3_get_object_matches_the_documented_signature() -> Result<(), AwsError> {
    let req = Request {
        method: http::Method::GET,
        url: "https://examplebucket.s3.amazonaws.com/test.txt".into(),
        headers: vec![("range", "bytes=0-9".into())],
        body: bytes::Bytes::new(),
    };
    let signed = example_aws().sign(&S3, &req, &example_creds(), may_24_2013())?;
    assert_eq!(
        authorization(&signed),
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
         Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
    Ok(())
}

#[test]
fn s3_put_object_with_an_encoded_key_matches_the_documented_signature() -> Result<(), AwsError> {
    // The key `test$file.text`: encoded once in the path and signed as sent.
    let req = Request {
        method: http::Method::PUT,
        url: format!(
            "https://examplebucket.s3.amazonaws.com/{}",
            encode("test$file.text")
        ),
        headers: vec![
            ("date", "Fri, 24 May 2013 00:00:00 GMT".into()),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY".into()),
        ],
        body: bytes::Bytes::from_static(b"Welcome to Amazon S3."),
    };
    let signed = example_aws().sign(&S3, &req, &example_creds(), may_24_2013())?;
    assert_eq!(signed.uri().path(), "/test%24file.text");
    assert_eq!(
        signed
            .headers()
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok()),
        Some("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
    );
    assert_eq!(
        authorization(&signed),
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
         SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, \
         Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
    );
    Ok(())
}

#[test]
fn s3_presigned_get_matches_the_documented_url() -> Result<(), AwsError> {
    let url = example_aws().presign_get(
        "https://examplebucket.s3.amazonaws.com/test.txt",
        Duration::from_secs(86_400),
        &example_creds(),
        may_24_2013(),
    )?;
    let u = url::Url::parse(&url).map_err(|e| AwsError::new(e.to_string()))?;
    let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
    assert_eq!(u.path(), "/test.txt");
    assert_eq!(
        q.get("X-Amz-Algorithm").map(String::as_str),
        Some("AWS4-HMAC-SHA256")
    );
    assert_eq!(
        q.get("X-Amz-Credential").map(String::as_str),
        Some("AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request")
    );
    assert_eq!(q.get("X-Amz-Expires").map(String::as_str), Some("86400"));
    assert_eq!(
        q.get("X-Amz-SignedHeaders").map(String::as_str),
        Some("host")
    );
    assert_eq!(
        q.get("X-Amz-Signature").map(String::as_str),
        Some("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
    );
    Ok(())
}

#[test]
fn a_session_token_is_signed_into_the_request() -> Result<(), AwsError> {
    let creds = Credentials::new(
        "AKID",
        "secret",
        Some("role-session-token".into()),
        None,
        "t",
    );
    let req = Request {
        method: http::Method::POST,
        url: "https://sqs.ap-south-1.amazonaws.com/".into(),
        headers: vec![("x-amz-target", "AmazonSQS.SendMessage".into())],
        body: bytes::Bytes::from_static(b"{}"),
    };
    let signed = example_aws().sign(&SQS, &req, &creds, may_24_2013())?;
    assert_eq!(
        signed
            .headers()
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok()),
        Some("role-session-token")
    );
    let auth = authorization(&signed);
    assert!(auth.contains("/us-east-1/sqs/aws4_request"), "{auth}");
    assert!(
        auth.contains("x-amz-security-token") && auth.contains("x-amz-target"),
        "{auth}"
    );
    // SQS and SES take no payload hash header; only S3 does.
    assert!(signed.headers().get("x-amz-content-sha256").is_none());
    Ok(())
}

#[test]
fn error_codes_are_read_from_json_headers_and_xml() {
    let empty = http::HeaderMap::new();
    let (code, msg) = error_of(
        &empty,
        br#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The queue does not exist."}"#,
    );
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("QueueDoesNotExist", "The queue does not exist.")
    );
    let mut h = http::HeaderMap::new();
    h.insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static("MessageRejected:http://x/"),
    );
    let (code, _) = error_of(&h, br#"{"message":"Email address is not verified."}"#);
    assert_eq!(code, "MessageRejected");
    let (code, msg) = error_of(
        &empty,
        b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The bucket &apos;x&apos; does not exist</Message></Error>",
    );
    assert_eq!(code, "NoSuchBucket");
    assert!(msg.starts_with("The bucket"), "{msg}");
}

#[test]
fn object_urls_are_virtual_hosted_on_aws_and_path_style_on_an_endpoint() -> Result<(), AwsError> {
    let on_aws = s3::S3Client::new(Aws {
        region: Some("ap-south-1".into()),
        ..example_aws()
    });
    let local = s3::S3Client::new(example_aws().with_endpoint("http://127.0.0.1:5000/"));
    assert_eq!(
        on_aws.object_url("exports", "payments/2026 Nov.csv")?,
        "https://exports.s3.ap-south-1.amazonaws.com/payments/2026%20Nov.csv"
    );
    assert_eq!(
        on_aws.object_url("exports.yestoryd.in", "a.csv")?,
        "https://s3.ap-south-1.amazonaws.com/exports.yestoryd.in/a.csv"
    );
    assert_eq!(
        local.object_url("exports", "a/b+c.csv")?,
        "http://127.0.0.1:5000/exports/a/b%2Bc.csv"
    );
    let s3_elsewhere = Aws {
        service_endpoints: vec![(S3.endpoint_env, "http://127.0.0.1:4566".into())],
        ..example_aws().with_endpoint("http://127.0.0.1:5000")
    };
    assert_eq!(s3_elsewhere.base_url(&S3)?, "http://127.0.0.1:4566");
    assert_eq!(s3_elsewhere.base_url(&SQS)?, "http://127.0.0.1:5000");
    assert_eq!(
        example_aws().base_url(&SES)?,
        "https://email.us-east-1.amazonaws.com"
    );
    Ok(())
}
