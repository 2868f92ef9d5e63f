//! The leak test: a full rehearsal of the real template and a dry run with
//! secrets in its settings, on a console with a token; then every API
//! answer, every event of every stream, every file a run offers, the
//! database and every text file of the data directory are searched for
//! each of the workbook's passwords, the settings' secrets and the token;
//! the console's log holds a line per request and never a query string.
//! (The workbooks themselves hold the passwords by nature: they are kept
//! 0600 and only ever served back as the run's own workbook.)

use std::path::Path;

use serde_json::{Value, json};

use crate::Console;

const TOKEN: &str = "console-token-3141592653";
const API_TOKEN: &str = "api-token-2718281828";
const SSH_PASSWORD: &str = "ssh-initial-1618033988";

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn no_password_or_token_leaves_the_server() {
    let console = Console::start_with(None, Some(TOKEN)).await;
    let template = crate::template_bytes();
    let parsed = smtx_plan::parse_workbook(&template, "t.xlsx").expect("parses");
    let mut secrets: Vec<String> = vec![
        TOKEN.into(),
        API_TOKEN.into(),
        SSH_PASSWORD.into(),
        smtx_engine::DEPLOYMENT_SSH_PASSWORD.into(),
        parsed.plan.fisheye.password.expose().to_string(),
    ];
    let mut users = vec![parsed.plan.fisheye.user.clone()];
    for host in &parsed.plan.hosts {
        secrets.push(host.ssh_password.expose().to_string());
        secrets.push(host.root_password.expose().to_string());
        secrets.push(host.bmc.password.expose().to_string());
        users.push(host.bmc.user.clone());
        users.push(host.ssh_user.clone());
    }
    // A password that is also a user name (a BMC's ADMIN/ADMIN) is shown
    // as the user name, rightly: it cannot be told apart.
    secrets.retain(|secret| secret.len() >= 4 && !users.contains(secret));
    secrets.sort();
    secrets.dedup();
    assert!(secrets.len() >= 5, "{} secrets to look for", secrets.len());

    let mut answers: Vec<(String, String)> = Vec::new();
    let mut keep = |what: String, text: String| answers.push((what, text));

    let plan = console.template_plan().await;
    let rehearsal = console.rehearse(&plan, json!({ "iso_mib": 8 })).await;
    keep(
        "rehearsal events".into(),
        format!("{:?}", console.events(&rehearsal).await),
    );
    let run = console.wait_end(&rehearsal).await;
    assert_eq!(run["status"], "ok", "{run:#}");

    // A dry run with secrets in its settings; every address of the plan
    // sent to a closed loopback port (nothing leaves loopback).
    let mut resolve: Vec<String> = parsed
        .plan
        .hosts
        .iter()
        .map(|h| format!("{}=127.0.0.1:9", h.management_ip))
        .collect();
    if let Some(vip) = parsed.plan.cluster.vip {
        resolve.push(format!("{vip}=127.0.0.1:9"));
    }
    let settings = json!({
        "api": { "token": API_TOKEN, "insecure": true, "resolve": resolve },
        "ssh": { "initial_password": SSH_PASSWORD, "resolve": resolve },
    });
    let (status, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "settings": settings }, "dry_run": true }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{answer}");
    keep("dry run create".into(), answer.to_string());
    let dry = answer["id"].as_str().expect("id").to_string();
    keep(
        "dry run events".into(),
        format!("{:?}", console.events(&dry).await),
    );
    console.wait_end(&dry).await;
    // Resume without the secrets is refused, naming none of them.
    let (_, answer) = console
        .post(&format!("/api/runs/{dry}/resume"), json!({}))
        .await;
    keep("resume refused".into(), answer.to_string());
    // A refused target that held a password.
    let (_, answer) = console
        .post(
            "/api/runs",
            json!({ "plan_id": plan, "target": { "settings": { "api": { "insecure": true, "ca_cert_pem": "PEM", "token": API_TOKEN } } } }),
        )
        .await;
    keep("refused target".into(), answer.to_string());

    for path in [
        "/api/session".to_string(),
        "/api/plans".to_string(),
        format!("/api/plans/{plan}"),
        "/api/runs".to_string(),
        "/api/scenarios".to_string(),
    ] {
        let (_, body) = console.get(&path).await;
        keep(path, body.to_string());
    }
    for id in [&rehearsal, &dry] {
        let (_, run) = console.get(&format!("/api/runs/{id}")).await;
        keep(format!("run {id}"), run.to_string());
        keep(
            format!("replay {id}"),
            format!("{:?}", console.events(id).await),
        );
        for file in run["files"]
            .as_array()
            .expect("files")
            .iter()
            .filter_map(Value::as_str)
        {
            if file.ends_with(".xlsx") {
                continue;
            }
            let (_, bytes) = console
                .get_bytes(&format!("/api/runs/{id}/files/{file}"))
                .await;
            keep(
                format!("{id}/{file}"),
                String::from_utf8_lossy(&bytes).into_owned(),
            );
        }
    }
    assert!(
        answers
            .iter()
            .any(|(what, _)| what.ends_with("report.json"))
    );

    // The token as the page's event stream sends it (in the query), and a
    // wrong one: neither may reach the console's log.
    let answer = console
        .client
        .get(console.url(&format!("/api/runs/{rehearsal}?token={TOKEN}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let answer = console
        .client
        .get(console.url("/api/runs"))
        .bearer_auth(format!("{TOKEN}-wrong"))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);

    // The console's log: a JSON line per API request, none with a query.
    let log_path = console
        .running
        .state()
        .data_dir()
        .join(smtx_console::log::LOG_FILE);
    let log = std::fs::read_to_string(&log_path).expect("console.log is written");
    assert!(!log.contains("token="), "a query string reached the log");
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let logged = |method: &str, route: &str, code: u16| {
        lines.iter().any(|line| {
            let fields = &line["fields"];
            fields["action"] == "http_request"
                && fields["method"] == method
                && fields["route"] == route
                && fields["code"] == code
                && fields["duration_ms"].is_number()
        })
    };
    assert!(logged("POST", "/api/plans", 201), "{log}");
    assert!(logged("POST", "/api/runs", 201), "{log}");
    assert!(logged("GET", "/api/runs/{id}", 200), "{log}");
    assert!(logged("GET", "/api/runs/{id}/events", 200), "{log}");
    assert!(
        lines.iter().any(|line| line["fields"]["code"] == 401
            && line["fields"]["status"] == "failed"
            && line["fields"]["error"] == "unauthorized"),
        "{log}"
    );
    #[cfg(unix)]
    assert_eq!(mode(&log_path), 0o600);

    // The data directory: the database (with its WAL) and every text file.
    let data = console.running.state().data_dir().to_path_buf();
    let mut files = Vec::new();
    files_under(&data, &mut files);
    let mut searched_files = 0;
    for path in &files {
        if path
            .extension()
            .is_some_and(|ext| ext == "xlsx" || ext == "iso")
        {
            #[cfg(unix)]
            if path.extension().is_some_and(|ext| ext == "xlsx")
                && path.starts_with(data.join("plans"))
            {
                assert_eq!(mode(path), 0o600, "{}", path.display());
            }
            continue;
        }
        let bytes = std::fs::read(path).expect("readable");
        answers.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
        searched_files += 1;
    }
    assert!(searched_files >= 8, "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("console.db")));
    #[cfg(unix)]
    {
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("runs").join(&rehearsal)), 0o700);
        assert_eq!(mode(&data.join("console.db")), 0o600);
        let wal = data.join("console.db-wal");
        if wal.exists() {
            assert_eq!(mode(&wal), 0o600);
        }
    }

    for (what, text) in &answers {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} holds a secret ({} characters)",
                secret.len()
            );
        }
    }
}
