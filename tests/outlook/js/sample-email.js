/**
 * The Office.js namespace as Outlook gives it to a task pane beside a message being read: the
 * seed of office-addin-mock's OfficeMockObject (enums included: the mock adds none).
 */

export const ATTACHMENT_BASE64 = Buffer.from("%PDF-1.4 quote\n").toString("base64");

export function outlookSeed({ requirementSets = { Mailbox: "1.8" }, dialog = null } = {}) {
  const calls = { bodyTypes: [], dialogs: [], handlers: [], messagesToParent: [] };
  const seed = {
    host: "outlook", // office-addin-mock: Outlook objects need no load()/sync()
    context: {
      requirements: {
        isSetSupported(name, version) {
          const supported = requirementSets[name];
          return Boolean(supported) && Number(supported) >= Number(version);
        },
      },
      mailbox: {
        item: {
          from: { emailAddress: "Ada@Engines.example", displayName: "Ada Lovelace" },
          sender: { emailAddress: "assistant@engines.example", displayName: "Assistant" },
          to: [{ emailAddress: "grace@kinabase.example", displayName: "Grace Hopper" }],
          cc: [
            { emailAddress: "bob@gmail.com", displayName: "Bob" },
            { emailAddress: "charles@engines.example", displayName: "" },
          ],
          subject: "Engine order",
          internetMessageId: "<CAF123@mail.engines.example>",
          dateTimeCreated: new Date("2026-11-30T09:15:00Z"),
          attachments: [
            {
              id: "AAMk-1",
              name: "quote.pdf",
              contentType: "application/pdf",
              size: 15,
              isInline: false,
              attachmentType: "file",
            },
            {
              id: "AAMk-2",
              name: "logo.png",
              contentType: "image/png",
              size: 120,
              isInline: true,
              attachmentType: "file",
            },
          ],
          body: {
            getAsync(coercionType, callback) {
              calls.bodyTypes.push(coercionType);
              callback({ status: "succeeded", value: "Hi Grace,\nfour engines please.\nAda" });
            },
          },
          getAttachmentContentAsync(id, callback) {
            if (id === "AAMk-1") {
              callback({ status: "succeeded", value: { format: "base64", content: ATTACHMENT_BASE64 } });
            } else {
              callback({ status: "succeeded", value: { format: "url", content: "https://x" } });
            }
          },
        },
        addHandlerAsync(eventType, handler) {
          calls.handlers.push({ eventType, handler });
        },
      },
      ui: {
        displayDialogAsync(url, options, callback) {
          calls.dialogs.push({ url, options });
          const handlers = {};
          const opened = {
            addEventHandler(type, handler) {
              handlers[type] = handler;
            },
            close() {
              calls.dialogClosed = (calls.dialogClosed || 0) + 1;
            },
          };
          callback({ status: "succeeded", value: opened });
          if (dialog) dialog(handlers);
        },
        messageParent(message) {
          calls.messagesToParent.push(message);
        },
      },
    },
    CoercionType: { Text: "text", Html: "html" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    EventType: {
      ItemChanged: "olkItemSelectedChanged",
      DialogMessageReceived: "dialogMessageReceived",
      DialogEventReceived: "dialogEventReceived",
    },
    MailboxEnums: { AttachmentContentFormat: { Base64: "base64", Url: "url" } },
    onReady() {
      return Promise.resolve({ host: "Outlook", platform: "OfficeOnline" });
    },
  };
  return { seed, calls };
}
