//! The human-readable rendering of a parsed workbook: what `smtx-deploy plan
//! check` prints, and what `smtx-deploy run` prints when a workbook has
//! errors, so both say the same thing the same way. Passwords print as `***`.

use std::fmt::Write as _;

use crate::{ParsedWorkbook, Severity};

/// The summary (cluster, hosts, networks, services) followed by
/// [`render_diagnostics`].
pub fn render_summary(parsed: &ParsedWorkbook) -> String {
    let plan = &parsed.plan;
    let mut out = String::new();
    let none = || "(none)".to_string();
    let or_none = |value: Option<String>| value.unwrap_or_else(none);
    // A cell in error holds a placeholder in the plan; say so instead.
    let shown = |sheet: &str, cell: String, value: String| {
        let location = format!("{sheet}!{cell}");
        let invalid = parsed
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.location == location);
        if invalid {
            "(invalid)".to_string()
        } else {
            value
        }
    };
    let hosts_sheet = crate::layout::HOST_SHEET;
    let network_sheet = crate::layout::NETWORK_SHEET;

    let _ = writeln!(out, "Cluster");
    let _ = writeln!(out, "  name:                 {}", plan.cluster.name);
    let _ = writeln!(
        out,
        "  VIP:                  {}",
        or_none(plan.cluster.vip.map(|ip| ip.to_string()))
    );
    let _ = writeln!(
        out,
        "  network architecture: {}",
        plan.cluster.network_architecture.label()
    );
    if let Some(storage) = &plan.cluster.storage_architecture {
        let _ = writeln!(out, "  storage architecture: {storage}");
    }
    let _ = writeln!(
        out,
        "  serial:               {}",
        or_none(plan.cluster.serial.clone())
    );
    let _ = writeln!(
        out,
        "  Fisheye admin:        {} (password ***)",
        plan.fisheye.user
    );

    let _ = writeln!(out, "\nHosts ({})", plan.hosts.len());
    let mut rows = vec![[
        "row".to_string(),
        "hostname".to_string(),
        "management IP".to_string(),
        "storage IP".to_string(),
        "BMC IP".to_string(),
        "BMC user".to_string(),
        "SSH user".to_string(),
        "passwords".to_string(),
    ]];
    for host in &plan.hosts {
        let row = host.row;
        rows.push([
            row.to_string(),
            shown(hosts_sheet, format!("H{row}"), host.hostname.clone()),
            shown(
                hosts_sheet,
                format!("I{row}"),
                host.management_ip.to_string(),
            ),
            shown(
                hosts_sheet,
                format!("N{row}"),
                or_none(host.storage_ip.map(|ip| ip.to_string())),
            ),
            shown(
                hosts_sheet,
                format!("E{row}"),
                or_none(host.bmc.ip.map(|ip| ip.to_string())),
            ),
            host.bmc.user.clone(),
            host.ssh_user.clone(),
            "***".to_string(),
        ]);
    }
    table(&mut out, &rows);

    let vds_line = |vds: &crate::VdsPlan, row: u32| {
        format!(
            "{} (NICs: {}; bond mode: {})",
            if vds.name.is_empty() {
                "(no name)"
            } else {
                &vds.name
            },
            if vds.nics.is_empty() {
                "(none)".to_string()
            } else {
                vds.nics.join(", ")
            },
            shown(network_sheet, format!("K{row}"), vds.bond_mode.to_string())
        )
    };
    let _ = writeln!(out, "\nVirtual switches");
    let _ = writeln!(
        out,
        "  management: {}",
        vds_line(&plan.management_vds, crate::layout::MANAGEMENT_VDS_ROW)
    );
    let _ = writeln!(
        out,
        "  storage:    {}",
        vds_line(&plan.storage_vds, crate::layout::STORAGE_VDS_ROW)
    );
    let business = match (&plan.business_vds, &plan.cluster.network_architecture) {
        (Some(vds), _) => vds_line(vds, crate::layout::BUSINESS_VDS_ROW),
        (None, crate::NetworkArchitecture::StorageSeparate) => {
            "(none: 存储独立 shares the management VDS)".to_string()
        }
        (None, _) => none(),
    };
    let _ = writeln!(out, "  business:   {business}");
    let architecture = plan.cluster.network_architecture.label();
    let home = match plan.business_network_home() {
        _ if plan.business_networks.is_empty() => "(no business networks)".to_string(),
        crate::BusinessNetworkHome::ManagementVds(name) => format!("{name} ({architecture})"),
        crate::BusinessNetworkHome::BusinessVds(vds) => format!("{} ({architecture})", vds.name),
        crate::BusinessNetworkHome::Nowhere => "nowhere: see the errors below".to_string(),
    };
    let _ = writeln!(out, "  business networks → {home}");

    let _ = writeln!(
        out,
        "\nBusiness networks ({})",
        plan.business_networks.len()
    );
    if !plan.business_networks.is_empty() {
        let mut rows = vec![[
            "row".to_string(),
            "name".to_string(),
            "VLAN ID".to_string(),
            "subnet".to_string(),
            "gateway".to_string(),
        ]];
        for network in &plan.business_networks {
            let row = network.row;
            rows.push([
                row.to_string(),
                network.name.clone(),
                shown(
                    network_sheet,
                    format!("F{row}"),
                    network.vlan_id.to_string(),
                ),
                shown(
                    network_sheet,
                    format!("H{row}"),
                    or_none(network.subnet.map(|s| s.to_string())),
                ),
                shown(
                    network_sheet,
                    format!("I{row}"),
                    or_none(network.gateway.map(|g| g.to_string())),
                ),
            ]);
        }
        table(&mut out, &rows);
    }

    let join = |items: Vec<String>| {
        if items.is_empty() {
            none()
        } else {
            items.join(", ")
        }
    };
    let _ = writeln!(out, "\nServices");
    let _ = writeln!(
        out,
        "  DNS servers: {}",
        join(plan.dns_servers.iter().map(|ip| ip.to_string()).collect())
    );
    let _ = writeln!(out, "  NTP servers: {}", join(plan.ntp_servers.clone()));
    out.push('\n');
    out.push_str(&render_diagnostics(parsed));
    out
}

/// One line per diagnostic (`error: 主机规划!I5 (管理地址): …`), a count
/// line, and a `hint:` line saying what to do next.
pub fn render_diagnostics(parsed: &ParsedWorkbook) -> String {
    let mut out = String::new();
    let mut sorted: Vec<_> = parsed.diagnostics.iter().collect();
    // Errors first; within a severity keep the workbook's reading order.
    sorted.sort_by_key(|d| std::cmp::Reverse(d.severity));
    for diagnostic in sorted {
        let _ = writeln!(out, "{diagnostic}");
    }
    let errors = parsed.error_count();
    let warnings = parsed.warning_count();
    let _ = writeln!(
        out,
        "{} {}, {} {}",
        errors,
        plural(errors, "error"),
        warnings,
        plural(warnings, "warning")
    );
    let hint = if errors > 0 {
        "hint: fix each cell listed above in the workbook (sheet!cell), save it, and run \
         `smtx-deploy plan check` again"
    } else if warnings > 0 {
        "hint: the workbook is usable; each warning names a step that will be skipped or a \
         default that will be used"
    } else {
        "hint: the workbook is complete; next: `smtx-deploy run --plan WORKBOOK`"
    };
    let _ = writeln!(out, "{hint}");
    out
}

fn plural(count: usize, word: &str) -> String {
    if count == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// Left-aligned columns, two spaces apart, indented by two.
fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let mut line = String::from(" ");
        for (cell, width) in row.iter().zip(widths) {
            let _ = write!(line, " {cell:<width$}");
            line.push(' ');
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
