//! Placeholder until the pace rule lands from its branch: the old idle
//! timer behind the `UploadPace` API. Replaced on merge.

use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::messages::ConsoleMsg;
use crate::{ApiError, AppState};

pub(crate) struct UploadPace {
    idle: std::time::Duration,
}

impl UploadPace {
    pub(crate) fn new(state: &AppState) -> Self {
        Self {
            idle: state.upload_idle(),
        }
    }

    pub(crate) async fn next<T>(
        &mut self,
        what: impl std::future::Future<Output = Result<T, MultipartError>>,
    ) -> Result<T, ApiError> {
        match tokio::time::timeout(self.idle, what).await {
            Ok(result) => result.map_err(crate::plans::multipart_error),
            Err(_) => Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "upload_timeout",
                &ConsoleMsg::UploadStalled {
                    secs: self.idle.as_secs(),
                },
            )),
        }
    }

    pub(crate) fn arrived(&mut self, _bytes: usize) {}
}
