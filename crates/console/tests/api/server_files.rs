//! Issue 21: a console user cannot make the server read, send or overwrite
//! its own files. A target names no path of the server; the VMTools ISO is
//! one the console offers (uploaded through it, or from `--iso-dir`); a
//! link planted in a run directory is neither listed nor served.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use smtx_testkit::SimOptions;

use crate::Console;

/// A 0644 file with contents of its own, standing in for `/etc/shadow` or
/// `~/.ssh/known_hosts`: what it holds and how it is set must not change.
struct StandIn {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
}

impl StandIn {
    fn new(dir: &std::path::Path, name: &str) -> Self {
        let path = dir.join(name);
        let bytes = format!("stand-in secret of {name}\n")
            .repeat(300)
            .into_bytes();
        std::fs::write(&path, &bytes).expect("written");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        Self { path, bytes }
    }

    fn unchanged(&self) {
        assert_eq!(
            std::fs::read(&self.path).expect("still there"),
            self.bytes,
            "{} was written",
            self.path.display()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .expect("still there")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644, "{} changed mode", self.path.display());
        }
    }
}

/// The `settings` of a target that reaches `sim` (any cluster at the
/// workbook's addresses), as a site fills them in: overrides, its CA as PEM.
pub fn settings_for(sim: &smtx_testkit::RunningSim) -> Value {
    let mut http: Vec<String> = sim
        .nodes()
        .iter()
        .map(|node| format!("{}={}", node.workbook_ip, node.http))
        .collect();
    let mut ssh: Vec<String> = sim
        .nodes()
        .iter()
        .filter_map(|node| node.ssh.map(|ssh| format!("{}={ssh}", node.workbook_ip)))
        .collect();
    if let Some(vip) = sim.vip() {
        http.push(format!("{}={}", vip.workbook_ip, vip.http));
        if let Some(vip_ssh) = vip.ssh {
            ssh.push(format!("{}={vip_ssh}", vip.workbook_ip));
        }
    }
    json!({
        "api": {
            "base_url": format!("https://{}", sim.nodes()[0].workbook_ip),
            "resolve": http,
            "ca_cert_pem": sim.ca_cert_pem().expect("a CA"),
        },
        "ssh": { "resolve": ssh },
    })
}

async fn fixture_plan(console: &Console) -> String {
    let (_dir, fixture) = smtx_testkit::fixture_workbook(2);
    let bytes = std::fs::read(&fixture).expect("fixture");
    let (status, plan) = console.upload(bytes, "site.xlsx").await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan["id"].as_str().expect("id").to_string()
}

/// Every path-valued key of the settings file is refused by its label and
/// key, before anything is read or written: the stand-in files keep their
/// bytes and mode, the cluster gets no image and no call, no run is made.
#[tokio::test(flavor = "multi_thread")]
async fn a_target_naming_a_server_file_is_refused_and_touches_nothing() {
    let sim = smtx_testkit::start_sim_for_fixture(2, SimOptions::default()).await;
    let console = Console::start().await;
    let plan = fixture_plan(&console).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = StandIn::new(dir.path(), "shadow");
    let hosts = StandIn::new(dir.path(), "known_hosts");
    let missing = dir.path().join("no-such-file.pem");
    let base = settings_for(&sim);
    let with = |pointer: &[&str], value: Value| {
        let mut settings = base.clone();
        let (last, parents) = pointer.split_last().expect("a key");
        let mut at = &mut settings;
        for key in parents {
            at = &mut at[*key];
        }
        at[*last] = value;
        settings
    };
    let cases = [
        (
            with(&["vmtools", "iso"], json!(secret.path)),
            ("VMTools ISO path", "vmtools.iso"),
        ),
        (
            with(
                &["vmtools"],
                json!({ "iso": secret.path, "force_upload": true }),
            ),
            ("VMTools ISO path", "vmtools.iso"),
        ),
        (
            with(&["ssh", "known_hosts"], json!(hosts.path)),
            ("SSH known_hosts file", "ssh.known_hosts"),
        ),
        (
            with(&["api", "ca_cert"], json!(secret.path)),
            ("CA certificate file", "api.ca_cert"),
        ),
        // The answer is the same for a file that does not exist and for a
        // directory: it tells nothing of what is on the server.
        (
            with(&["api", "ca_cert"], json!(missing)),
            ("CA certificate file", "api.ca_cert"),
        ),
        (
            with(&["api", "ca_cert"], json!(dir.path())),
            ("CA certificate file", "api.ca_cert"),
        ),
    ];
    let mut answers = Vec::new();
    for (settings, (label, key)) in cases {
        let (status, answer) = console
            .post(
                "/api/runs",
                json!({ "plan_id": plan, "target": { "settings": settings } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "server_path", "{answer}");
        let en = answer["error"]["message"]["en"]
            .as_str()
            .unwrap_or_default();
        let zh = answer["error"]["message"]["zh-CN"]
            .as_str()
            .unwrap_or_default();
        assert!(en.starts_with(label), "{en}");
        assert!(zh.contains("控制台不接受"), "{zh}");
        // The page names the field by its label; a script gets the key.
        assert_eq!(answer["error"]["field"], key, "{answer}");
        assert!(!en.contains(key) && !zh.contains(key), "{en} / {zh}");
        assert!(!en.contains(dir.path().to_string_lossy().as_ref()), "{en}");
        answers.push(answer);
    }
    let ca_answers: Vec<&Value> = answers[3..].iter().collect();
    assert!(
        ca_answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{ca_answers:?}"
    );
    secret.unchanged();
    hosts.unchanged();
    let state = sim.state();
    assert_eq!(state["images"], json!([]), "an image reached the cluster");
    let (_, runs) = console.get("/api/runs").await;
    assert_eq!(runs, json!([]), "a refused request made a run");
    sim.shutdown().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A stand-in ISO: not zeros, a few chunks' worth.
fn iso_bytes(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|index| (index as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn upload_iso(console: &Console, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    let form = reqwest::multipart::Form::new().part("iso", part);
    let answer = console
        .client
        .post(console.url("/api/isos"))
        .multipart(form)
        .send()
        .await
        .expect("answers");
    let status = answer.status();
    (status, answer.json().await.expect("json"))
}

/// Runs `plan` against `sim` with the ISO `iso_id`; the image the cluster
/// got.
async fn run_with_iso(
    console: &Console,
    sim: &smtx_testkit::RunningSim,
    plan: &str,
    iso_id: &str,
) -> Value {
    let mut settings = settings_for(sim);
    settings["vmtools"] = json!({ "iso_id": iso_id, "force_upload": true });
    settings["ssh"]["rotate_host_passwords"] = json!(false);
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
    let upload = run["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|step| step["action"] == "vmtools_upload"))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(upload["status"], "ok", "{run:#}");
    let state = sim.state();
    state["images"]
        .as_array()
        .and_then(|images| images.iter().rev().find(|image| image["complete"] == true))
        .cloned()
        .unwrap_or_else(|| panic!("no complete image: {state:#}"))
}

/// An ISO uploaded through the console and one picked from `--iso-dir`
/// both reach the cluster whole (the cluster's SHA-256 is the file's); the
/// same upload twice is kept once.
#[tokio::test(flavor = "multi_thread")]
async fn isos_uploaded_or_from_the_iso_dir_reach_the_cluster_whole() {
    let sim = smtx_testkit::start_sim_for_fixture(2, SimOptions::default()).await;
    let isos = tempfile::tempdir().expect("tempdir");
    let from_dir = iso_bytes(7, 3 * 1024 * 1024 + 123);
    std::fs::write(isos.path().join("SMTX_VMTOOLS-9.9.9.iso"), &from_dir).expect("written");
    std::fs::write(isos.path().join("notes.txt"), b"not an ISO").expect("written");
    let console = Console::start_with_iso_dir(isos.path().to_path_buf()).await;
    let plan = fixture_plan(&console).await;

    let uploaded = iso_bytes(3, 2 * 1024 * 1024 + 77);
    let (status, iso) = upload_iso(&console, uploaded.clone(), "SMTX_VMTOOLS-3.2.1.iso").await;
    assert_eq!(status, StatusCode::CREATED, "{iso}");
    assert_eq!(iso["sha256"], sha256_hex(&uploaded));
    assert_eq!(iso["name"], "SMTX_VMTOOLS-3.2.1.iso");
    assert_eq!(iso["size"], uploaded.len());
    let upload_id = iso["id"].as_str().expect("id").to_string();
    // The same bytes again (another name): the same ISO, kept once.
    let (status, again) = upload_iso(&console, uploaded.clone(), "copy.iso").await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["id"], upload_id.as_str());
    let kept = std::fs::read_dir(console.running.state().data_dir().join("isos"))
        .expect("isos")
        .count();
    assert_eq!(kept, 1);
    // Not an ISO's name: refused.
    let (status, answer) = upload_iso(&console, b"x".to_vec(), "shadow").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "not_an_iso");

    let (status, list) = console.get("/api/isos").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["iso_dir"], true);
    let ids: Vec<&str> = list["isos"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|iso| iso["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [upload_id.as_str(), "dir/SMTX_VMTOOLS-9.9.9.iso"],
        "{list:#}"
    );
    assert!(
        !list
            .to_string()
            .contains(isos.path().to_string_lossy().as_ref()),
        "the server's path is not shown: {list}"
    );

    let image = run_with_iso(&console, &sim, &plan, &upload_id).await;
    assert_eq!(image["name"], "SMTX_VMTOOLS-3.2.1.iso");
    assert_eq!(image["sha256"], sha256_hex(&uploaded));
    let image = run_with_iso(&console, &sim, &plan, "dir/SMTX_VMTOOLS-9.9.9.iso").await;
    assert_eq!(image["name"], "SMTX_VMTOOLS-9.9.9.iso");
    assert_eq!(image["sha256"], sha256_hex(&from_dir));
    sim.shutdown().await;
}

/// A name that climbs out of `--iso-dir`, a link that leaves it, a file
/// that is no ISO, an id of no shape: one refusal, whatever exists.
#[tokio::test(flavor = "multi_thread")]
async fn an_iso_outside_what_the_console_offers_is_refused() {
    let sim = smtx_testkit::start_sim_for_fixture(2, SimOptions::default()).await;
    let root = tempfile::tempdir().expect("tempdir");
    let isos = root.path().join("isos");
    std::fs::create_dir(&isos).expect("mkdir");
    let secret = StandIn::new(root.path(), "secret.iso");
    std::fs::write(isos.join("inside.iso"), b"inside").expect("written");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret.path, isos.join("leaves.iso")).expect("symlink");
        std::os::unix::fs::symlink(isos.join("inside.iso"), isos.join("stays.iso"))
            .expect("symlink");
    }
    let console = Console::start_with_iso_dir(isos.clone()).await;
    let plan = fixture_plan(&console).await;
    let refused = [
        "dir/../secret.iso",
        "dir/leaves.iso",
        "dir/..",
        "dir/sub/inside.iso",
        "dir/",
        "dir/missing.iso",
        "upload/../../isos",
        "upload/0123",
        "/etc/shadow",
        "secret.iso",
    ];
    let mut messages = std::collections::BTreeSet::new();
    for id in refused {
        let mut settings = settings_for(&sim);
        settings["vmtools"] = json!({ "iso_id": id, "force_upload": true });
        let (status, answer) = console
            .post(
                "/api/runs",
                json!({ "plan_id": plan, "target": { "settings": settings } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}: {answer}");
        assert_eq!(answer["error"]["code"], "unknown_iso", "{id}: {answer}");
        messages.insert(
            answer["error"]["message"]["en"]
                .as_str()
                .unwrap_or_default()
                .replace(id, "ID"),
        );
        // A rehearsal picks from the same shelf.
        let (status, answer) = console
            .post(
                "/api/runs",
                json!({ "plan_id": plan, "target": { "rehearsal": { "iso_id": id } } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{id}: {answer}");
        assert_eq!(answer["error"]["code"], "unknown_iso", "{id}: {answer}");
    }
    assert_eq!(messages.len(), 1, "{messages:?}");
    secret.unchanged();
    assert_eq!(sim.state()["images"], json!([]));
    let (_, list) = console.get("/api/isos").await;
    let ids: Vec<&str> = list["isos"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|iso| iso["id"].as_str())
        .collect();
    #[cfg(unix)]
    assert_eq!(ids, ["dir/inside.iso", "dir/stays.iso"], "{list:#}");
    sim.shutdown().await;
}

/// A link planted in a run's directory (over its report, in its logs) is
/// not listed and answers 404: the console serves what the run wrote.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_link_planted_in_a_run_directory_is_not_served() {
    let console = Console::start().await;
    let plan = console.template_plan().await;
    let id = console.rehearse(&plan, json!({ "iso_mib": 0 })).await;
    let run = console.wait_end(&id).await;
    assert_eq!(run["status"], "warning", "no ISO: {run:#}");
    let files: Vec<String> = run["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|name| name.as_str().map(str::to_string))
        .collect();
    assert!(files.contains(&"report.json".to_string()), "{files:?}");
    let log = files
        .iter()
        .find(|name| name.starts_with("logs/"))
        .expect("a log")
        .clone();
    let outside = tempfile::tempdir().expect("tempdir");
    let secret = StandIn::new(outside.path(), "secret");
    let run_dir = console.running.state().data_dir().join("runs").join(&id);
    for name in ["report.json", log.as_str()] {
        let path = run_dir.join(name);
        std::fs::remove_file(&path).expect("removed");
        std::os::unix::fs::symlink(&secret.path, &path).expect("symlink");
    }
    let (_, run) = console.get(&format!("/api/runs/{id}")).await;
    let listed = run["files"].to_string();
    assert!(
        !listed.contains("report.json") && !listed.contains(&log),
        "{listed}"
    );
    for name in ["report.json", log.as_str()] {
        let (status, body) = console
            .get_bytes(&format!("/api/runs/{id}/files/{name}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
        assert!(!String::from_utf8_lossy(&body).contains("stand-in secret"));
    }
    // The whole logs folder swapped for a link: nothing in it is listed.
    let logs = run_dir.join("logs");
    std::fs::remove_dir_all(&logs).expect("removed");
    let elsewhere = outside.path().join("logs");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    std::fs::write(elsewhere.join(log.trim_start_matches("logs/")), b"{}\n").expect("written");
    std::os::unix::fs::symlink(&elsewhere, &logs).expect("symlink");
    let (_, run) = console.get(&format!("/api/runs/{id}")).await;
    assert!(
        !run["files"].to_string().contains("logs/"),
        "{}",
        run["files"]
    );
    let (status, _) = console
        .get_bytes(&format!("/api/runs/{id}/files/{log}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    secret.unchanged();
}
