//! SSH host password rotation (issue 5): log in to each host as `smartx` with
//! the deployment-time password, run `sudo -n chpasswd` and write the new
//! `user:password` lines to its stdin — never onto a command line, into a
//! shell string, a log line or an error. Also owns the host-key policy (like
//! OpenSSH's `StrictHostKeyChecking=accept-new`, recorded in a known_hosts
//! file the caller names; a changed key is refused unless accepted for that
//! host or for all) and the bounded parallel fan-out over hosts.
//! Every wait (connect, auth, command) has a deadline.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use russh::ChannelMsg;
use russh::client::{AuthResult, Handle};
use russh::keys::PublicKey;
use smtx_secret::Secret;

/// The only command run on a host. Fixed: passwords travel on stdin.
pub const CHPASSWD_COMMAND: &str = "sudo -n chpasswd";

/// The deployment-time password of `smartx` on a freshly installed host.
pub const DEFAULT_HOST_PASSWORD: &str = "P@ssw0rd!123";

/// How much of a failing command's stderr an error keeps.
const MAX_STDERR: usize = 2048;

/// One host whose passwords are to be rotated.
#[derive(Debug, Clone)]
pub struct SshTarget {
    /// Label for messages: "node-01 (10.0.20.11)".
    pub host: String,
    /// The workbook management IP: the host's identity in known_hosts.
    pub known_hosts_key: String,
    /// Where to connect (the address override applied).
    pub connect_addr: SocketAddr,
    /// The account to log in as, normally "smartx".
    pub login_user: String,
    /// Deployment-time password of `login_user`.
    pub current_password: Secret,
    /// The passwords to set, e.g. `[("smartx", new), ("root", new_root)]`.
    pub new_passwords: Vec<(String, Secret)>,
}

/// Deadlines and the host-key policy, shared by all hosts of a run. No
/// defaults here: a run's come from its settings (`smtx_engine`'s
/// `SettingsLayer::resolve`, the one place defaults live).
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// TCP connect plus key exchange, and separately each login attempt.
    pub connect_timeout: Duration,
    /// From opening the channel to the command's exit status.
    pub command_timeout: Duration,
    /// The known_hosts file. A rehearsal and a site keep separate files:
    /// the simulator's keys pinned under the workbook addresses would
    /// otherwise refuse every real host.
    pub known_hosts: PathBuf,
    /// Whether the user named `known_hosts` (a symlink followed, any file
    /// replaced) or the tool chose it (only a file it made is replaced).
    pub known_hosts_replace: crate::Replace,
    /// Which recorded host keys that changed are replaced instead of refused.
    pub changed_host_keys: ChangedHostKeys,
}

/// Which hosts may present another key than the one recorded (after a
/// reinstall); every other changed key is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChangedHostKeys {
    #[default]
    Refuse,
    /// Every host (the whole cluster was reinstalled).
    AcceptAll,
    /// These hosts, by their known_hosts name (the workbook address).
    Accept(Vec<String>),
}

impl ChangedHostKeys {
    pub fn accepts(&self, known_hosts_key: &str) -> bool {
        match self {
            Self::Refuse => false,
            Self::AcceptAll => true,
            Self::Accept(hosts) => hosts.iter().any(|host| host == known_hosts_key),
        }
    }
}

/// The known_hosts file's name inside a run directory.
pub const KNOWN_HOSTS_FILE_NAME: &str = "known_hosts";

/// What happened on a host that ended well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationOutcome {
    /// Logged in with the current password and set the new ones.
    Rotated,
    /// The current password was refused but the target one worked: an earlier
    /// run already rotated the login user. chpasswd ran again so every
    /// account (root too) has its target password.
    AlreadyRotated,
}

impl RotationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rotated => "rotated",
            Self::AlreadyRotated => "already_rotated",
        }
    }
}

/// The step of a host's rotation a deadline applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshPhase {
    Connect,
    Auth,
    Command,
}

impl fmt::Display for SshPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Auth => "login",
            Self::Command => "chpasswd",
        })
    }
}

/// Why a new password cannot be written as a chpasswd line (never the
/// password itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    Empty,
    /// `:` separates chpasswd's fields.
    Colon,
    /// chpasswd reads one user per line.
    LineBreak,
    Nul,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "it is empty",
            Self::Colon => "it contains ':' (chpasswd's field separator)",
            Self::LineBreak => "it contains a line break (chpasswd reads one user per line)",
            Self::Nul => "it contains a NUL character",
        })
    }
}

/// Why a rotation target is unusable before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetProblem {
    NoNewPasswords,
    /// A user name chpasswd cannot take (empty, `:`, white space).
    BadUser {
        user: String,
    },
    /// A known_hosts identity that would break the file's syntax.
    BadKnownHostsKey {
        key: String,
    },
}

impl fmt::Display for TargetProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoNewPasswords => f.write_str("no new passwords to set"),
            Self::BadUser { user } => write!(f, "user name {user:?} cannot be given to chpasswd"),
            Self::BadKnownHostsKey { key } => {
                write!(f, "{key:?} cannot be used as a known_hosts host name")
            }
        }
    }
}

/// A host whose rotation failed. Every variant names the host; none holds a
/// password (chpasswd's stderr is scrubbed of them too).
#[derive(Debug, thiserror::Error)]
pub enum SshError {
    /// A password cannot be written as a chpasswd line.
    #[error("{host}: the new password of {user} cannot be set with chpasswd: {reason}")]
    UnsupportedPassword {
        host: String,
        user: String,
        reason: PasswordProblem,
    },
    /// The target itself is unusable (bad user name or known_hosts identity).
    #[error("{host}: {reason}")]
    InvalidTarget { host: String, reason: TargetProblem },
    /// TCP connection failed.
    #[error("{host}: cannot connect to {addr}: {source}")]
    Connect {
        host: String,
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// No answer within the deadline.
    #[error("{host}: no answer during {phase} within {:.1}s", after.as_secs_f64())]
    Timeout {
        host: String,
        phase: SshPhase,
        after: Duration,
    },
    /// Neither the current nor the target password was accepted.
    #[error(
        "{host}: login as {user} refused (tried the current password{}); check the configured host password",
        if *tried_target { " and the target password" } else { "" }
    )]
    AuthRefused {
        host: String,
        user: String,
        tried_target: bool,
    },
    /// The host's key differs from the one recorded on an earlier run.
    /// What to do about it (accept it for this host) is the front end's to
    /// say: it knows its own options.
    #[error(
        "{host}: host key changed (now {fingerprint}), refusing to send passwords; the key recorded for {known_hosts_key} is in {}",
        known_hosts.display()
    )]
    HostKeyChanged {
        host: String,
        /// The name the key is recorded under (the workbook address).
        known_hosts_key: String,
        fingerprint: String,
        known_hosts: PathBuf,
    },
    /// Reading or writing the known_hosts file failed.
    #[error("{host}: known_hosts file {}: {source}", path.display())]
    KnownHosts {
        host: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The SSH protocol failed (disconnect, key exchange, channel refused).
    #[error("{host}: SSH error during {phase}: {source}")]
    Protocol {
        host: String,
        phase: SshPhase,
        #[source]
        source: russh::Error,
    },
    /// The host refused to run `sudo -n chpasswd` at all.
    #[error("{host}: the host refused to run `{CHPASSWD_COMMAND}`")]
    ExecRefused { host: String },
    /// chpasswd ran and failed.
    #[error("{host}: `{CHPASSWD_COMMAND}` exited with status {status}{}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    ChpasswdFailed {
        host: String,
        status: u32,
        stderr: String,
    },
    /// The channel closed without an exit status (killed by a signal, or the
    /// connection dropped).
    #[error("{host}: `{CHPASSWD_COMMAND}` ended without an exit status{}", if stderr.is_empty() { String::new() } else { format!(": {stderr}") })]
    NoExitStatus { host: String, stderr: String },
}

impl SshError {
    /// The host label the error is about.
    pub fn host(&self) -> &str {
        match self {
            Self::UnsupportedPassword { host, .. }
            | Self::InvalidTarget { host, .. }
            | Self::Connect { host, .. }
            | Self::Timeout { host, .. }
            | Self::AuthRefused { host, .. }
            | Self::HostKeyChanged { host, .. }
            | Self::KnownHosts { host, .. }
            | Self::Protocol { host, .. }
            | Self::ExecRefused { host }
            | Self::ChpasswdFailed { host, .. }
            | Self::NoExitStatus { host, .. } => host,
        }
    }

    /// A short machine-readable kind for results and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnsupportedPassword { .. } => "unsupported_password",
            Self::InvalidTarget { .. } => "invalid_target",
            Self::Connect { .. } => "connect",
            Self::Timeout { .. } => "timeout",
            Self::AuthRefused { .. } => "auth_refused",
            Self::HostKeyChanged { .. } => "host_key_changed",
            Self::KnownHosts { .. } => "known_hosts",
            Self::Protocol { .. } => "protocol",
            Self::ExecRefused { .. } => "exec_refused",
            Self::ChpasswdFailed { .. } => "chpasswd_failed",
            Self::NoExitStatus { .. } => "no_exit_status",
        }
    }
}

/// Rotates the passwords of one host. Logs one `ssh_rotate_passwords` event
/// (fields `action`, `host`, `status`, `error`; never a password).
pub async fn rotate_passwords(
    target: &SshTarget,
    options: &SshOptions,
) -> Result<RotationOutcome, SshError> {
    let started = Instant::now();
    let result = rotate(target, options).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &result {
        Ok(outcome) => tracing::info!(
            action = "ssh_rotate_passwords",
            host = %target.host,
            status = outcome.as_str(),
            error = "",
            users = %user_list(target),
            elapsed_ms,
        ),
        Err(error) => tracing::warn!(
            action = "ssh_rotate_passwords",
            host = %target.host,
            status = "failed",
            kind = error.kind(),
            error = %error,
            elapsed_ms,
        ),
    }
    result
}

/// Rotates every host, at most `concurrency` at a time. One host failing
/// does not stop the others. Results come back in the order of `targets`.
pub async fn rotate_all(
    targets: Vec<SshTarget>,
    options: &SshOptions,
    concurrency: usize,
) -> Vec<(String, Result<RotationOutcome, SshError>)> {
    let mut results: Vec<(usize, String, Result<RotationOutcome, SshError>)> =
        futures::stream::iter(targets.into_iter().enumerate())
            .map(|(index, target)| async move {
                let result = rotate_passwords(&target, options).await;
                (index, target.host, result)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    results.sort_by_key(|(index, _, _)| *index);
    results
        .into_iter()
        .map(|(_, host, result)| (host, result))
        .collect()
}

/// The TCP connection an SSH session runs over (rotation and the read-only
/// probe alike), with Nagle off: the exchanges are small and interactive.
pub(crate) async fn tcp_stream(
    host: &str,
    addr: std::net::SocketAddr,
) -> Result<tokio::net::TcpStream, SshError> {
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|source| SshError::Connect {
            host: host.to_owned(),
            addr,
            source,
        })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn user_list(target: &SshTarget) -> String {
    target
        .new_passwords
        .iter()
        .map(|(user, password)| format!("{user}(len {})", password.char_len()))
        .collect::<Vec<_>>()
        .join(",")
}

/// The chpasswd stdin, after refusing what chpasswd cannot express.
fn chpasswd_input(target: &SshTarget) -> Result<Secret, SshError> {
    let host = || target.host.clone();
    if target.new_passwords.is_empty() {
        return Err(SshError::InvalidTarget {
            host: host(),
            reason: TargetProblem::NoNewPasswords,
        });
    }
    let mut input = String::new();
    for (user, password) in &target.new_passwords {
        if user.is_empty()
            || user.contains([':', '\n', '\r'])
            || user.chars().any(char::is_whitespace)
        {
            return Err(SshError::InvalidTarget {
                host: host(),
                reason: TargetProblem::BadUser { user: user.clone() },
            });
        }
        let reason = if password.is_empty() {
            Some(PasswordProblem::Empty)
        } else if password.expose().contains(':') {
            Some(PasswordProblem::Colon)
        } else if password.expose().contains(['\n', '\r']) {
            Some(PasswordProblem::LineBreak)
        } else if password.expose().contains('\0') {
            Some(PasswordProblem::Nul)
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(SshError::UnsupportedPassword {
                host: host(),
                user: user.clone(),
                reason,
            });
        }
        input.push_str(user);
        input.push(':');
        input.push_str(password.expose());
        input.push('\n');
    }
    Ok(Secret::new(input))
}

async fn rotate(target: &SshTarget, options: &SshOptions) -> Result<RotationOutcome, SshError> {
    let host = target.host.as_str();
    // Refuse up front, before touching the network.
    let stdin = chpasswd_input(target)?;
    validate_known_hosts_key(target)?;

    let verdict = Arc::new(Mutex::new(None));
    let handler = HostKeyPolicy {
        host: target.host.clone(),
        known_hosts_key: target.known_hosts_key.clone(),
        known_hosts: options.known_hosts.clone(),
        known_hosts_replace: options.known_hosts_replace,
        accept_changed: options.changed_host_keys.accepts(&target.known_hosts_key),
        rejection: Arc::clone(&verdict),
    };
    let config = Arc::new(russh::client::Config {
        inactivity_timeout: Some(options.connect_timeout.max(options.command_timeout)),
        nodelay: true,
        ..Default::default()
    });
    let connect = async {
        let stream = tcp_stream(host, target.connect_addr).await?;
        russh::client::connect_stream(config, stream, handler)
            .await
            .map_err(|source| {
                let rejected = verdict.lock().ok().and_then(|mut slot| slot.take());
                rejected.unwrap_or_else(|| SshError::Protocol {
                    host: host.to_owned(),
                    phase: SshPhase::Connect,
                    source,
                })
            })
    };
    let mut session = deadline(host, SshPhase::Connect, options.connect_timeout, connect).await?;

    let outcome = match login(&mut session, target, &target.current_password, options).await? {
        true => RotationOutcome::Rotated,
        false => {
            let target_password = target
                .new_passwords
                .iter()
                .find(|(user, _)| *user == target.login_user)
                .map(|(_, password)| password)
                .filter(|password| **password != target.current_password);
            let Some(target_password) = target_password else {
                return Err(SshError::AuthRefused {
                    host: host.to_owned(),
                    user: target.login_user.clone(),
                    tried_target: false,
                });
            };
            if !login(&mut session, target, target_password, options).await? {
                return Err(SshError::AuthRefused {
                    host: host.to_owned(),
                    user: target.login_user.clone(),
                    tried_target: true,
                });
            }
            RotationOutcome::AlreadyRotated
        }
    };

    let run = run_chpasswd(&session, target, &stdin);
    let result = deadline(host, SshPhase::Command, options.command_timeout, run).await;
    // Best effort: the outcome is already known, and a host that does not
    // answer a disconnect is not worth another full deadline.
    let goodbye = session.disconnect(russh::Disconnect::ByApplication, "", "en");
    let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
    result.map(|()| outcome)
}

/// One password attempt: Ok(true) accepted, Ok(false) refused.
async fn login(
    session: &mut Handle<HostKeyPolicy>,
    target: &SshTarget,
    password: &Secret,
    options: &SshOptions,
) -> Result<bool, SshError> {
    let host = target.host.as_str();
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
    let result = deadline(host, SshPhase::Auth, options.connect_timeout, attempt).await?;
    Ok(matches!(result, AuthResult::Success))
}

async fn run_chpasswd(
    session: &Handle<HostKeyPolicy>,
    target: &SshTarget,
    stdin: &Secret,
) -> Result<(), SshError> {
    let host = target.host.as_str();
    let protocol = |source| SshError::Protocol {
        host: host.to_owned(),
        phase: SshPhase::Command,
        source,
    };
    let mut channel = session.channel_open_session().await.map_err(protocol)?;
    channel
        .exec(true, CHPASSWD_COMMAND)
        .await
        .map_err(protocol)?;

    let mut stdin_sent = false;
    let mut stderr = Vec::new();
    let mut exit_status = None;
    while let Some(message) = channel.wait().await {
        match message {
            ChannelMsg::Success if !stdin_sent => {
                stdin_sent = true;
                channel
                    .data(stdin.expose().as_bytes())
                    .await
                    .map_err(protocol)?;
                channel.eof().await.map_err(protocol)?;
            }
            ChannelMsg::Failure if !stdin_sent => {
                return Err(SshError::ExecRefused {
                    host: host.to_owned(),
                });
            }
            ChannelMsg::ExtendedData { data, ext: 1 } => {
                let room = MAX_STDERR.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
            }
            ChannelMsg::ExitStatus {
                exit_status: status,
            } => exit_status = Some(status),
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    let stderr = scrub(&String::from_utf8_lossy(&stderr), target);
    match exit_status {
        Some(0) => Ok(()),
        Some(status) => Err(SshError::ChpasswdFailed {
            host: host.to_owned(),
            status,
            stderr,
        }),
        None => Err(SshError::NoExitStatus {
            host: host.to_owned(),
            stderr,
        }),
    }
}

/// A host's stderr goes into errors and logs: make sure no password we know
/// of rides along, whatever the host chose to echo.
fn scrub(stderr: &str, target: &SshTarget) -> String {
    let mut text = stderr.trim().to_owned();
    let passwords = std::iter::once(&target.current_password)
        .chain(target.new_passwords.iter().map(|(_, password)| password));
    for password in passwords {
        if !password.is_empty() {
            text = text.replace(password.expose(), "***");
        }
    }
    text
}

async fn deadline<T>(
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

fn validate_known_hosts_key(target: &SshTarget) -> Result<(), SshError> {
    let key = &target.known_hosts_key;
    if key.is_empty()
        || key.starts_with(['#', '@', '|'])
        || key.contains(|c: char| c == ',' || c.is_whitespace())
    {
        return Err(SshError::InvalidTarget {
            host: target.host.clone(),
            reason: TargetProblem::BadKnownHostsKey { key: key.clone() },
        });
    }
    Ok(())
}

/// The client side of the key exchange: checks the host key against the
/// known_hosts file, records it on first contact.
struct HostKeyPolicy {
    host: String,
    known_hosts_key: String,
    known_hosts: PathBuf,
    known_hosts_replace: crate::Replace,
    accept_changed: bool,
    /// Why the key was refused, for the caller to report instead of russh's
    /// bare "unknown key".
    rejection: Arc<Mutex<Option<SshError>>>,
}

impl russh::client::Handler for HostKeyPolicy {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKey,
    ) -> Result<bool, Self::Error> {
        let checked = check_and_record_host_key(
            &self.known_hosts,
            self.known_hosts_replace,
            &self.known_hosts_key,
            server_public_key,
            self.accept_changed,
        );
        let fingerprint = || {
            server_public_key
                .fingerprint(Default::default())
                .to_string()
        };
        let rejection = match checked {
            Ok(HostKeyStatus::Known) => None,
            Ok(HostKeyStatus::Recorded) => {
                tracing::info!(action = "ssh_host_key", host = %self.host, status = "recorded", error = "", fingerprint = %fingerprint(), known_hosts = %self.known_hosts.display());
                None
            }
            Ok(HostKeyStatus::Replaced) => {
                tracing::warn!(action = "ssh_host_key", host = %self.host, status = "replaced", error = "", fingerprint = %fingerprint(), known_hosts = %self.known_hosts.display());
                None
            }
            Ok(HostKeyStatus::Changed) => Some(SshError::HostKeyChanged {
                host: self.host.clone(),
                known_hosts_key: self.known_hosts_key.clone(),
                fingerprint: fingerprint(),
                known_hosts: self.known_hosts.clone(),
            }),
            Err(source) => Some(SshError::KnownHosts {
                host: self.host.clone(),
                path: self.known_hosts.clone(),
                source,
            }),
        };
        match rejection {
            None => Ok(true),
            Some(error) => {
                if let Ok(mut slot) = self.rejection.lock() {
                    *slot = Some(error);
                }
                Ok(false)
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostKeyStatus {
    Known,
    Recorded,
    Replaced,
    Changed,
}

/// Serializes read-modify-write of known_hosts files between the hosts of a
/// parallel rotation (they share one file).
static KNOWN_HOSTS_LOCK: Mutex<()> = Mutex::new(());

/// One line per host: `<name> <algorithm> <base64>`, OpenSSH's known_hosts
/// format without hashing or markers. Lines naming other hosts, comments and
/// lines this code cannot parse are kept as they are.
fn check_and_record_host_key(
    path: &Path,
    replace: crate::Replace,
    name: &str,
    key: &PublicKey,
    accept_changed: bool,
) -> std::io::Result<HostKeyStatus> {
    let _guard = KNOWN_HOSTS_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(error) => return Err(error),
    };
    let mut entries_for_host = 0;
    for line in existing.lines() {
        if let Some(recorded) = entry_for(line, name) {
            entries_for_host += 1;
            if recorded
                .as_ref()
                .is_some_and(|recorded| recorded.key_data() == key.key_data())
            {
                return Ok(HostKeyStatus::Known);
            }
        }
    }
    let mut new_line = format!("{name} {}", key_text(key)?);
    new_line.push('\n');
    if entries_for_host == 0 {
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)?;
        }
        let mut appended = existing;
        if !appended.is_empty() && !appended.ends_with('\n') {
            appended.push('\n');
        }
        appended.push_str(&new_line);
        // Whole-file replacement: a kill mid-write keeps every earlier pin.
        crate::write_atomic(path, appended.as_bytes(), replace)?;
        return Ok(HostKeyStatus::Recorded);
    }
    if !accept_changed {
        return Ok(HostKeyStatus::Changed);
    }
    let mut rewritten: String = existing
        .lines()
        .filter(|line| entry_for(line, name).is_none())
        .flat_map(|line| [line, "\n"])
        .collect();
    rewritten.push_str(&new_line);
    crate::write_atomic(path, rewritten.as_bytes(), replace)?;
    Ok(HostKeyStatus::Replaced)
}

/// `Some(key)` when `line` is an entry for `name` (`None` inside when its key
/// does not parse: it still counts as a recorded, different key).
pub(crate) fn entry_for(line: &str, name: &str) -> Option<Option<PublicKey>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
        return None;
    }
    let mut fields = line.split_whitespace();
    let hosts = fields.next()?;
    if !hosts.split(',').any(|host| host == name) {
        return None;
    }
    let key = match (fields.next(), fields.next()) {
        (Some(algorithm), Some(base64)) => {
            PublicKey::from_openssh(&format!("{algorithm} {base64}")).ok()
        }
        _ => None,
    };
    Some(key)
}

/// `<algorithm> <base64>` without the comment.
fn key_text(key: &PublicKey) -> std::io::Result<String> {
    let text = key
        .to_openssh()
        .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error.to_string()))?;
    Ok(text
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(passwords: &[(&str, &str)]) -> SshTarget {
        SshTarget {
            host: "node-01 (10.0.20.11)".into(),
            known_hosts_key: "10.0.20.11".into(),
            connect_addr: SocketAddr::from(([127, 0, 0, 1], 22)),
            login_user: "smartx".into(),
            current_password: Secret::new(DEFAULT_HOST_PASSWORD),
            new_passwords: passwords
                .iter()
                .map(|(user, password)| (user.to_string(), Secret::new(*password)))
                .collect(),
        }
    }

    #[test]
    fn chpasswd_input_is_one_line_per_user() -> Result<(), SshError> {
        let input = chpasswd_input(&target(&[("smartx", "a'b\"c $`\\;ü"), ("root", "r")]))?;
        assert_eq!(input.expose(), "smartx:a'b\"c $`\\;ü\nroot:r\n");
        Ok(())
    }

    #[test]
    fn colon_newline_and_empty_passwords_are_refused_without_quoting_them() {
        for bad in ["has:colon", "two\nlines", "cr\rhere", ""] {
            let error = chpasswd_input(&target(&[("smartx", "fine"), ("root", bad)]))
                .expect_err("must be refused");
            let shown = format!("{error} {error:?}");
            assert!(
                matches!(error, SshError::UnsupportedPassword { ref user, .. } if user == "root")
            );
            assert!(shown.contains("node-01 (10.0.20.11)"), "{shown}");
            if !bad.is_empty() {
                assert!(!shown.contains(bad), "{shown}");
            }
        }
    }

    #[test]
    fn stderr_is_scrubbed_of_every_password() {
        let t = target(&[("smartx", "n3w-Secret"), ("root", "r00t-Secret")]);
        let scrubbed = scrub("bad n3w-Secret and r00t-Secret and P@ssw0rd!123\n", &t);
        assert_eq!(scrubbed, "bad *** and *** and ***");
    }

    #[test]
    fn known_hosts_records_then_detects_a_change_then_replaces() -> std::io::Result<()> {
        use russh::keys::ssh_key::private::Ed25519Keypair;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("run").join("known_hosts");
        let first = russh::keys::PrivateKey::from(Ed25519Keypair::from_seed(&[1; 32]));
        let second = russh::keys::PrivateKey::from(Ed25519Keypair::from_seed(&[2; 32]));
        let other = russh::keys::PrivateKey::from(Ed25519Keypair::from_seed(&[3; 32]));
        let check = |name: &str, key: &russh::keys::PrivateKey, accept| {
            check_and_record_host_key(&path, crate::Replace::Own, name, key.public_key(), accept)
        };
        assert_eq!(check("10.0.0.1", &first, false)?, HostKeyStatus::Recorded);
        assert_eq!(check("10.0.0.2", &other, false)?, HostKeyStatus::Recorded);
        assert_eq!(check("10.0.0.1", &first, false)?, HostKeyStatus::Known);
        assert_eq!(check("10.0.0.1", &second, false)?, HostKeyStatus::Changed);
        assert_eq!(check("10.0.0.1", &second, true)?, HostKeyStatus::Replaced);
        assert_eq!(check("10.0.0.1", &second, false)?, HostKeyStatus::Known);
        assert_eq!(check("10.0.0.1", &first, false)?, HostKeyStatus::Changed);
        assert_eq!(check("10.0.0.2", &other, false)?, HostKeyStatus::Known);
        let text = std::fs::read_to_string(&path)?;
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(
            text.lines()
                .all(|line| line.split(' ').nth(1) == Some("ssh-ed25519")),
            "{text}"
        );
        Ok(())
    }
}
