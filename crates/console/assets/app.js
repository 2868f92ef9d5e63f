// The console's page, entry module: the views handed to the router, the
// language switch, the session, the first route. Each concern is a module
// of js/ (plain ES modules, served embedded, no build step):
//   strings.js      every page string, both languages
//   i18n.js         the current language, t(), msg()
//   dom.js          building nodes as text, badges, formats, the confirm dialog
//   api.js          the REST API, the token prompt, the error box
//   router.js       #/ routes, onLeave, the route generation
//   upload.js       view 1: upload
//   plans.js        view 2: a plan (diagnostics.js, target-form.js)
//   run-page.js     view 3: one run, live
//   run-list.js     view 4: the run list
// Everything that comes from the server or a workbook is put in the page as
// text (textContent, never innerHTML): a crafted cell must not become markup.

import { ensureSession } from "./js/api.js";
import { applyStaticStrings, lang, setLang } from "./js/i18n.js";
import { renderPlan, renderResume } from "./js/plans.js";
import { route, setViews } from "./js/router.js";
import { renderRunList } from "./js/run-list.js";
import { renderRun } from "./js/run-page.js";
import { renderUpload } from "./js/upload.js";

setViews({ renderPlan, renderResume, renderRun, renderRunList, renderUpload });

document.getElementById("lang-switch").addEventListener("click", () => {
  setLang(lang === "en" ? "zh-CN" : "en");
  route();
});
window.addEventListener("hashchange", route);
applyStaticStrings();
ensureSession().then(route);
