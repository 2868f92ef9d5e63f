//! The console in a real browser: headless Chromium driven over WebDriver
//! (chromedriver) against a console started in this process on loopback.
//! It does what a delivery engineer does — upload the real template, read
//! the summary, start a rehearsal, watch the steps and the upload bar, fetch
//! the report, switch to Chinese, abort a slow rehearsal — and checks what
//! the page shows. It fails (never skips) when Chromium or chromedriver is
//! missing: CI installs them (`.ci/run`).
//!
//! `SMTX_SCREENSHOT=docs/console.png` (relative to the repository root)
//! saves the finished run's page as the README's picture;
//! `SMTX_SCREENSHOT_ZH=DIR` saves the run and plan pages in Chinese there
//! (`run-zh.png`, `plan-zh.png`).

#[path = "browser/webdriver.rs"]
mod webdriver;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail, ensure};
use serde_json::{Value, json};
use webdriver::{ChromeDriver, Session};

/// Long enough for a 2-core CI machine building in parallel, short enough
/// that a stuck page fails the test instead of hanging it.
const DEADLINE: Duration = Duration::from_secs(120);

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

fn real_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

/// The console, in process, on 127.0.0.1:0 with its own data directory
/// (and a token, if given).
async fn start_console(
    data_dir: &Path,
    token: Option<&str>,
) -> Result<smtx_console::RunningConsole> {
    let options = smtx_console::ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.to_path_buf(),
        token: token.map(smtx_secret::Secret::new),
        iso_dir: None,
        named_tokens: Default::default(),
        tls: None,
        keep: Default::default(),
    };
    smtx_console::start(options)
        .await
        .context("starting the console on 127.0.0.1:0")
}

/// Polls `script` in the page until it returns something other than
/// null/false, or fails after [`DEADLINE`] naming what it waited for and
/// what the page last said.
async fn wait_for(browser: &Session, what: &str, script: &str) -> Result<Value> {
    let last = std::sync::Mutex::new(Value::Null);
    let found = smtx_testkit::poll_until(DEADLINE, || {
        let last = &last;
        async move {
            let answer = match browser.execute(script, json!([])).await {
                Ok(value) if !value.is_null() && value != Value::Bool(false) => return Some(value),
                Ok(value) => value,
                Err(error) => Value::String(error.to_string()),
            };
            if let Ok(mut last) = last.lock() {
                *last = answer;
            }
            None
        }
    })
    .await;
    let last = last.lock().map(|last| last.clone()).unwrap_or_default();
    match found {
        Some(value) => Ok(value),
        None => {
            let page = browser
                .execute(
                    "return document.getElementById('view')?.innerText?.slice(0, 2000) ?? ''",
                    json!([]),
                )
                .await
                .unwrap_or_default();
            bail!("timed out waiting for {what}; last answer {last}; the page shows:\n{page}")
        }
    }
}

async fn text_of(browser: &Session, css: &str) -> Result<String> {
    let value = browser
        .execute(
            "const node = document.querySelector(arguments[0]); return node ? node.textContent : null;",
            json!([css]),
        )
        .await?;
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no element `{css}` on the page"))
}

/// Chooses `path` in the page's workbook picker, as a user does; the page
/// uploads it. The picker is built by the page's script, so it is waited
/// for: right after a navigation it may not be there yet.
async fn choose_workbook(browser: &Session, path: &std::path::Path) -> Result<()> {
    wait_for(
        browser,
        "the workbook picker",
        "return document.getElementById('workbook-input') !== null",
    )
    .await?;
    let input = browser.find("#workbook-input").await?;
    browser.send_keys(&input, &path.to_string_lossy()).await
}

async fn click(browser: &Session, css: &str) -> Result<()> {
    let element = browser.find(css).await?;
    browser
        .click(&element)
        .await
        .with_context(|| format!("clicking `{css}`"))
}

/// Records, from now on, every percentage the upload bar shows and every
/// status a step row takes: the page is one document across its views, so
/// the observer sees the run page being built live, however fast events
/// arrive (a poll from the test could fall between two of them).
const RECORDER: &str = r#"
window.__seen = { percents: [], stepStatuses: [], stepCounts: [] };
const record = () => {
  const percent = document.getElementById('transfer-percent');
  if (percent && !document.getElementById('transfer').hidden) {
    const text = percent.textContent;
    const seen = window.__seen.percents;
    if (seen[seen.length - 1] !== text) seen.push(text);
  }
  const rows = document.querySelectorAll('.step-row');
  const counts = window.__seen.stepCounts;
  if (counts[counts.length - 1] !== rows.length) counts.push(rows.length);
  for (const row of rows) {
    if (!window.__seen.stepStatuses.includes(row.dataset.status)) {
      window.__seen.stepStatuses.push(row.dataset.status);
    }
  }
};
new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
return true;
"#;

async fn api_get(http: &reqwest::Client, base: &str, path: &str) -> Result<Value> {
    let answer = http
        .get(format!("{base}{path}"))
        .send()
        .await
        .with_context(|| format!("GET {path}"))?;
    ensure!(
        answer.status().is_success(),
        "GET {path}: {}",
        answer.status()
    );
    answer
        .json()
        .await
        .with_context(|| format!("GET {path}: not JSON"))
}

/// Issue 20: the console for a team, over HTTPS with the certificate it
/// made itself, in a browser that trusts that certificate alone (its key
/// pinned with `--ignore-certificate-errors-spki-list`, as an engineer
/// would compare the fingerprint `serve` prints): the page, the API under
/// the https origin and the event stream carry a rehearsal to its end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_over_https_with_its_self_signed_certificate() -> Result<()> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let driver = ChromeDriver::start().await?;
    let data_dir = tempfile::tempdir()?;
    let console = smtx_console::start(smtx_console::ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: data_dir.path().to_path_buf(),
        token: None,
        iso_dir: None,
        named_tokens: Default::default(),
        tls: Some(smtx_console::TlsSource::SelfSigned),
        keep: Default::default(),
    })
    .await
    .context("starting the console over HTTPS")?;
    let key = std::fs::read_to_string(data_dir.path().join("tls/self-signed.key"))?;
    let key = rcgen::KeyPair::from_pem(&key)?;
    let pin = base64::engine::general_purpose::STANDARD
        .encode(sha2::Sha256::digest(key.public_key_der()));
    let profile = tempfile::tempdir()?;
    let downloads = tempfile::tempdir()?;
    let browser = driver
        .session_with(
            profile.path(),
            downloads.path(),
            &[format!("--ignore-certificate-errors-spki-list={pin}")],
        )
        .await?;
    let base = format!("https://127.0.0.1:{}", console.addr().port());
    let outcome = async {
        browser.goto(&format!("{base}/?upload#/")).await?;
        wait_for(
            &browser,
            "the page over HTTPS (not a certificate warning)",
            "return document.getElementById('workbook-input') !== null",
        )
        .await?;
        choose_workbook(&browser, &real_template().canonicalize()?).await?;
        wait_for(
            &browser,
            "the plan over HTTPS",
            "return document.getElementById('start-run') !== null && location.protocol === 'https:'",
        )
        .await?;
        click(&browser, "#start-run").await?;
        wait_for(
            &browser,
            "the rehearsal to end, followed over the event stream",
            "const s = document.getElementById('run-status')?.dataset.status; \
             return ['ok', 'warning'].includes(s) && document.querySelectorAll('.step-row').length > 20;",
        )
        .await?;
        Ok::<(), anyhow::Error>(())
    }
    .await;
    let closed = browser.close().await;
    console.shutdown().await;
    outcome?;
    closed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_in_a_real_browser() -> Result<()> {
    let driver = ChromeDriver::start().await?;
    let data_dir = tempfile::tempdir()?;
    let console = start_console(data_dir.path(), None).await?;
    let base = format!("http://{}", console.addr());
    let http = reqwest::Client::builder().no_proxy().build()?;
    let profile = tempfile::tempdir()?;
    let downloads = tempfile::tempdir()?;
    let browser = driver.session(profile.path(), downloads.path()).await?;

    let outcome = drive(&browser, &http, &base).await;
    // Close the browser either way; the first error is the one to report.
    let closed = browser.close().await;
    console.shutdown().await;
    outcome?;
    closed
}

async fn drive(browser: &Session, http: &reqwest::Client, base: &str) -> Result<()> {
    browser.goto(&format!("{base}/")).await?;
    wait_for(
        browser,
        "the upload view",
        "return document.getElementById('workbook-input') !== null",
    )
    .await?;
    ensure!(
        text_of(browser, "#nav-runs").await? == "Runs",
        "the page should start in English (the browser says en-US)"
    );

    // 1. Upload the real template through the file input.
    let template = real_template()
        .canonicalize()
        .context("the real template in ../shared/reference/workbook")?;
    choose_workbook(browser, &template).await?;
    wait_for(
        browser,
        "the plan summary",
        "return document.getElementById('plan-summary') !== null",
    )
    .await?;
    let plan_id = wait_for(
        browser,
        "the plan's address",
        "const m = location.hash.match(/^#\\/plans\\/(.+)$/); return m && decodeURIComponent(m[1]);",
    )
    .await?;
    let plan_id = plan_id.as_str().context("plan id")?.to_string();
    let plan = api_get(http, base, &format!("/api/plans/{plan_id}")).await?;
    let cluster = plan["cluster"]["name"]
        .as_str()
        .context("the real template names its cluster")?;
    ensure!(text_of(browser, "#summary-cluster").await? == cluster);
    ensure!(
        text_of(browser, "#summary-vip").await? == plan["cluster"]["vip"].as_str().unwrap_or("?")
    );
    let hosts = plan["hosts"].as_array().map_or(0, Vec::len);
    ensure!(hosts > 0, "the real template has hosts");
    ensure!(text_of(browser, "#summary-hosts").await? == hosts.to_string());
    let shown_hosts = browser
        .execute(
            "return document.querySelectorAll('#hosts-table tbody tr').length",
            json!([]),
        )
        .await?;
    ensure!(
        shown_hosts == json!(hosts),
        "every host in the table: {shown_hosts}"
    );
    // Every diagnostic the server found is a row, with its cell.
    let diagnostics = plan["diagnostics"].as_array().cloned().unwrap_or_default();
    let rows = browser
        .execute(
            "return [...document.querySelectorAll('#diagnostics-table tbody tr')].map(r => r.cells[0].textContent)",
            json!([]),
        )
        .await?;
    let cells: Vec<Value> = diagnostics.iter().map(|d| d["cell"].clone()).collect();
    ensure!(
        rows == Value::Array(cells),
        "diagnostics on the page {rows} differ from the API's {diagnostics:?}"
    );
    ensure!(
        plan["summary"]["errors"] == json!(0),
        "the real template has no errors"
    );

    // 2. Start a rehearsal (the default target) with a little latency, so
    // the upload takes long enough for the bar to be seen between 0 and 100.
    ensure!(
        browser
            .execute(
                "return document.getElementById('target-rehearsal').checked",
                json!([])
            )
            .await?
            == json!(true),
        "rehearsal is the default target"
    );
    let latency = browser.find("#latency-ms").await?;
    browser.send_keys(&latency, "40").await?;
    browser.execute(RECORDER, json!([])).await?;
    click(browser, "#start-run").await?;
    let run_id = wait_for(
        browser,
        "the run page",
        "const m = location.hash.match(/^#\\/runs\\/(.+)$/); return m && document.getElementById('run-status') && decodeURIComponent(m[1]);",
    )
    .await?;
    let run_id = run_id.as_str().context("run id")?.to_string();
    let status = wait_for(
        browser,
        "the rehearsal to end",
        "const s = document.getElementById('run-status')?.dataset.status; return ['ok','warning','failed','aborted'].includes(s) ? s : null;",
    )
    .await?;
    ensure!(
        status == json!("ok"),
        "the rehearsal of the real template ends ok, not {status}"
    );
    let seen = browser.execute("return window.__seen", json!([])).await?;
    eprintln!("seen while the rehearsal ran: {seen}");
    let percents: Vec<u32> = seen["percents"]
        .as_array()
        .context("recorded percentages")?
        .iter()
        .filter_map(|p| p.as_str()?.trim_end_matches('%').parse().ok())
        .collect();
    ensure!(
        percents.iter().any(|p| *p > 0 && *p < 100),
        "the upload bar showed no intermediate percentage: {percents:?}"
    );
    ensure!(
        percents.last() == Some(&100),
        "the bar ends at 100%: {percents:?}"
    );
    let counts = seen["stepCounts"].as_array().map_or(0, Vec::len);
    ensure!(
        counts > 2,
        "steps appeared one by one, not all at once: {seen}"
    );
    let statuses = browser
        .execute(
            "return [...document.querySelectorAll('.step-row')].map(r => r.dataset.status)",
            json!([]),
        )
        .await?;
    let statuses: Vec<String> = serde_json::from_value(statuses)?;
    ensure!(!statuses.is_empty(), "the run page lists its steps");
    ensure!(
        statuses
            .iter()
            .all(|s| s == "ok" || s == "skipped" || s == "warning"),
        "a step that is not ok on the finished page: {statuses:?}"
    );
    ensure!(statuses.iter().any(|s| s == "ok"));
    let summary = text_of(browser, "#run-summary").await?;
    ensure!(
        summary.contains(" ok"),
        "the summary counts the ok steps: {summary}"
    );

    // The report link answers with the run's report.
    // The files are listed once the page has read the finished run back,
    // a moment after the stream's end.
    let href = wait_for(
        browser,
        "the report.json link",
        "return document.getElementById('download-report')?.getAttribute('href') ?? null",
    )
    .await?;
    let href = href.as_str().context("a report.json link")?;
    let answer = http.get(format!("{base}{href}")).send().await?;
    ensure!(
        answer.status() == reqwest::StatusCode::OK,
        "{href}: {}",
        answer.status()
    );
    let report: Value = answer.json().await.context("report.json is JSON")?;
    ensure!(report.is_object(), "report.json: {report}");
    let run = api_get(http, base, &format!("/api/runs/{run_id}")).await?;
    ensure!(run["status"] == json!("ok"));

    // The picture for the README: the finished run, the log open.
    if let Some(target) = std::env::var_os("SMTX_SCREENSHOT") {
        screenshot(browser, &repository_root().join(target)).await?;
    }

    // 3. Chinese: switched by the button, remembered across a reload.
    click(browser, "#lang-switch").await?;
    wait_for(
        browser,
        "Chinese labels",
        "return document.getElementById('nav-runs').textContent === '运行列表' && document.querySelector('#steps-table th:first-child')?.textContent === '步骤'",
    )
    .await?;
    wait_for(
        browser,
        "a step status in Chinese",
        "return [...document.querySelectorAll('.step-row .badge')].some(b => b.textContent.includes('成功'))",
    )
    .await?;
    browser.goto(&format!("{base}/#/runs/{run_id}")).await?;
    wait_for(
        browser,
        "Chinese after a reload",
        "return document.getElementById('run-status')?.textContent.includes('成功') && document.documentElement.lang === 'zh-CN'",
    )
    .await?;
    // Pictures of the Chinese pages (the run, then the plan and its form),
    // for whoever changes their words to look at.
    if let Some(dir) = std::env::var_os("SMTX_SCREENSHOT_ZH") {
        let dir = repository_root().join(dir);
        screenshot(browser, &dir.join("run-zh.png")).await?;
        browser.goto(&format!("{base}/#/plans/{plan_id}")).await?;
        wait_for(
            browser,
            "the plan page in Chinese",
            "return document.getElementById('plan-summary') !== null && document.getElementById('start-run') !== null",
        )
        .await?;
        screenshot(browser, &dir.join("plan-zh.png")).await?;
        browser.goto(&format!("{base}/#/runs/{run_id}")).await?;
        wait_for(
            browser,
            "the run page again",
            "return document.getElementById('run-status')?.dataset.status === 'ok'",
        )
        .await?;
    }
    click(browser, "#lang-switch").await?;
    wait_for(
        browser,
        "English again",
        "return document.getElementById('nav-runs').textContent === 'Runs'",
    )
    .await?;

    // 4. A real cluster with settings the CLI refuses (insecure and a CA):
    // the page shows the refusal and starts nothing.
    browser.goto(&format!("{base}/#/plans/{plan_id}")).await?;
    wait_for(
        browser,
        "the target form",
        "return document.getElementById('start-run') !== null",
    )
    .await?;
    let runs_before = api_get(http, base, "/api/runs").await?;
    click(browser, "#target-real").await?;
    let ca = browser.find("#ca-cert").await?;
    browser
        .send_keys(
            &ca,
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        )
        .await?;
    click(browser, "#insecure").await?;
    click(browser, "#start-run").await?;
    // A real cluster is confirmed first (issue 18); the refusal follows.
    wait_for(
        browser,
        "the confirmation before a real cluster",
        "return document.getElementById('confirm-dialog').open",
    )
    .await?;
    click(browser, "#confirm-ok").await?;
    let refusal = wait_for(
        browser,
        "the refusal",
        "return document.querySelector('#start-status .alert-error')?.textContent || null",
    )
    .await?;
    ensure!(
        refusal
            .as_str()
            .is_some_and(|text| text.contains("insecure")),
        "the page says why: {refusal}"
    );
    ensure!(
        api_get(http, base, "/api/runs").await? == runs_before,
        "a refused run is not started"
    );

    // 5. A slow rehearsal, aborted from the page. The plan's link loaded
    // afresh (the page above is the same address).
    browser
        .goto(&format!("{base}/?again#/plans/{plan_id}"))
        .await?;
    wait_for(
        browser,
        "the target form",
        "return document.getElementById('start-run') !== null && document.getElementById('target-rehearsal').checked",
    )
    .await?;
    let latency = browser.find("#latency-ms").await?;
    browser.send_keys(&latency, "400").await?;
    click(browser, "#start-run").await?;
    let slow_id = wait_for(
        browser,
        "the slow run under way",
        "const m = location.hash.match(/^#\\/runs\\/(.+)$/); const s = document.getElementById('run-status')?.dataset.status; return m && s === 'running' && document.querySelectorAll('.step-row').length > 0 && decodeURIComponent(m[1]);",
    )
    .await?;
    let slow_id = slow_id.as_str().context("slow run id")?.to_string();
    ensure!(slow_id != run_id, "a new run");
    abort_from_page(browser).await?;
    let slow = api_get(http, base, &format!("/api/runs/{slow_id}")).await?;
    ensure!(
        slow["status"] == json!("aborted"),
        "the API agrees: {}",
        slow["status"]
    );

    // Resume it from its page: a new run, from the old one's context.
    click(browser, "#resume-run").await?;
    let resumed = wait_for(
        browser,
        "the resumed run's page",
        &format!(
            "const m = location.hash.match(/^#\\/runs\\/([^/]+)$/); \
             return m && m[1] !== '{slow_id}' && document.getElementById('run-status') && decodeURIComponent(m[1]);"
        ),
    )
    .await?;
    ensure!(resumed.is_string(), "resumed run id: {resumed}");
    // Slow like its origin: stop it too, so the console is idle again.
    abort_from_page(browser).await?;

    // The run list shows the three, newest first.
    browser.goto(&format!("{base}/#/runs")).await?;
    let listed = wait_for(
        browser,
        "the run list",
        "const rows = [...document.querySelectorAll('.run-row')]; return rows.length >= 3 && rows.map(r => r.dataset.status);",
    )
    .await?;
    ensure!(
        listed == json!(["aborted", "aborted", "ok"]),
        "run list statuses: {listed}"
    );

    crafted_workbook_stays_text(browser, base).await
}

/// Abort the run on the page (button, then the confirmation) and wait for
/// the page to show it aborted.
async fn abort_from_page(browser: &Session) -> Result<()> {
    wait_for(
        browser,
        "a run under way",
        "return ['queued', 'running'].includes(document.getElementById('run-status')?.dataset.status) && !document.getElementById('abort-run').hidden",
    )
    .await?;
    click(browser, "#abort-run").await?;
    wait_for(
        browser,
        "the confirmation",
        "return document.getElementById('confirm-dialog').open",
    )
    .await?;
    click(browser, "#confirm-ok").await?;
    wait_for(
        browser,
        "the run to be aborted",
        "return document.getElementById('run-status')?.dataset.status === 'aborted'",
    )
    .await?;
    Ok(())
}

/// A workbook whose cells hold markup: the page shows the characters, and
/// no element or script comes out of them.
async fn crafted_workbook_stays_text(browser: &Session, base: &str) -> Result<()> {
    const NAME: &str = "<img src=x onerror=\"window.__injected=1\">";
    const VIP: &str = "<script>window.__injected=2</script>";
    let template = std::fs::read(real_template()).context("reading the real template")?;
    let crafted = smtx_plan::fixture::edit_cells(
        &template,
        &[("虚拟网络!B3", Some(NAME)), ("主机规划!I19", Some(VIP))],
    )?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("crafted.xlsx");
    std::fs::write(&path, crafted)?;

    browser.goto(&format!("{base}/#/")).await?;
    choose_workbook(browser, &path).await?;
    wait_for(
        browser,
        "the crafted plan's summary",
        "return document.getElementById('plan-summary') !== null && location.hash.startsWith('#/plans/')",
    )
    .await?;
    let page = browser
        .execute(
            "return { text: document.getElementById('view').textContent, \
                      markup: document.querySelectorAll('#view img, #view script').length, \
                      injected: window.__injected ?? null }",
            json!([]),
        )
        .await?;
    ensure!(
        page["markup"] == json!(0),
        "markup from the workbook became elements: {page}"
    );
    ensure!(
        page["injected"].is_null(),
        "script from the workbook ran: {page}"
    );
    // The VIP cell is no address: an error, and the run cannot start.
    let blocked = browser
        .execute(
            "return document.getElementById('plan-blocked') !== null && document.getElementById('start-run').disabled",
            json!([]),
        )
        .await?;
    ensure!(
        blocked == json!(true),
        "a workbook with errors blocks the start"
    );
    let text = page["text"].as_str().unwrap_or_default();
    ensure!(
        text.contains(NAME) || text.contains(VIP),
        "the crafted text is shown as text somewhere on the page: {text}"
    );

    // Issue 18: a management IP that does not parse shows as typed, marked
    // invalid, in the row the diagnostics cite; never as 0.0.0.0.
    let typo = smtx_plan::fixture::edit_cells(&template, &[("主机规划!I4", Some("10.0.20.300"))])?;
    let typo_path = dir.path().join("typo.xlsx");
    std::fs::write(&typo_path, typo)?;
    browser.goto(&format!("{base}/#/")).await?;
    choose_workbook(browser, &typo_path).await?;
    let row = wait_for(
        browser,
        "the typo's host row",
        "const rows = [...document.querySelectorAll('#hosts-table tbody tr')]; \
         const row = rows.find(r => r.textContent.includes('10.0.20.300')); \
         return row ? [...row.cells].map(c => c.textContent + (c.classList.contains('invalid') ? '!' : '')) : null;",
    )
    .await?;
    let cells: Vec<String> = serde_json::from_value(row)?;
    ensure!(
        cells.first().map(String::as_str) == Some("4")
            && cells.get(2).map(String::as_str) == Some("(invalid) 10.0.20.300!"),
        "the host of row 4 shows what was typed, marked: {cells:?}"
    );
    let text = text_of(browser, "#view").await?;
    ensure!(!text.contains("0.0.0.0"), "no placeholder address: {text}");
    ensure!(
        text.contains("主机规划!I4"),
        "the diagnostics cite the same cell: {text}"
    );

    // Not a workbook at all: the server's reason, in the page's language.
    let junk = dir.path().join("not-a-workbook.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 this is no zip")?;
    browser.goto(&format!("{base}/#/")).await?;
    choose_workbook(browser, &junk).await?;
    let reason = wait_for(
        browser,
        "the refusal of a file that is no workbook",
        "return document.querySelector('#upload-status .alert-error')?.textContent || null",
    )
    .await?;
    ensure!(
        reason.as_str().is_some_and(
            |text| text.contains("not-a-workbook.xlsx") && text.contains("not a readable")
        ),
        "the page says why the file was refused: {reason}"
    );
    Ok(())
}

async fn screenshot(browser: &Session, path: &Path) -> Result<()> {
    browser
        .execute(
            "const log = document.getElementById('log-panel'); if (log) log.open = true; window.scrollTo(0, 0); return true;",
            json!([]),
        )
        .await?;
    // Tall enough for the whole run page, so the picture has no scrollbar:
    // the window's frame takes some of its height, so grow until it fits.
    let mut height = 900;
    for _ in 0..4 {
        browser.set_window_size(1366, height).await?;
        let missing = browser
            .execute(
                "return document.documentElement.scrollHeight - window.innerHeight",
                json!([]),
            )
            .await?
            .as_i64()
            .unwrap_or(0);
        if missing <= 0 {
            break;
        }
        height = (height + u32::try_from(missing).unwrap_or(0)).min(4000);
    }
    let png = browser.screenshot().await?;
    browser.set_window_size(1366, 900).await?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// Issue 21: a cluster name holding U+202E (right-to-left override) showed
/// `…evil` as `…live` in the run list. Every name the page shows — the
/// plan's file name and summary, its diagnostics, the run page's header, the
/// run list — writes such a character out as `⟨U+202E⟩`, and the character
/// itself is nowhere in the page's text.
///
/// `SMTX_NAMES_SCREENSHOT=/tmp/names.png` saves the plan page there, and the
/// run list beside it (`/tmp/names-runs.png`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_21_hidden_characters_in_names_are_written_out() -> Result<()> {
    let driver = ChromeDriver::start().await?;
    let data_dir = tempfile::tempdir()?;
    let console = start_console(data_dir.path(), None).await?;
    let base = format!("http://{}", console.addr());
    let http = reqwest::Client::builder().no_proxy().build()?;
    let profile = tempfile::tempdir()?;
    let downloads = tempfile::tempdir()?;
    let browser = driver.session(profile.path(), downloads.path()).await?;
    let outcome = hidden_names(&browser, &http, &base).await;
    let closed = browser.close().await;
    console.shutdown().await;
    outcome?;
    closed
}

async fn hidden_names(browser: &Session, http: &reqwest::Client, base: &str) -> Result<()> {
    const CLUSTER: &str = "CN-BJ-SMTX-Prod-\u{202E}evil";
    const SHOWN: &str = "CN-BJ-SMTX-Prod-⟨U+202E⟩evil";
    let template = std::fs::read(real_template()).context("reading the real template")?;
    let edited = smtx_plan::fixture::edit_cells(
        &template,
        &[
            ("虚拟网络!B3", Some(CLUSTER)),
            ("虚拟网络!D9", Some("VLAN\u{200B}-1121")),
        ],
    )?;
    let dir = tempfile::tempdir()?;
    // The file's name hides one too: the plan's name is the file's.
    let path = dir.path().join("site-\u{202E}xslx.xlsx");
    std::fs::write(&path, edited)?;
    let plan_id = upload(http, base, &path).await?;

    browser.goto(&format!("{base}/#/plans/{plan_id}")).await?;
    wait_for(
        browser,
        "the plan page with its diagnostics",
        "return document.getElementById('diagnostics-table') !== null",
    )
    .await?;
    ensure!(text_of(browser, "#summary-cluster").await? == SHOWN);
    ensure!(text_of(browser, "#plan-name").await? == "site-⟨U+202E⟩xslx.xlsx");
    let rows = browser
        .execute(
            "return [...document.querySelectorAll('#diagnostics-table tbody tr')].map(r => [r.cells[0].textContent, r.cells[3].textContent])",
            json!([]),
        )
        .await?;
    let rows: Vec<(String, String)> = serde_json::from_value(rows)?;
    let cells: Vec<&str> = rows.iter().map(|(cell, _)| cell.as_str()).collect();
    ensure!(
        cells == ["虚拟网络!B3", "虚拟网络!D9"],
        "the two warnings, by cell: {rows:?}"
    );
    ensure!(
        rows[0]
            .1
            .starts_with("the name contains U+202E (bidirectional control)")
            && rows[1]
                .1
                .starts_with("the name contains U+200B (invisible)"),
        "the warnings name the code points: {rows:?}"
    );
    let shown = hidden_in_page(browser).await?;
    ensure!(
        shown.is_empty(),
        "hidden characters in the plan page's text: {shown:?}"
    );
    if let Some(target) = std::env::var_os("SMTX_NAMES_SCREENSHOT") {
        screenshot(browser, &repository_root().join(target)).await?;
    }
    // In Chinese too.
    click(browser, "#lang-switch").await?;
    wait_for(
        browser,
        "the warning in Chinese",
        "return document.querySelector('#diagnostics-table tbody tr td:last-child')?.textContent.startsWith('名称中含有 U+202E（双向文字控制符）')",
    )
    .await?;
    click(browser, "#lang-switch").await?;
    wait_for(
        browser,
        "English again",
        "return document.getElementById('nav-runs').textContent === 'Runs'",
    )
    .await?;

    // A dry-run rehearsal: warnings do not stop a run.
    wait_for(
        browser,
        "the target form",
        "return document.getElementById('start-run') !== null && !document.getElementById('start-run').disabled",
    )
    .await?;
    click(browser, "#dry-run").await?;
    click(browser, "#start-run").await?;
    let run_id = wait_for(
        browser,
        "the run page",
        "const m = location.hash.match(/^#\\/runs\\/([^/]+)$/); return m && document.getElementById('run-status') && decodeURIComponent(m[1]);",
    )
    .await?;
    let run_id = run_id.as_str().context("run id")?.to_string();
    ensure!(text_of(browser, "#run-cluster").await? == SHOWN);
    wait_for(
        browser,
        "the dry run to end",
        "const s = document.getElementById('run-status')?.dataset.status; return ['ok','warning','failed','aborted'].includes(s) ? s : null;",
    )
    .await?;
    let shown = hidden_in_page(browser).await?;
    ensure!(
        shown.is_empty(),
        "hidden characters in the run page's text: {shown:?}"
    );
    let run = api_get(http, base, &format!("/api/runs/{run_id}")).await?;
    ensure!(
        run["cluster"] == json!(CLUSTER),
        "the API keeps the name as typed: {}",
        run["cluster"]
    );
    // Issue 18: a dry run writes no serial, so no "workbook with the
    // serial" is offered.
    ensure!(
        !run["files"]
            .as_array()
            .is_some_and(|files| files.iter().any(|f| f == "workbook.xlsx")),
        "a dry run offers no workbook: {}",
        run["files"]
    );
    // Issue 18: read again after it ended, the page shows no step still
    // running (the replayed start of a step whose end is recorded apart).
    // The mark goes with the old page: the checks below read the new one.
    browser
        .execute(
            "window.__old_page = true; location.reload(); return true;",
            json!([]),
        )
        .await?;
    wait_for(
        browser,
        "the ended run read again, no step left running",
        "if (window.__old_page) return null; \
         const s = document.getElementById('run-status')?.dataset.status; \
         const rows = document.querySelectorAll('.step-row'); \
         return ['ok','warning'].includes(s) && rows.length > 0 \
           && document.querySelectorAll('.step-row[data-status=running]').length === 0 \
           && document.getElementById('run-summary')?.textContent.length > 0;",
    )
    .await?;

    browser.goto(&format!("{base}/#/runs")).await?;
    let listed = wait_for(
        browser,
        "the run list",
        "return document.querySelector('.run-row td:nth-child(2) a')?.textContent ?? null",
    )
    .await?;
    ensure!(listed == json!(SHOWN), "the run list shows {listed}");
    let shown = hidden_in_page(browser).await?;
    ensure!(
        shown.is_empty(),
        "hidden characters in the run list's text: {shown:?}"
    );
    if let Some(target) = std::env::var_os("SMTX_NAMES_SCREENSHOT") {
        let target = repository_root().join(target);
        screenshot(
            browser,
            &target.with_file_name(format!(
                "{}-runs.png",
                target
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default()
            )),
        )
        .await?;
    }
    Ok(())
}

/// Every text of the page (`#view`) holding U+202E or U+200B, with the class
/// of the element it is in: what the page failed to write out.
async fn hidden_in_page(browser: &Session) -> Result<Vec<String>> {
    let found = browser
        .execute(
            "const walk = document.createTreeWalker(document.getElementById('view'), NodeFilter.SHOW_TEXT); \
             const found = []; \
             while (walk.nextNode()) { \
               const text = walk.currentNode.data; \
               if (/[\\u202E\\u200B]/u.test(text)) found.push(`${walk.currentNode.parentNode.className}: ${text.slice(0, 200)}`); \
             } \
             return found;",
            json!([]),
        )
        .await?;
    Ok(serde_json::from_value(found)?)
}

/// With a token, the page asks for it once (a wrong one is refused), keeps
/// it for the tab, and then works: the upload view lists the plans and the
/// API calls carry it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_asks_for_the_token_once() -> Result<()> {
    const TOKEN: &str = "browser-test-token-1f6e";
    let driver = ChromeDriver::start().await?;
    let data_dir = tempfile::tempdir()?;
    let console = start_console(data_dir.path(), Some(TOKEN)).await?;
    let base = format!("http://{}", console.addr());
    let profile = tempfile::tempdir()?;
    let downloads = tempfile::tempdir()?;
    let browser = driver.session(profile.path(), downloads.path()).await?;
    let outcome = token_flow(&browser, &base, TOKEN).await;
    let closed = browser.close().await;
    console.shutdown().await;
    outcome?;
    closed
}

async fn token_flow(browser: &Session, base: &str, token: &str) -> Result<()> {
    browser.goto(&format!("{base}/")).await?;
    wait_for(
        browser,
        "the token prompt",
        "return document.getElementById('token-dialog').open",
    )
    .await?;
    let input = browser.find("#token-input").await?;
    browser.send_keys(&input, "not-the-token").await?;
    click(browser, "#token-submit").await?;
    wait_for(
        browser,
        "the wrong token refused",
        "return !document.getElementById('token-error').hidden && document.getElementById('token-dialog').open",
    )
    .await?;
    browser.clear(&input).await?;
    browser.send_keys(&input, token).await?;
    click(browser, "#token-submit").await?;
    wait_for(
        browser,
        "the upload view with its plan list",
        "return !document.getElementById('token-dialog').open && [...document.querySelectorAll('#view h2')].some(h => h.textContent === 'Recently uploaded') && document.querySelector('#view .alert-error') === null && document.body.textContent.includes('No workbook uploaded yet.')",
    )
    .await?;
    // Kept for the tab: a reload does not ask again.
    browser.goto(&format!("{base}/?reloaded#/runs")).await?;
    wait_for(
        browser,
        "the run list without a prompt",
        "return !document.getElementById('token-dialog').open && document.body.textContent.includes('No run yet.')",
    )
    .await?;
    let stored = browser
        .execute(
            "return sessionStorage.getItem('smtx.console.token')",
            json!([]),
        )
        .await?;
    ensure!(
        stored == json!(token),
        "the token is kept in sessionStorage: {stored}"
    );

    // With it, a whole rehearsal: the API calls carry the header, the event
    // stream (EventSource sends no headers) and the downloads `?token=`.
    browser.goto(&format!("{base}/?upload#/")).await?;
    choose_workbook(browser, &real_template().canonicalize()?).await?;
    wait_for(
        browser,
        "the plan summary",
        "return document.getElementById('start-run') !== null",
    )
    .await?;
    click(browser, "#start-run").await?;
    wait_for(
        browser,
        "the rehearsal to end ok, told by the event stream",
        "return document.getElementById('run-status')?.dataset.status === 'ok' && document.querySelectorAll('.step-row').length > 0",
    )
    .await?;
    // The files are listed once the page has read the finished run back,
    // a moment after the stream's end.
    let href = wait_for(
        browser,
        "the report.json link",
        "return document.getElementById('download-report')?.getAttribute('href') ?? null",
    )
    .await?;
    let href = href.as_str().context("a report.json link")?;
    ensure!(
        href.ends_with(&format!("?token={token}")),
        "the download carries the token: {href}"
    );
    let http = reqwest::Client::builder().no_proxy().build()?;
    let status = http.get(format!("{base}{href}")).send().await?.status();
    ensure!(status == reqwest::StatusCode::OK, "{href}: {status}");
    Ok(())
}

async fn upload(http: &reqwest::Client, base: &str, path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let form = reqwest::multipart::Form::new()
        .part(
            "workbook",
            reqwest::multipart::Part::bytes(bytes).file_name(name.clone()),
        )
        .text("name", name);
    let answer = http
        .post(format!("{base}/api/plans"))
        .multipart(form)
        .send()
        .await?;
    ensure!(
        answer.status() == reqwest::StatusCode::CREATED,
        "upload: {}",
        answer.status()
    );
    let plan: Value = answer.json().await?;
    plan["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no plan id in {plan}"))
}

async fn post(http: &reqwest::Client, base: &str, path: &str, body: Value) -> Result<Value> {
    let answer = http
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await?;
    let status = answer.status();
    let value: Value = answer.json().await.unwrap_or_default();
    ensure!(status.is_success(), "POST {path}: {status} {value}");
    Ok(value)
}

/// Polls the API until the run's status satisfies `done`.
async fn wait_status(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Result<Value> {
    smtx_testkit::poll_until(DEADLINE, || async {
        let run = api_get(http, base, &format!("/api/runs/{id}")).await.ok()?;
        done(&run).then_some(run)
    })
    .await
    .ok_or_else(|| anyhow!("run {id} did not reach the awaited state"))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("building a runtime")
}

/// The run list after a restart: the run the process died in is
/// `interrupted` and its row offers Resume, which opens the new run; a
/// fleet's runs sit together under the fleet's heading.
#[test]
fn interrupted_runs_offer_resume_and_fleets_are_grouped() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    let http = reqwest::Client::builder().no_proxy().build()?;

    // The first process dies with a slow rehearsal under way: its runtime
    // goes, and nothing records an end.
    let first = runtime()?;
    let cut = first.block_on(async {
        let console = start_console(&data, None).await?;
        let base = format!("http://{}", console.addr());
        let plan = upload(&http, &base, &real_template()).await?;
        let run = post(
            &http,
            &base,
            "/api/runs",
            json!({ "plan_id": plan, "target": { "rehearsal": { "latency_ms": 300 } } }),
        )
        .await?;
        let id = run["id"].as_str().context("run id")?.to_string();
        wait_status(&http, &base, &id, |run| {
            run["steps"]
                .as_array()
                .is_some_and(|steps| !steps.is_empty())
        })
        .await?;
        anyhow::Ok(id)
    })?;
    // As a process dies: its lock on the data directory goes once its tasks
    // are dropped.
    first.shutdown_background();
    let lock = data.join(smtx_console::CONSOLE_LOCK);
    smtx_testkit::poll_until_blocking(DEADLINE, || smtx_engine::DirLock::acquire(&lock).ok())
        .context("the first console lets go of its data directory")?;

    let second = runtime()?;
    second.block_on(async {
        let console = start_console(&data, None).await?;
        let base = format!("http://{}", console.addr());
        let sites = write_sites(dir.path())?;
        let mut plans = Vec::new();
        for site in &sites {
            plans.push(upload(&http, &base, site).await?);
        }
        let fleet = post(
            &http,
            &base,
            "/api/fleets",
            json!({ "plan_ids": plans, "target": { "rehearsal": { "iso_mib": 0 } }, "dry_run": false, "parallel": 2 }),
        )
        .await?;
        let members: Vec<String> = serde_json::from_value(fleet["runs"].clone())?;
        ensure!(members.len() == 2, "both sites run: {fleet}");
        for id in &members {
            wait_status(&http, &base, id, |run| {
                !["queued", "running"].contains(&run["status"].as_str().unwrap_or(""))
            })
            .await?;
        }

        let driver = ChromeDriver::start().await?;
        let profile = tempfile::tempdir()?;
        let downloads = tempfile::tempdir()?;
        let browser = driver.session(profile.path(), downloads.path()).await?;
        let outcome = resume_and_fleet(&browser, &base, &cut, &members).await;
        let closed = browser.close().await;
        console.shutdown().await;
        outcome?;
        closed
    })
}

fn write_sites(dir: &Path) -> Result<Vec<PathBuf>> {
    let sites = dir.join("sites");
    std::fs::create_dir_all(&sites)?;
    (0..2)
        .map(|index| {
            let path = sites.join(format!("site-{index}.xlsx"));
            smtx_testkit::fleet_workbook_spec(index, 2, 1)
                .write_to(&path)
                .with_context(|| format!("writing {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

async fn resume_and_fleet(
    browser: &Session,
    base: &str,
    cut: &str,
    members: &[String],
) -> Result<()> {
    // Issue 18: the run cut off by the restart shows as interrupted, with
    // no step left "running" (its replayed start has no end).
    browser.goto(&format!("{base}/#/runs/{cut}")).await?;
    let rows = wait_for(
        browser,
        "the cut-off run's page, settled",
        "if (document.getElementById('run-status')?.dataset.status !== 'interrupted') return null; \
         const rows = [...document.querySelectorAll('.step-row')]; \
         return rows.length > 0 && rows.every(r => r.dataset.status !== 'running') ? rows.length : null;",
    )
    .await?;
    ensure!(rows.as_u64() > Some(0), "{rows}");
    // Its Resume says what a rehearsal's resume does (issue 17).
    let note = browser
        .execute(
            "const n = document.getElementById('resume-note'); return n && !n.hidden ? n.textContent : null;",
            json!([]),
        )
        .await?;
    ensure!(
        note.as_str()
            .is_some_and(|n| n.contains("new simulated cluster")),
        "the resume of a rehearsal is explained: {note}"
    );
    browser.goto(&format!("{base}/#/runs")).await?;
    let table = wait_for(
        browser,
        "the run list",
        "const rows = [...document.querySelectorAll('#runs-table tbody tr')]; \
         return rows.length >= 4 && rows.map(r => r.classList.contains('fleet-row') ? 'fleet' \
           : (r.classList.contains('in-fleet') ? 'member:' : 'run:') + r.dataset.run + ':' + r.dataset.status);",
    )
    .await?;
    let rows: Vec<String> = serde_json::from_value(table)?;
    // The fleet's heading, then its two runs, then the interrupted run.
    let fleet_at = rows
        .iter()
        .position(|row| row == "fleet")
        .context("a fleet heading")?;
    let mut grouped: Vec<&str> = rows[fleet_at + 1..=fleet_at + 2]
        .iter()
        .filter_map(|row| row.strip_prefix("member:"))
        .filter_map(|row| row.split(':').next())
        .collect();
    grouped.sort_unstable();
    let mut expected: Vec<&str> = members.iter().map(String::as_str).collect();
    expected.sort_unstable();
    ensure!(
        grouped == expected,
        "the fleet's runs under its heading: {rows:?}"
    );
    ensure!(
        rows.contains(&format!("run:{cut}:interrupted")),
        "the cut-off run is interrupted: {rows:?}"
    );

    click(browser, &format!("tr[data-run='{cut}'] button")).await?;
    let resumed = wait_for(
        browser,
        "the resumed run's page",
        &format!(
            "const m = location.hash.match(/^#\\/runs\\/([^/]+)$/); \
             return m && m[1] !== '{cut}' && document.getElementById('run-status') && decodeURIComponent(m[1]);"
        ),
    )
    .await?;
    let resumed = resumed.as_str().context("resumed run id")?.to_string();
    ensure!(
        text_of(browser, "#run-from").await?.contains(cut),
        "the resume names the run it continues"
    );
    // As slow as the run it continues: stop it.
    abort_from_page(browser).await?;

    // Issue 18: the resumed run is no longer offered for resuming, and
    // links its resume; the aborted resume is offered (aborted and failed
    // runs resume as interrupted ones do).
    browser.goto(&format!("{base}/#/runs")).await?;
    let offers = wait_for(
        browser,
        "the run list after the resume",
        &format!(
            "const cut = document.querySelector(\"tr[data-run='{cut}']\"); \
             const next = document.querySelector(\"tr[data-run='{resumed}']\"); \
             if (!cut || !next || next.dataset.status !== 'aborted') return null; \
             return [cut.querySelector('button') !== null, cut.textContent.includes('{resumed}'), \
                     next.querySelector('button') !== null, next.textContent.includes('{cut}')];"
        ),
    )
    .await?;
    ensure!(
        offers == json!([false, true, true, true]),
        "resume offered once, and the two runs linked: {offers}"
    );
    // Issue 20: the list says what the history takes and how long it stays.
    let storage = wait_for(
        browser,
        "the data directory's size",
        "const s = document.getElementById('storage'); return s && !s.hidden ? s.textContent : null;",
    )
    .await?;
    ensure!(
        storage
            .as_str()
            .is_some_and(|s| s.starts_with("Data directory: ")
                && s.contains("MiB")
                && s.contains("90 days")),
        "{storage}"
    );
    Ok(())
}

/// "Real cluster" from the form, against a simulator the test starts as a
/// site would present a cluster: its addresses reached through overrides,
/// its CA from a file, the deployment password typed in. A dry run first
/// (nothing sent), then the run itself to `ok`; the password is in no
/// answer and not left in the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_cluster_from_the_form() -> Result<()> {
    let template = real_template();
    let bytes = std::fs::read(&template).context("reading the real template")?;
    let parsed = smtx_plan::parse_workbook(&bytes, "template.xlsx")?;
    let sim = smtx_testkit::start_sim(
        smtx_testkit::ClusterSpec::from_plan(&parsed.plan, 11),
        smtx_testkit::SimOptions::default(),
    )
    .await;
    let files = tempfile::tempdir()?;
    let ca = files.path().join("cluster-ca.pem");
    std::fs::write(&ca, sim.ca_cert_pem().context("the simulator's CA")?)?;
    let iso = files.path().join("SMTX_VMTOOLS-1.0.0-browser.iso");
    let iso_bytes: Vec<u8> = (0..3 * 1024 * 1024 + 5)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    std::fs::write(&iso, &iso_bytes)?;
    let iso_sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&iso_bytes))
    };
    let mut http_resolve: Vec<String> = sim
        .nodes()
        .iter()
        .map(|node| format!("{}={}", node.workbook_ip, node.http))
        .collect();
    let mut ssh_resolve: Vec<String> = sim
        .nodes()
        .iter()
        .filter_map(|node| Some(format!("{}={}", node.workbook_ip, node.ssh?)))
        .collect();
    if let Some(vip) = sim.vip() {
        http_resolve.push(format!("{}={}", vip.workbook_ip, vip.http));
        if let Some(ssh) = vip.ssh {
            ssh_resolve.push(format!("{}={ssh}", vip.workbook_ip));
        }
    }
    let form = RealTarget {
        api_resolve: http_resolve.join("\n"),
        ssh_resolve: ssh_resolve.join("\n"),
        ca: ca.to_string_lossy().into_owned(),
        iso: iso.to_string_lossy().into_owned(),
        iso_sha256,
    };

    let driver = ChromeDriver::start().await?;
    let data_dir = tempfile::tempdir()?;
    let console = start_console(data_dir.path(), None).await?;
    let base = format!("http://{}", console.addr());
    let http = reqwest::Client::builder().no_proxy().build()?;
    let profile = tempfile::tempdir()?;
    let downloads = tempfile::tempdir()?;
    let browser = driver.session(profile.path(), downloads.path()).await?;
    let outcome = real_cluster(&browser, &http, &base, &form).await;
    let closed = browser.close().await;
    console.shutdown().await;
    let cluster_serial = sim.serial();
    sim.shutdown().await;
    let serial = outcome?;
    closed?;
    ensure!(
        serial == cluster_serial,
        "the run read the serial of the cluster it was pointed at: {serial} vs {cluster_serial}"
    );
    Ok(())
}

#[derive(Debug)]
struct RealTarget {
    api_resolve: String,
    ssh_resolve: String,
    ca: String,
    iso: String,
    iso_sha256: String,
}

/// Fills the real-cluster form and starts; returns the run's id.
async fn start_real(
    browser: &Session,
    base: &str,
    plan_id: &str,
    form: &RealTarget,
    dry_run: bool,
    more: &[&str],
) -> Result<String> {
    browser
        .goto(&format!("{base}/?dry={dry_run}#/plans/{plan_id}"))
        .await?;
    wait_for(
        browser,
        "the target form",
        "return document.getElementById('start-run') !== null",
    )
    .await?;
    click(browser, "#target-real").await?;
    // The CA read from a file by the page, the ISO uploaded through it:
    // the form names no path of the console's machine.
    for (css, text) in [
        ("#api-resolve", form.api_resolve.as_str()),
        ("#ssh-resolve", form.ssh_resolve.as_str()),
        ("#ca-cert-file", form.ca.as_str()),
        ("#ssh-password", smtx_engine::DEPLOYMENT_SSH_PASSWORD),
        ("#iso-file", form.iso.as_str()),
    ] {
        let field = browser.find(css).await?;
        browser.send_keys(&field, text).await?;
    }
    wait_for(
        browser,
        "the CA read into the form",
        "return document.getElementById('ca-cert').value.includes('BEGIN CERTIFICATE')",
    )
    .await?;
    let shown = wait_for(
        browser,
        "the ISO uploaded and chosen",
        "const s = document.getElementById('iso-status').textContent; const v = document.getElementById('vmtools-iso').value; return s.includes('SHA-256') && v.startsWith('upload/') && s;",
    )
    .await?;
    ensure!(
        shown
            .as_str()
            .is_some_and(|text| text.contains(&form.iso_sha256)),
        "the page shows the ISO's SHA-256: {shown}"
    );
    if dry_run {
        click(browser, "#dry-run").await?;
    }
    // The settings a run's hints name, under "More settings".
    if !more.is_empty() {
        click(browser, "#target-more summary").await?;
        for css in more {
            click(browser, css).await?;
        }
    }
    // A picture of the filled-in form, for whoever changes it to look at
    // (the one with "More settings" open, which shows every field).
    if let Some(target) = std::env::var_os("SMTX_SCREENSHOT_FORM")
        && !more.is_empty()
    {
        screenshot(browser, &repository_root().join(target)).await?;
    }
    // Issue 18: the button says what will happen, and a live run against a
    // real cluster asks first, naming the cluster and its addresses.
    let label = text_of(browser, "#start-run").await?;
    if dry_run {
        ensure!(label == "Start dry run (sends nothing)", "{label}");
        click(browser, "#start-run").await?;
    } else {
        ensure!(label == "Start run", "{label}");
        click(browser, "#start-run").await?;
        wait_for(
            browser,
            "the confirmation before a real cluster",
            "return document.getElementById('confirm-dialog').open",
        )
        .await?;
        let title = text_of(browser, "#confirm-title").await?;
        let text = text_of(browser, "#confirm-text").await?;
        ensure!(title.contains("CN-BJ-SMTX-Prod-Cls01"), "{title}");
        ensure!(
            text.contains("10.0.20.11") && text.contains("10.0.20.10"),
            "{text}"
        );
        // Nothing starts before the answer.
        let runs = browser.execute("return location.hash", json!([])).await?;
        ensure!(
            !runs.as_str().unwrap_or_default().starts_with("#/runs/"),
            "{runs}"
        );
        click(browser, "#confirm-ok").await?;
    }
    let id = wait_for(
        browser,
        "the run page",
        "const m = location.hash.match(/^#\\/runs\\/([^/]+)$/); return m && document.getElementById('run-status') && decodeURIComponent(m[1]);",
    )
    .await?;
    id.as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("run id: {id}"))
}

/// Returns the serial the run read from the cluster (its context.json).
async fn real_cluster(
    browser: &Session,
    http: &reqwest::Client,
    base: &str,
    form: &RealTarget,
) -> Result<String> {
    browser.goto(&format!("{base}/")).await?;
    choose_workbook(browser, &real_template().canonicalize()?).await?;
    let plan_id = wait_for(
        browser,
        "the plan page",
        "const m = location.hash.match(/^#\\/plans\\/(.+)$/); return m && document.getElementById('plan-summary') && decodeURIComponent(m[1]);",
    )
    .await?;
    let plan_id = plan_id.as_str().context("plan id")?.to_string();
    let end = "const s = document.getElementById('run-status')?.dataset.status; \
               return ['ok','warning','failed','aborted'].includes(s) ? s : null;";

    let dry = start_real(browser, base, &plan_id, form, true, &[]).await?;
    let status = wait_for(browser, "the dry run to end", end).await?;
    ensure!(status == json!("ok"), "the dry run ends ok, not {status}");
    ensure!(
        text_of(browser, "#run-target").await? == "Real cluster · dry run",
        "the page names the target"
    );
    let run = api_get(http, base, &format!("/api/runs/{dry}")).await?;
    ensure!(run["dry_run"] == json!(true) && run["target"] == json!("cluster"));

    // Issue 17: a hint names a setting the form has. Rotation turned off
    // under "More settings" reaches the run (its step says so), and the
    // hint names that checkbox by its label, never a settings key.
    start_real(
        browser,
        base,
        &plan_id,
        form,
        true,
        &["#rotate-host-passwords"],
    )
    .await?;
    let status = wait_for(browser, "the dry run without rotation to end", end).await?;
    ensure!(
        status == json!("warning"),
        "rotation off is a warning, not {status}"
    );
    let page = text_of(browser, "#steps-table").await?;
    ensure!(
        page.contains("turn on “Rotate the hosts' SSH passwords” under More settings")
            && !page.contains("rotate_host_passwords")
            && !page.contains("--"),
        "the hint names the form's checkbox: {page}"
    );

    let live = start_real(browser, base, &plan_id, form, false, &[]).await?;
    let status = wait_for(browser, "the run to end", end).await?;
    ensure!(
        status == json!("ok"),
        "the real-cluster run ends ok, not {status}"
    );
    ensure!(text_of(browser, "#run-target").await? == "Real cluster");
    let password = smtx_engine::DEPLOYMENT_SSH_PASSWORD;
    let html = browser
        .execute("return document.documentElement.outerHTML", json!([]))
        .await?;
    ensure!(
        !html.as_str().unwrap_or_default().contains(password),
        "the password is not in the page"
    );
    let answer = http
        .get(format!("{base}/api/runs/{live}"))
        .send()
        .await?
        .text()
        .await?;
    ensure!(
        !answer.contains(password),
        "the password is not in the run's answer"
    );
    let context: Value = http
        .get(format!("{base}/api/runs/{live}/files/context.json"))
        .send()
        .await?
        .json()
        .await?;
    let image = &context["extra"]["config_cluster"]["svt_image"];
    ensure!(
        image["sha256"] == json!(form.iso_sha256)
            && image["file_name"] == json!("SMTX_VMTOOLS-1.0.0-browser.iso"),
        "the uploaded ISO reached the cluster whole: {image}"
    );
    context["extra"]["config_cluster"]["serial"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no serial in context.json: {context}"))
}
