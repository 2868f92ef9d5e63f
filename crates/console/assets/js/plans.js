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

  const detail = plan.plan ?? null;
  const hosts = h("section", { class: "card", id: "hosts" }, h("h2", { text: `${t("plan.hosts.title")} (${plan.hosts?.length ?? 0})` }));
  if (plan.hosts?.length) {
    // Rows as the workbook numbers them (the diagnostics cite them); a cell
    // that did not parse shows what was typed, marked invalid.
    const byRow = new Map((detail?.hosts ?? []).map((host) => [host.row, host]));
    hosts.append(
      table(
        "hosts-table",
        [t("plan.col.row"), t("plan.host.name"), t("plan.host.mgmt"), t("plan.host.storage"), t("plan.host.bmc"), t("plan.host.bmc_user"), t("plan.host.ssh_user")],
        plan.hosts.map((host, index) => {
          const full = byRow.get(host.row) ?? {};
          return [
            { text: String(host.row ?? index + 1), class: "num" },
            { text: visible(host.name ?? t("common.none")) },
            checked(host.management_ip, host.management_ip_raw),
            checked(full.storage_ip, full.storage_ip_raw),
            checked(host.bmc_ip, host.bmc_ip_raw),
            { text: visible(full.bmc?.user ?? t("common.none")) },
            { text: visible(full.ssh_user ?? t("common.none")) },
          ];
        }),
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
  if (detail) root.append(networkCard(detail));
}

/** A value the workbook gave: itself, or what was typed marked invalid. */
function checked(value, raw) {
  if (value != null) return { text: visible(value), class: "mono" };
  if (raw != null) return { text: `${t("plan.invalid")} ${visible(raw)}`, class: "mono invalid" };
  return { text: t("common.none"), class: "muted" };
}

function table(id, heads, rows) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { id },
      h("thead", {}, h("tr", {}, heads.map((head) => h("th", { text: head })))),
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", cell))))),
    ),
  );
}

/**
 * What `plan check` prints beside the hosts: the network architecture,
 * the switches, DNS and NTP, and every business network with its VLAN id.
 */
function networkCard(detail) {
  const none = t("common.none");
  const list = (items) => (items?.length ? items.map(visible).join(", ") : none);
  const vds = (v) => (v ? [{ text: visible(v.name || none) }, { text: list(v.nics), class: "mono" }, checked(v.bond_mode, v.bond_mode_raw)] : [{ text: none, class: "muted" }, { text: "" }, { text: "" }]);
  const facts = [
    [t("plan.architecture"), visible(detail.cluster?.network_architecture ?? none), "plan-architecture"],
    [t("plan.dns"), list(detail.dns_servers), "plan-dns"],
    [t("plan.ntp"), list(detail.ntp_servers), "plan-ntp"],
  ];
  const networks = detail.business_networks ?? [];
  return h(
    "section",
    { class: "card", id: "plan-network" },
    h("h2", { text: t("plan.network.title") }),
    h(
      "dl",
      { class: "facts" },
      facts.map(([label, value, id]) => h("div", { class: "fact fact-wide" }, h("dt", { text: label }), h("dd", { id, text: value }))),
    ),
    table("switches-table", [t("plan.switch.role"), t("plan.switch.name"), t("plan.switch.nics"), t("plan.switch.bond")], [
      [{ text: t("plan.switch.management") }, ...vds(detail.management_vds)],
      [{ text: t("plan.switch.storage") }, ...vds(detail.storage_vds)],
      [{ text: t("plan.switch.business") }, ...vds(detail.business_vds)],
    ]),
    h("h3", { text: `${t("plan.networks")} (${networks.length})` }),
    networks.length
      ? table(
          "networks-table",
          [t("plan.col.row"), t("plan.network.name"), t("plan.network.vlan"), t("plan.network.subnet"), t("plan.network.gateway")],
          networks.map((n) => [
            { text: String(n.row), class: "num" },
            { text: visible(n.name) },
            checked(n.vlan_id == null ? null : String(n.vlan_id), n.vlan_id_raw),
            checked(n.subnet, n.subnet_raw),
            checked(n.gateway, n.gateway_raw),
          ]),
        )
      : h("p", { class: "muted", text: t("plan.no_networks") }),
  );
}
