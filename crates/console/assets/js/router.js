// Routing: #/ upload, #/plans/ID, #/runs, #/runs/ID; what a view does when
// the user moves on; the generation a late answer is checked against.

import { clear } from "./dom.js";

const view = () => document.getElementById("view");
let teardown = [];
// Bumped on every navigation: a view whose data arrives after the user moved
// on must not draw over the new one.
export let routeGen = 0;

// The views, set by the entry module (app.js): the router does not import
// them, as each of them imports the router.
let views = null;

export function setViews(table) {
  views = table;
}

export function onLeave(fn) {
  teardown.push(fn);
}

export function route() {
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
    views.renderResume(root, parts[1]);
  } else if (parts[0] === "runs" && parts[1]) {
    document.getElementById("nav-runs").classList.add("active");
    views.renderRun(root, parts[1]);
  } else if (parts[0] === "runs") {
    document.getElementById("nav-runs").classList.add("active");
    views.renderRunList(root);
  } else if (parts[0] === "plans" && parts[1]) {
    document.getElementById("nav-new").classList.add("active");
    views.renderPlan(root, parts[1]);
  } else {
    document.getElementById("nav-new").classList.add("active");
    views.renderUpload(root);
  }
}
