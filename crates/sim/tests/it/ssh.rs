//! The simulator's SSH server (`smtx_sim::ssh`) driven by a bare russh client:
//! password login, `sudo -n chpasswd` over stdin with awkward passwords, root
//! refused, other commands and shells refused, and the auth faults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::ChannelMsg;
use russh::keys::PublicKey;
use smtx_sim::ssh::{SshAuth, SshBackend, host_key_for, serve_ssh};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const DEFAULT_PASSWORD: &str = "P@ssw0rd!123";
const DEADLINE: Duration = Duration::from_secs(10);

/// Per-node accounts in memory, with the two auth faults.
#[derive(Default)]
struct MemoryBackend {
    passwords: Mutex<HashMap<(usize, String), String>>,
    refuse: Mutex<Vec<usize>>,
    hang: Mutex<Vec<usize>>,
    chpasswd_calls: Mutex<Vec<(usize, String, Vec<u8>)>>,
}

impl MemoryBackend {
    fn with_nodes(nodes: usize) -> Self {
        let backend = Self::default();
        {
            let mut passwords = backend.passwords.lock().expect("fresh mutex");
            for node in 0..nodes {
                for user in ["smartx", "root"] {
                    passwords.insert((node, user.to_owned()), DEFAULT_PASSWORD.to_owned());
                }
            }
        }
        backend
    }

    fn password(&self, node: usize, user: &str) -> Option<String> {
        self.passwords
            .lock()
            .expect("test mutex")
            .get(&(node, user.to_owned()))
            .cloned()
    }
}

impl SshBackend for MemoryBackend {
    fn authenticate(&self, node: usize, user: &str, password: &str) -> SshAuth {
        if self.hang.lock().expect("test mutex").contains(&node) {
            return SshAuth::Hang;
        }
        if self.refuse.lock().expect("test mutex").contains(&node) {
            return SshAuth::Reject;
        }
        match self.password(node, user) {
            Some(current) if current == password => SshAuth::Accept,
            _ => SshAuth::Reject,
        }
    }

    fn chpasswd(&self, node: usize, login_user: &str, stdin: &[u8]) -> Result<(), String> {
        self.chpasswd_calls.lock().expect("test mutex").push((
            node,
            login_user.to_owned(),
            stdin.to_vec(),
        ));
        let text =
            std::str::from_utf8(stdin).map_err(|_| "chpasswd: input is not UTF-8".to_owned())?;
        let mut passwords = self.passwords.lock().expect("test mutex");
        let mut changes = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let Some((user, password)) = line.split_once(':') else {
                return Err(format!(
                    "chpasswd: line {}: missing new password",
                    number + 1
                ));
            };
            if !passwords.contains_key(&(node, user.to_owned())) {
                return Err(format!(
                    "chpasswd: line {}: user '{user}' does not exist",
                    number + 1
                ));
            }
            changes.push(((node, user.to_owned()), password.to_owned()));
        }
        passwords.extend(changes);
        Ok(())
    }
}

struct Server {
    addr: SocketAddr,
    host_key: PublicKey,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(node: usize, backend: Arc<MemoryBackend>) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let key = host_key_for(42, node);
        let host_key = key.public_key().clone();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve_ssh(listener, node, key, backend, shutdown.clone()));
        Ok(Self {
            addr,
            host_key,
            shutdown,
            task,
        })
    }

    async fn stop(self) -> TestResult {
        self.shutdown.cancel();
        tokio::time::timeout(DEADLINE, self.task).await???;
        Ok(())
    }
}

/// Trusts exactly one host key (the test knows the server's key).
struct Client {
    expected: PublicKey,
}

impl russh::client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &PublicKey) -> Result<bool, Self::Error> {
        Ok(key.key_data() == self.expected.key_data())
    }
}

async fn connect(server: &Server) -> Result<russh::client::Handle<Client>, russh::Error> {
    let config = Arc::new(russh::client::Config::default());
    let client = Client {
        expected: server.host_key.clone(),
    };
    russh::client::connect(config, server.addr, client).await
}

async fn login(server: &Server, user: &str, password: &str) -> Result<bool, russh::Error> {
    let mut session = tokio::time::timeout(DEADLINE, connect(server))
        .await
        .map_err(|_| russh::Error::ConnectionTimeout)??;
    let result = tokio::time::timeout(DEADLINE, session.authenticate_password(user, password))
        .await
        .map_err(|_| russh::Error::ConnectionTimeout)??;
    Ok(result.success())
}

#[derive(Debug, Default)]
struct Output {
    exec_accepted: bool,
    stdout: Vec<u8>,
    stderr: String,
    exit_status: Option<u32>,
}

/// Logs in and runs `command` with `stdin`, collecting everything the host
/// sends until the channel closes.
async fn run(
    server: &Server,
    user: &str,
    password: &str,
    command: &str,
    stdin: &[u8],
) -> Result<Output, Box<dyn std::error::Error + Send + Sync>> {
    let mut session = connect(server).await?;
    let auth = session.authenticate_password(user, password).await?;
    assert!(auth.success(), "login as {user} should succeed");
    let mut channel = session.channel_open_session().await?;
    channel.exec(true, command).await?;
    let mut output = Output::default();
    let mut sent = false;
    tokio::time::timeout(DEADLINE, async {
        while let Some(message) = channel.wait().await {
            match message {
                ChannelMsg::Success => {
                    output.exec_accepted = true;
                    if !sent {
                        sent = true;
                        channel.data(stdin).await?;
                        channel.eof().await?;
                    }
                }
                ChannelMsg::Data { data } => output.stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, ext: 1 } => {
                    output.stderr.push_str(&String::from_utf8_lossy(&data));
                }
                ChannelMsg::ExitStatus { exit_status } => output.exit_status = Some(exit_status),
                ChannelMsg::Close => break,
                _ => {}
            }
        }
        Ok::<_, russh::Error>(())
    })
    .await??;
    Ok(output)
}

#[tokio::test]
async fn login_with_the_default_password_and_refuse_a_wrong_one() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    assert!(login(&server, "smartx", DEFAULT_PASSWORD).await?);
    assert!(!login(&server, "smartx", "wrong").await?);
    assert!(!login(&server, "nobody", DEFAULT_PASSWORD).await?);

    // Like sshd, a refused password leaves room for another on the same
    // connection (the client's re-run check relies on it).
    let mut session = connect(&server).await?;
    assert!(
        !session
            .authenticate_password("smartx", "wrong")
            .await?
            .success()
    );
    assert!(
        !session
            .authenticate_password("root", DEFAULT_PASSWORD)
            .await?
            .success()
    );
    assert!(
        session
            .authenticate_password("smartx", DEFAULT_PASSWORD)
            .await?
            .success()
    );
    server.stop().await
}

#[tokio::test]
async fn root_can_never_log_in_even_with_its_password() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    assert_eq!(
        backend.password(0, "root").as_deref(),
        Some(DEFAULT_PASSWORD)
    );
    assert!(!login(&server, "root", DEFAULT_PASSWORD).await?);
    server.stop().await
}

#[tokio::test]
async fn chpasswd_over_stdin_takes_special_character_passwords() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(2));
    let server = Server::start(1, Arc::clone(&backend)).await?;
    let new_smartx = r#"a'b"c$d`e\f g;h"#;
    let new_root = "Pässwörd ünïcødé ✓ 密码 $(id) `x`";
    let stdin = format!("smartx:{new_smartx}\nroot:{new_root}\n");

    let output = run(
        &server,
        "smartx",
        DEFAULT_PASSWORD,
        "  sudo -n chpasswd\n",
        stdin.as_bytes(),
    )
    .await?;
    assert!(output.exec_accepted);
    assert_eq!(output.exit_status, Some(0), "stderr: {}", output.stderr);
    assert!(output.stderr.is_empty());

    // The backend saw exactly the bytes sent, for the right node and login user.
    let calls = backend.chpasswd_calls.lock().expect("test mutex").clone();
    assert_eq!(calls, vec![(1, "smartx".to_owned(), stdin.into_bytes())]);
    assert_eq!(backend.password(1, "smartx").as_deref(), Some(new_smartx));
    assert_eq!(backend.password(1, "root").as_deref(), Some(new_root));
    assert_eq!(
        backend.password(0, "smartx").as_deref(),
        Some(DEFAULT_PASSWORD)
    );

    // The new password logs in, the old one no longer does; root stays refused.
    assert!(login(&server, "smartx", new_smartx).await?);
    assert!(!login(&server, "smartx", DEFAULT_PASSWORD).await?);
    assert!(!login(&server, "root", new_root).await?);
    server.stop().await
}

#[tokio::test]
async fn chpasswd_failure_reports_stderr_and_exit_status_1() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    let output = run(
        &server,
        "smartx",
        DEFAULT_PASSWORD,
        "sudo -n chpasswd",
        b"ghost:x\n",
    )
    .await?;
    assert_eq!(output.exit_status, Some(1));
    assert!(
        output.stderr.contains("user 'ghost' does not exist"),
        "{}",
        output.stderr
    );
    assert_eq!(
        backend.password(0, "smartx").as_deref(),
        Some(DEFAULT_PASSWORD)
    );
    server.stop().await
}

#[tokio::test]
async fn other_commands_are_refused_with_stderr_and_non_zero_exit() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    for command in [
        "id",
        "sudo chpasswd",
        "echo 'smartx:x' | sudo -n chpasswd",
        "sudo -n chpasswd; id",
    ] {
        let output = run(&server, "smartx", DEFAULT_PASSWORD, command, b"smartx:x\n").await?;
        assert_eq!(output.exit_status, Some(126), "{command}");
        assert!(
            output.stderr.starts_with("command not permitted: "),
            "{command}: {}",
            output.stderr
        );
    }
    assert!(
        backend
            .chpasswd_calls
            .lock()
            .expect("test mutex")
            .is_empty()
    );
    assert_eq!(
        backend.password(0, "smartx").as_deref(),
        Some(DEFAULT_PASSWORD)
    );
    server.stop().await
}

#[tokio::test]
async fn shells_and_ptys_are_refused() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    let mut session = connect(&server).await?;
    assert!(
        session
            .authenticate_password("smartx", DEFAULT_PASSWORD)
            .await?
            .success()
    );

    let mut channel = session.channel_open_session().await?;
    channel
        .request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await?;
    let reply = tokio::time::timeout(DEADLINE, channel.wait()).await?;
    assert!(matches!(reply, Some(ChannelMsg::Failure)), "{reply:?}");
    channel.request_shell(true).await?;
    let reply = tokio::time::timeout(DEADLINE, channel.wait()).await?;
    assert!(matches!(reply, Some(ChannelMsg::Failure)), "{reply:?}");
    server.stop().await
}

#[tokio::test]
async fn refuse_fault_rejects_every_password() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    backend.refuse.lock().expect("test mutex").push(0);
    let server = Server::start(0, Arc::clone(&backend)).await?;
    assert!(!login(&server, "smartx", DEFAULT_PASSWORD).await?);
    server.stop().await
}

#[tokio::test]
async fn hang_fault_never_answers_and_shutdown_still_completes() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    backend.hang.lock().expect("test mutex").push(0);
    let server = Server::start(0, Arc::clone(&backend)).await?;
    let mut session = connect(&server).await?;
    let attempt = tokio::time::timeout(
        Duration::from_millis(300),
        session.authenticate_password("smartx", DEFAULT_PASSWORD),
    )
    .await;
    assert!(
        attempt.is_err(),
        "a hanging host must not answer: {attempt:?}"
    );
    // The stalled session must not keep the server from shutting down.
    server.stop().await
}

#[tokio::test]
async fn host_key_is_the_deterministic_one() -> TestResult {
    let backend = Arc::new(MemoryBackend::with_nodes(1));
    let server = Server::start(0, Arc::clone(&backend)).await?;
    // `connect` only succeeds when the offered key equals host_key_for(42, 0).
    assert_eq!(server.host_key, *host_key_for(42, 0).public_key());
    assert!(login(&server, "smartx", DEFAULT_PASSWORD).await?);
    let mut impostor = Server::start(0, backend).await?;
    impostor.host_key = host_key_for(43, 0).public_key().clone();
    assert!(login(&impostor, "smartx", DEFAULT_PASSWORD).await.is_err());
    impostor.stop().await?;
    server.stop().await
}
