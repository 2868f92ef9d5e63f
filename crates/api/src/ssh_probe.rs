//! Read-only SSH probes for `smtx-deploy check`: is each host's key the one
//! pinned in known_hosts, and which of the given passwords (the workbook's,
//! then the deployment's) does the login user's account take? Nothing is
//! run on the host and nothing is written locally: an unpinned key is
//! reported, not recorded, and a host whose key changed is not sent a
//! password at all.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use russh::client::AuthResult;
use russh::keys::PublicKey;
use smtx_secret::Secret;

use crate::ssh::{SshError, SshPhase, entry_for};

/// One host to probe.
#[derive(Debug, Clone)]
pub struct SshProbeTarget {
    /// Label for messages: "node-01 (10.0.20.11)".
    pub host: String,
    /// The workbook management IP: the host's identity in known_hosts.
    pub known_hosts_key: String,
    /// Where to connect (the address override applied).
    pub connect_addr: SocketAddr,
    pub login_user: String,
    /// Tried in order until one is accepted.
    pub passwords: Vec<Secret>,
}

/// The host's key against the known_hosts file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyVerdict {
    /// The pinned key.
    Pinned,
    /// No key pinned for this host yet (nothing is recorded by a probe).
    NotPinned,
    /// Another key than the pinned one: no password was sent.
    Changed { fingerprint: String },
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshProbe {
    pub host_key: HostKeyVerdict,
    /// Index into [`SshProbeTarget::passwords`] of the accepted one; `None`
    /// when every one was refused, or none was tried (key changed).
    pub accepted: Option<usize>,
}

/// Probes one host; `timeout` bounds the connection and each login attempt.
pub async fn probe_host(
    target: &SshProbeTarget,
    known_hosts: &Path,
    timeout: Duration,
) -> Result<SshProbe, SshError> {
    let host = target.host.as_str();
    let verdict = Arc::new(Mutex::new(None));
    let handler = ReadOnlyKeyCheck {
        known_hosts: known_hosts.to_path_buf(),
        name: target.known_hosts_key.clone(),
        verdict: Arc::clone(&verdict),
    };
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(timeout),
        nodelay: true,
        ..Default::default()
    });
    let connect = async {
        let stream = crate::ssh::tcp_stream(host, target.connect_addr).await?;
        russh::client::connect_stream(config, stream, handler)
            .await
            .map_err(|source| SshError::Protocol {
                host: host.to_owned(),
                phase: SshPhase::Connect,
                source,
            })
    };
    let connected = within(host, SshPhase::Connect, timeout, connect).await;
    let seen = verdict.lock().ok().and_then(|mut slot| slot.take());
    let (mut session, host_key) = match (connected, seen) {
        (_, Some(Verdict::Unreadable(source))) => {
            return Err(SshError::KnownHosts {
                host: host.to_owned(),
                path: known_hosts.to_path_buf(),
                source,
            });
        }
        (_, Some(Verdict::Key(changed @ HostKeyVerdict::Changed { .. }))) => {
            return Ok(SshProbe {
                host_key: changed,
                accepted: None,
            });
        }
        (Err(error), _) => return Err(error),
        (Ok(session), Some(Verdict::Key(key))) => (session, key),
        // russh asks about the key before it connects; if it ever did not,
        // nothing was pinned or compared.
        (Ok(session), None) => (session, HostKeyVerdict::NotPinned),
    };
    let mut accepted = None;
    for (index, password) in target.passwords.iter().enumerate() {
        let attempt = async {
            session
                .authenticate_password(target.login_user.as_str(), password.expose())
                .await
                .map_err(|source| SshError::Protocol {
                    host: host.to_owned(),
                    phase: SshPhase::Auth,
                    source,
                })
        };
        if matches!(
            within(host, SshPhase::Auth, timeout, attempt).await?,
            AuthResult::Success
        ) {
            accepted = Some(index);
            break;
        }
    }
    let goodbye = session.disconnect(russh::Disconnect::ByApplication, "", "en");
    let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
    Ok(SshProbe { host_key, accepted })
}

/// Probes every host, at most `concurrency` at a time; results in the order
/// of `targets`.
pub async fn probe_all(
    targets: Vec<SshProbeTarget>,
    known_hosts: &Path,
    timeout: Duration,
    concurrency: usize,
) -> Vec<Result<SshProbe, SshError>> {
    // Owned targets: a stream over borrowed ones makes the future's `Send`
    // unprovable for callers that spawn it.
    let mut results: Vec<(usize, Result<SshProbe, SshError>)> =
        futures::stream::iter(targets.into_iter().enumerate())
            .map(|(index, target)| async move {
                (index, probe_host(&target, known_hosts, timeout).await)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

async fn within<T>(
    host: &str,
    phase: SshPhase,
    after: Duration,
    work: impl Future<Output = Result<T, SshError>>,
) -> Result<T, SshError> {
    tokio::time::timeout(after, work).await.unwrap_or_else(|_| {
        Err(SshError::Timeout {
            host: host.to_owned(),
            phase,
            after,
        })
    })
}

enum Verdict {
    Key(HostKeyVerdict),
    Unreadable(std::io::Error),
}

/// Compares the host key with known_hosts and writes nothing.
struct ReadOnlyKeyCheck {
    known_hosts: PathBuf,
    name: String,
    verdict: Arc<Mutex<Option<Verdict>>>,
}

impl ReadOnlyKeyCheck {
    fn judge(&self, key: &PublicKey) -> Verdict {
        let text = match std::fs::read_to_string(&self.known_hosts) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Verdict::Unreadable(error),
        };
        let recorded: Vec<Option<PublicKey>> = text
            .lines()
            .filter_map(|line| entry_for(line, &self.name))
            .collect();
        if recorded.is_empty() {
            return Verdict::Key(HostKeyVerdict::NotPinned);
        }
        if recorded
            .iter()
            .flatten()
            .any(|pinned| pinned.key_data() == key.key_data())
        {
            return Verdict::Key(HostKeyVerdict::Pinned);
        }
        Verdict::Key(HostKeyVerdict::Changed {
            fingerprint: key.fingerprint(Default::default()).to_string(),
        })
    }
}

impl russh::client::Handler for ReadOnlyKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKey,
    ) -> Result<bool, Self::Error> {
        let verdict = self.judge(server_public_key);
        let proceed = matches!(
            verdict,
            Verdict::Key(HostKeyVerdict::Pinned | HostKeyVerdict::NotPinned)
        );
        if let Ok(mut slot) = self.verdict.lock() {
            *slot = Some(verdict);
        }
        Ok(proceed)
    }
}
