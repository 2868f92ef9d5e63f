//! The event stream: a client that connects at the start, one that joins
//! in the middle and one that comes after the end all get the same events,
//! numbered 1..n without a gap or a repeat, `end` last.

use serde_json::json;

use crate::{Console, SseEvent};

fn assert_whole(events: &[SseEvent], who: &str) {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let expected: Vec<i64> = (1..=events.len() as i64).collect();
    assert_eq!(ids, expected, "{who}: numbered 1..n, no gap, no repeat");
    assert_eq!(
        events.last().map(|e| e.event.as_str()),
        Some("end"),
        "{who}"
    );
    assert_eq!(
        events.iter().filter(|e| e.event == "end").count(),
        1,
        "{who}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn live_midway_and_replayed_streams_are_the_same() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    // A round trip of 5 ms: the run lasts long enough to join midway.
    let id = console
        .rehearse(&plan, json!({ "latency_ms": 5, "iso_mib": 16 }))
        .await;
    let live = console.events(&id);
    let midway = async {
        console
            .wait_run(&id, "a few steps in", |run| {
                run["steps"].as_array().is_some_and(|s| s.len() >= 5)
            })
            .await;
        console.events(&id).await
    };
    let (live, midway) = tokio::join!(live, midway);
    let run = console.wait_end(&id).await;
    assert_eq!(run["status"], "ok", "{run:#}");
    let replayed = console.events(&id).await;

    assert_whole(&live, "live");
    assert_whole(&midway, "midway");
    assert_whole(&replayed, "replayed");
    assert_eq!(live, replayed);
    assert_eq!(midway, replayed);

    // The live stream saw the run from its start.
    assert_eq!(live[0].event, "status");
    assert_eq!(live[0].data, json!({ "status": "running" }));
    // Every step of the run, in order, as `GET /api/runs/{id}` has them.
    let steps: Vec<&serde_json::Value> = live
        .iter()
        .filter(|e| e.event == "step")
        .map(|e| &e.data)
        .collect();
    let recorded: Vec<&serde_json::Value> =
        run["steps"].as_array().expect("steps").iter().collect();
    assert_eq!(steps, recorded);
    // Stage-log lines, each a JSON line of the stage's log file.
    let logs: Vec<&SseEvent> = live.iter().filter(|e| e.event == "log").collect();
    assert!(!logs.is_empty());
    for log in &logs {
        let line = log.data["line"].as_str().expect("a line");
        let parsed: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        assert!(parsed.is_object());
    }
    let (_, file) = console
        .get_bytes(&format!("/api/runs/{id}/files/logs/stage_prepare.log"))
        .await;
    let prepare_lines: Vec<String> = String::from_utf8_lossy(&file)
        .lines()
        .map(str::to_string)
        .collect();
    let streamed: Vec<String> = logs
        .iter()
        .filter(|e| e.data["stage"] == "prepare")
        .filter_map(|e| e.data["line"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        streamed, prepare_lines,
        "the stream carries the log file's lines"
    );
    // The end says how it ended.
    let end = &live.last().expect("end").data;
    assert_eq!(end["status"], "ok");
    assert_eq!(end["summary"], run["summary"]);
    assert!(live.iter().any(|e| e.event == "transfer"));
}
