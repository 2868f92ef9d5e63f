//! Uploads: the summary and every diagnostic are what `plan check` finds,
//! in both languages; bad files are refused with 422 (quickly), big ones
//! with 413; a plan with errors does not run.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use smtx_i18n::{Lang, Localize};
use smtx_plan::Severity;

use crate::{Console, template_bytes};

/// What `plan check` finds in `bytes`, as the API spells it.
fn expected_diagnostics(bytes: &[u8]) -> (usize, usize, Vec<Value>) {
    let parsed = smtx_plan::parse_workbook(bytes, "w.xlsx").expect("parses");
    let diagnostics = parsed
        .diagnostics
        .iter()
        .map(|d| {
            json!({
                "cell": d.location,
                "field": d.field,
                "severity": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": { "en": d.message.localize(Lang::En), "zh-CN": d.message.localize(Lang::ZhCn) },
            })
        })
        .collect();
    (parsed.error_count(), parsed.warning_count(), diagnostics)
}

async fn upload_matches_plan_check(console: &Console, bytes: Vec<u8>, name: &str) -> Value {
    let (errors, warnings, diagnostics) = expected_diagnostics(&bytes);
    let parsed = smtx_plan::parse_workbook(&bytes, name).expect("parses");
    let (status, plan) = console.upload(bytes, name).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    assert_eq!(plan["name"], name);
    assert_eq!(plan["summary"]["errors"], errors);
    assert_eq!(plan["summary"]["warnings"], warnings);
    assert_eq!(plan["diagnostics"], Value::from(diagnostics));
    assert_eq!(plan["cluster"]["name"], parsed.plan.cluster.name);
    assert_eq!(
        plan["hosts"].as_array().map(Vec::len),
        Some(parsed.plan.hosts.len())
    );
    for (host, planned) in plan["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .zip(&parsed.plan.hosts)
    {
        assert_eq!(host["name"], planned.hostname);
        assert_eq!(host["row"], planned.row);
        if !planned.invalid.contains("management_ip") {
            assert_eq!(host["management_ip"], planned.management_ip.to_string());
        }
    }
    // The plan in full, as `plan check --json` prints it.
    assert_eq!(
        plan["plan"],
        serde_json::to_value(&parsed.plan).expect("serializes")
    );
    // Read back: the same answer.
    let id = plan["id"].as_str().expect("id");
    let (status, again) = console.get(&format!("/api/plans/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again, plan);
    plan
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_show_what_plan_check_finds() {
    let console = Console::start().await;
    let template = upload_matches_plan_check(&console, template_bytes(), "template.xlsx").await;
    assert_eq!(template["cluster"]["name"], "CN-BJ-SMTX-Prod-Cls01");
    assert_eq!(template["cluster"]["vip"], "10.0.20.10");

    let (_dir, fixture) = smtx_testkit::fixture_workbook(3);
    let bytes = std::fs::read(&fixture).expect("fixture");
    let fixture_plan = upload_matches_plan_check(&console, bytes, "fixture.xlsx").await;

    // A workbook with an error: shown with its cell, in both languages.
    let broken =
        smtx_plan::fixture::edit_cells(&template_bytes(), &[("主机规划!I19", Some("not-an-ip"))])
            .expect("edited");
    let plan = upload_matches_plan_check(&console, broken, "broken.xlsx").await;
    assert!(plan["summary"]["errors"].as_u64() >= Some(1), "{plan:#}");
    let vip = plan["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["cell"] == "主机规划!I19")
        .expect("the VIP cell is named");
    assert_eq!(vip["severity"], "error");
    assert!(
        vip["message"]["zh-CN"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    // Issue 18: a management IP that does not parse is shown as what was
    // typed, never as the placeholder 0.0.0.0; its row is the workbook's.
    let typo =
        smtx_plan::fixture::edit_cells(&template_bytes(), &[("主机规划!I4", Some("10.0.20.300"))])
            .expect("edited");
    let typo = upload_matches_plan_check(&console, typo, "typo.xlsx").await;
    let first = typo["hosts"]
        .as_array()
        .expect("hosts")
        .iter()
        .find(|host| host["management_ip_raw"] == "10.0.20.300")
        .expect("the host of row 4 shows what was typed");
    assert_eq!(first["row"], 4, "{first}");
    assert_eq!(first["management_ip"], Value::Null, "{first}");
    assert_eq!(first["management_ip_raw"], "10.0.20.300", "{first}");
    assert!(!typo.to_string().contains("0.0.0.0"), "{typo:#}");
    let addresses = typo["cluster"]["addresses"].as_array().expect("addresses");
    assert!(addresses.iter().all(|a| a.is_string()), "{addresses:?}");

    // Newest first.
    let (_, list) = console.get("/api/plans").await;
    let ids: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            typo["id"].as_str().expect("id"),
            plan["id"].as_str().expect("id"),
            fixture_plan["id"].as_str().expect("id"),
            template["id"].as_str().expect("id"),
        ]
    );

    // It does not run: 422 with the diagnostics.
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan["id"], "target": "rehearsal" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "plan_has_errors");
    assert!(answer["error"]["message"]["en"].is_string());
    assert!(answer["error"]["message"]["zh-CN"].is_string());
    assert_eq!(answer["diagnostics"], plan["diagnostics"]);
    let (_, runs) = console.get("/api/runs").await;
    assert_eq!(runs, json!([]), "nothing started");
}

#[tokio::test(flavor = "multi_thread")]
async fn files_that_are_not_workbooks_are_refused() {
    let console = Console::start().await;
    // A zip bomb: refused on its sizes before anything inflates it.
    let bomb = smtx_plan::crafted::zip_bomb(512, false).expect("crafted");
    let started = Instant::now();
    let (status, answer) = console.upload(bomb, "bomb.xlsx").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["error"]["code"], "unreadable_workbook");
    assert!(answer["error"]["message"]["zh-CN"].is_string());

    for (bytes, name) in [
        (b"not a workbook at all".to_vec(), "notes.txt"),
        (
            smtx_plan::crafted::many_entries(20_000).expect("crafted"),
            "many.xlsx",
        ),
        (
            smtx_plan::crafted::shared_strings_claim(u64::MAX / 2).expect("crafted"),
            "claim.xlsx",
        ),
    ] {
        let (status, answer) = console.upload(bytes, name).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {answer}");
        assert_eq!(answer["error"]["code"], "unreadable_workbook", "{name}");
    }

    // Over the upload limit: 413.
    let (status, answer) = console
        .upload(vec![0u8; smtx_console::MAX_UPLOAD_BYTES + 1], "huge.xlsx")
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"]["code"], "upload_too_large");

    // Nothing of them was kept.
    let (_, plans) = console.get("/api/plans").await;
    assert_eq!(plans, json!([]));
    let kept = std::fs::read_dir(console.running.state().data_dir().join("plans"))
        .expect("plans dir")
        .count();
    assert_eq!(kept, 0);
}

/// The same workbook uploaded again (under another name) is the plan
/// already kept: one file, one row; another workbook is another plan.
#[tokio::test(flavor = "multi_thread")]
async fn a_workbook_uploaded_twice_is_kept_once() {
    let console = Console::start().await;
    let bytes = crate::template_bytes();
    let (status, first) = console.upload(bytes.clone(), "规划设计表.xlsx").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = console.upload(bytes.clone(), "copy.xlsx").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["name"], "规划设计表.xlsx", "the plan as first kept");
    let (_dir, fixture) = smtx_testkit::fixture_workbook(2);
    let other = std::fs::read(&fixture).expect("fixture");
    let (status, second) = console.upload(other, "site.xlsx").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(second["id"], first["id"]);
    let (_, plans) = console.get("/api/plans").await;
    assert_eq!(plans.as_array().map(Vec::len), Some(2), "{plans:#}");
    let kept = std::fs::read_dir(console.running.state().data_dir().join("plans"))
        .expect("plans dir")
        .count();
    assert_eq!(kept, 2);
}

/// Issue 21: names with characters a reader cannot see. The upload answers
/// with `plan check`'s warnings — the cell and the code point, in both
/// languages — and the names as typed (the page writes them out).
#[tokio::test(flavor = "multi_thread")]
async fn issue_21_hidden_characters_in_names_are_warned_about() {
    const CLUSTER: &str = "CN-BJ-SMTX-Prod-\u{202E}evil";
    const HOST: &str = "BJ-SMTX-Prod-Node\u{200B}-01";
    let console = Console::start().await;
    let bytes = smtx_plan::fixture::edit_cells(
        &template_bytes(),
        &[("虚拟网络!B3", Some(CLUSTER)), ("主机规划!H3", Some(HOST))],
    )
    .expect("edited");
    let plan = upload_matches_plan_check(&console, bytes, "hidden.xlsx").await;
    assert_eq!(plan["cluster"]["name"], CLUSTER);
    assert_eq!(plan["hosts"][0]["name"], HOST);
    let warnings: Vec<&Value> = plan["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["severity"] == "warning")
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    for (warning, cell, field, en, zh) in [
        (
            warnings[0],
            "虚拟网络!B3",
            "集群名称",
            "the name contains U+202E (bidirectional control):",
            "名称中含有 U+202E（双向文字控制符）：",
        ),
        (
            warnings[1],
            "主机规划!H3",
            "主机名",
            "the name contains U+200B (invisible):",
            "名称中含有 U+200B（不可见字符）：",
        ),
    ] {
        assert_eq!(warning["cell"], cell, "{warning}");
        assert_eq!(warning["field"], field, "{warning}");
        assert!(
            warning["message"]["en"]
                .as_str()
                .is_some_and(|m| m.starts_with(en)),
            "{warning}"
        );
        assert!(
            warning["message"]["zh-CN"]
                .as_str()
                .is_some_and(|m| m.starts_with(zh)),
            "{warning}"
        );
    }
}

/// The page's `HIDDEN` (js/dom.js, as the console serves it) holds exactly
/// the characters `plan check` warns about: every code point is compared.
#[tokio::test(flavor = "multi_thread")]
async fn the_page_writes_out_what_plan_check_warns_about() {
    let console = Console::start().await;
    let page = console
        .client
        .get(console.url("/js/dom.js"))
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    let class = page
        .lines()
        .find_map(|line| line.strip_prefix("const HIDDEN = /["))
        .and_then(|rest| rest.strip_suffix("]/gu;"))
        .expect("js/dom.js has `const HIDDEN = /[…]/gu;` on one line");
    let ranges = js_class_ranges(class);
    assert!(ranges.len() > 10, "{ranges:?}");
    for code in 0..=0x10FFFF_u32 {
        let Some(c) = char::from_u32(code) else {
            continue;
        };
        let on_page = ranges
            .iter()
            .any(|(from, to)| (*from..=*to).contains(&code));
        assert_eq!(
            on_page,
            smtx_plan::hidden_kind(c).is_some(),
            "{}: the page and plan check disagree",
            smtx_plan::code_point(c)
        );
    }
}

/// `\u0000-\u001F\u00AD\u{E0000}-\u{E0FFF}` → the ranges it names.
fn js_class_ranges(class: &str) -> Vec<(u32, u32)> {
    let mut points = Vec::new();
    let mut separators = Vec::new();
    let mut rest = class;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("-") {
            separators.push(points.len());
            rest = after;
            continue;
        }
        let after = rest
            .strip_prefix("\\u")
            .unwrap_or_else(|| panic!("only \\u escapes and `-` in HIDDEN: {rest}"));
        let (hex, next) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}').expect("a closing brace");
                (&braced[..end], &braced[end + 1..])
            }
            None => after.split_at(4),
        };
        points.push(u32::from_str_radix(hex, 16).expect("hex"));
        rest = next;
    }
    let mut ranges = Vec::new();
    let mut index = 0;
    while index < points.len() {
        if separators.contains(&(index + 1)) {
            ranges.push((points[index], points[index + 1]));
            index += 2;
        } else {
            ranges.push((points[index], points[index]));
            index += 1;
        }
    }
    ranges
}
