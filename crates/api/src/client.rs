//! The HTTP client itself: its configuration, the address override (curl's
//! `--resolve`: the socket goes to the override, the `Host` header and the
//! certificate check stay with the workbook address; one connection pool per
//! overridden address, see `tls.rs`), the session and its one re-login, and
//! cancellation. Every call goes through `send.rs`; what a call is (method,
//! path, body, dry-run answer) is `endpoint.rs`'s.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rand::Rng;
use reqwest::Url;
use rustls::pki_types::ServerName;
use serde_json::Value;
use smtx_secret::Secret;
use tokio_util::sync::CancellationToken;

use crate::dry_run::PlannedCall;
use crate::endpoint::Endpoint;
use crate::request::Auth;
use crate::tls::{self, Alpn, TlsConfig, TlsSetup};
use crate::{ApiError, ConfigReason};

/// The token every host accepts before deployment (captured, and shipped by
/// the original client as its default).
pub const DEPLOYMENT_TOKEN: &str = "e79b85fc18b7402fbcc0391fe8d7d24c";

/// `IP=HOST:PORT`: requests for `IP` go to `HOST:PORT` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressOverride {
    pub host: String,
    pub target: SocketAddr,
}

/// Why an address override (`IP=HOST:PORT`) does not parse; typed so that
/// a front end words it in its reader's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressOverrideError {
    #[error("--resolve {text:?}: expected IP=HOST:PORT")]
    NoEquals { text: String },
    #[error("--resolve {text:?}: {target:?} is not an address with a port (127.0.0.1:8443)")]
    BadTarget { text: String, target: String },
    #[error("--resolve {text:?}: empty address before '='")]
    EmptyHost { text: String },
}

impl std::str::FromStr for AddressOverride {
    type Err = AddressOverrideError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (host, target) =
            text.split_once('=')
                .ok_or_else(|| AddressOverrideError::NoEquals {
                    text: text.to_string(),
                })?;
        let target = target.trim();
        let target = target
            .strip_prefix("localhost:")
            .map(|port| format!("127.0.0.1:{port}"))
            .unwrap_or_else(|| target.to_string());
        let target: SocketAddr = target
            .parse()
            .map_err(|_| AddressOverrideError::BadTarget {
                text: text.to_string(),
                target: target.clone(),
            })?;
        let host = host.trim();
        if host.is_empty() {
            return Err(AddressOverrideError::EmptyHost {
                text: text.to_string(),
            });
        }
        Ok(Self {
            host: host.to_string(),
            target,
        })
    }
}

/// Capped exponential backoff with full jitter.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
        }
    }
}

impl RetryPolicy {
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max_delay);
        let millis = u64::try_from(exp.as_millis()).unwrap_or(u64::MAX).max(1);
        Duration::from_millis(rand::thread_rng().gen_range(millis / 2..=millis))
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// e.g. `https://10.0.20.11`.
    pub base_url: String,
    pub overrides: Vec<AddressOverride>,
    pub tls: TlsConfig,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Per-request timeout for upload chunks, which carry megabytes.
    pub upload_timeout: Duration,
    pub retry: RetryPolicy,
    /// Record calls instead of sending them.
    pub dry_run: bool,
}

impl ClientConfig {
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            overrides: Vec::new(),
            tls: TlsConfig::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            dry_run: false,
        }
    }
}

struct Shared {
    /// For addresses without an override.
    http: reqwest::Client,
    config: ClientConfig,
    /// Per overridden workbook host: where to connect, and a client whose
    /// certificate check expects that host.
    overrides: HashMap<String, OverrideRoute>,
    session: RwLock<Option<Secret>>,
    /// Counts the tokens set: a call whose token was rejected tells by it
    /// whether another call has renewed the session meanwhile.
    session_generation: AtomicU64,
    /// Held while logging in again, so that calls rejected together (lanes
    /// sharing the session) make one login between them.
    relogin: tokio::sync::Mutex<()>,
    /// Kept so that a 401 can log in again once.
    credentials: RwLock<Option<(String, Secret)>>,
    planned: Mutex<Vec<PlannedCall>>,
}

struct OverrideRoute {
    target: SocketAddr,
    http: reqwest::Client,
}

/// Where one call goes: the URL to hand to `http` (the override applied),
/// the `Host` header to send with it, and the client whose connections
/// check the certificate for the workbook address.
pub(crate) struct Routed {
    pub url: Url,
    pub host_header: Option<String>,
    pub http: reqwest::Client,
}

/// A client bound to one base URL; clones share the connection pool and the
/// session, and [`ApiClient::with_base`] moves to another address (the VIP).
#[derive(Clone)]
pub struct ApiClient {
    shared: Arc<Shared>,
    base: Url,
    /// Cancelled when the run is aborted: no new call starts, waits end.
    cancel: CancellationToken,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("base", &self.base.as_str())
            .field("dry_run", &self.shared.config.dry_run)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    pub fn new(config: ClientConfig) -> Result<Self, ApiError> {
        let base = parse_base(&config.base_url)?;
        let tls = TlsSetup::new(&config.tls)?;
        let builder = |tls_config: rustls::ClientConfig| {
            reqwest::Client::builder()
                .use_preconfigured_tls(tls_config)
                .connect_timeout(config.connect_timeout)
                .pool_idle_timeout(Duration::from_secs(30))
                .user_agent(concat!("smtx-deploy/", env!("CARGO_PKG_VERSION")))
        };
        let build = |builder: reqwest::ClientBuilder| {
            builder.build().map_err(|e| {
                ApiError::Config(ConfigReason::BuildClient {
                    cause: e.to_string(),
                })
            })
        };
        let http = build(builder(tls.client_config(None, Alpn::Any)?))?;
        let mut overrides = HashMap::new();
        for o in &config.overrides {
            let expected = tls::server_name(&o.host)?;
            let is_dns_name = matches!(expected, ServerName::DnsName(_));
            let mut route = builder(tls.client_config(Some(expected), Alpn::Http1)?).http1_only();
            if is_dns_name {
                // A name keeps its place in the URL (so SNI names it too) and
                // resolves to the override; an IP literal is never resolved,
                // so `target` rewrites the URL instead.
                route = route.resolve(&o.host, o.target);
            }
            overrides.insert(
                o.host.clone(),
                OverrideRoute {
                    target: o.target,
                    http: build(route)?,
                },
            );
        }
        Ok(Self {
            shared: Arc::new(Shared {
                http,
                config,
                overrides,
                session: RwLock::new(None),
                session_generation: AtomicU64::new(0),
                relogin: tokio::sync::Mutex::new(()),
                credentials: RwLock::new(None),
                planned: Mutex::new(Vec::new()),
            }),
            base,
            cancel: CancellationToken::new(),
        })
    }

    /// The same client, stopped by `cancel`: once it is cancelled no call
    /// starts, a call in flight is dropped after a short grace (an upload
    /// chunk at once), and job waits and retry pauses end early, all with
    /// [`ApiError::Cancelled`].
    pub fn with_cancellation(mut self, cancel: CancellationToken) -> Self {
        self.cancel = cancel;
        self
    }

    pub(crate) fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    /// Sleeps `delay`, or less if the run is aborted meanwhile.
    pub(crate) async fn pause(&self, delay: Duration, action: &str) -> Result<(), ApiError> {
        tokio::select! {
            () = tokio::time::sleep(delay) => Ok(()),
            () = self.cancel.cancelled() => Err(ApiError::Cancelled { action: action.to_string() }),
        }
    }

    /// The same client (pool, session) aimed at another address.
    pub fn with_base(&self, base_url: &str) -> Result<Self, ApiError> {
        Ok(Self {
            shared: Arc::clone(&self.shared),
            base: parse_base(base_url)?,
            cancel: self.cancel.clone(),
        })
    }

    /// `https://10.0.20.11` → the same scheme and port with another host.
    pub fn base_for_host(&self, host: &str) -> String {
        let mut url = self.base.clone();
        if url.set_host(Some(host)).is_err() {
            return self.base.to_string();
        }
        url.as_str().trim_end_matches('/').to_string()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub fn is_dry_run(&self) -> bool {
        self.shared.config.dry_run
    }

    /// Calls recorded in dry-run mode, in order, payloads redacted.
    pub fn planned_calls(&self) -> Vec<PlannedCall> {
        self.shared
            .planned
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default()
    }

    pub fn set_session_token(&self, token: Secret) {
        if let Ok(mut session) = self.shared.session.write() {
            *session = Some(token);
            self.shared
                .session_generation
                .fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Which token calls carry now (see [`ApiClient::relogin`]).
    pub(crate) fn session_generation(&self) -> u64 {
        self.shared.session_generation.load(Ordering::SeqCst)
    }

    /// Remember the login so a 401 later can renew the session once.
    pub(crate) fn remember_credentials(&self, user: &str, password: &Secret) {
        if let Ok(mut credentials) = self.shared.credentials.write() {
            *credentials = Some((user.to_string(), password.clone()));
        }
    }

    fn session_token(&self) -> Option<Secret> {
        self.shared.session.read().ok().and_then(|s| s.clone())
    }

    pub(crate) fn config(&self) -> &ClientConfig {
        &self.shared.config
    }

    /// Where a TCP connection to `host:port` really goes: the override's
    /// target for an overridden host (whatever the port: an override maps
    /// the API address), else `host:port` itself when `host` is an IP.
    pub fn connect_address(&self, host: &str, port: u16) -> Option<SocketAddr> {
        match self.shared.overrides.get(host) {
            Some(route) => Some(route.target),
            None => host
                .parse::<std::net::IpAddr>()
                .ok()
                .map(|ip| SocketAddr::new(ip, port)),
        }
    }

    /// The port of the base URL (443 for `https://` without one).
    pub fn base_port(&self) -> u16 {
        self.base.port_or_known_default().unwrap_or(443)
    }

    /// The URL of `path` as the user knows it: the base (a workbook
    /// address) joined with `path` and `query`, no override applied. What a
    /// dry run shows, and where [`ApiClient::target`] starts from.
    pub(crate) fn url(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<Url, ApiError> {
        let mut url = self.base.join(path).map_err(|e| {
            ApiError::Config(ConfigReason::BadPath {
                path: path.to_string(),
                cause: e.to_string(),
            })
        })?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    /// Full URL for `path` plus the `Host` header to send and the client to
    /// send with, the address override applied.
    pub(crate) fn target(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<Routed, ApiError> {
        let mut url = self.url(path, query)?;
        let direct = |url| Routed {
            url,
            host_header: None,
            http: self.shared.http.clone(),
        };
        let Some(host) = url.host_str().map(str::to_string) else {
            return Ok(direct(url));
        };
        let Some(route) = self.shared.overrides.get(&host) else {
            return Ok(direct(url));
        };
        // The server sees the workbook address it was asked for, as the
        // original client does: only the socket goes elsewhere.
        let host_header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        if host.parse::<std::net::IpAddr>().is_ok() {
            url.set_ip_host(route.target.ip()).map_err(|()| {
                ApiError::Config(ConfigReason::CannotOverride {
                    host: host.to_string(),
                })
            })?;
        }
        url.set_port(Some(route.target.port())).map_err(|()| {
            ApiError::Config(ConfigReason::CannotOverridePort {
                host: host.to_string(),
            })
        })?;
        Ok(Routed {
            url,
            host_header: Some(host_header),
            http: route.http.clone(),
        })
    }

    /// Apply the auth header for `auth`.
    pub(crate) fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        auth: Auth,
    ) -> reqwest::RequestBuilder {
        match auth {
            Auth::None => request,
            Auth::Deployment => request.header("x-smartx-token", DEPLOYMENT_TOKEN),
            Auth::Session => match self.session_token() {
                Some(token) => request.header("x-smartx-token", token.expose()),
                None => request,
            },
        }
    }

    pub(crate) fn can_relogin(&self) -> bool {
        self.shared
            .credentials
            .read()
            .map(|c| c.is_some())
            .unwrap_or(false)
    }

    /// Logs in again with the remembered credentials, for a session the
    /// server stopped accepting — unless another call did so since the
    /// rejected one read its token (`seen`, its generation): then its new
    /// token is used as it is.
    pub(crate) async fn relogin(&self, seen: u64) -> Result<(), ApiError> {
        let _one_at_a_time = self.shared.relogin.lock().await;
        if self.session_generation() != seen {
            return Ok(());
        }
        let credentials = self.shared.credentials.read().ok().and_then(|c| c.clone());
        let Some((user, password)) = credentials else {
            return Ok(());
        };
        let token = self.login_request(&user, &password).await?;
        self.set_session_token(token);
        Ok(())
    }

    /// Keeps a call a dry run would have made.
    pub(crate) fn record_planned(&self, planned: PlannedCall) {
        if let Ok(mut calls) = self.shared.planned.lock() {
            calls.push(planned);
        }
    }

    /// The session token of a login, not yet kept.
    pub(crate) async fn login_request(
        &self,
        user: &str,
        password: &Secret,
    ) -> Result<Secret, ApiError> {
        let answer = self.send(Endpoint::Login { user, password }).await?;
        let token = answer
            .get("token")
            .or_else(|| answer.get("data").and_then(|d| d.get("token")))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Decode {
                action: "POST /api/v3/sessions".to_string(),
                reason: crate::DecodeReason::NoToken,
            })?;
        Ok(Secret::new(token))
    }
}

fn parse_base(base_url: &str) -> Result<Url, ApiError> {
    let bad = |cause: Option<String>| {
        ApiError::Config(ConfigReason::BadBaseUrl {
            url: base_url.to_string(),
            cause,
        })
    };
    let url = Url::parse(base_url).map_err(|e| bad(Some(e.to_string())))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad(None));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_override_parses_like_curl() {
        let o: AddressOverride = "10.0.20.11=127.0.0.1:8443".parse().expect("valid");
        assert_eq!(o.host, "10.0.20.11");
        assert_eq!(o.target, "127.0.0.1:8443".parse().expect("addr"));
        let o: AddressOverride = "10.0.20.11=localhost:9".parse().expect("valid");
        assert_eq!(o.target.port(), 9);
        assert!("10.0.20.11".parse::<AddressOverride>().is_err());
        assert!("10.0.20.11=127.0.0.1".parse::<AddressOverride>().is_err());
    }

    #[test]
    fn override_rewrites_socket_and_keeps_host_header() {
        let mut config = ClientConfig::new("https://10.0.20.11");
        config.overrides = vec!["10.0.20.11=127.0.0.1:4443".parse().expect("valid")];
        let client = ApiClient::new(config).expect("client");
        let routed = client.target("/api/v2/tools/license", &[]).expect("target");
        assert_eq!(
            routed.url.as_str(),
            "https://127.0.0.1:4443/api/v2/tools/license"
        );
        assert_eq!(routed.host_header.as_deref(), Some("10.0.20.11"));
        let routed = client
            .with_base("https://10.0.20.99")
            .expect("base")
            .target("/x", &[("a", "b c".to_string())])
            .expect("target");
        assert_eq!(routed.url.as_str(), "https://10.0.20.99/x?a=b+c");
        assert_eq!(routed.host_header, None);
    }

    #[test]
    fn backoff_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 0..20 {
            assert!(policy.delay(attempt) <= policy.max_delay);
        }
    }
}
