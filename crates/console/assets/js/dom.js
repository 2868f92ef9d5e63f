// Building the page as text (textContent, never innerHTML: a crafted cell must
// not become markup), the badges and formats every view shares, the confirm
// dialog.

import { lang, t } from "./i18n.js";
import { STRINGS } from "./strings.js";

// ---------------------------------------------------------------------------
// DOM helpers: text only.

/**
 * Build an element. `attrs` sets properties/attributes (never innerHTML);
 * children are nodes or strings (strings become text nodes).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "disabled") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * A sentence whose `quoted` words are commands: those as <code>, the rest
 * as text (the strings keep the backticks so both languages mark the same
 * words; a reader should never see them).
 */
export function prose(text) {
  return String(text)
    .split(/`([^`]+)`/)
    .map((part, index) => (index % 2 ? h("code", { text: part }) : part));
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// Characters a reader cannot see: controls, bidirectional controls (U+202E
// shows "…evil" as "…live") and invisible ones. The same ranges as
// `plan check` warns about (crates/plan/src/hidden.rs; a console test
// compares the two).
const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F-\u1160\u17B4-\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E0FFF}]/gu;

/** A name (or a message quoting one) with its hidden characters written out as ⟨U+202E⟩. */
export function visible(text) {
  return String(text).replace(HIDDEN, (c) => `⟨U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

const STATUS_ICON = {
  ok: "✓",
  warning: "!",
  failed: "✕",
  aborted: "■",
  interrupted: "‖",
  skipped: "–",
  running: "●",
  queued: "○",
  planned: "○",
};

export function statusBadge(status, extra = {}) {
  const known = STRINGS.en[`status.${status}`] !== undefined;
  return h(
    "span",
    { class: `badge status-${known ? status : "other"}`, dataset: { status }, ...extra },
    h("span", { class: "badge-icon", "aria-hidden": "true", text: STATUS_ICON[status] ?? "•" }),
    known ? t(`status.${status}`) : status,
  );
}

export function severityBadge(severity) {
  const key = severity === "error" ? "error" : "warning";
  return h("span", { class: `badge severity-${key}` }, t(`severity.${key}`));
}

export function formatDuration(ms) {
  if (ms == null) return t("common.none");
  if (ms < 1000) return t("duration.ms", { n: Math.round(ms) });
  const total = Math.round(ms / 1000);
  if (total < 60) return t("duration.s", { s: (ms / 1000).toFixed(ms < 10000 ? 1 : 0) });
  const h_ = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h_ > 0 ? t("duration.h", { h: h_, m }) : t("duration.m", { m, s });
}

export function formatTime(rfc3339) {
  if (!rfc3339) return t("common.none");
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "medium" });
}

export function formatStage(stage) {
  return STRINGS.en[`stage.${stage}`] !== undefined ? t(`stage.${stage}`) : stage;
}

export function mib(bytes) {
  return bytes / (1024 * 1024);
}

// ---------------------------------------------------------------------------
// Confirm dialog (in page: looks like the rest, and a WebDriver test clicks it).

export function confirmAction(title, text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  document.getElementById("confirm-ok").textContent = okLabel;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.returnValue = "cancel";
    dialog.showModal();
  });
}

export function field(labelText, control, help) {
  return h("label", { class: "field" }, h("span", { class: "field-label", text: labelText }), control, help ? h("span", { class: "field-help", text: help }) : null);
}

export function lines(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}
