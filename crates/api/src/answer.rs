//! What an answer means: the reference's failure rule (1.4: status, `ec`,
//! `error`), the v2 envelope, the answer size cap, and the errors that name
//! the workbook address a call was meant for and where the address override
//! really sent it. Every request of `send.rs` ends here.

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use crate::{ApiError, CallUrl, DecodeReason, TlsReason, TransportReason};

/// v2 answers are wrapped in `{ec, error, data}`; v3 answers are bare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    V2,
    Bare,
}

/// No answer of this API is anywhere near this big (the largest, an upload
/// volume's chunk list, is a few kilobytes): a body that keeps growing is a
/// broken or hostile server, not data to buffer.
pub(crate) const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The URL as the user knows it: the workbook address, and where the
/// override really sent it.
pub(crate) fn shown_url(url: &Url, host_header: Option<&str>) -> CallUrl {
    let path = url.path().trim_end_matches('/');
    match (host_header, url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(real), Some(port)) => CallUrl {
            url: format!("{}://{host}{path}", url.scheme()),
            sent_to: Some(format!("{real}:{port}")),
        },
        _ => CallUrl {
            url: url.as_str().trim_end_matches('/').to_string(),
            sent_to: None,
        },
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
            reason: TlsReason::from_cause(reason),
        };
    }
    ApiError::Transport {
        action: action.to_string(),
        url: url_text,
        reason: TransportReason::from_cause(reason),
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
    let bytes = read_capped(action, response, url, host_header, timeout).await?;
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
            reason: DecodeReason::NotJson { status },
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

/// The body, refused as soon as it passes [`MAX_ANSWER_BYTES`] (announced or
/// counted as it streams), so a server that never stops talking costs at
/// most that much memory.
async fn read_capped(
    action: &str,
    mut response: reqwest::Response,
    url: &Url,
    host_header: Option<&str>,
    timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    let too_big = || ApiError::Decode {
        action: action.to_string(),
        reason: DecodeReason::TooLarge {
            mib: MAX_ANSWER_BYTES / (1024 * 1024),
        },
    };
    if response
        .content_length()
        .is_some_and(|length| length > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(piece) = response
        .chunk()
        .await
        .map_err(|e| transport_error(action, url, host_header, &e, timeout))?
    {
        if body.len() + piece.len() > MAX_ANSWER_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
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
    fn errors_show_the_workbook_address_and_where_it_went() {
        let url = Url::parse("https://127.0.0.1:4443/api/v2/tools/license").expect("url");
        assert_eq!(
            shown_url(&url, Some("10.0.20.11")).to_string(),
            "https://10.0.20.11/api/v2/tools/license (sent to 127.0.0.1:4443)"
        );
        assert_eq!(
            shown_url(&url, None).to_string(),
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
}
