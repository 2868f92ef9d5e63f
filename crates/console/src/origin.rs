//! Who may drive the console from a browser. A token-less console (the
//! default, on loopback) trusts whoever reaches the port, and a browser
//! reaches it for any page it shows: a page on another origin can post a
//! form or a `text/plain` body (no CORS preflight) to start a run, and a
//! rebound DNS name (`evil.example` → 127.0.0.1) makes the page same-origin
//! with the console and lets it read the answers too. So:
//! - without a token, only requests naming the console by a loopback name
//!   (`Host: 127.0.0.1:PORT`, `localhost`, `[::1]`) are served: a rebound
//!   name is refused;
//! - a request that changes something (not GET/HEAD/OPTIONS) carrying an
//!   `Origin` is served only when that origin is the console's own
//!   (`http://` + the `Host` it was sent to, `https://` on a console that
//!   serves HTTPS). Scripts (curl) send no
//!   `Origin` and are not affected.
//!
//! A console with a token needs neither: every call but `/api/session`
//! carries `Authorization`, which a page of another origin cannot send
//! without a CORS preflight the console never grants (and `?token=` is taken
//! for GET only). Checking the names there would refuse a site's reverse
//! proxy, which often rewrites `Host`.

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::messages::ConsoleMsg;
use crate::{ApiError, AppState};

/// The host part of `host[:port]` (an IPv6 literal keeps its brackets).
fn host_name(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority
            .find(']')
            .map_or(authority, |end| &authority[..=end]);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// A name that can only mean this machine: no DNS answer can move it.
fn loopback_name(authority: &str) -> bool {
    let host = host_name(authority);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    literal
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Why `request` is refused, if it is.
fn refused(state: &AppState, request: &Request) -> bool {
    if state.token_required() {
        return false;
    }
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()));
    if let Some(host) = host
        && !loopback_name(host)
    {
        return true;
    }
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return false;
    };
    // The scheme the console serves: `http://host` is another origin than
    // `https://host`, and a page of the one may not drive the other.
    let scheme = if state.https() { "https://" } else { "http://" };
    let own = origin
        .to_str()
        .ok()
        .and_then(|origin| strip_prefix_ignore_case(origin, scheme));
    // `Origin: null` (a sandboxed frame, a file) is nobody's own.
    match (own, host) {
        (Some(origin), Some(host)) => !origin.eq_ignore_ascii_case(host),
        _ => true,
    }
}

pub async fn same_origin(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if refused(&state, &request) {
        tracing::warn!(
            action = "console_origin",
            status = "refused",
            error = "foreign_origin",
            method = %request.method()
        );
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "foreign_origin",
            &ConsoleMsg::ForeignOrigin,
        )
        .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_count() {
        for name in [
            "127.0.0.1:8080",
            "127.0.0.1",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "127.1.2.3:1",
        ] {
            assert!(loopback_name(name), "{name}");
        }
        for name in [
            "evil.example:8080",
            "localhost.evil.example",
            "10.0.0.1:8080",
            "[::2]:80",
            "127.0.0.1.evil.example",
        ] {
            assert!(!loopback_name(name), "{name}");
        }
    }
}
