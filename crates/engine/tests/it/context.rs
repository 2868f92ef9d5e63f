//! `context.json` keeps its keys: a context written before the context was
//! typed loads into the typed records and saves back to the same JSON,
//! keys of other versions and stages included.

use serde_json::Value;
use smtx_engine::{RunContext, Stage, Step, StepStatus};

const BEFORE_TYPING: &str = include_str!("../data/context-before-typing.json");

#[test]
fn a_context_written_before_typing_round_trips() {
    let original: Value = serde_json::from_str(BEFORE_TYPING).expect("fixture is JSON");
    let context: RunContext = serde_json::from_str(BEFORE_TYPING).expect("loads typed");
    let saved = serde_json::to_value(&context).expect("serializes");
    assert_eq!(saved, original);

    let dir = tempfile::tempdir().expect("tempdir");
    context.save(dir.path()).expect("saves");
    let reloaded = RunContext::load(dir.path()).expect("loads again");
    assert_eq!(reloaded, context);
}

#[test]
fn each_stage_output_is_a_typed_record() {
    let context: RunContext = serde_json::from_str(BEFORE_TYPING).expect("loads typed");
    let extra = &context.extra;
    let identity = extra
        .prepare
        .as_ref()
        .and_then(|prepare| prepare.workbook.as_ref())
        .expect("prepare.workbook");
    assert_eq!(
        identity.cluster_name.as_deref(),
        Some("CN-BJ-SMTX-Prod-Cls01")
    );
    let scans = extra.host_scan.as_ref().expect("host_scan");
    assert_eq!(
        scans.ips().collect::<Vec<_>>(),
        ["10.0.20.11", "10.0.20.12"],
        "workbook order kept"
    );
    assert_eq!(
        scans.get("10.0.20.11").map(|scan| scan.hostname.as_str()),
        Some("node-01")
    );
    assert_eq!(
        extra.deploy_verify.as_ref().and_then(|v| v.is_deployed),
        Some(true)
    );
    let cluster = extra.config_cluster.as_ref().expect("config_cluster");
    assert_eq!(cluster.status, Some(StepStatus::Ok));
    let image = cluster.svt_image.as_ref().expect("svt_image");
    assert_eq!(image.file_name, "SMTX_VMTOOLS-3.2.0-demo.iso");
    assert_eq!(
        extra
            .deploy_cloudtower
            .as_ref()
            .and_then(|ct| ct.vmtools.as_ref()),
        Some(image)
    );
    // The recorded steps read back as the typed steps that wrote them.
    let steps: Vec<Option<Step>> = cluster
        .results
        .iter()
        .flatten()
        .map(|recorded| recorded.step())
        .collect();
    assert!(steps.iter().all(Option::is_some), "{steps:?}");
    assert!(steps.contains(&Some(Step::Stage(Stage::ConfigCluster))));
    // Keys of another version stay where they were.
    assert!(context.other.contains_key("written_by"));
    assert!(extra.other.contains_key("upgrade"));
    assert!(cluster.other.contains_key("from_a_later_version"));
}
