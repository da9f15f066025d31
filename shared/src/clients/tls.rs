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
#[cfg(test)]
const AMAZON_ROOT_SUBJECTS: [&[u8]; 2] = [
    b"Amazon Root CA ",
    b"Starfield Services Root Certificate Authority - G2",
];

/// Only the roots AWS endpoints chain to, as PEM (what the AWS SDK's trust store takes): five
/// certificates, so building an AWS client parses five, not Mozilla's ~150. Compiled in as text:
/// finding them among `webpki-root-certs`' ~150 certificates and encoding them at every start
/// was 670,000 instructions, 29% of an SQS function's whole start under callgrind. A test checks
/// the file is exactly what that selection gives (`YT_WRITE_AWS_ROOTS=1` rewrites it after a
/// `webpki-root-certs` update).
pub const AWS_ROOTS_PEM: &[u8] = include_bytes!("aws_roots.pem");

/// Amazon's roots selected from `webpki-root-certs` and encoded as PEM: what `aws_roots.pem`
/// must hold.
#[cfg(test)]
fn aws_roots_pem_from_webpki() -> Vec<u8> {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(5 * 2048);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .filter(|c| is_amazon_root(c.as_ref()))
    {
        out.extend_from_slice(b"-----BEGIN CERTIFICATE-----\n");
        out.extend_from_slice(b64.encode(cert.as_ref()).as_bytes());
        out.extend_from_slice(b"\n-----END CERTIFICATE-----\n");
    }
    out
}

/// Whether a root certificate (DER) is one of Amazon's: its subject names one of them.
#[cfg(test)]
fn is_amazon_root(der: &[u8]) -> bool {
    AMAZON_ROOT_SUBJECTS
        .iter()
        .any(|s| memchr::memmem::find(der, s).is_some())
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
        use rustls::pki_types::{pem::PemObject, CertificateDer};
        let pem = super::AWS_ROOTS_PEM;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
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
                    .any(|c| memchr::memmem::find(c.as_ref(), n.as_bytes()).is_some()),
                "{n} missing"
            );
        }
    }

    #[test]
    fn the_compiled_in_aws_roots_are_amazons_roots_of_webpki_root_certs() {
        let want = super::aws_roots_pem_from_webpki();
        if std::env::var_os("YT_WRITE_AWS_ROOTS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/clients/aws_roots.pem");
            assert!(
                std::fs::write(path, &want).is_ok(),
                "could not write {path}"
            );
            return;
        }
        assert!(
            super::AWS_ROOTS_PEM == want.as_slice(),
            "aws_roots.pem differs from Amazon's roots in webpki-root-certs: rerun this test \
             with YT_WRITE_AWS_ROOTS=1"
        );
    }

    #[test]
    fn the_http_clients_build_with_the_compiled_in_roots() {
        assert!(super::http_client_builder().build().is_ok());
        assert!(webpki_roots::TLS_SERVER_ROOTS.len() > 100);
    }
}
