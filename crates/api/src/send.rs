//! The one request pipeline. Every call of the client — a JSON call, a
//! login, an upload chunk — is an [`Endpoint`] turned into a [`Request`] and
//! sent by [`ApiClient::send`]: recorded instead in a dry run; otherwise
//! routed (address override), authorized, sent with its body (none, JSON, or
//! a file chunk streamed as multipart), logged in again once on 401, repeated
//! with capped jittered backoff when its [`Retry`] allows, cut off on abort
//! (after a grace, or at once for a chunk), and its answer read by the rule
//! of `answer.rs` (size cap, envelope, failure rule).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use reqwest::{header, multipart};
use serde_json::{Value, json};

use crate::answer::{read_answer, transport_error};
use crate::client::Routed;
use crate::dry_run::{PlannedCall, redact};
use crate::endpoint::Endpoint;
use crate::request::{Auth, Body, Log, Request, Retry};
use crate::{ApiClient, ApiError, ClientConfig, ConfigReason};

/// After an abort, a call already on the wire gets this long to answer (so
/// that a change the server made is usually seen, not guessed) before it is
/// dropped. Short enough that an abort takes well under a second.
const ABORT_GRACE: Duration = Duration::from_millis(300);

impl Body<'_> {
    /// What a dry run shows of the body: secrets redacted, a file by its
    /// name and size (it is not read).
    fn planned(&self) -> Option<Value> {
        match self {
            Self::Empty => None,
            Self::Json(value) => Some(redact(value)),
            Self::File(part) => {
                Some(json!({"file": {"file_name": part.file_name, "bytes": part.len}}))
            }
        }
    }

    /// A file part carries megabytes: it gets the upload timeout.
    fn timeout(&self, config: &ClientConfig) -> Duration {
        match self {
            Self::File(_) => config.upload_timeout,
            Self::Empty | Self::Json(_) => config.request_timeout,
        }
    }

    /// How long a call in flight may go on after an abort. A chunk cut short
    /// is worth nothing to the server (it wants whole chunks), so it is
    /// dropped at once rather than waiting for megabytes to finish; the
    /// chunks already acknowledged stay.
    fn abort_grace(&self) -> Duration {
        match self {
            Self::File(_) => Duration::ZERO,
            Self::Empty | Self::Json(_) => ABORT_GRACE,
        }
    }

    fn file_bytes(&self) -> Option<u64> {
        match self {
            Self::File(part) => Some(part.len),
            Self::Empty | Self::Json(_) => None,
        }
    }
}

/// What [`ApiClient::send_counted`] answers: the outcome, and how many
/// times the request went out (0 in a dry run).
pub(crate) struct Sent {
    pub answer: Result<Value, ApiError>,
    pub tries: u32,
}

/// A tracing event at `$loud` for [`Log::Calls`], at debug for [`Log::Quiet`]
/// (a level must be known where the event is written).
macro_rules! event {
    ($log:expr, $loud:ident, $($field:tt)+) => {
        match $log {
            Log::Calls => tracing::$loud!($($field)+),
            Log::Quiet => tracing::debug!($($field)+),
        }
    };
}

impl ApiClient {
    /// Sends `endpoint`; answers `data` for v2 calls and the whole object
    /// for bare ones (in a dry run: the endpoint's synthetic answer).
    pub(crate) async fn send(&self, endpoint: Endpoint<'_>) -> Result<Value, ApiError> {
        self.send_counted(endpoint).await.answer
    }

    /// [`ApiClient::send`], also saying how many times the request went out.
    ///
    /// Boxed, so that its future has a type known to be `Send`: a re-login
    /// is a request of its own, sent from inside this one, and a future
    /// cannot contain itself.
    pub(crate) fn send_counted<'s>(
        &'s self,
        endpoint: Endpoint<'s>,
    ) -> Pin<Box<dyn Future<Output = Sent> + Send + 's>> {
        Box::pin(self.send_unboxed(endpoint))
    }

    async fn send_unboxed(&self, endpoint: Endpoint<'_>) -> Sent {
        let request = match endpoint.request() {
            Ok(request) => request,
            Err(error) => {
                return Sent {
                    answer: Err(error),
                    tries: 0,
                };
            }
        };
        if self.is_dry_run() {
            return Sent {
                answer: self.record(&endpoint, &request),
                tries: 0,
            };
        }
        let action = request.action();
        let (log, chunk, bytes) = (request.log, request.chunk, request.body.file_bytes());
        let started = Instant::now();
        let mut relogged = false;
        // Repeats after a failure; the repeat after a re-login is not one.
        let mut attempt = 0u32;
        let mut tries = 0u32;
        let answer = loop {
            tries += 1;
            let generation = self.session_generation();
            let error = match self.attempt(&request, &action).await {
                Ok(answer) => break Ok(answer),
                Err(error @ ApiError::Cancelled { .. }) => break Err(error),
                Err(error) => error,
            };
            if matches!(error, ApiError::Unauthorized { .. })
                && request.auth == Auth::Session
                && !relogged
                && self.can_relogin()
            {
                relogged = true;
                tracing::info!(action = %action, status = "retry", error = "session rejected, logging in again", chunk);
                if let Err(error) = self.relogin(generation).await {
                    break Err(error);
                }
                continue;
            }
            let Some(delay) = self.retry_delay(request.retry, &error, attempt) else {
                break Err(error);
            };
            attempt += 1;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            event!(log, warn, action = %action, status = "retry", error = %error, attempt, delay_ms = delay.as_millis() as u64, elapsed_ms, chunk);
            // Backoff: give a busy or restarting server room before the next try.
            if let Err(cancelled) = self.pause(delay, &action).await {
                break Err(cancelled);
            }
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &answer {
            Ok(_) => {
                event!(log, info, action = %action, status = "ok", error = "", attempt, elapsed_ms, chunk, bytes)
            }
            Err(error) => {
                event!(log, warn, action = %action, status = "failed", error = %error, attempt, elapsed_ms, chunk, bytes)
            }
        }
        Sent { answer, tries }
    }

    /// The pause before repeat number `attempt + 1` after `error`, if the
    /// policy allows one.
    fn retry_delay(&self, retry: Retry, error: &ApiError, attempt: u32) -> Option<Duration> {
        let policy = &self.config().retry;
        let again = match retry {
            Retry::Never => false,
            Retry::Transient => error.is_transient() && attempt + 1 < policy.attempts,
            Retry::AnyFailure { extra } => attempt < extra,
        };
        again.then(|| policy.delay(attempt))
    }

    /// One exchange, unless the run is aborted: then nothing is sent, or the
    /// call in flight gets its body's abort grace to finish.
    async fn attempt(&self, request: &Request<'_>, action: &str) -> Result<Value, ApiError> {
        let cancelled = || ApiError::Cancelled {
            action: action.to_string(),
        };
        if self.cancellation().is_cancelled() {
            return Err(cancelled());
        }
        let grace = request.body.abort_grace();
        tokio::select! {
            result = self.exchange(request, action) => result,
            () = async {
                self.cancellation().cancelled().await;
                if !grace.is_zero() {
                    tokio::time::sleep(grace).await;
                }
            } => Err(cancelled()),
        }
    }

    async fn exchange(&self, request: &Request<'_>, action: &str) -> Result<Value, ApiError> {
        let Routed {
            url,
            host_header,
            http,
        } = self.target(&request.path, &request.query)?;
        let timeout = request.body.timeout(self.config());
        let mut builder = http
            .request(request.method.clone(), url.clone())
            .timeout(timeout);
        if let Some(host) = &host_header {
            builder = builder.header(header::HOST, host.as_str());
        }
        builder = self.authorize(builder, request.auth);
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(value) => builder.json(value),
            Body::File(part) => {
                let stream = part.stream.ok_or_else(|| {
                    ApiError::Config(ConfigReason::NoBytes {
                        action: action.to_string(),
                    })
                })?;
                let file = multipart::Part::stream_with_length(stream(), part.len)
                    .file_name(part.file_name.to_string())
                    .mime_str("application/octet-stream")
                    .map_err(|e| {
                        ApiError::Config(ConfigReason::ContentType {
                            action: action.to_string(),
                            cause: e.to_string(),
                        })
                    })?;
                builder.multipart(multipart::Form::new().part("file", file))
            }
        };
        let response = builder
            .send()
            .await
            .map_err(|e| transport_error(action, &url, host_header.as_deref(), &e, timeout))?;
        read_answer(
            action,
            response,
            request.envelope,
            &url,
            host_header.as_deref(),
            timeout,
        )
        .await
    }

    /// Dry run: keep the call as the user would see it (the workbook
    /// address, the body redacted) and answer what the endpoint says a
    /// cluster would.
    fn record(&self, endpoint: &Endpoint<'_>, request: &Request<'_>) -> Result<Value, ApiError> {
        // An override that cannot apply fails a dry run as it would a run.
        self.target(&request.path, &request.query)?;
        let url = self.url(&request.path, &request.query)?;
        self.record_planned(PlannedCall {
            method: request.method.to_string(),
            url: url.to_string(),
            body: request.body.planned(),
        });
        Ok(endpoint.dry_run_answer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::FilePart;

    fn chunk(part: FilePart<'_>) -> Endpoint<'_> {
        Endpoint::UploadChunk {
            image_uuid: "i",
            zbs_volume_id: "z",
            chunk: 3,
            part,
            retries: 0,
        }
    }

    /// A dry run lists a chunk by the workbook URL, its file name and size;
    /// a part that is only described is refused, not sent empty.
    #[tokio::test]
    async fn a_planned_file_part_is_described_and_never_sent() -> Result<(), ApiError> {
        let part = FilePart {
            file_name: "x.iso",
            len: 42,
            stream: None,
        };
        let mut config = ClientConfig::new("https://10.0.20.11");
        config.dry_run = true;
        let dry = ApiClient::new(config)?;
        assert_eq!(dry.send(chunk(part)).await?, json!({}));
        let planned = dry.planned_calls();
        assert_eq!(
            planned.first().map(|call| call.to_string()).as_deref(),
            Some(
                "POST https://10.0.20.11/api/v2/svt_image/upload_template?zbs_volume_id=z&chunk_num=3&image_uuid=i {\"file\":{\"file_name\":\"x.iso\",\"bytes\":42}}"
            )
        );
        let client = ApiClient::new(ClientConfig::new("http://127.0.0.1:9"))?;
        let sent = client.send_counted(chunk(part)).await;
        assert!(
            matches!(
                &sent.answer,
                Err(ApiError::Config(ConfigReason::NoBytes { .. }))
            ),
            "{:?}",
            sent.answer
        );
        Ok(())
    }
}
