//! TLS through the address override, like curl's `--resolve`: the socket
//! goes to the override, the certificate must name the workbook address.
//! The simulator's certificate names only the workbook addresses (never
//! 127.0.0.1), so reaching it at all proves the check; a simulator whose
//! only address is 127.0.0.1 stands for a certificate naming the override.

use std::net::Ipv4Addr;

use smtx_api::{AddressOverride, ApiClient, ApiError, ClientConfig};
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WORKBOOK_IP: &str = "10.0.20.11";

async fn sim(spec: ClusterSpec) -> RunningSim {
    smtx_sim::start(
        spec,
        SimOptions {
            ssh: false,
            ..SimOptions::default()
        },
    )
    .await
    .expect("simulator starts")
}

/// One host at `10.0.20.11` (the certificate names it and the VIP).
fn workbook_spec() -> ClusterSpec {
    ClusterSpec::example(1)
}

/// One host whose only address is 127.0.0.1: its certificate names the
/// override's address, not the workbook's.
fn loopback_spec() -> ClusterSpec {
    let mut spec = ClusterSpec::example(1);
    spec.hosts[0].management_ip = Ipv4Addr::LOCALHOST;
    spec.vip = None;
    spec
}

/// A client for `https://10.0.20.11` sent to the simulator's first host.
fn client(sim: &RunningSim, ca: Option<&str>, insecure: bool) -> Result<ApiClient, ApiError> {
    let mut config = ClientConfig::new(format!("https://{WORKBOOK_IP}"));
    config.overrides = vec![AddressOverride {
        host: WORKBOOK_IP.to_string(),
        target: sim.nodes()[0].http,
    }];
    config.tls.ca_cert_pem = ca.map(|pem| pem.as_bytes().to_vec());
    config.tls.insecure = insecure;
    ApiClient::new(config)
}

#[tokio::test]
async fn the_certificate_is_checked_for_the_workbook_address_not_the_override() {
    let sim = sim(workbook_spec()).await;
    let ca = sim.ca_cert_pem().expect("https").to_string();
    let scan = client(&sim, Some(&ca), false)
        .expect("client")
        .host_scan()
        .await
        .expect("the certificate names 10.0.20.11: accepted through 127.0.0.1");
    assert_eq!(scan.hostname, "node-01");

    // Without the CA, the built-in web roots do not know the simulator's.
    let error = client(&sim, None, false)
        .expect("client")
        .host_scan()
        .await
        .expect_err("untrusted");
    assert!(matches!(error, ApiError::Tls { .. }), "{error:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_certificate_for_the_override_address_alone_is_refused() {
    let sim = sim(loopback_spec()).await;
    let ca = sim.ca_cert_pem().expect("https").to_string();
    let error = client(&sim, Some(&ca), false)
        .expect("client")
        .host_scan()
        .await
        .expect_err("a certificate for 127.0.0.1 does not name 10.0.20.11");
    let text = error.to_string();
    assert!(matches!(error, ApiError::Tls { .. }), "{error:?}");
    assert!(
        text.contains("10.0.20.11"),
        "names the workbook address: {text}"
    );
    assert!(text.contains("not valid for name"), "says why: {text}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_ca_is_trusted_alone_and_insecure_checks_nothing() {
    let ours = sim(workbook_spec()).await;
    let other = sim(workbook_spec()).await;
    let other_ca = other.ca_cert_pem().expect("https").to_string();
    // Another simulator's CA does not vouch for this one.
    let error = client(&ours, Some(&other_ca), false)
        .expect("client")
        .host_scan()
        .await
        .expect_err("wrong CA");
    assert!(matches!(error, ApiError::Tls { .. }), "{error:?}");
    // insecure: even the certificate naming only 127.0.0.1 is accepted.
    let loopback = sim(loopback_spec()).await;
    client(&loopback, None, true)
        .expect("client")
        .host_scan()
        .await
        .expect("insecure accepts any certificate");
    // Both at once is a contradiction, refused before anything is sent.
    let error = client(&ours, Some(&other_ca), true).expect_err("CA and insecure");
    assert!(matches!(error, ApiError::Config(_)), "{error:?}");
    for sim in [ours, other, loopback] {
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn every_host_checks_its_own_address() {
    // Three hosts on 127.0.0.1 at three ports: each override checks its own
    // workbook address, so the shared IP does not blur them.
    let sim = sim(ClusterSpec::example(3)).await;
    let ca = sim.ca_cert_pem().expect("https").to_string();
    let mut config = ClientConfig::new(format!("https://{WORKBOOK_IP}"));
    config.overrides = sim
        .nodes()
        .iter()
        .map(|node| AddressOverride {
            host: node.workbook_ip.to_string(),
            target: node.http,
        })
        .collect();
    config.tls.ca_cert_pem = Some(ca.into_bytes());
    let client = ApiClient::new(config).expect("client");
    for node in sim.nodes() {
        let scan = client
            .with_base(&client.base_for_host(&node.workbook_ip.to_string()))
            .expect("base")
            .host_scan()
            .await
            .expect("each host through its override");
        assert_eq!(scan.hostname, node.hostname);
    }
    let calls = sim.state()["calls"].as_array().cloned().unwrap_or_default();
    let targets: Vec<String> = calls
        .iter()
        .filter(|c| c["path"] == "/api/v2/deployment/host")
        .map(|c| c["target"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(targets.len(), 3, "{calls:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_name_through_the_override_keeps_its_host_header() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.expect("read");
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"ec":"EOK","error":{},"data":{"hostname":"n","host_uuid":"u"}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.expect("write");
        String::from_utf8_lossy(&head).into_owned()
    });
    let mut config = ClientConfig::new("http://cluster.example.invalid");
    config.overrides = vec![AddressOverride {
        host: "cluster.example.invalid".to_string(),
        target: addr,
    }];
    let client = ApiClient::new(config).expect("client");
    client
        .host_scan()
        .await
        .expect("a name resolves to the override");
    let head = server.await.expect("server").to_ascii_lowercase();
    assert!(
        head.contains("\r\nhost: cluster.example.invalid\r\n"),
        "{head}"
    );
}
