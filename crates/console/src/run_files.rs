//! A run's files: what `GET /api/runs/{id}` lists as `files` and
//! `GET /api/runs/{id}/files/{name}` serves. Only regular files the run
//! wrote in its own directory, by the names of that list; no link followed.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::runner;
use crate::store::RunRow;
use crate::{ApiError, AppState};

/// Whether `path` is itself a regular file (a link to one is not: the
/// console serves what runs wrote, never what a link planted there points
/// at).
pub(crate) fn regular_file(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_file())
}

/// Whether `path` is itself a directory (not a link to one).
pub(crate) fn real_dir(path: &std::path::Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

/// The files a run has, by the names `files/{name}` takes: regular files
/// of its own directory, no link followed.
pub(crate) fn run_files(state: &AppState, row: &RunRow) -> Vec<String> {
    let dir = state.run_dir(&row.id);
    let mut files = Vec::new();
    if !real_dir(&dir) {
        return files;
    }
    for name in [smtx_engine::REPORT_FILE, smtx_engine::CONTEXT_FILE] {
        if regular_file(&dir.join(name)) {
            files.push(name.to_string());
        }
    }
    let logs_dir = dir.join("logs");
    if let Ok(entries) =
        std::fs::read_dir(&logs_dir).map(|entries| entries.filter(|_| real_dir(&logs_dir)))
    {
        let mut logs: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|entry| regular_file(&entry.path()))
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| runner::log_stage(name).is_some())
            .map(|name| format!("logs/{name}"))
            .collect();
        logs.sort();
        files.extend(logs);
    }
    if let Some(workbook) = &row.workbook_file
        && regular_file(&dir.join(workbook))
    {
        files.push("workbook.xlsx".to_string());
    }
    files
}

/// `GET /api/runs/{id}/files/{name}`: one of the run's `files`, nothing else.
pub async fn file(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let row = state.run_row(&id).await?;
    let not_found = || ApiError::file_not_found(&name);
    // Only names of the list: nothing the request spells reaches a path
    // but a log file's stage, which is checked to be letters and `_`.
    if !run_files(&state, &row).contains(&name) {
        return Err(not_found());
    }
    let dir = state.run_dir(&id);
    let (path, content_type, download) = match name.as_str() {
        "report.json" | "context.json" => (dir.join(&name), "application/json", name.clone()),
        "workbook.xlsx" => {
            let Some(workbook) = &row.workbook_file else {
                return Err(not_found());
            };
            (
                dir.join(workbook),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                format!(
                    "{}-{}.xlsx",
                    smtx_engine::cluster_file_name(&row.cluster),
                    row.id
                ),
            )
        }
        other => match other
            .strip_prefix("logs/")
            .filter(|log| runner::log_stage(log).is_some())
        {
            Some(log) => (
                dir.join("logs").join(log),
                "application/x-ndjson",
                log.to_string(),
            ),
            None => return Err(not_found()),
        },
    };
    let bytes = tokio::fs::read(&path).await.map_err(|_| not_found())?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{download}\""),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}
