//! One trust store for every outbound TLS client: Mozilla's roots compiled into the binary
//! (`webpki-root-certs`). The defaults of reqwest (rustls-platform-verifier) and of the AWS SDK
//! scan the system certificate store — ~150 files — each time a client is built, which at a
//! Lambda cold start is most of the time before the first request can be taken.
use base64::Engine;

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

/// Only the roots AWS endpoints chain to, as PEM (what the AWS SDK's trust store takes). The SDK
/// parses its trust store each time a client is built; with all ~150 Mozilla roots that was
/// three quarters of an SQS client's construction at a cold start (measured with perf).
pub fn aws_roots_pem() -> Vec<u8> {
    pem_of(
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .filter(|c| is_amazon_root(c.as_ref())),
    )
}

fn is_amazon_root(der: &[u8]) -> bool {
    AMAZON_ROOT_SUBJECTS
        .iter()
        .any(|s| der.windows(s.len()).any(|w| w == *s))
}

fn pem_of<'a>(
    certs: impl Iterator<Item = &'a rustls::pki_types::CertificateDer<'static>>,
) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for cert in certs {
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        out.extend_from_slice(b64.encode(cert.as_ref()).as_bytes());
        out.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pem_bundle_parses_into_every_root() {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = super::pem_of(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter());
        let n = CertificateDer::pem_slice_iter(&pem)
            .filter(|c| c.is_ok())
            .count();
        assert_eq!(n, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(n > 100);
    }

    #[test]
    fn the_aws_bundle_holds_exactly_amazons_five_roots() {
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = super::aws_roots_pem();
        let certs: Vec<_> = CertificateDer::pem_slice_iter(&pem)
            .filter_map(Result::ok)
            .collect();
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
