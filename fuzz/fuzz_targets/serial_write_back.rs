//! Fuzz target: any bytes as a workbook file, then the serial written into
//! it. A refusal must leave the file byte for byte as it was; a write must
//! leave a workbook that holds the serial (a second write finds it there).

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smtx_plan::{SerialWriteOptions, SerialWriteOutcome, write_serial};

const SERIAL: &str = "c8b39907-464c-44b4-94bb-7c2ac243f390";

/// One scratch directory for the run (libFuzzer runs inputs one at a time).
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("smtx-fuzz-serial-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let path = scratch().join("workbook.xlsx");
    std::fs::write(&path, data).expect("write the input");
    // Forced, so inputs get past "the cell holds something else".
    let options = SerialWriteOptions {
        force: true,
        ..SerialWriteOptions::default()
    };
    match write_serial(&path, SERIAL, &options) {
        Err(_) => {
            let after = std::fs::read(&path).expect("read back");
            assert!(after == data, "a refused write changed the file");
        }
        Ok(_) => {
            let again = write_serial(&path, SERIAL, &options);
            assert!(
                matches!(again, Ok(SerialWriteOutcome::AlreadyPresent)),
                "the written serial is not read back: {again:?}"
            );
        }
    }
});
