//! `smtx-console`: the web console, a second front end over the same engine
//! as the CLI. An axum server with a REST API (plans, runs, files), live
//! run events over Server-Sent Events, a SQLite history under the data
//! directory, and the page's assets embedded in the binary.
//!
//! Layout: `lib.rs` (options, state, the router, start and shutdown),
//! `accept` (the accept loop: header deadline, TLS, connections' trust),
//! `auth` (the bearer token), `connections` (who holds the connections:
//! so many per address, and unauthenticated ones make room for token
//! holders), `json_body` (a JSON body within its deadline), `pace` (an
//! upload's minimum rate), `plans` (upload and read a workbook), `runs`
//! (create, list, read, abort, resume, files), `target` (a run's target: a
//! rehearsal or a cluster's settings, and the refusals the CLI makes),
//! `tokens` (the accepted tokens, named by `--token-file`, and the
//! `Caller` a request that passed is recorded as), `tls` (HTTPS: the
//! site's certificate or a self-signed one kept in the data directory),
//! `origin` (who may drive it from a browser: loopback names without a token,
//! no foreign `Origin` on a change), `runner` (a run as a tokio task over `smtx_engine::run`, its events, the
//! stage-log tail, the rehearsal's simulator), `events` (the SSE stream:
//! replay from the store, then live), `store` (SQLite), `scenarios` (the
//! simulator's shipped fault stories), `assets`, `messages` (the catalog),
//! `error` (the error answer), `log` (`DATA_DIR/console.log`: a JSON line
//! per API request, bounded).

mod accept;
mod assets;
mod auth;
mod connections;
mod delivery;
mod error;
mod event_views;
mod events;
mod isos;
mod json_body;
pub mod log;
pub mod messages;
mod origin;
mod pace;
mod plans;
pub mod prune;
mod run_files;
mod run_views;
mod runner;
mod runs;
mod scenarios;
mod store;
mod target;
pub mod tls;
pub mod tokens;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use serde_json::Value;
use smtx_i18n::Localize as _;
use smtx_secret::Secret;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use error::ApiError;
pub use store::StoredEvent;
pub use tls::{TlsError, TlsSource};
pub use tokens::{Caller, NamedToken, TokenFileError, Tokens};

/// How many finished rehearsals' simulator states are kept in memory (a
/// state holds the simulator's call log).
const KEPT_REHEARSAL_STATES: usize = 16;

/// How many runs may be active at once by default (queued fleet runs
/// included): each rehearsal holds a simulator, each run a task, files and
/// connections. Past it a new run is refused with 429.
pub const MAX_ACTIVE_RUNS: usize = 32;

/// The largest JSON body (a run, a fleet, a resume): a settings target
/// with its CA's PEM is a few KiB.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;

/// How long a client may take to send a request's headers (slow-loris).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a JSON body (a run, a fleet, a resume) may take to arrive
/// whole after its headers; past it 408 and the connection is closed.
pub const JSON_BODY_DEADLINE: Duration = Duration::from_secs(5);

/// How many connections are open at once (an event stream holds one per
/// open run page). Past it a new connection takes the place of the oldest
/// one no request of which has passed the token check, or is closed.
pub const MAX_CONNECTIONS: usize = 512;

/// How many connections one client address holds at once (an IPv6 client:
/// its /64); past it a new one is closed at once.
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 128;

/// How many connections no request of which has passed the token check
/// (idle, or still sending its headers) are kept; past it the oldest is
/// dropped for the new one.
pub const MAX_UNAUTHENTICATED_CONNECTIONS: usize = 128;

/// How many uploads are read at once: each is held in memory, up to
/// [`MAX_UPLOAD_BYTES`], until it is whole.
pub const MAX_UPLOADS: usize = 8;

/// The slowest an upload may be, in bytes per second averaged over
/// [`UPLOAD_PACE_WINDOW`]: a window that ends with less drops it (408).
pub const UPLOAD_MIN_BYTES_PER_SEC: u64 = 16 * 1024;

/// The window [`UPLOAD_MIN_BYTES_PER_SEC`] is averaged over.
pub const UPLOAD_PACE_WINDOW: Duration = Duration::from_secs(10);

/// The largest upload the console takes (a workbook is well under 1 MiB).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// What the console's state is made of: where it keeps its data, and the
/// tokens `/api` wants (none: no token asked).
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    pub data_dir: PathBuf,
    pub tokens: Tokens,
    /// Served over HTTPS: a browser's `Origin` is then `https://`.
    pub https: bool,
    /// `serve --iso-dir`: a directory of VMTools ISOs runs may pick from.
    pub iso_dir: Option<PathBuf>,
}

/// How `serve` is started.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// Required for every `/api` call when set. Off loopback a token is
    /// always asked: one is generated when neither this nor
    /// `named_tokens` gives one.
    pub token: Option<Secret>,
    /// `--token-file`'s named tokens, accepted besides `token`; their
    /// names are recorded with what each caller did.
    pub named_tokens: Tokens,
    /// A directory of VMTools ISOs the console lists and runs may pick
    /// from by name (the only way besides an upload: a browser names no
    /// path of the server).
    pub iso_dir: Option<PathBuf>,
    /// HTTPS with this certificate; None: plain HTTP.
    pub tls: Option<TlsSource>,
    /// What the history keeps; pruned at start and every day.
    pub keep: prune::KeepPolicy,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: String },
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        addr: SocketAddr,
        reason: ListenReason,
    },
    #[error("{0}")]
    Store(#[from] store::StoreError),
    /// The certificate or key cannot be used, or the self-signed one made.
    #[error("{0}")]
    Tls(#[from] TlsError),
    /// `--iso-dir` is not a directory that can be read.
    #[error("ISO directory {}: {reason}", path.display())]
    IsoDir { path: PathBuf, reason: IsoDirReason },
    /// Another console serves this data directory: two would mark each
    /// other's runs interrupted and write one database.
    #[error("data directory {} is in use by another console{}", data_dir.display(), holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    DataDirBusy {
        data_dir: PathBuf,
        holder: Option<u32>,
    },
}

impl smtx_i18n::Localize for ConsoleError {
    fn localize(&self, lang: smtx_i18n::Lang) -> String {
        match (self, lang) {
            (_, smtx_i18n::Lang::En) => self.to_string(),
            (Self::Io { path, reason }, smtx_i18n::Lang::ZhCn) => format!(
                "{}：读写失败：{}",
                path.display(),
                smtx_i18n::quoted(lang, reason)
            ),
            (Self::Listen { addr, reason }, smtx_i18n::Lang::ZhCn) => {
                format!("无法监听 {addr}：{}", reason.localize(lang))
            }
            (Self::DataDirBusy { data_dir, holder }, smtx_i18n::Lang::ZhCn) => format!(
                "数据目录 {} 正被另一个控制台使用{}",
                data_dir.display(),
                holder
                    .map(|pid| format!("（进程 {pid}）"))
                    .unwrap_or_default()
            ),
            (Self::IsoDir { path, reason }, smtx_i18n::Lang::ZhCn) => format!(
                "ISO 目录 {}：{}",
                path.display(),
                match reason {
                    IsoDirReason::NotADirectory =>
                        "不是目录；`--iso-dir` 应指定存放 ISO 的目录".to_string(),
                    IsoDirReason::Io(cause) => smtx_i18n::quoted(lang, cause),
                }
            ),
            (Self::Tls(error), smtx_i18n::Lang::ZhCn) => error.localize(lang),
            (Self::Store(error), smtx_i18n::Lang::ZhCn) => format!(
                "数据库出错：{}",
                smtx_i18n::quoted(lang, &error.to_string())
            ),
        }
    }
}

/// Why the console cannot listen where it was asked to, with what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenReason {
    /// Another program listens there (often an earlier console).
    InUse,
    /// The address is none of this machine's.
    NotHere,
    /// A port below 1024 without the rights for it.
    Denied,
    Other(String),
}

impl ListenReason {
    fn of(error: &std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::AddrInUse => Self::InUse,
            std::io::ErrorKind::AddrNotAvailable => Self::NotHere,
            std::io::ErrorKind::PermissionDenied => Self::Denied,
            _ => Self::Other(error.to_string()),
        }
    }
}

impl std::fmt::Display for ListenReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.localize(smtx_i18n::Lang::En))
    }
}

impl smtx_i18n::Localize for ListenReason {
    fn localize(&self, lang: smtx_i18n::Lang) -> String {
        use smtx_i18n::Lang::{En, ZhCn};
        match (self, lang) {
            (Self::InUse, En) => "another program already listens there (perhaps another \
                console); stop it, or choose another port with --listen"
                .into(),
            (Self::InUse, ZhCn) => {
                "该地址已被其他程序占用（可能是另一个控制台）；请先停止它，或用 --listen 换一个端口"
                    .into()
            }
            (Self::NotHere, En) => "this machine has no such address; choose one of its own \
                with --listen (0.0.0.0 for every address)"
                .into(),
            (Self::NotHere, ZhCn) => {
                "本机没有这个地址；请用 --listen 指定本机的地址（0.0.0.0 表示所有地址）".into()
            }
            (Self::Denied, En) => "ports below 1024 need administrator rights; choose a port \
                such as 8080 with --listen"
                .into(),
            (Self::Denied, ZhCn) => {
                "1024 以下的端口需要管理员权限；请用 --listen 选择如 8080 这样的端口".into()
            }
            (Self::Other(reason), En) => reason.clone(),
            (Self::Other(reason), ZhCn) => smtx_i18n::quoted(lang, reason),
        }
    }
}

/// Why `--iso-dir` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IsoDirReason {
    #[error("not a directory; --iso-dir names the folder that holds the ISOs")]
    NotADirectory,
    /// The operating system's words.
    #[error("{0}")]
    Io(String),
}

/// The data directory's folder of SSH host-key pins (one file per cluster).
pub const KNOWN_HOSTS_DIR: &str = "known_hosts";

/// The data directory's lock file: one console per directory.
pub const CONSOLE_LOCK: &str = "console.lock";

/// A run in progress: how to stop it, what it holds, where its events go.
struct ActiveRun {
    cancel: CancellationToken,
    /// Workbook addresses (hosts, VIP) the run works on: a second run
    /// touching one of them is refused.
    addresses: BTreeSet<String>,
    events: broadcast::Sender<StoredEvent>,
    /// The newest transfer, for `GET /api/runs/{id}`.
    transfer: Option<Value>,
    /// Its end is being recorded: it no longer counts against the limit.
    ended: bool,
}

pub(crate) struct Inner {
    /// Held while this console serves the directory (`console.lock`).
    _lock: smtx_engine::DirLock,
    data_dir: PathBuf,
    log: Arc<log::ConsoleLog>,
    store: store::Store,
    tokens: Tokens,
    https: bool,
    isos: isos::IsoShelf,
    active: Mutex<HashMap<String, ActiveRun>>,
    /// One permit per upload being read ([`MAX_UPLOADS`]).
    uploads: Arc<tokio::sync::Semaphore>,
    /// At most this many entries in `active`.
    max_active: std::sync::atomic::AtomicUsize,
    /// An upload's slowest pace, in bytes per second over the window.
    upload_min_bytes_per_sec: std::sync::atomic::AtomicU64,
    /// The window the upload's pace is averaged over, in milliseconds.
    upload_pace_window_ms: std::sync::atomic::AtomicU64,
    /// How long a JSON body may take after its headers, in milliseconds.
    json_body_deadline_ms: std::sync::atomic::AtomicU64,
    tasks: TaskTracker,
    closing: CancellationToken,
    /// The simulator's state at the end of the latest rehearsals (this
    /// process's; the oldest dropped past [`KEPT_REHEARSAL_STATES`]).
    rehearsal_states: Mutex<std::collections::VecDeque<(String, Value)>>,
    /// What the history keeps (`--keep-days`, `--keep-runs`).
    keep: Mutex<prune::KeepPolicy>,
}

/// The console's shared state: cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("data_dir", &self.0.data_dir)
            .field("tokens", &self.0.tokens)
            .finish_non_exhaustive()
    }
}

/// `duration` in whole milliseconds, as the state's atomics keep it.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A directory only the console's user can enter.
pub(crate) fn create_private_dir(path: &Path) -> Result<(), ConsoleError> {
    let io = |e: std::io::Error| ConsoleError::Io {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(path).map_err(io)?;
    smtx_platform::files::make_dir_private(path).map_err(io)
}

impl AppState {
    /// Opens the data directory (created, 0700): the store, `plans/`,
    /// `runs/`. Runs a dead process left running are marked `interrupted`.
    pub async fn open(config: ConsoleConfig) -> Result<Self, ConsoleError> {
        let ConsoleConfig {
            data_dir,
            tokens,
            https,
            iso_dir,
        } = config;
        tokio::task::spawn_blocking(move || Self::open_blocking(&data_dir, tokens, https, iso_dir))
            .await
            .map_err(|e| ConsoleError::Io {
                path: PathBuf::from("console.db"),
                reason: e.to_string(),
            })?
    }

    fn open_blocking(
        data_dir: &Path,
        tokens: Tokens,
        https: bool,
        iso_dir: Option<PathBuf>,
    ) -> Result<Self, ConsoleError> {
        let isos = isos::IsoShelf::new(data_dir, iso_dir.as_deref()).map_err(|reason| {
            ConsoleError::IsoDir {
                path: iso_dir.clone().unwrap_or_default(),
                reason,
            }
        })?;
        create_private_dir(data_dir)?;
        // Before the store marks anything interrupted: those runs may be
        // another console's, still running.
        let lock = smtx_engine::DirLock::acquire(&data_dir.join(CONSOLE_LOCK)).map_err(
            |error| match error {
                smtx_engine::DirLockError::Busy { holder, .. } => ConsoleError::DataDirBusy {
                    data_dir: data_dir.to_path_buf(),
                    holder,
                },
                smtx_engine::DirLockError::Io { path, reason } => ConsoleError::Io { path, reason },
            },
        )?;
        let log = log::ConsoleLog::open(data_dir)?;
        create_private_dir(&data_dir.join("plans"))?;
        create_private_dir(&data_dir.join("runs"))?;
        create_private_dir(isos.uploads_dir())?;
        create_private_dir(&data_dir.join(KNOWN_HOSTS_DIR))?;
        isos::remove_unfinished(isos.uploads_dir());
        let db = data_dir.join("console.db");
        // Made 0600 before SQLite opens it: its journal files take the
        // database's permissions.
        {
            let io = |e: std::io::Error| ConsoleError::Io {
                path: db.clone(),
                reason: e.to_string(),
            };
            smtx_platform::files::private_file(
                std::fs::OpenOptions::new().create(true).append(true),
            )
            .open(&db)
            .map_err(io)?;
            smtx_platform::files::make_file_private(&db).map_err(io)?;
        }
        let (store, interrupted) = store::Store::open(&db)?;
        for id in interrupted {
            tracing::warn!(action = "console_open", status = "interrupted", run = %id);
        }
        Ok(Self(Arc::new(Inner {
            _lock: lock,
            data_dir: data_dir.to_path_buf(),
            log,
            store,
            tokens,
            https,
            isos,
            active: Mutex::new(HashMap::new()),
            uploads: Arc::new(tokio::sync::Semaphore::new(MAX_UPLOADS)),
            max_active: std::sync::atomic::AtomicUsize::new(MAX_ACTIVE_RUNS),
            upload_min_bytes_per_sec: std::sync::atomic::AtomicU64::new(UPLOAD_MIN_BYTES_PER_SEC),
            upload_pace_window_ms: std::sync::atomic::AtomicU64::new(millis(UPLOAD_PACE_WINDOW)),
            json_body_deadline_ms: std::sync::atomic::AtomicU64::new(millis(JSON_BODY_DEADLINE)),
            tasks: TaskTracker::new(),
            closing: CancellationToken::new(),
            rehearsal_states: Mutex::new(std::collections::VecDeque::new()),
            keep: Mutex::new(prune::KeepPolicy::default()),
        })))
    }

    pub fn data_dir(&self) -> &Path {
        &self.0.data_dir
    }

    pub fn set_keep_policy(&self, policy: prune::KeepPolicy) {
        if let Ok(mut keep) = self.0.keep.lock() {
            *keep = policy;
        }
    }

    pub fn keep_policy(&self) -> prune::KeepPolicy {
        self.0.keep.lock().map(|keep| *keep).unwrap_or_default()
    }

    /// Prunes the history as of `now_ms` (a test passes a later time to
    /// age it) by the keep policy.
    pub async fn prune(&self, now_ms: i64) -> Result<prune::Pruned, store::StoreError> {
        prune::prune(self, self.keep_policy(), now_ms).await
    }

    /// `DATA_DIR/console.log`.
    pub fn log(&self) -> &Arc<log::ConsoleLog> {
        &self.0.log
    }

    /// How many runs may be active at once (default [`MAX_ACTIVE_RUNS`]).
    pub fn set_max_active_runs(&self, limit: usize) {
        self.0
            .max_active
            .store(limit, std::sync::atomic::Ordering::Relaxed);
    }

    /// The slowest an upload may be: `min_bytes_per_sec` averaged over
    /// `window` (default [`UPLOAD_MIN_BYTES_PER_SEC`] over
    /// [`UPLOAD_PACE_WINDOW`]). A rate of 0 drops no upload.
    pub fn set_upload_pace(&self, min_bytes_per_sec: u64, window: Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        self.0
            .upload_min_bytes_per_sec
            .store(min_bytes_per_sec, Relaxed);
        self.0.upload_pace_window_ms.store(millis(window), Relaxed);
    }

    /// The upload pace: bytes per second, and the window.
    pub(crate) fn upload_pace(&self) -> (u64, Duration) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.0.upload_min_bytes_per_sec.load(Relaxed),
            Duration::from_millis(self.0.upload_pace_window_ms.load(Relaxed)),
        )
    }

    /// How long a JSON body may take after its headers (default
    /// [`JSON_BODY_DEADLINE`]).
    pub fn set_json_body_deadline(&self, deadline: Duration) {
        self.0
            .json_body_deadline_ms
            .store(millis(deadline), std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn json_body_deadline(&self) -> Duration {
        Duration::from_millis(
            self.0
                .json_body_deadline_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    pub(crate) fn max_active_runs(&self) -> usize {
        self.0.max_active.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn store(&self) -> &store::Store {
        &self.0.store
    }

    pub(crate) fn tokens(&self) -> &Tokens {
        &self.0.tokens
    }

    /// The names of the tokens accepted (`--token-file`'s), for the front
    /// end to show at start; never the tokens.
    pub fn token_names(&self) -> Vec<String> {
        self.0.tokens.names()
    }

    /// Whether `/api` asks for a token.
    pub(crate) fn token_required(&self) -> bool {
        !self.0.tokens.is_empty()
    }

    /// Served over HTTPS.
    pub(crate) fn https(&self) -> bool {
        self.0.https
    }

    /// One of the [`MAX_UPLOADS`] places for an upload being read, or 429.
    pub(crate) fn upload_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        self.0.uploads.clone().try_acquire_owned().map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                "too_many_uploads",
                &messages::ConsoleMsg::TooManyUploads { limit: MAX_UPLOADS },
            )
        })
    }

    pub(crate) fn isos(&self) -> &isos::IsoShelf {
        &self.0.isos
    }

    /// Where the console pins clusters' SSH host keys, a file per cluster.
    pub(crate) fn known_hosts_dir(&self) -> PathBuf {
        self.0.data_dir.join(KNOWN_HOSTS_DIR)
    }

    pub(crate) fn plan_path(&self, id: &str) -> PathBuf {
        self.0.data_dir.join("plans").join(format!("{id}.xlsx"))
    }

    pub(crate) fn keep_rehearsal_state(&self, id: &str, state: Value) {
        if let Ok(mut states) = self.0.rehearsal_states.lock() {
            states.push_back((id.to_string(), state));
            while states.len() > KEPT_REHEARSAL_STATES {
                states.pop_front();
            }
        }
    }

    /// Run `id`'s row, or the API's 404 for it.
    pub(crate) async fn run_row(&self, id: &str) -> Result<store::RunRow, ApiError> {
        self.store()
            .run(id.to_string())
            .await?
            .ok_or_else(|| ApiError::run_not_found(id))
    }

    pub(crate) fn run_dir(&self, id: &str) -> PathBuf {
        self.0.data_dir.join("runs").join(id)
    }

    /// The simulator's `/_sim/state` when rehearsal `id` ended (in this
    /// process): what a test checks an abort left consistent.
    pub fn rehearsal_state(&self, id: &str) -> Option<Value> {
        self.0.rehearsal_states.lock().ok().and_then(|states| {
            states
                .iter()
                .find(|(run, _)| run == id)
                .map(|(_, state)| state.clone())
        })
    }

    /// Stops every run (their cancellation: each records `aborted`) and
    /// waits for them to finish writing.
    pub async fn abort_all(&self) {
        self.0.closing.cancel();
        if let Ok(active) = self.0.active.lock() {
            for run in active.values() {
                run.cancel.cancel();
            }
        }
        self.0.tasks.close();
        self.0.tasks.wait().await;
    }
}

/// Headers every answer carries. API answers (runs, plans, a run's files)
/// are not kept by a browser or a proxy (`no-store`: a shared machine's
/// cache would hand them to the next user); no answer tells another site
/// which page linked there (`Referrer-Policy`); the page runs only its own
/// script and cannot be framed by another site's page, which could trick
/// a click on *Start* (`Content-Security-Policy`, `X-Frame-Options`).
async fn answer_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let api = request.uri().path().starts_with("/api");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // An answer with a policy of its own (the delivery report: its inline
    // style, nothing else) keeps it; it is no looser than this one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            ),
        );
    }
    response
}

/// The console's routes over `state`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/plans", post(plans::upload).get(plans::list))
        .route("/plans/{id}", get(plans::get))
        // Their JSON bodies are bounded in size and time by `TimedBody`.
        .route("/runs", post(runs::create).get(runs::list))
        .route("/runs/{id}", get(runs::get))
        .route("/runs/{id}/events", get(events::stream))
        .route("/runs/{id}/abort", post(runs::abort))
        .route("/runs/{id}/resume", post(runs::resume))
        .route("/runs/{id}/files/{*name}", get(run_files::file))
        .route("/runs/{id}/report.html", get(delivery::page))
        .route("/fleets", post(runs::create_fleet))
        .route("/scenarios", get(scenarios::list))
        .route("/storage", get(prune::storage))
        .route(
            "/isos",
            post(isos::upload)
                .layer(DefaultBodyLimit::max(
                    usize::try_from(isos::MAX_ISO_BYTES).unwrap_or(usize::MAX) + 64 * 1024,
                ))
                .get(isos::list),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        // After the layer: the page asks here whether it needs a token.
        .route("/session", get(auth::session))
        .route_layer(axum::middleware::from_fn(log::keep_route))
        // The multipart body is bounded by the handler (413 with the JSON
        // error); this limit is the transport's backstop just above it.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024))
        .fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "not_found",
                &messages::ConsoleMsg::NoSuchRoute,
            )
        });
    Router::new()
        .nest("/api", api)
        .route("/", get(assets::index))
        .route("/app.js", get(assets::app_js))
        .route("/js/{name}", get(assets::module))
        .route("/app.css", get(assets::app_css))
        // Innermost of the routes' layers: only a request that reached one
        // (past the origin check) vouches for its connection.
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::vouch_without_token,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            origin::same_origin,
        ))
        .layer(axum::middleware::from_fn(answer_headers))
        .layer(axum::middleware::from_fn(error::json_errors))
        // Outermost: refusals are logged too.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log::access_log,
        ))
        .with_state(state)
}

/// A console listening: where, and how to stop it.
#[derive(Debug)]
pub struct RunningConsole {
    addr: SocketAddr,
    state: AppState,
    generated_token: Option<Secret>,
    tls: Option<tls::ConsoleTls>,
    stop: CancellationToken,
    server: tokio::task::JoinHandle<()>,
}

impl RunningConsole {
    /// The address actually bound (the real port for `:0`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A `tracing_subscriber` writer into `DATA_DIR/console.log`.
    pub fn log_writer(&self) -> log::LogWriter {
        self.state.log().writer()
    }

    /// The token made up because the console listens off loopback and none
    /// was given: the front end shows it once.
    pub fn generated_token(&self) -> Option<&Secret> {
        self.generated_token.as_ref()
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The SHA-256 fingerprint of the certificate served (`AB:CD:…`).
    pub fn tls_fingerprint(&self) -> Option<&str> {
        self.tls.as_ref().map(|tls| tls.fingerprint.as_str())
    }

    /// The certificate file served.
    pub fn tls_cert_file(&self) -> Option<&Path> {
        self.tls.as_ref().map(|tls| tls.cert_file.as_path())
    }

    /// Aborts the running runs, waits for them to record `aborted`, then
    /// stops listening (open event streams get a moment to end).
    pub async fn shutdown(self) {
        self.state.abort_all().await;
        self.stop.cancel();
        let mut server = self.server;
        if tokio::time::timeout(Duration::from_secs(3), &mut server)
            .await
            .is_err()
        {
            server.abort();
        }
    }
}

/// A token nobody can guess: 32 random hex digits.
pub fn generate_token() -> Secret {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().r#gen();
    Secret::new(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Opens the data directory, binds, and serves in a task.
pub async fn start(options: ServeOptions) -> Result<RunningConsole, ConsoleError> {
    let ServeOptions {
        listen,
        data_dir,
        token,
        named_tokens,
        iso_dir,
        tls,
        keep,
    } = options;
    let token = token.filter(|token| !token.is_empty());
    let generated_token =
        (token.is_none() && named_tokens.is_empty() && !listen.ip().is_loopback())
            .then(generate_token);
    let tokens = match token.or_else(|| generated_token.clone()) {
        Some(token) => named_tokens.and(Tokens::single(token)),
        None => named_tokens,
    };
    let state = AppState::open(ConsoleConfig {
        data_dir: data_dir.clone(),
        tokens,
        https: tls.is_some(),
        iso_dir,
    })
    .await?;
    // After the data directory is locked: two consoles never write the
    // self-signed certificate at once.
    let tls = match tls {
        None => None,
        Some(source) => Some(
            tokio::task::spawn_blocking(move || match source {
                TlsSource::Files { cert, key } => tls::from_files(&cert, &key),
                TlsSource::SelfSigned => tls::self_signed(&data_dir, listen),
            })
            .await
            .map_err(|e| ConsoleError::Io {
                path: state.data_dir().to_path_buf(),
                reason: e.to_string(),
            })??,
        ),
    };
    let listener =
        tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| ConsoleError::Listen {
                addr: listen,
                reason: ListenReason::of(&e),
            })?;
    let addr = listener.local_addr().map_err(|e| ConsoleError::Listen {
        addr: listen,
        reason: ListenReason::of(&e),
    })?;
    let stop = CancellationToken::new();
    state.set_keep_policy(keep);
    // At start, then daily; ends as the console closes (`abort_all`
    // cancels `closing` before it waits for its tasks).
    let pruning = state.clone();
    let closing = state.0.closing.clone();
    state.0.tasks.spawn(async move {
        loop {
            if let Err(error) = pruning.prune(store::now_ms()).await {
                tracing::warn!(action = "prune", status = "failed", error = %error);
            }
            tokio::select! {
                () = closing.cancelled() => break,
                () = tokio::time::sleep(prune::PRUNE_EVERY) => {}
            }
        }
    });
    let app = router(state.clone());
    let stopped = stop.clone();
    let acceptor = tls
        .as_ref()
        .map(|tls| tokio_rustls::TlsAcceptor::from(tls.config.clone()));
    let server = tokio::spawn(accept::accept_loop(listener, app, stopped, acceptor));
    tracing::info!(action = "console_start", status = "ok", addr = %addr, https = tls.is_some());
    Ok(RunningConsole {
        addr,
        state,
        generated_token,
        tls,
        stop,
        server,
    })
}
