//! Shared set-up for the upload tests: a simulator with small chunks, a
//! logged-in client, generated ISOs and call-log readers.

// Two test binaries include this file and each uses a different part of it.
#![allow(dead_code, unused_imports)]

pub use std::io::Write;
pub use std::path::{Path, PathBuf};
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, SystemTime};

pub use serde_json::Value;
pub use sha2::{Digest, Sha256};
pub use smtx_api::{
    ApiClient, ApiError, ClientConfig, RetryPolicy, SvtUpload, UploadOptions, UploadProgress,
    find_vmtools_iso,
};
pub use smtx_secret::Secret;
pub use smtx_sim::{ClusterSpec, Fault, RunningSim, SimOptions};

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub const CHUNK: u64 = 64 * 1024;
pub const ROOT_PASSWORD: &str = "Upl0ad-test!";

pub async fn sim(tls: bool) -> Result<RunningSim, smtx_sim::SimError> {
    smtx_sim::start(
        ClusterSpec::example(1),
        SimOptions {
            tls,
            chunk_size: CHUNK,
            job_polls_to_finish: 0,
            ssh: false,
            ..SimOptions::default()
        },
    )
    .await
}

/// A client for the first host's workbook address, reaching it through the
/// address override (over HTTPS, the certificate names only that address).
pub fn config(sim: &RunningSim) -> Result<ClientConfig, String> {
    let node = sim.nodes().first().ok_or("the simulator has no node")?;
    let mut config = ClientConfig::new(format!("{}://{}", sim.scheme(), node.workbook_ip));
    config.overrides = vec![smtx_api::AddressOverride {
        host: node.workbook_ip.to_string(),
        target: node.http,
    }];
    config.tls.ca_cert_pem = sim.ca_cert_pem().map(|pem| pem.as_bytes().to_vec());
    config.retry = RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    };
    config.upload_timeout = Duration::from_secs(30);
    Ok(config)
}

/// A client logged in to the simulator as root.
pub async fn logged_in(
    sim: &RunningSim,
) -> Result<ApiClient, Box<dyn std::error::Error + Send + Sync>> {
    let client = ApiClient::new(config(sim)?)?;
    let password = Secret::new(ROOT_PASSWORD);
    client.setup_root("root", &password).await?;
    client.login("root", &password).await?;
    Ok(client)
}

/// Bytes that differ at every offset, so a misplaced chunk changes the hash.
pub fn pattern(len: u64) -> Vec<u8> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

pub fn write_iso(dir: &Path, name: &str, len: u64) -> std::io::Result<(PathBuf, String)> {
    let path = dir.join(name);
    let bytes = pattern(len);
    std::fs::File::create(&path)?.write_all(&bytes)?;
    Ok((path, hex::encode(Sha256::digest(&bytes))))
}

pub fn images(sim: &RunningSim) -> Vec<Value> {
    sim.state()["images"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

pub fn image<'a>(images: &'a [Value], uuid: &str) -> Option<&'a Value> {
    images.iter().find(|image| image["uuid"] == uuid)
}

/// `(chunk_num, status)` of every upload_template call the simulator saw
/// for `image_uuid`, in order; dropped connections have status 0.
pub fn chunk_calls(sim: &RunningSim, image_uuid: &str) -> Vec<(u64, u64)> {
    let state = sim.state();
    let calls = state["calls"].as_array().cloned().unwrap_or_default();
    calls
        .iter()
        .filter(|call| call["path"] == "/api/v2/svt_image/upload_template")
        .filter_map(|call| {
            let query = call["query"].as_str()?;
            let dropped = query.contains("dropped=true");
            if !dropped && !query.contains(&format!("image_uuid={image_uuid}")) {
                return None;
            }
            let chunk = query
                .split('&')
                .find_map(|pair| pair.strip_prefix("chunk_num="))?
                .parse()
                .ok()?;
            Some((chunk, call["status"].as_u64().unwrap_or(0)))
        })
        .collect()
}

pub fn count_calls(sim: &RunningSim, method: &str, path_prefix: &str) -> usize {
    let state = sim.state();
    state["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .filter(|call| {
                    call["method"] == method
                        && call["path"]
                            .as_str()
                            .is_some_and(|path| path.starts_with(path_prefix))
                })
                .count()
        })
        .unwrap_or(0)
}
