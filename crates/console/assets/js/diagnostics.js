// A plan's diagnostics (a workbook's, or a refused target's): the table.

import { h, severityBadge, visible } from "./dom.js";
import { msg, t } from "./i18n.js";

export function diagnosticsCard(diagnostics) {
  const card = h("section", { class: "card", id: "diagnostics" }, h("h2", { text: `${t("plan.diag.title")} (${diagnostics.length})` }));
  if (diagnostics.length === 0) {
    card.append(h("div", { class: "alert alert-ok", text: t("plan.diag.none") }));
    return card;
  }
  card.append(
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "diagnostics-table" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { text: t("plan.diag.cell") }), h("th", { text: t("plan.diag.field") }), h("th", { text: t("plan.diag.severity") }), h("th", { text: t("plan.diag.message") })),
        ),
        h(
          "tbody",
          {},
          diagnostics.map((d) =>
            h(
              "tr",
              { class: `diag diag-${d.severity === "error" ? "error" : "warning"}` },
              h("td", { class: "mono nowrap", text: d.cell ?? t("common.none") }),
              h("td", { text: d.field ?? t("common.none") }),
              h("td", {}, severityBadge(d.severity)),
              h("td", { text: visible(msg(d.message)) }),
            ),
          ),
        ),
      ),
    ),
  );
  return card;
}
