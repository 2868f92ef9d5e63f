//! A scripted session with a plain HTTP client, in the reference's call
//! order: scan, deploy check, setupRoot, login, VIP/DNS/NTP (+ jobs), IPMI,
//! VDS + job, VLANs, a 3-chunk upload, CPU compatibility, license — then
//! `/_sim/state` shows all of it.

use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use smtx_sim::SimOptions;
use smtx_testkit::{fixture_spec, start_sim};

use crate::common::{AnyError, PRE_TOKEN, Plain, TestResult};

const ROOT_PASSWORD: &str = "Fish&Eye<2025>!";

/// Uploads `chunk` of `data` as multipart field `file`.
pub async fn upload_chunk(
    client: &Plain,
    target: &str,
    volume: &Value,
    chunk: u64,
    data: &[u8],
) -> Result<crate::common::Answer, AnyError> {
    let url = format!(
        "{target}/api/v2/svt_image/upload_template?zbs_volume_id={}&chunk_num={chunk}&image_uuid={}",
        volume["zbs_volume_id"].as_str().unwrap_or_default(),
        volume["image_uuid"].as_str().unwrap_or_default()
    );
    let part = Part::bytes(data.to_vec())
        .file_name("vmtools.iso")
        .mime_str("application/octet-stream")?;
    let response = client
        .http
        .post(url)
        .header(
            "x-smartx-token",
            client.token.as_deref().unwrap_or_default(),
        )
        .multipart(Form::new().part("file", part))
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    Ok(crate::common::Answer { status, body })
}

#[tokio::test]
async fn a_plain_client_configures_the_cluster_end_to_end() -> TestResult {
    let spec = fixture_spec(3, 7);
    let options = SimOptions {
        chunk_size: 1024,
        ..SimOptions::default()
    };
    let sim = start_sim(spec.clone(), options).await;
    assert_eq!(sim.scheme(), "https");
    let mut client = Plain::new(&sim)?;

    // prepare: every host answers its own scan.
    let mut host_uuids = Vec::new();
    for (index, host) in spec.hosts.iter().enumerate() {
        let url = client.host_url(index, "/api/v2/deployment/host");
        let scan = client
            .send(Method::GET, &url, Some(PRE_TOKEN), None)
            .await?;
        assert_eq!(scan.status, 200, "{}", scan.body);
        assert_eq!(scan.data()["hostname"], host.hostname.as_str());
        assert_eq!(scan.data()["host_ip"], host.management_ip.to_string());
        let names: Vec<&str> = scan.data()["ifaces"]
            .as_array()
            .map(|ifaces| ifaces.iter().filter_map(|i| i["name"].as_str()).collect())
            .unwrap_or_default();
        for nic in ["ens225", "ens257", "ens224", "port-mgt", "port-storage"] {
            assert!(names.contains(&nic), "{nic} missing from {names:?}");
        }
        host_uuids.push(
            scan.data()["host_uuid"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let url = client.host_url(0, "/api/v2/deployment/host");
    let no_token = client.send(Method::GET, &url, None, None).await?;
    assert_eq!(no_token.status, 401);
    let url = client.host_url(1, "/api/v2/deployment/deploy_verify");
    let verify = client
        .send(Method::GET, &url, Some(PRE_TOKEN), None)
        .await?;
    assert_eq!(verify.data()["is_deployed"], true);

    // 1-2: setupRoot works once; a wrong password is refused.
    client.setup_and_login(ROOT_PASSWORD).await?;
    let again = client
        .send(
            Method::POST,
            &client.host_url(0, "/api/v3/users:setupRoot"),
            None,
            Some(&json!({"password": "other", "repeat": "other", "encrypted": false})),
        )
        .await?;
    assert!(
        (400..500).contains(&again.status),
        "second setupRoot: {}",
        again.status
    );
    assert!(again.body["ec"].as_str().is_some_and(|ec| ec != "EOK"));
    let wrong = client
        .send(
            Method::POST,
            &client.host_url(0, "/api/v3/sessions"),
            None,
            Some(&json!({"username": "root", "password": "nope", "encrypted": false})),
        )
        .await?;
    assert_eq!(wrong.status, 401);
    let token = client.token.clone().unwrap_or_default();
    assert!(token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()));
    let unauthenticated = client
        .send(
            Method::GET,
            &client.host_url(0, "/api/v2/tools/license"),
            None,
            None,
        )
        .await?;
    assert_eq!(unauthenticated.status, 401);
    assert_eq!(unauthenticated.body["data"], json!({}));

    // 3: VIP (then the VIP answers), DNS, NTP, each a job.
    let vip_url = client
        .vip_url("/api/v2/tools/license")
        .ok_or("the fixture has a VIP")?;
    let before = client
        .send(Method::GET, &vip_url, Some(&token), None)
        .await
        .err()
        .ok_or("the VIP must not answer before it is set")?;
    assert!(
        before
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_connect),
        "nothing listens on the VIP yet: {before}"
    );
    let settings = [
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
    for (path, body) in &settings {
        let answer = client.call(Method::PUT, 0, path, Some(body)).await?;
        assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        let job_id = answer.data()["job_id"].as_str().ok_or("job_id")?;
        let job = client.wait_job(0, job_id).await?;
        assert_eq!(job["state"], "done", "{path}");
    }
    let after = client
        .send(Method::GET, &vip_url, Some(&token), None)
        .await?;
    assert_eq!(after.status, 200, "VIP answers once set: {}", after.body);

    // 4: IPMI, on the VIP like the capture.
    let accounts: Vec<Value> = spec
        .hosts
        .iter()
        .zip(&host_uuids)
        .map(|(host, uuid)| {
            json!({"node_name": host.hostname, "host": host.bmc_ip.map(|ip| ip.to_string()),
                   "user": "ADMIN", "node_uuid": uuid, "password": "Bmc#Pass!23"})
        })
        .collect();
    let vip_ipmi = client
        .vip_url("/api/v2/ipmi/upsert_accounts")
        .ok_or("vip")?;
    let ipmi = client
        .send(
            Method::POST,
            &vip_ipmi,
            Some(&token),
            Some(&json!({ "accounts": accounts })),
        )
        .await?;
    assert_eq!(ipmi.data()["success"].as_array().map(Vec::len), Some(3));
    assert_eq!(ipmi.data()["failure"], json!([]));

    // 5: VDS + job; NIC reuse and duplicate names refused.
    let list = client
        .call(Method::GET, 0, "/api/v2/network/vds", None)
        .await?;
    assert_eq!(
        list.data().as_array().map(Vec::len),
        Some(2),
        "deployment VDSes"
    );
    let hosts: Vec<Value> = host_uuids
        .iter()
        .map(|uuid| json!({"host_uuid": uuid, "nics_associated": ["ens225", "ens257"], "data_ip": "10.0.21.11"}))
        .collect();
    let body =
        json!({"name": "vDS-Prod-Network", "bond_mode": "balance-slb", "hosts_associated": hosts});
    let created = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    let job = client
        .wait_job(0, created.data()["job_id"].as_str().ok_or("job_id")?)
        .await?;
    assert_eq!(job["state"], "done");
    assert_eq!(job["description"], "NETWORK_CREATE_VDS");
    let vds_uuid = job["event"]["data"]["uuid"]
        .as_str()
        .ok_or("uuid")?
        .to_owned();
    assert!(job["resources"][&vds_uuid]["type"] == "NETWORK_VDS");
    let duplicate = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    assert_eq!(duplicate.status, 409);
    let reuse = json!({"name": "vDS-Other", "bond_mode": "active-backup",
        "hosts_associated": [{"host_uuid": host_uuids[0], "nics_associated": ["ens224"]}]});
    let reused = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&reuse))
        .await?;
    assert_eq!(reused.status, 409, "ens224 belongs to the management VDS");
    assert_eq!(reused.body["ec"], "NIC_IN_USE");

    // 6: VLANs; duplicates refused; vlans_count follows.
    let vlans_path = format!("/api/v2/network/vds/{vds_uuid}/vlans");
    for (name, id) in [("VLAN-1120", 1120), ("VLAN-1121", 1121)] {
        let body = json!({"name": name, "vlan_id": id, "vds_uuid": vds_uuid});
        let answer = client
            .call(Method::POST, 0, &vlans_path, Some(&body))
            .await?;
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.data()["vlan_id"], id);
    }
    for body in [
        json!({"name": "VLAN-1120", "vlan_id": 1130, "vds_uuid": vds_uuid}),
        json!({"name": "VLAN-X", "vlan_id": 1121, "vds_uuid": vds_uuid}),
    ] {
        let answer = client
            .call(Method::POST, 0, &vlans_path, Some(&body))
            .await?;
        assert_eq!(answer.status, 409, "{body}");
    }
    let vlans = client.call(Method::GET, 0, &vlans_path, None).await?;
    assert_eq!(vlans.data().as_array().map(Vec::len), Some(2));
    let detail = client
        .call(
            Method::GET,
            0,
            &format!("/api/v2/network/vds/{vds_uuid}"),
            None,
        )
        .await?;
    assert_eq!(detail.data()["vlans_count"], 2);

    // 8: a 3-chunk upload (chunk size 1024 for this cluster), one bad chunk.
    let data: Vec<u8> = (0..2500_u32).map(|i| (i % 251) as u8).collect();
    let volume = client
        .call(
            Method::POST,
            0,
            &format!(
                "/api/v2/svt_image/create_volume?name=vmtools.iso&size={}",
                data.len()
            ),
            None,
        )
        .await?;
    assert_eq!(volume.data()["chunk_size"], 1024);
    assert_eq!(volume.data()["to_upload"], json!([0, 1, 2]));
    let volume = volume.data().clone();
    let target = client.vip.clone().ok_or("vip")?;
    let short = upload_chunk(&client, &target, &volume, 0, &data[..1000]).await?;
    assert_eq!(short.status, 400, "a short chunk is refused");
    let out_of_range = upload_chunk(&client, &target, &volume, 3, &data[..10]).await?;
    assert_eq!(out_of_range.status, 400);
    let mut last = Value::Null;
    for (chunk, piece) in data.chunks(1024).enumerate() {
        let answer = upload_chunk(&client, &target, &volume, chunk as u64, piece).await?;
        assert_eq!(answer.status, 200, "chunk {chunk}: {}", answer.body);
        last = answer.data().clone();
    }
    assert_eq!(last, json!({"chunk_num": 2, "to_upload": []}));

    // CPU compatibility, then the license.
    let models = client
        .call(
            Method::GET,
            0,
            "/api/v2/elf/cluster_recommended_cpu_models",
            None,
        )
        .await?;
    assert_eq!(models.data()["cpu_models"], json!(["EPYC"]));
    let unset = client
        .call(
            Method::GET,
            0,
            "/api/v2/elf/cluster_cpu_compatibility",
            None,
        )
        .await?;
    assert_eq!(unset.data()["cpu_model"], Value::Null);
    let set = client
        .call(
            Method::PUT,
            0,
            "/api/v2/elf/cluster_cpu_compatibility",
            Some(&json!({"cpu_model": "EPYC"})),
        )
        .await?;
    assert_eq!(set.status, 200);
    let license = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    let serial = license.data()["serial"]
        .as_str()
        .ok_or("serial")?
        .to_owned();
    assert_eq!(serial, sim.serial());

    // The state shows all of it.
    let state = client.state().await?;
    assert_eq!(
        state,
        sim.state(),
        "GET /_sim/state equals RunningSim::state()"
    );
    let cluster = &state["cluster"];
    assert_eq!(cluster["initialized"], true);
    assert_eq!(cluster["vip"], "10.0.20.10");
    assert_eq!(cluster["dns"], json!(["10.0.0.114", "10.0.0.1"]));
    assert_eq!(
        cluster["ntp"],
        json!({"mode": "external", "servers": ["10.0.0.2", "ntp.example.com"]})
    );
    assert_eq!(cluster["cpu_model"], "EPYC");
    assert_eq!(state["ipmi_accounts"].as_array().map(Vec::len), Some(3));
    assert!(
        state["ipmi_accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|a| a["is_valid"] == true)
    );
    let business = state["vdses"]
        .as_array()
        .and_then(|list| list.iter().find(|vds| vds["name"] == "vDS-Prod-Network"))
        .ok_or("business VDS in state")?;
    assert_eq!(business["vlans"].as_array().map(Vec::len), Some(2));
    let image = &state["images"][0];
    assert_eq!(image["complete"], true);
    assert_eq!(image["size"], 2500);
    assert_eq!(image["received_chunks"], 3);
    assert_eq!(image["sha256"], hex::encode(Sha256::digest(&data)));
    let calls = state["calls"].as_array().ok_or("calls")?;
    assert!(
        calls
            .iter()
            .any(|c| c["target"] == "vip" && c["path"] == "/api/v2/ipmi/upsert_accounts")
    );
    assert!(
        calls
            .iter()
            .any(|c| c["target"] == "node-02" && c["path"] == "/api/v2/deployment/host")
    );
    let text = state.to_string();
    for secret in [ROOT_PASSWORD, "Bmc#Pass!23", token.as_str()] {
        assert!(!text.contains(secret), "the state must not hold {secret:?}");
    }
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_settings_file_points_at_every_listener() -> TestResult {
    let sim = start_sim(fixture_spec(2, 3), SimOptions::default()).await;
    let text = sim.settings_toml(
        Some(std::path::Path::new("/tmp/sim-ca.pem")),
        Some(std::path::Path::new("/tmp/sim.known_hosts")),
    );
    let settings: toml::Table = toml::from_str(&text)?;
    assert_eq!(
        settings["api"]["base_url"].as_str(),
        Some("https://10.0.20.11")
    );
    assert_eq!(settings["api"]["ca_cert"].as_str(), Some("/tmp/sim-ca.pem"));
    let resolve = settings["api"]["resolve"].as_array().ok_or("resolve")?;
    assert_eq!(resolve.len(), 3, "two hosts and the VIP: {resolve:?}");
    let first = format!("10.0.20.11={}", sim.nodes()[0].http);
    assert_eq!(resolve[0].as_str(), Some(first.as_str()));
    assert_eq!(
        settings["ssh"]["known_hosts"].as_str(),
        Some("/tmp/sim.known_hosts")
    );
    let ssh = settings["ssh"]["resolve"].as_array().ok_or("ssh resolve")?;
    assert_eq!(ssh.len(), 3, "two hosts and the VIP: {ssh:?}");
    assert!(
        sim.ca_cert_pem()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
    );
    sim.shutdown().await;
    Ok(())
}

/// "Done when": the real template's cluster, configured end to end from its
/// own plan by a plain client (HTTP and SSH), ends in the planned state.
#[tokio::test]
async fn the_real_template_configures_end_to_end() -> TestResult {
    let path = smtx_testkit::shared_reference_dir()
        .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx");
    let parsed = smtx_plan::parse_workbook(&std::fs::read(&path)?, "template.xlsx")?;
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let plan = parsed.plan;
    let spec = smtx_sim::ClusterSpec::from_plan(&plan, 11);
    let sim = start_sim(spec.clone(), SimOptions::default()).await;
    let mut client = Plain::new(&sim)?;
    client
        .setup_and_login(plan.fisheye.password.expose())
        .await?;

    let mut uuids = Vec::new();
    for index in 0..plan.hosts.len() {
        let url = client.host_url(index, "/api/v2/deployment/host");
        let scan = client
            .send(Method::GET, &url, Some(PRE_TOKEN), None)
            .await?;
        uuids.push(scan.data()["host_uuid"].clone());
    }
    let vip = plan.cluster.vip.ok_or("the template plans a VIP")?;
    let settings = [
        (
            "/api/v2/settings/vip",
            json!({"iscsi_vip": null, "management_vip": vip.to_string()}),
        ),
        (
            "/api/v2/settings/dns",
            json!({ "dns_servers": plan.dns_servers }),
        ),
        (
            "/api/v2/settings/ntp",
            json!({"ntp_mode": "external", "ntp_servers": plan.ntp_servers}),
        ),
    ];
    for (path, body) in &settings {
        let answer = client.call(Method::PUT, 0, path, Some(body)).await?;
        let job = client
            .wait_job(0, answer.data()["job_id"].as_str().ok_or("job_id")?)
            .await?;
        assert_eq!(job["state"], "done", "{path}");
    }
    let accounts: Vec<Value> = plan
        .hosts
        .iter()
        .zip(&uuids)
        .map(|(host, uuid)| {
            json!({"node_name": host.hostname, "host": host.bmc.ip.map(|ip| ip.to_string()),
                   "user": host.bmc.user, "node_uuid": uuid, "password": host.bmc.password.expose()})
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
    assert_eq!(
        ipmi.data()["success"].as_array().map(Vec::len),
        Some(plan.hosts.len())
    );

    let business = plan
        .business_vds
        .as_ref()
        .ok_or("the template plans a business VDS")?;
    let hosts: Vec<Value> = plan
        .hosts
        .iter()
        .zip(&uuids)
        .map(|(host, uuid)| {
            json!({"host_uuid": uuid, "nics_associated": business.nics,
                   "data_ip": host.storage_ip.map(|ip| ip.to_string())})
        })
        .collect();
    let body = json!({"name": business.name, "bond_mode": business.bond_mode.as_api_str(),
                      "hosts_associated": hosts});
    let created = client
        .call(Method::POST, 0, "/api/v2/network/vds", Some(&body))
        .await?;
    assert_eq!(created.status, 200, "{}", created.body);
    let job = client
        .wait_job(0, created.data()["job_id"].as_str().ok_or("job_id")?)
        .await?;
    let vds_uuid = job["event"]["data"]["uuid"]
        .as_str()
        .ok_or("uuid")?
        .to_owned();
    for network in &plan.business_networks {
        let body = json!({"name": network.name, "vlan_id": network.vlan_id, "vds_uuid": vds_uuid});
        let path = format!("/api/v2/network/vds/{vds_uuid}/vlans");
        let answer = client.call(Method::POST, 0, &path, Some(&body)).await?;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    for (index, host) in plan.hosts.iter().enumerate() {
        let stdin = format!(
            "{}:{}\nroot:{}\n",
            host.ssh_user,
            host.ssh_password.expose(),
            host.root_password.expose()
        );
        let (status, stderr) = crate::sim_ssh::chpasswd(
            &sim,
            11,
            index,
            smtx_sim::DEFAULT_HOST_PASSWORD,
            stdin.as_bytes(),
        )
        .await?;
        assert_eq!(status, Some(0), "{}: {stderr}", host.hostname);
        assert!(
            crate::sim_ssh::login(&sim, 11, index, &host.ssh_user, host.ssh_password.expose())
                .await?
        );
    }
    let license = client
        .call(Method::GET, 0, "/api/v2/tools/license", None)
        .await?;
    assert_eq!(license.data()["serial"], sim.serial());

    let state = sim.state();
    assert_eq!(state["cluster"]["vip"], vip.to_string());
    assert_eq!(state["cluster"]["dns"], json!(plan.dns_servers));
    assert_eq!(
        state["ipmi_accounts"].as_array().map(Vec::len),
        Some(plan.hosts.len())
    );
    let vds = state["vdses"]
        .as_array()
        .and_then(|list| {
            list.iter()
                .find(|vds| vds["name"] == business.name.as_str())
        })
        .ok_or("business VDS")?;
    assert_eq!(
        vds["vlans"].as_array().map(Vec::len),
        Some(plan.business_networks.len())
    );
    assert!(
        state["hosts"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|host| host["passwords_rotated"] == json!({"smartx": true, "root": true}))
    );
    let text = state.to_string();
    for host in &plan.hosts {
        assert!(!text.contains(host.ssh_password.expose()));
        assert!(!text.contains(host.root_password.expose()));
    }
    sim.shutdown().await;
    Ok(())
}
