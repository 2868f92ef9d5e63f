//! The simulator's certificate names the workbook addresses (hosts and VIP)
//! and nothing else, like a cluster's own: a client that checks it against
//! the loopback address it connected to is refused, so every test that
//! passes through an address override proves the override checks the
//! workbook address.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::pki_types::pem::PemObject;
use smtx_sim::{ClusterSpec, SimOptions};
use smtx_testkit::start_sim;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::common::TestResult;

/// A TLS handshake with the listener at `addr`, checking the certificate
/// for `name` against the simulator's CA alone.
async fn handshake(ca_pem: &str, addr: std::net::SocketAddr, name: &str) -> Result<(), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for der in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(der.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(name.to_owned()).map_err(|e| e.to_string())?;
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    TlsConnector::from(Arc::new(config))
        .connect(name, stream)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_certificate_names_only_the_workbook_addresses() -> TestResult {
    let spec = ClusterSpec::example(2);
    let vip = spec.vip.ok_or("the example has a VIP")?;
    let sim = start_sim(spec.clone(), SimOptions::default()).await;
    let ca = sim.ca_cert_pem().ok_or("https by default")?.to_owned();
    let node = sim.nodes()[1].clone();
    for host in &spec.hosts {
        handshake(&ca, node.http, &host.management_ip.to_string()).await?;
    }
    handshake(&ca, node.http, &vip.to_string()).await?;
    for loopback in ["127.0.0.1", "localhost", "::1"] {
        let error = handshake(&ca, node.http, loopback)
            .await
            .err()
            .ok_or(format!("{loopback} must not be in the certificate"))?;
        assert!(error.contains("not valid for name"), "{loopback}: {error}");
    }
    // A name outside the workbook is refused too.
    assert!(handshake(&ca, node.http, "10.0.20.99").await.is_err());
    sim.shutdown().await;
    Ok(())
}
