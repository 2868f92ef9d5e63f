//! `smtx-testkit`: dev-only helpers the other crates' tests share — start
//! the simulator on loopback, build fixture workbooks on disk, poll with a
//! deadline instead of sleeping, find `../shared/reference`.
//!
//! Test helpers, so they panic with a clear message instead of returning
//! errors: a broken fixture is a broken test.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use smtx_sim::{ClusterSpec, Fault, RunningSim, Scenario, SimOptions};

/// Starts a simulator; panics if it cannot (a test cannot go on anyway).
pub async fn start_sim(spec: ClusterSpec, options: SimOptions) -> RunningSim {
    match smtx_sim::start(spec, options).await {
        Ok(sim) => sim,
        Err(error) => panic!("cannot start the simulator: {error}"),
    }
}

/// A plain-HTTP simulator of `hosts` hand-made hosts (see
/// [`ClusterSpec::example`]), fast jobs, no faults.
pub async fn start_http_sim(hosts: usize) -> RunningSim {
    start_sim(
        ClusterSpec::example(hosts),
        SimOptions {
            tls: false,
            ..SimOptions::default()
        },
    )
    .await
}

/// The simulator for the fixture workbook with `hosts` hosts, as
/// `smtx-deploy sim --plan` would start it.
pub async fn start_sim_for_fixture(hosts: usize, options: SimOptions) -> RunningSim {
    start_sim(fixture_spec(hosts, 7), options).await
}

/// The fixture workbook's plan with `hosts` hosts; panics on diagnostics.
pub fn fixture_plan(hosts: usize) -> smtx_plan::Plan {
    let bytes = match smtx_plan::fixture::WorkbookSpec::example(hosts).to_xlsx_bytes() {
        Ok(bytes) => bytes,
        Err(error) => panic!("cannot build the fixture workbook: {error}"),
    };
    let parsed = match smtx_plan::parse_workbook(&bytes, "fixture.xlsx") {
        Ok(parsed) => parsed,
        Err(error) => panic!("cannot read the fixture workbook: {error}"),
    };
    if parsed.has_errors() {
        panic!("the fixture workbook has errors: {:?}", parsed.diagnostics);
    }
    parsed.plan
}

/// The [`ClusterSpec`] of the fixture workbook with `hosts` hosts.
pub fn fixture_spec(hosts: usize, seed: u64) -> ClusterSpec {
    ClusterSpec::from_plan(&fixture_plan(hosts), seed)
}

/// Writes the fixture workbook with `hosts` hosts into a fresh temporary
/// directory; keep the `TempDir` alive as long as the file is needed.
pub fn fixture_workbook(hosts: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("cannot create a temporary directory: {error}"),
    };
    let path = dir.path().join("fixture.xlsx");
    if let Err(error) = smtx_plan::fixture::WorkbookSpec::example(hosts).write_to(&path) {
        panic!("cannot write the fixture workbook: {error}");
    }
    (dir, path)
}

/// Calls `check` until it returns `Some` or `deadline` has passed (then
/// `None`). Waits a little longer between attempts each time, starting at
/// 5 ms and never more than 100 ms.
pub async fn poll_until<T, F, Fut>(deadline: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        let now = Instant::now();
        if now >= end {
            return None;
        }
        tokio::time::sleep(pause.min(end - now)).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// `../shared/reference`, seen from the repository root.
pub fn shared_reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("..")
        .join("..")
        .join("shared")
        .join("reference")
}

/// A file under `../shared/reference/samples`, parsed as JSON.
pub fn reference_sample(name: &str) -> serde_json::Value {
    let path = shared_reference_dir().join("samples").join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => panic!("cannot read {}: {error}", path.display()),
    };
    match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(error) => panic!("{} is not JSON: {error}", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn poll_until_returns_the_first_some_or_none_at_the_deadline() {
        let mut attempts = 0;
        let found = poll_until(Duration::from_secs(5), || {
            attempts += 1;
            let done = attempts >= 3;
            async move { done.then_some(attempts) }
        })
        .await;
        assert_eq!(found, Some(3));
        let started = Instant::now();
        let never: Option<()> = poll_until(Duration::from_millis(50), || async { None }).await;
        assert_eq!(never, None);
        assert!(started.elapsed() >= Duration::from_millis(50));
    }

    #[test]
    fn the_reference_and_the_fixture_workbook_are_usable() {
        assert!(shared_reference_dir().join("smartx-api.md").is_file());
        let (_dir, path) = fixture_workbook(3);
        let bytes = std::fs::read(&path).expect("the fixture was just written");
        let parsed = smtx_plan::parse_workbook(&bytes, "fixture.xlsx").expect("readable");
        assert_eq!(parsed.plan.hosts.len(), 3);
        assert_eq!(fixture_spec(3, 1).hosts.len(), 3);
    }
}
