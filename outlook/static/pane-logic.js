/**
 * What the task pane decides, as plain functions of the email (office-adapter.js) and of the
 * API's answers (docs/outlook.md): no Office.js, no DOM, no network.
 */

export const ROLE_LABELS = { from: "From", to: "To", cc: "Cc", bcc: "Bcc" };

/** The lookup request for an email: its sender first, then To and Cc, each with its role. */
export function lookupRequest(email) {
  const addresses = [];
  if (email.from) addresses.push({ ...email.from, role: "from" });
  for (const role of ["to", "cc"]) {
    for (const recipient of email[role]) addresses.push({ ...recipient, role });
  }
  const request = { addresses };
  if (email.internetMessageId) request.internetMessageId = email.internetMessageId;
  return request;
}

/**
 * The records an email can be logged on, once each, in the lookup's order: contacts, then
 * organisations, then colleagues' records. `chosen` is the default choice, the contacts matched
 * by the sender's and recipients' addresses (as email forwarding does); `logged` says the email
 * is already logged there.
 */
export function recordChoices(lookup) {
  const logged = new Set((lookup.logged && lookup.logged.recordIds) || []);
  const byKind = { contacts: [], organisations: [], colleagues: [] };
  const seen = new Set();
  const add = (kind, record) => {
    if (!record || seen.has(record.id)) return;
    seen.add(record.id);
    byKind[kind].push({
      record,
      kind,
      chosen: kind === "contacts",
      logged: logged.has(record.id),
    });
  };
  for (const entry of lookup.addresses) {
    for (const contact of entry.contacts || []) add("contacts", contact);
  }
  for (const entry of lookup.addresses) add("organisations", entry.organisation);
  for (const entry of lookup.addresses) add("colleagues", entry.colleague);
  return [...byKind.contacts, ...byKind.organisations, ...byKind.colleagues];
}

/** The Add contact form's starting values for an address nobody in Kinabase has yet. */
export function contactPrefill(entry) {
  const suggested = entry.suggestedContact;
  if (!suggested) return null;
  const name = (suggested.name || "").trim() || nameFromAddress(suggested.email);
  return {
    name,
    email: suggested.email,
    organisation:
      entry.organisation && suggested.organisationId === entry.organisation.id
        ? entry.organisation
        : null,
  };
}

/** A readable name from an address's local part: "ada.lovelace@x" → "Ada Lovelace". */
export function nameFromAddress(email) {
  const local = String(email).split("@")[0];
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join(" ");
}

/** The body of POST /outlook/api/contacts from the form's values. */
export function contactRequest({ name, email, organisationId }) {
  const request = { name: name.trim(), email };
  if (organisationId) request.organisationId = organisationId;
  return request;
}

/** The body of POST /outlook/api/emails: the email, its text and the chosen records. */
export function logEmailRequest(email, body, recordIds) {
  const recipients = [];
  for (const kind of ["to", "cc"]) {
    for (const recipient of email[kind]) recipients.push({ ...recipient, kind });
  }
  const request = {
    internetMessageId: email.internetMessageId,
    subject: email.subject,
    sender: email.from,
    recipients,
    content: body,
    recordIds,
  };
  if (email.sentAt) request.timestamp = email.sentAt;
  return request;
}

/** The attachments that can be saved as files: not the pictures inside the body. */
export function savableAttachments(email) {
  return email.attachments.filter((attachment) => !attachment.isInline);
}

/** "Logged on 2 records; 1 already had it." from the API's answer. */
export function logSummary(answer) {
  const created = answer.created.length;
  const existing = answer.existing.length;
  const records = (count) => `${count} record${count === 1 ? "" : "s"}`;
  if (created === 0) return `Already logged on ${records(existing)}.`;
  const already = existing ? `; ${existing} already had it` : "";
  return `Logged on ${records(created)}${already}.`;
}

/** A short, single-line preview of an activity for the pane's list. */
export function activitySummary(activity) {
  const when = activity.timestamp ? activity.timestamp.slice(0, 10) : "";
  const label = activity.type[0].toUpperCase() + activity.type.slice(1);
  const text = (activity.subject || activity.content || "").replace(/\s+/g, " ").trim();
  const short = text.length > 80 ? `${text.slice(0, 79)}…` : text;
  return [when, label, short].filter(Boolean).join(" · ");
}
