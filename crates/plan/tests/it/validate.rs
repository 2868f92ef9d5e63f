//! Every validation rule, one workbook each: the diagnostic's severity,
//! `sheet!cell` and field, and that nothing else is reported.

use smtx_plan::fixture::{FixtureCell, HostSpec, NetworkSpec, WorkbookSpec};
use smtx_plan::{BusinessNetworkHome, ParsedWorkbook, Severity};

use crate::common::parse_spec;

use Severity::{Error, Warning};

/// Parses `spec` and asserts exactly `expected` diagnostics (severity,
/// location, field, a piece of the message), in any order.
#[track_caller]
fn check(spec: &WorkbookSpec, expected: &[(Severity, &str, &str, &str)]) -> ParsedWorkbook {
    let parsed = parse_spec(spec);
    let mut unexpected: Vec<_> = parsed.diagnostics.iter().collect();
    for (severity, location, field, message) in expected {
        let position = unexpected.iter().position(|d| {
            d.severity == *severity
                && d.location == *location
                && d.field == *field
                && d.message.to_string().contains(message)
        });
        match position {
            Some(index) => {
                unexpected.remove(index);
            }
            None => panic!(
                "expected {severity:?} at {location} ({field}) containing {message:?}; got {:#?}",
                parsed.diagnostics
            ),
        }
    }
    assert!(
        unexpected.is_empty(),
        "unexpected diagnostics: {unexpected:#?}"
    );
    parsed
}

fn example() -> WorkbookSpec {
    WorkbookSpec::example(3)
}

#[test]
fn the_example_is_clean() {
    let parsed = check(&example(), &[]);
    assert!(!parsed.has_errors());
}

#[test]
fn malformed_ipv4_addresses() {
    let mut spec = example();
    spec.hosts[0].management_ip = "10.0.20.300".into();
    spec.hosts[1].storage_ip = "10.0.21".into();
    spec.hosts[2].bmc_ip = "bmc-3".into();
    spec.vip = "10.0.20.10/24".into();
    spec.business_networks[0].gateway = "10.1.20.x".into();
    let parsed = check(
        &spec,
        &[
            (
                Error,
                "主机规划!I3",
                "管理地址",
                "\"10.0.20.300\" is not an IPv4 address",
            ),
            (Error, "主机规划!N4", "存储IP", "not an IPv4 address"),
            (Error, "主机规划!E5", "带外地址", "not an IPv4 address"),
            (Error, "主机规划!I19", "集群VIP", "not an IPv4 address"),
            (Error, "虚拟网络!I8", "Gateway", "not an IPv4 address"),
        ],
    );
    assert!(parsed.has_errors());
}

#[test]
fn subnets_must_be_cidr_and_hold_their_gateway() {
    let mut spec = example();
    spec.business_networks[0].subnet = "10.1.20.0".into();
    spec.business_networks[1].subnet = "10.1.21.0/33".into();
    spec.business_networks[2].gateway = "10.9.22.1".into();
    check(
        &spec,
        &[
            (Error, "虚拟网络!H8", "SubNetwork", "not a CIDR subnet"),
            (Error, "虚拟网络!H9", "SubNetwork", "prefix must be 0..=32"),
            (
                Error,
                "虚拟网络!I10",
                "Gateway",
                "not inside the subnet 10.1.22.0/24",
            ),
        ],
    );
}

#[test]
fn vlan_ids_are_integers_in_range() {
    let mut spec = example();
    spec.business_networks[0].vlan_id = FixtureCell::Number(4095.0);
    spec.business_networks[1].vlan_id = FixtureCell::Number(11.5);
    spec.business_networks[2].vlan_id = FixtureCell::Text("VLAN-3".into());
    spec.business_networks.push(NetworkSpec {
        name: "VLAN-neg".into(),
        vlan_id: FixtureCell::Number(-1.0),
        subnet: "10.1.30.0/24".into(),
        gateway: "10.1.30.1".into(),
    });
    spec.business_networks.push(NetworkSpec {
        name: "VLAN-none".into(),
        vlan_id: FixtureCell::Empty,
        subnet: String::new(),
        gateway: String::new(),
    });
    check(
        &spec,
        &[
            (Error, "虚拟网络!F8", "VLAN ID", "\"4095\" is not a VLAN ID"),
            (Error, "虚拟网络!F9", "VLAN ID", "\"11.5\" is not a VLAN ID"),
            (
                Error,
                "虚拟网络!F10",
                "VLAN ID",
                "\"VLAN-3\" is not a VLAN ID",
            ),
            (Error, "虚拟网络!F11", "VLAN ID", "\"-1\" is not a VLAN ID"),
            (Error, "虚拟网络!F12", "VLAN ID", "has no VLAN ID"),
        ],
    );
    // 0 and 4094 are the bounds.
    let mut spec = example();
    spec.business_networks[0].vlan_id = FixtureCell::Number(0.0);
    spec.business_networks[1].vlan_id = FixtureCell::Text("4094".into());
    check(&spec, &[]);
}

#[test]
fn duplicate_vlans_and_network_names() {
    let mut spec = example();
    spec.business_networks[1].vlan_id = FixtureCell::Number(1120.0);
    spec.business_networks[2].name = "VLAN-1120".into();
    check(
        &spec,
        &[
            (
                Error,
                "虚拟网络!F9",
                "VLAN ID",
                "duplicate VLAN ID 1120: also at 虚拟网络!F8",
            ),
            (
                Error,
                "虚拟网络!D10",
                "虚拟网络",
                "duplicate network name \"VLAN-1120\"",
            ),
        ],
    );
}

#[test]
fn hostnames_are_rfc1123_labels_and_unique() {
    let mut spec = example();
    spec.hosts[0].hostname = "node_01".into();
    spec.hosts[1].hostname = "-node-02".into();
    spec.hosts[2].hostname = format!("n{}", "x".repeat(63));
    check(
        &spec,
        &[
            (Error, "主机规划!H3", "主机名", "letters, digits and '-'"),
            (
                Error,
                "主机规划!H4",
                "主机名",
                "must not start or end with '-'",
            ),
            (Error, "主机规划!H5", "主机名", "1 to 63 characters"),
        ],
    );
    let mut spec = example();
    spec.hosts[2].hostname = "NODE-01".into();
    check(
        &spec,
        &[(
            Error,
            "主机规划!H5",
            "主机名",
            "duplicate hostname \"NODE-01\": also at 主机规划!H3",
        )],
    );
}

#[test]
fn duplicate_host_addresses() {
    let mut spec = example();
    spec.hosts[1].management_ip = spec.hosts[0].management_ip.clone();
    spec.hosts[2].storage_ip = spec.hosts[0].storage_ip.clone();
    spec.hosts[2].bmc_ip = spec.hosts[1].bmc_ip.clone();
    check(
        &spec,
        &[
            (
                Error,
                "主机规划!I4",
                "管理地址",
                "duplicate address 10.0.20.11: also at 主机规划!I3",
            ),
            (
                Error,
                "主机规划!N5",
                "存储IP",
                "duplicate address 10.0.21.11: also at 主机规划!N3",
            ),
            (
                Error,
                "主机规划!E5",
                "带外地址",
                "duplicate address 10.0.19.12: also at 主机规划!E4",
            ),
        ],
    );
}

#[test]
fn vip_must_not_be_a_host_address() {
    let mut spec = example();
    spec.vip = spec.hosts[1].management_ip.clone();
    check(
        &spec,
        &[(
            Error,
            "主机规划!I19",
            "集群VIP",
            "also a host address (主机规划!I4)",
        )],
    );
}

#[test]
fn dns_must_be_ips_and_ntp_ips_or_domain_names() {
    let mut spec = example();
    spec.dns_servers = vec!["dns.example.com".into(), "10.0.0.1".into()];
    spec.ntp_servers = vec![
        "10.0.0.300".into(),
        "ntp_bad.example.com".into(),
        "time.example.com".into(),
    ];
    let parsed = check(
        &spec,
        &[
            (
                Error,
                "集群管理信息!E25",
                "DNS Server1",
                "DNS servers must be IPs",
            ),
            (
                Error,
                "集群管理信息!E22",
                "NTP Server1",
                "neither an IPv4 address nor a domain name",
            ),
            (
                Error,
                "集群管理信息!E23",
                "NTP Server2",
                "neither an IPv4 address nor a domain name",
            ),
        ],
    );
    assert_eq!(parsed.plan.ntp_servers, ["time.example.com"]);
}

#[test]
fn bond_modes_the_api_accepts_and_user_spellings() {
    let mut spec = example();
    if let Some(business) = spec.business_vds.as_mut() {
        business.bond_mode = "Active-Backup".into();
    }
    spec.storage_vds.bond_mode = "BALANCE_TCP".into();
    let parsed = check(&spec, &[]);
    let business = parsed.plan.business_vds.as_ref().expect("business VDS");
    assert_eq!(business.bond_mode.as_api_str(), "active-backup");
    assert_eq!(
        parsed.plan.storage_vds.bond_mode.as_api_str(),
        "balance-tcp"
    );

    let mut spec = example();
    if let Some(business) = spec.business_vds.as_mut() {
        business.bond_mode = "round-robin".into();
    }
    spec.management_vds.bond_mode = "lacp-fast".into();
    check(
        &spec,
        &[
            (
                Error,
                "虚拟网络!K8",
                "网口绑定模式",
                "\"round-robin\" is not a bond mode",
            ),
            (
                Error,
                "虚拟网络!K4",
                "网口绑定模式",
                "\"lacp-fast\" is not a bond mode",
            ),
        ],
    );
}

#[test]
fn more_than_sixteen_hosts_is_an_error() {
    // 17 hosts: rows were inserted, so the cluster rows moved down to 20.
    let spec = WorkbookSpec::example(17);
    let parsed = check(
        &spec,
        &[(
            Error,
            "主机规划!H19",
            "主机名",
            "17 hosts: a cluster in this workbook holds at most 16",
        )],
    );
    assert_eq!(parsed.plan.hosts.len(), 17);
    // The cluster cells were still found on their moved row.
    assert_eq!(
        parsed.plan.cluster.vip.map(|ip| ip.to_string()).as_deref(),
        Some("10.0.20.10")
    );
}

#[test]
fn sixteen_hosts_fill_the_template() {
    let parsed = check(&WorkbookSpec::example(16), &[]);
    assert_eq!(parsed.plan.hosts.len(), 16);
}

#[test]
fn missing_fisheye_password_is_an_error() {
    let mut spec = example();
    spec.fisheye_password.clear();
    check(
        &spec,
        &[(
            Error,
            "主机规划!M19",
            "集群管理员密码",
            "Fisheye admin password is empty",
        )],
    );
}

#[test]
fn missing_dns_ntp_vip_and_business_networks_are_warnings() {
    let mut spec = example();
    spec.dns_servers.clear();
    spec.ntp_servers.clear();
    spec.vip.clear();
    spec.business_networks.clear();
    let parsed = check(
        &spec,
        &[
            (
                Warning,
                "集群管理信息!E25",
                "DNS Server1",
                "leaves DNS as it is and warns",
            ),
            (
                Warning,
                "集群管理信息!E22",
                "NTP Server1",
                "leaves NTP as it is and warns",
            ),
            (Warning, "主机规划!I19", "集群VIP", "skips setting it"),
            (Warning, "虚拟网络!D8", "虚拟网络", "skips creating VLANs"),
        ],
    );
    assert!(!parsed.has_errors());
    assert!(parsed.plan.business_networks.is_empty());
}

#[test]
fn required_cells_missing() {
    let mut spec = example();
    spec.cluster_name.clear();
    spec.hosts[0].management_ip.clear();
    spec.hosts[1].hostname.clear();
    spec.network_architecture = "三网融合".into();
    check(
        &spec,
        &[
            (Error, "虚拟网络!B3", "集群名称", "cluster name is empty"),
            (Error, "主机规划!I3", "管理地址", "management IP is empty"),
            (Error, "主机规划!H4", "主机名", "hostname is empty"),
            (
                Error,
                "主机规划!Q20",
                "网络架构",
                "\"三网融合\" is not supported",
            ),
        ],
    );
}

#[test]
fn no_hosts_is_an_error() {
    let mut spec = example();
    spec.hosts.clear();
    spec.vip = "10.0.20.10".into();
    check(&spec, &[(Error, "主机规划!H3", "主机名", "no hosts")]);
}

#[test]
fn business_vds_problems() {
    // 三网独立: business networks with no business VDS have nowhere to go.
    let mut spec = example();
    spec.business_vds = None;
    check(
        &spec,
        &[(
            Error,
            "虚拟网络!C8",
            "虚拟交换机",
            "no business VDS to put them on",
        )],
    );
    // NICs without a name.
    let spec = example().with_cell("虚拟网络!C8", FixtureCell::Empty);
    check(
        &spec,
        &[(
            Error,
            "虚拟网络!C8",
            "虚拟交换机",
            "business VDS has no name",
        )],
    );

    // 存储独立 as sites fill it in (the business-VDS row empty): clean, and
    // the business networks go on the management VDS.
    let parsed = check(&WorkbookSpec::storage_separate(3), &[]);
    assert!(parsed.plan.business_vds.is_none());
    assert!(matches!(
        parsed.plan.business_network_home(),
        BusinessNetworkHome::ManagementVds("vDS-MgMt-Network")
    ));
    let summary = smtx_plan::render_summary(&parsed, smtx_i18n::Lang::En);
    assert!(
        summary.contains("business networks → vDS-MgMt-Network (存储独立)"),
        "{summary}"
    );

    // 存储独立 with the business-VDS row filled in: ignored, and said so.
    let mut spec = example();
    spec.network_architecture = "存储独立".into();
    let parsed = check(
        &spec,
        &[(
            Warning,
            "虚拟网络!C8",
            "虚拟交换机",
            "ignored under 存储独立: business networks go on the management VDS vDS-MgMt-Network",
        )],
    );
    assert!(parsed.plan.business_vds.is_none(), "the row is not used");
    assert!(matches!(
        parsed.plan.business_network_home(),
        BusinessNetworkHome::ManagementVds("vDS-MgMt-Network")
    ));
    // Only the NICs left behind: the warning names that cell.
    let spec = WorkbookSpec::storage_separate(3)
        .with_cell("虚拟网络!J8", FixtureCell::text("ens225,ens257"));
    check(
        &spec,
        &[(Warning, "虚拟网络!J8", "主机端口", "ignored under 存储独立")],
    );
    // 存储独立 needs the management VDS's name to find it.
    let spec = WorkbookSpec::storage_separate(3)
        .with_cell("虚拟网络!C4", FixtureCell::Empty)
        .with_cell("虚拟网络!J4", FixtureCell::Empty)
        .with_cell("虚拟网络!K4", FixtureCell::Empty);
    check(
        &spec,
        &[(
            Error,
            "虚拟网络!C4",
            "虚拟交换机",
            "存储独立 puts the business networks on the management VDS, but it has no name",
        )],
    );

    let mut spec = example();
    if let Some(business) = spec.business_vds.as_mut() {
        business.nics.clear();
    }
    check(
        &spec,
        &[(Error, "虚拟网络!J8", "主机端口", "lists no host NICs")],
    );
}

#[test]
fn a_bmc_address_left_empty_is_a_warning() {
    let mut spec = example();
    spec.hosts[0].bmc_ip.clear();
    check(
        &spec,
        &[(
            Warning,
            "主机规划!E3",
            "带外地址",
            "BMC account step skips this host",
        )],
    );
}

#[test]
fn a_row_with_addresses_but_no_host_is_a_warning() {
    let spec = example().with_cell("主机规划!E10", FixtureCell::text("10.0.19.99"));
    let parsed = check(
        &spec,
        &[(
            Warning,
            "主机规划!H10",
            "主机名",
            "no hostname or management IP: ignored",
        )],
    );
    assert_eq!(parsed.plan.hosts.len(), 3);
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let mut spec = example();
    spec.hosts.push(HostSpec {
        hostname: "node_04".into(),
        management_ip: "10.0.20.300".into(),
        ..spec.hosts[0].clone()
    });
    spec.vip = "10.0.20.12".into();
    spec.business_networks[0].vlan_id = FixtureCell::Number(5000.0);
    spec.dns_servers = vec!["dns".into()];
    spec.fisheye_password.clear();
    let parsed = parse_spec(&spec);
    let errors = parsed.error_count();
    // hostname, management IP, duplicate storage and BMC IPs of the copied
    // host, VIP clash, VLAN, DNS, Fisheye password.
    assert_eq!(errors, 8, "{:#?}", parsed.diagnostics);
    let rendered = smtx_plan::render_diagnostics(&parsed, smtx_i18n::Lang::En);
    assert!(
        rendered
            .contains("error: 主机规划!I6 (管理地址): \"10.0.20.300\" is not an IPv4 address\n"),
        "{rendered}"
    );
    assert!(rendered.contains("8 errors, 0 warnings\n"), "{rendered}");
    assert!(rendered.contains("hint: "), "{rendered}");
}

#[test]
fn blank_password_cells_are_warnings_naming_the_cell() {
    let mut spec = example();
    spec.hosts[0].bmc_password.clear();
    spec.hosts[1].ssh_password.clear();
    spec.hosts[2].root_password.clear();
    let parsed = check(
        &spec,
        &[
            (Warning, "主机规划!G3", "带外密码", "BMC password is empty"),
            (Warning, "主机规划!K4", "密码", "host password is empty"),
            (Warning, "主机规划!M5", "密码", "root password is empty"),
        ],
    );
    // The documented defaults are still what is applied.
    assert_eq!(parsed.plan.hosts[0].bmc.password.expose(), "ADMIN");
    assert_eq!(parsed.plan.hosts[1].ssh_password.expose(), "HC!r0cks");
    assert_eq!(
        parsed.plan.hosts[2].root_password.expose(),
        spec.hosts[2].ssh_password
    );
    // No BMC address: no BMC account, so its blank password says nothing.
    let mut spec = example();
    spec.hosts[0].bmc_ip.clear();
    spec.hosts[0].bmc_password.clear();
    check(
        &spec,
        &[(
            Warning,
            "主机规划!E3",
            "带外地址",
            "BMC account step skips this host",
        )],
    );
}

#[test]
fn spaces_around_a_password_are_kept_and_warned_about() {
    let mut spec = example();
    spec.hosts[0].ssh_password = " Sm@rtX 2025 ".into();
    spec.hosts[1].bmc_password = "Bmc#Pass!23 ".into();
    spec.fisheye_password = " Fish&Eye".into();
    let parsed = check(
        &spec,
        &[
            (Warning, "主机规划!K3", "密码", "the space is kept"),
            (Warning, "主机规划!G4", "带外密码", "the space is kept"),
            (
                Warning,
                "主机规划!M19",
                "集群管理员密码",
                "the space is kept",
            ),
        ],
    );
    assert_eq!(parsed.plan.hosts[0].ssh_password.expose(), " Sm@rtX 2025 ");
    assert_eq!(parsed.plan.hosts[1].bmc.password.expose(), "Bmc#Pass!23 ");
    assert_eq!(parsed.plan.fisheye.password.expose(), " Fish&Eye");
    // A space inside is an ordinary character.
    assert!(
        !parsed
            .diagnostics
            .iter()
            .any(|d| d.message.to_string().contains("secret")
                || d.message.to_string().contains("Sm@rtX"))
    );
}

#[test]
fn json_shows_an_invalid_value_as_null_beside_its_raw_text() {
    let mut spec = example();
    spec.hosts[0].management_ip = "10.0.20.300".into();
    spec.hosts[1].storage_ip = "10.0.21".into();
    spec.hosts[2].bmc_ip = "bmc-3".into();
    spec.vip = "10.0.20.10/24".into();
    spec.business_networks[0].vlan_id = FixtureCell::Number(5000.0);
    spec.business_networks[1].gateway = "10.1.21.x".into();
    spec.business_networks[2].subnet = "10.1.22.0".into();
    if let Some(business) = spec.business_vds.as_mut() {
        business.bond_mode = "round-robin".into();
    }
    let parsed = parse_spec(&spec);
    assert!(parsed.has_errors());
    let json = serde_json::to_value(&parsed).expect("serializes");
    for (pointer, raw) in [
        ("/hosts/0/management_ip", "10.0.20.300"),
        ("/hosts/1/storage_ip", "10.0.21"),
        ("/hosts/2/bmc/ip", "bmc-3"),
        ("/cluster/vip", "10.0.20.10/24"),
        ("/business_networks/0/vlan_id", "5000"),
        ("/business_networks/1/gateway", "10.1.21.x"),
        ("/business_networks/2/subnet", "10.1.22.0"),
        ("/business_vds/bond_mode", "round-robin"),
    ] {
        assert_eq!(
            json.pointer(pointer),
            Some(&serde_json::Value::Null),
            "{pointer} in {json:#}"
        );
        assert_eq!(
            json.pointer(&format!("{pointer}_raw"))
                .and_then(|v| v.as_str()),
            Some(raw),
            "{pointer}_raw in {json:#}"
        );
    }
    let text = json.to_string();
    assert!(!text.contains("0.0.0.0"), "no made-up address: {text}");
    // Valid values carry no `_raw` beside them.
    assert!(json.pointer("/hosts/1/management_ip_raw").is_none());
    assert_eq!(json["hosts"][1]["management_ip"], "10.0.20.12");
}

/// Issue 10: where host rows were inserted the cluster row moves down, and
/// the plan says which row its cluster cells came from, so that messages
/// about the VIP or the admin password name the cell the user filled in.
#[test]
fn the_cluster_cells_follow_inserted_host_rows() {
    let standard = parse_spec(&WorkbookSpec::example(3));
    assert_eq!(standard.plan.cluster.row, 19);
    assert_eq!(standard.plan.cluster.vip_cell(), "主机规划!I19");
    assert_eq!(
        standard.plan.cluster.fisheye_password_cell(),
        "主机规划!M19"
    );

    // Seventeen hosts push the cluster row to 20, as inserting a row in
    // Excel would; its values are still read from there.
    let spec = WorkbookSpec::example(17);
    let shifted = parse_spec(&spec);
    assert_eq!(shifted.plan.cluster.row, 20);
    assert_eq!(shifted.plan.cluster.vip_cell(), "主机规划!I20");
    assert_eq!(shifted.plan.cluster.fisheye_password_cell(), "主机规划!M20");
    assert_eq!(
        shifted.plan.cluster.vip.map(|vip| vip.to_string()),
        Some(spec.vip.clone())
    );
}

/// Issue 21: a cluster name with U+202E (RIGHT-TO-LEFT OVERRIDE) displayed
/// `…evil` as `…live`. Hidden characters in a name cell are a warning naming
/// the cell and the code points, in both languages; the name is kept as
/// typed; `plan check`'s text writes them out.
#[test]
fn issue_21_hidden_characters_in_names_are_warnings() -> Result<(), Box<dyn std::error::Error>> {
    use smtx_i18n::{Lang, Localize};

    const CLUSTER: &str = "CN-BJ-SMTX-Prod-\u{202E}evil";
    const HOST: &str = "BJ-SMTX-Prod-Node\u{200B}-01";
    let bytes = smtx_plan::fixture::edit_cells(
        &crate::common::template_bytes(),
        &[("虚拟网络!B3", Some(CLUSTER)), ("主机规划!H3", Some(HOST))],
    )?;
    let parsed = smtx_plan::parse_workbook(&bytes, "template.xlsx")?;
    let warnings: Vec<(String, String, String, String)> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Warning)
        .map(|d| {
            (
                d.location.clone(),
                d.field.clone(),
                d.localize(Lang::En),
                d.localize(Lang::ZhCn),
            )
        })
        .collect();
    let [cluster, host] = warnings.as_slice() else {
        panic!("exactly two warnings, got {warnings:#?}");
    };
    assert_eq!(
        (cluster.0.as_str(), cluster.1.as_str()),
        ("虚拟网络!B3", "集群名称")
    );
    assert_eq!(
        (host.0.as_str(), host.1.as_str()),
        ("主机规划!H3", "主机名")
    );
    for (line, expected) in [
        (
            &cluster.2,
            "warning: 虚拟网络!B3 (集群名称): the name contains U+202E (bidirectional control):",
        ),
        (
            &cluster.3,
            "警告：虚拟网络!B3（集群名称）：名称中含有 U+202E（双向文字控制符）：",
        ),
        (
            &host.2,
            "warning: 主机规划!H3 (主机名): the name contains U+200B (invisible):",
        ),
        (
            &host.3,
            "警告：主机规划!H3（主机名）：名称中含有 U+200B（不可见字符）：",
        ),
    ] {
        assert!(
            line.starts_with(expected),
            "{line:?} does not start with {expected:?}"
        );
        assert!(
            line.contains("kept as typed") || line.contains("按原样保留"),
            "{line}"
        );
    }
    // The hostname is also no RFC 1123 label: that error is the old one.
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Error)
        .map(|d| (d.location.as_str(), d.message.variant()))
        .collect();
    assert_eq!(errors, [("主机规划!H3", "BadHostname")]);
    // Kept as typed: the cluster must get the name the workbook gives it.
    assert_eq!(parsed.plan.cluster.name, CLUSTER);
    assert_eq!(parsed.plan.hosts[0].hostname, HOST);

    // The summary writes them out wherever the name is printed, in both
    // languages, and leaves none in the text. The hostname is in error, so
    // the table says `(invalid)`; the Chinese error quotes it as typed, the
    // English one as a Rust string (`\u{200b}`).
    for (lang, host) in [
        (Lang::En, "\"BJ-SMTX-Prod-Node\\u{200b}-01\""),
        (Lang::ZhCn, "「BJ-SMTX-Prod-Node⟨U+200B⟩-01」"),
    ] {
        let text = smtx_plan::render_summary(&parsed, lang);
        assert!(text.contains("CN-BJ-SMTX-Prod-⟨U+202E⟩evil"), "{text}");
        assert!(text.contains(host), "{host} in {text}");
        assert!(
            smtx_plan::hidden_characters(&text)
                .iter()
                .all(|c| *c == '\n'),
            "a hidden character reached the text: {text:?}"
        );
    }
    // The template's own names hold none.
    let clean = smtx_plan::parse_workbook(&crate::common::template_bytes(), "template.xlsx")?;
    assert!(
        clean
            .diagnostics
            .iter()
            .all(|d| d.message.variant() != "HiddenCharacters"),
        "{:#?}",
        clean.diagnostics
    );
    Ok(())
}

/// Every switch and network name cell of 虚拟网络 is looked at, those of the
/// rows no stage configures yet (backup, the extra management network)
/// included; control characters count too.
#[test]
fn hidden_characters_in_switch_and_network_names() {
    let mut spec = example();
    spec.management_vds.name = "vDS-\u{200F}MgMt".into();
    spec.storage_vds.name = "vDS-Storage\u{7}".into();
    spec.business_networks[1].name = "\u{FEFF}VLAN-1121".into();
    let spec = spec.with_cell(
        "虚拟网络!D5",
        FixtureCell::text("\u{2066}Infra-network\u{2069}\u{2066}"),
    );
    let parsed = check(
        &spec,
        &[
            (
                Warning,
                "虚拟网络!C4",
                "虚拟交换机",
                "U+200F (bidirectional control)",
            ),
            (
                Warning,
                "虚拟网络!C6",
                "虚拟交换机",
                "U+0007 (control character)",
            ),
            (Warning, "虚拟网络!D9", "虚拟网络", "U+FEFF (invisible)"),
            (
                Warning,
                "虚拟网络!D5",
                "虚拟网络",
                "U+2066 (bidirectional control), U+2069 (bidirectional control):",
            ),
        ],
    );
    assert_eq!(parsed.plan.management_vds.name, "vDS-\u{200F}MgMt");
    assert_eq!(parsed.plan.business_networks[1].name, "\u{FEFF}VLAN-1121");
    let text = smtx_plan::render_summary(&parsed, smtx_i18n::Lang::En);
    for shown in [
        "vDS-⟨U+200F⟩MgMt",
        "vDS-Storage⟨U+0007⟩",
        "⟨U+FEFF⟩VLAN-1121",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
}
