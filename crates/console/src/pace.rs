//! The pace an upload must keep. An upload holds a slot (one of
//! [`crate::MAX_UPLOADS`]), a buffer and a task until it is whole, so a
//! client that trickles a byte now and then would hold them for as long as
//! it likes; an idle timer does not stop it, since every byte restarts the
//! timer. Instead an upload must average at least a rate over a window
//! (default [`crate::UPLOAD_MIN_BYTES_PER_SEC`] over
//! [`crate::UPLOAD_PACE_WINDOW`]): a window that ends with fewer bytes drops
//! it (408, the connection closed); one that ends with enough starts the
//! next. A handler awaits each multipart step through [`UploadPace::next`]
//! and counts what arrived with [`UploadPace::arrived`].

use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use tokio::time::Instant;

use crate::messages::ConsoleMsg;
use crate::{ApiError, AppState};

/// One upload's pace: how much has arrived in the current window.
#[derive(Debug)]
pub(crate) struct UploadPace {
    min_bytes_per_sec: u64,
    window: std::time::Duration,
    /// The current window ends here.
    window_end: Instant,
    /// Bytes counted since the current window started.
    in_window: u64,
    /// The route's size limit, as a 413 says it.
    limit_bytes: u64,
}

impl UploadPace {
    /// The console's pace rule (rate and window from the AppState, settable for tests).
    pub(crate) fn new(state: &AppState) -> Self {
        let (min_bytes_per_sec, window) = state.upload_pace();
        Self {
            min_bytes_per_sec,
            window,
            window_end: Instant::now() + window,
            in_window: 0,
            limit_bytes: crate::MAX_UPLOAD_BYTES as u64,
        }
    }

    /// The size limit of the route (default: a workbook's), for its 413.
    pub(crate) fn limit(mut self, bytes: u64) -> Self {
        self.limit_bytes = bytes;
        self
    }

    /// The bytes a window must bring; 0 when the rule is off.
    fn needed(&self) -> u64 {
        let window_ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX);
        self.min_bytes_per_sec.saturating_mul(window_ms) / 1000
    }

    /// Awaits a multipart step (`multipart.next_field()`, `field.chunk()`, `field.text()`), dropping the upload with 408 when a window ends below the rate; maps other multipart errors as plans.rs does today (413 for too large, else 400 bad_upload).
    pub(crate) async fn next<T>(
        &mut self,
        what: impl std::future::Future<Output = Result<T, MultipartError>>,
    ) -> Result<T, ApiError> {
        let needed = self.needed();
        if needed == 0 {
            return what.await.map_err(|e| multipart_error(e, self.limit_bytes));
        }
        let mut what = std::pin::pin!(what);
        loop {
            tokio::select! {
                // What arrived before the window's end counts in it.
                biased;
                result = what.as_mut() => return result.map_err(|e| multipart_error(e, self.limit_bytes)),
                () = tokio::time::sleep_until(self.window_end) => {
                    if self.in_window < needed {
                        return Err(self.too_slow());
                    }
                    // From now: a late timer does not shorten the next window.
                    self.window_end = Instant::now() + self.window;
                    self.in_window = 0;
                }
            }
        }
    }

    /// Counts bytes that arrived (call after each chunk).
    pub(crate) fn arrived(&mut self, bytes: usize) {
        self.in_window = self
            .in_window
            .saturating_add(u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    fn too_slow(&self) -> ApiError {
        tracing::warn!(
            action = "upload",
            status = "failed",
            error = "upload_too_slow",
            min_bytes_per_sec = self.min_bytes_per_sec,
            window_ms = u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX),
            received = self.in_window,
        );
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload_too_slow",
            &ConsoleMsg::UploadTooSlow {
                bytes_per_sec: self.min_bytes_per_sec,
                window_ms: u64::try_from(self.window.as_millis()).unwrap_or(u64::MAX),
            },
        )
    }
}

/// A multipart error as the API answers it: 413 past the size limit, else
/// 400 `bad_upload` with the parser's reason.
fn multipart_error(error: MultipartError, limit_bytes: u64) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::upload_too_large(limit_bytes);
    }
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "bad_upload",
        &ConsoleMsg::BadUpload {
            reason: error.body_text(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn rule(min_bytes_per_sec: u64, window: Duration) -> UploadPace {
        UploadPace {
            min_bytes_per_sec,
            window,
            window_end: Instant::now() + window,
            in_window: 0,
            limit_bytes: crate::MAX_UPLOAD_BYTES as u64,
        }
    }

    #[tokio::test]
    async fn a_window_without_enough_bytes_drops_the_upload() {
        let mut pace = rule(1000, Duration::from_millis(50));
        pace.arrived(10);
        let error = pace
            .next(std::future::pending::<Result<(), MultipartError>>())
            .await
            .expect_err("dropped");
        assert_eq!(error.status, StatusCode::REQUEST_TIMEOUT);
        assert_eq!(error.code, "upload_too_slow");
    }

    #[tokio::test]
    async fn a_window_with_enough_bytes_starts_the_next() {
        let started = Instant::now();
        let mut pace = rule(1000, Duration::from_millis(50));
        // 50 bytes are what 1000 B/s brings in 50 ms.
        pace.arrived(50);
        let error = pace
            .next(std::future::pending::<Result<(), MultipartError>>())
            .await
            .expect_err("the second window is empty");
        assert_eq!(error.code, "upload_too_slow");
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "two windows"
        );
    }

    #[tokio::test]
    async fn a_step_that_is_ready_is_answered() {
        let mut pace = rule(1000, Duration::from_millis(50));
        let value = pace
            .next(async { Ok::<_, MultipartError>(7) })
            .await
            .expect("ready");
        assert_eq!(value, 7);
        // A rate of 0 drops nothing.
        let mut off = rule(0, Duration::from_millis(1));
        let value = off
            .next(async { Ok::<_, MultipartError>(8) })
            .await
            .expect("no rule");
        assert_eq!(value, 8);
    }
}
