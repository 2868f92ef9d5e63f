use super::*;

fn record() -> DeliveryRecord {
    let words = |en: &str, zh: &str| Words {
        en: en.into(),
        zh_cn: zh.into(),
    };
    DeliveryRecord {
        version: VERSION,
        tool_version: "0.1.0".into(),
        kind: RunKind::Rehearsal,
        status: StepStatus::Warning,
        started_at: "2026-12-07T01:02:03Z".into(),
        ended_at: "2026-12-07T01:04:05Z".into(),
        duration_ms: 122_000,
        cluster: "CN-BJ-<script>alert(1)</script>".into(),
        vip: SettingRow {
            values: vec!["10.0.20.10".into()],
            status: Some(StepStatus::Ok),
        },
        dns: SettingRow {
            values: vec!["10.0.0.53".into()],
            status: Some(StepStatus::Ok),
        },
        ntp: SettingRow {
            values: vec!["ntp.example.cn".into()],
            status: None,
        },
        bmc_accounts: Some(StepStatus::Ok),
        hosts: vec![HostRow {
            name: "node-01\"><img src=x onerror=alert(1)>".into(),
            management_ip: "10.0.20.11".into(),
            bmc_ip: Some("10.0.30.11".into()),
            bmc_user: "ADMIN".into(),
            password: Some(StepStatus::Ok),
        }],
        switch: Some(SwitchRow {
            name: "vDS-Prod".into(),
            bond_mode: "active-backup".into(),
            nics: vec!["eth2".into(), "eth3".into()],
            uuid: Some("vds-uuid-1".into()),
            status: Some(StepStatus::Ok),
        }),
        vlans: vec![VlanRow {
            name: "biz-101".into(),
            vlan_id: 101,
            switch: "vDS-Prod".into(),
            uuid: Some("vlan-uuid-101".into()),
            status: Some(StepStatus::Ok),
        }],
        vmtools: None,
        vmtools_status: Some(StepStatus::Skipped),
        cpu_compatibility: None,
        serial: Some("e47a1fc9-0000".into()),
        workbook: WorkbookRow {
            name: "规划设计表.xlsx".into(),
            sha256_before: Some("aa".repeat(32)),
            written_name: "workbook.xlsx".into(),
            sha256_after: Some("bb".repeat(32)),
        },
        steps: vec![StepRow {
            stage: words("config_cluster", "集群配置"),
            label: words("vmtools_upload", "上传 VMTools"),
            status: StepStatus::Skipped,
            detail: None,
            error: Some(words("no ISO <given>", "没有 ISO")),
            hint: Some(words("pass --vmtools-iso", "请提供 ISO")),
            elapsed_ms: 3,
        }],
        left_to_do: vec![words("VMTools not uploaded", "未上传 VMTools")],
        run_by: Some("alice".to_string()),
    }
}

#[test]
fn every_value_is_escaped_and_the_page_fetches_nothing() {
    for lang in Lang::ALL {
        let page = render(&record(), lang);
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(page.contains("CN-BJ-&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("node-01&quot;&gt;&lt;img src=x"));
        assert!(page.contains("no ISO &lt;given&gt;") || page.contains("没有 ISO"));
        for fetch in ["src=\"", "href=", "url(", "@import", "http://", "https://"] {
            assert!(!page.contains(fetch), "{fetch} in {page}");
        }
    }
}

#[test]
fn a_value_cannot_leave_the_page_header_s_css_string() {
    let mut record = record();
    record.cluster = "x\"; } body { display: none } </style><script>alert(1)</script>".into();
    let page = render(&record, Lang::En);
    assert_eq!(page.matches("</style>").count(), 1, "{page}");
    let style = page
        .split("<style>")
        .nth(1)
        .and_then(|rest| rest.split("</style>").next())
        .expect("a style element");
    assert!(!style.contains("body { display"), "{style}");
    assert!(!page.contains("<script"), "{page}");
}

#[test]
fn a_rehearsal_says_so_and_the_page_reads_in_both_languages() {
    let en = render(&record(), Lang::En);
    let zh = render(&record(), Lang::ZhCn);
    assert!(en.contains("REHEARSAL") && en.contains("e47a1fc9-0000"));
    assert!(zh.contains("演练（模拟集群）：不是交给客户的交付记录"));
    assert!(zh.contains("交付记录") && zh.contains("业务网络（VLAN）") && zh.contains("101"));
    assert!(zh.contains("待办事项") && zh.contains("未上传 VMTools"));
    assert!(zh.contains("2 分 2 秒"), "{zh}");
}

#[test]
fn every_word_is_translated() {
    for word in words::ALL {
        let zh = word.text(Lang::ZhCn);
        let untranslated = smtx_i18n::untranslated_words(zh);
        assert!(
            untranslated.is_empty(),
            "{word:?}: {untranslated:?} in {zh}"
        );
        assert_ne!(word.text(Lang::En), "");
    }
}

#[test]
fn a_record_reads_back_and_renders_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let record = record();
    record.save(dir.path()).expect("saves");
    assert_eq!(DeliveryRecord::load(dir.path()).expect("loads"), record);
    let written = write_html(dir.path(), Lang::ZhCn, None).expect("renders");
    assert_eq!(written, dir.path().join(REPORT_HTML_FILE));
    let page = std::fs::read_to_string(written).expect("reads");
    assert!(page.contains("lang=\"zh-CN\""));
}
