// View 1: upload a workbook, the recent plans.

import { api, errorBox } from "./api.js";
import { clear, h, prose, visible } from "./dom.js";
import { t } from "./i18n.js";
import { planCache } from "./plans.js";


export function renderUpload(root) {
  const status = h("div", { class: "upload-status", id: "upload-status" });
  const input = h("input", {
    id: "workbook-input",
    type: "file",
    accept: ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    class: "visually-hidden",
  });
  const drop = h(
    "label",
    { class: "dropzone", for: "workbook-input", id: "dropzone" },
    h("span", { class: "dropzone-icon", "aria-hidden": "true", text: "⬆" }),
    h("strong", { text: t("upload.drop") }),
    h("span", { class: "muted", text: t("upload.or") }),
    h("span", { class: "btn primary", text: t("upload.choose") }),
    input,
  );
  const upload = async (file) => {
    if (!file) return;
    clear(status);
    if (!file.name.toLowerCase().endsWith(".xlsx")) {
      status.append(errorBox(t("upload.not_xlsx")));
      return;
    }
    status.append(h("div", { class: "alert alert-info" }, h("span", { class: "spinner" }), t("upload.busy", { name: visible(file.name) })));
    const form = new FormData();
    form.append("workbook", file, file.name);
    form.append("name", file.name);
    try {
      const plan = await api("/api/plans", { method: "POST", body: form });
      planCache.set(plan.id, plan);
      location.hash = `#/plans/${encodeURIComponent(plan.id)}`;
    } catch (error) {
      clear(status);
      status.append(errorBox(error));
    }
  };
  input.addEventListener("change", () => upload(input.files[0]));
  for (const kind of ["dragenter", "dragover"]) {
    drop.addEventListener(kind, (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  }
  for (const kind of ["dragleave", "drop"]) {
    drop.addEventListener(kind, () => drop.classList.remove("dragging"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    upload(event.dataTransfer.files[0]);
  });

  const recent = h("section", { class: "card" }, h("h2", { text: t("upload.recent") }), h("p", { class: "muted", text: t("common.loading") }));
  root.append(
    h("section", { class: "hero" }, h("h1", { text: t("upload.title") }), h("p", { class: "lead" }, prose(t("upload.lead")))),
    h("section", { class: "card" }, drop, status),
    recent,
  );
  api("/api/plans")
    .then((plans) => {
      clear(recent);
      recent.append(h("h2", { text: t("upload.recent") }));
      if (!plans || plans.length === 0) {
        recent.append(h("p", { class: "muted", text: t("upload.none") }));
        return;
      }
      const rows = plans.slice(0, 10).map((plan) =>
        h(
          "tr",
          { class: "clickable", onclick: () => (location.hash = `#/plans/${encodeURIComponent(plan.id)}`) },
          h("td", {}, h("a", { href: `#/plans/${encodeURIComponent(plan.id)}`, text: visible(plan.name || plan.id) })),
          h("td", { text: visible(plan.cluster?.name ?? t("common.none")) }),
          h("td", {}, problemCounts(plan.summary)),
        ),
      );
      recent.append(
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", { text: t("plans.col.name") }), h("th", { text: t("plans.col.cluster") }), h("th", { text: t("plans.col.problems") }))),
            h("tbody", {}, rows),
          ),
        ),
      );
    })
    .catch((error) => {
      clear(recent);
      recent.append(h("h2", { text: t("upload.recent") }), errorBox(error));
    });
}

function problemCounts(summary) {
  const errors = summary?.errors ?? 0;
  const warnings = summary?.warnings ?? 0;
  return h(
    "span",
    { class: "counts" },
    h("span", { class: `count ${errors ? "count-error" : "count-zero"}`, text: `${errors} ${t("plan.errors")}` }),
    h("span", { class: `count ${warnings ? "count-warning" : "count-zero"}`, text: `${warnings} ${t("plan.warnings")}` }),
  );
}
