//! The HTTP client: the reference's envelope and failure rule, retries
//! where repeating is safe, one re-login on 401, the address override
//! (curl's `--resolve`: the socket goes to the override, the `Host` header
//! and the certificate check stay with the workbook address; one connection
//! pool per overridden address, see `tls.rs`), and the dry-run recorder.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use reqwest::{Method, Url, header};
use serde_json::Value;
use smtx_secret::Secret;

use rustls::pki_types::ServerName;

use crate::ApiError;
use crate::dry_run::{PlannedCall, redact, synthetic_answer};
use crate::tls::{self, Alpn, TlsSetup};

/// The token every host accepts before deployment (captured, and shipped by
/// the original client as its default).
pub const DEPLOYMENT_TOKEN: &str = "e79b85fc18b7402fbcc0391fe8d7d24c";

/// `IP=HOST:PORT`: requests for `IP` go to `HOST:PORT` instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressOverride {
    pub host: String,
    pub target: SocketAddr,
}

impl std::str::FromStr for AddressOverride {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (host, target) = text
            .split_once('=')
            .ok_or_else(|| format!("--resolve {text:?}: expected IP=HOST:PORT"))?;
        let target = target.trim();
        let target = target
            .strip_prefix("localhost:")
            .map(|port| format!("127.0.0.1:{port}"))
            .unwrap_or_else(|| target.to_string());
        let target: SocketAddr = target.parse().map_err(|_| {
            format!("--resolve {text:?}: {target:?} is not an address with a port (127.0.0.1:8443)")
        })?;
        let host = host.trim();
        if host.is_empty() {
            return Err(format!("--resolve {text:?}: empty address before '='"));
        }
        Ok(Self {
            host: host.to_string(),
            target,
        })
    }
}

/// How the server certificate is checked.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// The CA certificates (PEM) to trust, e.g. the simulator's or the
    /// cluster's: these alone, not the built-in web roots. `None`: the web
    /// roots.
    pub ca_cert_pem: Option<Vec<u8>>,
    /// Accept any certificate. Clusters ship self-signed ones; opt-in only,
    /// and never together with a CA.
    pub insecure: bool,
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

/// Which token a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    None,
    Deployment,
    Session,
}

/// v2 answers are wrapped in `{ec, error, data}`; v3 answers are bare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    V2,
    Bare,
}

/// Whether a call may be sent again after a transient failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    Safe,
    Never,
}

/// One call, described.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Value>,
    pub auth: Auth,
    pub envelope: Envelope,
    pub repeat: Repeat,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str) -> Self {
        Self::new(Method::GET, path, Repeat::Safe)
    }
    pub fn put(path: &'a str, body: Value) -> Self {
        let mut call = Self::new(Method::PUT, path, Repeat::Safe);
        call.body = Some(body);
        call
    }
    pub fn post(path: &'a str, body: Option<Value>) -> Self {
        let mut call = Self::new(Method::POST, path, Repeat::Never);
        call.body = body;
        call
    }
    pub fn delete(path: &'a str) -> Self {
        Self::new(Method::DELETE, path, Repeat::Safe)
    }
    fn new(method: Method, path: &'a str, repeat: Repeat) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            auth: Auth::Session,
            envelope: Envelope::V2,
            repeat,
        }
    }
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }
    pub fn bare(mut self) -> Self {
        self.envelope = Envelope::Bare;
        self
    }
    pub fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }
    pub fn repeat(mut self, repeat: Repeat) -> Self {
        self.repeat = repeat;
        self
    }
    pub fn action(&self) -> String {
        format!("{} {}", self.method, self.path)
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
            builder
                .build()
                .map_err(|e| ApiError::Config(format!("cannot build the HTTP client: {e}")))
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
                credentials: RwLock::new(None),
                planned: Mutex::new(Vec::new()),
            }),
            base,
        })
    }

    /// The same client (pool, session) aimed at another address.
    pub fn with_base(&self, base_url: &str) -> Result<Self, ApiError> {
        Ok(Self {
            shared: Arc::clone(&self.shared),
            base: parse_base(base_url)?,
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
        }
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

    /// Full URL for `path` plus the `Host` header to send and the client to
    /// send with, the address override applied.
    pub(crate) fn target(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<Routed, ApiError> {
        let mut url = self
            .base
            .join(path)
            .map_err(|e| ApiError::Config(format!("bad path {path}: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
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
            url.set_ip_host(route.target.ip())
                .map_err(|()| ApiError::Config(format!("cannot override {host}")))?;
        }
        url.set_port(Some(route.target.port()))
            .map_err(|()| ApiError::Config(format!("cannot override the port of {host}")))?;
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

    /// Send a call with the retry and re-login rules; answers `data` for v2
    /// calls and the whole object for bare ones.
    pub(crate) async fn send(&self, call: Call<'_>) -> Result<Value, ApiError> {
        let action = call.action();
        if self.is_dry_run() {
            return self.record(&call);
        }
        let started = Instant::now();
        let mut relogged = false;
        let mut attempt = 0u32;
        let result = loop {
            let outcome = self.send_once(&call, &action).await;
            match outcome {
                Err(ApiError::Unauthorized { .. })
                    if call.auth == Auth::Session && !relogged && self.can_relogin() =>
                {
                    relogged = true;
                    tracing::info!(action = %action, status = "retry", error = "session rejected, logging in again");
                    if let Err(error) = self.relogin().await {
                        break Err(error);
                    }
                }
                Err(error)
                    if call.repeat == Repeat::Safe
                        && error.is_transient()
                        && attempt + 1 < self.shared.config.retry.attempts =>
                {
                    let delay = self.shared.config.retry.delay(attempt);
                    attempt += 1;
                    tracing::warn!(action = %action, status = "retry", error = %error, attempt, delay_ms = delay.as_millis() as u64);
                    // Backoff: give a busy or restarting server room before the next try.
                    tokio::time::sleep(delay).await;
                }
                other => break other,
            }
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::info!(action = %action, status = "ok", error = "", elapsed_ms),
            Err(error) => {
                tracing::warn!(action = %action, status = "failed", error = %error, elapsed_ms)
            }
        }
        result
    }

    pub(crate) fn can_relogin(&self) -> bool {
        self.shared
            .credentials
            .read()
            .map(|c| c.is_some())
            .unwrap_or(false)
    }

    pub(crate) async fn relogin(&self) -> Result<(), ApiError> {
        let credentials = self.shared.credentials.read().ok().and_then(|c| c.clone());
        let Some((user, password)) = credentials else {
            return Ok(());
        };
        let token = self.login_request(&user, &password).await?;
        self.set_session_token(token);
        Ok(())
    }

    async fn send_once(&self, call: &Call<'_>, action: &str) -> Result<Value, ApiError> {
        let Routed {
            url,
            host_header,
            http,
        } = self.target(call.path, &call.query)?;
        let mut request = http
            .request(call.method.clone(), url.clone())
            .timeout(self.shared.config.request_timeout);
        if let Some(host) = &host_header {
            request = request.header(header::HOST, host.as_str());
        }
        request = self.authorize(request, call.auth);
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        let timeout = self.shared.config.request_timeout;
        let response = request
            .send()
            .await
            .map_err(|e| transport_error(action, &url, host_header.as_deref(), &e, timeout))?;
        read_answer(
            action,
            response,
            call.envelope,
            &url,
            host_header.as_deref(),
            timeout,
        )
        .await
    }

    fn record(&self, call: &Call<'_>) -> Result<Value, ApiError> {
        let url = match self.target(call.path, &call.query) {
            Ok(_) => {
                // Show the address the user knows, not the override.
                let mut url = self
                    .base
                    .join(call.path)
                    .map_err(|e| ApiError::Config(format!("bad path {}: {e}", call.path)))?;
                if !call.query.is_empty() {
                    url.query_pairs_mut()
                        .extend_pairs(call.query.iter().map(|(k, v)| (*k, v.as_str())));
                }
                url.to_string()
            }
            Err(error) => return Err(error),
        };
        let planned = PlannedCall {
            method: call.method.to_string(),
            url,
            body: call.body.as_ref().map(redact),
        };
        if let Ok(mut calls) = self.shared.planned.lock() {
            calls.push(planned);
        }
        Ok(synthetic_answer(
            &call.method,
            call.path,
            call.body.as_ref(),
        ))
    }

    /// Record a call that bypasses `send` (uploads) in dry-run mode.
    pub(crate) fn record_planned(&self, planned: PlannedCall) {
        if let Ok(mut calls) = self.shared.planned.lock() {
            calls.push(planned);
        }
    }

    pub(crate) async fn login_request(
        &self,
        user: &str,
        password: &Secret,
    ) -> Result<Secret, ApiError> {
        let body = serde_json::json!({
            "username": user,
            "password": password.expose(),
            "encrypted": false,
        });
        let call = Call::post("/api/v3/sessions", Some(body))
            .auth(Auth::None)
            .bare()
            // A login creates nothing: repeating it is harmless.
            .repeat(Repeat::Safe);
        let action = call.action();
        let answer = if self.is_dry_run() {
            self.record(&call)?
        } else {
            self.send_once(&call, &action).await?
        };
        let token = answer
            .get("token")
            .or_else(|| answer.get("data").and_then(|d| d.get("token")))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Decode {
                action,
                reason: "no token in the session answer".to_string(),
            })?;
        Ok(Secret::new(token))
    }
}

fn parse_base(base_url: &str) -> Result<Url, ApiError> {
    let url = Url::parse(base_url)
        .map_err(|e| ApiError::Config(format!("API base URL {base_url:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ApiError::Config(format!(
            "API base URL {base_url:?}: expected http(s)://HOST[:PORT]"
        )));
    }
    Ok(url)
}

/// The URL as the user knows it: the workbook address, and where the
/// override really sent it.
pub(crate) fn shown_url(url: &Url, host_header: Option<&str>) -> String {
    let path = url.path().trim_end_matches('/');
    match (host_header, url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(real), Some(port)) => {
            format!("{}://{host}{path} (sent to {real}:{port})", url.scheme())
        }
        _ => url.as_str().trim_end_matches('/').to_string(),
    }
}

pub(crate) fn transport_error(
    action: &str,
    url: &Url,
    host_header: Option<&str>,
    error: &reqwest::Error,
    timeout: Duration,
) -> ApiError {
    let url_text = shown_url(url, host_header);
    if error.is_timeout() {
        return ApiError::Timeout {
            action: action.to_string(),
            url: url_text,
            seconds: timeout.as_secs_f64(),
        };
    }
    let chain = error_chain(error);
    let lower = chain.to_ascii_lowercase();
    let reason = root_cause(error);
    if lower.contains("certificate") || lower.contains("unknownissuer") || lower.contains("tls") {
        return ApiError::Tls {
            action: action.to_string(),
            url: url_text,
            reason,
        };
    }
    ApiError::Transport {
        action: action.to_string(),
        url: url_text,
        reason,
    }
}

/// reqwest hides the cause (refused, reset, certificate) in its source chain.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = inner.source();
    }
    parts.join(": ")
}

/// The innermost cause (`Connection refused (os error 111)`, `invalid peer
/// certificate: UnknownIssuer`): what a person needs, without the wrappers.
fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    cause
}

/// Apply the reference's failure rule (1.4) to an answer.
pub(crate) async fn read_answer(
    action: &str,
    response: reqwest::Response,
    envelope: Envelope,
    url: &Url,
    host_header: Option<&str>,
    timeout: Duration,
) -> Result<Value, ApiError> {
    let status = response.status().as_u16();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| transport_error(action, url, host_header, &e, timeout))?;
    let parsed: Option<Value> = if bytes.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        serde_json::from_slice(&bytes).ok()
    };
    let (ec, msg) = parsed.as_ref().map(envelope_error).unwrap_or((None, None));
    if status == 401 || status == 403 {
        return Err(ApiError::Unauthorized {
            action: action.to_string(),
            status,
        });
    }
    if status >= 400 || ec.is_some() || msg.is_some() {
        return Err(ApiError::Api {
            action: action.to_string(),
            status,
            ec,
            msg,
        });
    }
    let Some(value) = parsed else {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            // DELETE and upload answers may be empty (2.15, 2.16).
            return Ok(Value::Object(Default::default()));
        }
        return Err(ApiError::Decode {
            action: action.to_string(),
            reason: format!("HTTP {status} with a body that is not JSON"),
        });
    };
    match envelope {
        Envelope::Bare => Ok(value),
        Envelope::V2 => Ok(value
            .get("data")
            .cloned()
            .unwrap_or(Value::Object(Default::default()))),
    }
}

/// `ec` other than EOK, or an `error` that is neither null nor `{}`.
fn envelope_error(value: &Value) -> (Option<String>, Option<String>) {
    let ec = value
        .get("ec")
        .and_then(Value::as_str)
        .filter(|ec| *ec != "EOK")
        .map(str::to_string);
    let msg = match value.get("error") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) if map.is_empty() => None,
        Some(Value::Object(map)) => {
            let msg = map.get("msg").and_then(Value::as_str).unwrap_or("");
            let detail = map.get("detail").and_then(Value::as_str).unwrap_or("");
            Some(match (msg.is_empty(), detail.is_empty()) {
                (false, false) => format!("{msg} ({detail})"),
                (false, true) => msg.to_string(),
                (true, false) => detail.to_string(),
                (true, true) => "error".to_string(),
            })
        }
        Some(Value::String(text)) if text.is_empty() => None,
        Some(other) => Some(other.to_string()),
    };
    (ec, msg)
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
    fn errors_show_the_workbook_address_and_where_it_went() {
        let url = Url::parse("https://127.0.0.1:4443/api/v2/tools/license").expect("url");
        assert_eq!(
            shown_url(&url, Some("10.0.20.11")),
            "https://10.0.20.11/api/v2/tools/license (sent to 127.0.0.1:4443)"
        );
        assert_eq!(
            shown_url(&url, None),
            "https://127.0.0.1:4443/api/v2/tools/license"
        );
    }

    #[test]
    fn envelope_rule() {
        let ok = serde_json::json!({"ec": "EOK", "error": {}, "data": {}});
        assert_eq!(envelope_error(&ok), (None, None));
        let ok_null = serde_json::json!({"ec": "EOK", "error": null, "data": {}});
        assert_eq!(envelope_error(&ok_null), (None, None));
        let bad = serde_json::json!({"ec": "REST_UNKNOWN_ERROR", "error": {"msg": "boom", "detail": ""}, "data": {}});
        assert_eq!(
            envelope_error(&bad),
            (Some("REST_UNKNOWN_ERROR".into()), Some("boom".into()))
        );
    }

    #[test]
    fn backoff_is_capped() {
        let policy = RetryPolicy::default();
        for attempt in 0..20 {
            assert!(policy.delay(attempt) <= policy.max_delay);
        }
    }
}
