//! Issue 20, bounded history: runs and uploads past `--keep-days` (or past
//! `--keep-runs`) are removed with their directories and rows; a run under
//! way, each cluster's newest finished run, and the plan it was started
//! from are never removed; `GET /api/storage` gives the data directory's
//! size; every removal is in the console's log.

use reqwest::StatusCode;
use serde_json::json;
use smtx_console::prune::KeepPolicy;

use crate::{Console, template_bytes};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[tokio::test(flavor = "multi_thread")]
async fn old_runs_and_uploads_are_pruned_but_never_a_clusters_last_run_or_one_under_way() {
    let console = Console::start().await;
    let template = console.template_plan().await;
    // Another cluster (another name): a fleet's generated workbook.
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = smtx_testkit::write_fleet_workbooks(dir.path(), 1, 1, 1)
        .pop()
        .expect("a workbook");
    let (status, other) = console
        .upload(std::fs::read(&fixture).expect("fixture"), "other.xlsx")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other = other["id"].as_str().expect("id").to_string();
    // A plan nobody ran: the template with one VLAN renamed.
    let unused =
        smtx_plan::fixture::edit_cells(&template_bytes(), &[("虚拟网络!B8", Some("VLAN-X"))])
            .expect("edited");
    let (status, unused) = console.upload(unused, "unused.xlsx").await;
    assert_eq!(status, StatusCode::CREATED, "{unused}");
    let unused = unused["id"].as_str().expect("id").to_string();

    // Three runs of the template's cluster, one of the other's, then one
    // of the other's left under way.
    let mut template_runs = Vec::new();
    for _ in 0..3 {
        let id = console.rehearse(&template, json!({ "iso_mib": 0 })).await;
        console.wait_end(&id).await;
        template_runs.push(id);
    }
    let other_done = console.rehearse(&other, json!({ "iso_mib": 0 })).await;
    console.wait_end(&other_done).await;
    let under_way = console
        .rehearse(&other, json!({ "iso_mib": 0, "job_ms": 60_000 }))
        .await;
    console
        .wait_run(&under_way, "the slow run under way", |run| {
            run["status"] == "running"
        })
        .await;
    // The list answers the newest first, as many as asked (a page's polls
    // do not grow with the history).
    let (_, newest) = console.get("/api/runs?limit=2").await;
    let newest: Vec<&str> = newest
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|run| run["id"].as_str())
        .collect();
    assert_eq!(newest, [under_way.as_str(), other_done.as_str()]);
    let state = console.running.state();
    let exists = |id: &str| state.data_dir().join("runs").join(id).is_dir();
    assert!(template_runs.iter().all(|id| exists(id)));
    let (_, storage) = console.get("/api/storage").await;
    assert!(storage["bytes"].as_u64() > Some(0), "{storage}");
    assert_eq!(storage["keep_days"], 90);

    // Today nothing is old: nothing goes.
    let pruned = state.prune(smtx_console_now()).await.expect("pruned");
    assert!(
        pruned.runs.is_empty() && pruned.plans.is_empty(),
        "{pruned:?}"
    );

    // A hundred days on: the template's two older runs go; its newest, the
    // other cluster's newest and the run under way stay; the unused plan
    // goes, the plans of kept runs stay.
    let later = smtx_console_now() + 100 * DAY_MS;
    let pruned = state.prune(later).await.expect("pruned");
    let mut expected = vec![template_runs[0].clone(), template_runs[1].clone()];
    expected.sort();
    let mut removed = pruned.runs.clone();
    removed.sort();
    assert_eq!(removed, expected, "{pruned:?}");
    assert_eq!(pruned.plans, vec![unused.clone()], "{pruned:?}");
    for id in &expected {
        assert!(!exists(id), "{id}'s directory removed");
        let (status, _) = console.get(&format!("/api/runs/{id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    for id in [&template_runs[2], &other_done, &under_way] {
        assert!(exists(id), "{id} kept");
        let (status, _) = console.get(&format!("/api/runs/{id}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _) = console.get(&format!("/api/plans/{unused}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = console.get(&format!("/api/plans/{template}")).await;
    assert_eq!(status, StatusCode::OK);
    // Each removal is a line of the console's log.
    let log = std::fs::read_to_string(state.data_dir().join("console.log")).expect("log");
    for id in expected.iter().chain([&unused]) {
        assert!(
            log.lines()
                .any(|line| line.contains("\"prune\"") && line.contains(id.as_str())),
            "{id} in the log"
        );
    }

    // --keep-runs 1: each cluster's newest is kept whatever the count.
    state.set_keep_policy(KeepPolicy {
        days: 90,
        runs: Some(1),
    });
    let pruned = state.prune(smtx_console_now()).await.expect("pruned");
    assert!(pruned.runs.is_empty(), "{pruned:?}");
    let (status, _) = console
        .post(&format!("/api/runs/{under_way}/abort"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    console.wait_end(&under_way).await;
    // Ended, the aborted run is the other cluster's newest: the run before
    // it goes.
    let pruned = state.prune(smtx_console_now()).await.expect("pruned");
    assert_eq!(pruned.runs, vec![other_done.clone()], "{pruned:?}");
}

fn smtx_console_now() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(now.as_millis()).expect("fits")
}
