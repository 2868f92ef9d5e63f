//! A fleet: one run per plan, grouped by `fleet_id`, at most `parallel` at
//! a time; a plan that cannot run is listed as refused, the others run.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::Console;

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_runs_each_plan_as_a_run_of_its_own_grouped() {
    let console = Console::start().await;
    let template = console.template_plan().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = smtx_testkit::write_fleet_workbooks(dir.path(), 1, 2, 1)
        .pop()
        .expect("a workbook");
    let (status, other) = console
        .upload(std::fs::read(&fixture).expect("fixture"), "site-b.xlsx")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    let other = other["id"].as_str().expect("id").to_string();
    let broken = smtx_plan::fixture::edit_cells(
        &crate::template_bytes(),
        &[("主机规划!I19", Some("not-an-ip"))],
    )
    .expect("edited");
    let (_, broken) = console.upload(broken, "broken.xlsx").await;
    let broken = broken["id"].as_str().expect("id").to_string();

    let (status, fleet) = console
        .post(
            "/api/fleets",
            json!({
                "plan_ids": [template, other, broken],
                "target": { "rehearsal": { "iso_mib": 0 } },
                "parallel": 1,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fleet}");
    let fleet_id = fleet["id"].as_str().expect("id").to_string();
    let runs: Vec<String> = fleet["runs"]
        .as_array()
        .expect("runs")
        .iter()
        .filter_map(|r| r.as_str().map(str::to_string))
        .collect();
    assert_eq!(runs.len(), 2);
    assert_eq!(fleet["refused"][0]["plan_id"], broken.as_str());
    assert_eq!(fleet["refused"][0]["error"]["code"], "plan_has_errors");

    // One at a time: until the first ends, the second is never running.
    let first_path = format!("/api/runs/{}", runs[0]);
    let second_path = format!("/api/runs/{}", runs[1]);
    let console = &console;
    smtx_testkit::poll_until(crate::DEADLINE, || {
        let (first_path, second_path) = (&first_path, &second_path);
        async move {
            // The second read first: if the first is still under way when
            // read after it, the second was not running when it was read.
            // (The other order races: the first ends between the reads.)
            let (_, second) = console.get(second_path).await;
            let (_, first) = console.get(first_path).await;
            let first_ended = !matches!(first["status"].as_str(), Some("queued" | "running"));
            if !first_ended {
                assert!(
                    matches!(second["status"].as_str(), Some("queued")),
                    "parallel 1: {} while the first is {}",
                    second["status"],
                    first["status"]
                );
            }
            first_ended.then_some(())
        }
    })
    .await
    .expect("the first run ends");
    for id in &runs {
        let run = console.wait_end(id).await;
        // iso_mib 0: no VMTools ISO, the upload's warning.
        assert_eq!(run["status"], "warning", "{run:#}");
        assert_eq!(run["fleet_id"], fleet_id.as_str());
    }
    let (_, list) = console.get("/api/runs").await;
    let grouped: Vec<&Value> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|r| r["fleet_id"] == fleet_id.as_str())
        .collect();
    assert_eq!(grouped.len(), 2);
}
