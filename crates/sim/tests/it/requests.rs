//! Request bodies are typed: JSON that is not JSON, JSON of the wrong shape,
//! an oversized body and a missing session each get the API's error
//! envelope with the right status, and a wrong-typed field never echoes the
//! value it carried.

use reqwest::Method;
use serde_json::Value;
use smtx_testkit::start_http_sim;

use crate::common::{Answer, AnyError, Plain, TestResult};

async fn put_raw(
    client: &Plain,
    path: &str,
    token: Option<&str>,
    body: String,
) -> Result<Answer, AnyError> {
    let mut request = client
        .http
        .request(Method::PUT, client.host_url(0, path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.header("x-smartx-token", token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body = serde_json::from_slice(&response.bytes().await?).unwrap_or(Value::Null);
    Ok(Answer { status, body })
}

fn check(answer: &Answer, status: u16, ec: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.body["ec"], ec, "{answer:?}");
    assert!(answer.body["error"]["msg"].is_string(), "{answer:?}");
}

#[tokio::test]
async fn malformed_bodies_get_the_error_envelope() -> TestResult {
    let sim = start_http_sim(2).await;
    let mut client = Plain::new(&sim)?;
    client.setup_and_login("HC!r0cks").await?;
    let token = client.token.clone();
    let dns = "/api/v2/settings/dns";

    let not_json = put_raw(&client, dns, token.as_deref(), "{".to_owned()).await?;
    check(&not_json, 400, "INVALID_JSON");

    let missing = put_raw(&client, dns, token.as_deref(), "{}".to_owned()).await?;
    check(&missing, 400, "INVALID_ARGUMENT");
    assert_eq!(missing.body["error"]["msg"], "dns_servers is required");

    let wrong_type = r#"{"dns_servers": "hunter2-secret"}"#.to_owned();
    let wrong = put_raw(&client, dns, token.as_deref(), wrong_type).await?;
    check(&wrong, 400, "INVALID_ARGUMENT");
    assert!(!wrong.body.to_string().contains("hunter2"), "{wrong:?}");

    let huge = format!(r#"{{"dns_servers": ["{}"]}}"#, "1".repeat(2 << 20));
    check(
        &put_raw(&client, dns, token.as_deref(), huge).await?,
        413,
        "PAYLOAD_TOO_LARGE",
    );

    // The session is checked before the body is read.
    check(
        &put_raw(&client, dns, None, "{".to_owned()).await?,
        401,
        "UNAUTHORIZED",
    );
    check(
        &put_raw(&client, dns, Some("nope"), "{".to_owned()).await?,
        401,
        "UNAUTHORIZED",
    );

    // A well-formed body still works, and nothing above changed the cluster.
    let body = serde_json::json!({"dns_servers": ["10.0.0.53"]});
    let good = client.call(Method::PUT, 0, dns, Some(&body)).await?;
    assert_eq!(good.status, 200, "{good:?}");
    client
        .wait_job(0, good.data()["job_id"].as_str().unwrap_or_default())
        .await?;
    assert_eq!(
        client.state().await?["cluster"]["dns"],
        serde_json::json!(["10.0.0.53"])
    );
    Ok(())
}

#[tokio::test]
async fn a_query_that_does_not_fit_is_a_bad_request() -> TestResult {
    let sim = start_http_sim(1).await;
    let mut client = Plain::new(&sim)?;
    client.setup_and_login("HC!r0cks").await?;
    let bad_size = client
        .call(
            Method::POST,
            0,
            "/api/v2/svt_image/create_volume?name=a.iso&size=lots",
            None,
        )
        .await?;
    check(&bad_size, 400, "INVALID_ARGUMENT");
    let bad_chunk = client
        .call(
            Method::POST,
            0,
            "/api/v2/svt_image/upload_template?image_uuid=x&zbs_volume_id=y&chunk_num=-1",
            None,
        )
        .await?;
    check(&bad_chunk, 400, "INVALID_ARGUMENT");
    Ok(())
}
