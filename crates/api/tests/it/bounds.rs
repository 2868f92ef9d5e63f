//! What a server says is bounded (issue 9): an absurd chunk size, a chunk
//! list that does not fit the file, a job that never ends, a job answer that
//! never stops growing or never comes — each is a clear error within its
//! deadline, not a memory or time sink. And an abort: a cancelled client
//! stops an upload mid-chunk and a job wait within a second, keeping the
//! volume for a later resume. The misbehaving servers are small axum
//! routers on loopback; the well-behaved one is the simulator.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path as UrlPath, State};
use axum::routing::{delete, get, post};
use futures::StreamExt;
use serde_json::json;
use smtx_api::{JobWait, MAX_CHUNK_SIZE};
use tokio_util::sync::CancellationToken;

use crate::upload_support::*;

/// Serves `router` on 127.0.0.1 at a port chosen now.
async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    addr
}

fn client_for(addr: SocketAddr) -> ApiClient {
    let mut config = ClientConfig::new(format!("http://{addr}"));
    config.retry = RetryPolicy {
        attempts: 2,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(2),
    };
    ApiClient::new(config).expect("client")
}

fn envelope(data: Value) -> axum::Json<Value> {
    axum::Json(json!({"ec": "EOK", "error": {}, "data": data}))
}

/// What a hand-made upload server saw.
#[derive(Default)]
struct Seen {
    chunks: AtomicU64,
    deletes: AtomicU64,
}

/// An upload server whose `create_volume` answers `volume` (merged into
/// the usual ids) and which accepts every chunk.
async fn upload_server(volume: Value) -> (SocketAddr, Arc<Seen>) {
    let seen = Arc::new(Seen::default());
    let router = Router::new()
        .route(
            "/api/v2/svt_image/create_volume",
            post(move || {
                let mut data = json!({"image_uuid": "img-1", "zbs_volume_id": "vol-1"});
                if let (Some(data), Some(extra)) = (data.as_object_mut(), volume.as_object()) {
                    data.extend(extra.clone());
                }
                async move { envelope(data) }
            }),
        )
        .route(
            "/api/v2/svt_image/upload_template",
            post(|State(seen): State<Arc<Seen>>, body: Body| async move {
                // Read the whole chunk, as a server does, before answering.
                let _ = axum::body::to_bytes(body, usize::MAX).await;
                seen.chunks.fetch_add(1, Ordering::SeqCst);
                envelope(json!({}))
            }),
        )
        .route(
            "/api/v2/images/{uuid}",
            delete(|State(seen): State<Arc<Seen>>| async move {
                seen.deletes.fetch_add(1, Ordering::SeqCst);
                envelope(json!({}))
            }),
        )
        .with_state(Arc::clone(&seen));
    (serve(router).await, seen)
}

#[tokio::test]
async fn an_absurd_chunk_size_is_a_clear_error_and_nothing_is_sent() -> TestResult {
    let dir = tempfile::tempdir()?;
    let (iso, _) = write_iso(dir.path(), "SMTX_VMTOOLS-1.0.iso", 100 * 1024)?;
    for chunk_size in [
        json!(0),
        json!(1),
        json!(MAX_CHUNK_SIZE + 1),
        json!(-5),
        json!("8M"),
    ] {
        let (addr, seen) = upload_server(json!({"chunk_size": chunk_size})).await;
        let started = Instant::now();
        let error = client_for(addr)
            .upload_svt_image(&SvtUpload::new(&iso), &UploadOptions::default())
            .await
            .expect_err("refused");
        let text = error.to_string();
        assert!(text.contains("chunk"), "{chunk_size}: {text}");
        assert!(started.elapsed() < Duration::from_secs(2), "{chunk_size}");
        assert_eq!(
            seen.chunks.load(Ordering::SeqCst),
            0,
            "{chunk_size}: {text}"
        );
        // A number that is merely unusable still named a volume: it is deleted.
        if chunk_size.is_u64() {
            assert_eq!(
                seen.deletes.load(Ordering::SeqCst),
                1,
                "{chunk_size}: {text}"
            );
            assert!(
                text.contains("chunk_size") || text.contains("chunks of"),
                "{text}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn chunks_the_server_claims_are_trusted_only_if_they_fit_the_file() -> TestResult {
    let dir = tempfile::tempdir()?;
    // 10 chunks of 4 KiB.
    let (iso, _) = write_iso(dir.path(), "SMTX_VMTOOLS-1.0.iso", 10 * 4096)?;
    for (to_upload, why) in [
        (json!([0, 1, 1, 2]), "twice"),
        (json!([0, 10]), "the file has 10 chunks"),
        (
            json!([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
            "the file has 10 chunks",
        ),
    ] {
        let (addr, seen) = upload_server(json!({"chunk_size": 4096, "to_upload": to_upload})).await;
        let error = client_for(addr)
            .upload_svt_image(&SvtUpload::new(&iso), &UploadOptions::default())
            .await
            .expect_err("not trusted");
        let text = error.to_string();
        assert!(text.contains(why), "{to_upload}: {text}");
        // The volume is not the file's: deleted (and the recreated one too).
        assert_eq!(
            seen.deletes.load(Ordering::SeqCst),
            2,
            "{to_upload}: {text}"
        );
        assert_eq!(seen.chunks.load(Ordering::SeqCst), 0, "{to_upload}: {text}");
    }
    // A list that fits is trusted: only the chunks it names are sent.
    let (addr, seen) = upload_server(json!({"chunk_size": 4096, "to_upload": [7, 8, 9]})).await;
    let report = client_for(addr)
        .upload_svt_image(&SvtUpload::new(&iso), &UploadOptions::default())
        .await?;
    assert_eq!((report.chunks_sent, report.chunks_already_present), (3, 7));
    assert_eq!(seen.chunks.load(Ordering::SeqCst), 3);
    Ok(())
}

/// A job server: `GET /api/v2/jobs/{id}` answers what `answer` says for
/// poll number n (from 0).
async fn job_server(
    answer: impl Fn(u64) -> axum::response::Response + Clone + Send + Sync + 'static,
) -> (SocketAddr, Arc<AtomicU64>) {
    let polls = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&polls);
    let router = Router::new().route(
        "/api/v2/jobs/{id}",
        get(move |UrlPath(_id): UrlPath<String>| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            async move { answer(n) }
        }),
    );
    (serve(router).await, polls)
}

fn job_answer(state: &str) -> axum::response::Response {
    axum::response::IntoResponse::into_response(envelope(
        json!({"job": {"id": "j", "state": state, "description": "NETWORK_CREATE_VDS"}}),
    ))
}

fn short_wait(deadline: Duration) -> JobWait {
    JobWait {
        deadline,
        first_interval: Duration::from_millis(5),
        max_interval: Duration::from_millis(20),
    }
}

#[tokio::test]
async fn a_job_whose_state_never_changes_ends_at_its_deadline() -> TestResult {
    let (addr, polls) = job_server(|_| job_answer("running")).await;
    let started = Instant::now();
    let error = client_for(addr)
        .wait_job("j", short_wait(Duration::from_millis(400)))
        .await
        .expect_err("never done");
    assert!(matches!(error, ApiError::JobTimeout { .. }), "{error}");
    assert!(error.to_string().contains("running"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(polls.load(Ordering::SeqCst) >= 2);
    Ok(())
}

#[tokio::test]
async fn a_job_inventing_states_is_bounded_in_what_it_keeps_and_says() -> TestResult {
    // A new, long state on every poll.
    let (addr, _) =
        job_server(|n| job_answer(&format!("running-{n}-{}", "x".repeat(10_000)))).await;
    let error = client_for(addr)
        .wait_job("j", short_wait(Duration::from_millis(400)))
        .await
        .expect_err("never done");
    let text = error.to_string();
    assert!(matches!(error, ApiError::JobTimeout { .. }), "{text}");
    assert!(
        text.len() < 400,
        "the state is shortened: {} bytes",
        text.len()
    );
    Ok(())
}

#[tokio::test]
async fn a_job_answer_that_never_stops_growing_is_refused() -> TestResult {
    // An endless body: `{"ec":"EOK","data":{"job":{"state":"running","pad":"xxxx…` forever.
    let (addr, _) = job_server(|_| {
        let head = futures::stream::once(async {
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(
                br#"{"ec":"EOK","data":{"job":{"state":"running","pad":""#,
            ))
        });
        let endless = futures::stream::repeat_with(|| {
            Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; 64 * 1024]))
        });
        axum::response::Response::new(Body::from_stream(head.chain(endless)))
    })
    .await;
    let started = Instant::now();
    let error = client_for(addr)
        .wait_job("j", short_wait(Duration::from_secs(20)))
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("larger than"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

#[tokio::test]
async fn a_job_poll_that_is_never_answered_ends_at_the_deadline() -> TestResult {
    let router = Router::new().route(
        "/api/v2/jobs/{id}",
        get(|| async {
            futures::future::pending::<()>().await;
            ""
        }),
    );
    let addr = serve(router).await;
    // The request timeout (30 s by default) is not what ends the wait.
    let started = Instant::now();
    let error = client_for(addr)
        .wait_job("j", short_wait(Duration::from_millis(500)))
        .await
        .expect_err("no answer");
    assert!(matches!(error, ApiError::JobTimeout { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    Ok(())
}

#[tokio::test]
async fn an_abort_ends_a_job_wait_at_once() -> TestResult {
    let (addr, polls) = job_server(|_| job_answer("running")).await;
    let cancel = CancellationToken::new();
    let client = client_for(addr).with_cancellation(cancel.clone());
    let waiting = tokio::spawn(async move {
        client
            .wait_job(
                "j",
                JobWait {
                    deadline: Duration::from_secs(300),
                    first_interval: Duration::from_secs(5),
                    max_interval: Duration::from_secs(5),
                },
            )
            .await
    });
    // Once it has polled, it is in its 5 s pause.
    smtx_testkit::poll_until(Duration::from_secs(5), || async {
        (polls.load(Ordering::SeqCst) >= 1).then_some(())
    })
    .await
    .expect("the job is polled");
    let started = Instant::now();
    cancel.cancel();
    let error = waiting.await?.expect_err("aborted");
    assert!(matches!(error, ApiError::Cancelled { .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1));
    Ok(())
}

#[tokio::test]
async fn an_abort_stops_an_upload_mid_chunk_and_keeps_the_volume() -> TestResult {
    let sim = smtx_sim::start(
        ClusterSpec::example(1),
        SimOptions {
            tls: false,
            chunk_size: CHUNK,
            job_polls_to_finish: 0,
            ssh: false,
            // Slow enough that the abort lands in the middle of the upload.
            scenario: smtx_sim::Scenario {
                faults: vec![Fault::Latency {
                    ms: 50,
                    method: Some("POST".into()),
                    path: Some("/api/v2/svt_image/upload_template".into()),
                }],
            },
            ..SimOptions::default()
        },
    )
    .await?;
    let cancel = CancellationToken::new();
    let client = logged_in(&sim).await?.with_cancellation(cancel.clone());
    let dir = tempfile::tempdir()?;
    let (iso, sha) = write_iso(dir.path(), "SMTX_VMTOOLS-1.0.iso", 40 * CHUNK + 3)?;
    let upload = SvtUpload::new(&iso);
    let uploading = {
        let client = client.clone();
        let upload = upload.clone();
        tokio::spawn(async move {
            client
                .upload_svt_image(&upload, &UploadOptions::default())
                .await
        })
    };
    let received = smtx_testkit::poll_until(Duration::from_secs(20), || async {
        let images = images(&sim);
        let received = images.first()?["received_chunks"].as_u64()?;
        (received >= 3).then_some(received)
    })
    .await
    .expect("chunks arrive");
    let started = Instant::now();
    cancel.cancel();
    let error = uploading.await?.expect_err("aborted");
    assert!(matches!(error, ApiError::Cancelled { .. }), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let images = images(&sim);
    assert_eq!(images.len(), 1);
    assert_eq!(
        images[0]["deleted"], false,
        "the volume is kept for a resume"
    );
    assert_eq!(images[0]["complete"], false);
    assert!(images[0]["received_chunks"].as_u64() >= Some(received));
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 0);

    // A client that is not aborted resumes the same volume.
    let fresh = ApiClient::new(config(&sim)?)?;
    fresh.login("root", &Secret::new(ROOT_PASSWORD)).await?;
    let report = fresh
        .upload_svt_image(&upload, &UploadOptions::default())
        .await?;
    assert_eq!(report.sha256, sha);
    assert!(report.chunks_already_present >= 3, "{report:?}");
    assert_eq!(report.chunks_sent + report.chunks_already_present, 41);
    let images = self::images(&sim);
    assert_eq!(images.len(), 1, "no second volume");
    assert_eq!(images[0]["complete"], true);
    assert_eq!(images[0]["sha256"], sha.as_str());
    sim.shutdown().await;
    Ok(())
}
