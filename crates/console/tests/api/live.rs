//! A run against "a real cluster": a `settings` target, as a site fills it
//! in, against a simulator started apart from the console (it could be any
//! cluster at those addresses). The serial goes into the run's own copy of
//! the workbook; the upload stays as it came.

use reqwest::StatusCode;
use serde_json::{Value, json};
use smtx_testkit::SimOptions;

use crate::Console;

#[tokio::test(flavor = "multi_thread")]
async fn a_settings_target_configures_the_cluster_it_names() {
    let sim = smtx_testkit::start_sim_for_fixture(2, SimOptions::default()).await;
    let console = Console::start().await;
    let (_dir, fixture) = smtx_testkit::fixture_workbook(2);
    let bytes = std::fs::read(&fixture).expect("fixture");
    let (status, plan) = console.upload(bytes.clone(), "site.xlsx").await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let plan = plan["id"].as_str().expect("id").to_string();

    let settings = crate::server_files::settings_for(&sim);
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "settings": settings } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["id"].as_str().expect("id").to_string();
    let run = console.wait_end(&id).await;
    assert!(
        matches!(run["status"].as_str(), Some("ok" | "warning")),
        "{run:#}"
    );
    assert_eq!(run["target"], "cluster");
    assert_eq!(run["summary"]["failed"], 0, "{run:#}");
    // What the cluster now says is what the steps say.
    let state = sim.state();
    assert_eq!(state["cluster"]["serial"], Value::from(sim.serial()));
    // The SSH keys are pinned in the console's own file for this cluster.
    let pins_dir = console.running.state().data_dir().join("known_hosts");
    let pins: Vec<_> = std::fs::read_dir(&pins_dir)
        .expect("the console's pins")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    assert_eq!(pins.len(), 1, "{pins:?}");
    let pinned = std::fs::read_to_string(&pins[0]).expect("readable");
    for node in sim.nodes() {
        assert!(
            pinned.contains(&node.workbook_ip.to_string()),
            "{} pinned: {pinned}",
            node.workbook_ip
        );
    }
    // The serial is in the run's workbook; the upload is as it came.
    let (status, workbook) = console
        .get_bytes(&format!("/api/runs/{id}/files/workbook.xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let parsed = smtx_plan::parse_workbook(&workbook, "w.xlsx").expect("a workbook");
    assert_eq!(
        parsed.plan.cluster.serial.as_deref(),
        Some(sim.serial().as_str())
    );
    let upload = console
        .running
        .state()
        .data_dir()
        .join("plans")
        .join(format!("{plan}.xlsx"));
    assert_eq!(std::fs::read(upload).expect("kept"), bytes);
    sim.shutdown().await;
}
