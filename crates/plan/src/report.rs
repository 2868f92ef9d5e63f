//! The human-readable rendering of a parsed workbook: what `smtx-deploy plan
//! check` prints, and what `smtx-deploy run` prints when a workbook has
//! errors, so both say the same thing the same way, in English or Chinese.
//! Passwords print as `***`; a character a reader cannot see (a
//! bidirectional override, a zero-width space) prints as `⟨U+202E⟩`, so the
//! terminal neither hides nor reorders it ([`crate::visible`]).

use std::fmt::Write as _;

use smtx_i18n::{Lang, Localize, display_width};

use crate::{ParsedWorkbook, Severity, visible};

/// `en` or `zh`, as `lang` reads.
fn word<'a>(lang: Lang, en: &'a str, zh: &'a str) -> &'a str {
    match lang {
        Lang::En => en,
        Lang::ZhCn => zh,
    }
}

/// `label: value`, the label padded to `width` columns (CJK counts two),
/// the value's hidden characters written out.
fn labelled(lang: Lang, en: &str, zh: &str, width: usize, value: &str) -> String {
    let label = match lang {
        Lang::En => format!("{en}:"),
        Lang::ZhCn => format!("{zh}："),
    };
    format!(
        "{label}{}{}",
        " ".repeat(width.saturating_sub(display_width(&label)) + 1),
        visible(value)
    )
}

/// The summary (cluster, hosts, networks, services) followed by
/// [`render_diagnostics`].
pub fn render_summary(parsed: &ParsedWorkbook, lang: Lang) -> String {
    let plan = &parsed.plan;
    let mut out = String::new();
    let none = || word(lang, "(none)", "（无）").to_string();
    let or_none = |value: Option<String>| value.unwrap_or_else(none);
    // A cell in error holds a placeholder in the plan; say so instead.
    let shown = |location: String, value: String| {
        let invalid = parsed
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error && d.location == location);
        if invalid {
            word(lang, "(invalid)", "（无效）").to_string()
        } else {
            value
        }
    };

    let field =
        |en: &str, zh: &str, value: &str| format!("  {}", labelled(lang, en, zh, 21, value));
    let _ = writeln!(out, "{}", word(lang, "Cluster", "集群"));
    let _ = writeln!(out, "{}", field("name", "名称", &plan.cluster.name));
    let vip = or_none(plan.cluster.vip.map(|ip| ip.to_string()));
    let _ = writeln!(out, "{}", field("VIP", "VIP", &vip));
    let architecture = plan.cluster.network_architecture.label();
    let _ = writeln!(
        out,
        "{}",
        field("network architecture", "网络架构", architecture)
    );
    if let Some(storage) = &plan.cluster.storage_architecture {
        let _ = writeln!(
            out,
            "{}",
            field("storage architecture", "存储架构", storage)
        );
    }
    let serial = or_none(plan.cluster.serial.clone());
    let _ = writeln!(out, "{}", field("serial", "序列号", &serial));
    let admin = match lang {
        Lang::En => format!("{} (password ***)", plan.fisheye.user),
        Lang::ZhCn => format!("{}（密码 ***）", plan.fisheye.user),
    };
    let _ = writeln!(out, "{}", field("Fisheye admin", "Fisheye 管理员", &admin));

    let _ = writeln!(
        out,
        "\n{} ({})",
        word(lang, "Hosts", "主机"),
        plan.hosts.len()
    );
    let mut rows = vec![[
        word(lang, "row", "行").to_string(),
        word(lang, "hostname", "主机名").to_string(),
        word(lang, "management IP", "管理地址").to_string(),
        word(lang, "storage IP", "存储地址").to_string(),
        word(lang, "BMC IP", "带外地址").to_string(),
        word(lang, "BMC user", "带外用户").to_string(),
        word(lang, "SSH user", "SSH 用户").to_string(),
        word(lang, "passwords", "密码").to_string(),
    ]];
    for host in &plan.hosts {
        rows.push([
            host.row.to_string(),
            shown(host.hostname_cell(), host.hostname.clone()),
            shown(host.management_ip_cell(), host.management_ip.to_string()),
            shown(
                host.cell(crate::layout::hosts::STORAGE_IP),
                or_none(host.storage_ip.map(|ip| ip.to_string())),
            ),
            shown(
                host.bmc_cell(),
                or_none(host.bmc.ip.map(|ip| ip.to_string())),
            ),
            host.bmc.user.clone(),
            host.ssh_user.clone(),
            "***".to_string(),
        ]);
    }
    table(&mut out, &rows);

    let vds_line = |vds: &crate::VdsPlan| {
        let name = if vds.name.is_empty() {
            word(lang, "(no name)", "（无名称）")
        } else {
            &vds.name
        };
        let nics = if vds.nics.is_empty() {
            none()
        } else {
            smtx_i18n::list(lang, &vds.nics)
        };
        let bond = shown(
            vds.cell(crate::layout::network::BOND_MODE),
            vds.bond_mode.to_string(),
        );
        match lang {
            Lang::En => format!("{name} (NICs: {nics}; bond mode: {bond})"),
            Lang::ZhCn => format!("{name}（网口：{nics}；绑定模式：{bond}）"),
        }
    };
    let switch =
        |en: &str, zh: &str, value: &str| format!("  {}", labelled(lang, en, zh, 11, value));
    let _ = writeln!(out, "\n{}", word(lang, "Virtual switches", "虚拟交换机"));
    let management = vds_line(&plan.management_vds);
    let _ = writeln!(out, "{}", switch("management", "管理", &management));
    let storage = vds_line(&plan.storage_vds);
    let _ = writeln!(out, "{}", switch("storage", "存储", &storage));
    let business = match (&plan.business_vds, &plan.cluster.network_architecture) {
        (Some(vds), _) => vds_line(vds),
        (None, crate::NetworkArchitecture::StorageSeparate) => word(
            lang,
            "(none: 存储独立 shares the management VDS)",
            "（无：存储独立 与管理网络共用管理虚拟交换机）",
        )
        .to_string(),
        (None, _) => none(),
    };
    let _ = writeln!(out, "{}", switch("business", "业务", &business));
    let architecture = plan.cluster.network_architecture.label();
    let home = match plan.business_network_home() {
        _ if plan.business_networks.is_empty() => {
            word(lang, "(no business networks)", "（没有业务网络）").to_string()
        }
        crate::BusinessNetworkHome::ManagementVds(name) => format!("{name} ({architecture})"),
        crate::BusinessNetworkHome::BusinessVds(vds) => format!("{} ({architecture})", vds.name),
        crate::BusinessNetworkHome::Nowhere => word(
            lang,
            "nowhere: see the errors below",
            "无处可放：见下面的错误",
        )
        .to_string(),
    };
    let _ = writeln!(
        out,
        "  {} → {}",
        word(lang, "business networks", "业务网络"),
        visible(&home)
    );

    let _ = writeln!(
        out,
        "\n{} ({})",
        word(lang, "Business networks", "业务网络"),
        plan.business_networks.len()
    );
    if !plan.business_networks.is_empty() {
        let mut rows = vec![[
            word(lang, "row", "行").to_string(),
            word(lang, "name", "名称").to_string(),
            "VLAN ID".to_string(),
            word(lang, "subnet", "子网").to_string(),
            word(lang, "gateway", "网关").to_string(),
        ]];
        for network in &plan.business_networks {
            rows.push([
                network.row.to_string(),
                network.name.clone(),
                shown(network.vlan_cell(), network.vlan_id.to_string()),
                shown(
                    network.cell(crate::layout::network::SUBNET),
                    or_none(network.subnet.map(|s| s.to_string())),
                ),
                shown(
                    network.cell(crate::layout::network::GATEWAY),
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
            smtx_i18n::list(lang, &items)
        }
    };
    let _ = writeln!(out, "\n{}", word(lang, "Services", "服务"));
    let dns = join(plan.dns_servers.iter().map(|ip| ip.to_string()).collect());
    let _ = writeln!(
        out,
        "  {}",
        labelled(lang, "DNS servers", "DNS 服务器", 12, &dns)
    );
    let ntp = join(plan.ntp_servers.clone());
    let _ = writeln!(
        out,
        "  {}",
        labelled(lang, "NTP servers", "NTP 服务器", 12, &ntp)
    );
    out.push('\n');
    out.push_str(&render_diagnostics(parsed, lang));
    out
}

/// One line per diagnostic (`error: 主机规划!I5 (管理地址): …`), a count
/// line, and a `hint:` line saying what to do next.
pub fn render_diagnostics(parsed: &ParsedWorkbook, lang: Lang) -> String {
    let mut out = String::new();
    let mut sorted: Vec<_> = parsed.diagnostics.iter().collect();
    // Errors first; within a severity keep the workbook's reading order.
    sorted.sort_by_key(|d| std::cmp::Reverse(d.severity));
    for diagnostic in sorted {
        // A message may quote a name or a cell as typed.
        let _ = writeln!(out, "{}", visible(&diagnostic.localize(lang)));
    }
    let errors = parsed.error_count();
    let warnings = parsed.warning_count();
    let _ = match lang {
        Lang::En => writeln!(
            out,
            "{} {}, {} {}",
            errors,
            plural(errors, "error"),
            warnings,
            plural(warnings, "warning")
        ),
        Lang::ZhCn => writeln!(out, "错误 {errors} 个，警告 {warnings} 个"),
    };
    let hint = match (lang, errors > 0, warnings > 0) {
        (Lang::En, true, _) => {
            "hint: fix each cell listed above in the workbook (sheet!cell), save it, and run \
             `smtx-deploy plan check` again"
        }
        (Lang::En, false, true) => {
            "hint: the workbook is usable; each warning names a step that will be skipped or a \
             default that will be used"
        }
        (Lang::En, false, false) => {
            "hint: the workbook is complete; next, rehearse it against the simulator \
             (`smtx-deploy sim --plan WORKBOOK --write-config sim.toml`, then \
             `smtx-deploy run --plan WORKBOOK --config sim.toml`) or list the calls a run would \
             make (`smtx-deploy run --plan WORKBOOK --dry-run`) before the live run"
        }
        (Lang::ZhCn, true, _) => {
            "提示：在规划表中逐个修正上面列出的单元格（工作表!单元格），保存后重新运行 \
             `smtx-deploy plan check`"
        }
        (Lang::ZhCn, false, true) => {
            "提示：规划表可以使用；每条警告都说明了将跳过的步骤或将使用的默认值"
        }
        (Lang::ZhCn, false, false) => {
            "提示：规划表已完整；下一步先对模拟集群演练（`smtx-deploy sim --plan WORKBOOK --write-config sim.toml`，\
             再 `smtx-deploy run --plan WORKBOOK --config sim.toml`），或试运行列出将发送的请求\
             （`smtx-deploy run --plan WORKBOOK --dry-run`），然后再正式运行"
        }
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

/// Left-aligned columns, two spaces apart, indented by two; hidden
/// characters written out before the columns are measured.
fn table<const N: usize>(out: &mut String, rows: &[[String; N]]) {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| visible(&cell).into_owned()))
        .collect();
    let mut widths = [0usize; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    for row in &rows {
        let mut line = String::from(" ");
        for (cell, width) in row.iter().zip(widths) {
            let fill = width.saturating_sub(display_width(cell));
            let _ = write!(line, " {cell}{}", " ".repeat(fill));
            line.push(' ');
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}
