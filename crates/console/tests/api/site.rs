//! The console as a site uses it: the real template switched to 存储独立
//! the way a site fills it in (Q20 from its drop-down, the business-VDS row
//! cleared), uploaded twice and rehearsed twice back to back.

use serde_json::json;

use crate::Console;

#[tokio::test(flavor = "multi_thread")]
async fn a_storage_separate_template_uploaded_and_rehearsed_twice() {
    let console = Console::start().await;
    let edited = smtx_plan::fixture::edit_cells(
        &crate::template_bytes(),
        &[
            ("主机规划!Q20", Some("存储独立")),
            ("虚拟网络!C8", None),
            ("虚拟网络!J8", None),
            ("虚拟网络!K8", None),
        ],
    )
    .expect("edited");
    let mut plans = Vec::new();
    for (name, answer) in [
        ("site.xlsx", reqwest::StatusCode::CREATED),
        // The same bytes again: the plan already kept.
        ("site.xlsx", reqwest::StatusCode::OK),
    ] {
        let (status, plan) = console.upload(edited.clone(), name).await;
        assert_eq!(status, answer, "{plan}");
        assert_eq!(plan["summary"]["errors"], 0, "{plan:#}");
        assert_eq!(plan["networks"], 11, "{plan:#}");
        plans.push(plan["id"].as_str().expect("id").to_string());
    }
    assert_eq!(plans[0], plans[1], "one workbook, one plan");
    // The second run starts the moment the first one is seen ended: the
    // cluster is free by then (never `cluster_busy`).
    for plan in &plans {
        let run = console.rehearse(plan, json!({ "iso_mib": 1 })).await;
        let run = console.wait_end(&run).await;
        assert_eq!(run["status"], "ok", "{run:#}");
        let vlans = run["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|step| step["step"] == "vlan")
            .count();
        assert_eq!(vlans, 11, "{run:#}");
    }
}
