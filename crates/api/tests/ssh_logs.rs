//! The rotation's log events, alone in their own test process: tracing
//! caches per call site whether anyone listens, and another test's thread
//! registering a call site at the wrong moment can leave a scoped test
//! subscriber deaf to it. Alone here, the capture sees every event.

#[path = "it/ssh_support.rs"]
mod ssh_support;

use ssh_support::*;

/// Collects formatted log lines in memory.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("test mutex").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn log_events_carry_action_status_error_and_no_password() -> TestResult {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("smtx_api=trace")
        .with_writer(logs.clone())
        .finish();
    // current_thread: the servers and the client all log on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let hosts = Hosts::new(3);
    hosts.refuse.lock().expect("test mutex").push(1);
    *hosts.chpasswd_error.lock().expect("test mutex") = Some(2);
    let cluster = Cluster::start(&hosts, 3, 1).await?;
    let dir = tempfile::tempdir()?;
    let results = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options(&dir), 3).await;
    assert!(matches!(results[0].1, Ok(RotationOutcome::Rotated)));
    assert!(results[1].1.is_err() && results[2].1.is_err());
    cluster.stop().await?;

    let text = String::from_utf8(logs.0.lock().expect("test mutex").clone())?;
    let events: Vec<serde_json::Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let rotations: Vec<&serde_json::Value> = events
        .iter()
        .filter(|event| event["fields"]["action"] == "ssh_rotate_passwords")
        .collect();
    assert_eq!(rotations.len(), 3, "{text}");
    let status_of = |host: &str| {
        rotations
            .iter()
            .find(|event| event["fields"]["host"] == host)
            .map(|event| event["fields"]["status"].clone())
    };
    assert_eq!(status_of("node-01 (10.0.20.11)"), Some("rotated".into()));
    assert_eq!(status_of("node-02 (10.0.20.12)"), Some("failed".into()));
    assert_eq!(status_of("node-03 (10.0.20.13)"), Some("failed".into()));
    assert!(
        rotations
            .iter()
            .filter(|event| event["fields"]["status"] == "failed")
            .all(|event| event["fields"]["error"].is_string()),
        "{text}"
    );
    assert!(
        events
            .iter()
            .any(|event| event["fields"]["action"] == "ssh_host_key")
    );
    for password in [NEW_SMARTX, NEW_ROOT, DEFAULT_HOST_PASSWORD] {
        // JSON escapes quotes and backslashes: check the escaped form too.
        let escaped = serde_json::to_string(password)?;
        let escaped = escaped.trim_matches('"');
        assert!(
            !text.contains(password) && !text.contains(escaped),
            "password in logs: {text}"
        );
    }
    Ok(())
}
