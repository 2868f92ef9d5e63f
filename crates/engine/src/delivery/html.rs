//! `report.html`: the delivery record as one self-contained page — inline
//! CSS, no script, no fetch, so it opens from a USB stick — that prints
//! on A4 (a header with the cluster and the date on every page, tables
//! that do not cut rows, a page per part).
//!
//! Every value of the record goes in through [`Page::text`], which escapes
//! it: a workbook cell holding `<script>` prints as text. Markup is only
//! ever a `&'static str` of this file.

use std::fmt::Write as _;

use smtx_i18n::Lang;

use super::words::{Word, kind, status as status_word};
use super::{DeliveryRecord, RunKind, SettingRow, StepRow, Words};
use crate::StepStatus;

/// The page's style: plain CSS, a file of its own.
const STYLE: &str = include_str!("report.css");

/// A page being written: markup from this module, text escaped.
pub(super) struct Page {
    out: String,
}

impl Page {
    /// The document up to `<body>`: the style, the title.
    pub(super) fn start(title: &str, lang: Lang) -> Self {
        let mut page = Page {
            out: String::with_capacity(32 * 1024),
        };
        page.raw("<!DOCTYPE html>\n<html lang=\"");
        page.raw(match lang {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        });
        page.raw("\"><head><meta charset=\"utf-8\">");
        // No fetch of any kind: the page must open from a USB stick.
        page.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        page.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        page.raw("<title>")
            .text(title)
            .raw("</title><style>")
            .raw(STYLE);
        page
    }

    pub(super) fn finish(self) -> String {
        self.out
    }

    pub(super) fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    pub(super) fn text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' => self.out.push_str("&quot;"),
                '\'' => self.out.push_str("&#39;"),
                c => self.out.push(c),
            }
        }
        self
    }

    /// Text inside a CSS string (`content: "…"`): everything but plain
    /// letters and digits as a CSS escape, so no value can end the string
    /// or the style element.
    fn css_text(&mut self, text: &str) -> &mut Self {
        for c in text.chars() {
            if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_control()) {
                self.out.push(c);
            } else {
                let _ = write!(self.out, "\\{:x} ", u32::from(c));
            }
        }
        self
    }

    pub(super) fn word(&mut self, word: Word, lang: Lang) -> &mut Self {
        self.text(word.text(lang))
    }

    /// `<td>` holding a step status, coloured by it.
    pub(super) fn status_cell(&mut self, status: Option<StepStatus>, lang: Lang) -> &mut Self {
        match status {
            Some(status) => {
                self.raw("<td class=\"");
                self.raw(status.as_str());
                self.raw("\">").text(status_word(status, lang));
            }
            None => {
                self.raw("<td class=\"muted\">")
                    .word(Word::NotReached, lang);
            }
        }
        self.raw("</td>")
    }

    pub(super) fn cell(&mut self, text: &str) -> &mut Self {
        self.raw("<td>").text(text).raw("</td>")
    }

    pub(super) fn code_cell(&mut self, text: &str) -> &mut Self {
        self.raw("<td class=\"code\">").text(text).raw("</td>")
    }

    pub(super) fn head(&mut self, words: &[Word], lang: Lang) -> &mut Self {
        self.raw("<thead><tr>");
        for word in words {
            self.raw("<th>").word(*word, lang).raw("</th>");
        }
        self.raw("</tr></thead>")
    }

    /// A row of a two-column table: a label and a value.
    pub(super) fn pair(&mut self, label: Word, value: &str, lang: Lang) -> &mut Self {
        self.raw("<tr><th>").word(label, lang).raw("</th>");
        self.cell(value).raw("</tr>")
    }
}

/// The page in `lang`.
pub fn render(record: &DeliveryRecord, lang: Lang) -> String {
    let mut page = Page::start(
        &format!("{} · {}", Word::Title.text(lang), record.cluster),
        lang,
    );
    // The running header and the page numbers of a printed page.
    page.raw("@page { @top-left { content: \"")
        .css_text(&record.cluster)
        .css_text(" · ")
        .css_text(Word::Title.text(lang))
        .raw("\"; font-size: 8pt; color: #5b6474; font-family: sans-serif; } @top-right { content: \"")
        .css_text(date_of(&record.started_at))
        .css_text(" · ")
        .css_text(kind(record.kind, lang))
        .raw("\"; font-size: 8pt; color: #5b6474; font-family: sans-serif; } @bottom-right { content: counter(page) \" / \" counter(pages); font-size: 8pt; color: #5b6474; font-family: sans-serif; } }");
    page.raw("</style></head><body>");

    page.raw("<header class=\"running\"><span><strong>")
        .text(&record.cluster)
        .raw("</strong> · ")
        .word(Word::Title, lang)
        .raw("</span><span>")
        .text(date_of(&record.started_at))
        .raw(" · ")
        .text(kind(record.kind, lang))
        .raw("</span></header><main>");
    banner(&mut page, record.kind, lang);

    // Part 1: the summary and what is left to do.
    page.raw("<section class=\"part\"><h1>")
        .word(Word::Title, lang)
        .raw(" · ")
        .text(&record.cluster)
        .raw("</h1>");
    page.raw("<h2>")
        .word(Word::Summary, lang)
        .raw("</h2><table>");
    page.pair(Word::Cluster, &record.cluster, lang);
    page.pair(Word::Kind, kind(record.kind, lang), lang);
    page.raw("<tr><th>").word(Word::Status, lang).raw("</th>");
    page.status_cell(Some(record.status), lang).raw("</tr>");
    page.raw("<tr><th>").word(Word::Serial, lang).raw("</th>");
    match &record.serial {
        Some(serial) => page.code_cell(serial),
        None => page
            .raw("<td class=\"muted\">")
            .word(Word::NoSerial, lang)
            .raw("</td>"),
    };
    page.raw("</tr>");
    page.pair(Word::Started, &time_of(&record.started_at), lang);
    page.pair(Word::Ended, &time_of(&record.ended_at), lang);
    page.pair(Word::Duration, &duration(record.duration_ms, lang), lang);
    page.pair(Word::Workbook, &record.workbook.name, lang);
    page.raw("<tr><th>")
        .word(Word::WorkbookBefore, lang)
        .raw("</th>");
    page.code_cell(record.workbook.sha256_before.as_deref().unwrap_or("—"));
    page.raw("</tr><tr><th>")
        .word(Word::WorkbookAfter, lang)
        .raw("</th>");
    let after = record.workbook.sha256_after.as_deref().unwrap_or("—");
    if record.workbook.written_name == record.workbook.name {
        page.code_cell(after);
    } else {
        page.raw("<td><span class=\"code\">")
            .text(after)
            .raw("</span> <span class=\"muted\">(")
            .text(&record.workbook.written_name)
            .raw(")</span></td>");
    }
    page.raw("</tr>");
    page.pair(Word::ToolVersion, &record.tool_version, lang);
    if let Some(name) = &record.run_by {
        page.pair(Word::RunBy, name, lang);
    }
    page.raw("</table>");

    page.raw("<h2>").word(Word::LeftToDo, lang).raw("</h2>");
    if record.left_to_do.is_empty() {
        page.raw("<p>").word(Word::NothingLeft, lang).raw("</p>");
    } else {
        page.raw("<ul class=\"todo\">");
        for item in &record.left_to_do {
            page.raw("<li>").text(item.get(lang)).raw("</li>");
        }
        page.raw("</ul>");
    }
    page.raw("<p class=\"note\">")
        .word(Word::PasswordsNote, lang)
        .raw("</p></section>");

    // Part 2: what the cluster now has.
    page.raw("<section class=\"part\"><h2>")
        .word(Word::Settings, lang)
        .raw("</h2><table>");
    page.head(&[Word::Setting, Word::Value, Word::Result], lang);
    page.raw("<tbody>");
    for (word, row) in [
        (Word::Vip, &record.vip),
        (Word::Dns, &record.dns),
        (Word::Ntp, &record.ntp),
    ] {
        setting_row(&mut page, word, row, lang);
    }
    page.raw("<tr><th>")
        .word(Word::BmcAccounts, lang)
        .raw("</th>");
    let users: Vec<&str> = record
        .hosts
        .iter()
        .map(|host| host.bmc_user.as_str())
        .collect();
    let mut users = users;
    users.dedup();
    page.cell(&users.join(", "));
    page.status_cell(record.bmc_accounts, lang).raw("</tr>");
    if let Some(cpu) = &record.cpu_compatibility {
        page.raw("<tr><th>")
            .word(Word::CpuCompatibility, lang)
            .raw("</th>");
        page.cell(cpu.detail.as_ref().map_or("", |d| d.get(lang)));
        page.status_cell(Some(cpu.status), lang).raw("</tr>");
    }
    page.raw("</tbody></table>");

    page.raw("<h2>").word(Word::Hosts, lang).raw("</h2><table>");
    page.head(
        &[
            Word::HostName,
            Word::ManagementIp,
            Word::BmcIp,
            Word::BmcUser,
            Word::HostPassword,
        ],
        lang,
    );
    page.raw("<tbody>");
    for host in &record.hosts {
        page.raw("<tr>");
        page.cell(&host.name).cell(&host.management_ip);
        page.cell(host.bmc_ip.as_deref().unwrap_or("—"));
        page.cell(&host.bmc_user);
        page.status_cell(host.password, lang).raw("</tr>");
    }
    page.raw("</tbody></table>");

    page.raw("<h2>").word(Word::Switch, lang).raw("</h2>");
    if let Some(switch) = &record.switch {
        page.raw("<table>");
        page.head(
            &[
                Word::Name,
                Word::BondMode,
                Word::Nics,
                Word::Uuid,
                Word::Result,
            ],
            lang,
        );
        page.raw("<tbody><tr>");
        page.cell(&switch.name).cell(&switch.bond_mode);
        page.cell(&switch.nics.join(", "));
        page.code_cell(switch.uuid.as_deref().unwrap_or("—"));
        page.status_cell(switch.status, lang)
            .raw("</tr></tbody></table>");
    } else {
        page.raw("<p class=\"muted\">—</p>");
    }

    page.raw("<h2>").word(Word::Vlans, lang).raw("</h2>");
    if record.vlans.is_empty() {
        page.raw("<p>").word(Word::NoVlans, lang).raw("</p>");
    } else {
        page.raw("<table>");
        page.head(
            &[
                Word::Name,
                Word::VlanId,
                Word::SwitchOf,
                Word::Uuid,
                Word::Result,
            ],
            lang,
        );
        page.raw("<tbody>");
        for vlan in &record.vlans {
            page.raw("<tr>");
            page.cell(&vlan.name).cell(&vlan.vlan_id.to_string());
            page.cell(&vlan.switch);
            page.code_cell(vlan.uuid.as_deref().unwrap_or("—"));
            page.status_cell(vlan.status, lang).raw("</tr>");
        }
        page.raw("</tbody></table>");
    }

    page.raw("<h2>").word(Word::Vmtools, lang).raw("</h2>");
    match &record.vmtools {
        Some(image) => {
            page.raw("<table>");
            page.pair(Word::File, &image.file, lang);
            page.pair(
                Word::Size,
                &image.size.map(|size| bytes(size, lang)).unwrap_or_default(),
                lang,
            );
            page.raw("<tr><th>").word(Word::Sha256, lang).raw("</th>");
            page.code_cell(&image.sha256).raw("</tr>");
            page.raw("<tr><th>")
                .word(Word::ImageUuid, lang)
                .raw("</th>");
            page.code_cell(&image.image_uuid).raw("</tr>");
            page.raw("<tr><th>").word(Word::Result, lang).raw("</th>");
            page.status_cell(record.vmtools_status, lang)
                .raw("</tr></table>");
        }
        None => {
            page.raw("<p class=\"warning\">")
                .word(Word::NoImage, lang)
                .raw("</p>");
        }
    }
    page.raw("</section>");

    // Part 3: every step, a table per stage.
    page.raw("<section class=\"part\"><h2>")
        .word(Word::Steps, lang)
        .raw("</h2>");
    let mut steps = record.steps.iter().peekable();
    while let Some(first) = steps.peek() {
        let stage = first.stage.clone();
        page.raw("<h3>").text(stage.get(lang)).raw("</h3><table>");
        page.head(
            &[Word::Step, Word::Result, Word::Details, Word::Duration],
            lang,
        );
        page.raw("<tbody>");
        while let Some(step) = steps.next_if(|step| step.stage == stage) {
            step_row(&mut page, step, lang);
        }
        page.raw("</tbody></table>");
    }
    page.raw("</section>");
    banner(&mut page, record.kind, lang);
    page.raw("</main></body></html>\n");
    page.finish()
}

fn banner(page: &mut Page, run: RunKind, lang: Lang) {
    let word = match run {
        RunKind::Live => return,
        RunKind::Rehearsal => Word::RehearsalBanner,
        RunKind::DryRun => Word::DryRunBanner,
    };
    page.raw("<div class=\"banner\">")
        .word(word, lang)
        .raw("</div>");
}

fn setting_row(page: &mut Page, word: Word, row: &SettingRow, lang: Lang) {
    page.raw("<tr><th>").word(word, lang).raw("</th>");
    page.cell(&row.values.join(", "));
    page.status_cell(row.status, lang).raw("</tr>");
}

fn step_row(page: &mut Page, step: &StepRow, lang: Lang) {
    page.raw("<tr>");
    page.cell(step.label.get(lang));
    page.status_cell(Some(step.status), lang);
    page.raw("<td>");
    let parts: Vec<&Words> = [&step.detail, &step.error].into_iter().flatten().collect();
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            page.raw("<br>");
        }
        page.text(part.get(lang));
    }
    if let Some(hint) = &step.hint {
        page.raw("<br><span class=\"muted\">")
            .word(Word::Hint, lang)
            .text(match lang {
                Lang::En => ": ",
                Lang::ZhCn => "：",
            })
            .text(hint.get(lang))
            .raw("</span>");
    }
    page.raw("</td><td class=\"nowrap\">")
        .text(&duration(step.elapsed_ms, lang))
        .raw("</td></tr>");
}

/// `2026-12-07 01:57:14` of `2026-12-07T01:57:14Z` (the heading says UTC).
fn time_of(time: &str) -> String {
    time.trim_end_matches('Z').replacen('T', " ", 1)
}

/// `2026-12-07` of an RFC 3339 time.
fn date_of(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

fn duration(ms: u64, lang: Lang) -> String {
    let seconds = ms as f64 / 1000.0;
    let mut out = String::new();
    let _ = match lang {
        Lang::En if seconds >= 60.0 => write!(
            out,
            "{:.0} min {:.0} s",
            (seconds / 60.0).floor(),
            seconds % 60.0
        ),
        Lang::En => write!(out, "{seconds:.1} s"),
        Lang::ZhCn if seconds >= 60.0 => write!(
            out,
            "{:.0} 分 {:.0} 秒",
            (seconds / 60.0).floor(),
            seconds % 60.0
        ),
        Lang::ZhCn => write!(out, "{seconds:.1} 秒"),
    };
    out
}

fn bytes(size: u64, lang: Lang) -> String {
    let mib = size as f64 / (1024.0 * 1024.0);
    match lang {
        Lang::En => format!("{mib:.1} MiB ({size} bytes)"),
        Lang::ZhCn => format!("{mib:.1} MiB（{size} 字节）"),
    }
}
