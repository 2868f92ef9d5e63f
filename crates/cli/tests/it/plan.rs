//! `smtx-deploy plan check` and `plan set-serial` as a user runs them: exit
//! codes, the readable summary, the JSON keys, and that no password reaches
//! stdout or stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use smtx_plan::fixture::{FixtureCell, WorkbookSpec};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const SERIAL: &str = "c8b39907-464c-44b4-94bb-7c2ac243f390";

fn smtx_deploy(args: &[&str]) -> Result<Output, std::io::Error> {
    Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env("LANG", "C")
        .args(args)
        .output()
}

fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Every password in the spec, to grep outputs for.
fn secrets(spec: &WorkbookSpec) -> Vec<String> {
    let mut secrets = vec![spec.fisheye_password.clone()];
    for host in &spec.hosts {
        secrets.extend([
            host.bmc_password.clone(),
            host.ssh_password.clone(),
            host.root_password.clone(),
        ]);
    }
    secrets.retain(|secret| !secret.is_empty());
    secrets
}

fn assert_no_secret(output: &Output, secrets: &[String]) {
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    for secret in secrets {
        assert!(
            !all.contains(secret.as_str()),
            "password leaked into output:\n{all}"
        );
    }
}

#[test]
fn check_summarises_the_real_template_and_exits_0() -> TestResult {
    let template = template_path();
    let output = smtx_deploy(&["plan", "check", path_arg(&template)])?;
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    for expected in [
        "name:                 CN-BJ-SMTX-Prod-Cls01",
        "VIP:                  10.0.20.10",
        "network architecture: 三网独立",
        "Hosts (4)",
        "BJ-SMTX-Prod-Node-04  10.0.20.14     10.0.21.14  10.0.19.14  root",
        "business:   vDS-Prod-Network (NICs: ens225, ens257; bond mode: balance-slb)",
        "Business networks (11)",
        "VLAN-1130  1130     10.1.30.0/24  10.1.30.1",
        "DNS servers: 10.0.0.114, 10.0.0.1",
        "NTP servers: 10.0.0.2, ntp.c89.fun",
        "Fisheye admin:        root (password ***)",
        "0 errors, 0 warnings",
        "hint: ",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    // The template's passwords.
    assert_no_secret(
        &output,
        &["P@ssw0rd!123".to_string(), "HC!r0cks".to_string()],
    );
    Ok(())
}

#[test]
fn check_json_has_the_documented_keys() -> TestResult {
    let template = template_path();
    let output = smtx_deploy(&["plan", "check", "--json", path_arg(&template)])?;
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(json["cluster"]["name"], "CN-BJ-SMTX-Prod-Cls01");
    assert_eq!(json["cluster"]["vip"], "10.0.20.10");
    assert_eq!(json["cluster"]["network_architecture"], "三网独立");
    assert_eq!(json["hosts"].as_array().map(Vec::len), Some(4));
    let host = &json["hosts"][0];
    assert_eq!(host["hostname"], "BJ-SMTX-Prod-Node-01");
    assert_eq!(host["management_ip"], "10.0.20.11");
    assert_eq!(host["storage_ip"], "10.0.21.11");
    assert_eq!(host["bmc"]["ip"], "10.0.19.11");
    assert_eq!(host["bmc"]["user"], "root");
    assert_eq!(json["business_vds"]["name"], "vDS-Prod-Network");
    assert_eq!(
        json["business_vds"]["nics"],
        serde_json::json!(["ens225", "ens257"])
    );
    assert_eq!(json["business_vds"]["bond_mode"], "balance-slb");
    assert_eq!(json["business_networks"].as_array().map(Vec::len), Some(11));
    let network = &json["business_networks"][0];
    assert_eq!(network["name"], "VLAN-1120");
    assert_eq!(network["vlan_id"], 1120);
    assert_eq!(network["subnet"], "10.1.20.0/24");
    assert_eq!(network["gateway"], "10.1.20.1");
    assert_eq!(
        json["dns_servers"],
        serde_json::json!(["10.0.0.114", "10.0.0.1"])
    );
    assert_eq!(
        json["ntp_servers"],
        serde_json::json!(["10.0.0.2", "ntp.c89.fun"])
    );
    assert_eq!(json["fisheye"]["user"], "root");
    assert_eq!(json["diagnostics"], serde_json::json!([]));
    assert_no_secret(
        &output,
        &["P@ssw0rd!123".to_string(), "HC!r0cks".to_string()],
    );
    Ok(())
}

#[test]
fn check_reports_every_error_by_cell_and_exits_2() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("broken.xlsx");
    let mut spec = WorkbookSpec::example(4);
    spec.hosts[2].management_ip = "10.0.20.300".into();
    spec.business_networks[1].vlan_id = FixtureCell::Number(5000.0);
    spec.fisheye_password.clear();
    spec.dns_servers.clear();
    spec.write_to(&path)?;

    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    for expected in [
        "error: 主机规划!I5 (管理地址): \"10.0.20.300\" is not an IPv4 address\n",
        "error: 虚拟网络!F9 (VLAN ID): \"5000\" is not a VLAN ID (an integer in 0..=4094)\n",
        "error: 主机规划!M19 (集群管理员密码): the Fisheye admin password is empty\n",
        "warning: 集群管理信息!E25 (DNS Server1): no DNS servers: the run leaves DNS as it is and warns\n",
        // The summary marks the cells in error instead of showing placeholders.
        "node-03   (invalid)",
        "3 errors, 1 warning\n",
        "hint: fix each cell listed above",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert_no_secret(&output, &secrets(&spec));

    let output = smtx_deploy(&["plan", "check", "--json", path_arg(&path)])?;
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let first = &json["diagnostics"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(first["location"], "主机规划!I5");
    assert_eq!(first["field"], "管理地址");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("10.0.20.300"))
    );
    // The invalid address is null with what was typed beside it, never a
    // made-up 0.0.0.0.
    assert_eq!(json["hosts"][2]["management_ip"], serde_json::Value::Null);
    assert_eq!(json["hosts"][2]["management_ip_raw"], "10.0.20.300");
    assert_eq!(
        json["business_networks"][1]["vlan_id"],
        serde_json::Value::Null
    );
    assert_eq!(json["business_networks"][1]["vlan_id_raw"], "5000");
    assert!(!text(&output.stdout).contains("0.0.0.0"));
    assert_no_secret(&output, &secrets(&spec));
    Ok(())
}

#[test]
fn check_says_where_the_business_networks_go() -> TestResult {
    let dir = tempfile::tempdir()?;
    // 存储独立 as sites fill it in: no business-VDS row.
    let path = dir.path().join("storage-separate.xlsx");
    WorkbookSpec::storage_separate(3).write_to(&path)?;
    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("business networks → vDS-MgMt-Network (存储独立)"),
        "{stdout}"
    );
    assert!(stdout.contains("0 errors, 0 warnings"), "{stdout}");

    // 存储独立 with the business-VDS row filled in: a warning naming C8.
    let path = dir.path().join("storage-separate-filled.xlsx");
    let mut spec = WorkbookSpec::example(3);
    spec.network_architecture = "存储独立".into();
    spec.write_to(&path)?;
    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("warning: 虚拟网络!C8 (虚拟交换机): the business VDS (C8, J8, K8) is ignored under 存储独立"),
        "{stdout}"
    );
    assert!(
        stdout.contains("business networks → vDS-MgMt-Network (存储独立)"),
        "{stdout}"
    );

    // 三网独立 with business networks and no business VDS: nowhere to go.
    let path = dir.path().join("three-separate-no-vds.xlsx");
    let mut spec = WorkbookSpec::storage_separate(3);
    spec.network_architecture = "三网独立".into();
    spec.write_to(&path)?;
    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("error: 虚拟网络!C8 (虚拟交换机): business networks are planned"),
        "{stdout}"
    );
    Ok(())
}

#[test]
fn check_warnings_only_exits_0() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    let mut spec = WorkbookSpec::example(1);
    spec.business_networks.clear();
    spec.ntp_servers.clear();
    spec.write_to(&path)?;
    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("0 errors, 2 warnings"), "{stdout}");
    assert_no_secret(&output, &secrets(&spec));
    Ok(())
}

#[test]
fn unreadable_files_exit_2_with_the_file_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let empty = dir.path().join("empty.xlsx");
    std::fs::write(&empty, b"")?;
    let not_xlsx = dir.path().join("notes.xlsx");
    std::fs::write(&not_xlsx, b"just text")?;
    let missing = dir.path().join("missing.xlsx");
    for (path, reason) in [
        (&empty, "empty"),
        (&not_xlsx, "not an xlsx"),
        (&missing, "cannot read"),
    ] {
        let output = smtx_deploy(&["plan", "check", path_arg(path)])?;
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(path_arg(path)), "{stderr}");
        assert!(stderr.contains(reason), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    Ok(())
}

#[test]
fn set_serial_writes_then_check_shows_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    std::fs::copy(template_path(), &path)?;

    let output = smtx_deploy(&["plan", "set-serial", path_arg(&path), SERIAL])?;
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("wrote serial {SERIAL} to 主机规划!E19")),
        "{stdout}"
    );

    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    assert!(text(&output.stdout).contains(&format!("serial:               {SERIAL}")));

    let output = smtx_deploy(&["plan", "set-serial", path_arg(&path), SERIAL])?;
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("already holds"));

    // 文档描述!C18 holds the header 版本: refused (2) unless --force.
    let before = std::fs::read(&path)?;
    let output = smtx_deploy(&[
        "plan",
        "set-serial",
        path_arg(&path),
        SERIAL,
        "--cell",
        "文档描述!C18",
    ])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert!(
        stderr.contains("hint: pass --force to overwrite it, or --cell"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&path)?, before);

    let output = smtx_deploy(&[
        "plan",
        "set-serial",
        path_arg(&path),
        SERIAL,
        "--cell",
        "文档描述!C18",
        "--force",
    ])?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    Ok(())
}

#[test]
fn set_serial_bad_input_exits_2() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    WorkbookSpec::example(1).write_to(&path)?;
    for args in [vec!["--cell", "E19"], vec!["--cell", "NoSuchSheet!A1"]] {
        let mut all = vec!["plan", "set-serial", path_arg(&path), SERIAL];
        all.extend(args);
        let output = smtx_deploy(&all)?;
        assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    }
    let output = smtx_deploy(&["plan", "set-serial", path_arg(&path), "XXXX"])?;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    Ok(())
}

/// `--lang` is an option of every command: `plan check --lang zh-CN` prints
/// the summary, every diagnostic and the hint in Chinese (issue 10); the
/// JSON keeps its English messages.
#[test]
fn check_speaks_chinese_when_asked() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("broken.xlsx");
    let mut spec = WorkbookSpec::example(4);
    spec.hosts[2].management_ip = "10.0.20.300".into();
    spec.business_networks[1].vlan_id = FixtureCell::Number(5000.0);
    spec.dns_servers.clear();
    spec.write_to(&path)?;

    for args in [
        vec!["plan", "check", "--lang", "zh-CN", path_arg(&path)],
        vec!["--lang", "zh-CN", "plan", "check", path_arg(&path)],
    ] {
        let output = smtx_deploy(&args)?;
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "{stdout}");
        for expected in [
            "规划表：",
            "错误：主机规划!I5（管理地址）：「10.0.20.300」 不是 IPv4 地址\n",
            "错误：虚拟网络!F9（VLAN ID）：「5000」 不是 VLAN ID（0 到 4094 的整数）\n",
            "警告：集群管理信息!E25（DNS Server1）：没有 DNS 服务器",
            "错误 2 个，警告 1 个\n",
            "hint: 在规划表中逐个修正",
        ] {
            assert!(
                stdout.contains(expected),
                "missing {expected:?} in:\n{stdout}"
            );
        }
        for line in stdout.lines() {
            let english = smtx_i18n::untranslated_words(line);
            assert!(english.is_empty(), "{english:?} in {line:?}");
        }
    }
    let output = smtx_deploy(&[
        "plan",
        "check",
        "--json",
        "--lang",
        "zh-CN",
        path_arg(&path),
    ])?;
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(
        json["diagnostics"][0]["message"],
        "\"10.0.20.300\" is not an IPv4 address"
    );
    Ok(())
}

/// Every command takes `--lang`, and refuses a language it does not know.
#[test]
fn every_command_takes_lang() -> TestResult {
    for command in [
        &["plan", "check"][..],
        &["plan", "set-serial"],
        &["run"],
        &["sim"],
        &["demo"],
    ] {
        let mut args = command.to_vec();
        args.extend(["--lang", "zh-CN", "--help"]);
        let output = smtx_deploy(&args)?;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
    let output = smtx_deploy(&["plan", "check", "--lang", "fr", "x.xlsx"])?;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("zh-CN"));
    Ok(())
}
