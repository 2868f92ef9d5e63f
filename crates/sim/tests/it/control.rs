//! The control token: with `SimOptions::control_token` set, every `/_sim/*`
//! request needs `Authorization: Bearer <token>` (401 otherwise, nothing
//! armed), while the cluster API and the in-process `RunningSim` helpers
//! work as before.

use reqwest::Method;
use serde_json::json;
use smtx_secret::Secret;
use smtx_sim::{ClusterSpec, Fault, SimOptions};
use smtx_testkit::start_sim;

use crate::common::{Plain, TestResult};

const TOKEN: &str = "control-Ω-token";

#[tokio::test]
async fn the_control_token_guards_every_sim_endpoint() -> TestResult {
    let sim = start_sim(
        ClusterSpec::example(2),
        SimOptions {
            tls: false,
            control_token: Some(Secret::new(TOKEN)),
            ..SimOptions::default()
        },
    )
    .await;
    let mut client = Plain::new(&sim)?;
    let fault = json!({"kind": "not_deployed"});
    let base = sim.control_url();
    for (method, path) in [
        (Method::GET, "/_sim/state"),
        (Method::POST, "/_sim/faults"),
        (Method::GET, "/_sim/nonsense"),
    ] {
        let url = format!("{base}{path}");
        for auth in [None, Some("wrong"), Some("")] {
            let mut request = client.http.request(method.clone(), &url).json(&fault);
            if let Some(auth) = auth {
                request = request.bearer_auth(auth);
            }
            let answer = request.send().await?;
            assert_eq!(answer.status(), 401, "{method} {path} with {auth:?}");
            assert_eq!(
                answer
                    .headers()
                    .get("www-authenticate")
                    .map(|v| v.as_bytes()),
                Some(&b"Bearer"[..])
            );
            let body: serde_json::Value = answer.json().await?;
            assert_eq!(body["ec"], "UNAUTHORIZED");
            assert!(!body.to_string().contains(TOKEN), "{body}");
        }
        // The token in another scheme is not the bearer token either.
        let basic = client
            .http
            .request(method.clone(), &url)
            .header("authorization", TOKEN);
        assert_eq!(basic.send().await?.status(), 401);
    }
    assert_eq!(
        sim.state()["cluster"]["deployed"],
        true,
        "nothing was armed"
    );

    // With the token: the control endpoints and the test client's helpers work.
    assert_eq!(client.inject(&fault).await?, 200);
    assert_eq!(client.state().await?["cluster"]["deployed"], false);
    let unknown = client.control(Method::GET, "/_sim/nonsense").send().await?;
    assert_eq!(unknown.status(), 404);

    // The cluster API needs no control token, and in-process helpers none.
    client.setup_and_login("HC!r0cks").await?;
    let license = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(license.status, 200, "{license:?}");
    sim.inject(Fault::BmcUnreachable {
        ip: "10.0.1.11".parse()?,
    });
    assert_eq!(sim.state()["cluster"]["initialized"], true);
    assert_eq!(sim.control_token().map(Secret::expose), Some(TOKEN));
    Ok(())
}

#[tokio::test]
async fn without_a_token_the_control_endpoints_are_open() -> TestResult {
    let sim = smtx_testkit::start_http_sim(1).await;
    let client = Plain::new(&sim)?;
    assert!(sim.control_token().is_none());
    let answer = client
        .http
        .get(format!("{}/_sim/state", sim.control_url()))
        .send()
        .await?;
    assert_eq!(answer.status(), 200);
    Ok(())
}
