// View 3: one run, live over Server-Sent Events; Abort and Resume.

import { ApiError, api, errorBox, withToken } from "./api.js";
import { clear, confirmAction, formatDuration, formatStage, formatTime, h, mib, statusBadge, visible } from "./dom.js";
import { lang, msg, t } from "./i18n.js";
import { onLeave, route, routeGen } from "./router.js";


export const ACTIVE = new Set(["queued", "running"]);
const RESUMABLE = new Set(["interrupted", "failed", "aborted"]);

export function targetText(run) {
  const kind = run.target === "rehearsal" ? t("target.kind.rehearsal") : run.target === "cluster" ? t("target.kind.cluster") : String(run.target ?? "");
  return run.dry_run ? `${kind} · ${t("target.kind.dry")}` : kind;
}

export function summaryText(summary, empty = t("common.none")) {
  if (!summary) return empty;
  const parts = [];
  for (const [key, label] of [
    ["ok", "summary.ok"],
    ["warnings", "summary.warnings"],
    ["skipped", "summary.skipped"],
    ["failed", "summary.failed"],
    ["aborted", "summary.aborted"],
  ]) {
    if (summary[key]) parts.push(t(label, { n: summary[key] }));
  }
  // The CLI's shape: "成功 35 项，警告 2 项" / "35 ok, 2 warnings".
  return parts.length ? parts.join(t("summary.separator")) : empty;
}

function fileLabel(name) {
  if (name === "report.json") return t("file.report");
  if (name === "context.json") return t("file.context");
  if (name === "workbook.xlsx") return t("file.workbook");
  if (name.startsWith("logs/")) return t("file.log", { name: name.slice(5) });
  return name;
}

function fileHref(runId, name) {
  const path = name.split("/").map(encodeURIComponent).join("/");
  return withToken(`/api/runs/${encodeURIComponent(runId)}/files/${path}`);
}

/** One stage-log line (a JSON object) as a short readable line. */
function logText(line) {
  let record;
  try {
    record = JSON.parse(line);
  } catch (_) {
    return line;
  }
  if (!record || typeof record !== "object") return line;
  const time = typeof record.timestamp === "string" ? record.timestamp.replace(/^.*T/, "").replace(/\.\d+/, "").replace(/Z$/, "") : "";
  const skip = new Set(["timestamp", "level", "target", "message", "threadId", "threadName"]);
  const fields = Object.entries(record)
    .filter(([key, value]) => !skip.has(key) && value !== null && value !== "")
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return [time, record.level ?? "", record.message ?? "", ...fields].filter(Boolean).join("  ");
}

/** The detail cell: what was done or why not, the error if it says more, the hint. */
function stepDetail(step) {
  const detail = visible(msg(step.detail));
  const error = visible(msg(step.error));
  const hint = visible(msg(step.hint));
  return h(
    "td",
    { class: "detail" },
    detail,
    error && error !== detail ? h("div", { class: "step-error", text: error }) : null,
    hint ? h("div", { class: "step-hint", text: t("run.hint", { hint }) }) : null,
  );
}

function stepKey(step) {
  return `${step.stage}|${step.step}|${step.subject ?? ""}`;
}

export async function renderRun(root, id) {
  const mine = routeGen;
  let run;
  root.append(h("p", { class: "muted", text: t("common.loading") }));
  try {
    run = await api(`/api/runs/${encodeURIComponent(id)}`);
  } catch (error) {
    if (mine !== routeGen) return;
    clear(root);
    root.append(errorBox(error, route));
    return;
  }
  if (mine !== routeGen) return;
  clear(root);
  let left = false;
  onLeave(() => {
    left = true;
  });

  // --- header
  const statusSlot = h("span", { id: "run-status-slot" });
  const setStatus = (status) => {
    run.status = status;
    clear(statusSlot);
    statusSlot.append(statusBadge(status, { id: "run-status" }));
    abortButton.hidden = !ACTIVE.has(status);
    // A run resumed already is not offered again: its resume is.
    resumeButton.hidden = !RESUMABLE.has(status) || Boolean(run.resumed_by);
    // Said before it is pressed: a rehearsal's simulated cluster does not
    // outlive its run, so its resume starts on a new one.
    resumeNote.hidden = resumeButton.hidden || run.target !== "rehearsal";
    liveTag.hidden = !ACTIVE.has(status);
  };
  const abortButton = h("button", { id: "abort-run", class: "btn danger", type: "button", text: t("run.abort") });
  const resumeButton = h("button", { id: "resume-run", class: "btn primary", type: "button", text: t("run.resume") });
  const resumeNote = h("p", { id: "resume-note", class: "muted small", hidden: true, text: t("run.resume.rehearsal") });
  const liveTag = h("span", { class: "live", id: "live-tag" }, h("span", { class: "live-dot" }), t("run.live"));
  const connection = h("div", { class: "alert alert-warning", id: "connection-lost", hidden: true, text: t("run.reconnecting") });
  const durationValue = h("dd", { id: "run-duration", text: formatDuration(run.duration_ms) });
  const summaryValue = h("p", { id: "run-summary", class: "summary-line" });
  const runError = h("div", { class: "alert alert-error", id: "run-error", role: "alert", hidden: true });
  const showRunError = (error) => {
    const text = msg(error);
    runError.hidden = !text;
    runError.textContent = text;
  };
  const showSummary = (summary) => {
    summaryValue.hidden = !summary;
    summaryValue.textContent = summaryText(summary);
  };
  // Where this run came from and went, and the serial it read: facts a
  // team lead looks for first.
  const linksSlot = h("div", { class: "run-links", id: "run-links" });
  const runLink = (other) => h("a", { href: `#/runs/${encodeURIComponent(other)}`, class: "mono", text: other });
  const showLinks = (latest) => {
    clear(linksSlot);
    const serial = latest.summary?.serial;
    if (serial) linksSlot.append(h("span", { id: "run-serial" }, `${t("run.serial")} `, h("strong", { class: "mono", text: visible(serial) })));
    if (latest.scenario) linksSlot.append(h("span", { id: "run-scenario", text: t("run.scenario", { name: latest.scenario }) }));
    if (latest.from_run) linksSlot.append(h("span", { id: "run-from" }, `${t("run.resume_of")} `, runLink(latest.from_run)));
    if (latest.resumed_by) linksSlot.append(h("span", { id: "run-resumed-by" }, `${t("run.resumed_as")} `, runLink(latest.resumed_by)));
    linksSlot.hidden = !linksSlot.firstChild;
  };
  showSummary(run.summary);
  showRunError(run.error);
  showLinks(run);

  abortButton.addEventListener("click", async () => {
    const yes = await confirmAction(t("run.abort.title"), t("run.abort.text"), t("run.abort.ok"));
    if (!yes) return;
    abortButton.disabled = true;
    abortButton.textContent = t("run.aborting");
    try {
      await api(`/api/runs/${encodeURIComponent(id)}/abort`, { method: "POST" });
    } catch (error) {
      abortButton.disabled = false;
      abortButton.textContent = t("run.abort");
      connection.after(errorBox(error));
    }
  });
  resumeButton.addEventListener("click", () => resumeRun(id, resumeButton));

  const header = h(
    "section",
    { class: "card run-head" },
    h(
      "div",
      { class: "card-head" },
      h(
        "div",
        {},
        h("div", { class: "eyebrow", text: `${t("run.title")} ${run.id}` }),
        h("h1", {}, h("span", { id: "run-cluster", text: visible(run.cluster ?? t("common.none")) }), " ", statusSlot, " ", liveTag),
      ),
      h("div", { class: "actions" }, resumeButton, abortButton),
    ),
    h(
      "dl",
      { class: "facts" },
      h("div", { class: "fact" }, h("dt", { text: t("run.target") }), h("dd", { id: "run-target", text: targetText(run) })),
      h("div", { class: "fact" }, h("dt", { text: t("run.started") }), h("dd", { text: formatTime(run.started_at) })),
      h("div", { class: "fact" }, h("dt", { text: t("run.duration") }), durationValue),
      run.run_by
        ? h("div", { class: "fact" }, h("dt", { text: t("run.run_by") }), h("dd", { id: "run-by", text: visible(run.run_by) }))
        : null,
      run.aborted_by
        ? h("div", { class: "fact" }, h("dt", { text: t("run.aborted_by") }), h("dd", { id: "run-aborted-by", text: visible(run.aborted_by) }))
        : null,
    ),
    summaryValue,
    linksSlot,
    resumeNote,
    runError,
  );

  // --- transfer
  const bar = h("div", { class: "progress-fill", id: "transfer-bar" });
  const percent = h("span", { class: "progress-percent", id: "transfer-percent", text: "0%" });
  const transferFile = h("span", { class: "mono", id: "transfer-file" });
  const transferStats = h("span", { class: "muted", id: "transfer-stats" });
  const progress = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0" }, bar);
  const transferCard = h(
    "section",
    { class: "card", id: "transfer", hidden: true },
    h("div", { class: "transfer-head" }, h("h2", { text: t("run.upload") }), transferFile),
    h("div", { class: "progress-row" }, progress, percent),
    transferStats,
  );
  const showTransfer = (transfer) => {
    if (!transfer || !transfer.bytes_total) return;
    transferCard.hidden = false;
    const pct = Math.min(100, Math.floor((transfer.bytes_done * 100) / transfer.bytes_total));
    bar.style.width = `${pct}%`;
    progress.setAttribute("aria-valuenow", String(pct));
    percent.textContent = `${pct}%`;
    transferFile.textContent = transfer.file ?? "";
    const done = transfer.bytes_done >= transfer.bytes_total;
    const speed = transfer.bytes_per_sec ? `${mib(transfer.bytes_per_sec).toFixed(1)} MiB/s` : "";
    const eta = done ? t("run.upload.done") : transfer.eta_secs != null ? t("run.upload.eta", { eta: formatDuration(transfer.eta_secs * 1000) }) : "";
    transferStats.textContent = [`${mib(transfer.bytes_done).toFixed(1)} / ${mib(transfer.bytes_total).toFixed(1)} MiB`, speed, eta].filter(Boolean).join(" · ");
    transferCard.classList.toggle("done", done);
  };

  // --- steps
  const stepsBody = h("tbody", { id: "steps-body" });
  const stepsEmpty = h("p", { class: "muted", id: "steps-empty", text: t("run.steps.none") });
  const stepRows = new Map();
  const stepRow = (step) =>
    h(
      "tr",
      { class: `step-row step-${step.status}`, dataset: { status: step.status, step: step.step, stage: step.stage } },
      h("td", { text: visible(msg(step.label) || step.step) }),
      h("td", {}, statusBadge(step.status)),
      stepDetail(step),
      h("td", { class: "num nowrap", text: step.duration_ms != null ? formatDuration(step.duration_ms) : "" }),
    );
  const addStep = (step, started) => {
    stepsEmpty.hidden = true;
    const key = stepKey(step);
    const row = stepRow(started ? { ...step, status: "running" } : step);
    const previous = stepRows.get(key);
    if (previous && previous.dataset.status === "running") {
      previous.replaceWith(row);
    } else {
      // Steps come stage by stage: a heading row where a stage begins.
      if (step.stage !== lastStage) {
        lastStage = step.stage;
        stepsBody.append(h("tr", { class: "stage-row" }, h("td", { colspan: "4", text: formatStage(step.stage) })));
      }
      stepsBody.append(row);
    }
    stepRows.set(key, row);
  };
  let lastStage = null;
  const resetSteps = (steps) => {
    clear(stepsBody);
    stepRows.clear();
    lastStage = null;
    stepsEmpty.hidden = steps.length > 0;
    for (const step of steps) addStep(step, false);
  };
  const stepsCard = h(
    "section",
    { class: "card" },
    h("h2", { text: t("run.steps") }),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { id: "steps-table", class: "steps" },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { text: t("run.col.step") }), h("th", { text: t("run.col.status") }), h("th", { text: t("run.col.detail") }), h("th", { class: "num", text: t("run.col.time") })),
        ),
        stepsBody,
      ),
    ),
    stepsEmpty,
  );

  // --- log
  const logPre = h("pre", { class: "log", id: "stage-log" });
  const logCount = h("span", { class: "muted", id: "log-count" });
  let logLines = 0;
  const addLog = (entry) => {
    logLines += 1;
    const stick = logPre.scrollTop + logPre.clientHeight >= logPre.scrollHeight - 4;
    logPre.append(h("span", { class: "log-line" }, h("span", { class: "log-stage", text: entry.stage ?? "" }), visible(logText(entry.line ?? ""))), "\n");
    if (stick) logPre.scrollTop = logPre.scrollHeight;
    logCount.textContent = t("run.log.lines", { n: logLines });
  };
  const resetLog = () => {
    clear(logPre);
    logLines = 0;
    logCount.textContent = t("run.log.lines", { n: 0 });
  };
  const logCard = h("details", { class: "card log-card", id: "log-panel" }, h("summary", {}, h("strong", { text: t("run.log") }), " ", logCount), logPre);

  // --- downloads
  const downloadsList = h("ul", { class: "downloads", id: "downloads" });
  const showFiles = (files, delivery) => {
    clear(downloadsList);
    // The delivery record opens as a page of its own (printable), in the
    // page's language.
    if (delivery) {
      const href = withToken(`/api/runs/${encodeURIComponent(id)}/report.html?lang=${encodeURIComponent(lang)}`);
      downloadsList.append(
        h("li", {}, h("a", { href, target: "_blank", rel: "noopener noreferrer", id: "delivery-report" }, h("span", { class: "file-icon", "aria-hidden": "true", text: "▤" }), t("run.delivery_report"))),
      );
    }
    if (!files || files.length === 0) {
      if (!delivery) downloadsList.append(h("li", { class: "muted", text: t("run.downloads.none") }));
      return;
    }
    for (const name of files) {
      const base = name.split("/").pop();
      downloadsList.append(
        h(
          "li",
          {},
          h("a", { href: fileHref(id, name), download: base, dataset: { file: name }, id: name === "report.json" ? "download-report" : null }, h("span", { class: "file-icon", "aria-hidden": "true", text: "⤓" }), fileLabel(name)),
        ),
      );
    }
  };
  const downloadsCard = h("section", { class: "card" }, h("h2", { text: t("run.downloads") }), downloadsList);

  root.append(header, connection, transferCard, stepsCard, h("div", { class: "grid-side" }, downloadsCard, logCard));
  setStatus(run.status);
  resetSteps(run.steps ?? []);
  showTransfer(run.transfer);
  showFiles(run.files, run.delivery_report);
  resetLog();

  // --- live events. A fresh EventSource after a drop (not the browser's own
  // retry) so the replay always starts from the first event and the page
  // rebuilds from it: no duplicate, no gap.
  let source = null;
  let ended = false;
  let retryTimer = null;
  const refresh = async () => {
    try {
      const latest = await api(`/api/runs/${encodeURIComponent(id)}`);
      if (left) return;
      run = latest;
      setStatus(latest.status);
      durationValue.textContent = formatDuration(latest.duration_ms);
      showSummary(latest.summary);
      showRunError(latest.error);
      showLinks(latest);
      // The server's list is the record. Once the run has ended it replaces
      // the live one whatever it holds: a step the events saw start but
      // never end (an interrupted run's, a dry run's per-host start) is not
      // left "running" forever. While it runs, it replaces it unless it
      // somehow knows fewer steps than the events brought.
      if (!ACTIVE.has(latest.status) || (latest.steps ?? []).length >= stepRows.size) resetSteps(latest.steps ?? []);
      showTransfer(latest.transfer);
      showFiles(latest.files, latest.delivery_report);
    } catch (_) {
      // The live view stays as the events left it.
    }
  };
  const connect = () => {
    source = new EventSource(withToken(`/api/runs/${encodeURIComponent(id)}/events`));
    let first = true;
    const resetOnReplay = () => {
      if (!first) return;
      first = false;
      resetSteps([]);
      resetLog();
      connection.hidden = true;
    };
    source.addEventListener("open", () => {
      connection.hidden = true;
    });
    source.addEventListener("step_started", (event) => {
      resetOnReplay();
      addStep(JSON.parse(event.data), true);
    });
    source.addEventListener("step", (event) => {
      resetOnReplay();
      addStep(JSON.parse(event.data), false);
    });
    source.addEventListener("transfer", (event) => {
      resetOnReplay();
      showTransfer(JSON.parse(event.data));
    });
    source.addEventListener("log", (event) => {
      resetOnReplay();
      addLog(JSON.parse(event.data));
    });
    source.addEventListener("status", (event) => {
      resetOnReplay();
      setStatus(JSON.parse(event.data).status);
    });
    source.addEventListener("end", (event) => {
      resetOnReplay();
      ended = true;
      source.close();
      const data = JSON.parse(event.data);
      setStatus(data.status);
      showSummary(data.summary);
      // The finished run's files, duration and authoritative step list.
      refresh();
    });
    source.addEventListener("error", () => {
      if (ended || left) return;
      source.close();
      connection.hidden = false;
      retryTimer = setTimeout(() => {
        if (!left && !ended) connect();
      }, 2000);
    });
  };
  connect();
  // Duration ticks while running; files appear as they are written.
  const ticker = setInterval(() => {
    if (!ACTIVE.has(run.status) || !run.started_at) return;
    const started = new Date(run.started_at).getTime();
    if (!Number.isNaN(started)) durationValue.textContent = formatDuration(Date.now() - started);
  }, 1000);
  onLeave(() => {
    if (source) source.close();
    clearTimeout(retryTimer);
    clearInterval(ticker);
  });
}

export async function resumeRun(id, button) {
  button.disabled = true;
  try {
    const next = await api(`/api/runs/${encodeURIComponent(id)}/resume`, { method: "POST" });
    location.hash = `#/runs/${encodeURIComponent(next.id)}`;
  } catch (error) {
    if (error instanceof ApiError && error.code === "target_required") {
      location.hash = `#/runs/${encodeURIComponent(id)}/resume`;
      return;
    }
    button.disabled = false;
    button.after(errorBox(error));
  }
}
