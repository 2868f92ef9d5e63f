//! Conformance: for every captured sample in `../shared/reference/samples`,
//! the simulator answers the same request with the same JSON structure (keys
//! and value types, recursively).

use reqwest::Method;
use serde_json::{Value, json};
use smtx_sim::{ClusterSpec, Fault, SimOptions};
use smtx_testkit::{reference_sample, shared_reference_dir, start_sim};

use crate::common::{AnyError, PRE_TOKEN, Plain, TestResult, structure_differences};

/// The simulator's answer to the request each sample captured.
async fn answer_for(sample: &str, client: &mut Plain) -> Result<Value, AnyError> {
    let answer = match sample {
        "host_scan_response.json" => {
            let url = client.host_url(0, "/api/v2/deployment/host");
            client.send(Method::GET, &url, Some(PRE_TOKEN), None).await?
        }
        "setup_root_response.json" => {
            let url = client.host_url(0, "/api/v3/users:setupRoot");
            let body = json!({"password": "HC!r0cks", "repeat": "HC!r0cks", "encrypted": false});
            client.send(Method::POST, &url, None, Some(&body)).await?
        }
        "ipmi_upsert_accounts_response.json" => {
            // The capture is the all-failed case: every BMC is unreachable here.
            let scan = client
                .send(
                    Method::GET,
                    &client.host_url(0, "/api/v2/deployment/host"),
                    Some(PRE_TOKEN),
                    None,
                )
                .await?;
            let accounts: Vec<Value> = (1..=3)
                .map(|n| {
                    json!({"node_name": format!("node-{n:02}"), "host": format!("10.0.1.{}", 10 + n),
                           "user": "root", "node_uuid": scan.data()["host_uuid"], "password": "x"})
                })
                .collect();
            client
                .call(
                    Method::POST,
                    0,
                    "/api/v2/ipmi/upsert_accounts",
                    Some(&json!({ "accounts": accounts })),
                )
                .await?
        }
        "vds_create_job_response.json" => {
            let job_id = create_business_vds(client).await?;
            client
                .call(Method::GET, 0, &format!("/api/v2/jobs/{job_id}"), None)
                .await?
        }
        "vds_detail_response.json" => {
            let uuid = business_vds_uuid(client).await?;
            client
                .call(Method::GET, 0, &format!("/api/v2/network/vds/{uuid}"), None)
                .await?
        }
        "vds_vlan_create_response.json" => {
            let uuid = business_vds_uuid(client).await?;
            let body = json!({"name": "VLAN-1120", "vlan_id": 1120, "vds_uuid": uuid});
            client
                .call(
                    Method::POST,
                    0,
                    &format!("/api/v2/network/vds/{uuid}/vlans"),
                    Some(&body),
                )
                .await?
        }
        "svt_create_volume_response.json" => {
            client
                .call(
                    Method::POST,
                    0,
                    "/api/v2/svt_image/create_volume?name=SMTX_VMTOOLS-3.2.0-2501210639.iso&size=317816832",
                    None,
                )
                .await?
        }
        "license_response.json" => client.call(Method::GET, 0, "/api/v2/tools/license", None).await?,
        other => return Err(format!("no conformance request for sample {other}: add one").into()),
    };
    if answer.status != 200 {
        return Err(format!("{sample}: status {} {}", answer.status, answer.body).into());
    }
    Ok(answer.body)
}

async fn create_business_vds(client: &Plain) -> Result<String, AnyError> {
    let scans = {
        let mut scans = Vec::new();
        for index in 0..client.hosts.len() {
            let url = client.host_url(index, "/api/v2/deployment/host");
            scans.push(
                client
                    .send(Method::GET, &url, Some(PRE_TOKEN), None)
                    .await?,
            );
        }
        scans
    };
    let hosts: Vec<Value> = scans
        .iter()
        .map(|scan| {
            json!({"host_uuid": scan.data()["host_uuid"], "nics_associated": ["ens162", "ens194"],
                   "data_ip": "10.0.21.211"})
        })
        .collect();
    let body =
        json!({"name": "vDS-Production", "bond_mode": "active-backup", "hosts_associated": hosts});
    let answer = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    answer.data()["job_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("VDS create answered {}", answer.body).into())
}

async fn business_vds_uuid(client: &Plain) -> Result<String, AnyError> {
    let list = client
        .call(Method::GET, 0, "/api/v2/network/vds", None)
        .await?;
    if let Some(uuid) = list.data().as_array().and_then(|list| {
        list.iter()
            .find(|vds| vds["name"] == "vDS-Production")
            .and_then(|vds| vds["uuid"].as_str())
    }) {
        return Ok(uuid.to_owned());
    }
    let job_id = create_business_vds(client).await?;
    let job = client.wait_job(0, &job_id).await?;
    job["event"]["data"]["uuid"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("job has no uuid: {job}").into())
}

#[tokio::test]
async fn every_sample_has_the_structure_of_the_simulators_answer() -> TestResult {
    let sim = start_sim(ClusterSpec::example(3), SimOptions::default()).await;
    for n in 1..=3 {
        sim.inject(Fault::BmcUnreachable {
            ip: format!("10.0.1.{}", 10 + n).parse()?,
        });
    }
    let mut client = Plain::new(&sim)?;
    let mut names: Vec<String> = std::fs::read_dir(shared_reference_dir().join("samples"))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    // setupRoot first: the other calls need its session.
    names.sort_by_key(|name| name != "setup_root_response.json");
    assert!(
        names.len() >= 8,
        "expected the 8 captured samples, found {names:?}"
    );
    let mut failures = Vec::new();
    for name in &names {
        let answer = answer_for(name, &mut client).await?;
        if name == "setup_root_response.json" {
            client.login("HC!r0cks").await?;
        }
        let differences = structure_differences(&reference_sample(name), &answer);
        if !differences.is_empty() {
            failures.push(format!("{name}:\n  {}", differences.join("\n  ")));
        }
    }
    sim.shutdown().await;
    assert!(
        failures.is_empty(),
        "structure differs:\n{}",
        failures.join("\n")
    );
    Ok(())
}

#[test]
fn the_structure_check_sees_missing_keys_and_wrong_types() {
    let sample = json!({"a": 1, "b": {"c": "x"}, "d": [ {"e": true} ]});
    assert!(structure_differences(&sample, &json!({"a": 2, "b": {"c": "y"}, "d": []})).is_empty());
    let differences = structure_differences(
        &sample,
        &json!({"a": "1", "b": {}, "d": [{"e": 1}], "z": 0}),
    );
    assert_eq!(differences.len(), 4, "{differences:?}");
}
