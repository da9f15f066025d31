//! One trust store for every outbound TLS client: Mozilla's roots compiled into the binary as
//! ready trust anchors (`webpki-roots`: subject and key already extracted, nothing parsed at
//! start). The defaults of reqwest (rustls-platform-verifier) and of the AWS SDK scanned the
//! system certificate store — ~150 files — each time a client was built, which at a Lambda cold
//! start was most of the time before the first request could be taken; handing reqwest the roots
//! as DER certificates still parsed all ~150 at every start.
use rustls::pki_types::TrustAnchor;
use std::sync::Arc;

/// A reqwest client builder that trusts exactly the compiled-in roots.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    builder_trusting(webpki_roots::TLS_SERVER_ROOTS.iter())
}

/// The subjects of Amazon Trust Services' roots, which every `*.amazonaws.com` endpoint (SQS,
/// SES, S3) chains to: Amazon Root CA 1–4 and the Starfield Services G2 root that cross-signs
/// them.
const AMAZON_ROOT_SUBJECTS: [&[u8]; 2] = [
    b"Amazon Root CA ",
    b"Starfield Services Root Certificate Authority - G2",
];

/// A reqwest client builder for AWS endpoints: only the roots they chain to.
pub fn aws_http_client_builder() -> reqwest::ClientBuilder {
    builder_trusting(aws_roots())
}

fn aws_roots() -> impl Iterator<Item = &'static TrustAnchor<'static>> {
    webpki_roots::TLS_SERVER_ROOTS
        .iter()
        .filter(|a| is_amazon_root(a))
}

fn is_amazon_root(anchor: &TrustAnchor<'_>) -> bool {
    AMAZON_ROOT_SUBJECTS
        .iter()
        .any(|s| memchr::memmem::find(anchor.subject.as_ref(), s).is_some())
}

/// rustls configured as reqwest would configure it with `tls_certs_only` (aws-lc-rs, TLS 1.2
/// and 1.3, webpki verification, ALPN h2 then http/1.1), but from trust anchors.
fn builder_trusting(
    roots: impl Iterator<Item = &'static TrustAnchor<'static>>,
) -> reqwest::ClientBuilder {
    let store = rustls::RootCertStore {
        roots: roots.cloned().collect(),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => {
            let mut tls = b.with_root_certificates(store).with_no_client_auth();
            tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
            reqwest::Client::builder().tls_backend_preconfigured(tls)
        }
        // The provider supports the default versions; should it ever not, reqwest's own
        // configuration with no roots fails every TLS handshake rather than trusting the system.
        Err(_) => reqwest::Client::builder().tls_certs_only(std::iter::empty()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_aws_bundle_holds_exactly_amazons_five_roots() {
        let subjects: Vec<&[u8]> = super::aws_roots().map(|a| a.subject.as_ref()).collect();
        assert_eq!(
            subjects.len(),
            5,
            "Amazon Root CA 1-4 and Starfield Services G2"
        );
        for n in [
            "Amazon Root CA 1",
            "Amazon Root CA 4",
            "Starfield Services Root",
        ] {
            assert!(
                subjects
                    .iter()
                    .any(|s| s.windows(n.len()).any(|w| w == n.as_bytes())),
                "{n} missing"
            );
        }
    }

    #[test]
    fn the_http_clients_build_with_the_compiled_in_roots() {
        assert!(super::http_client_builder().build().is_ok());
        assert!(super::aws_http_client_builder().build().is_ok());
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    }
}
