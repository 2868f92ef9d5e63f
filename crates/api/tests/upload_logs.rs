//! The upload's log events, alone in their own test process (see
//! `ssh_logs.rs` for why): chunk events and the SHA-256 are logged, the
//! token and the password never.

#[path = "it/upload_support.rs"]
mod upload_support;

use upload_support::*;

/// Collects every formatted log line.
#[derive(Clone, Default)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_in_errors_or_logs() -> TestResult {
    let sink = LogSink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    // Learn the session token the way a leak would show it: by logging in
    // again and giving the client the token we know.
    let base = sim.node_url(0).ok_or("no node")?;
    let session: Value = reqwest::Client::new()
        .post(format!("{base}/api/v3/sessions"))
        .json(
            &serde_json::json!({"username": "root", "password": ROOT_PASSWORD, "encrypted": false}),
        )
        .send()
        .await?
        .json()
        .await?;
    let token = session["token"].as_str().ok_or("no token")?.to_string();
    client.set_session_token(Secret::new(token.clone()));

    let (path, _) = write_iso(dir.path(), "leak.iso", 3 * CHUNK)?;
    client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    sim.inject(Fault::DropUpload { chunk: 0, times: 1 });
    sim.inject(Fault::ChunkFails { chunk: 1, times: 6 });
    let (path, _) = write_iso(dir.path(), "leak2.iso", 3 * CHUNK)?;
    let error = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await
        .err()
        .ok_or("should fail")?;
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains(&token), "token in the error: {text}");
        assert!(
            !text.contains(ROOT_PASSWORD),
            "password in the error: {text}"
        );
    }
    let logs = String::from_utf8(sink.0.lock().map_err(|_| "poisoned")?.clone())?;
    assert!(
        logs.contains("upload_template"),
        "chunk events are logged: {logs}"
    );
    assert!(logs.contains("sha256"), "the SHA-256 is logged");
    assert!(!logs.contains(&token), "token in the logs");
    assert!(!logs.contains(ROOT_PASSWORD), "password in the logs");
    sim.shutdown().await;
    Ok(())
}
