//! Host password rotation as a step of `config_cluster`, against the
//! simulator's SSH: a hanging host times out alone, and a host whose key
//! changed since the last run is refused until the change is accepted; a
//! password chpasswd cannot take is refused, in both languages.

use std::time::{Duration, Instant};

use smtx_engine::StepStatus;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::Fault;

use crate::support::{Harness, status, steps};

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_host_times_out_and_the_others_are_rotated() {
    let spec = WorkbookSpec::example(3);
    let hanging = spec.hosts[2].hostname.clone();
    let mut harness = Harness::fixture(spec, vec![Fault::SshHang { node: 2 }]).await;
    let mut settings = harness.settings();
    settings.ssh_connect_timeout = Duration::from_millis(700);
    let started = Instant::now();
    let report = harness.run_with(settings).await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the hang did not stall the run"
    );
    for step in steps(&report, "host_password ") {
        if step.step.to_string().contains(&hanging) {
            assert_eq!(step.status, StepStatus::Failed, "{step:#?}");
            let error = step
                .error
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(
                error.contains(&hanging) && error.contains("within"),
                "{error}"
            );
        } else {
            assert_eq!(step.status, StepStatus::Ok, "{step:#?}");
        }
    }
    let hosts = harness.state()["hosts"].clone();
    assert_eq!(hosts[0]["passwords_rotated"]["root"], true);
    assert_eq!(hosts[2]["passwords_rotated"]["root"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_host_key_is_refused_until_accepted() {
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let first = harness.run().await;
    assert_eq!(
        status(&first, "host_passwords"),
        StepStatus::Ok,
        "{first:#?}"
    );
    let known_hosts = harness.dir.path().join("known_hosts");
    assert!(
        std::fs::read_to_string(&known_hosts).is_ok_and(|text| text.contains("10.0.20.11 ")),
        "keys pinned beside the run directories"
    );

    harness.reinstall(99).await;
    let refused = harness.run().await;
    for step in steps(&refused, "host_password ") {
        assert_eq!(step.status, StepStatus::Failed, "{step:#?}");
        let error = step
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            error.contains("changed") && error.contains("known_hosts"),
            "{error}"
        );
    }
    let state = harness.state();
    assert_eq!(
        state["hosts"][0]["passwords_rotated"]["smartx"], false,
        "nothing sent to an unknown host"
    );

    let mut settings = harness.settings();
    settings.changed_host_keys = smtx_api::ssh::ChangedHostKeys::AcceptAll;
    let accepted = harness.run_with(settings).await;
    assert_eq!(
        status(&accepted, "host_passwords"),
        StepStatus::Ok,
        "{accepted:#?}"
    );
    assert_eq!(
        harness.state()["hosts"][1]["passwords_rotated"]["root"],
        true
    );
}

/// A new password chpasswd cannot take (a `:` in the workbook's root
/// password) is refused before anything is sent, with the English it
/// always had and a reason of ours in Chinese, not quoted English.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_chpasswd_cannot_take_is_refused_in_both_languages() {
    use smtx_i18n::{Lang, Localize};
    let mut spec = WorkbookSpec::example(2);
    spec.hosts[1].root_password = "Root:2025".to_string();
    let refused = format!(
        "{} ({})",
        spec.hosts[1].hostname, spec.hosts[1].management_ip
    );
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    let step = steps(&report, "host_password ")
        .into_iter()
        .find(|step| step.step.to_string().contains(&refused))
        .expect("a step for the host");
    assert_eq!(step.status, StepStatus::Failed, "{step:#?}");
    let error = step.error.as_ref().expect("the step says why");
    assert_eq!(
        error.to_string(),
        format!(
            "{refused}: the new password of root cannot be set with chpasswd: it contains ':' (chpasswd's field separator)"
        )
    );
    let zh = error.localize(Lang::ZhCn);
    assert!(zh.contains("密码含有 ':'"), "{zh}");
    assert!(!zh.contains('「'), "{zh}");
    assert!(smtx_i18n::untranslated_words(&zh).is_empty(), "{zh}");
    assert!(!zh.contains("Root:2025") && !error.to_string().contains("Root:2025"));
    assert_eq!(
        harness.state()["hosts"][1]["passwords_rotated"]["root"],
        false
    );
}

/// The default `known_hosts` is a path the tool chose: a link planted
/// there (at a file of someone else's) is not written through. The hosts
/// are refused, in both languages, and the linked file and the link stay
/// as they were. Named in the settings, the same link is the user's own
/// choice and is followed.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_link_planted_at_the_default_known_hosts_is_not_written_through() {
    use smtx_i18n::{Lang, Localize};
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let system_file = elsewhere.path().join("hosts");
    std::fs::write(&system_file, "127.0.0.1 localhost\n").expect("written");
    let known_hosts = harness.dir.path().join("known_hosts");
    std::os::unix::fs::symlink(&system_file, &known_hosts).expect("symlink");

    let report = harness.run().await;
    let refused = steps(&report, "host_password ");
    assert_eq!(refused.len(), 2);
    for step in refused {
        assert_eq!(step.status, StepStatus::Failed, "{step:#?}");
        let error = step.error.as_ref().expect("the step says why");
        let en = error.to_string();
        assert!(en.contains("is a symbolic link; not replaced"), "{en}");
        let zh = error.localize(Lang::ZhCn);
        assert!(zh.contains("是符号链接，未替换"), "{zh}");
        assert!(smtx_i18n::untranslated_words(&zh).is_empty(), "{zh}");
    }
    assert_eq!(
        std::fs::read_to_string(&system_file).expect("still there"),
        "127.0.0.1 localhost\n"
    );
    assert!(
        std::fs::symlink_metadata(&known_hosts)
            .expect("still there")
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        harness.state()["hosts"][0]["passwords_rotated"]["smartx"],
        false,
        "no password sent to a host whose key could not be pinned"
    );

    // Named by the user: followed.
    let mut settings = harness.settings();
    settings.known_hosts = Some(known_hosts.clone());
    let named = harness.run_with(settings).await;
    assert_eq!(
        status(&named, "host_passwords"),
        StepStatus::Ok,
        "{named:#?}"
    );
    let written = std::fs::read_to_string(&system_file).expect("still there");
    assert!(
        written.starts_with("127.0.0.1 localhost\n") && written.contains("10.0.20.11 "),
        "{written}"
    );
}
