//! Shared set-up for the SSH rotation tests: an in-test SSH backend and
//! a small cluster of simulated SSH hosts on loopback.

// Two test binaries include this file and each uses a different part of it.
#![allow(dead_code, unused_imports)]

pub use std::collections::HashMap;
pub use std::net::SocketAddr;
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, Instant};

pub use smtx_api::ssh::{
    ChangedHostKeys, DEFAULT_HOST_PASSWORD, RotationOutcome, SshError, SshOptions, SshTarget,
    rotate_all, rotate_passwords,
};
pub use smtx_secret::Secret;
pub use smtx_sim::ssh::{SshAuth, SshBackend, host_key_for, serve_ssh};
pub use tokio::net::TcpListener;
pub use tokio_util::sync::CancellationToken;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub const NEW_SMARTX: &str = r#"N3w'smartx"pw$HOME`id`\;x y"#;
pub const NEW_ROOT: &str = "R00t ünïcødé 密码 ;$(reboot)'\"\\";

/// Accounts of every simulated host, with the auth faults.
#[derive(Default)]
pub struct Hosts {
    pub passwords: Mutex<HashMap<(usize, String), String>>,
    pub refuse: Mutex<Vec<usize>>,
    pub hang: Mutex<Vec<usize>>,
    pub chpasswd_runs: Mutex<Vec<usize>>,
    /// chpasswd fails on this node, echoing the password it was given.
    pub chpasswd_error: Mutex<Option<usize>>,
}

impl Hosts {
    pub fn new(nodes: usize) -> Arc<Self> {
        let hosts = Self::default();
        {
            let mut passwords = hosts.passwords.lock().expect("fresh mutex");
            for node in 0..nodes {
                for user in ["smartx", "root"] {
                    passwords.insert((node, user.to_owned()), DEFAULT_HOST_PASSWORD.to_owned());
                }
            }
        }
        Arc::new(hosts)
    }

    pub fn password(&self, node: usize, user: &str) -> String {
        self.passwords
            .lock()
            .expect("test mutex")
            .get(&(node, user.to_owned()))
            .cloned()
            .unwrap_or_default()
    }

    pub fn chpasswd_runs(&self, node: usize) -> usize {
        let runs = self.chpasswd_runs.lock().expect("test mutex");
        runs.iter().filter(|run| **run == node).count()
    }
}

impl SshBackend for Hosts {
    fn authenticate(&self, node: usize, user: &str, password: &str) -> SshAuth {
        if self.hang.lock().expect("test mutex").contains(&node) {
            return SshAuth::Hang;
        }
        if self.refuse.lock().expect("test mutex").contains(&node) {
            return SshAuth::Reject;
        }
        if self.password(node, user) == password {
            SshAuth::Accept
        } else {
            SshAuth::Reject
        }
    }

    fn chpasswd(&self, node: usize, _login_user: &str, stdin: &[u8]) -> Result<(), String> {
        self.chpasswd_runs.lock().expect("test mutex").push(node);
        let text = std::str::from_utf8(stdin).map_err(|_| "chpasswd: not UTF-8".to_owned())?;
        if *self.chpasswd_error.lock().expect("test mutex") == Some(node) {
            let first = text.lines().next().unwrap_or_default();
            return Err(format!(
                "chpasswd: pam_chauthtok() failed for {first}: too simple"
            ));
        }
        let mut passwords = self.passwords.lock().expect("test mutex");
        for line in text.lines() {
            let (user, password) = line
                .split_once(':')
                .ok_or_else(|| "chpasswd: line 1: missing new password".to_owned())?;
            passwords.insert((node, user.to_owned()), password.to_owned());
        }
        Ok(())
    }
}

/// One SSH listener per node, each with the host key of `seed`.
pub struct Cluster {
    pub addrs: Vec<SocketAddr>,
    pub shutdown: CancellationToken,
    pub tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Cluster {
    pub async fn start(hosts: &Arc<Hosts>, nodes: usize, seed: u64) -> std::io::Result<Self> {
        let shutdown = CancellationToken::new();
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for node in 0..nodes {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            addrs.push(listener.local_addr()?);
            let backend: Arc<dyn SshBackend> = hosts.clone();
            tasks.push(tokio::spawn(serve_ssh(
                listener,
                node,
                host_key_for(seed, node),
                backend,
                shutdown.clone(),
            )));
        }
        Ok(Self {
            addrs,
            shutdown,
            tasks,
        })
    }

    pub async fn stop(self) -> TestResult {
        self.shutdown.cancel();
        for task in self.tasks {
            tokio::time::timeout(Duration::from_secs(10), task).await???;
        }
        Ok(())
    }

    pub fn targets(&self, new_smartx: &str, new_root: &str) -> Vec<SshTarget> {
        self.addrs
            .iter()
            .enumerate()
            .map(|(node, addr)| SshTarget {
                host: format!("node-{:02} (10.0.20.{})", node + 1, 11 + node),
                known_hosts_key: format!("10.0.20.{}", 11 + node),
                connect_addr: *addr,
                login_user: "smartx".into(),
                current_password: Secret::new(DEFAULT_HOST_PASSWORD),
                new_passwords: vec![
                    ("smartx".into(), Secret::new(new_smartx)),
                    ("root".into(), Secret::new(new_root)),
                ],
            })
            .collect()
    }
}

pub fn options(dir: &tempfile::TempDir) -> SshOptions {
    SshOptions {
        connect_timeout: Duration::from_secs(2),
        command_timeout: Duration::from_secs(5),
        known_hosts: dir.path().join("known_hosts"),
        known_hosts_replace: smtx_api::Replace::Own,
        changed_host_keys: ChangedHostKeys::Refuse,
    }
}

/// No password may appear in an error's Display or Debug.
pub fn assert_no_password(error: &SshError) {
    let shown = format!("{error} | {error:?}");
    for password in [NEW_SMARTX, NEW_ROOT, DEFAULT_HOST_PASSWORD, "has:colon"] {
        assert!(!shown.contains(password), "password leaked into: {shown}");
    }
}
