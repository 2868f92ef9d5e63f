// View 4: the run list, fleets grouped.

import { api, errorBox } from "./api.js";
import { clear, formatDuration, formatTime, h, mib, statusBadge, visible } from "./dom.js";
import { t } from "./i18n.js";
import { onLeave } from "./router.js";
import { ACTIVE, resumeRun, summaryText, targetText } from "./run-page.js";


export function renderRunList(root) {
  const body = h("div", { id: "runs" }, h("p", { class: "muted", text: t("common.loading") }));
  // What the history takes on the server, and how long it is kept.
  const storage = h("p", { id: "storage", class: "muted small", hidden: true });
  api("/api/storage")
    .then((info) => {
      const size = info.bytes >= 1024 ** 3 ? `${(info.bytes / 1024 ** 3).toFixed(1)} GiB` : `${mib(info.bytes).toFixed(1)} MiB`;
      storage.textContent = info.keep_runs
        ? t("runs.storage.runs", { size, days: info.keep_days, runs: info.keep_runs })
        : t("runs.storage", { size, days: info.keep_days });
      storage.hidden = false;
    })
    .catch(() => {
      // The list works without it.
    });
  root.append(h("section", { class: "card" }, h("h1", { text: t("runs.title") }), storage, body));
  let left = false;
  let timer = null;
  const load = async () => {
    let runs;
    try {
      runs = await api("/api/runs");
    } catch (error) {
      if (left) return;
      clear(body);
      body.append(errorBox(error, load));
      return;
    }
    if (left) return;
    clear(body);
    if (!runs || runs.length === 0) {
      body.append(h("p", { class: "muted", text: t("runs.none") }));
    } else {
      body.append(runTable(runs));
      // The API answers the newest 100: say so when there may be more.
      if (runs.length >= 100) body.append(h("p", { class: "muted small", id: "runs-cut", text: t("runs.newest", { n: runs.length }) }));
    }
    // Poll only while something is still moving.
    if (runs?.some((run) => ACTIVE.has(run.status))) timer = setTimeout(load, 2000);
  };
  onLeave(() => {
    left = true;
    clearTimeout(timer);
  });
  load();
}

function runTable(runs) {
  const rows = [];
  const seenFleets = new Set();
  const runRow = (run, inFleet) => {
    const open = () => (location.hash = `#/runs/${encodeURIComponent(run.id)}`);
    // The server says what may be resumed: interrupted, failed and aborted
    // runs, unless resumed already (then the resume is linked instead).
    const resume = run.resumable
      ? h("button", {
        class: "btn small primary",
        type: "button",
        text: t("runs.resume"),
        onclick: (event) => {
          event.stopPropagation();
          resumeRun(run.id, event.currentTarget);
        },
      })
      : null;
    return h(
      "tr",
      { class: `clickable run-row ${inFleet ? "in-fleet" : ""}`, dataset: { run: run.id, status: run.status }, onclick: open },
      h("td", {}, statusBadge(run.status)),
      h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(run.id)}`, text: visible(run.cluster ?? run.id) })),
      h("td", {}, targetText(run), run.scenario ? h("div", { class: "muted small", text: t("run.scenario", { name: run.scenario }) }) : null),
      h(
        "td",
        { class: "run-outcome" },
        summaryText(run.summary, ""),
        run.summary?.serial ? h("div", { class: "mono small", text: `${t("run.serial")} ${visible(run.summary.serial)}` }) : null,
        run.from_run ? h("div", { class: "small" }, `${t("run.resume_of")} `, h("a", { href: `#/runs/${encodeURIComponent(run.from_run)}`, class: "mono", onclick: (event) => event.stopPropagation(), text: run.from_run })) : null,
        run.resumed_by ? h("div", { class: "small" }, `${t("run.resumed_as")} `, h("a", { href: `#/runs/${encodeURIComponent(run.resumed_by)}`, class: "mono", onclick: (event) => event.stopPropagation(), text: run.resumed_by })) : null,
      ),
      h("td", { class: "nowrap", text: formatTime(run.started_at) }),
      h("td", { class: "run-by", text: visible(run.run_by ?? "") }),
      h("td", { class: "num nowrap", text: formatDuration(run.duration_ms) }),
      h("td", { class: "actions-cell" }, resume),
    );
  };
  for (const run of runs) {
    if (run.fleet_id) {
      if (seenFleets.has(run.fleet_id)) continue;
      seenFleets.add(run.fleet_id);
      const members = runs.filter((other) => other.fleet_id === run.fleet_id);
      rows.push(h("tr", { class: "fleet-row" }, h("td", { colspan: "8", text: t("runs.fleet", { id: run.fleet_id, n: members.length }) })));
      for (const member of members) rows.push(runRow(member, true));
    } else {
      rows.push(runRow(run, false));
    }
  }
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id: "runs-table" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", { text: t("runs.col.status") }), h("th", { text: t("runs.col.cluster") }), h("th", { text: t("runs.col.target") }), h("th", { text: t("runs.col.outcome") }), h("th", { text: t("runs.col.started") }), h("th", { text: t("runs.col.run_by") }), h("th", { class: "num", text: t("runs.col.duration") }), h("th", {})),
      ),
      h("tbody", {}, rows),
    ),
  );
}
