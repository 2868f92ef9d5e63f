//! Starting and stopping a simulated cluster: one HTTP(S) listener per host
//! and one for the VIP, one SSH listener per host and one for the VIP, all on
//! 127.0.0.1 with ports picked by the OS; the VIP's listeners refuse
//! connections until something holds the VIP; the accept loop that tags each
//! connection with the node it reached; the settings file that points a
//! client at all of them.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use smtx_secret::Secret;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::http::{ConnInfo, Shared, router};
use crate::scenario::{Fault, Scenario};
use crate::spec::ClusterSpec;
use crate::state::{SimState, SshDecision, Target};
use crate::{SimError, ssh};

/// How a simulated cluster behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// HTTPS with a generated CA (default) or plain HTTP.
    pub tls: bool,
    /// Upload chunk size announced by `create_volume` (default 8 MiB).
    pub chunk_size: u64,
    /// Job polls that answer `pending`/`running` before the job ends: the
    /// first poll says `pending`, later ones `running`, and poll
    /// `job_polls_to_finish + 1` says `done` (or `failed`). 0 ends at once.
    pub job_polls_to_finish: u32,
    /// And no job ends before it is this old (default zero: polls decide).
    pub job_duration: std::time::Duration,
    /// Faults armed from the start.
    pub scenario: Scenario,
    /// Where upload volumes are written; `None`: a temporary directory the
    /// simulator owns and removes on shutdown.
    pub upload_dir: Option<PathBuf>,
    /// Serve SSH on every host (default true).
    pub ssh: bool,
    /// When set, `/_sim/*` answers 401 unless the request carries
    /// `Authorization: Bearer <token>` (the cluster API is unaffected).
    pub control_token: Option<Secret>,
    /// One network round trip added to every HTTP call and SSH exchange
    /// (default zero: loopback).
    pub latency: std::time::Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            tls: true,
            chunk_size: 8 * 1024 * 1024,
            job_polls_to_finish: 2,
            job_duration: std::time::Duration::ZERO,
            scenario: Scenario::default(),
            upload_dir: None,
            ssh: true,
            control_token: None,
            latency: std::time::Duration::ZERO,
        }
    }
}

/// Where one simulated host answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeEndpoint {
    pub hostname: String,
    /// The management IP the workbook gives this host.
    pub workbook_ip: Ipv4Addr,
    pub http: SocketAddr,
    pub ssh: Option<SocketAddr>,
}

/// Where the management VIP answers (once it has been set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VipEndpoint {
    pub workbook_ip: Ipv4Addr,
    pub http: SocketAddr,
    /// SSH on the VIP reaches the host that holds it (the first one), and
    /// refuses every login until the VIP has been set.
    pub ssh: Option<SocketAddr>,
}

/// A running simulated cluster. Dropping it without [`RunningSim::shutdown`]
/// stops the listeners too (the tasks see the cancellation).
#[derive(Debug)]
pub struct RunningSim {
    nodes: Vec<NodeEndpoint>,
    vip: Option<VipEndpoint>,
    tls: bool,
    ca_pem: Option<String>,
    shared: Arc<Shared>,
    vip_gate: Arc<VipGate>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
    _upload_dir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("upload_dir", &self.upload_dir)
            .finish_non_exhaustive()
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl RunningSim {
    pub fn nodes(&self) -> &[NodeEndpoint] {
        &self.nodes
    }

    pub fn vip(&self) -> Option<VipEndpoint> {
        self.vip
    }

    pub fn scheme(&self) -> &'static str {
        if self.tls { "https" } else { "http" }
    }

    /// The CA that signed the server certificate (PEM); `None` over HTTP.
    pub fn ca_cert_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Base URL (first host, on loopback) where `/_sim/state` and
    /// `/_sim/faults` answer.
    pub fn control_url(&self) -> String {
        match self.nodes.first() {
            Some(node) => format!("{}://{}", self.scheme(), node.http),
            None => String::new(),
        }
    }

    /// The token `/_sim/*` wants as `Authorization: Bearer`, if any.
    pub fn control_token(&self) -> Option<&Secret> {
        self.shared.control_token.as_ref()
    }

    /// Loopback base URL of host `index`.
    pub fn node_url(&self, index: usize) -> Option<String> {
        self.nodes
            .get(index)
            .map(|node| format!("{}://{}", self.scheme(), node.http))
    }

    /// Loopback base URL of the VIP listener.
    pub fn vip_url(&self) -> Option<String> {
        self.vip
            .map(|vip| format!("{}://{}", self.scheme(), vip.http))
    }

    /// The same document as `GET /_sim/state`.
    pub fn state(&self) -> Value {
        self.shared.lock().snapshot()
    }

    /// Arms a fault, like `POST /_sim/faults`.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().inject(fault);
        self.vip_gate.open_if_held();
    }

    /// The license serial this cluster reports (stable for the seed).
    pub fn serial(&self) -> String {
        self.shared.lock().serial().to_owned()
    }

    /// The settings file `smtx-deploy run --config` reads, marked
    /// `rehearsal = true` (runs with it keep the customer's workbook
    /// untouched). `ca_cert_path`
    /// is where the caller wrote [`RunningSim::ca_cert_pem`];
    /// `known_hosts_path` is where the rehearsal pins the simulator's SSH
    /// host keys, apart from the site's pins (they share the workbook
    /// addresses, so one file would refuse every real host afterwards).
    pub fn settings_toml(
        &self,
        ca_cert_path: Option<&Path>,
        known_hosts_path: Option<&Path>,
    ) -> String {
        let mut api = toml::Table::new();
        if let Some(first) = self.nodes.first() {
            api.insert(
                "base_url".to_owned(),
                format!("{}://{}", self.scheme(), first.workbook_ip).into(),
            );
        }
        if self.tls
            && let Some(path) = ca_cert_path
        {
            api.insert(
                "ca_cert".to_owned(),
                path.to_string_lossy().into_owned().into(),
            );
        }
        let mut http_resolve: Vec<toml::Value> = self
            .nodes
            .iter()
            .map(|node| format!("{}={}", node.workbook_ip, node.http).into())
            .collect();
        if let Some(vip) = self.vip {
            http_resolve.push(format!("{}={}", vip.workbook_ip, vip.http).into());
        }
        api.insert("resolve".to_owned(), toml::Value::Array(http_resolve));
        let mut ssh_resolve: Vec<toml::Value> = self
            .nodes
            .iter()
            .filter_map(|node| {
                node.ssh
                    .map(|ssh| format!("{}={}", node.workbook_ip, ssh).into())
            })
            .collect();
        if let Some(VipEndpoint {
            workbook_ip,
            ssh: Some(ssh),
            ..
        }) = self.vip
        {
            ssh_resolve.push(format!("{workbook_ip}={ssh}").into());
        }
        let mut ssh = toml::Table::new();
        ssh.insert("resolve".to_owned(), toml::Value::Array(ssh_resolve));
        if let Some(path) = known_hosts_path {
            ssh.insert(
                "known_hosts".to_owned(),
                path.to_string_lossy().into_owned().into(),
            );
        }
        let mut root = toml::Table::new();
        // Marks the runs made with this file as rehearsals.
        root.insert("rehearsal".to_owned(), toml::Value::Boolean(true));
        root.insert("api".to_owned(), toml::Value::Table(api));
        root.insert("ssh".to_owned(), toml::Value::Table(ssh));
        format!("# written by `smtx-deploy sim`\n{root}")
    }

    /// Stops every listener and open connection, then removes the
    /// simulator's own upload directory.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }
}

/// The VIP's listeners: bound at start (so the settings file can name their
/// ports) but listening only once something holds the VIP — the cluster
/// after `PUT settings/vip`, or another device (the `vip_in_use` fault).
/// Until then a connection is refused, as at a free address, so a client
/// that probes the VIP before setting it finds nothing there.
#[derive(Debug)]
struct VipGate {
    shared: Arc<Shared>,
    /// Opening registers the socket with the runtime, and `inject` may be
    /// called from outside it.
    runtime: tokio::runtime::Handle,
    /// Bound, not yet listening, each with the task waiting to serve it.
    closed: Mutex<Vec<(TcpSocket, oneshot::Sender<TcpListener>)>>,
}

impl VipGate {
    /// Binds a socket on 127.0.0.1 that listens once the VIP is held; the
    /// receiver gets the listener then.
    fn bind(&self, what: &str) -> Result<(SocketAddr, oneshot::Receiver<TcpListener>), SimError> {
        let bind_error = |source| SimError::Bind {
            what: what.to_owned(),
            source,
        };
        let socket = TcpSocket::new_v4().map_err(bind_error)?;
        socket
            .bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .map_err(bind_error)?;
        let address = socket.local_addr().map_err(bind_error)?;
        let (opened, listening) = oneshot::channel();
        self.closed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((socket, opened));
        Ok((address, listening))
    }

    /// Starts listening if the VIP is now held. Called after every request
    /// and injected fault, before the answer goes out: a client told "VIP
    /// set" can connect at once.
    fn open_if_held(&self) {
        let mut closed = self.closed.lock().unwrap_or_else(PoisonError::into_inner);
        if closed.is_empty() || !self.shared.lock().vip_held() {
            return;
        }
        let _runtime = self.runtime.enter();
        for (socket, opened) in closed.drain(..) {
            match socket.listen(1024) {
                Ok(listener) => {
                    // The serving task is gone only when the simulator stops.
                    let _ = opened.send(listener);
                }
                Err(error) => tracing::warn!(%error, "cannot listen on the VIP"),
            }
        }
    }
}

/// Waits until the gate opens (or the simulator stops), then serves.
async fn when_open<F, Fut>(
    listening: oneshot::Receiver<TcpListener>,
    shutdown: CancellationToken,
    serve: F,
) where
    F: FnOnce(TcpListener) -> Fut,
    Fut: Future<Output = ()>,
{
    let listener = tokio::select! {
        () = shutdown.cancelled() => return,
        listener = listening => listener,
    };
    if let Ok(listener) = listener {
        serve(listener).await;
    }
}

/// The SSH server's view of the simulator's accounts.
struct SshAccounts(Arc<Shared>);

/// SSH on the VIP: the first host's accounts, once the VIP is set.
struct VipSshAccounts(Arc<Shared>);

/// The host that answers on the VIP.
const VIP_HOLDER: usize = 0;

impl ssh::SshBackend for VipSshAccounts {
    fn authenticate(&self, _node: usize, user: &str, password: &str) -> ssh::SshAuth {
        let state = self.0.lock();
        if state.vip.is_none() {
            return ssh::SshAuth::Reject;
        }
        match state.ssh_authenticate(VIP_HOLDER, user, password) {
            SshDecision::Accept => ssh::SshAuth::Accept,
            SshDecision::Reject => ssh::SshAuth::Reject,
            SshDecision::Hang => ssh::SshAuth::Hang,
        }
    }

    fn chpasswd(&self, _node: usize, login_user: &str, stdin: &[u8]) -> Result<(), String> {
        self.0.lock().ssh_chpasswd(VIP_HOLDER, login_user, stdin)
    }
}

impl ssh::SshBackend for SshAccounts {
    fn authenticate(&self, node: usize, user: &str, password: &str) -> ssh::SshAuth {
        match self.0.lock().ssh_authenticate(node, user, password) {
            SshDecision::Accept => ssh::SshAuth::Accept,
            SshDecision::Reject => ssh::SshAuth::Reject,
            SshDecision::Hang => ssh::SshAuth::Hang,
        }
    }

    fn chpasswd(&self, node: usize, login_user: &str, stdin: &[u8]) -> Result<(), String> {
        self.0.lock().ssh_chpasswd(node, login_user, stdin)
    }
}

async fn bind_loopback(what: &str) -> Result<TcpListener, SimError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|source| SimError::Bind {
            what: what.to_owned(),
            source,
        })
}

fn local_addr(listener: &TcpListener, what: &str) -> Result<SocketAddr, SimError> {
    listener.local_addr().map_err(|source| SimError::Bind {
        what: what.to_owned(),
        source,
    })
}

/// Starts the simulated cluster described by `spec`.
pub async fn start(spec: ClusterSpec, options: SimOptions) -> Result<RunningSim, SimError> {
    if spec.hosts.is_empty() {
        return Err(SimError::InvalidSpec {
            message: "the cluster has no hosts".to_owned(),
        });
    }
    if options.chunk_size == 0 {
        return Err(SimError::InvalidSpec {
            message: "chunk_size must be > 0".to_owned(),
        });
    }
    let (upload_dir, owned_dir) = match &options.upload_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| SimError::Io {
                path: dir.clone(),
                source,
            })?;
            (dir.clone(), None)
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("smtx-sim-uploads-")
                .tempdir()
                .map_err(|source| SimError::Io {
                    path: std::env::temp_dir(),
                    source,
                })?;
            (dir.path().to_path_buf(), Some(dir))
        }
    };
    let mut state = SimState::new(
        spec.clone(),
        options.chunk_size,
        options.job_polls_to_finish,
    );
    state.set_job_duration(options.job_duration);
    for fault in options.scenario.faults.iter().cloned() {
        state.inject(fault);
    }
    let shared =
        Arc::new(Shared::new(state, upload_dir).with_control_token(options.control_token.clone()));
    let app = crate::latency::http(router(shared.clone(), options.chunk_size), options.latency);
    let vip_gate = Arc::new(VipGate {
        shared: shared.clone(),
        runtime: tokio::runtime::Handle::current(),
        closed: Mutex::new(Vec::new()),
    });

    let (ca_pem, acceptor) = if options.tls {
        let mut addresses: Vec<Ipv4Addr> = spec.hosts.iter().map(|h| h.management_ip).collect();
        addresses.extend(spec.vip);
        let tls = crate::tls::generate(&addresses)?;
        (Some(tls.ca_pem), Some(TlsAcceptor::from(tls.server_config)))
    } else {
        (None, None)
    };

    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    let mut nodes = Vec::new();
    for (index, host) in spec.hosts.iter().enumerate() {
        let what = format!("HTTP listener of {}", host.hostname);
        let listener = bind_loopback(&what).await?;
        let http = local_addr(&listener, &what)?;
        tasks.spawn(serve_http(
            listener,
            Target::Node(index),
            app.clone(),
            acceptor.clone(),
            vip_gate.clone(),
            shutdown.clone(),
        ));
        let ssh = if options.ssh {
            let what = format!("SSH listener of {}", host.hostname);
            let listener = bind_loopback(&what).await?;
            let address = local_addr(&listener, &what)?;
            let backend =
                crate::latency::ssh(Arc::new(SshAccounts(shared.clone())), options.latency);
            let key = ssh::host_key_for(spec.seed, index);
            let token = shutdown.clone();
            tasks.spawn(async move {
                if let Err(error) = ssh::serve_ssh(listener, index, key, backend, token).await {
                    tracing::warn!(node = index, %error, "simulated SSH server stopped");
                }
            });
            Some(address)
        } else {
            None
        };
        nodes.push(NodeEndpoint {
            hostname: host.hostname.clone(),
            workbook_ip: host.management_ip,
            http,
            ssh,
        });
    }
    let vip = match spec.vip {
        Some(workbook_ip) => {
            let (http, listening) = vip_gate.bind("HTTP listener of the VIP")?;
            let (app, acceptor, gate, token) = (
                app.clone(),
                acceptor.clone(),
                vip_gate.clone(),
                shutdown.clone(),
            );
            tasks.spawn(when_open(listening, shutdown.clone(), move |listener| {
                serve_http(listener, Target::Vip, app, acceptor, gate, token)
            }));
            let ssh = if options.ssh && !spec.hosts.is_empty() {
                let (address, listening) = vip_gate.bind("SSH listener of the VIP")?;
                let backend =
                    crate::latency::ssh(Arc::new(VipSshAccounts(shared.clone())), options.latency);
                let key = ssh::host_key_for(spec.seed, VIP_HOLDER);
                let token = shutdown.clone();
                tasks.spawn(when_open(
                    listening,
                    shutdown.clone(),
                    move |listener| async move {
                        if let Err(error) =
                            ssh::serve_ssh(listener, VIP_HOLDER, key, backend, token).await
                        {
                            tracing::warn!(%error, "simulated SSH server of the VIP stopped");
                        }
                    },
                ));
                Some(address)
            } else {
                None
            };
            Some(VipEndpoint {
                workbook_ip,
                http,
                ssh,
            })
        }
        None => None,
    };
    // A scenario may hand the VIP to another device from the start.
    vip_gate.open_if_held();
    Ok(RunningSim {
        nodes,
        vip,
        tls: options.tls,
        ca_pem,
        shared,
        vip_gate,
        shutdown,
        tasks,
        _upload_dir: owned_dir,
    })
}

/// Accepts connections until `shutdown`; each connection is served in its
/// own task and dropped when the simulator stops or a handler aborts it.
async fn serve_http(
    listener: TcpListener,
    target: Target,
    app: Router,
    acceptor: Option<TlsAcceptor>,
    vip_gate: Arc<VipGate>,
    shutdown: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let abort = CancellationToken::new();
        let info = ConnInfo {
            target,
            abort: abort.clone(),
        };
        let app = app.clone();
        let acceptor = acceptor.clone();
        let vip_gate = vip_gate.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    request.extensions_mut().insert(info.clone());
                    let mut app = app.clone();
                    let vip_gate = vip_gate.clone();
                    async move {
                        let response = tower::Service::call(&mut app, request).await;
                        // A PUT settings/vip or a fault may have handed out the VIP.
                        vip_gate.open_if_held();
                        response
                    }
                });
            match acceptor {
                Some(acceptor) => {
                    let handshake = tokio::select! {
                        () = shutdown.cancelled() => return,
                        handshake = acceptor.accept(stream) => handshake,
                    };
                    if let Ok(tls_stream) = handshake {
                        serve_connection(TokioIo::new(tls_stream), service, abort, shutdown).await;
                    }
                }
                None => serve_connection(TokioIo::new(stream), service, abort, shutdown).await,
            }
        });
    }
    connections.shutdown().await;
}

async fn serve_connection<I, S>(
    io: I,
    service: S,
    abort: CancellationToken,
    shutdown: CancellationToken,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming> + Send,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::select! {
        _ = connection => {}
        () = abort.cancelled() => {}
        () = shutdown.cancelled() => {}
    }
}
