// The REST API: the bearer token (asked once, kept for the tab), errors in
// both languages, the error box a view shows them in.

import { h } from "./dom.js";
import { msg, t } from "./i18n.js";
import { route } from "./router.js";

// ---------------------------------------------------------------------------
const TOKEN_KEY = "smtx.console.token";
// API: bearer token, errors in both languages.

export function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || "";
  } catch (_) {
    return "";
  }
}

export class ApiError extends Error {
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

export async function api(path, options = {}) {
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
export function withToken(path) {
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

export async function ensureSession() {
  const headers = token() ? { Authorization: `Bearer ${token()}` } : {};
  const session = await fetch("/api/session", { headers })
    .then((r) => r.json())
    .catch(() => null);
  if (session && session.auth_required && !session.ok) {
    await askToken(Boolean(token()));
  }
}

export function errorBox(error, retry) {
  const text = error instanceof ApiError ? error.text() : String(error);
  return h(
    "div",
    { class: "alert alert-error", role: "alert" },
    h("span", { text }),
    retry ? h("button", { class: "btn small", type: "button", onclick: retry }, t("common.retry")) : null,
  );
}
