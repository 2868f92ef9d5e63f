//! Runs: a rehearsal of the real template to `ok` with its steps, the ISO
//! transfer and its files; a second run against the same cluster refused;
//! an abort that stops a slow rehearsal between calls and leaves the
//! simulated cluster as the steps say.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::Console;

#[tokio::test(flavor = "multi_thread")]
async fn a_rehearsal_of_the_template_runs_to_ok_with_its_files() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    let id = console.rehearse(&plan, json!({ "iso_mib": 24 })).await;
    let events = console.events(&id).await;
    let run = console.wait_end(&id).await;
    assert_eq!(run["status"], "ok", "{run:#}");
    assert_eq!(run["target"], "rehearsal");
    assert_eq!(run["cluster"], "CN-BJ-SMTX-Prod-Cls01");
    assert_eq!(run["plan_id"], plan.as_str());
    assert!(run["duration_ms"].as_u64().is_some_and(|ms| ms > 0));
    assert!(run["started_at"].as_str().is_some_and(|t| t.ends_with('Z')));

    // Steps: both stages, each with a label and status, in both languages.
    let steps = run["steps"].as_array().expect("steps");
    assert!(steps.len() > 20, "{}", steps.len());
    assert!(steps.iter().any(|s| s["stage"] == "prepare"));
    assert!(steps.iter().any(|s| s["stage"] == "config_cluster"));
    for step in steps {
        assert!(
            matches!(step["status"].as_str(), Some("ok" | "skipped")),
            "{step}"
        );
        assert!(step["label"]["en"].is_string() && step["label"]["zh-CN"].is_string());
        assert!(step["duration_ms"].is_u64());
    }
    let upload = steps
        .iter()
        .find(|s| s["step"] == "vmtools_upload")
        .expect("the ISO was uploaded");
    assert_eq!(upload["status"], "ok");
    assert!(upload["detail"]["zh-CN"].is_string());
    let summary = &run["summary"];
    // The hosts' summary step is not counted beside the hosts' own steps.
    let counted = steps
        .iter()
        .filter(|s| s["status"] == "ok" && s["step"] != "host_passwords")
        .count();
    assert!(steps.iter().any(|s| s["step"] == "host_passwords"));
    assert_eq!(summary["ok"].as_u64(), Some(counted as u64));
    assert_eq!(summary["failed"], 0);

    // The transfer: the whole ISO, with a speed.
    let transfer = &run["transfer"];
    assert_eq!(transfer["bytes_total"], 24 * 1024 * 1024);
    assert_eq!(transfer["bytes_done"], transfer["bytes_total"]);
    assert!(
        transfer["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(".iso"))
    );
    let transfers: Vec<&Value> = events
        .iter()
        .filter(|e| e.event == "transfer")
        .map(|e| &e.data)
        .collect();
    assert!(transfers.len() >= 2, "{transfers:?}");
    let done: Vec<u64> = transfers
        .iter()
        .filter_map(|t| t["bytes_done"].as_u64())
        .collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert_eq!(done.last().copied(), Some(24 * 1024 * 1024));

    // Files: the report, the context, the stage logs, the workbook with
    // the serial.
    let files: Vec<&str> = run["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for name in [
        "report.json",
        "context.json",
        "logs/stage_prepare.log",
        "logs/stage_config_cluster.log",
        "workbook.xlsx",
    ] {
        assert!(files.contains(&name), "{name} in {files:?}");
    }
    let (status, report) = console
        .get_bytes(&format!("/api/runs/{id}/files/report.json"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let report: Value = serde_json::from_slice(&report).expect("report.json is JSON");
    assert_eq!(report["status"], "ok");
    let serial = report["serial"].as_str().expect("a serial").to_string();
    let (status, workbook) = console
        .get_bytes(&format!("/api/runs/{id}/files/workbook.xlsx"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let parsed = smtx_plan::parse_workbook(&workbook, "downloaded.xlsx").expect("a workbook");
    assert_eq!(parsed.plan.cluster.serial.as_deref(), Some(serial.as_str()));
    // The delivery record: a page of its own, in the page's language, with
    // its own policy (its inline style, nothing else).
    assert_eq!(run["delivery_report"], true, "{run}");
    for (lang, title) in [("zh-CN", "交付记录"), ("en", "Delivery record")] {
        let mut request = console
            .client
            .get(console.url(&format!("/api/runs/{id}/report.html?lang={lang}")));
        if let Some(token) = &console.token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.expect("answers");
        assert_eq!(answer.status(), StatusCode::OK);
        let policy = answer
            .headers()
            .get("content-security-policy")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        let page = answer.text().await.expect("a page");
        assert!(page.contains(title) && page.contains(&serial), "{lang}");
        assert!(!page.contains("<script"), "{lang}");
    }
    // The upload itself is left as it came.
    let (_, plan_answer) = console.get(&format!("/api/plans/{plan}")).await;
    let original = std::fs::read(
        console
            .running
            .state()
            .data_dir()
            .join("plans")
            .join(format!("{plan}.xlsx")),
    )
    .expect("the upload is kept");
    assert_eq!(original, crate::template_bytes());
    assert!(plan_answer["id"].is_string());
    let (status, log) = console
        .get_bytes(&format!(
            "/api/runs/{id}/files/logs/stage_config_cluster.log"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    let first = String::from_utf8_lossy(&log);
    let first: Value = serde_json::from_str(first.lines().next().expect("a line")).expect("JSON");
    assert!(first.get("action").is_some(), "{first}");

    // Nothing else is served, however it is spelled.
    for name in [
        "console.db",
        "..%2F..%2Fconsole.db",
        "logs/..%2F..%2F..%2Fconsole.db",
        "logs/stage_x.log",
        "sim-ca.pem",
        "run.lock",
    ] {
        let (status, _) = console
            .get_bytes(&format!("/api/runs/{id}/files/{name}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }

    // The list shows it.
    let (_, runs) = console.get("/api/runs").await;
    assert_eq!(runs[0]["id"], id.as_str());
    assert_eq!(runs[0]["status"], "ok");
    assert_eq!(runs[0]["fleet_id"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_against_the_same_cluster_is_refused_and_an_abort_stops_it_consistently() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    // Jobs that take a minute: the run sits in a job wait.
    let id = console
        .rehearse(&plan, json!({ "job_ms": 60_000, "iso_mib": 0 }))
        .await;
    let running = console
        .wait_run(&id, "in a job wait", |run| {
            run["status"] == "running"
                && run["steps"]
                    .as_array()
                    .is_some_and(|steps| steps.iter().any(|s| s["step"] == "login"))
        })
        .await;
    assert_eq!(running["summary"], Value::Null);

    // Same cluster (the same plan, or another upload of it): 409.
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": "rehearsal" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "cluster_busy");
    assert!(
        answer["error"]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains(&id))
    );
    let again = console.template_plan().await;
    let (status, _) = console
        .post(
            "/api/runs",
            json!({ "plan_id": again, "target": "rehearsal" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Abort: 202, then `aborted` with exactly the step under way aborted.
    let (status, answer) = console
        .post(&format!("/api/runs/{id}/abort"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    let run = console.wait_end(&id).await;
    assert_eq!(run["status"], "aborted", "{run:#}");
    let steps = run["steps"].as_array().expect("steps");
    let aborted: Vec<&Value> = steps.iter().filter(|s| s["status"] == "aborted").collect();
    assert_eq!(aborted.len(), 1, "{steps:#?}");
    assert_eq!(
        steps.last(),
        Some(aborted[0]),
        "nothing after the aborted step"
    );
    assert_eq!(run["summary"]["aborted"], 1);
    // Issue 18: no serial was written, so no "workbook with the serial"
    // is offered; the run is offered for resuming.
    assert!(
        !run["files"]
            .as_array()
            .is_some_and(|files| files.iter().any(|f| f == "workbook.xlsx")),
        "{run:#}"
    );
    assert_eq!(run["resumable"], true, "{run:#}");
    assert_eq!(run["summary"]["serial_written"], false, "{run:#}");

    // The simulated cluster is as the steps say: what was recorded done is
    // done; what was never reached was never sent.
    let state = console
        .running
        .state()
        .rehearsal_state(&id)
        .expect("the simulator's last state");
    let done = |name: &str| {
        steps
            .iter()
            .any(|s| s["step"] == name && s["status"] == "ok")
    };
    let parsed = smtx_plan::parse_workbook(&crate::template_bytes(), "t.xlsx").expect("parses");
    let planned_dns: Vec<String> = parsed
        .plan
        .dns_servers
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        state["cluster"]["dns"] == json!(planned_dns),
        done("set_dns"),
        "DNS set exactly when set_dns is recorded ok: {:#}",
        state["cluster"]
    );
    assert!(!done("vmtools_upload"));
    assert_eq!(state["images"], json!([]), "no upload was started");

    // Aborting again: it is no longer running.
    let (status, answer) = console
        .post(&format!("/api/runs/{id}/abort"), json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
    assert_eq!(answer["error"]["code"], "not_running");

    // The cluster is free again.
    let next = console.rehearse(&plan, json!({ "iso_mib": 0 })).await;
    let run = console.wait_end(&next).await;
    // No ISO: the upload's warning.
    assert_eq!(run["status"], "warning", "{run:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn targets_are_refused_as_the_cli_refuses_them() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "PEM").expect("written");
    let cases = [
        (
            json!({ "api": { "insecure": true, "ca_cert_pem": "PEM" }, "ssh": { "initial_password": "pw-in-settings-1" } }),
            "refused",
            "CA certificate",
        ),
        (
            json!({ "api": { "resolve": ["10.0.20.11"] } }),
            "bad_settings",
            "HTTPS address overrides",
        ),
        // A serial cell that is no sheet!cell: refused now, not after the
        // run has configured the cluster and comes to write the serial.
        (
            json!({ "serial": { "cell": "E19" } }),
            "refused",
            "serial cell \"E19\": not a cell of a sheet",
        ),
        // A CA that holds no certificate: refused before the run, as `run`
        // refuses it (exit 2), not a run that fails at its first call.
        (
            json!({ "api": { "ca_cert_pem": "not a certificate" } }),
            "refused",
            "CA certificate",
        ),
        // A path of the server, whether or not the file exists: refused by
        // its label and key, nothing said of the file.
        (
            json!({ "vmtools": { "iso": dir.path().join("missing.iso") } }),
            "server_path",
            "VMTools ISO path",
        ),
        (
            json!({ "api": { "ca_cert": dir.path().join("nope.pem") } }),
            "server_path",
            "CA certificate file",
        ),
        (
            json!({ "api": { "ca_cert": ca } }),
            "server_path",
            "CA certificate file",
        ),
    ];
    for (settings, code, mentions) in cases {
        let (status, answer) = console
            .post(
                "/api/runs",
                json!({ "plan_id": plan, "target": { "settings": settings } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{settings}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{answer}");
        let en = answer["error"]["message"]["en"]
            .as_str()
            .unwrap_or_default();
        assert!(en.contains(mentions), "{en}");
        // Named as the form names it: no flag, no key path.
        let zh = answer["error"]["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default();
        for text in [en, zh] {
            let problems = smtx_i18n::front_end::console_problems(text);
            assert!(problems.is_empty(), "{problems:?} in {text}");
        }
        assert!(!answer.to_string().contains("pw-in-settings-1"));
    }
    // A wrong type never echoes the value (it may be a password).
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "settings": { "ssh": { "initial_password": 271828182 } } } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(!answer.to_string().contains("271828182"), "{answer}");
    // Unknown scenario and stage.
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "rehearsal": { "scenario": "no-such" } } }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "unknown_scenario");
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "stages": ["deploy"] }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["code"], "unknown_stage");
    // A `--from` of another cluster: refused as `run --from` is.
    let (_dir, fixture) = smtx_testkit::fixture_workbook(2);
    let (status, other) = console
        .upload(std::fs::read(&fixture).expect("fixture"), "other.xlsx")
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let first = console
        .rehearse(other["id"].as_str().expect("id"), json!({ "iso_mib": 0 }))
        .await;
    assert_eq!(console.wait_end(&first).await["status"], "warning");
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": "rehearsal", "from_run": first }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "refused");
    assert!(
        answer["error"]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("the workbook")),
        "{answer}"
    );
    // A rehearsal's run resumed as a live run (its own plan): refused by
    // the engine's launch, as `run --from` refuses it.
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({
                "plan_id": other["id"],
                "target": { "settings": {} },
                "from_run": first,
            }),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "refused");
    assert!(
        answer["error"]["message"]["en"]
            .as_str()
            .is_some_and(|m| m.contains("rehearsal")),
        "{answer}"
    );
    assert!(answer["error"]["message"]["zh-CN"].is_string());
    // Nothing was started by any of them.
    let (_, runs) = console.get("/api/runs").await;
    assert_eq!(runs.as_array().map(Vec::len), Some(1));
    // The scenarios are listed with titles in both languages.
    let (_, scenarios) = console.get("/api/scenarios").await;
    let names: Vec<&str> = scenarios
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert!(names.contains(&"bmc-down"), "{names:?}");
    assert!(scenarios[0]["title"]["zh-CN"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scenario_rehearsal_ends_as_its_story_says() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    let id = console
        .rehearse(&plan, json!({ "scenario": "bmc-down", "iso_mib": 0 }))
        .await;
    let run = console.wait_end(&id).await;
    assert_eq!(run["status"], "warning", "{run:#}");
    let ipmi = run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == "ipmi_accounts")
        .expect("ipmi step");
    assert_eq!(ipmi["status"], "warning");
    // What went wrong is what the step shows, naming the host.
    assert_eq!(ipmi["detail"], ipmi["error"]);
    assert!(
        ipmi["detail"]["en"]
            .as_str()
            .is_some_and(|d| d.contains("10.0.19.11")),
        "{ipmi}"
    );
    assert!(
        ipmi["detail"]["zh-CN"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "{ipmi}"
    );
}

/// Issue 18, problem 8: a console dry run of a rehearsal says what the
/// rehearsal will do in the engineer's terms: the workbook's addresses, not
/// the simulator's loopback ports; "the workbook", not the console's file
/// under its data directory; the ISO the rehearsal uploads, not "skipped".
/// And it ends every step it started.
#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_says_what_the_rehearsal_will_do_without_internals() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    let (status, run) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "rehearsal": { "iso_mib": 2 } }, "dry_run": true }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{run}");
    let id = run["id"].as_str().expect("id");
    let run = console.wait_end(id).await;
    assert_eq!(run["status"], "ok", "{run:#}");
    let steps = run["steps"].as_array().expect("steps");
    let text = serde_json::to_string(steps).expect("steps as text");
    assert!(!text.contains("127.0.0.1"), "no loopback port: {text}");
    assert!(!text.contains("/plans/"), "no console path: {text}");
    let step = |name: &str| {
        steps
            .iter()
            .find(|step| step["step"] == name)
            .unwrap_or_else(|| panic!("{name} in {text}"))
    };
    assert_eq!(step("vmtools_upload")["status"], "ok", "{text}");
    assert!(
        step("vmtools_upload")["detail"]["en"]
            .as_str()
            .is_some_and(|d| d.starts_with("would upload SMTX_VMTOOLS-")),
        "{text}"
    );
    let host = steps
        .iter()
        .find(|step| step["step"] == "host_password")
        .expect("a host's password step");
    assert!(
        host["detail"]["en"]
            .as_str()
            .is_some_and(|d| d.contains(" at 10.0.20.1")),
        "the workbook's address: {host}"
    );
    assert_eq!(
        step("host_passwords")["status"],
        "ok",
        "the started step ends"
    );
    let serial = step("serial")["detail"]["zh-CN"]
        .as_str()
        .unwrap_or_default();
    assert!(
        serial.contains("规划表") && serial.contains("主机规划!E19"),
        "{serial}"
    );
}
