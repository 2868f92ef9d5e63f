// The target form of a plan's page: rehearsal or settings, the VMTools ISO,
// dry run, stages; Start.

import { ApiError, api, errorBox, token } from "./api.js";
import { diagnosticsCard } from "./diagnostics.js";
import { clear, confirmAction, field, h, lines, mib, prose, visible } from "./dom.js";
import { msg, t } from "./i18n.js";

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

export function targetCard(plan, blocked, resumeFrom = null) {
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
  // What the API takes beside latency: how long each job of the simulated
  // cluster lasts, and the size of the generated VMTools ISO.
  const jobMs = h("input", { id: "job-ms", type: "number", min: "0", step: "100", placeholder: "0", inputmode: "numeric" });
  const isoMib = h("input", { id: "iso-mib", type: "number", min: "0", max: "2048", step: "1", placeholder: "64", inputmode: "numeric" });

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
  // The settings the run's hints name ("tick … under More settings"),
  // each shown at its default; only a change is sent.
  const rotate = h("input", { id: "rotate-host-passwords", type: "checkbox", checked: true });
  const acceptKeys = h("input", { id: "accept-changed-host-keys", type: "checkbox" });
  const allowVip = h("input", { id: "allow-active-vip", type: "checkbox" });
  const forceUpload = h("input", { id: "force-upload", type: "checkbox" });
  const forceSerial = h("input", { id: "force-serial", type: "checkbox" });
  const serialCell = h("input", { id: "serial-cell", type: "text", placeholder: t("target.serial_cell.ph"), spellcheck: "false", autocomplete: "off" });
  const check = (box, label) => h("label", { class: "check" }, box, h("span", { text: t(label) }));
  const iso = isoPicker();

  const stagePrepare = h("input", { type: "checkbox", id: "stage-prepare", value: "prepare", checked: true });
  const stageConfig = h("input", { type: "checkbox", id: "stage-config_cluster", value: "config_cluster", checked: true });
  const dryRun = h("input", { type: "checkbox", id: "dry-run" });

  const rehearsalPanel = h(
    "div",
    { class: "target-panel", id: "rehearsal-panel", hidden: real },
    h("p", { class: "muted", text: t("target.rehearsal.help") }),
    h("div", { class: "grid-2" }, field(t("target.scenario"), scenario), field(t("target.latency"), latency)),
    h("div", { class: "grid-2" }, field(t("target.job_ms"), jobMs), field(t("target.iso_mib"), isoMib, t("target.iso_mib.help"))),
  );
  const realPanel = h(
    "div",
    { class: "target-panel", id: "real-panel", hidden: !real },
    h("p", { class: "muted" }, prose(t("target.real.help"))),
    h(
      "div",
      { class: "grid-2" },
      field(t("target.api_base"), apiBase),
      field(t("target.ca"), caControl),
      field(t("target.resolve"), resolve),
      field(t("target.ssh_resolve"), sshResolve),
      field(t("target.ssh_password"), sshPassword, t("target.ssh_password.help")),
    ),
    h("label", { class: "check" }, insecure, h("span", { text: t("target.insecure") })),
    h(
      "details",
      { id: "target-more", class: "more" },
      h("summary", { text: t("target.more") }),
      check(rotate, "target.rotate"),
      check(acceptKeys, "target.accept_keys"),
      check(allowVip, "target.allow_vip"),
      check(forceUpload, "target.force_upload"),
      check(forceSerial, "target.force_serial"),
      field(t("target.serial_cell"), serialCell),
    ),
  );
  // The button says what will happen: a dry run sends nothing, whatever
  // the target.
  const startLabel = () => {
    if (resumeFrom) return t("run.resume");
    if (dryRun.checked) return rehearsalRadio.checked ? t("target.start_dry_rehearsal") : t("target.start_dry");
    return rehearsalRadio.checked ? t("target.start_rehearsal") : t("target.start");
  };
  const start = h("button", { id: "start-run", class: "btn primary large", type: "submit", disabled: blocked, text: startLabel() });
  const switchTarget = () => {
    rehearsalPanel.hidden = !rehearsalRadio.checked;
    realPanel.hidden = rehearsalRadio.checked;
    start.textContent = startLabel();
  };
  rehearsalRadio.addEventListener("change", switchTarget);
  realRadio.addEventListener("change", switchTarget);
  dryRun.addEventListener("change", switchTarget);
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
      const number = (input) => {
        const value = Number.parseInt(input.value, 10);
        return Number.isFinite(value) && value >= 0 ? value : null;
      };
      const latencyMs = number(latency) ?? 0;
      const job = number(jobMs) ?? 0;
      const size = number(isoMib);
      if (scenario.value || latencyMs > 0 || job > 0 || size != null || iso.value()) {
        target = { rehearsal: { scenario: scenario.value || null, latency_ms: latencyMs, job_ms: job } };
        if (size != null) target.rehearsal.iso_mib = size;
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
      if (!rotate.checked) ssh.rotate_host_passwords = false;
      if (acceptKeys.checked) ssh.accept_changed_host_keys = true;
      if (Object.keys(ssh).length) settings.ssh = ssh;
      const vmtools = {};
      if (iso.value()) vmtools.iso_id = iso.value();
      if (forceUpload.checked) vmtools.force_upload = true;
      if (Object.keys(vmtools).length) settings.vmtools = vmtools;
      const serial = {};
      if (forceSerial.checked) serial.force = true;
      if (serialCell.value.trim()) serial.cell = serialCell.value.trim();
      if (Object.keys(serial).length) settings.serial = serial;
      if (allowVip.checked) settings.allow_active_vip = true;
      target = { settings };
    }
    const stages = [stagePrepare, stageConfig].filter((box) => box.checked).map((box) => box.value);
    // A real cluster is changed for good: say which one and ask first.
    const live = !rehearsalRadio.checked && !(resumeFrom ? resumeFrom.dry_run : dryRun.checked);
    if (live) {
      const addresses = (plan.cluster?.addresses ?? []).join(", ") || t("common.none");
      const yes = await confirmAction(
        t("target.confirm.title", { cluster: visible(plan.cluster?.name ?? plan.name ?? "") }),
        t("target.confirm.text", { addresses }),
        resumeFrom ? t("run.resume") : t("target.start"),
      );
      if (!yes) return;
    }
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
