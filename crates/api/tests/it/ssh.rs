//! Host password rotation (`smtx_api::ssh`) against the simulator's SSH
//! server (`smtx_sim::ssh::serve_ssh`) on loopback, with an in-test backend:
//! all hosts rotated, awkward passwords, a host refusing login, a hanging
//! host, re-runs, changed host keys — and no password in any error.

use super::ssh_support::*;

#[tokio::test]
async fn all_hosts_rotated_with_special_character_passwords() -> TestResult {
    let hosts = Hosts::new(3);
    let cluster = Cluster::start(&hosts, 3, 1).await?;
    let dir = tempfile::tempdir()?;
    let results = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options(&dir), 2).await;

    assert_eq!(results.len(), 3);
    for (node, (host, result)) in results.iter().enumerate() {
        assert!(host.starts_with(&format!("node-{:02}", node + 1)), "{host}");
        assert_eq!(
            result.as_ref().ok(),
            Some(&RotationOutcome::Rotated),
            "{host}: {result:?}"
        );
        assert_eq!(hosts.password(node, "smartx"), NEW_SMARTX);
        assert_eq!(hosts.password(node, "root"), NEW_ROOT);
    }
    // Every host's key is recorded under its workbook IP.
    let known_hosts = std::fs::read_to_string(dir.path().join("known_hosts"))?;
    for node in 0..3 {
        let line = known_hosts
            .lines()
            .find(|line| line.starts_with(&format!("10.0.20.{} ", 11 + node)))
            .ok_or("host key not recorded")?;
        assert!(line.contains(" ssh-ed25519 "), "{line}");
    }
    assert_eq!(known_hosts.lines().count(), 3, "{known_hosts}");
    assert!(!known_hosts.contains(NEW_SMARTX) && !known_hosts.contains(DEFAULT_HOST_PASSWORD));
    cluster.stop().await
}

#[tokio::test]
async fn one_host_refusing_login_does_not_stop_the_others() -> TestResult {
    let hosts = Hosts::new(3);
    hosts.refuse.lock().expect("test mutex").push(1);
    let cluster = Cluster::start(&hosts, 3, 1).await?;
    let dir = tempfile::tempdir()?;
    let results = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options(&dir), 3).await;

    assert!(matches!(results[0].1, Ok(RotationOutcome::Rotated)));
    assert!(matches!(results[2].1, Ok(RotationOutcome::Rotated)));
    let error = results[1].1.as_ref().err().ok_or("node-02 must fail")?;
    assert!(
        matches!(
            error,
            SshError::AuthRefused {
                tried_target: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.host(), "node-02 (10.0.20.12)");
    assert!(
        error.to_string().contains("node-02 (10.0.20.12)"),
        "{error}"
    );
    assert!(
        error.to_string().contains("login as smartx refused"),
        "{error}"
    );
    assert_no_password(error);
    assert_eq!(hosts.password(1, "smartx"), DEFAULT_HOST_PASSWORD);
    assert_eq!(hosts.chpasswd_runs(1), 0);
    cluster.stop().await
}

#[tokio::test]
async fn a_hanging_host_times_out_and_the_others_finish_quickly() -> TestResult {
    let hosts = Hosts::new(3);
    hosts.hang.lock().expect("test mutex").push(2);
    let cluster = Cluster::start(&hosts, 3, 1).await?;
    let dir = tempfile::tempdir()?;
    let mut options = options(&dir);
    options.connect_timeout = Duration::from_millis(800);
    let started = Instant::now();
    let results = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options, 3).await;
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    assert!(matches!(results[0].1, Ok(RotationOutcome::Rotated)));
    assert!(matches!(results[1].1, Ok(RotationOutcome::Rotated)));
    let error = results[2].1.as_ref().err().ok_or("node-03 must fail")?;
    assert!(matches!(error, SshError::Timeout { .. }), "{error:?}");
    assert!(
        error.to_string().contains("node-03 (10.0.20.13)"),
        "{error}"
    );
    assert!(error.to_string().contains("login"), "{error}");
    assert_no_password(error);
    cluster.stop().await
}

#[tokio::test]
async fn a_rerun_after_success_reports_already_rotated_and_sets_root_again() -> TestResult {
    let hosts = Hosts::new(2);
    let cluster = Cluster::start(&hosts, 2, 1).await?;
    let dir = tempfile::tempdir()?;
    let options = options(&dir);
    let first = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options, 2).await;
    assert!(
        first
            .iter()
            .all(|(_, result)| matches!(result, Ok(RotationOutcome::Rotated)))
    );

    // Someone changed root by hand meanwhile: the re-run must put it back.
    hosts
        .passwords
        .lock()
        .expect("test mutex")
        .insert((0, "root".into()), "drifted".into());
    let second = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options, 2).await;
    for (host, result) in &second {
        assert_eq!(
            result.as_ref().ok(),
            Some(&RotationOutcome::AlreadyRotated),
            "{host}: {result:?}"
        );
    }
    assert_eq!(hosts.password(0, "root"), NEW_ROOT);
    assert_eq!(hosts.chpasswd_runs(0), 2);
    cluster.stop().await
}

#[tokio::test]
async fn a_changed_host_key_is_refused_then_accepted_with_the_option() -> TestResult {
    let hosts = Hosts::new(1);
    let dir = tempfile::tempdir()?;
    let mut options = options(&dir);
    let known_hosts = dir.path().join("known_hosts");

    let original = Cluster::start(&hosts, 1, 1).await?;
    let target = original.targets("first-new", "first-root").remove(0);
    assert_eq!(
        rotate_passwords(&target, &options).await?,
        RotationOutcome::Rotated
    );
    original.stop().await?;
    let recorded = std::fs::read_to_string(&known_hosts)?;

    // The host comes back (reinstalled) with another key on another port.
    let reinstalled = Cluster::start(&hosts, 1, 2).await?;
    let mut target = reinstalled.targets(NEW_SMARTX, NEW_ROOT).remove(0);
    target.current_password = Secret::new("first-new");
    let error = rotate_passwords(&target, &options)
        .await
        .err()
        .ok_or("a changed key must be refused")?;
    let SshError::HostKeyChanged {
        host,
        known_hosts: file,
        ..
    } = &error
    else {
        return Err(format!("expected HostKeyChanged, got {error:?}").into());
    };
    assert_eq!(host, "node-01 (10.0.20.11)");
    assert_eq!(file, &known_hosts);
    let message = error.to_string();
    assert!(message.contains("node-01 (10.0.20.11)"), "{message}");
    assert!(
        message.contains(&known_hosts.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("recorded for 10.0.20.11"),
        "names the pinned address: {message}"
    );
    assert_no_password(&error);
    // Nothing was sent and nothing was rewritten.
    assert_eq!(hosts.password(0, "smartx"), "first-new");
    assert_eq!(std::fs::read_to_string(&known_hosts)?, recorded);

    // Accepting another host's new key does not accept this one.
    options.changed_host_keys = ChangedHostKeys::Accept(vec!["10.0.20.12".into()]);
    let error = rotate_passwords(&target, &options)
        .await
        .err()
        .ok_or("only 10.0.20.12 was accepted")?;
    assert!(
        matches!(error, SshError::HostKeyChanged { .. }),
        "{error:?}"
    );
    options.changed_host_keys = ChangedHostKeys::Accept(vec!["10.0.20.11".into()]);
    assert_eq!(
        rotate_passwords(&target, &options).await?,
        RotationOutcome::Rotated
    );
    assert_eq!(hosts.password(0, "smartx"), NEW_SMARTX);
    let replaced = std::fs::read_to_string(&known_hosts)?;
    assert_eq!(replaced.lines().count(), 1, "{replaced}");
    assert_ne!(replaced, recorded);

    // The new key is now the known one.
    options.changed_host_keys = ChangedHostKeys::Refuse;
    assert_eq!(
        rotate_passwords(&target, &options).await?,
        RotationOutcome::AlreadyRotated
    );
    reinstalled.stop().await
}

#[tokio::test]
async fn passwords_chpasswd_cannot_express_are_refused_before_connecting() -> TestResult {
    let hosts = Hosts::new(1);
    let cluster = Cluster::start(&hosts, 1, 1).await?;
    let dir = tempfile::tempdir()?;
    let target = cluster.targets(NEW_SMARTX, "has:colon").remove(0);
    let error = rotate_passwords(&target, &options(&dir))
        .await
        .err()
        .ok_or("a ':' must be refused")?;
    assert!(
        matches!(&error, SshError::UnsupportedPassword { user, .. } if user == "root"),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("node-01 (10.0.20.11)"),
        "{error}"
    );
    assert_no_password(&error);
    assert_eq!(hosts.chpasswd_runs(0), 0);
    assert!(
        !dir.path().join("known_hosts").exists(),
        "no connection expected"
    );
    cluster.stop().await
}

#[tokio::test]
async fn chpasswd_failure_reports_status_and_stderr_without_passwords() -> TestResult {
    let hosts = Hosts::new(2);
    // A host whose PAM refuses the new password and (badly) echoes it back.
    *hosts.chpasswd_error.lock().expect("test mutex") = Some(1);
    let cluster = Cluster::start(&hosts, 2, 1).await?;
    let dir = tempfile::tempdir()?;
    let results = rotate_all(cluster.targets(NEW_SMARTX, NEW_ROOT), &options(&dir), 2).await;

    assert!(matches!(results[0].1, Ok(RotationOutcome::Rotated)));
    let error = results[1].1.as_ref().err().ok_or("node-02 must fail")?;
    let SshError::ChpasswdFailed {
        host,
        status,
        stderr,
    } = error
    else {
        return Err(format!("expected ChpasswdFailed, got {error:?}").into());
    };
    assert_eq!(host, "node-02 (10.0.20.12)");
    assert_eq!(*status, 1);
    assert!(stderr.contains("pam_chauthtok() failed"), "{stderr}");
    assert!(
        stderr.contains("***"),
        "the echoed password is masked: {stderr}"
    );
    assert!(
        error.to_string().contains("exited with status 1"),
        "{error}"
    );
    assert_no_password(error);
    assert_eq!(hosts.password(1, "smartx"), DEFAULT_HOST_PASSWORD);
    cluster.stop().await
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error_naming_the_host() -> TestResult {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    drop(listener);
    let dir = tempfile::tempdir()?;
    let target = SshTarget {
        host: "node-09 (10.0.20.19)".into(),
        known_hosts_key: "10.0.20.19".into(),
        connect_addr: addr,
        login_user: "smartx".into(),
        current_password: Secret::new(DEFAULT_HOST_PASSWORD),
        new_passwords: vec![("smartx".into(), Secret::new(NEW_SMARTX))],
    };
    let error = rotate_passwords(&target, &options(&dir))
        .await
        .err()
        .ok_or("nothing listens there")?;
    assert!(matches!(error, SshError::Connect { .. }), "{error:?}");
    assert!(
        error.to_string().contains("node-09 (10.0.20.19)"),
        "{error}"
    );
    assert_no_password(&error);
    Ok(())
}

/// The whole simulator (`smtx_sim::start`), not just its SSH server: its own
/// accounts and its `ssh_login_refused` / `ssh_hang` faults, checked through
/// `/_sim/state`'s `passwords_rotated`.
#[tokio::test]
async fn the_full_simulator_rotates_and_reports_its_faults() -> TestResult {
    use smtx_sim::{ClusterSpec, Fault, SimOptions, start};
    let options_sim = SimOptions {
        tls: false,
        ..SimOptions::default()
    };
    let sim = start(ClusterSpec::example(4), options_sim).await?;
    sim.inject(Fault::SshLoginRefused { node: 1 });
    sim.inject(Fault::SshHang { node: 2 });
    let targets: Vec<SshTarget> = sim
        .nodes()
        .iter()
        .map(|node| -> Result<SshTarget, String> {
            Ok(SshTarget {
                host: format!("{} ({})", node.hostname, node.workbook_ip),
                known_hosts_key: node.workbook_ip.to_string(),
                connect_addr: node.ssh.ok_or("the simulator serves SSH by default")?,
                login_user: "smartx".into(),
                current_password: Secret::new(smtx_sim::DEFAULT_HOST_PASSWORD),
                new_passwords: vec![
                    ("smartx".into(), Secret::new(NEW_SMARTX)),
                    ("root".into(), Secret::new(NEW_ROOT)),
                ],
            })
        })
        .collect::<Result<_, _>>()?;
    let dir = tempfile::tempdir()?;
    let mut options = options(&dir);
    options.connect_timeout = Duration::from_millis(800);
    let started = Instant::now();
    let results = rotate_all(targets.clone(), &options, 4).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    assert!(
        matches!(results[0].1, Ok(RotationOutcome::Rotated)),
        "{:?}",
        results[0]
    );
    assert!(
        matches!(results[1].1, Err(SshError::AuthRefused { .. })),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(results[2].1, Err(SshError::Timeout { .. })),
        "{:?}",
        results[2]
    );
    assert!(
        matches!(results[3].1, Ok(RotationOutcome::Rotated)),
        "{:?}",
        results[3]
    );
    for (host, result) in &results {
        if let Err(error) = result {
            assert!(error.to_string().contains(host.as_str()), "{error}");
            assert_no_password(error);
        }
    }
    let state = sim.state();
    let rotated = |index: usize| state["hosts"][index]["passwords_rotated"].clone();
    let both = serde_json::json!({"smartx": true, "root": true});
    let neither = serde_json::json!({"smartx": false, "root": false});
    assert_eq!(rotated(0), both, "{state}");
    assert_eq!(rotated(1), neither);
    assert_eq!(rotated(2), neither);
    assert_eq!(rotated(3), both);

    // Re-run on the healthy hosts: already rotated, still fine.
    let again = rotate_all(vec![targets[0].clone(), targets[3].clone()], &options, 2).await;
    assert!(
        again
            .iter()
            .all(|(_, result)| matches!(result, Ok(RotationOutcome::AlreadyRotated))),
        "{again:?}"
    );
    sim.shutdown().await;
    Ok(())
}
