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

/// The workbook of cluster `index` of a generated fleet: the fixture with
/// `hosts` hosts and `networks` business networks (at most 11, the
/// template's rows), its own name (`CN-Fleet-007`) and addresses
/// (management and VIP 10.X.Y.0/24, storage 172.X.Y.0/24, BMC 10.X+50.Y.0/24
/// with X = 100 + index / 200, Y = index % 200), so no two clusters of a
/// fleet of up to 31 000 share an address or an SSH key pin.
pub fn fleet_workbook_spec(
    index: usize,
    hosts: usize,
    networks: usize,
) -> smtx_plan::fixture::WorkbookSpec {
    let x = 100 + index / 200;
    let y = index % 200;
    let mut spec = smtx_plan::fixture::WorkbookSpec::example(hosts);
    spec.cluster_name = format!("CN-Fleet-{index:03}");
    spec.vip = format!("10.{x}.{y}.10");
    for (n, host) in (1..).zip(spec.hosts.iter_mut()) {
        host.hostname = format!("fleet{index:03}-node-{n:02}");
        host.management_ip = format!("10.{x}.{y}.{}", 10 + n);
        host.storage_ip = format!("172.{}.{y}.{}", 16 + x - 100, 10 + n);
        host.bmc_ip = format!("10.{}.{y}.{}", x + 50, 10 + n);
    }
    spec.business_networks = (0..networks.min(11))
        .map(|i| smtx_plan::fixture::NetworkSpec {
            name: format!("VLAN-{}", 1120 + i),
            vlan_id: smtx_plan::fixture::FixtureCell::Number((1120 + i) as f64),
            subnet: format!("10.1.{}.0/24", 20 + i),
            gateway: format!("10.1.{}.1", 20 + i),
        })
        .collect();
    spec
}

/// Writes `count` fleet workbooks (see [`fleet_workbook_spec`]) into `dir`
/// as `site-000.xlsx`, `site-001.xlsx`, …; returns their paths.
pub fn write_fleet_workbooks(
    dir: &std::path::Path,
    count: usize,
    hosts: usize,
    networks: usize,
) -> Vec<PathBuf> {
    if let Err(error) = std::fs::create_dir_all(dir) {
        panic!("cannot create {}: {error}", dir.display());
    }
    (0..count)
        .map(|index| {
            let path = dir.join(format!("site-{index:03}.xlsx"));
            if let Err(error) = fleet_workbook_spec(index, hosts, networks).write_to(&path) {
                panic!("cannot write {}: {error}", path.display());
            }
            path
        })
        .collect()
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

/// [`poll_until`] for code without a runtime (tests that drive child
/// processes): `check` again, with short growing pauses, until it answers
/// or `deadline` passes.
pub fn poll_until_blocking<T>(
    deadline: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> Option<T> {
    let end = Instant::now() + deadline;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(value) = check() {
            return Some(value);
        }
        let now = Instant::now();
        if now >= end {
            return None;
        }
        std::thread::sleep(pause.min(end - now));
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
    fn fleet_workbooks_are_valid_and_apart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_fleet_workbooks(dir.path(), 3, 4, 11);
        let mut seen = std::collections::HashSet::new();
        for path in &paths {
            let bytes = std::fs::read(path).expect("written");
            let parsed = smtx_plan::parse_workbook(&bytes, "fleet.xlsx").expect("readable");
            assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
            assert_eq!(parsed.plan.hosts.len(), 4);
            assert_eq!(parsed.plan.business_networks.len(), 11);
            assert!(seen.insert(parsed.plan.cluster.name.clone()));
            for host in &parsed.plan.hosts {
                assert!(seen.insert(host.management_ip.to_string()));
            }
        }
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
