//! The configuration as built at cold start. What the SDK then sends (signing, retries, error
//! shapes) is tested against an AWS double in `tests/aws_client.rs` and against moto.
use super::*;

fn aws_with(endpoint: Option<&str>, per_service: &[(Service, &str)]) -> anyhow::Result<Aws> {
    Ok(Aws {
        config: sdk_config(Some("ap-south-1".into()))?,
        endpoint: endpoint.map(str::to_string),
        service_endpoints: per_service
            .iter()
            .map(|(s, e)| (*s, e.to_string()))
            .collect(),
    })
}

#[test]
fn a_service_endpoint_variable_wins_over_the_general_one() -> anyhow::Result<()> {
    let aws = aws_with(
        Some("http://127.0.0.1:5000"),
        &[(Service::S3, "http://127.0.0.1:9000")],
    )?;
    assert_eq!(aws.endpoint(Service::S3), Some("http://127.0.0.1:9000"));
    assert_eq!(aws.endpoint(Service::Sqs), Some("http://127.0.0.1:5000"));
    let on_aws = aws_with(None, &[])?;
    assert_eq!(on_aws.endpoint(Service::SesV2), None);
    let moved = on_aws.with_endpoint("http://127.0.0.1:9");
    assert_eq!(moved.endpoint(Service::Sqs), Some("http://127.0.0.1:9"));
    Ok(())
}

#[test]
fn the_shared_configuration_has_the_deadlines_retries_and_region() -> anyhow::Result<()> {
    let config = sdk_config(Some("ap-south-1".into()))?;
    let timeouts = config
        .timeout_config()
        .ok_or_else(|| anyhow::anyhow!("no timeouts"))?;
    assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
    assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
    assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
    let retry = config
        .retry_config()
        .ok_or_else(|| anyhow::anyhow!("no retries"))?;
    assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
    assert_eq!(retry.mode(), aws_smithy_types::retry::RetryMode::Standard);
    assert_eq!(config.region().map(|r| r.as_ref()), Some("ap-south-1"));
    assert!(config.credentials_provider().is_some());
    assert!(config.http_client().is_some());
    Ok(())
}

#[test]
fn endpoint_values_are_trimmed_and_empty_ones_ignored() {
    std::env::set_var("YT_TEST_AWS_VAR", " http://127.0.0.1:5000/ ");
    assert_eq!(
        var("YT_TEST_AWS_VAR").as_deref(),
        Some("http://127.0.0.1:5000")
    );
    std::env::set_var("YT_TEST_AWS_VAR", "  ");
    assert_eq!(var("YT_TEST_AWS_VAR"), None);
}
