//! The bearer token: when the console has one, every `/api` call but
//! `/api/session` needs `Authorization: Bearer TOKEN`; GET requests (the
//! event stream, which `EventSource` opens without headers, and file
//! downloads through a link) may carry it as `?token=` instead. The token is
//! compared in constant time and never logged or echoed. A request that
//! passes vouches for its connection (`connections::trust`): a token
//! holder's connection is not dropped to make room for newer ones.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::messages::ConsoleMsg;
use crate::{ApiError, AppState};

/// Equal without telling how much of it was.
fn same(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        differ |= usize::from(byte ^ given.get(index).copied().unwrap_or(!byte));
    }
    differ == 0
}

fn query_token(request: &Request) -> Option<String> {
    request.uri().query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == "token").then(|| percent_decode(value))
    })
}

/// `%XX` and `+` as a query string spells them (a generated token needs
/// neither; a chosen one may).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).ok();
                match hex.and_then(|hex| u8::from_str_radix(hex, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        index += 3;
                    }
                    None => {
                        out.push(b'%');
                        index += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `request` carries the console's token (true when it has none).
fn authorized(state: &AppState, request: &Request) -> bool {
    let Some(expected) = state.token() else {
        return true;
    };
    let expected = expected.expose().as_bytes();
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if let Some(given) = header {
        return same(given.trim().as_bytes(), expected);
    }
    if request.method() == Method::GET
        && let Some(given) = query_token(request)
    {
        return same(given.as_bytes(), expected);
    }
    false
}

pub async fn require_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if authorized(&state, &request) {
        // A token holder's connection is not dropped for newer ones.
        crate::connections::trust(&request);
        next.run(request).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            &ConsoleMsg::Unauthorized,
        )
        .into_response()
    }
}

/// `{"auth_required", "ok"}`: whether the page must ask for the token, and
/// whether the one it sent is right.
pub async fn session(State(state): State<AppState>, request: Request) -> Json<serde_json::Value> {
    let ok = authorized(&state, &request);
    if ok {
        crate::connections::trust(&request);
    }
    Json(json!({
        "auth_required": state.token().is_some(),
        "ok": ok,
    }))
}

/// On a console without a token, any request that reaches a route (the
/// page's too) vouches for its connection: there is no token to pass.
pub async fn vouch_without_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.token().is_none() {
        crate::connections::trust(&request);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abd", b"abc"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"abcd", b"abc"));
        assert!(!same(b"", b"abc"));
    }

    #[test]
    fn query_tokens_are_decoded() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
