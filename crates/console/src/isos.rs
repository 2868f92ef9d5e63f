//! VMTools ISOs a console run may upload: the only ones are those the
//! console offers, never a path a browser names. Two shelves:
//!
//! - uploaded through the console (`POST /api/isos`): streamed to
//!   `DATA_DIR/isos/<sha256>/<file name>` and hashed on the way; the same
//!   bytes uploaded twice are kept once;
//! - the directory the operator named when starting the console
//!   (`serve --iso-dir DIR`): its `*.iso` files, listed and picked by name,
//!   resolved inside that directory (no `..`, no link that leaves it).
//!
//! A run picks one by the id `GET /api/isos` lists: `upload/<sha256>` or
//! `dir/<file name>`. Anything else is refused with the same answer,
//! whether or not such a file exists, so the answer tells nothing of the
//! server's files.

use std::path::{Component, Path, PathBuf};

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::Digest;
use tokio::io::AsyncWriteExt;

use crate::messages::ConsoleMsg;
use crate::pace::UploadPace;
use crate::{ApiError, AppState};

/// The largest ISO the console takes (VMTools ISOs are a few hundred MiB).
pub const MAX_ISO_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// `upload/` ids: the ISO's SHA-256.
const UPLOAD: &str = "upload/";
/// `dir/` ids: a file name in `--iso-dir`.
const DIR: &str = "dir/";

/// Where the console's ISOs are.
#[derive(Debug, Clone)]
pub(crate) struct IsoShelf {
    /// `DATA_DIR/isos`.
    uploads: PathBuf,
    /// `--iso-dir`, canonical.
    dir: Option<PathBuf>,
}

/// One ISO the console offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Iso {
    pub id: String,
    pub name: String,
    pub size: u64,
    /// Known for uploads (hashed on the way in); a directory's ISO is
    /// hashed by the run that uploads it (its context records it).
    pub sha256: Option<String>,
    pub path: PathBuf,
}

/// An ISO as `GET /api/isos` (and an upload's answer) shows it: never its
/// path on the console's machine.
#[derive(Debug, Serialize)]
pub(crate) struct IsoView<'a> {
    id: &'a str,
    name: &'a str,
    size: u64,
    sha256: Option<&'a str>,
    /// `upload` (sent through the console) or `iso_dir` (`--iso-dir`).
    source: &'static str,
}

impl Iso {
    fn view(&self) -> IsoView<'_> {
        IsoView {
            id: &self.id,
            name: &self.name,
            size: self.size,
            sha256: self.sha256.as_deref(),
            source: if self.id.starts_with(UPLOAD) {
                "upload"
            } else {
                "iso_dir"
            },
        }
    }
}

/// `GET /api/isos`.
#[derive(Debug, Serialize)]
pub(crate) struct IsoList<'a> {
    isos: Vec<IsoView<'a>>,
    /// Whether the console offers a directory's ISOs (`--iso-dir`).
    iso_dir: bool,
}

/// A name that is one plain file name: no separator, no `.`/`..`, not
/// hidden, no control character.
fn plain_file_name(name: &str) -> bool {
    let mut components = Path::new(name).components();
    matches!(components.next(), Some(Component::Normal(_)))
        && components.next().is_none()
        && !name.starts_with('.')
        && !name.contains(['/', '\\'])
        && !name.chars().any(char::is_control)
}

fn is_iso_name(name: &str) -> bool {
    name.len() > 4
        && name
            .get(name.len() - 4..)
            .is_some_and(|end| end.eq_ignore_ascii_case(".iso"))
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A regular file that is `path` itself, or a link to a regular file
/// inside `inside`.
fn regular_file_inside(path: &Path, inside: &Path) -> Option<(PathBuf, u64)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if meta.is_file() {
        return Some((path.to_path_buf(), meta.len()));
    }
    if !meta.file_type().is_symlink() {
        return None;
    }
    let target = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&target).ok()?;
    (target.starts_with(inside) && meta.is_file()).then_some((target, meta.len()))
}

impl IsoShelf {
    /// `iso_dir` must be a directory; it is made canonical here so that a
    /// link inside it is judged against where it really is.
    pub(crate) fn new(
        data_dir: &Path,
        iso_dir: Option<&Path>,
    ) -> Result<Self, crate::IsoDirReason> {
        let io = |e: std::io::Error| crate::IsoDirReason::Io(e.to_string());
        let dir = match iso_dir {
            Some(dir) => {
                let canonical = std::fs::canonicalize(dir).map_err(io)?;
                if !std::fs::metadata(&canonical).map_err(io)?.is_dir() {
                    return Err(crate::IsoDirReason::NotADirectory);
                }
                std::fs::read_dir(&canonical).map_err(io)?;
                Some(canonical)
            }
            None => None,
        };
        Ok(Self {
            uploads: data_dir.join("isos"),
            dir,
        })
    }

    pub(crate) fn uploads_dir(&self) -> &Path {
        &self.uploads
    }

    /// The ISO `id` names, if the console offers it.
    pub(crate) fn find(&self, id: &str) -> Option<Iso> {
        if let Some(sha) = id.strip_prefix(UPLOAD) {
            if !is_sha256(sha) {
                return None;
            }
            return self.uploaded(sha);
        }
        let name = id.strip_prefix(DIR)?;
        let dir = self.dir.as_ref()?;
        if !plain_file_name(name) || !is_iso_name(name) {
            return None;
        }
        let (path, size) = regular_file_inside(&dir.join(name), dir)?;
        Some(Iso {
            id: id.to_string(),
            name: name.to_string(),
            size,
            sha256: None,
            path,
        })
    }

    /// `DATA_DIR/isos/<sha>/<name>`: the one regular `.iso` file there.
    fn uploaded(&self, sha: &str) -> Option<Iso> {
        let folder = self.uploads.join(sha);
        if !std::fs::symlink_metadata(&folder).ok()?.is_dir() {
            return None;
        }
        std::fs::read_dir(&folder)
            .ok()?
            .filter_map(Result::ok)
            .find_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let meta = std::fs::symlink_metadata(entry.path()).ok()?;
                (meta.is_file() && is_iso_name(&name) && plain_file_name(&name)).then(|| Iso {
                    id: format!("{UPLOAD}{sha}"),
                    name,
                    size: meta.len(),
                    sha256: Some(sha.to_string()),
                    path: entry.path(),
                })
            })
    }

    /// Every ISO offered: uploads, then the directory's, each by name.
    pub(crate) fn list(&self) -> Vec<Iso> {
        let names = |dir: &Path| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .filter_map(|entry| entry.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default();
            names.sort();
            names
        };
        let mut uploads: Vec<Iso> = names(&self.uploads)
            .iter()
            .filter_map(|sha| self.find(&format!("{UPLOAD}{sha}")))
            .collect();
        uploads.sort_by(|a, b| a.name.cmp(&b.name));
        let from_dir = self
            .dir
            .as_deref()
            .map(|dir| {
                names(dir)
                    .iter()
                    .filter_map(|name| self.find(&format!("{DIR}{name}")))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        uploads.into_iter().chain(from_dir).collect()
    }
}

/// Removes the temporary files of uploads a dead console left behind.
pub(crate) fn remove_unfinished(uploads: &Path) {
    let Ok(entries) = std::fs::read_dir(uploads) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let unfinished = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(".upload-"));
        if unfinished && entry.file_type().is_ok_and(|kind| kind.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The refusal of an id the console does not offer (or one that is not
/// an id at all): the same whatever is on the disk.
pub(crate) fn not_offered(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "unknown_iso",
        &ConsoleMsg::UnknownIso {
            id: id.chars().take(120).collect(),
        },
    )
}

/// `GET /api/isos`.
pub async fn list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let shelf = state.isos().clone();
    let isos = tokio::task::spawn_blocking(move || shelf.list())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(IsoList {
        isos: isos.iter().map(Iso::view).collect(),
        iso_dir: state.isos().dir.is_some(),
    })
    .into_response())
}

/// An upload's display name as a file name the cluster will show: its
/// last component, `.iso`, nothing hidden or odd.
fn upload_name(raw: Option<&str>) -> Option<String> {
    let name = raw?.rsplit(['/', '\\']).next()?.trim();
    (plain_file_name(name) && is_iso_name(name) && name.chars().count() <= 200)
        .then(|| name.to_string())
}

/// `POST /api/isos`: multipart, field `iso` (a file whose name ends in
/// `.iso`). Streamed to a temporary file in `DATA_DIR/isos`, hashed on the
/// way, then kept under its SHA-256; 201 with the entry (200 when the same
/// bytes were already there).
pub async fn upload(
    State(state): State<AppState>,
    axum::Extension(caller): axum::Extension<crate::tokens::Caller>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let _slot = state.upload_slot()?;
    let shelf = state.isos().clone();
    let mut pace = UploadPace::new(&state).limit(MAX_ISO_BYTES);
    while let Some(mut field) = pace.next(multipart.next_field()).await? {
        if field.name() != Some("iso") {
            continue;
        }
        let Some(name) = upload_name(field.file_name()) else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "not_an_iso",
                &ConsoleMsg::NotAnIsoName,
            ));
        };
        let uploads = shelf.uploads_dir().to_path_buf();
        let temp = tokio::task::spawn_blocking(move || {
            tempfile::Builder::new()
                .prefix(".upload-")
                .tempfile_in(&uploads)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        let (file, temp_path) = temp.into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut hasher = sha2::Sha256::new();
        let mut size: u64 = 0;
        while let Some(chunk) = pace.next(field.chunk()).await? {
            pace.arrived(chunk.len());
            size += chunk.len() as u64;
            if size > MAX_ISO_BYTES {
                return Err(ApiError::upload_too_large(MAX_ISO_BYTES));
            }
            hasher.update(&chunk);
            file.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        if size == 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "empty_iso",
                &ConsoleMsg::EmptyIso,
            ));
        }
        file.sync_all().await.map_err(ApiError::internal)?;
        drop(file);
        let sha = hex::encode(hasher.finalize());
        let kept = tokio::task::spawn_blocking({
            let shelf = shelf.clone();
            let sha = sha.clone();
            move || -> std::io::Result<(Iso, bool)> {
                if let Some(existing) = shelf.uploaded(&sha) {
                    // `temp_path` removes the copy when dropped.
                    drop(temp_path);
                    return Ok((existing, false));
                }
                let folder = shelf.uploads_dir().join(&sha);
                crate::create_private_dir(&folder)
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                temp_path
                    .persist_noclobber(folder.join(&name))
                    .map_err(|error| error.error)?;
                shelf
                    .uploaded(&sha)
                    .map(|iso| (iso, true))
                    .ok_or_else(|| std::io::Error::other("the ISO vanished after its upload"))
            }
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        let (iso, new) = kept;
        tracing::info!(
            action = "iso_upload",
            status = "ok",
            error = "",
            by = caller.name.as_deref(),
            iso = %iso.id,
            size = iso.size,
            sha256 = %sha,
            new
        );
        let status = if new {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        return Ok((status, Json(iso.view())).into_response());
    }
    Err(ApiError::new(
        StatusCode::BAD_REQUEST,
        "no_iso",
        &ConsoleMsg::NoIsoField,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_iso_names_pass() {
        for good in ["SMTX_VMTOOLS-3.2.0.iso", "工具 盘.ISO"] {
            assert!(plain_file_name(good) && is_iso_name(good), "{good}");
        }
        for bad in [
            "../x.iso",
            "..",
            ".",
            ".hidden.iso",
            "a/b.iso",
            "a\\b.iso",
            "/etc/x.iso",
            "x.iso\n",
            "",
        ] {
            assert!(!(plain_file_name(bad) && is_iso_name(bad)), "{bad:?}");
        }
        assert!(!is_iso_name("shadow"));
        assert!(!is_iso_name(".iso"));
        assert_eq!(
            upload_name(Some("C:\\Users\\eng\\SMTX_VMTOOLS-1.iso")),
            Some("SMTX_VMTOOLS-1.iso".to_string())
        );
        assert_eq!(upload_name(Some("notes.txt")), None);
    }
}
