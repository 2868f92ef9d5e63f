//! Just enough W3C WebDriver to drive headless Chromium from the browser
//! test: start `chromedriver` on a free loopback port, open a session, find
//! elements, type, click, run a script, take a screenshot. WebDriver is JSON
//! over HTTP, so this is a few calls on the workspace's reqwest rather than
//! a client crate and its dependency tree.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use serde_json::{Value, json};

/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// `name` on `PATH`, or a message that says what to install.
pub fn find_program(name: &str) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            anyhow!(
                "`{name}` is not on PATH: the browser test needs Debian's `chromium` and \
                 `chromium-driver` (apt-get install chromium chromium-driver; .ci/run installs them)"
            )
        })
}

/// A running `chromedriver`, killed with its browsers when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl ChromeDriver {
    /// Starts chromedriver on a loopback port and waits (polling `/status`,
    /// with a deadline) until it accepts sessions. A driver that ends
    /// before it answers (its port taken in the instant after it was
    /// chosen: the browser tests start theirs side by side) is started
    /// again on another port, up to three times.
    pub async fn start() -> Result<Self> {
        let program = find_program("chromedriver")?;
        let mut last = String::new();
        for _ in 0..3 {
            let mut driver = Self::spawn(&program)?;
            match driver.ready().await {
                Ok(()) => return Ok(driver),
                Err(why) => last = why,
            }
        }
        bail!("chromedriver did not start: {last}")
    }

    fn spawn(program: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context("choosing a loopback port for chromedriver")?
            .port();
        let mut command = Command::new(program);
        command
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group: dropping the driver ends the browsers it
        // started too, even when the test fails half way.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()?,
        })
    }

    /// Polls `/status` until ready; why not, when it ended or the deadline
    /// passed (a loaded machine: 60 s).
    async fn ready(&mut self) -> std::result::Result<(), String> {
        let (child, http, base) = (&mut self.child, &self.http, &self.base);
        let ready = smtx_testkit::poll_until(Duration::from_secs(60), || {
            let ended = child.try_wait().ok().flatten();
            async move {
                if let Some(status) = ended {
                    return Some(Err(format!("it ended ({status})")));
                }
                let answer = http.get(format!("{base}/status")).send().await.ok()?;
                let status: Value = answer.json().await.ok()?;
                status["value"]["ready"]
                    .as_bool()
                    .filter(|ready| *ready)
                    .map(|_| Ok(()))
            }
        })
        .await;
        match ready {
            Some(result) => result,
            None => Err(format!("no answer on {} within 60 s", self.base)),
        }
    }

    /// A headless Chromium session with the options the test runs under.
    pub async fn session(&self, profile: &Path, download_dir: &Path) -> Result<Session> {
        self.session_with(profile, download_dir, &[]).await
    }

    /// [`Self::session`] with more Chromium flags (a pinned certificate).
    pub async fn session_with(
        &self,
        profile: &Path,
        download_dir: &Path,
        extra: &[String],
    ) -> Result<Session> {
        let browser = find_program("chromium")?;
        let mut args = vec![
            "--no-sandbox".to_string(),
            "--headless=new".to_string(),
            "--disable-gpu".to_string(),
            "--window-size=1366,900".to_string(),
            "--lang=en-US".to_string(),
            "--no-first-run".to_string(),
            "--disable-dev-shm-usage".to_string(),
            "--disable-background-networking".to_string(),
            "--disable-component-update".to_string(),
            "--disable-sync".to_string(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra.iter().cloned());
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": browser,
                        "args": args,
                        "prefs": {
                            "intl.accept_languages": "en-US,en",
                            "download.default_directory": download_dir,
                            "download.prompt_for_download": false,
                        },
                    },
                },
            },
        });
        let answer = self
            .http
            .post(format!("{}/session", self.base))
            .json(&capabilities)
            .send()
            .await
            .context("creating a WebDriver session")?;
        let value = unwrap_value(answer).await?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no sessionId in {value}"))?;
        Ok(Session {
            http: self.http.clone(),
            url: format!("{}/session/{id}", self.base),
        })
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        // The whole group (chromedriver and every chromium it started), by
        // the id of the process this test spawned.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// WebDriver answers `{"value": …}`; an error is `{"value": {"error", "message"}}`.
async fn unwrap_value(answer: reqwest::Response) -> Result<Value> {
    let status = answer.status();
    let body: Value = answer
        .json()
        .await
        .context("WebDriver answer is not JSON")?;
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "WebDriver {status}: {} — {}",
            value["error"].as_str().unwrap_or("?"),
            value["message"]
                .as_str()
                .unwrap_or("?")
                .lines()
                .next()
                .unwrap_or("")
        );
    }
    Ok(value)
}

/// One browser session.
#[derive(Debug)]
pub struct Session {
    http: reqwest::Client,
    url: String,
}

/// A reference to an element of the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    async fn post(&self, path: &str, body: Value) -> Result<Value> {
        let answer = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("WebDriver POST {path}"))?;
        unwrap_value(answer)
            .await
            .with_context(|| format!("WebDriver POST {path}"))
    }

    async fn get(&self, path: &str) -> Result<Value> {
        let answer = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .with_context(|| format!("WebDriver GET {path}"))?;
        unwrap_value(answer)
            .await
            .with_context(|| format!("WebDriver GET {path}"))
    }

    pub async fn goto(&self, url: &str) -> Result<()> {
        self.post("/url", json!({ "url": url })).await.map(drop)
    }

    /// The first element matching a CSS selector, now (no waiting).
    pub async fn find(&self, css: &str) -> Result<Element> {
        let value = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .await
            .with_context(|| format!("finding `{css}`"))?;
        value[ELEMENT_KEY]
            .as_str()
            .map(|id| Element(id.to_string()))
            .ok_or_else(|| anyhow!("no element reference for `{css}` in {value}"))
    }

    pub async fn click(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/click", element.0), json!({}))
            .await
            .map(drop)
    }

    /// Empties an input.
    pub async fn clear(&self, element: &Element) -> Result<()> {
        self.post(&format!("/element/{}/clear", element.0), json!({}))
            .await
            .map(drop)
    }

    /// Types `text` into the element; for a file input, `text` is the path.
    pub async fn send_keys(&self, element: &Element, text: &str) -> Result<()> {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await
        .map(drop)
    }

    /// Runs `script` (a function body; `arguments` are `args`) and returns
    /// what it returns.
    pub async fn execute(&self, script: &str, args: Value) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .await
    }

    /// Resizes the browser window (a screenshot shows the window).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.post("/window/rect", json!({ "width": width, "height": height }))
            .await
            .map(drop)
    }

    /// The page as PNG bytes.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        let value = self.get("/screenshot").await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| anyhow!("screenshot is not a string"))?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .context("screenshot is not base64")
    }

    /// Ends the session (closes the browser).
    pub async fn close(self) -> Result<()> {
        let answer = self
            .http
            .delete(&self.url)
            .send()
            .await
            .context("WebDriver DELETE session")?;
        unwrap_value(answer).await.map(drop)
    }
}
