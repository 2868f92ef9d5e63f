//! Issue 12 on the simulator: the read-back GETs `check` uses (each answers
//! what the matching write stored, behind a session), the control endpoint
//! that removes a VLAN behind the client's back, the network round trip of
//! `--latency-ms`, and many clusters in one process.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use smtx_sim::fleet::start_fleet;
use smtx_sim::{ClusterSpec, SimOptions};
use smtx_testkit::start_sim;

use crate::common::{Plain, TestResult};

const PASSWORD: &str = "HC!r0cks";

#[tokio::test]
async fn each_read_back_answers_what_its_write_stored() -> TestResult {
    let sim = start_sim(ClusterSpec::example(2), SimOptions::default()).await;
    let mut plain = Plain::new(&sim)?;
    let refused = plain
        .call(Method::GET, 0, "/api/v2/settings/dns", None)
        .await?;
    assert_eq!(refused.status, 401, "read-backs need a session");
    plain.setup_and_login(PASSWORD).await?;

    let fresh = plain
        .call(Method::GET, 0, "/api/v2/settings/vip", None)
        .await?;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.data()["management_vip"], Value::Null);

    let writes = [
        (
            "/api/v2/settings/vip",
            json!({"iscsi_vip": null, "management_vip": "10.0.20.10"}),
        ),
        (
            "/api/v2/settings/dns",
            json!({"dns_servers": ["10.0.0.114", "10.0.0.1"]}),
        ),
        (
            "/api/v2/settings/ntp",
            json!({"ntp_mode": "external", "ntp_servers": ["10.0.0.2", "ntp.example.com"]}),
        ),
    ];
    for (path, body) in &writes {
        let answer = plain.call(Method::PUT, 0, path, Some(body)).await?;
        let job = answer.data()["job_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        plain.wait_job(0, &job).await?;
    }
    let read = |path: &'static str| {
        let plain = &plain;
        async move { plain.call(Method::GET, 0, path, None).await }
    };
    assert_eq!(
        read("/api/v2/settings/vip").await?.data()["management_vip"],
        "10.0.20.10"
    );
    assert_eq!(
        read("/api/v2/settings/dns").await?.data()["dns_servers"],
        json!(["10.0.0.114", "10.0.0.1"])
    );
    let ntp = read("/api/v2/settings/ntp").await?;
    assert_eq!(ntp.data()["ntp_mode"], "external");
    assert_eq!(
        ntp.data()["ntp_servers"],
        json!(["10.0.0.2", "ntp.example.com"])
    );

    let state = plain.state().await?;
    let uuid = state["hosts"][0]["host_uuid"].as_str().unwrap_or_default();
    let accounts = json!({"accounts": [{"node_uuid": uuid, "node_name": "node-01",
        "host": "10.0.1.11", "user": "ADMIN", "password": "secret-bmc"}]});
    plain
        .call(
            Method::POST,
            0,
            "/api/v2/ipmi/upsert_accounts",
            Some(&accounts),
        )
        .await?;
    let stored = read("/api/v2/ipmi/accounts").await?;
    assert_eq!(stored.data()[0]["node_uuid"], uuid);
    assert_eq!(stored.data()[0]["host"], "10.0.1.11");
    assert_eq!(stored.data()[0]["user"], "ADMIN");
    assert!(
        !stored.body.to_string().contains("secret-bmc"),
        "never a password"
    );

    let volume = plain
        .call(
            Method::POST,
            0,
            "/api/v2/svt_image/create_volume?name=SMTX_VMTOOLS-1.iso&size=10",
            None,
        )
        .await?;
    assert_eq!(volume.status, 200);
    let images = read("/api/v2/images").await?;
    assert_eq!(images.data()["images"][0]["name"], "SMTX_VMTOOLS-1.iso");
    assert_eq!(images.data()["images"][0]["resource_state"], "UPLOADING");
    // The writes still answer as before on the same paths.
    let put = plain
        .call(Method::PUT, 0, "/api/v2/settings/dns", Some(&writes[1].1))
        .await?;
    assert_eq!(put.status, 200);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_control_endpoint_removes_a_vlan_once() -> TestResult {
    let sim = start_sim(ClusterSpec::example(1), SimOptions::default()).await;
    let mut plain = Plain::new(&sim)?;
    plain.setup_and_login(PASSWORD).await?;
    let vdses = plain
        .call(Method::GET, 0, "/api/v2/network/vds", None)
        .await?;
    let vds = vdses.data()[0]["uuid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let name = vdses.data()[0]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let path = format!("/api/v2/network/vds/{vds}/vlans");
    let body = json!({"name": "VLAN-1120", "vlan_id": 1120, "vds_uuid": vds});
    assert_eq!(
        plain
            .call(Method::POST, 0, &path, Some(&body))
            .await?
            .status,
        200
    );

    let control = format!("{}/_sim/vds/{name}/vlans/VLAN-1120", sim.control_url());
    let removed = plain.send(Method::DELETE, &control, None, None).await?;
    assert_eq!(removed.status, 200, "{:?}", removed.body);
    assert_eq!(removed.data()["removed"]["vlan_id"], 1120);
    let left = plain.call(Method::GET, 0, &path, None).await?;
    assert_eq!(left.data(), &json!([]));
    let again = plain.send(Method::DELETE, &control, None, None).await?;
    assert_eq!(again.status, 404);
    assert_eq!(again.body["ec"], "VLAN_NOT_FOUND");
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn latency_delays_every_call_and_ssh_exchange_but_not_the_control_endpoints() -> TestResult {
    // Long enough that a loaded CI machine answers the control endpoint
    // well within it (150 ms left too little room).
    let round_trip = Duration::from_millis(400);
    let options = SimOptions {
        latency: round_trip,
        ..SimOptions::default()
    };
    let sim = start_sim(ClusterSpec::example(1), options).await;
    let plain = Plain::new(&sim)?;
    // Warm the connection so the TLS handshake does not count.
    plain.state().await?;
    let started = Instant::now();
    plain.state().await?;
    assert!(started.elapsed() < round_trip, "{:?}", started.elapsed());
    let started = Instant::now();
    let answer = plain
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(answer.status, 401);
    assert!(started.elapsed() >= round_trip, "{:?}", started.elapsed());

    let started = Instant::now();
    let ok = crate::sim_ssh::login(&sim, 1, 0, "smartx", smtx_sim::DEFAULT_HOST_PASSWORD).await?;
    assert!(ok);
    assert!(started.elapsed() >= round_trip, "{:?}", started.elapsed());
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_fleet_is_so_many_separate_clusters_in_one_process() -> TestResult {
    let specs = (0..3)
        .map(|index| {
            let mut spec = ClusterSpec::example(1);
            spec.cluster_name = format!("fleet-{index}");
            spec.seed = 100 + index;
            (format!("site-{index}"), spec)
        })
        .collect();
    let fleet = start_fleet(specs, SimOptions::default()).await?;
    assert_eq!(fleet.len(), 3);
    let mut serials = Vec::new();
    let mut plain = Plain::new(&fleet.members()[1].sim)?;
    plain.setup_and_login(PASSWORD).await?;
    for member in fleet.members() {
        serials.push(member.sim.serial());
        let calls = member.sim.state()["calls"].as_array().map_or(0, Vec::len);
        let expected = usize::from(member.label == "site-1") * 2;
        assert_eq!(
            calls, expected,
            "{}: its own state and call log",
            member.label
        );
    }
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 3, "each cluster its own identity");
    fleet.shutdown().await;
    Ok(())
}
