//! Every fault kind, armed from a scenario file, `POST /_sim/faults` or
//! `RunningSim::inject`, triggered by a plain client and seen in the answers
//! and in `/_sim/state`. (The SSH faults are in `sim_ssh`.)

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use smtx_sim::{ClusterSpec, Fault, Scenario, SimOptions};
use smtx_testkit::start_sim;

use crate::common::{AnyError, PRE_TOKEN, Plain, TestResult};
use crate::session::upload_chunk;

async fn http_sim(scenario: Scenario) -> smtx_sim::RunningSim {
    start_sim(
        ClusterSpec::example(3),
        SimOptions {
            tls: false,
            chunk_size: 16,
            job_polls_to_finish: 1,
            scenario,
            ..SimOptions::default()
        },
    )
    .await
}

async fn logged_in(sim: &smtx_sim::RunningSim) -> Result<Plain, AnyError> {
    let mut client = Plain::new(sim)?;
    client.setup_and_login("HC!r0cks").await?;
    Ok(client)
}

/// The shipped scenarios, one per story (`crates/sim/scenarios/*.toml`).
fn shipped_scenarios() -> Result<Vec<(String, Scenario)>, AnyError> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut scenarios = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            scenarios.push((name, Scenario::from_toml(&std::fs::read_to_string(&path)?)?));
        }
    }
    scenarios.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(scenarios)
}

fn shipped(name: &str) -> Result<Scenario, AnyError> {
    shipped_scenarios()?
        .into_iter()
        .find(|(file, _)| file == name)
        .map(|(_, scenario)| scenario)
        .ok_or_else(|| format!("no scenario {name}").into())
}

#[test]
fn the_shipped_scenarios_together_name_every_fault_kind() -> TestResult {
    let scenarios = shipped_scenarios()?;
    assert!(scenarios.len() >= 3, "one file per story: {scenarios:?}");
    let mut kinds: Vec<String> = scenarios
        .iter()
        .flat_map(|(_, scenario)| &scenario.faults)
        .map(|fault| serde_json::to_value(fault).map(|v| v["kind"].to_string()))
        .collect::<Result<_, _>>()?;
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds.len(), 15, "{kinds:?}");
    // A rehearsal with any story but the failing deployment gets past prepare.
    for (name, scenario) in &scenarios {
        if name != "failing-deployment.toml" {
            assert!(
                !scenario.faults.contains(&Fault::NotDeployed),
                "{name} would stop at prepare"
            );
        }
    }
    assert!(Scenario::from_toml("[[faults]]\nkind = \"no_such_fault\"\n").is_err());
    Ok(())
}

#[tokio::test]
async fn the_scenario_files_arm_their_faults() -> TestResult {
    let mut scenario = shipped("failing-deployment.toml")?;
    scenario
        .faults
        .extend(shipped("configured-by-hand.toml")?.faults);
    scenario
        .faults
        .extend(shipped("flaky-network.toml")?.faults);
    let sim = http_sim(scenario).await;
    let mut client = Plain::new(&sim)?;
    let url = client.host_url(0, "/api/v2/deployment/deploy_verify");
    let verify = client
        .send(Method::GET, &url, Some(PRE_TOKEN), None)
        .await?;
    assert_eq!(verify.data()["is_deployed"], false, "not_deployed");
    // already_initialized without a password: setupRoot refused, login
    // takes the refused call's password.
    let refused = client.setup_and_login("HC!r0cks").await;
    assert!(refused.is_err());
    client.login("HC!r0cks").await?;
    let dns = json!({"dns_servers": ["10.0.0.1"]});
    for _ in 0..2 {
        let answer = client
            .call(Method::PUT, 0, "/api/v2/settings/dns", Some(&dns))
            .await?;
        assert_eq!(answer.status, 503);
    }
    let answer = client
        .call(Method::PUT, 0, "/api/v2/settings/dns", Some(&dns))
        .await?;
    assert_eq!(answer.status, 200);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn endpoint_status_and_latency_from_the_control_endpoint() -> TestResult {
    let sim = http_sim(Scenario::default()).await;
    let client = logged_in(&sim).await?;
    let armed = client
        .inject(
            &json!({"kind": "endpoint_status", "method": "GET", "path": "/api/v2/tools/*",
                        "status": 503, "times": 2}),
        )
        .await?;
    assert_eq!(armed, 200);
    for _ in 0..2 {
        let answer = client
            .call(Method::GET, 0, "/api/v2/tools/license", None)
            .await?;
        assert_eq!(answer.status, 503);
        assert_eq!(answer.body["ec"], "INJECTED_FAULT");
        assert_eq!(answer.body["data"], json!({}));
    }
    let answer = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(answer.status, 200);

    let bad = client.inject(&json!({"kind": "no_such_fault"})).await?;
    assert_eq!(bad, 400);

    client
        .inject(
            &json!({"faults": [{"kind": "latency", "ms": 300, "path": "/api/v2/tools/license"}]}),
        )
        .await?;
    let started = Instant::now();
    let slow = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(slow.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );

    let state = client.state().await?;
    let statuses: Vec<u64> = state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["path"] == "/api/v2/tools/license")
        .filter_map(|call| call["status"].as_u64())
        .collect();
    assert_eq!(statuses, vec![503, 503, 200, 200]);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn jobs_fail_and_their_effect_is_not_applied() -> TestResult {
    let sim = http_sim(Scenario::default()).await;
    let client = logged_in(&sim).await?;
    sim.inject(Fault::JobFails {
        description: "UPDATE_DNS".to_owned(),
        times: 1,
    });
    sim.inject(Fault::JobFails {
        description: "NETWORK_CREATE_VDS".to_owned(),
        times: 1,
    });
    let dns = client
        .call(
            Method::PUT,
            0,
            "/api/v2/settings/dns",
            Some(&json!({"dns_servers": ["10.0.0.1"]})),
        )
        .await?;
    let job = client
        .wait_job(0, dns.data()["job_id"].as_str().ok_or("job_id")?)
        .await?;
    assert_eq!(job["state"], "failed");
    assert!(
        job["error"]
            .as_str()
            .is_some_and(|e| e.contains("UPDATE_DNS"))
    );

    let scan = client
        .send(
            Method::GET,
            &client.host_url(0, "/api/v2/deployment/host"),
            Some(PRE_TOKEN),
            None,
        )
        .await?;
    let body = json!({"name": "vDS-Biz", "bond_mode": "active-backup",
        "hosts_associated": [{"host_uuid": scan.data()["host_uuid"], "nics_associated": ["ens162"]}]});
    let created = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    let job = client
        .wait_job(0, created.data()["job_id"].as_str().ok_or("job_id")?)
        .await?;
    assert_eq!(job["state"], "failed");

    let unknown = client
        .call(Method::GET, 0, "/api/v2/jobs/no-such-job", None)
        .await?;
    assert_eq!(unknown.status, 404);
    let state = sim.state();
    assert_eq!(state["cluster"]["dns"], json!([]));
    assert!(
        !state["vdses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v["name"] == "vDS-Biz")
    );
    // The fault was for one job: the retry works.
    let again = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    let job = client
        .wait_job(0, again.data()["job_id"].as_str().ok_or("job_id")?)
        .await?;
    assert_eq!(job["state"], "done");
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn chunks_fail_and_connections_drop_mid_upload() -> TestResult {
    let sim = http_sim(Scenario::default()).await;
    let client = logged_in(&sim).await?;
    sim.inject(Fault::ChunkFails { chunk: 1, times: 2 });
    sim.inject(Fault::DropUpload { chunk: 0, times: 1 });
    let data: Vec<u8> = (0..40_u8).collect();
    let volume = client
        .call(
            Method::POST,
            0,
            "/api/v2/svt_image/create_volume?name=a.iso&size=40",
            None,
        )
        .await?;
    let volume: Value = volume.data().clone();
    let target = client.hosts[0].clone();

    let dropped = upload_chunk(&client, &target, &volume, 0, &data[..16]).await;
    assert!(dropped.is_err(), "the connection must drop: {dropped:?}");
    let retried = upload_chunk(&client, &target, &volume, 0, &data[..16]).await?;
    assert_eq!(retried.status, 200);
    for _ in 0..2 {
        let failed = upload_chunk(&client, &target, &volume, 1, &data[16..32]).await?;
        assert_eq!(failed.status, 500);
        assert_eq!(failed.body["ec"], "CHUNK_UPLOAD_FAILED");
    }
    let third = upload_chunk(&client, &target, &volume, 1, &data[16..32]).await?;
    assert_eq!(third.status, 200);
    assert_eq!(third.data()["to_upload"], json!([2]));
    let last = upload_chunk(&client, &target, &volume, 2, &data[32..]).await?;
    assert_eq!(last.data()["to_upload"], json!([]));

    let state = client.state().await?;
    assert_eq!(state["images"][0]["complete"], true);
    let upload_statuses: Vec<u64> = state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["path"] == "/api/v2/svt_image/upload_template")
        .filter_map(|call| call["status"].as_u64())
        .collect();
    assert_eq!(
        upload_statuses,
        vec![0, 200, 500, 500, 200, 200],
        "0 = dropped"
    );

    // Rollback: the image can be deleted, once.
    let uuid = volume["image_uuid"].as_str().ok_or("uuid")?;
    let path = format!("/api/v2/images/{uuid}");
    assert_eq!(
        client.call(Method::DELETE, 0, &path, None).await?.status,
        200
    );
    assert_eq!(
        client.call(Method::DELETE, 0, &path, None).await?.status,
        404
    );
    assert_eq!(sim.state()["images"][0]["deleted"], true);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn tokens_expire_after_n_calls() -> TestResult {
    let sim = http_sim(Scenario::default()).await;
    sim.inject(Fault::TokenExpiresAfter { calls: 3 });
    let mut client = logged_in(&sim).await?;
    for _ in 0..3 {
        let answer = client
            .call(Method::GET, 0, "/api/v2/tools/license", None)
            .await?;
        assert_eq!(answer.status, 200);
    }
    let expired = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.body["ec"], "TOKEN_EXPIRED");
    client.login("HC!r0cks").await?;
    let fresh = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(fresh.status, 200);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_token_expires_mid_call_once_for_the_held_call_and_the_other() -> TestResult {
    const HELD: &str = "/api/v2/tools/license";
    const OTHER: &str = "/api/v2/settings/dns";
    let sim = http_sim(Scenario::default()).await;
    sim.inject(Fault::Latency {
        ms: 1500,
        method: Some("GET".to_owned()),
        path: Some(HELD.to_owned()),
    });
    sim.inject(Fault::TokenExpiresMidCall);
    let mut client = logged_in(&sim).await?;
    // Before any call is held, calls go through and the fault stays armed.
    assert_eq!(client.call(Method::GET, 0, OTHER, None).await?.status, 200);

    // The other call is repeated until one arrives while the held call
    // waits: that one is refused, and so is the held call after its wait.
    let (held, other) = tokio::join!(client.call(Method::GET, 0, HELD, None), async {
        smtx_testkit::poll_until(Duration::from_secs(10), || async {
            match client.call(Method::GET, 0, OTHER, None).await {
                Ok(answer) if answer.status == 200 => None,
                other => Some(other),
            }
        })
        .await
    });
    let other = other.ok_or("no call was refused while the held one waited")??;
    assert_eq!(other.status, 401);
    assert_eq!(other.body["ec"], "TOKEN_EXPIRED");
    assert_eq!(
        held?.status, 401,
        "the held call's session is checked after its wait"
    );

    // Once: a new login's token works, held or not.
    client.login("HC!r0cks").await?;
    let (held, other) = tokio::join!(
        client.call(Method::GET, 0, HELD, None),
        client.call(Method::GET, 0, OTHER, None)
    );
    assert_eq!((held?.status, other?.status), (200, 200));
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn already_initialized_vds_uuid_not_deployed_and_bmc_faults() -> TestResult {
    let sim = http_sim(Scenario::default()).await;
    for fault in [
        Fault::AlreadyInitialized { password: None },
        Fault::VdsCreateReturnsUuid,
        Fault::NotDeployed,
        Fault::BmcUnreachable {
            ip: "10.0.1.12".parse()?,
        },
    ] {
        sim.inject(fault);
    }
    let mut client = Plain::new(&sim)?;
    let setup = client
        .send(
            Method::POST,
            &client.host_url(0, "/api/v3/users:setupRoot"),
            None,
            Some(&json!({"password": "HC!r0cks", "repeat": "HC!r0cks", "encrypted": false})),
        )
        .await?;
    assert_eq!(setup.status, 409, "already initialized from the first call");
    assert_eq!(setup.body["ec"], "USER_ALREADY_INITIALIZED");
    client.login("HC!r0cks").await?;

    let verify = client
        .send(
            Method::GET,
            &client.host_url(2, "/api/v2/deployment/deploy_verify"),
            Some(PRE_TOKEN),
            None,
        )
        .await?;
    assert_eq!(verify.data()["is_deployed"], false);

    let mut uuids = Vec::new();
    for index in 0..3 {
        let scan = client
            .send(
                Method::GET,
                &client.host_url(index, "/api/v2/deployment/host"),
                Some(PRE_TOKEN),
                None,
            )
            .await?;
        uuids.push(scan.data()["host_uuid"].clone());
    }
    let accounts: Vec<Value> = (0..3)
        .map(|i| {
            json!({"node_name": format!("node-{:02}", i + 1), "host": format!("10.0.1.{}", 11 + i),
                   "user": "root", "node_uuid": uuids[i], "password": "pw"})
        })
        .collect();
    let ipmi = client
        .call(
            Method::POST,
            0,
            "/api/v2/ipmi/upsert_accounts",
            Some(&json!({ "accounts": accounts })),
        )
        .await?;
    assert_eq!(ipmi.status, 200);
    assert_eq!(ipmi.data()["success"].as_array().map(Vec::len), Some(2));
    assert_eq!(ipmi.data()["failure"][0]["host"], "10.0.1.12");
    assert_eq!(ipmi.data()["failure"][0]["is_valid"], false);

    let body = json!({"name": "vDS-Biz", "bond_mode": "active-backup",
        "hosts_associated": [{"host_uuid": uuids[0], "nics_associated": ["ens162", "ens194"]}]});
    let created = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    let uuid = created.data()["uuid"].as_str().ok_or("uuid, not a job")?;
    assert!(created.data().get("job_id").is_none());
    let detail = client
        .call(Method::GET, 0, &format!("/api/v2/network/vds/{uuid}"), None)
        .await?;
    assert_eq!(detail.data()["name"], "vDS-Biz");
    let state = sim.state();
    assert_eq!(state["cluster"]["deployed"], false);
    assert_eq!(state["ipmi_accounts"].as_array().map(Vec::len), Some(3));
    sim.shutdown().await;
    Ok(())
}

/// `vip_in_use`: another device holds the VIP, so its listeners accept
/// connections before the VIP is set, and answer as a stranger would. Without
/// the fault nothing listens there until `PUT settings/vip`.
#[tokio::test]
async fn vip_in_use_opens_the_vip_listeners_before_it_is_set() -> TestResult {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/vip-in-use.toml");
    let scenario = Scenario::from_toml(&std::fs::read_to_string(path)?)?;
    assert_eq!(scenario.faults, vec![Fault::VipInUse]);
    let free = http_sim(Scenario::default()).await;
    let taken = http_sim(scenario).await;
    for (sim, answers) in [(&free, false), (&taken, true)] {
        let vip = sim.vip().ok_or("the example has a VIP")?;
        for address in [Some(vip.http), vip.ssh].into_iter().flatten() {
            let connected = tokio::net::TcpStream::connect(address).await.is_ok();
            assert_eq!(connected, answers, "{address}");
        }
    }
    let client = logged_in(&taken).await?;
    let vip_url = client.vip_url("/api/v2/tools/license").ok_or("vip")?;
    let stranger = client
        .send(Method::GET, &vip_url, client.token.as_deref(), None)
        .await?;
    assert_eq!(stranger.status, 503, "{}", stranger.body);

    // Armed at run time, through the control endpoint, it opens them too.
    let client = logged_in(&free).await?;
    assert_eq!(client.inject(&json!({"kind": "vip_in_use"})).await?, 200);
    let vip = free.vip().ok_or("vip")?;
    tokio::net::TcpStream::connect(vip.http).await?;
    free.shutdown().await;
    taken.shutdown().await;
    Ok(())
}
