//! The fixture builder writes workbooks in the template's layout that the
//! reader understands.

use smtx_plan::fixture::{FixtureCell, WorkbookSpec};

use crate::common::parse_spec;

#[test]
fn example_workbook_is_a_zip_with_the_four_sheets() -> Result<(), Box<dyn std::error::Error>> {
    let bytes = WorkbookSpec::example(4).to_xlsx_bytes()?;
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let names = archive.file_names().collect::<Result<Vec<_>, _>>()?;
    assert!(names.iter().any(|n| n == "xl/workbook.xml"), "{names:?}");
    let sheets = names
        .iter()
        .filter(|n| n.starts_with("xl/worksheets/sheet"))
        .count();
    assert_eq!(sheets, 4);
    Ok(())
}

#[test]
fn example_round_trips_through_the_reader() {
    for hosts in [1, 4, 16] {
        let spec = WorkbookSpec::example(hosts);
        let parsed = parse_spec(&spec);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let plan = &parsed.plan;
        assert_eq!(plan.hosts.len(), hosts);
        assert_eq!(plan.cluster.name, spec.cluster_name);
        assert_eq!(
            plan.cluster.vip.map(|ip| ip.to_string()).as_deref(),
            Some("10.0.20.10")
        );
        assert_eq!(plan.business_networks.len(), 3);
        assert_eq!(plan.dns_servers.len(), 2);
        assert_eq!(plan.ntp_servers, ["10.0.0.2", "ntp.example.com"]);
        let last = plan.hosts.last().expect("hosts");
        assert_eq!(last.hostname, format!("node-{hosts:02}"));
        assert_eq!(
            last.management_ip.to_string(),
            format!("10.0.20.{}", 10 + hosts)
        );
        assert_eq!(
            last.root_password.expose(),
            spec.hosts[hosts - 1].root_password
        );
        assert_eq!(plan.fisheye.password.expose(), spec.fisheye_password);
    }
}

#[test]
fn write_to_writes_a_readable_file() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plan.xlsx");
    WorkbookSpec::example(2).write_to(&path)?;
    let parsed = smtx_plan::parse_workbook(&std::fs::read(&path)?, "plan.xlsx")?;
    assert_eq!(parsed.plan.hosts.len(), 2);
    Ok(())
}

#[test]
fn formula_without_cached_value_is_written_like_openpyxl() -> Result<(), Box<dyn std::error::Error>>
{
    use std::io::Read;
    let bytes = WorkbookSpec::example(1)
        .with_cell(
            "主机规划!C3",
            FixtureCell::Formula {
                formula: "=虚拟网络!B3".into(),
                cached: None,
            },
        )
        .to_xlsx_bytes()?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let mut found = false;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        let mut xml = String::new();
        entry.read_to_string(&mut xml)?;
        if xml.contains("<f>虚拟网络!B3</f>") {
            assert!(
                xml.contains(r#"<c r="C3"><f>虚拟网络!B3</f><v/></c>"#),
                "{xml}"
            );
            found = true;
        }
    }
    assert!(found, "the formula cell is written");
    Ok(())
}

#[test]
fn bad_override_location_is_an_error() {
    let result = WorkbookSpec::example(1)
        .with_cell("E19", FixtureCell::text("x"))
        .to_xlsx_bytes();
    assert!(result.is_err());
}

/// The real template turned 存储独立 the way a site does it in Excel: the
/// architecture picked from Q20's drop-down, the business-VDS row cleared.
#[test]
fn the_real_template_edited_to_storage_separate() -> Result<(), Box<dyn std::error::Error>> {
    let template = crate::common::template_bytes();
    let edited = smtx_plan::fixture::edit_cells(
        &template,
        &[
            ("主机规划!Q20", Some("存储独立")),
            ("虚拟网络!C8", None),
            ("虚拟网络!J8", None),
            ("虚拟网络!K8", None),
        ],
    )?;
    let parsed = smtx_plan::parse_workbook(&edited, "edited.xlsx")?;
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let plan = &parsed.plan;
    assert_eq!(
        plan.cluster.network_architecture,
        smtx_plan::NetworkArchitecture::StorageSeparate
    );
    assert!(plan.business_vds.is_none());
    assert_eq!(plan.business_networks.len(), 11);
    assert!(matches!(
        plan.business_network_home(),
        smtx_plan::BusinessNetworkHome::ManagementVds("vDS-MgMt-Network")
    ));
    // Everything else reads as before.
    let original = smtx_plan::parse_workbook(&template, "template.xlsx")?;
    assert_eq!(plan.hosts.len(), original.plan.hosts.len());
    assert_eq!(plan.cluster.vip, original.plan.cluster.vip);
    // A cell that is not in the sheet is an error, not a silent no-op.
    assert!(smtx_plan::fixture::edit_cells(&template, &[("虚拟网络!ZZ999", None)]).is_err());
    Ok(())
}

#[test]
fn storage_separate_fixture_leaves_the_business_vds_row_empty() {
    let parsed = parse_spec(&WorkbookSpec::storage_separate(3));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(parsed.plan.business_vds.is_none());
    assert_eq!(parsed.plan.business_networks.len(), 3);
}
