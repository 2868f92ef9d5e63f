// View 2: a plan's summary and diagnostics, a resume's banner; the target
// form is target-form.js.

import { api, errorBox } from "./api.js";
import { diagnosticsCard } from "./diagnostics.js";
import { clear, h, visible } from "./dom.js";
import { t } from "./i18n.js";
import { route, routeGen } from "./router.js";
import { targetCard } from "./target-form.js";


export const planCache = new Map();

/**
 * Resuming a run whose settings held a password: the console does not keep
 * it, so the target is asked again, on the plan's page.
 */
export async function renderResume(root, runId) {
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

export async function renderPlan(root, id, resumeFrom = null) {
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
