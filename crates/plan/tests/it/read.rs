//! Reading the real template and odd-but-valid workbooks into a plan.

use smtx_plan::fixture::{FixtureCell, WorkbookSpec};
use smtx_plan::{BondMode, NetworkArchitecture, PlanError, parse_workbook};

use crate::common::{parse_spec, template_bytes};

#[test]
fn real_template_parses_to_four_hosts_and_eleven_networks() -> Result<(), Box<dyn std::error::Error>>
{
    let parsed = parse_workbook(&template_bytes(), "template.xlsx")?;
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let plan = &parsed.plan;
    assert_eq!(plan.cluster.name, "CN-BJ-SMTX-Prod-Cls01");
    assert_eq!(
        plan.cluster.vip.map(|ip| ip.to_string()).as_deref(),
        Some("10.0.20.10")
    );
    assert_eq!(
        plan.cluster.network_architecture,
        NetworkArchitecture::ThreeSeparate
    );
    assert_eq!(
        plan.cluster.storage_architecture.as_deref(),
        Some("混闪-分层")
    );
    assert_eq!(plan.cluster.serial, None);

    assert_eq!(plan.hosts.len(), 4);
    for (index, host) in plan.hosts.iter().enumerate() {
        let n = index + 1;
        assert_eq!(host.row, 2 + n as u32);
        assert_eq!(host.hostname, format!("BJ-SMTX-Prod-Node-0{n}"));
        assert_eq!(host.management_ip.to_string(), format!("10.0.20.1{n}"));
        assert_eq!(
            host.storage_ip.map(|ip| ip.to_string()),
            Some(format!("10.0.21.1{n}"))
        );
        assert_eq!(
            host.bmc.ip.map(|ip| ip.to_string()),
            Some(format!("10.0.19.1{n}"))
        );
        assert_eq!(host.bmc.user, "root");
        assert_eq!(host.bmc.password.expose(), "P@ssw0rd!123");
        assert_eq!(host.ssh_user, "smartx");
        assert_eq!(host.ssh_password.expose(), "HC!r0cks");
        assert_eq!(host.root_password.expose(), "HC!r0cks");
    }

    assert_eq!(plan.management_vds.name, "vDS-MgMt-Network");
    assert_eq!(plan.management_vds.nics, ["ens224", "ens192"]);
    assert_eq!(plan.storage_vds.name, "vDS-Storage-Network");
    let business = plan.business_vds.as_ref().ok_or("business VDS")?;
    assert_eq!(business.name, "vDS-Prod-Network");
    assert_eq!(business.nics, ["ens225", "ens257"]);
    assert_eq!(business.bond_mode, BondMode::BalanceSlb);

    assert_eq!(plan.business_networks.len(), 11);
    for (index, network) in plan.business_networks.iter().enumerate() {
        let vlan = 1120 + index as u16;
        assert_eq!(network.name, format!("VLAN-{vlan}"));
        assert_eq!(network.vlan_id, vlan);
        assert_eq!(
            network.subnet.map(|s| s.to_string()),
            Some(format!("10.1.{}.0/24", 20 + index))
        );
        assert_eq!(
            network.gateway.map(|g| g.to_string()),
            Some(format!("10.1.{}.1", 20 + index))
        );
    }
    let dns: Vec<String> = plan.dns_servers.iter().map(|ip| ip.to_string()).collect();
    assert_eq!(dns, ["10.0.0.114", "10.0.0.1"]);
    assert_eq!(plan.ntp_servers, ["10.0.0.2", "ntp.c89.fun"]);
    assert_eq!(plan.fisheye.user, "root");
    assert_eq!(plan.fisheye.password.expose(), "HC!r0cks");
    Ok(())
}

#[test]
fn numbers_as_floats_or_strings_are_read() {
    let mut spec = WorkbookSpec::example(1);
    spec.business_networks[0].vlan_id = FixtureCell::Text("1120".into());
    spec.business_networks[1].vlan_id = FixtureCell::Text(" 1121.0 ".into());
    spec.business_networks[2].vlan_id = FixtureCell::Number(1122.0);
    // A password typed as a number comes back as a float.
    let spec = spec.with_cell("主机规划!K3", FixtureCell::Number(123456.0));
    let parsed = parse_spec(&spec);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let vlans: Vec<u16> = parsed
        .plan
        .business_networks
        .iter()
        .map(|n| n.vlan_id)
        .collect();
    assert_eq!(vlans, [1120, 1121, 1122]);
    assert_eq!(parsed.plan.hosts[0].ssh_password.expose(), "123456");
}

#[test]
fn lists_split_on_any_separator() {
    let mut spec = WorkbookSpec::example(1);
    if let Some(business) = spec.business_vds.as_mut() {
        business.nics = "ens225，ens257; ens258\nens259  ens260".into();
    }
    spec.dns_servers = vec!["10.0.0.114，10.0.0.1".into()];
    let parsed = parse_spec(&spec);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let nics = &parsed
        .plan
        .business_vds
        .as_ref()
        .expect("business VDS")
        .nics;
    assert_eq!(nics, &["ens225", "ens257", "ens258", "ens259", "ens260"]);
    assert_eq!(parsed.plan.dns_servers.len(), 2);
}

#[test]
fn formulas_without_cached_values_follow_their_source() {
    // As openpyxl saves it: 虚拟网络!B3 itself a formula with no cached value,
    // pointing at 文档描述!C17.
    let spec = WorkbookSpec::example(1)
        .with_cell(
            "虚拟网络!B3",
            FixtureCell::Formula {
                formula: "=文档描述!C17".into(),
                cached: None,
            },
        )
        .with_cell(
            "主机规划!I19",
            FixtureCell::Formula {
                formula: "='主机规划'!$Z$40".into(),
                cached: None,
            },
        )
        .with_cell("主机规划!Z40", FixtureCell::text("10.0.20.99"));
    let parsed = parse_spec(&spec);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.plan.cluster.name, "C89-LAB");
    assert_eq!(
        parsed.plan.cluster.vip.map(|ip| ip.to_string()).as_deref(),
        Some("10.0.20.99")
    );
}

#[test]
fn empty_optional_cells_take_the_layout_defaults() {
    let mut spec = WorkbookSpec::example(1);
    let host = &mut spec.hosts[0];
    host.bmc_user.clear();
    host.bmc_password.clear();
    host.ssh_user.clear();
    host.ssh_password.clear();
    host.root_password.clear();
    spec.fisheye_user.clear();
    // The template pre-fills J on every row; clear it to test the default.
    let spec = spec.with_cell("主机规划!J3", FixtureCell::Empty);
    let parsed = parse_spec(&spec);
    // A blank password cell is never silent: each is a warning naming it.
    let mut warned: Vec<&str> = parsed
        .diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d.severity, smtx_plan::Severity::Warning, "{d}");
            d.location.as_str()
        })
        .collect();
    warned.sort_unstable();
    assert_eq!(warned, ["主机规划!G3", "主机规划!K3", "主机规划!M3"]);
    let host = &parsed.plan.hosts[0];
    assert_eq!(host.bmc.user, "ADMIN");
    assert_eq!(host.bmc.password.expose(), "ADMIN");
    assert_eq!(host.ssh_user, "smartx");
    assert_eq!(host.ssh_password.expose(), "HC!r0cks");
    assert_eq!(host.root_password.expose(), "HC!r0cks");
    assert_eq!(parsed.plan.fisheye.user, "root");

    // Root's password defaults to the SSH user's target password.
    let mut spec = WorkbookSpec::example(1);
    spec.hosts[0].ssh_password = "Other#Pass1".into();
    spec.hosts[0].root_password.clear();
    let parsed = parse_spec(&spec);
    assert_eq!(parsed.plan.hosts[0].root_password.expose(), "Other#Pass1");
}

#[test]
fn prefilled_rows_alone_are_not_hosts() {
    // J and L are pre-filled on all 16 rows by the template (and the fixture).
    let parsed = parse_spec(&WorkbookSpec::example(3));
    assert_eq!(parsed.plan.hosts.len(), 3);
}

#[test]
fn storage_separate_architecture_and_serial_are_read() {
    let mut spec = WorkbookSpec::example(1);
    spec.network_architecture = "存储独立".into();
    spec.serial = "c8b39907-464c-44b4-94bb-7c2ac243f390".into();
    let parsed = parse_spec(&spec);
    assert_eq!(
        parsed.plan.cluster.network_architecture,
        NetworkArchitecture::StorageSeparate
    );
    assert_eq!(
        parsed.plan.cluster.serial.as_deref(),
        Some("c8b39907-464c-44b4-94bb-7c2ac243f390")
    );
    // A placeholder is no serial.
    let mut spec = WorkbookSpec::example(1);
    spec.serial = "XXXX-XXXX".into();
    assert_eq!(parse_spec(&spec).plan.cluster.serial, None);
}

fn unreadable_message(bytes: &[u8]) -> String {
    match parse_workbook(bytes, "customer.xlsx") {
        Ok(_) => panic!("expected an error"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn unreadable_files_are_clear_errors_naming_the_file() {
    let empty = unreadable_message(b"");
    assert!(
        empty.starts_with("customer.xlsx: ") && empty.contains("empty"),
        "{empty}"
    );

    let text = unreadable_message(b"hostname,ip\nnode-01,10.0.0.1\n");
    assert!(
        text.starts_with("customer.xlsx: ") && text.contains("not an xlsx"),
        "{text}"
    );

    // An encrypted xlsx is an OLE compound file, not a zip.
    let mut encrypted = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    encrypted.extend_from_slice(&[0; 504]);
    let message = unreadable_message(&encrypted);
    assert!(message.contains("password-protected"), "{message}");

    let truncated = &template_bytes()[..4096];
    let message = unreadable_message(truncated);
    assert!(message.starts_with("customer.xlsx: "), "{message}");
}

#[test]
fn a_missing_sheet_is_named() -> Result<(), Box<dyn std::error::Error>> {
    let mut spec = WorkbookSpec::example(1);
    spec.omit_sheets = vec!["主机规划".into()];
    let bytes = spec.to_xlsx_bytes()?;
    match parse_workbook(&bytes, "customer.xlsx") {
        Err(error @ PlanError::MissingSheet { .. }) => {
            let message = error.to_string();
            assert!(message.contains("customer.xlsx"), "{message}");
            assert!(message.contains("主机规划"), "{message}");
        }
        other => panic!("expected a missing sheet, got {other:?}"),
    }
    Ok(())
}

#[test]
fn json_has_the_documented_keys_and_no_secrets() -> Result<(), Box<dyn std::error::Error>> {
    let spec = WorkbookSpec::example(2);
    let parsed = parse_spec(&spec);
    let json = serde_json::to_value(&parsed)?;
    for pointer in [
        "/cluster/name",
        "/cluster/vip",
        "/cluster/network_architecture",
        "/hosts/0/hostname",
        "/hosts/0/management_ip",
        "/hosts/0/storage_ip",
        "/hosts/0/bmc/ip",
        "/hosts/0/bmc/user",
        "/business_vds/name",
        "/business_vds/nics",
        "/business_vds/bond_mode",
        "/business_networks/0/name",
        "/business_networks/0/vlan_id",
        "/business_networks/0/subnet",
        "/business_networks/0/gateway",
        "/dns_servers",
        "/ntp_servers",
        "/fisheye/user",
        "/diagnostics",
    ] {
        assert!(
            json.pointer(pointer).is_some(),
            "missing {pointer} in {json}"
        );
    }
    let text = json.to_string();
    let host = &spec.hosts[0];
    for secret in [
        &host.bmc_password,
        &host.ssh_password,
        &host.root_password,
        &spec.fisheye_password,
    ] {
        assert!(!text.contains(secret.as_str()), "secret leaked into {text}");
    }
    assert!(
        !text.contains("password"),
        "no password keys at all: {text}"
    );
    Ok(())
}
