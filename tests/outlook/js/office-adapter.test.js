/**
 * office-adapter.js over office-addin-mock's Outlook: what the pane reads of the open email,
 * and how it gets tokens (NAA where supported, else the sign-in dialog).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OfficeMockObject } from "office-addin-mock";

import {
  OfficeError,
  createOfficeAdapter,
  parseDialogMessage,
} from "../../../outlook/static/office-adapter.js";
import { ATTACHMENT_BASE64, outlookSeed } from "./sample-email.js";

function outlook(options) {
  const { seed, calls } = outlookSeed(options);
  return { office: new OfficeMockObject(seed), calls };
}

describe("reading the open email", () => {
  it("gives the sender, recipients, subject, message id, time and attachments", async () => {
    const { office } = outlook();
    const adapter = createOfficeAdapter(office);
    await adapter.ready();

    const email = adapter.readItem();

    assert.deepEqual(email.from, { email: "Ada@Engines.example", name: "Ada Lovelace" });
    assert.deepEqual(email.to, [{ email: "grace@kinabase.example", name: "Grace Hopper" }]);
    assert.deepEqual(email.cc, [
      { email: "bob@gmail.com", name: "Bob" },
      { email: "charles@engines.example", name: "" },
    ]);
    assert.equal(email.subject, "Engine order");
    assert.equal(email.internetMessageId, "<CAF123@mail.engines.example>");
    assert.equal(email.sentAt, "2026-11-30T09:15:00.000Z");
    assert.deepEqual(
      email.attachments.map((a) => [a.id, a.name, a.contentType, a.size, a.isInline]),
      [
        ["AAMk-1", "quote.pdf", "application/pdf", 15, false],
        ["AAMk-2", "logo.png", "image/png", 120, true],
      ],
    );
  });

  it("is null when no email is selected", () => {
    const { seed } = outlookSeed();
    delete seed.context.mailbox.item;
    const adapter = createOfficeAdapter(new OfficeMockObject(seed));
    assert.equal(adapter.readItem(), null);
  });

  it("reads the body as plain text", async () => {
    const { office, calls } = outlook();
    const body = await createOfficeAdapter(office).readBody();
    assert.equal(body, "Hi Grace,\nfour engines please.\nAda");
    assert.deepEqual(calls.bodyTypes, ["text"]);
  });

  it("turns Office's failures into OfficeError with Office's message", async () => {
    const { seed } = outlookSeed();
    seed.context.mailbox.item.body.getAsync = (type, callback) =>
      callback({ status: "failed", error: { message: "The item is no longer available." } });
    const adapter = createOfficeAdapter(new OfficeMockObject(seed));
    await assert.rejects(adapter.readBody(), (error) => {
      assert.ok(error instanceof OfficeError);
      assert.equal(error.message, "The item is no longer available.");
      return true;
    });
  });

  it("reads a file attachment's bytes where Mailbox 1.8 is supported", async () => {
    const { office } = outlook();
    const adapter = createOfficeAdapter(office);
    assert.equal(adapter.canReadAttachments(), true);
    const bytes = await adapter.readAttachment("AAMk-1");
    assert.ok(bytes instanceof Uint8Array);
    assert.equal(Buffer.from(bytes).toString("base64"), ATTACHMENT_BASE64);
    await assert.rejects(adapter.readAttachment("AAMk-2"), /Only file attachments/);
  });

  it("does not offer attachments before Mailbox 1.8", () => {
    const { office } = outlook({ requirementSets: { Mailbox: "1.5" } });
    assert.equal(createOfficeAdapter(office).canReadAttachments(), false);
  });

  it("follows the selected email when the pane is pinned", () => {
    const { office, calls } = outlook();
    let changes = 0;
    createOfficeAdapter(office).onItemChanged(() => {
      changes += 1;
    });
    assert.equal(calls.handlers.length, 1);
    assert.equal(calls.handlers[0].eventType, "olkItemSelectedChanged");
    calls.handlers[0].handler();
    assert.equal(changes, 1);
  });
});

describe("access tokens", () => {
  it("come from nested app authentication where Outlook supports it", async () => {
    const { office, calls } = outlook({ requirementSets: { Mailbox: "1.8", NestedAppAuth: "1.1" } });
    const asked = [];
    const adapter = createOfficeAdapter(office, {
      nestedAppAuth: async (options) => {
        asked.push(options);
        return `naa-token-${asked.length}`;
      },
      signInUrl: "https://kinabase.example/outlook/sign-in",
    });
    assert.equal(await adapter.getAccessToken(), "naa-token-1");
    assert.equal(await adapter.getAccessToken({ forceRefresh: true }), "naa-token-2");
    assert.deepEqual(asked, [{ forceRefresh: false }, { forceRefresh: true }]);
    assert.equal(calls.dialogs.length, 0);
  });

  it("come from the sign-in dialog elsewhere, kept until a minute before they expire", async () => {
    let clock = Date.parse("2026-11-30T10:00:00Z");
    let issued = 0;
    const { office, calls } = outlook({
      dialog: (handlers) => {
        issued += 1;
        const expiresOn = new Date(clock + 3600 * 1000).toISOString();
        handlers.dialogMessageReceived({
          message: JSON.stringify({ token: `dialog-token-${issued}`, expiresOn }),
        });
      },
    });
    const adapter = createOfficeAdapter(office, {
      nestedAppAuth: async () => assert.fail("NAA is not supported here"),
      signInUrl: "https://kinabase.example/outlook/sign-in",
      now: () => clock,
    });

    assert.equal(await adapter.getAccessToken(), "dialog-token-1");
    clock += 58 * 60 * 1000;
    assert.equal(await adapter.getAccessToken(), "dialog-token-1");
    clock += 60 * 1000; // within the last minute: a new sign-in
    assert.equal(await adapter.getAccessToken(), "dialog-token-2");
    assert.equal(await adapter.getAccessToken({ forceRefresh: true }), "dialog-token-3");
    assert.deepEqual(
      calls.dialogs.map((d) => d.url),
      Array(3).fill("https://kinabase.example/outlook/sign-in"),
    );
    assert.equal(calls.dialogClosed, 3);
  });

  it("fail with the dialog's message when signing in failed or the dialog was closed", async () => {
    const refused = outlook({
      dialog: (handlers) =>
        handlers.dialogMessageReceived({
          message: JSON.stringify({ error: "Signing in to Microsoft failed: consent required" }),
        }),
    });
    const adapter = createOfficeAdapter(refused.office, { signInUrl: "https://k/outlook/sign-in" });
    await assert.rejects(adapter.getAccessToken(), {
      name: "OfficeError",
      message: "Signing in to Microsoft failed: consent required",
    });

    const closed = outlook({ dialog: (handlers) => handlers.dialogEventReceived({ error: 12006 }) });
    const closing = createOfficeAdapter(closed.office, { signInUrl: "https://k/outlook/sign-in" });
    await assert.rejects(closing.getAccessToken(), /closed before signing in/);
  });

  it("refuse a dialog message that is not the sign-in page's", () => {
    assert.throws(() => parseDialogMessage("<html>"), /sent something unexpected/);
    assert.throws(() => parseDialogMessage("{}"), /sent no token/);
    assert.deepEqual(parseDialogMessage('{"token": "t", "expiresOn": "2026-11-30T10:00:00Z"}'), {
      token: "t",
      expiresAt: Date.parse("2026-11-30T10:00:00Z"),
    });
  });

  it("the sign-in page sends its message to the pane", () => {
    const { office, calls } = outlook();
    createOfficeAdapter(office).messageParent('{"token": "t"}');
    assert.deepEqual(calls.messagesToParent, ['{"token": "t"}']);
  });
});
