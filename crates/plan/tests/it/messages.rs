//! Every workbook diagnostic, and the workbook's read and write errors,
//! render in English and Chinese; `plan check`'s rendering in Chinese has
//! no English words left in it.

use std::path::PathBuf;

use smtx_i18n::{Lang, Localize, Text, catalog_problems, untranslated_words};
use smtx_plan::fixture::WorkbookSpec;
use smtx_plan::{
    Found, Limit, LimitExceeded, PlanError, Problem, SerialWriteError, Subject, VdsRole,
    WorkbookFileError, WorkbookLimits,
};

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
        HiddenCharacters {
            characters: vec!['\u{202E}', '\u{200B}', '\u{7}'],
        },
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
        PlanError::OverLimit {
            file: s("w.xlsx"),
            limit: Box::new(limit_sample(
                Limit::EntryCount,
                Subject::Workbook,
                Found::Entries(4_000),
            )),
        },
    ] {
        match &error {
            PlanError::Unreadable { .. }
            | PlanError::MissingSheet { .. }
            | PlanError::OverLimit { .. } => {}
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
        SerialWriteError::File {
            path: path(),
            error: WorkbookFileError::Missing,
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
        SerialWriteError::InUse { path: path() },
    ] {
        match &error {
            SerialWriteError::Failed { .. }
            | SerialWriteError::InvalidSerial { .. }
            | SerialWriteError::BadCell { .. }
            | SerialWriteError::Unreadable { .. }
            | SerialWriteError::File { .. }
            | SerialWriteError::SheetNotFound { .. }
            | SerialWriteError::Occupied { .. }
            | SerialWriteError::FileOpen { .. }
            | SerialWriteError::ReadOnly { .. }
            | SerialWriteError::InUse { .. } => {}
        }
        assert_eq!(error.en(), error.to_string());
        samples.push(Text::of(&error));
    }
    let problems = catalog_problems(&[], &samples, |_| "");
    assert!(problems.is_empty(), "{problems:#?}");
}

fn limit_sample(limit: Limit, subject: Subject, found: Found) -> LimitExceeded {
    LimitExceeded {
        limit,
        subject,
        found,
        max: limit.value(&WorkbookLimits::DEFAULT),
    }
}

/// Every limit, subject and finding in both languages; the English is the
/// error's own (what files keep).
#[test]
fn limit_reasons_render_in_both_languages() {
    let entry = || Subject::Entry(s("xl/sharedStrings.xml"));
    let sheet = || Subject::Sheet(s("主机规划"));
    let samples = [
        limit_sample(Limit::FileSize, Subject::Workbook, Found::Size(20 << 20)),
        limit_sample(
            Limit::FileSize,
            Subject::Workbook,
            Found::OverSize(16 << 20),
        ),
        limit_sample(Limit::EntryCount, Subject::Workbook, Found::Entries(4_000)),
        limit_sample(
            Limit::EntryCount,
            Subject::Workbook,
            Found::ClaimedEntries(65_535),
        ),
        limit_sample(Limit::EntrySize, entry(), Found::DeclaredInflated(1 << 32)),
        limit_sample(Limit::EntrySize, entry(), Found::InflatesPast(16 << 20)),
        limit_sample(Limit::TotalSize, entry(), Found::TotalPast(128 << 20)),
        limit_sample(
            Limit::SharedStrings,
            entry(),
            Found::AnnouncedStrings(s("4294967295")),
        ),
        limit_sample(Limit::SharedStrings, entry(), Found::MoreStrings(500_000)),
        limit_sample(
            Limit::SheetCells,
            sheet(),
            Found::CellSpan {
                from: s("A1"),
                to: s("XFD1048576"),
                area: 17_179_869_184,
            },
        ),
        limit_sample(Limit::SheetCells, sheet(), Found::MoreCells(500_000)),
        limit_sample(Limit::SheetCells, sheet(), Found::MoreFormulas(500_000)),
        limit_sample(Limit::FileSize, Subject::Workbook, Found::Size(312)),
    ];
    for sample in &samples {
        // Every kind once: these stop compiling when one is added.
        match sample.limit {
            Limit::FileSize
            | Limit::EntryCount
            | Limit::EntrySize
            | Limit::TotalSize
            | Limit::SheetCells
            | Limit::SharedStrings => {}
        }
        match sample.found {
            Found::Size(_)
            | Found::OverSize(_)
            | Found::Entries(_)
            | Found::ClaimedEntries(_)
            | Found::DeclaredInflated(_)
            | Found::InflatesPast(_)
            | Found::TotalPast(_)
            | Found::AnnouncedStrings(_)
            | Found::MoreStrings(_)
            | Found::CellSpan { .. }
            | Found::MoreCells(_)
            | Found::MoreFormulas(_) => {}
        }
        assert_eq!(sample.en(), sample.to_string());
    }
    let mut texts: Vec<Text> = samples.iter().map(Text::of).collect();
    for error in [
        WorkbookFileError::Missing,
        WorkbookFileError::Denied,
        WorkbookFileError::Read {
            cause: s("Input/output error (os error 5)"),
        },
        WorkbookFileError::Directory,
        WorkbookFileError::NotAFile,
        WorkbookFileError::Limit(Box::new(samples[0].clone())),
    ] {
        match &error {
            WorkbookFileError::Missing
            | WorkbookFileError::Denied
            | WorkbookFileError::Read { .. }
            | WorkbookFileError::Directory
            | WorkbookFileError::NotAFile
            | WorkbookFileError::Limit(_) => {}
        }
        assert_eq!(error.en(), error.to_string());
        texts.push(Text::of(&error));
    }
    let problems = catalog_problems(&[], &texts, |_| "");
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(
        samples[0].to_string(),
        "the workbook is 20 MiB, over the file size limit of 16 MiB; a planning workbook is far smaller"
    );
}

/// Crafted workbooks, each over a limit: the one line each gets is
/// Chinese under zh-CN (the English is caught by the same scan).
#[test]
fn crafted_workbooks_are_refused_in_chinese() {
    use smtx_plan::crafted;
    let workbooks = [
        // (A bomb whose header lies is refused by the zip reader's own
        // words, quoted: text we do not write.)
        crafted::zip_bomb(160, true).expect("crafted"),
        crafted::shared_strings_claim(u64::MAX).expect("crafted"),
        crafted::far_apart_cells().expect("crafted"),
        crafted::many_entries(1_200).expect("crafted"),
    ];
    for bytes in workbooks {
        let error = match smtx_plan::parse_workbook(&bytes, "crafted.xlsx") {
            Err(error @ PlanError::OverLimit { .. }) => error,
            other => panic!("refused over a limit: {:?}", other.map(|_| "parsed")),
        };
        let zh = error.localize(Lang::ZhCn);
        assert!(untranslated_words(&zh).is_empty(), "{zh}");
        assert!(!untranslated_words(&error.localize(Lang::En)).is_empty());
    }
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
