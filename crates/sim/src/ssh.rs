//! The simulator's SSH server: one listener per simulated host, speaking just
//! enough SSH for the client's password rotation — password login (never as
//! `root`), and one exec command, `sudo -n chpasswd`, whose stdin is handed to
//! an [`SshBackend`]. Everything else (shells, ptys, subsystems, other
//! commands) is refused the way a locked-down host would refuse it. The
//! backend owns the passwords and the faults; this module owns the protocol.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId, CryptoVec, MethodKind, MethodSet, Pty};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// The only command a simulated host runs, compared after trimming whitespace.
pub const CHPASSWD_COMMAND: &str = "sudo -n chpasswd";

/// Exit status for a command the host refuses to run (the shell's "cannot
/// execute").
pub const EXIT_NOT_PERMITTED: u32 = 126;

/// Upper bound on what `chpasswd` reads from stdin: a few `user:password`
/// lines, so anything near this is a misbehaving client.
const MAX_CHPASSWD_INPUT: usize = 64 * 1024;

/// How long a rejected password takes to be rejected. Real sshd waits longer;
/// the simulator keeps it short so re-run tests (one refused login, then the
/// target password) stay fast.
const AUTH_REJECTION_TIME: Duration = Duration::from_millis(50);

/// How long open sessions get to say goodbye after `shutdown` is cancelled.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// The backend's answer to a password login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshAuth {
    Accept,
    Reject,
    /// Never answer the auth request (fault): the session stalls until the
    /// server shuts down.
    Hang,
}

/// The simulated hosts' accounts, as seen by the SSH server.
pub trait SshBackend: Send + Sync + 'static {
    /// Password auth for `user` on node `node` (index into the cluster's hosts).
    fn authenticate(&self, node: usize, user: &str, password: &str) -> SshAuth;
    /// `sudo -n chpasswd` run by `login_user` on `node` with `stdin` (lines `user:password`).
    /// Ok(()) → exit status 0; Err(msg) → msg on stderr, exit status 1.
    fn chpasswd(&self, node: usize, login_user: &str, stdin: &[u8]) -> Result<(), String>;
    /// How much later than at once each exchange (login, exec, end of
    /// input) is answered: the network's round trip (`sim --latency-ms`).
    fn round_trip(&self) -> Duration {
        Duration::ZERO
    }
}

/// Waits one round trip of `backend`'s network, if it has one.
async fn network(backend: &dyn SshBackend) {
    let round_trip = backend.round_trip();
    if !round_trip.is_zero() {
        // A simulated WAN link: the answer is meant to come later.
        tokio::time::sleep(round_trip).await;
    }
}

/// Deterministic ed25519 host key for (seed, node): stable across restarts
/// with the same seed, different for every node and every seed.
pub fn host_key_for(seed: u64, node: usize) -> PrivateKey {
    let mut hasher = Sha256::new();
    hasher.update(b"smtx-sim ssh host key v1\0");
    hasher.update(seed.to_le_bytes());
    hasher.update((node as u64).to_le_bytes());
    let key_seed: [u8; 32] = hasher.finalize().into();
    PrivateKey::from(Ed25519Keypair::from_seed(&key_seed))
}

/// Serve SSH on an already-bound listener until `shutdown` is cancelled.
///
/// Returns an error only when accepting fails for a reason other than a
/// connection aborted by its peer; errors of single sessions are logged.
pub async fn serve_ssh(
    listener: TcpListener,
    node: usize,
    host_key: PrivateKey,
    backend: Arc<dyn SshBackend>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let config = Arc::new(russh::server::Config {
        methods: MethodSet::from(&[MethodKind::Password][..]),
        auth_rejection_time: AUTH_REJECTION_TIME,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        inactivity_timeout: Some(Duration::from_secs(300)),
        nodelay: true,
        ..Default::default()
    });
    let mut sessions = JoinSet::new();
    let result = loop {
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) if matches!(
                        error.kind(),
                        std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset
                    ) => continue,
                    Err(error) => break Err(error),
                };
                let handler = ConnectionHandler {
                    node,
                    backend: Arc::clone(&backend),
                    shutdown: shutdown.clone(),
                    login_user: None,
                    channels: HashMap::new(),
                };
                sessions.spawn(run_session(Arc::clone(&config), stream, peer, handler, shutdown.clone()));
            }
        }
    };
    // Sessions see the cancellation themselves; give them a moment to send
    // their disconnect, then stop whatever is left.
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        sessions.abort_all();
    }
    result
}

async fn run_session(
    config: Arc<russh::server::Config>,
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    handler: ConnectionHandler,
    shutdown: CancellationToken,
) {
    let node = handler.node;
    let session = match russh::server::run_stream(config, stream, handler).await {
        Ok(session) => session,
        Err(error) => {
            tracing::debug!(action = "sim_ssh_session", node, %peer, status = "failed", error = %error);
            return;
        }
    };
    let handle = session.handle();
    tokio::select! {
        () = shutdown.cancelled() => {
            let goodbye = handle.disconnect(
                russh::Disconnect::ByApplication,
                "simulator shutting down".into(),
                "en".into(),
            );
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, goodbye).await;
        }
        result = session => {
            if let Err(error) = result {
                tracing::debug!(action = "sim_ssh_session", node, %peer, status = "closed", error = %error);
            }
        }
    }
}

/// What a session channel is doing.
enum ChannelState {
    /// Opened, no command yet.
    Idle,
    /// Running `chpasswd`: collecting stdin until EOF.
    Chpasswd(Vec<u8>),
    /// The command finished; anything more is ignored.
    Done,
}

/// A refusal that lets the client try another password on the same
/// connection, as sshd does (russh's plain `Auth::reject()` withdraws the
/// password method after the first failure).
fn reject_password() -> Auth {
    Auth::Reject {
        proceed_with_methods: Some(MethodSet::from(&[MethodKind::Password][..])),
        partial_success: false,
    }
}

/// One connection's state. russh builds one per accepted client.
struct ConnectionHandler {
    node: usize,
    backend: Arc<dyn SshBackend>,
    shutdown: CancellationToken,
    login_user: Option<String>,
    channels: HashMap<ChannelId, ChannelState>,
}

impl ConnectionHandler {
    /// Ends a command the way a shell would: stderr, exit status, EOF, close.
    fn finish(
        &mut self,
        channel: ChannelId,
        stderr: Option<&str>,
        exit_status: u32,
        session: &mut Session,
    ) -> Result<(), russh::Error> {
        self.channels.insert(channel, ChannelState::Done);
        if let Some(message) = stderr {
            let mut line = message.trim_end().to_owned();
            line.push('\n');
            session.extended_data(channel, 1, CryptoVec::from(line.into_bytes()))?;
        }
        session.exit_status_request(channel, exit_status)?;
        session.eof(channel)?;
        session.close(channel)
    }

    fn refuse_request(channel: ChannelId, session: &mut Session) -> Result<(), russh::Error> {
        session.channel_failure(channel)
    }
}

impl russh::server::Handler for ConnectionHandler {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        // Like `PermitRootLogin no`: the backend is never asked.
        if user == "root" {
            tracing::debug!(
                action = "sim_ssh_auth",
                node = self.node,
                user,
                status = "refused",
                error = "root login not permitted"
            );
            return Ok(reject_password());
        }
        network(self.backend.as_ref()).await;
        match self.backend.authenticate(self.node, user, password) {
            SshAuth::Accept => {
                tracing::debug!(
                    action = "sim_ssh_auth",
                    node = self.node,
                    user,
                    status = "ok"
                );
                self.login_user = Some(user.to_owned());
                Ok(Auth::Accept)
            }
            SshAuth::Reject => {
                tracing::debug!(
                    action = "sim_ssh_auth",
                    node = self.node,
                    user,
                    status = "refused"
                );
                Ok(reject_password())
            }
            SshAuth::Hang => {
                tracing::debug!(
                    action = "sim_ssh_auth",
                    node = self.node,
                    user,
                    status = "hanging"
                );
                self.shutdown.cancelled().await;
                Err(russh::Error::Disconnect)
            }
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        _session: &mut Session,
    ) -> Result<bool, Self::Error> {
        // The channel's own message queue is not read (the handler callbacks
        // get everything); dropping it keeps russh from buffering into it.
        self.channels.insert(channel.id(), ChannelState::Idle);
        Ok(true)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = String::from_utf8_lossy(data);
        let command = command.trim();
        if !matches!(self.channels.get(&channel), Some(ChannelState::Idle)) {
            return Self::refuse_request(channel, session);
        }
        network(self.backend.as_ref()).await;
        session.channel_success(channel)?;
        if command == CHPASSWD_COMMAND {
            tracing::debug!(
                action = "sim_ssh_exec",
                node = self.node,
                command,
                status = "started"
            );
            self.channels
                .insert(channel, ChannelState::Chpasswd(Vec::new()));
            Ok(())
        } else {
            tracing::debug!(
                action = "sim_ssh_exec",
                node = self.node,
                command,
                status = "refused"
            );
            let message = format!("command not permitted: {command}");
            self.finish(channel, Some(&message), EXIT_NOT_PERMITTED, session)
        }
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(ChannelState::Chpasswd(input)) = self.channels.get_mut(&channel) {
            if input.len() + data.len() > MAX_CHPASSWD_INPUT {
                let message = format!("chpasswd: input longer than {MAX_CHPASSWD_INPUT} bytes");
                return self.finish(channel, Some(&message), 1, session);
            }
            input.extend_from_slice(data);
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(ChannelState::Chpasswd(input)) = self.channels.remove(&channel) else {
            return Ok(());
        };
        let login_user = self.login_user.clone().unwrap_or_default();
        network(self.backend.as_ref()).await;
        match self.backend.chpasswd(self.node, &login_user, &input) {
            Ok(()) => {
                tracing::debug!(action = "sim_ssh_chpasswd", node = self.node, status = "ok");
                self.finish(channel, None, 0, session)
            }
            Err(message) => {
                tracing::debug!(action = "sim_ssh_chpasswd", node = self.node, status = "failed", error = %message);
                self.finish(channel, Some(&message), 1, session)
            }
        }
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Self::refuse_request(channel, session)
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Self::refuse_request(channel, session)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Self::refuse_request(channel, session)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Self::refuse_request(channel, session)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        Self::refuse_request(channel, session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_keys_are_stable_per_seed_and_node() {
        let a = host_key_for(7, 0);
        assert_eq!(a.public_key(), host_key_for(7, 0).public_key());
        assert_ne!(a.public_key(), host_key_for(7, 1).public_key());
        assert_ne!(a.public_key(), host_key_for(8, 0).public_key());
        assert_eq!(a.algorithm(), russh::keys::Algorithm::Ed25519);
    }
}
