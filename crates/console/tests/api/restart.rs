//! A restart: the process dies with a run under way (its runtime is torn
//! down, nothing gets to record an end); a console started on the same data
//! directory shows that run `interrupted`, keeps every other run, and
//! resumes it as a new run from its context.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::json;

use crate::Console;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn a_run_cut_off_by_a_restart_is_interrupted_kept_and_resumed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data: PathBuf = dir.path().join("data");

    // The first process: one run finished, one sitting in a job wait.
    let first = runtime();
    let (plan, done, cut) = first.block_on(async {
        let console = Console::start_at(data.clone(), None, None).await;
        let plan = console.template_plan().await;
        let done = console.rehearse(&plan, json!({ "iso_mib": 0 })).await;
        // No ISO (iso_mib 0): the upload warns, the rest is ok.
        assert_eq!(console.wait_end(&done).await["status"], "warning");
        let cut = console
            .rehearse(&plan, json!({ "job_ms": 60_000, "iso_mib": 0 }))
            .await;
        console
            .wait_run(&cut, "in a job wait", |run| {
                run["steps"]
                    .as_array()
                    .is_some_and(|steps| steps.iter().any(|s| s["step"] == "login"))
            })
            .await;
        (plan, done, cut)
    });
    // Dies: every task dropped where it stands. A dead process's lock on
    // the data directory goes with it; here the dropped tasks release it
    // as the runtime's threads wind down.
    first.shutdown_background();
    let lock = data.join(smtx_console::CONSOLE_LOCK);
    smtx_testkit::poll_until_blocking(std::time::Duration::from_secs(30), || {
        smtx_engine::DirLock::acquire(&lock).ok()
    })
    .expect("the first console lets go of its data directory");

    let second = runtime();
    second.block_on(async {
        let console = Console::start_at(data.clone(), None, None).await;
        let (status, run) = console.get(&format!("/api/runs/{cut}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(run["status"], "interrupted", "{run:#}");
        assert!(
            run["steps"].as_array().is_some_and(|s| !s.is_empty()),
            "its steps are kept"
        );
        // Its stream ends, saying so.
        let events = console.events(&cut).await;
        let end = events.last().expect("events");
        assert_eq!(end.event, "end");
        assert_eq!(end.data["status"], "interrupted");
        // History kept.
        let (_, old) = console.get(&format!("/api/runs/{done}")).await;
        assert_eq!(old["status"], "warning");
        assert!(old["files"].as_array().is_some_and(|f| f.len() >= 4));
        let (_, runs) = console.get("/api/runs").await;
        assert_eq!(runs.as_array().map(Vec::len), Some(2));
        let (_, plans) = console.get("/api/plans").await;
        assert_eq!(plans[0]["id"], plan.as_str());

        // A finished run is not resumed.
        let (status, answer) = console
            .post(&format!("/api/runs/{done}/resume"), json!({}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "not_resumable");

        // Resume: a new run from the cut run's context (fast jobs this time).
        let (status, answer) = console
            .post(
                &format!("/api/runs/{cut}/resume"),
                json!({ "target": { "rehearsal": { "iso_mib": 0 } } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        let resumed = answer["id"].as_str().expect("id").to_string();
        assert_ne!(resumed, cut);
        let run = console.wait_end(&resumed).await;
        // iso_mib 0: the upload's warning, the rest ok.
        assert_eq!(run["status"], "warning", "{run:#}");
        assert_eq!(run["from_run"], cut.as_str());
        // It started from the recorded context: prepare's facts came along.
        let (_, context) = console
            .get(&format!("/api/runs/{resumed}/files/context.json"))
            .await;
        assert!(context["extra"]["prepare"].is_object(), "{context:#}");
        // Issue 18: resumed once, it is not resumed again (both would pick
        // up where it stopped); the answer names its resume. The list says
        // so too: no longer resumable, and linked.
        let (status, answer) = console
            .post(&format!("/api/runs/{cut}/resume"), json!(null))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"]["code"], "already_resumed");
        assert!(
            answer["error"]["message"]["zh-CN"]
                .as_str()
                .is_some_and(|m| m.contains(resumed.as_str())),
            "{answer}"
        );
        let (_, old) = console.get(&format!("/api/runs/{cut}")).await;
        assert_eq!(old["resumed_by"], resumed.as_str());
        assert_eq!(old["resumable"], false);
        console.running.shutdown().await;
    });
}
