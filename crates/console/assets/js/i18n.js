// The page's language: the current one, a page string in it, a server
// message `{"en", "zh-CN"}` in it, and the static strings relabelled.

import { STRINGS } from "./strings.js";

const LANGS = ["en", "zh-CN"];
const LANG_KEY = "smtx.console.lang";

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

export let lang = initialLang();

/** A page string in the current language, `{name}` filled from `args`. */
export function t(key, args = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in args ? String(args[name]) : whole));
}

/** A server message `{"en", "zh-CN"}` in the current language. */
export function msg(message) {
  if (message == null) return "";
  if (typeof message === "string") return message;
  return message[lang] ?? message.en ?? "";
}

export function setLang(next) {
  lang = next;
  try {
    localStorage.setItem(LANG_KEY, next);
  } catch (_) {
    // Not remembered, still switched.
  }
  applyStaticStrings();
}

export function applyStaticStrings() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) {
    node.textContent = t(node.dataset.i18n);
  }
  const button = document.getElementById("lang-switch");
  button.textContent = t("lang.other");
  document.title = `smtx-deploy · ${t("brand.console")}`;
}
