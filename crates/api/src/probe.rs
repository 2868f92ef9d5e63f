//! Whether anything already answers at an address: a TCP connect with a
//! short deadline, nothing sent. Used before claiming an address another
//! device may hold (the management VIP): setting a VIP that something else
//! answers on takes the cluster's management off the network.

use std::net::SocketAddr;
use std::time::Duration;

/// The addresses among `addresses` that accept a TCP connection within
/// `deadline`, probed in parallel, in the order given. A refused, unreachable
/// or silent address does not answer.
pub async fn answering(addresses: &[SocketAddr], deadline: Duration) -> Vec<SocketAddr> {
    let probes = addresses.iter().map(|&address| async move {
        let connect = tokio::net::TcpStream::connect(address);
        let outcome = tokio::time::timeout(deadline, connect).await;
        let (answers, error) = match outcome {
            Ok(Ok(_)) => (true, String::new()),
            Ok(Err(error)) => (false, error.to_string()),
            Err(_) => (false, format!("no answer within {deadline:?}")),
        };
        tracing::info!(
            action = "tcp_probe",
            address = %address,
            status = if answers { "answers" } else { "silent" },
            error = %error,
        );
        answers.then_some(address)
    });
    futures::future::join_all(probes)
        .await
        .into_iter()
        .flatten()
        .collect()
}
