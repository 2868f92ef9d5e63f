//! The last English under `--lang zh-CN` (issue 10): a workbook over a
//! limit, a broken settings file, a run whose override reaches nothing, a
//! run that trusts the wrong CA, a run whose VMTools upload fails and a
//! directory named as the ISO. Every line printed in Chinese is free of
//! English words by `smtx_i18n::untranslated_words`; the same scan finds
//! English in the `--lang en` output, so it is not looking at nothing.

use std::path::Path;

use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, SimOptions};

use crate::run::run_cli;

/// Every line of a command's stdout and stderr, and its exit code.
async fn lines_of(args: &[String]) -> (Option<i32>, Vec<String>) {
    let output = run_cli(args.to_vec()).await;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect();
    (output.status.code(), lines)
}

fn english_lines(lines: &[String]) -> Vec<(String, Vec<String>)> {
    lines
        .iter()
        .map(|line| (line.clone(), smtx_i18n::untranslated_words(line)))
        .filter(|(_, words)| !words.is_empty())
        .collect()
}

/// `args` after `--lang zh-CN` prints no English; after `--lang en` it does.
/// Answers the Chinese lines.
async fn reads_in_chinese(what: &str, args: &[String]) -> Vec<String> {
    let with = |lang: &str| {
        let mut all = vec!["--lang".to_string(), lang.to_string()];
        all.extend(args.iter().cloned());
        all
    };
    let (code, zh) = lines_of(&with("zh-CN")).await;
    assert!(code.is_some_and(|code| code != 0), "{what} fails: {zh:#?}");
    let english = english_lines(&zh);
    assert!(
        english.is_empty(),
        "{what}: English under zh-CN: {english:#?}"
    );
    let (_, en) = lines_of(&with("en")).await;
    assert!(
        !english_lines(&en).is_empty(),
        "{what}: the scan finds English: {en:#?}"
    );
    zh
}

fn path_arg(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workbook_over_a_limit_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crafted = [
        ("entries", smtx_plan::crafted::many_entries(1_200)),
        (
            "strings",
            smtx_plan::crafted::shared_strings_claim(u64::MAX),
        ),
        ("span", smtx_plan::crafted::far_apart_cells()),
    ];
    // Over the file size limit: refused before it is read.
    let big = dir.path().join("big.xlsx");
    std::fs::write(&big, vec![0u8; 17 * 1024 * 1024]).expect("written");
    let args = ["plan".to_string(), "check".into(), path_arg(&big)];
    let zh = reads_in_chinese("file size", &args).await;
    assert!(
        zh.iter().any(|line| line.contains("文件大小上限 16 MiB")),
        "{zh:#?}"
    );
    for (name, bytes) in crafted {
        let path = dir.path().join(format!("{name}.xlsx"));
        std::fs::write(&path, bytes.expect("crafted")).expect("written");
        let args = ["plan".to_string(), "check".into(), path_arg(&path)];
        let zh = reads_in_chinese(name, &args).await;
        assert!(zh.iter().any(|line| line.contains("上限")), "{zh:#?}");
    }
}

/// The commonest slip on site: a workbook or a fleet directory named
/// wrongly. Each command says so in Chinese, and once (it said "无法读取规划表：
/// 无法读取：「No such file or directory (os error 2)」", and `run` wrapped it
/// in "出错：「…」").
#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_path_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = path_arg(&dir.path().join("规划 表.xlsx"));
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("dir");
    let empty = path_arg(&empty);
    let workbook = dir.path().join("w.xlsx");
    smtx_plan::fixture::WorkbookSpec::example(1)
        .write_to(&workbook)
        .expect("fixture written");
    let workbook = path_arg(&workbook);
    let no_settings = path_arg(&dir.path().join("站点.toml"));
    let cases: [(&str, Vec<&str>, String); 6] = [
        (
            "plan check",
            vec!["plan", "check", &missing],
            format!("{missing}：无法读取：文件不存在"),
        ),
        (
            "run",
            vec!["run", "--plan", &missing],
            format!("{missing}：无法读取：文件不存在"),
        ),
        (
            "set-serial",
            vec![
                "plan",
                "set-serial",
                &missing,
                "c431f2cd-d3fe-41b4-ac00-a9b00f69d3b0",
            ],
            format!("{missing}：无法读取：文件不存在"),
        ),
        (
            "sim",
            vec!["sim", "--plan", &missing],
            format!("{missing}：无法读取：文件不存在"),
        ),
        (
            "run --plans",
            vec!["run", "--plans", &empty],
            "：没有找到规划表（.xlsx）".to_string(),
        ),
        (
            "--config",
            vec!["run", "--plan", &workbook, "--config", &no_settings],
            format!("{no_settings}：无法读取：文件或目录不存在"),
        ),
    ];
    for (what, args, expected) in cases {
        let args: Vec<String> = args.into_iter().map(str::to_string).collect();
        let zh = reads_in_chinese(what, &args).await;
        assert!(
            zh.iter()
                .any(|line| line.starts_with("错误：") && line.ends_with(&expected)),
            "{what}: {zh:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_settings_file_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("w.xlsx");
    WorkbookSpec::example(2)
        .write_to(&workbook)
        .expect("fixture written");
    let files = [
        ("wrong type", "[api]\ntoken = 739184726501\n"),
        ("unknown key", "[api]\ntokne = \"x\"\n"),
        ("duplicate key", "[ssh]\nport = 22\nport = 23\n"),
        ("not a list", "[api]\nresolve = true\n"),
    ];
    for (what, text) in files {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).expect("written");
        let args = [
            "run".to_string(),
            "--plan".into(),
            path_arg(&workbook),
            "--config".into(),
            path_arg(&config),
            "--run-dir".into(),
            path_arg(&dir.path().join("run")),
        ];
        let zh = reads_in_chinese(what, &args).await;
        assert!(
            zh.iter().any(|line| line.contains("配置文件")
                && (line.contains("第 2 行") || line.contains("第 3 行"))),
            "{what}: {zh:#?}"
        );
    }
}

/// A `resolve` entry of the settings file that is not `IP=HOST:PORT`.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_address_override_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("w.xlsx");
    WorkbookSpec::example(2)
        .write_to(&workbook)
        .expect("fixture written");
    let config = dir.path().join("resolve.toml");
    std::fs::write(&config, "[api]\nresolve = [\"10.0.20.11\"]\n").expect("written");
    let args = [
        "run".to_string(),
        "--plan".into(),
        path_arg(&workbook),
        "--config".into(),
        path_arg(&config),
        "--run-dir".into(),
        path_arg(&dir.path().join("run")),
    ];
    let zh = reads_in_chinese("bad override", &args).await;
    assert!(zh.iter().any(|line| line.contains("地址映射")), "{zh:#?}");
}

/// A port on loopback nobody listens on (bound, then let go).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_reaches_nothing_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkbookSpec::example(2);
    let workbook = dir.path().join("w.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let port = closed_port();
    let mut args = vec![
        "run".to_string(),
        "--plan".into(),
        path_arg(&workbook),
        "--run-dir".into(),
        path_arg(&dir.path().join("run")),
    ];
    let addresses = spec
        .hosts
        .iter()
        .map(|host| host.management_ip.clone())
        .chain([spec.vip.clone()]);
    for address in addresses {
        args.push("--resolve".into());
        args.push(format!("{address}=127.0.0.1:{port}"));
    }
    let zh = reads_in_chinese("unreachable", &args).await;
    assert!(zh.iter().any(|line| line.contains("连接被拒绝")), "{zh:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_trusts_the_wrong_ca_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkbookSpec::example(2);
    let workbook = dir.path().join("w.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let bytes = std::fs::read(&workbook).expect("read back");
    let plan = smtx_plan::parse_workbook(&bytes, "w.xlsx")
        .expect("parses")
        .plan;
    let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, 5), SimOptions::default())
        .await
        .expect("simulator starts");
    // Another simulator's CA: a CA, but not the one that signed this one.
    let other = smtx_sim::start(ClusterSpec::from_plan(&plan, 6), SimOptions::default())
        .await
        .expect("simulator starts");
    let wrong_ca = dir.path().join("wrong-ca.pem");
    std::fs::write(&wrong_ca, other.ca_cert_pem().expect("https")).expect("written");
    let config = dir.path().join("sim.toml");
    let text = sim.settings_toml(Some(&wrong_ca), Some(&dir.path().join("known_hosts")));
    std::fs::write(&config, text).expect("written");
    let args = [
        "run".to_string(),
        "--plan".into(),
        path_arg(&workbook),
        "--config".into(),
        path_arg(&config),
        "--run-dir".into(),
        path_arg(&dir.path().join("run")),
    ];
    let zh = reads_in_chinese("wrong CA", &args).await;
    assert!(
        zh.iter()
            .any(|line| line.contains("证书的签名无法用所信任的 CA 验证")),
        "{zh:#?}"
    );
    other.shutdown().await;
    sim.shutdown().await;
}

/// `insecure` in the file and a CA on the command line: refused, naming
/// both sources, in Chinese.
#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_a_ca_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("w.xlsx");
    WorkbookSpec::example(2)
        .write_to(&workbook)
        .expect("fixture written");
    let config = dir.path().join("insecure.toml");
    std::fs::write(&config, "[api]\ninsecure = true\n").expect("written");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").expect("written");
    let args = [
        "run".to_string(),
        "--plan".into(),
        path_arg(&workbook),
        "--config".into(),
        path_arg(&config),
        "--ca-cert".into(),
        path_arg(&ca),
        "--run-dir".into(),
        path_arg(&dir.path().join("run")),
    ];
    let zh = reads_in_chinese("insecure with a CA", &args).await;
    assert!(
        zh.iter()
            .any(|line| line.contains("中的 api.insecure") && line.contains("--ca-cert")),
        "{zh:#?}"
    );
}

/// A run whose VMTools upload fails for good (a chunk the simulator
/// rejects on both volumes): the upload's reason, the inner call's error
/// and the rollback are all said in Chinese.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_upload_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkbookSpec::example(2);
    let workbook = dir.path().join("w.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let bytes = std::fs::read(&workbook).expect("read back");
    let plan = smtx_plan::parse_workbook(&bytes, "w.xlsx")
        .expect("parses")
        .plan;
    let chunk = 64 * 1024;
    let options = SimOptions {
        chunk_size: chunk,
        scenario: smtx_sim::Scenario {
            faults: vec![smtx_sim::Fault::ChunkFails {
                chunk: 1,
                times: 12,
            }],
        },
        ..SimOptions::default()
    };
    let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, 5), options)
        .await
        .expect("simulator starts");
    let config = dir.path().join("sim.toml");
    let ca = dir.path().join("ca.pem");
    let ca = sim.ca_cert_pem().map(|pem| {
        std::fs::write(&ca, pem).expect("written");
        ca.clone()
    });
    let text = sim.settings_toml(ca.as_deref(), Some(&dir.path().join("known_hosts")));
    std::fs::write(&config, text).expect("written");
    let iso = dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    std::fs::write(&iso, vec![7u8; 3 * chunk as usize]).expect("iso written");
    let run = |name: &str| {
        vec![
            "run".to_string(),
            "--plan".into(),
            path_arg(&workbook),
            "--config".into(),
            path_arg(&config),
            "--vmtools-iso".into(),
            path_arg(&iso),
            "--run-dir".into(),
            path_arg(&dir.path().join(name)),
        ]
    };
    let zh = reads_in_chinese("failed upload", &run("run")).await;
    assert!(
        zh.iter()
            .any(|line| line.contains("重新创建的卷上同样失败；镜像已删除")),
        "{zh:#?}"
    );
    sim.shutdown().await;
}

/// A directory named as the ISO is refused before the run, and the reason
/// is ours in Chinese, not quoted English; the English is what it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_directory_as_the_iso_reads_in_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("w.xlsx");
    WorkbookSpec::example(2)
        .write_to(&workbook)
        .expect("fixture written");
    let iso = dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    std::fs::create_dir(&iso).expect("directory");
    let args = [
        "run".to_string(),
        "--plan".into(),
        path_arg(&workbook),
        "--vmtools-iso".into(),
        path_arg(&iso),
        "--run-dir".into(),
        path_arg(&dir.path().join("run")),
    ];
    let zh = reads_in_chinese("directory as ISO", &args).await;
    let shown = format!(
        "--vmtools-iso {}：不是普通文件（是目录或设备）",
        iso.display()
    );
    assert!(zh.iter().any(|line| line.contains(&shown)), "{zh:#?}");
    let mut english = vec!["--lang".to_string(), "en".into()];
    english.extend(args);
    let (_, en) = lines_of(&english).await;
    let shown = format!("--vmtools-iso {}: not a file (hint:", iso.display());
    assert!(en.iter().any(|line| line.contains(&shown)), "{en:#?}");
}
