/**
 * The one module of the task pane that touches Office.js.
 *
 * Everything else works with the plain values this adapter returns, so the pane's logic is
 * tested without Outlook (under `node --test` with office-addin-mock). The adapter takes the
 * `Office` namespace as a parameter rather than reading the global, for the same reason.
 *
 * An email, as the rest of the pane sees it:
 *   { from: {email, name}, to: [{email, name}], cc: [{email, name}], subject,
 *     internetMessageId, sentAt (ISO 8601 string or null),
 *     attachments: [{id, name, contentType, size, isInline}] }
 * The body is read separately (`readBody`), only when the email is logged.
 *
 * Access tokens for the service's API: where Outlook supports nested app authentication
 * (NestedAppAuth 1.1) the adapter asks the token provider it was given (MSAL.js, `auth.js`);
 * elsewhere it opens the service's sign-in page in Outlook's dialog, which signs in with MSAL.js
 * and sends the token back. A dialog's token is kept until a minute before it expires.
 */

/** An Office.js call that failed; `message` is Office's own, or says what went wrong. */
export class OfficeError extends Error {
  constructor(message) {
    super(message);
    this.name = "OfficeError";
  }
}

function address(details) {
  if (!details || !details.emailAddress) return null;
  return { email: details.emailAddress, name: details.displayName || "" };
}

function addresses(list) {
  return (list || []).map(address).filter(Boolean);
}

function isoTime(value) {
  if (!value) return null;
  const time = value instanceof Date ? value : new Date(value);
  return Number.isNaN(time.getTime()) ? null : time.toISOString();
}

/** Call an Office.js `…Async(…, callback)` method and settle with its value. */
function officeCall(office, invoke) {
  return new Promise((resolve, reject) => {
    invoke((result) => {
      if (result && result.status === office.AsyncResultStatus.Failed) {
        const message = (result.error && result.error.message) || "Outlook could not do this.";
        reject(new OfficeError(message));
      } else {
        resolve(result ? result.value : undefined);
      }
    });
  });
}

const TOKEN_MARGIN_MS = 60 * 1000;

/**
 * The adapter over an `Office` namespace (the real one in Outlook, a stand-in in tests).
 *
 * `nestedAppAuth({forceRefresh})` gives a token where NAA is supported; `signInUrl` is the
 * dialog's page; `now()` the clock (milliseconds).
 */
export function createOfficeAdapter(office, { nestedAppAuth, signInUrl, now = Date.now } = {}) {
  const mailbox = () => office.context.mailbox;
  const item = () => mailbox().item;
  let dialogToken = null;

  function supports(set, version) {
    const requirements = office.context.requirements;
    return Boolean(requirements && requirements.isSetSupported(set, version));
  }

  return {
    /** Settles when Office.js has started the add-in. */
    ready() {
      return office.onReady();
    },

    /** The email open in Outlook (read mode), or null when none is (no message selected). */
    readItem() {
      const current = item();
      if (!current) return null;
      return {
        from: address(current.from) || address(current.sender),
        to: addresses(current.to),
        cc: addresses(current.cc),
        subject: current.subject || "",
        internetMessageId: current.internetMessageId || "",
        sentAt: isoTime(current.dateTimeCreated),
        attachments: (current.attachments || []).map((attachment) => ({
          id: attachment.id,
          name: attachment.name,
          contentType: attachment.contentType || "application/octet-stream",
          size: attachment.size || 0,
          isInline: Boolean(attachment.isInline),
        })),
      };
    },

    /** The email's body as plain text. */
    readBody() {
      return officeCall(office, (done) => item().body.getAsync(office.CoercionType.Text, done));
    },

    /** Whether attachments' bytes can be read (Mailbox 1.8). */
    canReadAttachments() {
      return supports("Mailbox", "1.8") && typeof item().getAttachmentContentAsync === "function";
    },

    /** An attachment's bytes, as `Uint8Array` (Office.js gives base64 for files). */
    async readAttachment(id) {
      const content = await officeCall(office, (done) =>
        item().getAttachmentContentAsync(id, done),
      );
      if (content.format !== office.MailboxEnums.AttachmentContentFormat.Base64) {
        throw new OfficeError("Only file attachments can be saved to Kinabase.");
      }
      return base64Bytes(content.content);
    },

    /** Whether Outlook brokers tokens for MSAL.js (nested app authentication). */
    canUseNestedAppAuth() {
      return supports("NestedAppAuth", "1.1");
    },

    /**
     * Open `url` in Outlook's dialog and settle with the first message the page sends back
     * (`Office.context.ui.messageParent`); the dialog is closed then. Closing it first rejects.
     */
    messageFromDialog(url) {
      return new Promise((resolve, reject) => {
        office.context.ui.displayDialogAsync(url, { height: 60, width: 30 }, (opened) => {
          if (opened.status === office.AsyncResultStatus.Failed) {
            reject(new OfficeError(opened.error.message));
            return;
          }
          const dialog = opened.value;
          dialog.addEventHandler(office.EventType.DialogMessageReceived, (arg) => {
            dialog.close();
            resolve(arg.message);
          });
          dialog.addEventHandler(office.EventType.DialogEventReceived, () => {
            reject(new OfficeError("The sign-in window was closed before signing in."));
          });
        });
      });
    },

    /**
     * An access token for the service's API. `forceRefresh` asks for a new one (the API refused
     * the last).
     */
    async getAccessToken({ forceRefresh = false } = {}) {
      if (nestedAppAuth && this.canUseNestedAppAuth()) {
        return nestedAppAuth({ forceRefresh });
      }
      if (!forceRefresh && dialogToken && dialogToken.expiresAt - TOKEN_MARGIN_MS > now()) {
        return dialogToken.token;
      }
      dialogToken = parseDialogMessage(await this.messageFromDialog(signInUrl));
      return dialogToken.token;
    },

    /** From the sign-in dialog: send `message` to the pane that opened it. */
    messageParent(message) {
      office.context.ui.messageParent(message);
    },

    /** Call `handler` when the user selects another email while the pane is pinned. */
    onItemChanged(handler) {
      if (typeof mailbox().addHandlerAsync !== "function") return;
      mailbox().addHandlerAsync(office.EventType.ItemChanged, () => handler());
    },
  };
}

/**
 * The sign-in dialog's message: `{"token", "expiresOn"}` (ISO time), or `{"error"}` with a
 * message for the user.
 */
export function parseDialogMessage(message) {
  let parsed;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw new OfficeError("The sign-in window sent something unexpected. Try again.");
  }
  if (parsed.error) throw new OfficeError(parsed.error);
  if (typeof parsed.token !== "string" || !parsed.token) {
    throw new OfficeError("The sign-in window sent no token. Try again.");
  }
  const expiresAt = Date.parse(parsed.expiresOn);
  return { token: parsed.token, expiresAt: Number.isNaN(expiresAt) ? 0 : expiresAt };
}

/** Decode base64 to bytes (atob exists in browsers and in Node 16+). */
export function base64Bytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) {
    bytes[index] = binary.charCodeAt(index);
  }
  return bytes;
}
