//! The AWS SDK's shared configuration, made the way a Lambda cold start wants it: TLS trusts
//! the Mozilla roots compiled into the binary (the SDK's default client scans the system
//! certificate store, ~150 files, each time a client is built), credentials stay lazy (the
//! first AWS call looks them up, not the cold start), and every operation has a deadline so a
//! hung AWS endpoint never holds a request.
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use base64::Engine;
use std::time::Duration;

/// Per attempt and in total: SQS, SES and S3 answer in milliseconds when healthy.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The compiled-in roots as one PEM bundle (what the SDK's trust store takes).
fn webpki_pem() -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        out.extend_from_slice(b64.encode(cert.as_ref()).as_bytes());
        out.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    }
    out
}

pub async fn sdk_config() -> aws_config::SdkConfig {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(webpki_pem());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts)
        .load()
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_compiled_in_bundle_parses_into_every_root() {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = super::webpki_pem();
        let n = CertificateDer::pem_slice_iter(&pem)
            .filter(|c| c.is_ok())
            .count();
        assert_eq!(n, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(n > 100);
    }
}
