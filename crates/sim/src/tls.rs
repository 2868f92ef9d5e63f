//! The simulator's certificates: a throw-away CA and a server leaf signed by
//! it, valid for the workbook addresses (hosts and VIP) and nothing else —
//! like a cluster's own certificate. The listeners are on 127.0.0.1, so a
//! client that checks the certificate against the address it connected to
//! fails: only one that checks the workbook address through its address
//! override (curl's `--resolve`) gets in, which is what a site needs.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::ServerConfig;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::SimError;

/// The CA (PEM, for clients to trust) and the server configuration.
pub(crate) struct SimTls {
    pub ca_pem: String,
    pub server_config: Arc<ServerConfig>,
}

fn tls_error(what: &str, error: impl std::fmt::Display) -> SimError {
    SimError::Tls {
        message: format!("{what}: {error}"),
    }
}

pub(crate) fn generate(addresses: &[Ipv4Addr]) -> Result<SimTls, SimError> {
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_error("CA parameters", e))?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "smtx-sim CA");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(|e| tls_error("CA key", e))?;
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(|e| tls_error("CA certificate", e))?;

    let mut leaf_params = CertificateParams::new(Vec::<String>::new())
        .map_err(|e| tls_error("server parameters", e))?;
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "smtx-sim");
    leaf_params.is_ca = IsCa::NoCa;
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    if addresses.is_empty() {
        return Err(tls_error("server certificate", "no address to name"));
    }
    let mut ips: Vec<IpAddr> = Vec::new();
    for address in addresses {
        let ip = IpAddr::V4(*address);
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    leaf_params
        .subject_alt_names
        .extend(ips.into_iter().map(SanType::IpAddress));
    let leaf_key = KeyPair::generate().map_err(|e| tls_error("server key", e))?;
    let leaf_cert = leaf_params
        .signed_by(&leaf_key, &ca_cert, &ca_key)
        .map_err(|e| tls_error("server certificate", e))?;

    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let mut server_config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error("TLS versions", e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| tls_error("TLS server configuration", e))?;
    // HTTP/1.1 only: the accept loop serves HTTP/1 connections.
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(SimTls {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(server_config),
    })
}
