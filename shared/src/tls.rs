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

/// The compiled-in roots as one PEM bundle (what the AWS SDK's trust store takes).
pub fn roots_pem() -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = Vec::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2048);
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
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
        let pem = super::roots_pem();
        let n = CertificateDer::pem_slice_iter(&pem)
            .filter(|c| c.is_ok())
            .count();
        assert_eq!(n, webpki_root_certs::TLS_SERVER_ROOT_CERTS.len());
        assert!(n > 100);
    }

    #[test]
    fn the_http_client_builds_with_the_compiled_in_roots() {
        assert!(super::http_client_builder().build().is_ok());
    }
}
