//! The token: off loopback one is required (generated when none is given);
//! every `/api` call needs it as a bearer token, the event stream and file
//! downloads take `?token=`; the page itself and `/api/session` do not.

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::json;

use crate::Console;

#[tokio::test(flavor = "multi_thread")]
async fn off_loopback_every_api_call_needs_the_token() {
    let console = Console::start_with(Some(SocketAddr::from(([0, 0, 0, 0], 0))), None).await;
    let token = console
        .running
        .generated_token()
        .expect("a token was generated")
        .expose()
        .to_string();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    let client = reqwest::Client::new();

    // Without it: 401 with the error shape, in both languages.
    for path in [
        "/api/plans",
        "/api/runs",
        "/api/scenarios",
        "/api/runs/x/events",
    ] {
        let answer = client.get(console.url(path)).send().await.expect("answers");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = answer.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"]["zh-CN"].is_string());
    }
    let wrong = client
        .get(console.url("/api/runs"))
        .bearer_auth("0".repeat(32))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_query = client
        .get(console.url("/api/runs?token=nope"))
        .send()
        .await
        .expect("answers");
    assert_eq!(wrong_query.status(), StatusCode::UNAUTHORIZED);
    // A POST does not take it from the query.
    let post = client
        .post(console.url(&format!("/api/runs?token={token}")))
        .json(&json!({}))
        .send()
        .await
        .expect("answers");
    assert_eq!(post.status(), StatusCode::UNAUTHORIZED);

    // The page and the session answer without it.
    let page = client.get(console.url("/")).send().await.expect("answers");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/html"))
    );
    for (path, kind) in [("/app.js", "text/javascript"), ("/app.css", "text/css")] {
        let asset = client.get(console.url(path)).send().await.expect("answers");
        assert_eq!(asset.status(), StatusCode::OK);
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .is_ok_and(|t| t.starts_with(kind))
        );
    }
    let session: serde_json::Value = client
        .get(console.url("/api/session"))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(session, json!({ "auth_required": true, "ok": false }));
    let session: serde_json::Value = client
        .get(console.url("/api/session"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(session, json!({ "auth_required": true, "ok": true }));

    // With it: 200, and a whole run through the API.
    let (status, _) = console.get("/api/runs").await;
    assert_eq!(status, StatusCode::OK);
    let plan = console.template_plan().await;
    let id = console.rehearse(&plan, json!({ "iso_mib": 0 })).await;
    // The stream, as EventSource opens it: the token in the query.
    let stream = client
        .get(console.url(&format!("/api/runs/{id}/events?token={token}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(stream.status(), StatusCode::OK);
    let events = crate::parse_sse(&stream.text().await.expect("the stream ends"));
    assert_eq!(events.last().map(|e| e.event.as_str()), Some("end"));
    let report = client
        .get(console.url(&format!("/api/runs/{id}/files/report.json?token={token}")))
        .send()
        .await
        .expect("answers");
    assert_eq!(report.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn on_loopback_no_token_is_asked_unless_one_is_given() {
    let open = Console::start().await;
    assert!(open.running.generated_token().is_none());
    let (status, session) = open.get("/api/session").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session, json!({ "auth_required": false, "ok": true }));
    let (status, _) = open.get("/api/runs").await;
    assert_eq!(status, StatusCode::OK);

    let closed = Console::start_with(None, Some("a-chosen-token")).await;
    assert!(closed.running.generated_token().is_none());
    let answer = reqwest::Client::new()
        .get(closed.url("/api/runs"))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = closed.get("/api/runs").await;
    assert_eq!(status, StatusCode::OK);
}
