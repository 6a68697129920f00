/*
 * A stand-in for Office.js in the browser tests, served in place of
 * https://appsforoffice.microsoft.com/lib/1/hosted/office.js (tests/browser/test_outlook_pane.py
 * routes that URL here; the real one is never fetched).
 *
 * It plays Outlook on the web beside a message being read: the message is the one the test puts
 * in `window.__officeStandIn` (a line the test adds before this file), with its body and
 * attachments; requirement sets as the test says (no nested app authentication, so the pane
 * signs in with the dialog); and Outlook's dialog, which here answers at once with the message
 * the sign-in page would send (a token the Entra emulator minted). What the pane asked of it is
 * kept in `window.__officeStandIn.calls`.
 */
(function () {
  "use strict";
  const given = window.__officeStandIn;
  const calls = (given.calls = { dialogs: [], bodyReads: [], attachmentReads: [] });
  const succeeded = (value) => ({ status: "succeeded", value });
  const failed = (message) => ({ status: "failed", error: { message } });
  const later = (callback, result) => setTimeout(() => callback(result), 0);
  const email = given.email;

  const item = {
    itemType: "message",
    from: email.from,
    sender: email.from,
    to: email.to,
    cc: email.cc,
    subject: email.subject,
    internetMessageId: email.internetMessageId,
    dateTimeCreated: new Date(email.sentAt),
    attachments: email.attachments.map(({ content, ...details }) => details),
    body: {
      getAsync(coercionType, callback) {
        calls.bodyReads.push(coercionType);
        later(callback, coercionType === "text" ? succeeded(email.body) : failed("Text only"));
      },
    },
    getAttachmentContentAsync(id, callback) {
      calls.attachmentReads.push(id);
      const attachment = email.attachments.find((candidate) => candidate.id === id);
      later(callback, attachment
        ? succeeded({ format: "base64", content: attachment.content })
        : failed("The attachment was not found."));
    },
  };

  window.Office = {
    CoercionType: { Text: "text", Html: "html" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      ItemChanged: "olkItemSelectedChanged",
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
    },
    MailboxEnums: { AttachmentContentFormat: { Base64: "base64", Url: "url", Eml: "eml" } },
    onReady() {
      return Promise.resolve({ host: "Outlook", platform: "OfficeOnline" });
    },
    context: {
      requirements: {
        isSetSupported(name, version) {
          const supported = given.requirementSets[name];
          return Boolean(supported) && Number(supported) >= Number(version || "1.1");
        },
      },
      mailbox: {
        item,
        userProfile: { emailAddress: given.user.email, displayName: given.user.name },
        addHandlerAsync(eventType, handler, callback) {
          if (callback) later(callback, succeeded(undefined));
        },
      },
      ui: {
        displayDialogAsync(url, options, callback) {
          calls.dialogs.push(url);
          const handlers = {};
          const dialog = {
            addEventHandler(type, handler) {
              handlers[type] = handler;
            },
            close() {},
          };
          later(callback, succeeded(dialog));
          setTimeout(() => handlers.dialogMessageReceived({ message: given.dialogMessage }), 0);
        },
        messageParent() {},
      },
    },
  };
})();
