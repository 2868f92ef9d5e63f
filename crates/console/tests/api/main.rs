//! The console's API in process: a console bound to 127.0.0.1:0 with its
//! own data directory, driven with an HTTP client as a script (or the page)
//! would. Rehearsals run against the in-process simulator the console
//! starts; nothing leaves loopback.

mod fleet;
mod hostile;
mod leak;
mod live;
mod plans;
mod prune;
mod restart;
mod runs;
mod server_files;
mod site;
mod sse;
mod token;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use smtx_console::{RunningConsole, ServeOptions};
use smtx_secret::Secret;

/// Long enough for a loaded 2-core machine; a stuck run fails the test.
pub const DEADLINE: Duration = Duration::from_secs(120);

pub fn template_path() -> PathBuf {
    smtx_testkit::shared_reference_dir()
        .join("workbook")
        .join("SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

pub fn template_bytes() -> Vec<u8> {
    std::fs::read(template_path()).expect("the real template is in ../shared")
}

#[derive(Debug)]
pub struct Console {
    pub base: String,
    pub client: reqwest::Client,
    pub running: RunningConsole,
    pub token: Option<String>,
    /// The temporary directory the data directory is in, when the console
    /// made it.
    pub dir: Option<tempfile::TempDir>,
}

impl Console {
    pub async fn start() -> Self {
        Self::start_with(None, None).await
    }

    /// A console on loopback (or `listen`), with `token` if given, in a
    /// new temporary data directory.
    pub async fn start_with(listen: Option<SocketAddr>, token: Option<&str>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, listen, token).await
    }

    pub async fn start_in(
        dir: tempfile::TempDir,
        listen: Option<SocketAddr>,
        token: Option<&str>,
    ) -> Self {
        let mut console = Self::start_at(dir.path().join("data"), listen, token).await;
        console.dir = Some(dir);
        console
    }

    /// A console on the data directory `data_dir` (kept after it ends).
    pub async fn start_at(
        data_dir: PathBuf,
        listen: Option<SocketAddr>,
        token: Option<&str>,
    ) -> Self {
        Self::start_serving(ServeOptions {
            listen: listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0))),
            data_dir,
            token: token.map(Secret::new),
            iso_dir: None,
            named_tokens: Default::default(),
            tls: None,
            keep: Default::default(),
        })
        .await
    }

    /// A loopback console offering the ISOs of `iso_dir` (`serve --iso-dir`).
    pub async fn start_with_iso_dir(iso_dir: PathBuf) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut console = Self::start_serving(ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: dir.path().join("data"),
            token: None,
            iso_dir: Some(iso_dir),
            named_tokens: Default::default(),
            tls: None,
            keep: Default::default(),
        })
        .await;
        console.dir = Some(dir);
        console
    }

    pub async fn start_serving(options: ServeOptions) -> Self {
        let token = options.token.as_ref().map(|t| t.expose().to_string());
        let running = smtx_console::start(options)
            .await
            .expect("the console starts");
        let port = running.addr().port();
        let token = token.or_else(|| running.generated_token().map(|t| t.expose().to_string()));
        Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
            running,
            token,
            dir: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authorize(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let answer = self
            .authorize(self.client.get(self.url(path)))
            .send()
            .await
            .expect("GET answers");
        let status = answer.status();
        let text = answer.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get_bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let answer = self
            .authorize(self.client.get(self.url(path)))
            .send()
            .await
            .expect("GET answers");
        let status = answer.status();
        (status, answer.bytes().await.expect("body").to_vec())
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let answer = self
            .authorize(self.client.post(self.url(path)).json(&body))
            .send()
            .await
            .expect("POST answers");
        let status = answer.status();
        let text = answer.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn upload(&self, bytes: Vec<u8>, name: &str) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
        let form = reqwest::multipart::Form::new().part("workbook", part);
        let answer = self
            .authorize(self.client.post(self.url("/api/plans")).multipart(form))
            .send()
            .await
            .expect("upload answers");
        let status = answer.status();
        let text = answer.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Uploads the real template; its plan id.
    pub async fn template_plan(&self) -> String {
        let (status, plan) = self.upload(template_bytes(), "template.xlsx").await;
        // OK: uploaded before, the plan already kept.
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}: {plan}"
        );
        plan["id"].as_str().expect("id").to_string()
    }

    /// Starts a rehearsal of `plan`; its run id.
    pub async fn rehearse(&self, plan: &str, options: Value) -> String {
        let (status, run) = self
            .post(
                "/api/runs",
                json!({ "plan_id": plan, "target": { "rehearsal": options } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{run}");
        run["id"].as_str().expect("id").to_string()
    }

    /// Polls the run until `until` holds for it; the run.
    pub async fn wait_run(&self, id: &str, what: &str, until: impl Fn(&Value) -> bool) -> Value {
        let path = format!("/api/runs/{id}");
        let last = std::cell::RefCell::new(Value::Null);
        let found = smtx_testkit::poll_until(DEADLINE, || {
            let last = &last;
            let path = &path;
            let until = &until;
            async move {
                let (_, run) = self.get(path).await;
                let done = until(&run);
                last.replace(run.clone());
                done.then_some(run)
            }
        })
        .await;
        match found {
            Some(run) => run,
            None => panic!("run {id}: never {what}; last: {:#}", last.borrow()),
        }
    }

    pub async fn wait_end(&self, id: &str) -> Value {
        self.wait_run(id, "ended", |run| {
            matches!(
                run["status"].as_str(),
                Some("ok" | "warning" | "failed" | "aborted" | "interrupted")
            )
        })
        .await
    }

    /// The whole event stream of run `id`, until it closes.
    pub async fn events(&self, id: &str) -> Vec<SseEvent> {
        let answer = self
            .authorize(self.client.get(self.url(&format!("/api/runs/{id}/events"))))
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(
            answer
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/event-stream"))
        );
        let text = tokio::time::timeout(DEADLINE, answer.text())
            .await
            .expect("the stream ends")
            .expect("the stream reads");
        parse_sse(&text)
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: i64,
    pub event: String,
    pub data: Value,
}

pub fn parse_sse(text: &str) -> Vec<SseEvent> {
    let mut events = Vec::new();
    for block in text.split("\n\n") {
        let mut id = None;
        let mut event = None;
        let mut data = String::new();
        for line in block.lines() {
            if let Some(value) = line.strip_prefix("id:") {
                id = value.trim().parse().ok();
            } else if let Some(value) = line.strip_prefix("event:") {
                event = Some(value.trim().to_string());
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
        }
        if let (Some(id), Some(event)) = (id, event) {
            let data = serde_json::from_str(&data).expect("event data is JSON");
            events.push(SseEvent { id, event, data });
        }
    }
    events
}
