//! Shared helpers of the integration tests: a plain reqwest client that
//! talks to the simulator's loopback listeners (never to the workbook IPs),
//! and a recursive JSON structure comparison.

use reqwest::Method;
use serde_json::Value;
use smtx_sim::RunningSim;

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;
pub type AnyError = Box<dyn std::error::Error + Send + Sync>;

pub const PRE_TOKEN: &str = "e79b85fc18b7402fbcc0391fe8d7d24c";

/// A plain HTTP client (not `smtx-api`) bound to one simulated cluster.
pub struct Plain {
    pub http: reqwest::Client,
    /// Loopback base URLs of the hosts, in order.
    pub hosts: Vec<String>,
    pub vip: Option<String>,
    pub token: Option<String>,
    control: String,
    /// Sent as `Authorization: Bearer` to `/_sim/*` when the sim has one.
    control_token: Option<String>,
}

/// One answer: status and JSON body (`Null` when the body is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

impl Plain {
    /// TLS is verified against the simulator's CA alone, but not for the
    /// name: the leaf names only the workbook addresses, and this client
    /// goes straight to 127.0.0.1 (reqwest cannot send an IP literal
    /// elsewhere). `tls::the_certificate_names_only_the_workbook_addresses`
    /// checks the names.
    pub fn new(sim: &RunningSim) -> Result<Self, AnyError> {
        let mut builder = reqwest::Client::builder().use_rustls_tls();
        if let Some(pem) = sim.ca_cert_pem() {
            builder = builder
                .tls_built_in_root_certs(false)
                .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes())?)
                .danger_accept_invalid_hostnames(true);
        }
        Ok(Self {
            http: builder.build()?,
            hosts: (0..sim.nodes().len())
                .filter_map(|index| sim.node_url(index))
                .collect(),
            vip: sim.vip_url(),
            token: None,
            control: sim.control_url(),
            control_token: sim.control_token().map(|token| token.expose().to_owned()),
        })
    }

    pub fn host_url(&self, index: usize, path: &str) -> String {
        format!("{}{path}", self.hosts[index])
    }

    pub fn vip_url(&self, path: &str) -> Option<String> {
        self.vip.as_ref().map(|vip| format!("{vip}{path}"))
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Answer, AnyError> {
        let mut request = self.http.request(method, url);
        if let Some(token) = token {
            request = request.header("x-smartx-token", token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// A session call on host `index` with the current token.
    pub async fn call(
        &self,
        method: Method,
        index: usize,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Answer, AnyError> {
        let url = self.host_url(index, path);
        self.send(method, &url, self.token.as_deref(), body).await
    }

    pub async fn setup_and_login(&mut self, password: &str) -> Result<(), AnyError> {
        let body =
            serde_json::json!({"password": password, "repeat": password, "encrypted": false});
        let url = self.host_url(0, "/api/v3/users:setupRoot");
        let answer = self.send(Method::POST, &url, None, Some(&body)).await?;
        if answer.status != 200 {
            return Err(format!("setupRoot answered {}: {}", answer.status, answer.body).into());
        }
        self.login(password).await
    }

    pub async fn login(&mut self, password: &str) -> Result<(), AnyError> {
        let body =
            serde_json::json!({"username": "root", "password": password, "encrypted": false});
        let url = self.host_url(0, "/api/v3/sessions");
        let answer = self.send(Method::POST, &url, None, Some(&body)).await?;
        let token = answer.body["token"]
            .as_str()
            .ok_or_else(|| format!("login answered {}: {}", answer.status, answer.body))?;
        self.token = Some(token.to_owned());
        Ok(())
    }

    /// A request to a `/_sim` control endpoint, with the bearer token if
    /// the simulator has one.
    pub fn control(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.control));
        match &self.control_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn state(&self) -> Result<Value, AnyError> {
        let response = self.control(Method::GET, "/_sim/state").send().await?;
        Ok(response.error_for_status()?.json().await?)
    }

    pub async fn inject(&self, fault: &Value) -> Result<u16, AnyError> {
        let request = self.control(Method::POST, "/_sim/faults").json(fault);
        Ok(request.send().await?.status().as_u16())
    }

    /// Polls a job until it leaves pending/running; returns the final job.
    pub async fn wait_job(&self, index: usize, job_id: &str) -> Result<Value, AnyError> {
        let path = format!("/api/v2/jobs/{job_id}");
        let job = smtx_testkit::poll_until(std::time::Duration::from_secs(10), || async {
            let answer = self.call(Method::GET, index, &path, None).await.ok()?;
            let job = answer.data()["job"].clone();
            match job["state"].as_str() {
                Some("pending" | "running") => None,
                _ => Some(job),
            }
        })
        .await;
        job.ok_or_else(|| format!("job {job_id} did not finish").into())
    }
}

/// Every difference in structure (keys and value types, recursively)
/// between a captured sample and the simulator's answer. `null` on either
/// side matches anything (captures show nullable fields both ways); array
/// elements must each match some element of the sample's array; an empty
/// array on either side matches any array.
pub fn structure_differences(sample: &Value, answer: &Value) -> Vec<String> {
    let mut differences = Vec::new();
    compare(sample, answer, "$", &mut differences);
    differences
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn keyed_by_uuid(map: &serde_json::Map<String, Value>) -> bool {
    !map.is_empty()
        && map
            .keys()
            .all(|key| key.len() == 36 && key.chars().all(|c| c == '-' || c.is_ascii_hexdigit()))
}

fn compare(sample: &Value, answer: &Value, at: &str, differences: &mut Vec<String>) {
    match (sample, answer) {
        (Value::Null, _) | (_, Value::Null) => {}
        // Maps keyed by resource uuid (job `resources`, `hosts_associated`):
        // the keys are data, so compare the values like array elements.
        (Value::Object(want), Value::Object(got)) if keyed_by_uuid(want) && keyed_by_uuid(got) => {
            let want: Vec<Value> = want.values().cloned().collect();
            let got: Vec<Value> = got.values().cloned().collect();
            compare(
                &Value::Array(want),
                &Value::Array(got),
                &format!("{at}{{uuid}}"),
                differences,
            );
        }
        (Value::Object(want), Value::Object(got)) => {
            for key in want.keys() {
                if !got.contains_key(key) {
                    differences.push(format!("{at}.{key}: missing"));
                }
            }
            for key in got.keys() {
                if !want.contains_key(key) {
                    differences.push(format!("{at}.{key}: not in the sample"));
                }
            }
            for (key, want_value) in want {
                if let Some(got_value) = got.get(key) {
                    compare(want_value, got_value, &format!("{at}.{key}"), differences);
                }
            }
        }
        (Value::Array(want), Value::Array(got)) => {
            if want.is_empty() {
                return;
            }
            for (index, item) in got.iter().enumerate() {
                let mut best: Option<Vec<String>> = None;
                for candidate in want {
                    let mut found = Vec::new();
                    compare(candidate, item, &format!("{at}[{index}]"), &mut found);
                    if best.as_ref().is_none_or(|best| found.len() < best.len()) {
                        best = Some(found);
                    }
                }
                differences.extend(best.unwrap_or_default());
            }
        }
        _ if kind(sample) == kind(answer) => {}
        _ => differences.push(format!(
            "{at}: sample has {}, answer has {}",
            kind(sample),
            kind(answer)
        )),
    }
}
