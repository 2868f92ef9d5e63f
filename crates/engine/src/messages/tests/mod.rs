//! Every message of the engine's catalog renders in both languages: one
//! sample of every variant, English present, Chinese with Chinese in it and
//! no English words left (identifiers, addresses, flags and quoted text
//! aside: see `smtx_i18n::untranslated_words`).

use std::path::PathBuf;
use std::time::Duration;

use smtx_api::ssh::{PasswordProblem, SshError, SshPhase, TargetProblem};
use smtx_api::{
    ApiError, CallUrl, ChunkingReason, ConfigReason, DecodeReason, FileReason, TlsKind, TlsReason,
    TransportKind, TransportReason, UploadCause, UploadReason,
};
use smtx_i18n::{FrontEnd, Lang, Localize, Text, catalog_problems};

use super::settings::{Unread, VipAnswer};
use super::*;
use crate::EngineError;

fn s(text: &str) -> String {
    text.to_string()
}

fn names(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| s(item)).collect()
}

fn api_sample() -> Text {
    errors::api_error(&ApiError::Api {
        action: s("PUT /api/v2/settings/dns"),
        status: 500,
        ec: Some(s("EINTERNAL")),
        msg: Some(s("internal error")),
    })
}

fn assert_whole<M: Localize>(
    variants: &[&str],
    samples: &[M],
    variant_of: impl Fn(&M) -> &'static str,
) {
    let mut problems = catalog_problems(variants, samples, variant_of);
    problems.extend(console_problems(samples));
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every engine message reaches the console (a step's detail, error and
/// hint; a refusal): as the console words it, in both languages, it names
/// no flag, settings key or signal.
fn console_problems<M: Localize>(samples: &[M]) -> Vec<String> {
    let mut problems = Vec::new();
    for sample in samples {
        for lang in Lang::ALL {
            let text = sample.localize_for(FrontEnd::Console, lang);
            for problem in smtx_i18n::front_end::console_problems(&text) {
                problems.push(format!("console, {lang}: {problem} in {text:?}"));
            }
        }
    }
    problems
}

#[test]
fn prepare_messages() {
    use PrepareMsg::*;
    let samples = [
        WorkbookSummary {
            cluster: s("CN-BJ-01"),
            hosts: 3,
            networks: 2,
        },
        WouldScan,
        ScannedUuid {
            uuid: s("a2637d13-d171"),
        },
        HostnameMismatch {
            reported: s("localhost"),
            planned: s("node-01"),
            cell: s("主机规划!H5"),
        },
        ScanHint {
            ip: s("10.0.20.11"),
            cell: s("主机规划!I5"),
        },
        NicsPresent {
            nics: names(&["ens225", "ens257"]),
        },
        NicsMissing {
            missing: vec![(s("node-01"), s("10.0.20.11"), s("ens225"))],
        },
        NicsHint {
            cell: s("虚拟网络!J8"),
        },
        WouldVerify,
        Deployed,
        NotDeployed,
        NotDeployedHint,
        VerifyHint,
    ];
    assert_whole(PrepareMsg::VARIANTS, &samples, PrepareMsg::variant);
}

#[test]
fn session_messages() {
    use SessionMsg::*;
    let samples = [
        WouldStart,
        DeploymentVerified,
        NotDeployed,
        NotDeployedHint,
        NoDeployVerify,
        NoDeployVerifyHint,
        AlreadyInitialized,
        WouldInitialize { user: s("root") },
        Initialized { user: s("root") },
        SetupRootHint,
        WouldLogIn { user: s("root") },
        LoggedIn { user: s("root") },
        UsingToken {
            error: api_sample(),
        },
        LoginHint {
            cell: s("主机规划!M19"),
        },
    ];
    assert_whole(SessionMsg::VARIANTS, &samples, SessionMsg::variant);
}

#[test]
fn settings_messages() {
    use SettingsMsg::*;
    let samples = [
        WouldSet {
            value: s("10.0.20.10"),
        },
        Applied {
            value: s("10.0.0.114, 10.0.0.1"),
            job: Some(s("c0b774db-b3c5")),
            unread: None,
        },
        Applied {
            value: s("10.0.20.10"),
            job: None,
            unread: Some(Unread {
                read: s("GET /api/v2/settings/vip"),
                cause: None,
            }),
        },
        Applied {
            value: s("ntp1.example.com"),
            job: Some(s("c0b774db-b3c5")),
            unread: Some(Unread {
                read: s("GET /api/v2/settings/ntp"),
                cause: Some(api_sample()),
            }),
        },
        AlreadySet {
            value: s("10.0.0.114, 10.0.0.1"),
        },
        SettingHint {
            cells: s("集群管理信息!E25"),
        },
        VipTaken {
            vip: s("10.0.20.10"),
            answering: vec![
                VipAnswer {
                    port: 443,
                    via: None,
                },
                VipAnswer {
                    port: 22,
                    via: Some(s("127.0.0.1:2222")),
                },
            ],
        },
        VipTakenHint {
            cell: s("主机规划!I19"),
        },
        NoVip {
            cell: s("主机规划!I19"),
        },
        NoDns {
            cells: s("集群管理信息!E25:E26"),
        },
        NoNtp {
            cells: s("集群管理信息!E22:E24"),
        },
        FillCellsHint,
    ];
    assert_whole(SettingsMsg::VARIANTS, &samples, SettingsMsg::variant);
}

#[test]
fn ipmi_messages() {
    use IpmiMsg::*;
    let samples = [
        NoBmc {
            cells: s("主机规划!E"),
        },
        NotScanned {
            hosts: names(&["node-02"]),
        },
        RescanHint,
        WouldStore { count: 3 },
        Stored {
            count: 3,
            already: 0,
            unread: None,
        },
        Stored {
            count: 1,
            already: 2,
            unread: None,
        },
        Stored {
            count: 3,
            already: 0,
            unread: Some(Unread {
                read: s("GET /api/v2/ipmi/accounts"),
                cause: None,
            }),
        },
        AlreadySet { count: 3 },
        Problems {
            rejected: vec![(s("node-01"), s("10.0.10.11"))],
            unscanned: names(&["node-03"]),
        },
        Tally {
            stored: 2,
            failed: 1,
        },
        BmcHint {
            cells: s("主机规划!E:G"),
        },
        FailedHint,
    ];
    assert_whole(IpmiMsg::VARIANTS, &samples, IpmiMsg::variant);
}

#[test]
fn network_messages() {
    use NetworkMsg::*;
    let samples = [
        SharedNoNetworks {
            cells: s("虚拟网络!D8:D18"),
        },
        NoBusinessVds {
            cell: s("虚拟网络!C8"),
        },
        WouldLookUpManagement {
            name: s("vDS-Mgmt"),
        },
        OnManagement {
            name: s("vDS-Mgmt"),
            uuid: s("a815f45b-1cc4"),
        },
        ManagementMissing {
            name: s("vDS-Mgmt"),
        },
        ManagementHint {
            cell: s("虚拟网络!C4"),
        },
        VdsExists {
            name: s("vDS-Prod"),
            uuid: s("a815f45b-1cc4"),
        },
        LookFirstHint,
        WouldCreateVds {
            name: s("vDS-Prod"),
            bond: s("balance-slb"),
            nics: names(&["ens225", "ens257"]),
        },
        VdsCreated {
            name: s("vDS-Prod"),
            uuid: s("a815f45b-1cc4"),
            job: Some(s("73183f2f-7f8d")),
            bond: s("balance-slb"),
            nics: names(&["ens225", "ens257"]),
        },
        JobWithoutVds {
            job: s("73183f2f-7f8d"),
            name: s("vDS-Prod"),
        },
        NetworksNotCreated { count: 3 },
        NetworksNotCreatedHint,
        NoNetworks {
            cells: s("虚拟网络!D8:D18"),
        },
        CannotListVlans {
            error: api_sample(),
        },
        VlanExists {
            uuid: s("974d8ccf-fd2d"),
        },
        VlanNameTaken {
            name: s("VLAN-1120"),
            vlan_id: 1999,
        },
        FixVlanIdHint {
            cell: s("虚拟网络!F8"),
        },
        VlanIdTaken {
            vlan_id: 1120,
            name: s("VLAN-other"),
        },
        FixVlanNameHint {
            cell: s("虚拟网络!D8"),
        },
        WouldCreateVlan { vds: s("vDS-Prod") },
        VlanCreated {
            uuid: s("974d8ccf-fd2d"),
        },
        WouldVerify { count: 3 },
        VlansMissing {
            vds: s("vDS-Prod"),
            names: names(&["VLAN-1120"]),
        },
        VlansCountLow {
            count: 2,
            expected: 3,
        },
        VlansVerified {
            vds: s("vDS-Prod"),
            count: 3,
            expected: 3,
        },
    ];
    assert_whole(NetworkMsg::VARIANTS, &samples, NetworkMsg::variant);
}

#[test]
fn host_password_messages() {
    use HostPasswordMsg::*;
    let samples = [
        TurnedOff,
        TurnedOffHint {
            cells: s("主机规划!K、M"),
        },
        NoHosts,
        WouldRotate {
            user: s("smartx"),
            address: s("10.0.20.11:22"),
        },
        WouldRotateAll { count: 4 },
        Rotated,
        AlreadyRotated,
        HostKeyHint {
            key: s("10.0.20.11"),
            known_hosts: s("runs/known_hosts"),
        },
        SshHint,
        AllRotated { count: 3 },
        SomeFailed {
            failed: names(&["node-02 (10.0.20.12)"]),
            total: 3,
        },
        SomeFailedHint,
    ];
    assert_whole(
        HostPasswordMsg::VARIANTS,
        &samples,
        HostPasswordMsg::variant,
    );
}

#[test]
fn vmtools_messages() {
    use VmtoolsMsg::*;
    let iso = s("SMTX_VMTOOLS-3.2.0.iso");
    let samples = [
        NoIso {
            dir: s("/srv/site"),
        },
        Unreadable {
            path: s("/srv/site/x.iso"),
            reason: s("Permission denied (os error 13)"),
        },
        NoIsoHint,
        CheckIsoHint,
        Empty { path: iso.clone() },
        EmptyHint,
        AlreadyUploaded {
            file: iso.clone(),
            sha256: s("f29fb072"),
        },
        WouldUpload {
            file: iso.clone(),
            size: 1048576,
        },
        Uploaded {
            file: iso.clone(),
            chunks: 2,
            chunk_size: 8388608,
            recreated: true,
            sha256: s("f29fb072"),
        },
        RolledBackHint,
        ChunkingHint,
    ];
    assert_whole(VmtoolsMsg::VARIANTS, &samples, VmtoolsMsg::variant);
}

#[test]
fn cpu_messages() {
    use CpuMsg::*;
    let samples = [
        TurnedOff,
        Would,
        NoRecommendation,
        WouldSet { model: s("EPYC") },
        Confirmed { model: s("EPYC") },
        Mismatch {
            model: s("EPYC"),
            current: Some(s("Haswell")),
        },
        Mismatch {
            model: s("EPYC"),
            current: None,
        },
    ];
    assert_whole(CpuMsg::VARIANTS, &samples, CpuMsg::variant);
}

#[test]
fn serial_messages() {
    use SerialMsg::*;
    let command = s("smtx-deploy plan set-serial /srv/site/w.xlsx e47a1fc9");
    let samples = [
        WouldWrite {
            cell: s("主机规划!E19"),
            path: s("/srv/site/w.xlsx"),
        },
        KeptInContext {
            serial: s("e47a1fc9"),
        },
        CellHoldsSerial {
            cell: s("主机规划!E19"),
            held: s("0000-1111"),
            serial: s("e47a1fc9"),
        },
        ForceSerialHint,
        CellHoldsOther {
            cell: s("主机规划!E19"),
            chars: 12,
        },
        OtherCellHint,
        AlreadyIn {
            serial: s("e47a1fc9"),
            cell: s("主机规划!E19"),
        },
        Written {
            serial: s("e47a1fc9"),
            cell: s("主机规划!E19"),
        },
        WorkbookOpen {
            lock: s("/srv/site/.~lock.w.xlsx#"),
        },
        WorkbookInUse,
        WorkbookOpenHint {
            command: command.clone(),
        },
        Occupied {
            cell: s("主机规划!E19"),
            what: s("holds a formula"),
        },
        WriteFailed {
            error: Text::of(&smtx_plan::SerialWriteError::Failed {
                path: PathBuf::from("/srv/site/w.xlsx"),
                reason: s("disk full"),
            }),
        },
        FixCauseHint {
            command: command.clone(),
        },
        TaskFailed {
            reason: s("task panicked"),
        },
        ThenHint { command },
    ];
    assert_whole(SerialMsg::VARIANTS, &samples, SerialMsg::variant);
}

#[test]
fn run_messages() {
    let samples = [RunMsg::Aborted, RunMsg::AbortedHint];
    assert_whole(RunMsg::VARIANTS, &samples, RunMsg::variant);
}

mod error_catalogs;
