/** pane-logic.js: what the pane asks the API and what it offers, from the email and answers. */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OfficeMockObject } from "office-addin-mock";

import { createOfficeAdapter } from "../../../outlook/static/office-adapter.js";
import {
  activitySummary,
  contactPrefill,
  contactRequest,
  logEmailRequest,
  logSummary,
  lookupRequest,
  nameFromAddress,
  recordChoices,
  savableAttachments,
} from "../../../outlook/static/pane-logic.js";
import { outlookSeed } from "./sample-email.js";

function sampleEmail() {
  return createOfficeAdapter(new OfficeMockObject(outlookSeed().seed)).readItem();
}

const record = (id, collection, name, extra = {}) => ({
  id,
  collection,
  collectionId: { contacts: 7, organisations: 8, colleagues: 1 }[collection],
  name,
  emails: [],
  domains: [],
  organisation: null,
  url: `https://kinabase.example/records/${id}`,
  ...extra,
});

const engines = record(43, "organisations", "Analytical Engines", { domains: ["engines.example"] });
const ada = record(42, "contacts", "Ada Lovelace", { organisation: { id: 43, name: "Analytical Engines" } });
const adaToo = record(44, "contacts", "A. Lovelace (old)");
const grace = record(3, "colleagues", "Grace Hopper");

function lookupAnswer({ logged = [] } = {}) {
  return {
    addresses: [
      {
        email: "Ada@Engines.example",
        name: "Ada Lovelace",
        role: "from",
        domain: "engines.example",
        domainKind: "organisation",
        colleague: null,
        contacts: [ada, adaToo],
        organisation: engines,
        suggestedContact: null,
        activities: [],
      },
      {
        email: "grace@kinabase.example",
        name: "Grace Hopper",
        role: "to",
        domain: "kinabase.example",
        domainKind: "own",
        colleague: grace,
        contacts: [],
        organisation: null,
        suggestedContact: null,
        activities: [],
      },
      {
        email: "bob@gmail.com",
        name: "Bob",
        role: "cc",
        domain: "gmail.com",
        domainKind: "freeMail",
        colleague: null,
        contacts: [],
        organisation: null,
        suggestedContact: { name: "Bob", email: "bob@gmail.com", organisationId: null },
        activities: [],
      },
      {
        email: "charles@engines.example",
        name: "",
        role: "cc",
        domain: "engines.example",
        domainKind: "organisation",
        colleague: null,
        contacts: [ada],
        organisation: engines,
        suggestedContact: null,
        activities: [],
      },
    ],
    logged: { recordIds: logged },
  };
}

describe("the lookup", () => {
  it("asks for the sender first, then To and Cc, with the message id", () => {
    assert.deepEqual(lookupRequest(sampleEmail()), {
      internetMessageId: "<CAF123@mail.engines.example>",
      addresses: [
        { email: "Ada@Engines.example", name: "Ada Lovelace", role: "from" },
        { email: "grace@kinabase.example", name: "Grace Hopper", role: "to" },
        { email: "bob@gmail.com", name: "Bob", role: "cc" },
        { email: "charles@engines.example", name: "", role: "cc" },
      ],
    });
  });

  it("leaves out a message id the email lacks", () => {
    const email = { ...sampleEmail(), internetMessageId: "" };
    assert.equal("internetMessageId" in lookupRequest(email), false);
  });
});

describe("choosing records to log on", () => {
  it("offers each matched record once and chooses the matched contacts by default", () => {
    const choices = recordChoices(lookupAnswer({ logged: [44] }));
    assert.deepEqual(
      choices.map((c) => [c.record.id, c.kind, c.chosen, c.logged]),
      [
        [42, "contacts", true, false],
        [44, "contacts", true, true],
        [43, "organisations", false, false],
        [3, "colleagues", false, false],
      ],
    );
  });

  it("offers nothing when nobody matched", () => {
    const answer = lookupAnswer();
    answer.addresses = answer.addresses.slice(2, 3);
    assert.deepEqual(recordChoices(answer), []);
  });
});

describe("adding a contact", () => {
  it("is offered, prefilled with the display name, only where the API suggests it", () => {
    const answer = lookupAnswer();
    assert.equal(contactPrefill(answer.addresses[0]), null);
    assert.deepEqual(contactPrefill(answer.addresses[2]), {
      name: "Bob",
      email: "bob@gmail.com",
      organisation: null,
    });
  });

  it("links the matched organisation the API suggests, and names from the address", () => {
    const entry = {
      ...lookupAnswer().addresses[3],
      contacts: [],
      suggestedContact: { name: "", email: "charles.babbage@engines.example", organisationId: 43 },
    };
    assert.deepEqual(contactPrefill(entry), {
      name: "Charles Babbage",
      email: "charles.babbage@engines.example",
      organisation: engines,
    });
    assert.equal(nameFromAddress("jean-luc_picard@x.example"), "Jean Luc Picard");
  });

  it("sends the trimmed name, the address and the organisation when linked", () => {
    assert.deepEqual(contactRequest({ name: " Bob ", email: "bob@gmail.com", organisationId: null }), {
      name: "Bob",
      email: "bob@gmail.com",
    });
    assert.deepEqual(contactRequest({ name: "C", email: "c@engines.example", organisationId: 43 }), {
      name: "C",
      email: "c@engines.example",
      organisationId: 43,
    });
  });
});

describe("logging the email", () => {
  it("sends the email's people, text, time and the chosen records", () => {
    const request = logEmailRequest(sampleEmail(), "Hi Grace", [42, 43]);
    assert.deepEqual(request, {
      internetMessageId: "<CAF123@mail.engines.example>",
      subject: "Engine order",
      sender: { email: "Ada@Engines.example", name: "Ada Lovelace" },
      recipients: [
        { email: "grace@kinabase.example", name: "Grace Hopper", kind: "to" },
        { email: "bob@gmail.com", name: "Bob", kind: "cc" },
        { email: "charles@engines.example", name: "", kind: "cc" },
      ],
      content: "Hi Grace",
      recordIds: [42, 43],
      timestamp: "2026-11-30T09:15:00.000Z",
    });
  });

  it("offers the attachments but not the pictures inside the body", () => {
    assert.deepEqual(savableAttachments(sampleEmail()).map((a) => a.name), ["quote.pdf"]);
  });

  it("says what was created and what was already there", () => {
    assert.equal(logSummary({ created: [501, 502], existing: [] }), "Logged on 2 records.");
    assert.equal(logSummary({ created: [501], existing: [480] }), "Logged on 1 record; 1 already had it.");
    assert.equal(logSummary({ created: [], existing: [480] }), "Already logged on 1 record.");
  });

  it("previews an activity on one line", () => {
    const activity = {
      type: "email",
      timestamp: "2026-11-30T09:15:00+00:00",
      subject: null,
      content: `Hi\n\nGrace ${"x".repeat(100)}`,
    };
    const line = activitySummary(activity);
    assert.match(line, /^2026-11-30 · Email · Hi Grace x+…$/);
    assert.equal(line.split(" · ")[2].length, 80);
    assert.equal(activitySummary({ type: "note", timestamp: null, content: "" }), "Note");
  });
});
