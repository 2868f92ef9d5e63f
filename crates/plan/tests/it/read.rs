//! Reading the real template and fixture workbooks into a plan.

use smtx_plan::{Severity, parse_workbook};

use crate::common::template_bytes;

#[test]
fn real_template_parses_to_four_hosts_and_eleven_networks() -> Result<(), Box<dyn std::error::Error>>
{
    let parsed = parse_workbook(&template_bytes(), "template.xlsx")?;
    for d in &parsed.diagnostics {
        eprintln!("{d}");
    }
    eprintln!("{}", serde_json::to_string_pretty(&parsed)?);
    assert_eq!(parsed.plan.hosts.len(), 4);
    assert_eq!(parsed.plan.business_networks.len(), 11);
    assert!(
        !parsed
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    );
    Ok(())
}
