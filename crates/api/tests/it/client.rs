//! The HTTP client's rules, checked against small servers on loopback and
//! the simulator: the address override keeps the workbook address in the
//! Host header, the envelope failure rule, retries only where repeating is
//! safe, one re-login on 401, and job waits.

use std::time::Duration;

use smtx_api::{ApiClient, ApiError, ClientConfig, JobWait, RetryPolicy};
use smtx_secret::Secret;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-shot HTTP server: answers `body` with `status`, hands back the request head.
async fn one_shot(
    status: u16,
    body: &'static str,
) -> (std::net::SocketAddr, tokio::task::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = tokio::spawn(async move {
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
        let answer = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.expect("write");
        String::from_utf8_lossy(&head).into_owned()
    });
    (addr, handle)
}

fn client_via(addr: std::net::SocketAddr) -> ApiClient {
    let mut config = ClientConfig::new("http://10.0.20.11");
    config.overrides = vec![format!("10.0.20.11={addr}").parse().expect("override")];
    config.retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    ApiClient::new(config).expect("client")
}

#[tokio::test]
async fn override_sends_the_socket_elsewhere_and_keeps_the_host_header() {
    let (addr, server) = one_shot(200, r#"{"ec":"EOK","error":{},"data":{"serial":"abc"}}"#).await;
    let client = client_via(addr);
    client.set_session_token(Secret::new("0123456789abcdef0123456789abcdef"));
    let license = client.license().await.expect("license");
    assert_eq!(license.serial, "abc");
    let head = server.await.expect("server").to_ascii_lowercase();
    assert!(head.starts_with("get /api/v2/tools/license "), "{head}");
    assert!(head.contains("\r\nhost: 10.0.20.11\r\n"), "{head}");
    assert!(
        head.contains("x-smartx-token: 0123456789abcdef0123456789abcdef"),
        "{head}"
    );
}

#[tokio::test]
async fn an_error_envelope_is_a_failure_even_with_200() {
    let (addr, _server) = one_shot(
        200,
        r#"{"ec":"REST_UNKNOWN_ERROR","error":{"msg":"boom","detail":"d"},"data":{}}"#,
    )
    .await;
    let error = client_via(addr).license().await.expect_err("fails");
    match &error {
        ApiError::Api {
            status,
            ec,
            msg,
            action,
        } => {
            assert_eq!(*status, 200);
            assert_eq!(ec.as_deref(), Some("REST_UNKNOWN_ERROR"));
            assert_eq!(msg.as_deref(), Some("boom (d)"));
            assert_eq!(action, "GET /api/v2/tools/license");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.to_string().contains("REST_UNKNOWN_ERROR"));
}

#[tokio::test]
async fn a_body_that_is_not_json_is_a_failure() {
    let (addr, _server) = one_shot(200, "<html>proxy error</html>").await;
    let error = client_via(addr).license().await.expect_err("fails");
    assert!(matches!(error, ApiError::Decode { .. }), "{error:?}");
}

/// A simulator, logged in, and a client on it.
async fn simulated(options: smtx_sim::SimOptions) -> (smtx_sim::RunningSim, ApiClient) {
    let sim = smtx_sim::start(smtx_sim::ClusterSpec::example(1), options)
        .await
        .expect("sim");
    let node = &sim.nodes()[0];
    let mut config = ClientConfig::new(format!("{}://{}", sim.scheme(), node.workbook_ip));
    config.overrides = vec![
        format!("{}={}", node.workbook_ip, node.http)
            .parse()
            .expect("override"),
    ];
    config.tls.ca_cert_pem = sim.ca_cert_pem().map(|p| p.as_bytes().to_vec());
    config.retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
    };
    let client = ApiClient::new(config).expect("client");
    let password = Secret::new("HC!r0cks");
    client
        .setup_root("root", &password)
        .await
        .expect("setupRoot");
    client.login("root", &password).await.expect("login");
    (sim, client)
}

fn calls(sim: &smtx_sim::RunningSim, method: &str, path: &str) -> usize {
    sim.state()["calls"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter(|c| c["method"] == method && c["path"] == path)
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn get_and_put_are_retried_post_is_not() {
    let (sim, client) = simulated(smtx_sim::SimOptions::default()).await;
    sim.inject(smtx_sim::Fault::EndpointStatus {
        method: "GET".into(),
        path: "/api/v2/tools/license".into(),
        status: 503,
        times: 2,
    });
    client.license().await.expect("third try answers");
    assert_eq!(calls(&sim, "GET", "/api/v2/tools/license"), 3);

    sim.inject(smtx_sim::Fault::EndpointStatus {
        method: "POST".into(),
        path: "/api/v2/network/vds".into(),
        status: 503,
        times: 1,
    });
    let request = smtx_api::CreateVds {
        name: "vDS-X".into(),
        bond_mode: "active-backup".into(),
        hosts_associated: vec![],
    };
    let error = client.create_vds(&request).await.expect_err("503");
    assert_eq!(error.status(), Some(503));
    assert_eq!(
        calls(&sim, "POST", "/api/v2/network/vds"),
        1,
        "a create is never repeated blindly"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_session_logs_in_again_once() {
    let (sim, client) = simulated(smtx_sim::SimOptions::default()).await;
    sim.inject(smtx_sim::Fault::TokenExpiresAfter { calls: 1 });
    for _ in 0..3 {
        client.license().await.expect("renewed transparently");
    }
    assert!(calls(&sim, "POST", "/api/v3/sessions") >= 3);
    sim.shutdown().await;
}

#[tokio::test]
async fn job_wait_ends_on_done_and_on_its_deadline() {
    let (sim, client) = simulated(smtx_sim::SimOptions {
        job_polls_to_finish: 2,
        ..smtx_sim::SimOptions::default()
    })
    .await;
    let job = client
        .set_dns(&["10.0.0.1".parse().expect("ip")])
        .await
        .expect("dns")
        .expect("job id");
    let done = client
        .wait_job(&job, JobWait::default())
        .await
        .expect("done");
    assert!(done.is_done());
    sim.shutdown().await;

    let (sim, client) = simulated(smtx_sim::SimOptions {
        job_polls_to_finish: 1_000_000,
        ..smtx_sim::SimOptions::default()
    })
    .await;
    let job = client
        .set_ntp(&["ntp.example.com".to_string()])
        .await
        .expect("ntp")
        .expect("job id");
    let wait = JobWait {
        deadline: Duration::from_millis(500),
        ..JobWait::default()
    };
    let error = client.wait_job(&job, wait).await.expect_err("times out");
    assert!(matches!(error, ApiError::JobTimeout { .. }), "{error:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn job_wait_follows_a_slow_job_to_its_end() {
    let (sim, client) = simulated(smtx_sim::SimOptions {
        job_polls_to_finish: 0,
        job_duration: Duration::from_millis(400),
        ..smtx_sim::SimOptions::default()
    })
    .await;
    let job = client
        .set_dns(&["10.0.0.1".parse().expect("ip")])
        .await
        .expect("dns")
        .expect("job id");
    let started = std::time::Instant::now();
    let done = client
        .wait_job(&job, JobWait::default())
        .await
        .expect("done");
    assert!(done.is_done());
    assert!(started.elapsed() >= Duration::from_millis(400));
    // The interval grows from 100 ms: a handful of polls, not a busy loop.
    assert!(calls(&sim, "GET", &format!("/api/v2/jobs/{job}")) <= 8);
    sim.shutdown().await;
}
