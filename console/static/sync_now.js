// Sync now: the directory pull's dialog (console/templates/console/sync_dialog.html), over the
// JSON API under /admin/api/directory (admin/directory_api.py). No build step, no library.
//
// - Opens as a modal <dialog>: the browser keeps focus inside and closes it on Escape; focus
//   goes to the group filter on opening and back to the "Sync now…" button on closing.
// - Lists the directory users not in Kinabase (security group filter, search, "Show more");
//   each has a checkbox, a user type and roles; "For all selected" sets them for every selected
//   user. Selections survive filtering: they are kept by object id, not by row.
// - "Add X users" (X = the selection) queues an import, "Sync" a sync; the progress bar follows
//   the job until it ends, then the outcome of each user is listed and focus moves there.
"use strict";

(() => {
  const section = document.getElementById("sync-now");
  const dialog = document.getElementById("sync-now-dialog");
  if (!section || !dialog) return;
  const api = section.dataset.api;
  const csrf = section.dataset.csrf;
  const opener = document.getElementById("sync-now-open");
  const $ = (id) => document.getElementById(id);
  const group = $("sync-group");
  const search = $("sync-search");
  const rows = $("sync-candidates");
  const selectAll = $("sync-select-all");
  const more = $("sync-more");
  const listStatus = $("sync-status");
  const message = $("sync-message");
  const seatsText = $("sync-seats");
  const addButton = $("sync-add");
  const syncButton = $("sync-run");
  const job = $("sync-job");
  const progress = $("sync-progress");
  const step = $("sync-step");
  const outcomes = $("sync-outcomes");
  const POLL_MS = 400;

  const state = {
    choices: null, // {userTypes, roles, seats}
    shown: [], // users listed now, in order
    selected: new Map(), // object id → {user, userType, roles: Set}
    nextOffset: null,
    lastQuery: null, // the latest list request: earlier answers arriving later are dropped
    running: false,
    loadedGroups: false,
  };

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children);
    return node;
  }

  async function call(method, path, body) {
    const options = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      options.headers["X-CSRF-TOKEN"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    const response = await fetch(api + path, options);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(answer.error || `The server answered ${response.status}.`);
      error.answer = answer;
      throw error;
    }
    return answer;
  }

  function say(text) {
    message.textContent = text || "";
  }

  function explain(error) {
    const answer = error.answer || {};
    if (answer.seatsMissing) return `${error.message} (${answer.seatsMissing} more needed)`;
    if (answer.fields) return `${error.message}: ${Object.keys(answer.fields).join(", ")}`;
    return error.message;
  }

  // --- user types and roles -------------------------------------------------------------------

  function typeOptions(value) {
    return state.choices.userTypes.map((type) =>
      element("option", { value: type.value, selected: type.value === value, text: type.label }),
    );
  }

  function typeSelect(id, label, value) {
    return element("select", { id, "aria-label": label }, ...typeOptions(value));
  }

  function roleBoxes(container, name, chosen, onChange) {
    container.replaceChildren();
    if (state.choices.roles.length === 0) {
      container.append(element("p", { class: "muted", text: "The organisation has no roles yet." }));
      return;
    }
    for (const role of state.choices.roles) {
      const box = element("input", { type: "checkbox", name, value: role.name, checked: chosen.has(role.name) });
      box.addEventListener("change", () => onChange(role.name, box.checked));
      container.append(element("label", { class: "choice" }, box, ` ${role.name}`));
    }
  }

  function rolesSummary(roles) {
    return roles.size ? `Roles: ${[...roles].join(", ")}` : "Roles: none";
  }

  // --- seats and the Add button ---------------------------------------------------------------

  function refreshCounts() {
    const count = state.selected.size;
    addButton.textContent = `Add ${count} ${count === 1 ? "user" : "users"}`;
    const left = state.choices ? state.choices.seats.left : null;
    const short = left !== null && count > left;
    addButton.disabled = state.running || count === 0 || short;
    syncButton.disabled = state.running;
    if (left !== null) {
      seatsText.textContent = short
        ? `Seats left: ${left}. ${count} selected: ${count - left} more ${count - left === 1 ? "seat is" : "seats are"} needed.`
        : `Seats left: ${left}`;
      seatsText.classList.toggle("short", short);
    }
    const boxes = rows.querySelectorAll("input[data-select]");
    const ticked = [...boxes].filter((box) => box.checked).length;
    selectAll.checked = boxes.length > 0 && ticked === boxes.length;
    selectAll.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  // --- the list of candidates -----------------------------------------------------------------

  function defaultType() {
    return state.choices.userTypes[0].value;
  }

  function userRow(user, index) {
    const name = user.displayName || user.userPrincipalName;
    const chosen = state.selected.get(user.id);
    const choice = chosen || { userType: defaultType(), roles: new Set() };
    const box = element("input", {
      type: "checkbox",
      id: `sync-user-${index}`,
      "data-select": user.id,
      checked: Boolean(chosen),
      "aria-label": `Select ${name}`,
    });
    const type = typeSelect(`sync-type-${index}`, `User type of ${name}`, choice.userType);
    const roles = element("details", { class: "sync-roles" });
    const summary = element("summary", { "aria-label": `Roles of ${name}`, text: rolesSummary(choice.roles) });
    const boxes = element("div");
    roles.append(summary, boxes);
    roleBoxes(boxes, `roles-${index}`, choice.roles, (role, on) => {
      if (on) choice.roles.add(role);
      else choice.roles.delete(role);
      summary.textContent = rolesSummary(choice.roles);
    });
    type.addEventListener("change", () => {
      choice.userType = type.value;
    });
    box.addEventListener("change", () => {
      if (box.checked) state.selected.set(user.id, Object.assign(choice, { user }));
      else state.selected.delete(user.id);
      refreshCounts();
    });
    const label = element("label", { for: box.id, text: name });
    return element(
      "tr",
      { "data-user": user.userPrincipalName },
      element("td", {}, box),
      element("td", {}, label, user.jobTitle ? element("span", { class: "muted", text: ` · ${user.jobTitle}` }) : ""),
      element("td", { text: user.mail || user.userPrincipalName }),
      element("td", {}, type),
      element("td", {}, roles),
    );
  }

  async function loadCandidates(append = false) {
    const offset = append ? state.nextOffset : 0;
    const query = new URLSearchParams({ offset: String(offset), limit: "50" });
    if (group.value) query.set("group", group.value);
    if (search.value.trim()) query.set("search", search.value.trim());
    listStatus.textContent = "Loading directory users…";
    const asked = query.toString();
    state.lastQuery = asked;
    try {
      const page = await call("GET", `/candidates?${asked}`);
      if (state.lastQuery !== asked) return; // a later filter answered first
      if (!append) {
        state.shown = [];
        rows.replaceChildren();
      }
      for (const user of page.users) {
        rows.append(userRow(user, state.shown.length));
        state.shown.push(user);
      }
      state.nextOffset = page.nextOffset;
      more.hidden = page.nextOffset === null;
      listStatus.textContent = state.shown.length
        ? `${state.shown.length} directory ${state.shown.length === 1 ? "user" : "users"} shown.`
        : "No directory users to add here.";
      say("");
    } catch (error) {
      listStatus.textContent = "";
      say(explain(error));
    }
    refreshCounts();
  }

  async function loadGroups() {
    const answer = await call("GET", "/groups");
    for (const found of answer.groups) {
      group.append(element("option", { value: found.id, text: found.displayName }));
    }
    state.loadedGroups = true;
  }

  async function loadChoices() {
    state.choices = await call("GET", "/choices");
    const bulkType = $("sync-bulk-type");
    bulkType.replaceChildren(...typeOptions(defaultType()));
    state.bulkRoles = new Set();
    roleBoxes(document.querySelector("#sync-bulk-roles [data-role-choices]"), "bulk-roles", state.bulkRoles, (role, on) => {
      if (on) state.bulkRoles.add(role);
      else state.bulkRoles.delete(role);
    });
  }

  // --- jobs -----------------------------------------------------------------------------------

  function showJob(status) {
    const total = status.total;
    if (total === null || total === undefined) progress.removeAttribute("value");
    else {
      progress.max = Math.max(total, 1);
      progress.value = total === 0 ? 1 : status.done;
    }
    const counts = total === null || total === undefined ? `${status.done} done` : `${status.done} of ${total} done`;
    step.textContent = `${status.step.charAt(0).toUpperCase()}${status.step.slice(1)}: ${counts}.`;
  }

  function showOutcomes(status) {
    const body = outcomes.querySelector("tbody");
    body.replaceChildren(
      ...status.items.map((item) =>
        element(
          "tr",
          { "data-outcome": item.outcome },
          element("td", { text: item.userPrincipalName }),
          element("td", { text: item.outcome }),
          element("td", { text: item.reason || "" }),
        ),
      ),
    );
    outcomes.hidden = status.items.length === 0;
  }

  async function follow(started, title) {
    state.running = true;
    refreshCounts();
    job.hidden = false;
    outcomes.hidden = true;
    $("sync-job-title").textContent = title;
    let status = started;
    showJob(status);
    while (status.status === "queued" || status.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      try {
        status = await call("GET", `/jobs/${status.id}`);
      } catch (error) {
        say(explain(error));
        continue;
      }
      showJob(status);
    }
    progress.max = 1;
    progress.value = 1;
    const failed = status.failed ? `, ${status.failed} refused` : "";
    $("sync-job-title").textContent =
      status.status === "succeeded" ? `${title}: finished${failed}` : `${title}: failed`;
    if (status.error) say(status.error);
    showOutcomes(status);
    state.running = false;
    state.selected.clear();
    await loadChoices().catch((error) => say(explain(error)));
    await loadCandidates();
    $("sync-job-title").focus();
  }

  async function start(path, body, title) {
    say("");
    state.running = true;
    refreshCounts();
    try {
      const started = await call("POST", path, body);
      await follow(started, title);
    } catch (error) {
      state.running = false;
      refreshCounts();
      say(explain(error));
    }
  }

  addButton.addEventListener("click", () => {
    const users = [...state.selected.values()].map((chosen) => ({
      user: chosen.user.id,
      userType: chosen.userType,
      roles: [...chosen.roles],
    }));
    const count = users.length;
    start("/import", { users }, `Adding ${count} ${count === 1 ? "user" : "users"}`);
  });

  syncButton.addEventListener("click", () => start("/sync", {}, "Syncing the users Kinabase has"));

  $("sync-bulk-apply").addEventListener("click", () => {
    const type = $("sync-bulk-type").value;
    for (const chosen of state.selected.values()) {
      chosen.userType = type;
      chosen.roles.clear();
      for (const role of state.bulkRoles) chosen.roles.add(role);
    }
    // Show the choices on the rows again (the selected users keep them).
    const selectedIds = new Set(state.selected.keys());
    rows.replaceChildren(...state.shown.map((user, index) => userRow(user, index)));
    say("");
    listStatus.textContent = `User type and roles set for ${selectedIds.size} selected ${selectedIds.size === 1 ? "user" : "users"}.`;
    refreshCounts();
  });

  selectAll.addEventListener("change", () => {
    const wanted = selectAll.checked; // each row's change recounts it
    for (const box of rows.querySelectorAll("input[data-select]")) {
      if (box.checked !== wanted) {
        box.checked = wanted;
        box.dispatchEvent(new Event("change"));
      }
    }
  });

  let typing = null;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => loadCandidates(), 300);
  });
  group.addEventListener("change", () => loadCandidates());
  more.addEventListener("click", () => loadCandidates(true));

  // --- opening and closing --------------------------------------------------------------------

  opener.addEventListener("click", async () => {
    dialog.showModal();
    group.focus();
    say("");
    try {
      if (!state.choices) await loadChoices();
      refreshCounts();
      if (!state.loadedGroups) await loadGroups();
    } catch (error) {
      say(explain(error));
    }
    if (!state.running) await loadCandidates();
  });

  for (const closer of dialog.querySelectorAll("[data-sync-close]")) {
    closer.addEventListener("click", () => dialog.close());
  }
  dialog.addEventListener("close", () => opener.focus());

  opener.hidden = false;
})();
