//! SSH against the whole simulator (its accounts behind the SSH server):
//! login as `smartx`, `sudo -n chpasswd` over stdin with awkward passwords,
//! re-login with the new password, root refused, `passwords_rotated` in the
//! state, and the two SSH faults.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::ChannelMsg;
use russh::keys::PublicKey;
use smtx_sim::{ClusterSpec, DEFAULT_HOST_PASSWORD, Fault, RunningSim, SimOptions};
use smtx_testkit::start_sim;

use crate::common::{AnyError, TestResult};

const DEADLINE: Duration = Duration::from_secs(10);

struct TrustOne(PublicKey);

impl russh::client::Handler for TrustOne {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKey) -> Result<bool, Self::Error> {
        Ok(key.key_data() == self.0.key_data())
    }
}

fn ssh_addr(sim: &RunningSim, node: usize) -> Result<SocketAddr, AnyError> {
    sim.nodes()
        .get(node)
        .and_then(|n| n.ssh)
        .ok_or_else(|| format!("node {node} has no SSH listener").into())
}

async fn connect(
    sim: &RunningSim,
    seed: u64,
    node: usize,
) -> Result<russh::client::Handle<TrustOne>, AnyError> {
    connect_to(ssh_addr(sim, node)?, seed, node).await
}

/// Connect to `address`, trusting only the host key of `node`.
async fn connect_to(
    address: SocketAddr,
    seed: u64,
    node: usize,
) -> Result<russh::client::Handle<TrustOne>, AnyError> {
    let key = smtx_sim::ssh::host_key_for(seed, node).public_key().clone();
    let config = Arc::new(russh::client::Config::default());
    let handle = tokio::time::timeout(
        DEADLINE,
        russh::client::connect(config, address, TrustOne(key)),
    )
    .await??;
    Ok(handle)
}

pub async fn login(
    sim: &RunningSim,
    seed: u64,
    node: usize,
    user: &str,
    password: &str,
) -> Result<bool, AnyError> {
    let mut session = connect(sim, seed, node).await?;
    let result =
        tokio::time::timeout(DEADLINE, session.authenticate_password(user, password)).await??;
    Ok(result.success())
}

/// Logs in as smartx and runs `sudo -n chpasswd` with `stdin`; returns the
/// exit status and stderr.
pub async fn chpasswd(
    sim: &RunningSim,
    seed: u64,
    node: usize,
    password: &str,
    stdin: &[u8],
) -> Result<(Option<u32>, String), AnyError> {
    let mut session = connect(sim, seed, node).await?;
    let auth = session.authenticate_password("smartx", password).await?;
    if !auth.success() {
        return Err("login refused".into());
    }
    let mut channel = session.channel_open_session().await?;
    channel.exec(true, "sudo -n chpasswd").await?;
    let mut status = None;
    let mut stderr = String::new();
    let mut sent = false;
    tokio::time::timeout(DEADLINE, async {
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Success if !sent => {
                    sent = true;
                    channel.data(stdin).await?;
                    channel.eof().await?;
                }
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    stderr.push_str(&String::from_utf8_lossy(&data));
                }
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        Ok::<_, russh::Error>(())
    })
    .await??;
    Ok((status, stderr))
}

#[tokio::test]
async fn passwords_rotate_over_ssh_and_later_logins_use_them() -> TestResult {
    let spec = ClusterSpec::example(3);
    let seed = spec.seed;
    let sim = start_sim(spec, SimOptions::default()).await;
    assert!(login(&sim, seed, 1, "smartx", DEFAULT_HOST_PASSWORD).await?);
    assert!(!login(&sim, seed, 1, "smartx", "wrong").await?);
    assert!(
        !login(&sim, seed, 1, "root", DEFAULT_HOST_PASSWORD).await?,
        "root never logs in"
    );

    let new_smartx = r#"a'b"c$d`e\f g;h"#;
    let new_root = r#"R00t$"quote"'!; `id` \n"#;
    let stdin = format!("smartx:{new_smartx}\nroot:{new_root}\n");
    let (status, stderr) = chpasswd(&sim, seed, 1, DEFAULT_HOST_PASSWORD, stdin.as_bytes()).await?;
    assert_eq!(status, Some(0), "stderr: {stderr}");

    assert!(login(&sim, seed, 1, "smartx", new_smartx).await?);
    assert!(!login(&sim, seed, 1, "smartx", DEFAULT_HOST_PASSWORD).await?);
    assert!(
        !login(&sim, seed, 1, "root", new_root).await?,
        "root still refused"
    );
    // Other nodes keep their own passwords.
    assert!(login(&sim, seed, 0, "smartx", DEFAULT_HOST_PASSWORD).await?);

    let (status, stderr) = chpasswd(&sim, seed, 0, DEFAULT_HOST_PASSWORD, b"nobody:x\n").await?;
    assert_eq!(status, Some(1));
    assert!(stderr.contains("does not exist"), "{stderr}");
    let (status, _) = chpasswd(&sim, seed, 0, DEFAULT_HOST_PASSWORD, b"no colon here\n").await?;
    assert_eq!(status, Some(1));

    let state = sim.state();
    assert_eq!(
        state["hosts"][1]["passwords_rotated"],
        serde_json::json!({"smartx": true, "root": true})
    );
    assert_eq!(
        state["hosts"][0]["passwords_rotated"],
        serde_json::json!({"smartx": false, "root": false})
    );
    let text = state.to_string();
    assert!(
        !text.contains(new_smartx) && !text.contains("R00t"),
        "no password in the state"
    );
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn ssh_login_refused_and_hanging_per_node() -> TestResult {
    let spec = ClusterSpec::example(3);
    let seed = spec.seed;
    let sim = start_sim(
        spec,
        SimOptions {
            tls: false,
            ..SimOptions::default()
        },
    )
    .await;
    let client = crate::common::Plain::new(&sim)?;
    let status = client
        .inject(&serde_json::json!({"faults": [{"kind": "ssh_login_refused", "node": 1}]}))
        .await?;
    assert_eq!(status, 200);
    sim.inject(Fault::SshHang { node: 2 });
    assert!(!login(&sim, seed, 1, "smartx", DEFAULT_HOST_PASSWORD).await?);
    assert!(login(&sim, seed, 0, "smartx", DEFAULT_HOST_PASSWORD).await?);
    let mut session = connect(&sim, seed, 2).await?;
    let hung = tokio::time::timeout(
        Duration::from_millis(500),
        session.authenticate_password("smartx", DEFAULT_HOST_PASSWORD),
    )
    .await;
    assert!(hung.is_err(), "auth on node 2 must hang: {hung:?}");
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_vip_answers_ssh_as_the_first_host_once_it_is_set() -> TestResult {
    let spec = ClusterSpec::example(2);
    let seed = spec.seed;
    let vip = spec.vip.ok_or("the example has a VIP")?;
    let sim = start_sim(spec, SimOptions::default()).await;
    let address = sim
        .vip()
        .and_then(|v| v.ssh)
        .ok_or("the VIP has an SSH listener")?;
    let login_at_vip = |password: &'static str| async move {
        let mut session = connect_to(address, seed, 0).await?;
        let auth =
            tokio::time::timeout(DEADLINE, session.authenticate_password("smartx", password))
                .await??;
        Ok::<bool, AnyError>(auth.success())
    };
    let refused = tokio::net::TcpStream::connect(address)
        .await
        .err()
        .ok_or("no VIP yet: nothing listens")?;
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);

    let mut plain = crate::common::Plain::new(&sim)?;
    plain.setup_and_login("HC!r0cks").await?;
    let body = serde_json::json!({"iscsi_vip": null, "management_vip": vip.to_string()});
    let answer = plain
        .call(reqwest::Method::PUT, 0, "/api/v2/settings/vip", Some(&body))
        .await?;
    assert_eq!(answer.status, 200);
    let job = answer.data()["job_id"]
        .as_str()
        .ok_or("job id")?
        .to_string();
    plain.wait_job(0, &job).await?;

    assert!(
        login_at_vip(DEFAULT_HOST_PASSWORD).await?,
        "the VIP holder's smartx logs in"
    );
    assert!(
        sim.settings_toml(None, None)
            .contains(&format!("{vip}={address}"))
    );
    sim.shutdown().await;
    Ok(())
}
