//! One trust store for every outbound TLS client: Mozilla's roots compiled into the binary
//! (`webpki-root-certs`). The defaults of reqwest (rustls-platform-verifier) and of the AWS SDK
//! scan the system certificate store — ~150 files — each time a client is built, which at a
//! Lambda cold start is most of the time before the first request can be taken.
/// A reqwest client builder that trusts exactly the compiled-in roots.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok());
    reqwest::Client::builder().tls_certs_only(roots)
}

/// The subjects of Amazon Trust Services' roots, which every `*.amazonaws.com` endpoint (SQS,
/// SES, S3) chains to: Amazon Root CA 1–4 and the Starfield Services G2 root that cross-signs
/// them.
const AMAZON_ROOT_SUBJECTS: [&[u8]; 2] = [
    b"Amazon Root CA ",
    b"Starfield Services Root Certificate Authority - G2",
];

/// A reqwest client builder for AWS endpoints: only the roots they chain to. Fewer roots to parse
/// when the client is built at a cold start (with all ~150 Mozilla roots, parsing them was three
/// quarters of the SDK's SQS client construction, measured with perf).
pub fn aws_http_client_builder() -> reqwest::ClientBuilder {
    let roots = aws_roots().filter_map(|c| reqwest::Certificate::from_der(c.as_ref()).ok());
    reqwest::Client::builder().tls_certs_only(roots)
}

fn aws_roots() -> impl Iterator<Item = &'static rustls::pki_types::CertificateDer<'static>> {
    webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter(|c| is_amazon_root(c.as_ref()))
}

fn is_amazon_root(der: &[u8]) -> bool {
    AMAZON_ROOT_SUBJECTS
        .iter()
        .any(|s| der.windows(s.len()).any(|w| w == *s))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_aws_bundle_holds_exactly_amazons_five_roots() {
        let certs: Vec<_> = super::aws_roots().collect();
        assert_eq!(
            certs.len(),
            5,
            "Amazon Root CA 1-4 and Starfield Services G2"
        );
        for n in [
            "Amazon Root CA 1",
            "Amazon Root CA 4",
            "Starfield Services Root",
        ] {
            assert!(
                certs
                    .iter()
                    .any(|c| c.as_ref().windows(n.len()).any(|w| w == n.as_bytes())),
                "{n} missing"
            );
        }
    }

    #[test]
    fn the_http_client_builds_with_the_compiled_in_roots() {
        assert!(super::http_client_builder().build().is_ok());
    }
}
