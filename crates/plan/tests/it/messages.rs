//! Every workbook diagnostic, and the workbook's read and write errors,
//! render in English and Chinese; `plan check`'s rendering in Chinese has
//! no English words left in it.

use std::path::PathBuf;

use smtx_i18n::{Lang, Localize, Text, catalog_problems, untranslated_words};
use smtx_plan::fixture::WorkbookSpec;
use smtx_plan::{PlanError, Problem, SerialWriteError, VdsRole};

fn s(text: &str) -> String {
    text.to_string()
}

#[test]
fn every_problem_renders_in_both_languages() {
    use Problem::*;
    let samples = [
        NotIpv4 {
            text: s("10.0.0.300"),
        },
        PasswordSpaces,
        ClusterNameEmpty,
        HostRowIgnored,
        TooManyHosts {
            count: 17,
            max: 16,
            first_row: 3,
            last_row: 18,
        },
        NoHosts,
        BadHostname {
            name: s("node_01"),
            reason: s("is not a valid hostname: use only letters, digits and '-'"),
        },
        HostnameEmpty,
        ManagementIpEmpty,
        BmcEmpty,
        BmcPasswordEmpty,
        HostPasswordEmpty { user: s("smartx") },
        RootPasswordEmpty {
            cell: s("主机规划!K5"),
        },
        DuplicateHostname {
            name: s("node-01"),
            first: s("主机规划!H3"),
        },
        DuplicateAddress {
            ip: s("10.0.20.11"),
            first: s("主机规划!I3"),
        },
        VipEmpty,
        VipIsHostAddress {
            vip: s("10.0.20.11"),
            cell: s("主机规划!I3"),
        },
        UnsupportedArchitecture { text: s("两网") },
        ArchitectureEmpty,
        FisheyePasswordEmpty,
        VdsNoName {
            role: VdsRole::Management,
        },
        VdsNoName {
            role: VdsRole::Storage,
        },
        VdsNoNics {
            role: VdsRole::Business,
        },
        BadBondMode { text: s("lacp") },
        BusinessVdsIgnored {
            cells: vec![s("C8"), s("J8")],
            management: Some(s("vDS-Mgmt")),
        },
        BusinessVdsIgnored {
            cells: vec![s("C8")],
            management: None,
        },
        ManagementVdsUnnamed,
        BusinessVdsUnnamed,
        NoBusinessVdsForNetworks {
            networks: s("虚拟网络!D8:D10"),
            architecture_cell: s("主机规划!Q20"),
        },
        NetworkRowIgnored,
        NoBusinessNetworks,
        BadVlanId { text: s("5000") },
        NoVlanId {
            name: s("VLAN-1120"),
        },
        BadSubnet {
            text: s("10.0.0.0/33"),
            reason: s("\"10.0.0.0/33\" is not a CIDR subnet: prefix must be 0..=32"),
        },
        GatewayOutsideSubnet {
            gateway: s("10.0.1.1"),
            subnet: s("10.0.0.0/24"),
        },
        DuplicateNetworkName {
            name: s("VLAN-1120"),
            first: s("虚拟网络!D8"),
        },
        DuplicateVlanId {
            vlan_id: 1120,
            first: s("虚拟网络!F8"),
        },
        BadDns {
            item: s("dns.local"),
        },
        NoDns,
        BadNtp { item: s("-bad-") },
        NoNtp,
    ];
    let problems = catalog_problems(Problem::VARIANTS, &samples, Problem::variant);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn read_and_write_errors_render_in_both_languages() {
    let path = || PathBuf::from("/srv/site/w.xlsx");
    let mut samples: Vec<Text> = Vec::new();
    for error in [
        PlanError::Unreadable {
            file: s("w.xlsx"),
            reason: s("not an xlsx workbook"),
        },
        PlanError::MissingSheet {
            file: s("w.xlsx"),
            sheet: s("主机规划"),
            present: s("Sheet1"),
        },
    ] {
        match &error {
            PlanError::Unreadable { .. } | PlanError::MissingSheet { .. } => {}
        }
        assert_eq!(error.en(), error.to_string());
        samples.push(Text::of(&error));
    }
    for error in [
        SerialWriteError::Failed {
            path: path(),
            reason: s("disk full"),
        },
        SerialWriteError::InvalidSerial {
            serial: s("a\nb"),
            reason: s("it has a line break"),
        },
        SerialWriteError::BadCell { cell: s("E19") },
        SerialWriteError::Unreadable {
            path: path(),
            reason: s("No such file"),
        },
        SerialWriteError::SheetNotFound {
            path: path(),
            sheet: s("主机规划"),
            present: s("Sheet1"),
        },
        SerialWriteError::Occupied {
            path: path(),
            cell: s("主机规划!E19"),
            what: s("holds a formula"),
        },
        SerialWriteError::FileOpen {
            path: path(),
            lock: PathBuf::from("/srv/site/.~lock.w.xlsx#"),
        },
        SerialWriteError::ReadOnly { path: path() },
    ] {
        match &error {
            SerialWriteError::Failed { .. }
            | SerialWriteError::InvalidSerial { .. }
            | SerialWriteError::BadCell { .. }
            | SerialWriteError::Unreadable { .. }
            | SerialWriteError::SheetNotFound { .. }
            | SerialWriteError::Occupied { .. }
            | SerialWriteError::FileOpen { .. }
            | SerialWriteError::ReadOnly { .. } => {}
        }
        assert_eq!(error.en(), error.to_string());
        samples.push(Text::of(&error));
    }
    let problems = catalog_problems(&[], &samples, |_| "");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// `plan check --lang zh-CN`'s text: the summary and every diagnostic of a
/// workbook with warnings and errors, in Chinese.
#[test]
fn the_summary_and_diagnostics_read_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("w.xlsx");
    let mut spec = WorkbookSpec::example(3);
    spec.dns_servers.clear();
    spec.hosts[1].bmc_ip = String::new();
    spec.hosts[2].management_ip = "10.0.20.300".to_string();
    spec.write_to(&path).expect("workbook written");
    let bytes = std::fs::read(&path).expect("read back");
    let parsed = smtx_plan::parse_workbook(&bytes, "w.xlsx").expect("parses");
    assert!(parsed.has_errors() && parsed.warning_count() > 0);
    let zh = smtx_plan::render_summary(&parsed, Lang::ZhCn);
    for line in zh.lines() {
        assert_eq!(untranslated_words(line), Vec::<String>::new(), "{line}");
    }
    assert!(zh.contains("错误：主机规划!I5（管理地址）："), "{zh}");
    let en = smtx_plan::render_summary(&parsed, Lang::En);
    assert!(en.contains("error: 主机规划!I5 (管理地址): "), "{en}");
}
