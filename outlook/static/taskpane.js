/**
 * The task pane's page: what Kinabase knows of the open email's people, Add contact, and Log
 * email. It draws with the DOM (text only: nothing from an email or the API becomes markup) and
 * reaches Outlook only through the adapter and Kinabase only through the API client.
 */

import { ApiError } from "./api.js";
import {
  ROLE_LABELS,
  activitySummary,
  contactPrefill,
  contactRequest,
  logEmailRequest,
  logSummary,
  lookupRequest,
  recordChoices,
  savableAttachments,
} from "./pane-logic.js";

/** Build an element: `el(document, "p", {className: "x"}, "text", child…)`. */
function el(document, tag, properties = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (key === "dataset") Object.assign(element.dataset, value);
    else if (key in element) element[key] = value;
    else element.setAttribute(key, value);
  }
  element.append(...children.filter((child) => child !== null && child !== undefined));
  return element;
}

/** A record's name: a link to it in Kinabase where the API gives its address. */
function recordLink(document, record) {
  if (!/^https?:\/\//.test(record.url || "")) {
    return el(document, "span", { className: "record" }, record.name);
  }
  return el(document, "a", { href: record.url, target: "_blank", rel: "noopener" }, record.name);
}

/** Show an error of the API (its own message) or of Outlook in the pane's alert area. */
function messageOf(error) {
  if (error instanceof ApiError || (error && error.name === "OfficeError")) return error.message;
  if (error && error.message) return error.message;
  return "Something went wrong. Try again.";
}

/**
 * Start the pane in `document`: `adapter` is office-adapter.js's, `api` api.js's client.
 * Returns the controller (tests and the ItemChanged event call `refresh`).
 */
export function startTaskPane({ document, adapter, api }) {
  const status = document.getElementById("status");
  const alertBox = document.getElementById("error");
  const people = document.getElementById("people");
  const logSection = document.getElementById("log");
  const state = { email: null, lookup: null };

  function showError(error) {
    alertBox.textContent = messageOf(error);
    alertBox.hidden = false;
  }

  function clearError() {
    alertBox.textContent = "";
    alertBox.hidden = true;
  }

  function setStatus(text) {
    status.textContent = text;
  }

  async function refresh() {
    clearError();
    state.email = adapter.readItem();
    people.replaceChildren();
    logSection.hidden = true;
    if (!state.email) {
      setStatus("Open an email to see its people in Kinabase.");
      return;
    }
    setStatus("Looking up the sender and recipients in Kinabase…");
    try {
      state.lookup = await api.lookup(lookupRequest(state.email));
    } catch (error) {
      setStatus("");
      showError(error);
      return;
    }
    setStatus("");
    drawPeople();
    drawLogForm();
  }

  function drawPeople() {
    people.replaceChildren(
      ...state.lookup.addresses.map((entry) => addressCard(entry)),
    );
  }

  function addressCard(entry) {
    const card = el(document, "article", { className: "person", dataset: { email: entry.email } });
    const who = entry.name ? `${entry.name} <${entry.email}>` : entry.email;
    card.append(
      el(document, "h2", {}, el(document, "span", { className: "role" }, ROLE_LABELS[entry.role]),
        " ", who),
    );
    const facts = el(document, "ul", { className: "matches" });
    if (entry.colleague) {
      facts.append(el(document, "li", {}, "Colleague: ", recordLink(document, entry.colleague)));
    }
    for (const contact of entry.contacts) {
      const organisation = contact.organisation ? ` (${contact.organisation.name})` : "";
      facts.append(el(document, "li", {}, "Contact: ", recordLink(document, contact),
        organisation));
    }
    if (entry.organisation) {
      facts.append(
        el(document, "li", {}, "Organisation: ", recordLink(document, entry.organisation)),
      );
    } else if (entry.domainKind === "freeMail") {
      facts.append(el(document, "li", { className: "muted" }, `${entry.domain} is a free email provider.`));
    }
    if (!facts.children.length) {
      facts.append(el(document, "li", { className: "muted" }, "Not in Kinabase."));
    }
    card.append(facts);
    const prefill = contactPrefill(entry);
    if (prefill) card.append(addContactForm(prefill));
    if (entry.activities.length) {
      card.append(
        el(document, "h3", {}, "Recent activities"),
        el(document, "ul", { className: "activities" },
          ...entry.activities.map((activity) =>
            el(document, "li", {}, activitySummary(activity)))),
      );
    }
    return card;
  }

  function addContactForm(prefill) {
    const form = el(document, "form", { className: "add-contact", noValidate: true });
    const nameInput = el(document, "input", { name: "name", value: prefill.name, required: true });
    const nameError = el(document, "span", { className: "field-error", hidden: true });
    form.append(el(document, "label", {}, "Name ", nameInput), nameError);
    let link = null;
    if (prefill.organisation) {
      link = el(document, "input", { type: "checkbox", name: "organisation", checked: true });
      form.append(el(document, "label", { className: "check" }, link,
        ` Link to ${prefill.organisation.name}`));
    }
    const result = el(document, "p", { className: "form-result" });
    form.append(el(document, "button", { type: "submit" }, "Add contact"), result);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearError();
      nameError.hidden = true;
      const values = {
        name: nameInput.value,
        email: prefill.email,
        organisationId: link && link.checked ? prefill.organisation.id : null,
      };
      if (!values.name.trim()) {
        nameError.textContent = "Enter the contact's name.";
        nameError.hidden = false;
        return;
      }
      try {
        const contact = await api.createContact(contactRequest(values));
        await refresh();
        setStatus(`Added ${contact.name} to Kinabase.`);
      } catch (error) {
        if (error instanceof ApiError && error.body.fields && error.body.fields.name) {
          nameError.textContent = error.body.fields.name.join(" ");
          nameError.hidden = false;
        }
        if (error instanceof ApiError && error.body.duplicate) {
          result.replaceChildren(error.message, " ",
            recordLink(document, error.body.duplicate));
          return;
        }
        showError(error);
      }
    });
    return form;
  }

  function drawLogForm() {
    const choices = recordChoices(state.lookup);
    const recordList = document.getElementById("log-records");
    const attachmentList = document.getElementById("log-attachments");
    const result = document.getElementById("log-result");
    result.textContent = "";
    recordList.replaceChildren(el(document, "legend", {}, "Log on"));
    for (const choice of choices) {
      const box = el(document, "input", {
        type: "checkbox",
        name: "record",
        value: String(choice.record.id),
        checked: choice.chosen,
      });
      const note = choice.logged ? " (already logged)" : "";
      recordList.append(el(document, "label", { className: "check" }, box,
        ` ${choice.record.name} · ${choice.kind.replace(/s$/, "")}${note}`));
    }
    if (!choices.length) {
      recordList.append(el(document, "p", { className: "muted" },
        "Nobody on this email is in Kinabase yet: add a contact first."));
    }
    const attachments = adapter.canReadAttachments() ? savableAttachments(state.email) : [];
    attachmentList.hidden = attachments.length === 0;
    attachmentList.replaceChildren(el(document, "legend", {}, "Save attachments"));
    for (const attachment of attachments) {
      const box = el(document, "input", { type: "checkbox", name: "attachment", value: attachment.id });
      attachmentList.append(el(document, "label", { className: "check" }, box,
        ` ${attachment.name}`));
    }
    logSection.hidden = false;
  }

  async function logEmail() {
    clearError();
    const result = document.getElementById("log-result");
    const recordIds = [...document.querySelectorAll("#log-records input:checked")].map(
      (box) => Number(box.value),
    );
    if (!recordIds.length) {
      result.textContent = "Choose at least one record to log the email on.";
      return;
    }
    const chosen = new Set(
      [...document.querySelectorAll("#log-attachments input:checked")].map((box) => box.value),
    );
    const attachments = savableAttachments(state.email).filter((a) => chosen.has(a.id));
    result.textContent = "Logging…";
    try {
      const body = await adapter.readBody();
      const answer = await api.logEmail(logEmailRequest(state.email, body, recordIds));
      let saved = 0;
      for (const attachment of attachments) {
        const bytes = await adapter.readAttachment(attachment.id);
        for (const activity of answer.activities) {
          await api.saveAttachment(activity.id, attachment, bytes);
        }
        saved += 1;
      }
      const files = saved ? ` Saved ${saved} attachment${saved === 1 ? "" : "s"}.` : "";
      const summary = logSummary(answer) + files;
      await refresh();
      document.getElementById("log-result").textContent = summary;
    } catch (error) {
      result.textContent = "";
      showError(error);
    }
  }

  document.getElementById("log-email").addEventListener("click", logEmail);
  adapter.onItemChanged(() => refresh());
  return { refresh, logEmail };
}
