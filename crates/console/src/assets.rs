//! The page: `index.html`, the entry module `app.js` and the modules it
//! imports (`js/*.js`, plain ES modules), `app.css`, embedded in the binary
//! (no files to install, no Node toolchain, no build step), served without
//! a token. The page's `Content-Security-Policy` (`default-src 'self'`, set
//! for every answer) lets it load these and nothing else.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX_HTML: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// The modules under `/js/`, by file name: a name not here is a 404, so
/// the route serves nothing but these.
pub const MODULES: &[(&str, &str)] = &[
    ("api.js", include_str!("../assets/js/api.js")),
    (
        "diagnostics.js",
        include_str!("../assets/js/diagnostics.js"),
    ),
    ("dom.js", include_str!("../assets/js/dom.js")),
    ("i18n.js", include_str!("../assets/js/i18n.js")),
    ("plans.js", include_str!("../assets/js/plans.js")),
    ("router.js", include_str!("../assets/js/router.js")),
    ("run-list.js", include_str!("../assets/js/run-list.js")),
    ("run-page.js", include_str!("../assets/js/run-page.js")),
    ("strings.js", include_str!("../assets/js/strings.js")),
    (
        "target-form.js",
        include_str!("../assets/js/target-form.js"),
    ),
    ("upload.js", include_str!("../assets/js/upload.js")),
];

/// `no-cache`: a browser revalidates, so the page and its modules never
/// come from two versions of the console.
const REVALIDATE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-cache");

pub async fn index() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            REVALIDATE,
        ],
        INDEX_HTML,
    )
}

fn javascript(source: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            REVALIDATE,
        ],
        source,
    )
        .into_response()
}

pub async fn app_js() -> Response {
    javascript(APP_JS)
}

/// `/js/{name}`: one of [`MODULES`].
pub async fn module(Path(name): Path<String>) -> Response {
    match MODULES.iter().find(|(module, _)| *module == name) {
        Some((_, source)) => javascript(source),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            REVALIDATE,
        ],
        APP_CSS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module on disk that `MODULES` forgot would be a 404 only a
    /// browser notices; one over 900 lines is the old app.js again.
    #[test]
    fn every_module_is_served_and_small() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/js");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("assets/js")
            .map(|entry| {
                entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let served: Vec<String> = MODULES.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(on_disk, served);
        for (name, source) in MODULES.iter().chain([("app.js", APP_JS)].iter()) {
            assert!(source.lines().count() < 900, "{name} is over 900 lines");
        }
    }
}
