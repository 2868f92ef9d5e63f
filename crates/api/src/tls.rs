//! TLS for the HTTP client: which certificates are trusted (the configured
//! CA alone, else the built-in web roots; nothing is checked with
//! `insecure`) and which name a certificate must carry.
//!
//! Through an address override the socket goes to the override, but the
//! certificate must name the workbook address, as with curl's `--resolve`:
//! a cluster's certificate names the cluster's own address, not the port
//! forward or tunnel an engineer reaches it through. reqwest cannot resolve
//! an IP literal to another address, so the client rewrites the URL to the
//! override and hands each overridden address a connection of its own whose
//! verifier checks the workbook name instead of the one in the URL. Several
//! workbook addresses may share one override IP (the simulator puts them all
//! on 127.0.0.1), so the name cannot be derived from the URL.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::{ApiError, ConfigReason};

/// How the server certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// The CA certificates (PEM) to trust, e.g. the simulator's or the
    /// cluster's: these alone, not the built-in web roots. `None`: the web
    /// roots.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Accept any certificate. Clusters ship self-signed ones; opt-in only,
    /// and never together with a CA.
    pub insecure: bool,
}

/// The trust decision of one client, shared by all its connections.
#[derive(Debug)]
pub(crate) struct TlsSetup {
    provider: Arc<CryptoProvider>,
    /// `None`: accept any certificate (`insecure`).
    verifier: Option<Arc<WebPkiServerVerifier>>,
}

/// Which HTTP versions a connection offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alpn {
    /// HTTP/2 or HTTP/1.1, the server's choice.
    Any,
    /// HTTP/1.1 only: through an override the `Host` header carries the
    /// workbook address, and HTTP/2 would take `:authority` from the
    /// rewritten URL instead.
    Http1,
}

impl TlsSetup {
    pub(crate) fn new(config: &TlsConfig) -> Result<Self, ApiError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        if config.insecure {
            if config.ca_cert_pem.is_some() {
                return Err(ApiError::Config(ConfigReason::InsecureWithCa));
            }
            return Ok(Self {
                provider,
                verifier: None,
            });
        }
        let roots = match &config.ca_cert_pem {
            Some(pem) => ca_roots(pem)?,
            None => RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
        };
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| {
                    ApiError::Config(ConfigReason::TlsSettings {
                        cause: e.to_string(),
                    })
                })?;
        Ok(Self {
            provider,
            verifier: Some(verifier),
        })
    }

    /// A rustls configuration whose certificates must name `expected` (the
    /// workbook address) when given, else the host of the URL.
    pub(crate) fn client_config(
        &self,
        expected: Option<ServerName<'static>>,
        alpn: Alpn,
    ) -> Result<rustls::ClientConfig, ApiError> {
        let verifier: Arc<dyn ServerCertVerifier> = match (&self.verifier, expected) {
            (None, _) => Arc::new(AcceptAnyCertificate(Arc::clone(&self.provider))),
            (Some(webpki), None) => Arc::clone(webpki) as Arc<dyn ServerCertVerifier>,
            (Some(webpki), Some(name)) => Arc::new(ExpectedName {
                inner: Arc::clone(webpki),
                name,
            }),
        };
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                ApiError::Config(ConfigReason::TlsVersions {
                    cause: e.to_string(),
                })
            })?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = match alpn {
            Alpn::Any => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            Alpn::Http1 => vec![b"http/1.1".to_vec()],
        };
        Ok(config)
    }
}

/// Whether `pem` holds CA certificates the client would trust: front ends
/// check a named CA before a run, so a wrong file is bad input, not a run
/// that fails at its first call.
pub fn check_ca_pem(pem: &[u8]) -> Result<(), ConfigReason> {
    match ca_roots(pem) {
        Ok(_) => Ok(()),
        Err(ApiError::Config(reason)) => Err(reason),
        Err(other) => Err(ConfigReason::CaNotPem {
            cause: other.to_string(),
        }),
    }
}

/// The CA file's certificates, and nothing else: `--ca-cert` says whom to
/// trust, so the web's roots do not get a say.
fn ca_roots(pem: &[u8]) -> Result<RootCertStore, ApiError> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = RootCertStore::empty();
    for der in CertificateDer::pem_slice_iter(pem) {
        let der = der.map_err(|e| {
            ApiError::Config(ConfigReason::CaNotPem {
                cause: e.to_string(),
            })
        })?;
        roots.add(der).map_err(|e| {
            ApiError::Config(ConfigReason::CaRefused {
                cause: e.to_string(),
            })
        })?;
    }
    if roots.is_empty() {
        return Err(ApiError::Config(ConfigReason::CaEmpty));
    }
    Ok(roots)
}

/// Checks the chain as usual, but for the workbook address instead of the
/// name in the (rewritten) URL.
#[derive(Debug)]
struct ExpectedName {
    inner: Arc<WebPkiServerVerifier>,
    name: ServerName<'static>,
}

impl ServerCertVerifier for ExpectedName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _url_host: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, &self.name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `insecure`: any certificate, for any name. The handshake signatures are
/// still checked, so the peer at least holds the key of what it presents.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The name a certificate must carry for `host` (an IP or a DNS name).
pub(crate) fn server_name(host: &str) -> Result<ServerName<'static>, ApiError> {
    ServerName::try_from(host.to_string()).map_err(|e| {
        ApiError::Config(ConfigReason::NotAServerName {
            host: host.to_string(),
            cause: e.to_string(),
        })
    })
}
