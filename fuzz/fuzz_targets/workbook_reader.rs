//! Fuzz target: any bytes through the workbook reader. It returns a plan or
//! an error; a panic (caught or not), an abort or a run past libFuzzer's
//! memory and time limits is a finding.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smtx_plan::parse_workbook(data, "fuzz.xlsx");
});
