// The console's page: routing, the views (upload, plan + target, run, run
// list), the live run over Server-Sent Events, the token prompt and both
// languages. Everything that comes from the server or a workbook is put in
// the page as text (textContent, never innerHTML): a crafted cell must not
// become markup.

// ---------------------------------------------------------------------------
// Strings: every page string, both languages, in one table.

const STRINGS = {
  en: {
    "brand.console": "Console",
    "nav.new": "New run",
    "nav.runs": "Runs",
    "footer.text": "smtx-deploy — the same engine as the command line",
    "lang.other": "中文",
    "common.cancel": "Cancel",
    "common.none": "—",
    "common.loading": "Loading…",
    "common.retry": "Retry",
    "token.title": "Access token",
    "token.help": "This console requires a token. It was printed when the console was started.",
    "token.label": "Token",
    "token.submit": "Continue",
    "token.wrong": "The token was not accepted.",
    "upload.title": "Start from a planning workbook",
    "upload.lead": "Upload the customer's planning workbook (规划设计表, .xlsx). It is checked exactly as `plan check` does; then rehearse it against the built-in simulator or configure the real cluster.",
    "upload.drop": "Drop the workbook here",
    "upload.or": "or",
    "upload.choose": "Choose a file…",
    "upload.busy": "Uploading and checking {name}…",
    "upload.not_xlsx": "Only .xlsx workbooks can be checked.",
    "upload.recent": "Recently uploaded",
    "upload.none": "No workbook uploaded yet.",
    "plans.col.name": "Workbook",
    "plans.col.cluster": "Cluster",
    "plans.col.problems": "Problems",
    "plan.title": "Workbook",
    "plan.cluster": "Cluster",
    "plan.vip": "VIP",
    "plan.hosts": "Hosts",
    "plan.networks": "Business networks",
    "plan.errors": "Errors",
    "plan.warnings": "Warnings",
    "plan.hosts.title": "Hosts",
    "plan.host.name": "Host name",
    "plan.host.mgmt": "Management IP",
    "plan.host.bmc": "BMC IP",
    "plan.no_hosts": "No host could be read from the workbook.",
    "plan.diag.title": "Diagnostics",
    "plan.diag.none": "No problems found: the workbook is ready.",
    "plan.diag.cell": "Cell",
    "plan.diag.field": "Field",
    "plan.diag.severity": "Severity",
    "plan.diag.message": "Message",
    "plan.blocked": "This workbook has {n} error(s). Fix them in the workbook and upload it again before starting a run.",
    "plan.another": "Upload another workbook",
    "severity.error": "error",
    "severity.warning": "warning",
    "target.title": "Target",
    "target.rehearsal": "Rehearsal (built-in simulator)",
    "target.rehearsal.help": "A simulated cluster of this workbook, on this machine. Nothing is sent to the real addresses.",
    "target.real": "Real cluster",
    "target.real.help": "The cluster at the workbook's addresses, as `smtx-deploy run` would reach it.",
    "target.scenario": "Fault scenario",
    "target.scenario.none": "None — everything answers",
    "target.latency": "Latency per call (ms)",
    "target.api_base": "API base URL",
    "target.api_base.ph": "default: https://<first host's management IP>",
    "target.resolve": "HTTPS address overrides",
    "target.ssh_resolve": "SSH address overrides",
    "target.resolve.ph": "one per line: 10.0.20.11=192.168.1.5:443",
    "target.ca": "CA certificate (PEM)",
    "target.ca.ph": "-----BEGIN CERTIFICATE-----",
    "target.ca.file": "Read it from a file…",
    "target.insecure": "Do not verify the certificate (insecure)",
    "target.ssh_password": "SSH initial password (the deployment-time smartx password)",
    "target.iso": "VMTools ISO",
    "iso.none": "None chosen (a rehearsal uploads a generated stand-in)",
    "iso.from_dir": "from the console's ISO folder",
    "iso.upload": "Upload an ISO…",
    "iso.uploading": "Uploading {name}: {percent}%",
    "iso.uploaded": "{name} is on the console. SHA-256: {sha}",
    "iso.not_iso": "Only .iso files can be uploaded.",
    "target.stages": "Stages",
    "target.dry_run": "Dry run: list every call, send nothing",
    "target.start": "Start run",
    "target.start_rehearsal": "Start rehearsal",
    "target.starting": "Starting…",
    "runs.title": "Runs",
    "runs.none": "No run yet. Upload a workbook to start one.",
    "runs.col.status": "Status",
    "runs.col.cluster": "Cluster",
    "runs.col.target": "Target",
    "runs.col.started": "Started",
    "runs.col.duration": "Duration",
    "runs.fleet": "Fleet {id} — {n} cluster(s)",
    "runs.resume": "Resume",
    "target.kind.rehearsal": "Rehearsal",
    "target.kind.cluster": "Real cluster",
    "target.kind.dry": "dry run",
    "run.title": "Run",
    "run.cluster": "Cluster",
    "run.target": "Target",
    "run.started": "Started",
    "run.duration": "Duration",
    "run.abort": "Abort",
    "run.abort.title": "Abort this run?",
    "run.abort.text": "The run stops between two calls; the cluster is left consistent and the step under way is recorded as aborted. It can be resumed later.",
    "run.abort.ok": "Abort run",
    "run.aborting": "Aborting…",
    "run.resume": "Resume",
    "resume.banner": "Resuming run {id} ({cluster}): its settings held a password the console does not keep — enter the target again.",
    "resume.back": "Back to the run",
    "run.steps": "Steps",
    "run.steps.none": "Waiting for the first step…",
    "run.col.step": "Step",
    "run.col.status": "Status",
    "run.col.detail": "Detail",
    "run.col.time": "Time",
    "run.upload": "VMTools upload",
    "run.upload.eta": "{eta} left",
    "run.upload.done": "complete",
    "run.log": "Stage log",
    "run.log.lines": "{n} line(s)",
    "run.downloads": "Downloads",
    "run.downloads.none": "Files appear here when the run has written them.",
    "run.summary": "Summary",
    "run.hint": "hint: {hint}",
    "run.live": "live",
    "run.reconnecting": "connection lost — reconnecting…",
    "file.report": "Report (report.json)",
    "file.context": "Run context (context.json)",
    "file.workbook": "Workbook with the serial (workbook.xlsx)",
    "file.log": "Stage log: {name}",
    "summary.ok": "{n} ok",
    "summary.warnings": "{n} warning(s)",
    "summary.failed": "{n} failed",
    "summary.skipped": "{n} skipped",
    "summary.aborted": "{n} aborted",
    "status.queued": "queued",
    "status.running": "running",
    "status.ok": "ok",
    "status.warning": "warning",
    "status.failed": "failed",
    "status.aborted": "aborted",
    "status.interrupted": "interrupted",
    "status.skipped": "skipped",
    "status.planned": "planned",
    "stage.prepare": "prepare",
    "stage.config_cluster": "config_cluster",
    "duration.ms": "{n} ms",
    "duration.s": "{s} s",
    "duration.m": "{m} min {s} s",
    "duration.h": "{h} h {m} min",
    "error.network": "The console could not be reached: {reason}",
    "error.not_found": "Not found.",
    "error.http": "The console answered {status}.",
  },
  "zh-CN": {
    "brand.console": "控制台",
    "nav.new": "新建任务",
    "nav.runs": "任务列表",
    "footer.text": "smtx-deploy — 与命令行使用同一执行引擎",
    "lang.other": "English",
    "common.cancel": "取消",
    "common.none": "—",
    "common.loading": "加载中…",
    "common.retry": "重试",
    "token.title": "访问令牌",
    "token.help": "此控制台需要访问令牌，令牌在控制台启动时已打印。",
    "token.label": "令牌",
    "token.submit": "继续",
    "token.wrong": "令牌不正确。",
    "upload.title": "从规划设计表开始",
    "upload.lead": "上传客户的规划设计表（.xlsx）。检查方式与 `plan check` 完全相同；之后可在内置模拟器上演练，或配置真实集群。",
    "upload.drop": "将规划表拖放到此处",
    "upload.or": "或",
    "upload.choose": "选择文件…",
    "upload.busy": "正在上传并检查 {name}…",
    "upload.not_xlsx": "只能检查 .xlsx 格式的规划表。",
    "upload.recent": "最近上传",
    "upload.none": "尚未上传规划表。",
    "plans.col.name": "规划表",
    "plans.col.cluster": "集群",
    "plans.col.problems": "问题",
    "plan.title": "规划表",
    "plan.cluster": "集群",
    "plan.vip": "管理 VIP",
    "plan.hosts": "主机",
    "plan.networks": "业务网络",
    "plan.errors": "错误",
    "plan.warnings": "警告",
    "plan.hosts.title": "主机",
    "plan.host.name": "主机名",
    "plan.host.mgmt": "管理 IP",
    "plan.host.bmc": "带外 IP",
    "plan.no_hosts": "未能从规划表读出任何主机。",
    "plan.diag.title": "诊断",
    "plan.diag.none": "未发现问题：规划表可以使用。",
    "plan.diag.cell": "单元格",
    "plan.diag.field": "字段",
    "plan.diag.severity": "级别",
    "plan.diag.message": "说明",
    "plan.blocked": "此规划表有 {n} 个错误。请在规划表中修正后重新上传，然后再开始任务。",
    "plan.another": "上传其他规划表",
    "severity.error": "错误",
    "severity.warning": "警告",
    "target.title": "目标",
    "target.rehearsal": "演练（内置模拟器）",
    "target.rehearsal.help": "在本机模拟此规划表的集群，不会向真实地址发送任何请求。",
    "target.real": "真实集群",
    "target.real.help": "规划表中地址上的集群，访问方式与 `smtx-deploy run` 相同。",
    "target.scenario": "故障场景",
    "target.scenario.none": "无 — 一切正常应答",
    "target.latency": "每次调用延迟（毫秒）",
    "target.api_base": "API 地址",
    "target.api_base.ph": "默认：https://<第一台主机的管理 IP>",
    "target.resolve": "HTTPS 地址映射",
    "target.ssh_resolve": "SSH 地址映射",
    "target.resolve.ph": "每行一条：10.0.20.11=192.168.1.5:443",
    "target.ca": "CA 证书（PEM）",
    "target.ca.ph": "-----BEGIN CERTIFICATE-----",
    "target.ca.file": "从文件读取…",
    "target.insecure": "不校验证书（不安全）",
    "target.ssh_password": "SSH 初始密码（部署时的 smartx 密码）",
    "target.iso": "VMTools ISO",
    "iso.none": "未选择（演练时上传自动生成的替代 ISO）",
    "iso.from_dir": "来自控制台的 ISO 目录",
    "iso.upload": "上传 ISO…",
    "iso.uploading": "正在上传 {name}：{percent}%",
    "iso.uploaded": "{name} 已上传到控制台。SHA-256：{sha}",
    "iso.not_iso": "只能上传 .iso 文件。",
    "target.stages": "阶段",
    "target.dry_run": "试运行：列出所有调用，不发送任何请求",
    "target.start": "开始任务",
    "target.start_rehearsal": "开始演练",
    "target.starting": "正在启动…",
    "runs.title": "任务列表",
    "runs.none": "还没有任务。上传规划表即可开始。",
    "runs.col.status": "状态",
    "runs.col.cluster": "集群",
    "runs.col.target": "目标",
    "runs.col.started": "开始时间",
    "runs.col.duration": "耗时",
    "runs.fleet": "批量任务 {id} — {n} 个集群",
    "runs.resume": "继续",
    "target.kind.rehearsal": "演练",
    "target.kind.cluster": "真实集群",
    "target.kind.dry": "试运行",
    "run.title": "任务",
    "run.cluster": "集群",
    "run.target": "目标",
    "run.started": "开始时间",
    "run.duration": "耗时",
    "run.abort": "中止",
    "run.abort.title": "中止此任务？",
    "run.abort.text": "任务会在两次调用之间停止，集群保持一致状态，进行中的步骤记为已中止。之后可以继续执行。",
    "run.abort.ok": "中止任务",
    "run.aborting": "正在中止…",
    "run.resume": "继续执行",
    "resume.banner": "继续任务 {id}（{cluster}）：其设置含有控制台不保存的密码 — 请重新填写目标。",
    "resume.back": "返回任务",
    "run.steps": "步骤",
    "run.steps.none": "等待第一个步骤…",
    "run.col.step": "步骤",
    "run.col.status": "状态",
    "run.col.detail": "详情",
    "run.col.time": "耗时",
    "run.upload": "VMTools 上传",
    "run.upload.eta": "剩余 {eta}",
    "run.upload.done": "已完成",
    "run.log": "阶段日志",
    "run.log.lines": "{n} 行",
    "run.downloads": "下载",
    "run.downloads.none": "任务写出文件后会显示在这里。",
    "run.summary": "汇总",
    "run.hint": "提示：{hint}",
    "run.live": "实时",
    "run.reconnecting": "连接中断 — 正在重连…",
    "file.report": "报告（report.json）",
    "file.context": "运行上下文（context.json）",
    "file.workbook": "已回填序列号的规划表（workbook.xlsx）",
    "file.log": "阶段日志：{name}",
    "summary.ok": "{n} 成功",
    "summary.warnings": "{n} 警告",
    "summary.failed": "{n} 失败",
    "summary.skipped": "{n} 跳过",
    "summary.aborted": "{n} 中止",
    "status.queued": "排队中",
    "status.running": "运行中",
    "status.ok": "成功",
    "status.warning": "警告",
    "status.failed": "失败",
    "status.aborted": "已中止",
    "status.interrupted": "已中断",
    "status.skipped": "已跳过",
    "status.planned": "计划",
    "stage.prepare": "准备（prepare）",
    "stage.config_cluster": "集群配置（config_cluster）",
    "duration.ms": "{n} 毫秒",
    "duration.s": "{s} 秒",
    "duration.m": "{m} 分 {s} 秒",
    "duration.h": "{h} 小时 {m} 分",
    "error.network": "无法连接控制台：{reason}",
    "error.not_found": "未找到。",
    "error.http": "控制台返回 {status}。",
  },
};

const LANGS = ["en", "zh-CN"];
const LANG_KEY = "smtx.console.lang";
const TOKEN_KEY = "smtx.console.token";

function initialLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch (_) {
    // Storage can be disabled; the browser's language still decides.
  }
  const nav = (navigator.language || "en").toLowerCase();
  return nav.startsWith("zh") ? "zh-CN" : "en";
}

let lang = initialLang();

/** A page string in the current language, `{name}` filled from `args`. */
function t(key, args = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

/** A server message `{"en", "zh-CN"}` in the current language. */
function msg(message) {
  if (message == null) return "";
  if (typeof message === "string") return message;
  return message[lang] ?? message.en ?? "";
}

function setLang(next) {
  lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch (_) {
    // Not remembered, still switched.
  }
  applyStaticStrings();
  route();
}

function applyStaticStrings() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  const button = document.getElementById("lang-switch");
  button.textContent = t("lang.other");
  document.title = `smtx-deploy · ${t("brand.console")}`;
}

// ---------------------------------------------------------------------------
// DOM helpers: text only.

/**
 * Build an element. `attrs` sets properties/attributes (never innerHTML);
 * children are nodes or strings (strings become text nodes).
 */
function h(tag, attrs = {}, ...children) {
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

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

// Characters a reader cannot see: controls, bidirectional controls (U+202E
// shows "…evil" as "…live") and invisible ones. The same ranges as
// `plan check` warns about (crates/plan/src/hidden.rs; a console test
// compares the two).
const HIDDEN = /[\u0000-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F-\u1160\u17B4-\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF0-\uFFF8\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E0FFF}]/gu;

/** A name (or a message quoting one) with its hidden characters written out as ⟨U+202E⟩. */
function visible(text) {
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

function statusBadge(status, extra = {}) {
  const known = STRINGS.en[`status.${status}`] !== undefined;
  return h(
    "span",
    { class: `badge status-${known ? status : "other"}`, dataset: { status }, ...extra },
    h("span", { class: "badge-icon", "aria-hidden": "true", text: STATUS_ICON[status] ?? "•" }),
    known ? t(`status.${status}`) : status,
  );
}

function severityBadge(severity) {
  const key = severity === "error" ? "error" : "warning";
  return h("span", { class: `badge severity-${key}` }, t(`severity.${key}`));
}

function formatDuration(ms) {
  if (ms == null) return t("common.none");
  if (ms < 1000) return t("duration.ms", { n: Math.round(ms) });
  const total = Math.round(ms / 1000);
  if (total < 60) return t("duration.s", { s: (ms / 1000).toFixed(ms < 10000 ? 1 : 0) });
  const h_ = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h_ > 0 ? t("duration.h", { h: h_, m }) : t("duration.m", { m, s });
}

function formatTime(rfc3339) {
  if (!rfc3339) return t("common.none");
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return rfc3339;
  return date.toLocaleString(lang, { dateStyle: "medium", timeStyle: "medium" });
}

function formatStage(stage) {
  return STRINGS.en[`stage.${stage}`] !== undefined ? t(`stage.${stage}`) : stage;
}

function mib(bytes) {
  return bytes / (1024 * 1024);
}

// ---------------------------------------------------------------------------
// API: bearer token, errors in both languages.

function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (_) {
    return "";
  }
}

class ApiError extends Error {
  constructor(status, code, message, diagnostics) {
    super(typeof message === "string" ? message : message?.en ?? code);
    this.status = status;
    this.code = code;
    this.localized = message;
    this.diagnostics = diagnostics ?? [];
  }

  /** The message in the current language. */
  text() {
    return msg(this.localized) || this.message;
  }
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers ?? {});
  const bearer = token();
  if (bearer) headers.set("Authorization", `Bearer ${bearer}`);
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new ApiError(0, "network", t("error.network", { reason: error.message }));
  }
  if (response.status === 401) {
    // Asked once; the view is built again with the right token.
    askToken(true).then(route);
  }
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const error = body?.error;
    if (error) throw new ApiError(response.status, error.code, error.message, body.diagnostics);
    const fallback = response.status === 404 ? t("error.not_found") : t("error.http", { status: response.status });
    throw new ApiError(response.status, "http", fallback);
  }
  return body;
}

/** A URL the browser fetches itself (download, EventSource): the token rides in the query. */
function withToken(path) {
  const bearer = token();
  if (!bearer) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(bearer)}`;
}

// ---------------------------------------------------------------------------
// Token prompt: asked once, kept for the tab (sessionStorage).

let tokenPrompt = null;

function askToken(wrong) {
  if (tokenPrompt) return tokenPrompt;
  const dialog = document.getElementById("token-dialog");
  const form = document.getElementById("token-form");
  const input = document.getElementById("token-input");
  const error = document.getElementById("token-error");
  error.hidden = !wrong;
  error.textContent = t("token.wrong");
  input.value = "";
  tokenPrompt = new Promise((resolve) => {
    const submit = async (event) => {
      event.preventDefault();
      const value = input.value.trim();
      if (!value) return;
      try {
        sessionStorage.setItem(TOKEN_KEY, value);
      } catch (_) {
        // Without storage the token lasts only as long as the page.
      }
      const session = await fetch("/api/session", { headers: { Authorization: `Bearer ${value}` } })
        .then((r) => r.json())
        .catch(() => null);
      if (session && session.ok) {
        form.removeEventListener("submit", submit);
        dialog.close();
        tokenPrompt = null;
        resolve();
      } else {
        error.hidden = false;
        input.select();
      }
    };
    form.addEventListener("submit", submit);
    dialog.addEventListener("cancel", (event) => event.preventDefault());
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return tokenPrompt;
}

async function ensureSession() {
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  const session = await fetch("/api/session", { headers })
    .then((r) => r.json())
    .catch(() => null);
  if (session && session.auth_required && !session.ok) {
    await askToken(Boolean(token()));
  }
}

// ---------------------------------------------------------------------------
// Confirm dialog (in page: looks like the rest, and a WebDriver test clicks it).

function confirmAction(title, text, okLabel) {
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

// ---------------------------------------------------------------------------
// Routing: #/ upload, #/plans/ID, #/runs, #/runs/ID.

const view = () => document.getElementById("view");
let teardown = [];
// Bumped on every navigation: a view whose data arrives after the user moved
// on must not draw over the new one.
let routeGen = 0;

function onLeave(fn) {
  teardown.push(fn);
}

function route() {
  for (const fn of teardown) fn();
  teardown = [];
  routeGen += 1;
  const hash = location.hash.replace(/^#/, "") || "/";
  const parts = hash.split("/").filter(Boolean).map(decodeURIComponent);
  for (const link of document.querySelectorAll(".topnav a")) link.classList.remove("active");
  const root = view();
  clear(root);
  if (parts[0] === "runs" && parts[1] && parts[2] === "resume") {
    document.getElementById("nav-runs").classList.add("active");
    renderResume(root, parts[1]);
  } else if (parts[0] === "runs" && parts[1]) {
    document.getElementById("nav-runs").classList.add("active");
    renderRun(root, parts[1]);
  } else if (parts[0] === "runs") {
    document.getElementById("nav-runs").classList.add("active");
    renderRunList(root);
  } else if (parts[0] === "plans" && parts[1]) {
    document.getElementById("nav-new").classList.add("active");
    renderPlan(root, parts[1]);
  } else {
    document.getElementById("nav-new").classList.add("active");
    renderUpload(root);
  }
}

function errorBox(error, retry) {
  const text = error instanceof ApiError ? error.text() : String(error);
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("span", { text }),
    retry ? h("button", { class: "btn small", type: "button", onclick: retry }, t("common.retry")) : null,
  );
}

// ---------------------------------------------------------------------------
// View 1: upload.

function renderUpload(root) {
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
    h("section", { class: "hero" }, h("h1", { text: t("upload.title") }), h("p", { class: "lead", text: t("upload.lead") })),
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

// ---------------------------------------------------------------------------
// View 2: a plan's summary, its diagnostics, the target, start.

const planCache = new Map();

/**
 * Resuming a run whose settings held a password: the console does not keep
 * it, so the target is asked again, on the plan's page.
 */
async function renderResume(root, runId) {
  const mine = routeGen;
  root.append(h("p", { class: "muted", text: t("common.loading") }));
  let run;
  try {
    run = await api(`/api/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    if (mine !== routeGen) return;
    clear(root);
    root.append(errorBox(error, route));
    return;
  }
  if (mine !== routeGen) return;
  clear(root);
  renderPlan(root, run.plan_id, run);
}

async function renderPlan(root, id, resumeFrom = null) {
  const mine = routeGen;
  let plan = planCache.get(id);
  if (!plan) {
    root.append(h("p", { class: "muted", text: t("common.loading") }));
    try {
      plan = await api(`/api/plans/${encodeURIComponent(id)}`);
      planCache.set(id, plan);
    } catch (error) {
      if (mine !== routeGen) return;
      clear(root);
      root.append(errorBox(error, route));
      return;
    }
    if (mine !== routeGen) return;
    clear(root);
  }
  const errors = plan.summary?.errors ?? plan.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = plan.summary?.warnings ?? plan.diagnostics.filter((d) => d.severity !== "error").length;

  const facts = [
    [t("plan.cluster"), visible(plan.cluster?.name ?? t("common.none")), "summary-cluster"],
    [t("plan.vip"), plan.cluster?.vip ?? t("common.none"), "summary-vip"],
    [t("plan.hosts"), String(plan.hosts?.length ?? 0), "summary-hosts"],
    [t("plan.networks"), String(plan.networks ?? 0), "summary-networks"],
    [t("plan.errors"), String(errors), "summary-errors"],
    [t("plan.warnings"), String(warnings), "summary-warnings"],
  ];
  const summary = h(
    "section",
    { class: "card", id: "plan-summary" },
    h(
      "div",
      { class: "card-head" },
      h("div", {}, h("div", { class: "eyebrow", text: t("plan.title") }), h("h1", { id: "plan-name", text: visible(plan.name || plan.id) })),
      h("a", { class: "btn", href: "#/", text: t("plan.another") }),
    ),
    h(
      "dl",
      { class: "facts" },
      facts.map(([label, value, id]) =>
        h(
          "div",
          { class: `fact ${id === "summary-cluster" ? "fact-wide" : ""} ${id === "summary-errors" && errors ? "fact-error" : ""} ${id === "summary-warnings" && warnings ? "fact-warning" : ""}` },
          h("dt", { text: label }),
          h("dd", { id, text: value }),
        ),
      ),
    ),
  );

  const hosts = h("section", { class: "card" }, h("h2", { text: `${t("plan.hosts.title")} (${plan.hosts?.length ?? 0})` }));
  if (plan.hosts?.length) {
    hosts.append(
      h(
        "div",
        { class: "table-wrap" },
        h(
          "table",
          { id: "hosts-table" },
          h("thead", {}, h("tr", {}, h("th", { text: "#" }), h("th", { text: t("plan.host.name") }), h("th", { text: t("plan.host.mgmt") }), h("th", { text: t("plan.host.bmc") }))),
          h(
            "tbody",
            {},
            plan.hosts.map((host, index) =>
              h(
                "tr",
                {},
                h("td", { class: "num", text: String(index + 1) }),
                h("td", { text: visible(host.name ?? t("common.none")) }),
                h("td", { class: "mono", text: host.management_ip ?? t("common.none") }),
                h("td", { class: "mono", text: host.bmc_ip ?? t("common.none") }),
              ),
            ),
          ),
        ),
      ),
    );
  } else {
    hosts.append(h("p", { class: "muted", text: t("plan.no_hosts") }));
  }

  if (resumeFrom) {
    root.append(
      h(
        "div",
        { class: "alert alert-info", id: "resume-banner" },
        h("span", { text: t("resume.banner", { id: resumeFrom.id, cluster: visible(resumeFrom.cluster ?? "") }) }),
        h("a", { href: `#/runs/${encodeURIComponent(resumeFrom.id)}`, text: t("resume.back") }),
      ),
    );
  }
  root.append(summary);
  if (errors > 0) {
    root.append(h("div", { class: "alert alert-error", id: "plan-blocked", role: "alert", text: t("plan.blocked", { n: errors }) }));
  }
  root.append(diagnosticsCard(plan.diagnostics ?? []));
  root.append(targetCard(plan, errors > 0, resumeFrom));
  root.append(hosts);
}

function diagnosticsCard(diagnostics) {
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

function field(labelText, control, help) {
  return h("label", { class: "field" }, h("span", { class: "field-label", text: labelText }), control, help ? h("span", { class: "field-help", text: help }) : null);
}

function lines(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/**
 * The VMTools ISO of a run: one the console offers (uploaded here, or in the
 * folder it was started with), never a path of its machine. An upload shows
 * its progress, then its SHA-256, and is chosen.
 */
function isoPicker() {
  const select = h("select", { id: "vmtools-iso" }, h("option", { value: "", text: t("iso.none") }));
  const status = h("div", { id: "iso-status", class: "field-help" });
  const input = h("input", { id: "iso-file", type: "file", accept: ".iso", class: "visually-hidden" });
  const label = (iso) => {
    const size = `${mib(iso.size).toFixed(1)} MiB`;
    const where = iso.source === "iso_dir" ? t("iso.from_dir") : `SHA-256 ${iso.sha256.slice(0, 12)}…`;
    return `${iso.name} (${size}) — ${where}`;
  };
  const load = async (chosen) => {
    try {
      const list = await api("/api/isos");
      while (select.options.length > 1) select.remove(1);
      for (const iso of list?.isos ?? []) select.append(h("option", { value: iso.id, text: label(iso) }));
      if (chosen) select.value = chosen;
    } catch {
      // Without the list a run still starts, without an ISO.
    }
  };
  const upload = (file) => {
    clear(status);
    if (!file.name.toLowerCase().endsWith(".iso")) {
      status.append(errorBox(t("iso.not_iso")));
      return;
    }
    const form = new FormData();
    form.append("iso", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", "/api/isos");
    const bearer = token();
    if (bearer) request.setRequestHeader("Authorization", `Bearer ${bearer}`);
    const progress = h("span", { text: t("iso.uploading", { name: file.name, percent: 0 }) });
    status.append(progress);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        progress.textContent = t("iso.uploading", { name: file.name, percent: Math.floor((100 * event.loaded) / event.total) });
      }
    });
    request.addEventListener("load", () => {
      clear(status);
      let body = null;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        // Not JSON: said below by status.
      }
      if (request.status === 200 || request.status === 201) {
        status.append(h("span", { class: "mono", text: t("iso.uploaded", { name: body.name, sha: body.sha256 }) }));
        load(body.id);
      } else if (body?.error) {
        status.append(errorBox(new ApiError(request.status, body.error.code, body.error.message)));
      } else {
        status.append(errorBox(t("error.http", { status: request.status })));
      }
    });
    request.addEventListener("error", () => {
      clear(status);
      status.append(errorBox(t("error.network", { reason: file.name })));
    });
    request.send(form);
  };
  input.addEventListener("change", () => {
    if (input.files[0]) upload(input.files[0]);
    input.value = "";
  });
  load(null);
  const element = h(
    "div",
    { class: "stack" },
    h("div", { class: "row" }, select, h("button", { id: "iso-upload", class: "btn small", type: "button", text: t("iso.upload"), onclick: () => input.click() })),
    input,
    status,
  );
  return { element, value: () => select.value };
}

function targetCard(plan, blocked, resumeFrom = null) {
  const real = resumeFrom?.target === "cluster";
  const rehearsalRadio = h("input", { type: "radio", name: "target", value: "rehearsal", id: "target-rehearsal", checked: !real });
  const realRadio = h("input", { type: "radio", name: "target", value: "settings", id: "target-real", checked: real });

  const scenario = h("select", { id: "scenario" }, h("option", { value: "", text: t("target.scenario.none") }));
  api("/api/scenarios")
    .then((list) => {
      for (const item of list ?? []) scenario.append(h("option", { value: item.name, text: `${msg(item.title) || item.name} (${item.name})` }));
    })
    .catch(() => {
      // Without the list the rehearsal still runs, fault-free.
    });
  const latency = h("input", { id: "latency-ms", type: "number", min: "0", step: "10", placeholder: "0", inputmode: "numeric" });

  const apiBase = h("input", { id: "api-base", type: "url", placeholder: t("target.api_base.ph"), autocomplete: "off" });
  const resolve = h("textarea", { id: "api-resolve", rows: "2", placeholder: t("target.resolve.ph"), spellcheck: "false" });
  const sshResolve = h("textarea", { id: "ssh-resolve", rows: "2", placeholder: t("target.resolve.ph").replace(":443", ":22"), spellcheck: "false" });
  // The certificate itself: the console takes no path of its own machine.
  const caCert = h("textarea", { id: "ca-cert", rows: "3", placeholder: t("target.ca.ph"), spellcheck: "false" });
  const caFile = h("input", { id: "ca-cert-file", type: "file", accept: ".pem,.crt,.cer", class: "visually-hidden" });
  caFile.addEventListener("change", async () => {
    const file = caFile.files[0];
    if (file) caCert.value = await file.text();
    caFile.value = "";
  });
  const caControl = h(
    "div",
    { class: "stack" },
    caCert,
    h("button", { class: "btn small", type: "button", text: t("target.ca.file"), onclick: () => caFile.click() }),
    caFile,
  );
  const insecure = h("input", { id: "insecure", type: "checkbox" });
  const sshPassword = h("input", { id: "ssh-password", type: "password", autocomplete: "new-password" });
  const iso = isoPicker();

  const stagePrepare = h("input", { type: "checkbox", id: "stage-prepare", value: "prepare", checked: true });
  const stageConfig = h("input", { type: "checkbox", id: "stage-config_cluster", value: "config_cluster", checked: true });
  const dryRun = h("input", { type: "checkbox", id: "dry-run" });

  const rehearsalPanel = h(
    "div",
    { class: "target-panel", id: "rehearsal-panel", hidden: real },
    h("p", { class: "muted", text: t("target.rehearsal.help") }),
    h("div", { class: "grid-2" }, field(t("target.scenario"), scenario), field(t("target.latency"), latency)),
  );
  const realPanel = h(
    "div",
    { class: "target-panel", id: "real-panel", hidden: !real },
    h("p", { class: "muted", text: t("target.real.help") }),
    h(
      "div",
      { class: "grid-2" },
      field(t("target.api_base"), apiBase),
      field(t("target.ca"), caControl),
      field(t("target.resolve"), resolve),
      field(t("target.ssh_resolve"), sshResolve),
      field(t("target.ssh_password"), sshPassword),
    ),
    h("label", { class: "check" }, insecure, h("span", { text: t("target.insecure") })),
  );
  const startLabel = () => (resumeFrom ? t("run.resume") : rehearsalRadio.checked ? t("target.start_rehearsal") : t("target.start"));
  const start = h("button", { id: "start-run", class: "btn primary large", type: "submit", disabled: blocked, text: startLabel() });
  const switchTarget = () => {
    rehearsalPanel.hidden = !rehearsalRadio.checked;
    realPanel.hidden = rehearsalRadio.checked;
    start.textContent = startLabel();
  };
  rehearsalRadio.addEventListener("change", switchTarget);
  realRadio.addEventListener("change", switchTarget);
  const status = h("div", { id: "start-status" });

  const form = h(
    "form",
    { class: "card", id: "target-form" },
    h("h2", { text: t("target.title") }),
    h(
      "div",
      { class: "segmented", role: "radiogroup" },
      h("label", { class: "segment" }, rehearsalRadio, h("span", { text: t("target.rehearsal") })),
      h("label", { class: "segment" }, realRadio, h("span", { text: t("target.real") })),
    ),
    rehearsalPanel,
    realPanel,
    field(t("target.iso"), iso.element),
    h(
      "div",
      // A resumed run keeps the old run's stages and dry-run choice.
      { class: "options", hidden: Boolean(resumeFrom) },
      h(
        "fieldset",
        { class: "inline" },
        h("legend", { text: t("target.stages") }),
        h("label", { class: "check" }, stagePrepare, h("span", { class: "mono", text: "prepare" })),
        h("label", { class: "check" }, stageConfig, h("span", { class: "mono", text: "config_cluster" })),
      ),
      h("label", { class: "check" }, dryRun, h("span", { text: t("target.dry_run") })),
    ),
    status,
    h("div", { class: "actions" }, start),
  );

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (blocked) return;
    let target;
    if (rehearsalRadio.checked) {
      const latencyMs = Number.parseInt(latency.value, 10);
      if (scenario.value || latencyMs > 0 || iso.value()) {
        target = { rehearsal: { scenario: scenario.value || null, latency_ms: latencyMs > 0 ? latencyMs : 0 } };
        if (iso.value()) target.rehearsal.iso_id = iso.value();
      } else {
        target = "rehearsal";
      }
    } else {
      // Only what the user filled in: the rest takes the CLI's defaults.
      const settings = {};
      const apiSettings = {};
      if (apiBase.value.trim()) apiSettings.base_url = apiBase.value.trim();
      if (lines(resolve.value).length) apiSettings.resolve = lines(resolve.value);
      if (caCert.value.trim()) apiSettings.ca_cert_pem = caCert.value.trim();
      if (insecure.checked) apiSettings.insecure = true;
      if (Object.keys(apiSettings).length) settings.api = apiSettings;
      const ssh = {};
      if (lines(sshResolve.value).length) ssh.resolve = lines(sshResolve.value);
      if (sshPassword.value) ssh.initial_password = sshPassword.value;
      if (Object.keys(ssh).length) settings.ssh = ssh;
      if (iso.value()) settings.vmtools = { iso_id: iso.value() };
      target = { settings };
    }
    const stages = [stagePrepare, stageConfig].filter((box) => box.checked).map((box) => box.value);
    start.disabled = true;
    start.textContent = t("target.starting");
    clear(status);
    try {
      const run = resumeFrom
        ? await api(`/api/runs/${encodeURIComponent(resumeFrom.id)}/resume`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ target }),
        })
        : await api("/api/runs", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ plan_id: plan.id, target, dry_run: dryRun.checked, stages, from_run: null }),
        });
      // The password is not kept in the page once it has been sent.
      sshPassword.value = "";
      location.hash = `#/runs/${encodeURIComponent(run.id)}`;
    } catch (error) {
      status.append(errorBox(error));
      if (error instanceof ApiError && error.diagnostics.length) status.append(diagnosticsCard(error.diagnostics));
      start.disabled = false;
      start.textContent = startLabel();
    }
  });
  return form;
}

// ---------------------------------------------------------------------------
// View 3: one run, live.

const ACTIVE = new Set(["queued", "running"]);
const RESUMABLE = new Set(["interrupted", "failed", "aborted"]);

function targetText(run) {
  const kind = run.target === "rehearsal" ? t("target.kind.rehearsal") : run.target === "cluster" ? t("target.kind.cluster") : String(run.target ?? "");
  return run.dry_run ? `${kind} · ${t("target.kind.dry")}` : kind;
}

function summaryText(summary) {
  if (!summary) return t("common.none");
  const parts = [];
  for (const [key, label] of [
    ["ok", "summary.ok"],
    ["warnings", "summary.warnings"],
    ["failed", "summary.failed"],
    ["skipped", "summary.skipped"],
    ["aborted", "summary.aborted"],
  ]) {
    if (summary[key]) parts.push(t(label, { n: summary[key] }));
  }
  return parts.length ? parts.join(" · ") : t("common.none");
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

async function renderRun(root, id) {
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
    resumeButton.hidden = !RESUMABLE.has(status);
    liveTag.hidden = !ACTIVE.has(status);
  };
  const abortButton = h("button", { id: "abort-run", class: "btn danger", type: "button", text: t("run.abort") });
  const resumeButton = h("button", { id: "resume-run", class: "btn primary", type: "button", text: t("run.resume") });
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
  showSummary(run.summary);
  showRunError(run.error);

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
    ),
    summaryValue,
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
  const showFiles = (files) => {
    clear(downloadsList);
    if (!files || files.length === 0) {
      downloadsList.append(h("li", { class: "muted", text: t("run.downloads.none") }));
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
  showFiles(run.files);
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
      // The server's list is the record; it replaces the live one unless it
      // somehow knows fewer steps than the events brought.
      if ((latest.steps ?? []).length >= stepRows.size) resetSteps(latest.steps ?? []);
      showTransfer(latest.transfer);
      showFiles(latest.files);
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

async function resumeRun(id, button) {
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

// ---------------------------------------------------------------------------
// View 4: the run list, fleets grouped.

function renderRunList(root) {
  const body = h("div", { id: "runs" }, h("p", { class: "muted", text: t("common.loading") }));
  root.append(h("section", { class: "card" }, h("h1", { text: t("runs.title") }), body));
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
    const resume = run.status === "interrupted"
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
      h("td", { text: targetText(run) }),
      h("td", { class: "nowrap", text: formatTime(run.started_at) }),
      h("td", { class: "num nowrap", text: formatDuration(run.duration_ms) }),
      h("td", { class: "actions-cell" }, resume),
    );
  };
  for (const run of runs) {
    if (run.fleet_id) {
      if (seenFleets.has(run.fleet_id)) continue;
      seenFleets.add(run.fleet_id);
      const members = runs.filter((other) => other.fleet_id === run.fleet_id);
      rows.push(h("tr", { class: "fleet-row" }, h("td", { colspan: "6", text: t("runs.fleet", { id: run.fleet_id, n: members.length }) })));
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
        h("tr", {}, h("th", { text: t("runs.col.status") }), h("th", { text: t("runs.col.cluster") }), h("th", { text: t("runs.col.target") }), h("th", { text: t("runs.col.started") }), h("th", { class: "num", text: t("runs.col.duration") }), h("th", {})),
      ),
      h("tbody", {}, rows),
    ),
  );
}

// ---------------------------------------------------------------------------
// Start.

document.getElementById("lang-switch").addEventListener("click", () => setLang(lang === "en" ? "zh-CN" : "en"));
window.addEventListener("hashchange", route);
applyStaticStrings();
ensureSession().then(route);
