//! `GET /api/runs/{id}/report.html?lang=zh-CN|en`: a run's delivery
//! record as a page, in the page's language, rendered from the run's
//! `delivery.json` (`smtx_engine::delivery`), with a policy of its own:
//! its inline style and nothing else, no script, no fetch.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::run_files::{real_dir, regular_file};
use crate::{ApiError, AppState};

/// `?lang=` of the delivery report.
#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    lang: Option<String>,
}

/// `GET /api/runs/{id}/report.html?lang=zh-CN|en`: the run's delivery
/// record as a page, in the page's language, rendered from its
/// `delivery.json`. A page of its own policy: its inline style and
/// nothing else, no script, no fetch.
pub async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    axum::extract::Query(query): axum::extract::Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let row = state.run_row(&id).await?;
    let not_found = || ApiError::file_not_found(smtx_engine::delivery::REPORT_HTML_FILE);
    let dir = state.run_dir(&row.id);
    if !real_dir(&dir) || !regular_file(&dir.join(smtx_engine::delivery::DELIVERY_FILE)) {
        return Err(not_found());
    }
    let lang = match query.lang.as_deref() {
        Some("en") => smtx_i18n::Lang::En,
        _ => smtx_i18n::Lang::ZhCn,
    };
    let record =
        tokio::task::spawn_blocking(move || smtx_engine::delivery::DeliveryRecord::load(&dir))
            .await
            .map_err(|error| ApiError::internal(error.to_string()))?
            .map_err(|_| not_found())?;
    let page = smtx_engine::delivery::render(&record, lang);
    let name = format!(
        "{}-{}-report.html",
        smtx_engine::cluster_file_name(&row.cluster),
        row.id
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
            (
                header::CONTENT_SECURITY_POLICY,
                smtx_engine::delivery::PAGE_POLICY.to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        Body::from(page),
    )
        .into_response())
}
