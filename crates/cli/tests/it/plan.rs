//! `smtx-deploy plan check` and `plan set-serial` as a user runs them: exit
//! codes, the readable summary, the JSON keys, and that no password reaches
//! stdout or stderr.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

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

/// Issue 21: a name with U+202E (right-to-left override) in the workbook.
/// `plan check` warns naming the cell and the code point, in English and
/// Chinese, prints the name with the character written out (the terminal
/// cannot reorder it), exits 0 (a warning), and `--json` keeps the name as
/// typed.
#[test]
fn issue_21_check_writes_out_hidden_characters_in_names() -> TestResult {
    const CLUSTER: &str = "CN-BJ-SMTX-Prod-\u{202E}evil";
    let edited = smtx_plan::fixture::edit_cells(
        &std::fs::read(template_path())?,
        &[("虚拟网络!B3", Some(CLUSTER))],
    )?;
    let dir = tempfile::tempdir()?;
    // The file's name hides one too.
    let workbook = dir.path().join("site-\u{202E}xslx.xlsx");
    std::fs::write(&workbook, edited)?;
    for (lang, expected) in [
        (
            "en",
            [
                "Workbook: ",
                "site-⟨U+202E⟩xslx.xlsx",
                "name:                 CN-BJ-SMTX-Prod-⟨U+202E⟩evil",
                "warning: 虚拟网络!B3 (集群名称): the name contains U+202E (bidirectional control):",
                "0 errors, 1 warning",
            ],
        ),
        (
            "zh-CN",
            [
                "规划表：",
                "site-⟨U+202E⟩xslx.xlsx",
                "名称：                CN-BJ-SMTX-Prod-⟨U+202E⟩evil",
                "警告：虚拟网络!B3（集群名称）：名称中含有 U+202E（双向文字控制符）：",
                "错误 0 个，警告 1 个",
            ],
        ),
    ] {
        let output = smtx_deploy(&["--lang", lang, "plan", "check", path_arg(&workbook)])?;
        let stdout = text(&output.stdout);
        eprintln!("--lang {lang}:\n{stdout}");
        assert_eq!(
            output.status.code(),
            Some(0),
            "{stdout}{}",
            text(&output.stderr)
        );
        for line in expected {
            assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
        }
        assert!(
            !stdout.contains('\u{202E}'),
            "the character itself reached the terminal:\n{stdout}"
        );
    }
    let output = smtx_deploy(&["plan", "check", "--json", path_arg(&workbook)])?;
    assert_eq!(output.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    assert_eq!(json["cluster"]["name"], CLUSTER);
    let warning = &json["diagnostics"][0];
    assert_eq!(warning["location"], "虚拟网络!B3");
    assert_eq!(warning["severity"], "warning");
    assert!(
        warning["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("the name contains U+202E")),
        "{warning}"
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
        "error: 虚拟网络!F9 (VLAN ID): \"5000\" is not a VLAN ID (an integer from 0 to 4094)\n",
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
    // The reference copy is read-only, and a read-only workbook is not written.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;

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

/// `smtx-deploy ARGS` with `ulimit LIMIT` set first (the shell execs the
/// binary, so the limit is the binary's own), and how long it took.
fn smtx_deploy_limited(ulimit: &str, args: &[&str]) -> Result<(Output, Duration), std::io::Error> {
    let started = Instant::now();
    let output = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit {ulimit} || exit 99; exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env("LANG", "C")
        .output()?;
    Ok((output, started.elapsed()))
}

/// 1 GiB of address space, as the issue asks.
const ADDRESS_SPACE_1_GIB: &str = "-v 1048576";
/// 64 MiB of data (heap, anonymous mappings, thread stacks): an allocation
/// past it fails and aborts the process (exit 134), so exiting 2 under it
/// proves the refusal's peak stayed below 64 MiB.
const DATA_64_MIB: &str = "-d 65536";

/// Every crafted workbook, refused by `plan check` and `plan set-serial`
/// with exit 2 and one line naming the entry and the limit, within 2 s (a
/// bound for a debug build, not a benchmark), in 1 GiB of address space and
/// in 64 MiB of data, leaving the file as it was.
#[test]
fn crafted_workbooks_exit_2_with_one_line_in_bounded_memory_and_time() -> TestResult {
    use smtx_plan::crafted::{self, MarkupTag};
    let dir = tempfile::tempdir()?;
    let fixture = WorkbookSpec::example(2).to_xlsx_bytes()?;
    let host_sheet = crafted::sheet_entry(&fixture, crafted::HOST_SHEET)?;
    let cases: Vec<(&str, Vec<u8>, Vec<&str>)> = vec![
        (
            "bomb.xlsx",
            crafted::zip_bomb(3 * 1024, true)?,
            vec![
                host_sheet.as_str(),
                "declares 3.0 GiB inflated",
                "entry size limit",
            ],
        ),
        (
            "bomb-lying-header.xlsx",
            crafted::zip_bomb(3 * 1024, false)?,
            vec![host_sheet.as_str(), "larger than its declared"],
        ),
        (
            "strings.xlsx",
            crafted::shared_strings_claim(100_000_000_000)?,
            vec![
                "xl/sharedStrings.xml",
                "100000000000",
                "shared-string limit",
            ],
        ),
        (
            "far.xlsx",
            crafted::far_apart_cells()?,
            vec!["主机规划", "from A1 to XFD1048576", "sheet size limit"],
        ),
        (
            "row-markup.xlsx",
            crafted::markup_in_attribute(MarkupTag::Row, "</sheetData>")?,
            vec![host_sheet.as_str(), "'<' inside an attribute value"],
        ),
        (
            "cell-markup.xlsx",
            crafted::markup_in_attribute(MarkupTag::Cell, "</row>")?,
            vec![host_sheet.as_str(), "'<' inside an attribute value"],
        ),
        (
            "entries.xlsx",
            crafted::many_entries(1_000)?,
            vec!["zip entries", "entry count limit"],
        ),
    ];
    for (name, bytes, expected) in &cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes)?;
        for ulimit in [ADDRESS_SPACE_1_GIB, DATA_64_MIB] {
            for args in [
                vec!["plan", "check", path_arg(&path)],
                vec!["plan", "set-serial", path_arg(&path), SERIAL, "--force"],
            ] {
                let (output, elapsed) = smtx_deploy_limited(ulimit, &args)?;
                let stderr = text(&output.stderr);
                let context = format!("{name} {args:?} under ulimit {ulimit}: {stderr}");
                assert_eq!(output.status.code(), Some(2), "{context}");
                assert_eq!(stderr.lines().count(), 1, "{context}");
                assert!(stderr.starts_with("error: "), "{context}");
                assert!(stderr.contains(path_arg(&path)), "{context}");
                for part in expected {
                    assert!(stderr.contains(part), "{part:?} missing: {context}");
                }
                assert!(!stderr.contains("panicked"), "{context}");
                assert!(elapsed < Duration::from_secs(2), "{elapsed:?}: {context}");
                assert!(std::fs::read(&path)? == *bytes, "{context}: file changed");
            }
        }
    }
    Ok(())
}

/// The 64 MiB data limit leaves room for real work: the real template reads
/// under it. (Without the limits, each crafted file above needs gigabytes and
/// aborts under it; a far lower limit can deadlock the allocator instead of
/// failing, so that is not tried here.)
#[test]
fn the_real_template_reads_within_the_same_data_limit() -> TestResult {
    let template = template_path();
    let (output, elapsed) =
        smtx_deploy_limited(DATA_64_MIB, &["plan", "check", path_arg(&template)])?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    Ok(())
}

#[test]
fn devices_and_directories_are_refused_unread() -> TestResult {
    let dir = tempfile::tempdir()?;
    for (path, reason) in [
        (Path::new("/dev/zero"), "not a regular file"),
        (dir.path(), "directory"),
    ] {
        for args in [
            vec!["plan", "check", path_arg(path)],
            vec!["plan", "set-serial", path_arg(path), SERIAL],
        ] {
            let (output, elapsed) = smtx_deploy_limited(DATA_64_MIB, &args)?;
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(reason), "{args:?}: {stderr}");
            assert!(elapsed < Duration::from_secs(2), "{args:?}: {elapsed:?}");
        }
    }
    Ok(())
}

#[test]
fn set_serial_refuses_a_read_only_workbook_unless_forced() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    WorkbookSpec::example(1).write_to(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444))?;
    let before = std::fs::read(&path)?;

    let output = smtx_deploy(&["plan", "set-serial", path_arg(&path), SERIAL])?;
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    // The reason on one line, what to do on the hint line after it.
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("read-only"), "{stderr}");
    assert!(
        lines[1].starts_with("hint:") && lines[1].contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&path)?, before);

    let output = smtx_deploy(&["plan", "set-serial", path_arg(&path), SERIAL, "--force"])?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o444, "still read-only");
    let output = smtx_deploy(&["plan", "check", path_arg(&path)])?;
    assert!(text(&output.stdout).contains(SERIAL));
    Ok(())
}

#[test]
fn set_serial_follows_a_symlink_and_edits_its_target_in_place() -> TestResult {
    let dir = tempfile::tempdir()?;
    let store = dir.path().join("store");
    std::fs::create_dir(&store)?;
    let target = store.join("plan.xlsx");
    WorkbookSpec::example(1).write_to(&target)?;
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640))?;
    let link = dir.path().join("link.xlsx");
    std::os::unix::fs::symlink(&target, &link)?;

    let output = smtx_deploy(&["plan", "set-serial", path_arg(&link), SERIAL])?;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        std::fs::symlink_metadata(&link)?.file_type().is_symlink(),
        "the link is still a link"
    );
    assert_eq!(std::fs::read_link(&link)?, target);
    let mode = std::fs::metadata(&target)?.permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target keeps its permissions");
    let output = smtx_deploy(&["plan", "check", path_arg(&target)])?;
    assert!(text(&output.stdout).contains(SERIAL));
    // Nothing left behind next to the link or the target.
    assert_eq!(std::fs::read_dir(&store)?.count(), 1);
    assert_eq!(std::fs::read_dir(dir.path())?.count(), 2);
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
            "提示：在规划表中逐个修正",
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
