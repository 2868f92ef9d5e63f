//! The fleet's delivery record: one page that lists every cluster of a
//! fleet run and links each cluster's own `report.html` (relative links,
//! so the fleet directory can be copied whole to a USB stick).

use smtx_i18n::Lang;

use super::html::Page;
use super::words::Word;

/// One cluster of the fleet, as the front end words its outcome.
#[derive(Debug, Clone)]
pub struct FleetRow {
    pub workbook: String,
    pub cluster: Option<String>,
    /// The outcome in the page's language (`成功`, `bad input`, …).
    pub status: String,
    /// Whether the outcome is a success (coloured so).
    pub ok: bool,
    /// The cluster's run directory, relative to the fleet's page, when it
    /// wrote a record.
    pub run_dir: Option<String>,
}

/// The fleet's page in `lang`.
pub fn render_fleet(rows: &[FleetRow], when: &str, lang: Lang) -> String {
    let mut page = Page::start(Word::FleetTitle.text(lang), lang);
    page.raw("</style></head><body><main><section class=\"part\"><h1>")
        .word(Word::FleetTitle, lang)
        .raw("</h1><p class=\"muted\">")
        .text(when)
        .raw("</p><table>");
    page.head(
        &[Word::Workbook, Word::Cluster, Word::Result, Word::Title],
        lang,
    );
    page.raw("<tbody>");
    for row in rows {
        page.raw("<tr>");
        page.cell(&row.workbook);
        page.cell(row.cluster.as_deref().unwrap_or("—"));
        page.raw(if row.ok {
            "<td class=\"ok\">"
        } else {
            "<td class=\"failed\">"
        })
        .text(&row.status)
        .raw("</td><td>");
        match &row.run_dir {
            Some(dir) => {
                page.raw("<a href=\"")
                    .text(&href_of(dir))
                    .raw("/report.html\">")
                    .text(dir)
                    .raw("/report.html</a>");
            }
            None => {
                page.raw("—");
            }
        }
        page.raw("</td></tr>");
    }
    page.raw("</tbody></table></section></main></body></html>\n");
    page.finish()
}

/// A relative path as a link: each byte outside the unreserved set (and
/// `/`) percent-encoded, so a name with spaces, `#` or `?` links right and
/// no scheme (`javascript:`) can be formed.
fn href_of(path: &str) -> String {
    let mut out = String::from("./");
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cluster_is_listed_and_linked_and_escaped() {
        let rows = [
            FleetRow {
                workbook: "北京 01.xlsx".into(),
                cluster: Some("CN-BJ-01".into()),
                status: "成功".into(),
                ok: true,
                run_dir: Some("北京 01".into()),
            },
            FleetRow {
                workbook: "<b>x</b>.xlsx".into(),
                cluster: None,
                status: "输入有误".into(),
                ok: false,
                run_dir: Some("javascript:alert(1)#".into()),
            },
        ];
        let page = render_fleet(&rows, "2026-12-07T02:00:00Z", Lang::ZhCn);
        assert!(page.contains("CN-BJ-01") && page.contains("集群交付记录汇总"));
        assert!(
            page.contains("href=\"./%E5%8C%97%E4%BA%AC%2001/report.html\""),
            "{page}"
        );
        assert!(
            page.contains("href=\"./javascript%3Aalert%281%29%23/report.html\""),
            "{page}"
        );
        assert!(!page.contains("<b>"), "{page}");
    }
}
