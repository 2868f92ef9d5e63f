//! One crypto provider: TLS (rustls) and SSH (russh) both use ring, so the
//! workspace never builds aws-lc-sys (C and CMake, minutes of a clean
//! build). A feature default coming back would show up in `Cargo.lock`.

use crate::common::TestResult;

#[test]
fn the_lock_file_has_one_crypto_provider() -> TestResult {
    let lock = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(&lock)?;
    let packages: Vec<&str> = text
        .lines()
        .filter_map(|line| line.strip_prefix("name = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .collect();
    assert!(packages.contains(&"ring"), "ring is the provider");
    assert!(packages.contains(&"russh"), "{}", lock.display());
    for other in ["aws-lc-sys", "aws-lc-rs"] {
        assert!(!packages.contains(&other), "{other} is back in Cargo.lock");
    }
    Ok(())
}
