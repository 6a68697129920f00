/**
 * The client of the service's add-in API (`/outlook/api/…`, docs/outlook.md).
 *
 * Every call but `config` carries the access token as a bearer token. A 401 (an expired or
 * revoked token) is retried once with a fresh token; any other refusal becomes an `ApiError`
 * whose message is the API's own, meant for the person using the pane.
 */

/** A refusal of the API: `status`, the API's `message`, and the rest of its answer (`body`). */
export class ApiError extends Error {
  constructor(status, message, body = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

const UNREACHABLE = "Kinabase cannot be reached. Check your connection and try again.";

async function answerOf(response) {
  const type = response.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await response.json() : {};
  if (response.ok) return body;
  const message = body.message || `Kinabase refused the request (HTTP ${response.status}).`;
  throw new ApiError(response.status, message, body);
}

/**
 * `baseUrl` is the service's origin ("" for the page's own), `getAccessToken({forceRefresh})`
 * the adapter's, `fetch` the browser's.
 */
export function createApiClient({ baseUrl = "", getAccessToken, fetch }) {
  async function send(path, { method = "GET", json, body, headers = {} } = {}) {
    const request = async (forceRefresh) => {
      const token = await getAccessToken({ forceRefresh });
      const sent = { ...headers, Authorization: `Bearer ${token}` };
      if (json !== undefined) sent["Content-Type"] = "application/json";
      try {
        return await fetch(baseUrl + path, {
          method,
          headers: sent,
          body: json !== undefined ? JSON.stringify(json) : body,
        });
      } catch {
        throw new ApiError(0, UNREACHABLE);
      }
    };
    let response = await request(false);
    if (response.status === 401) response = await request(true);
    return answerOf(response);
  }

  return {
    /** What MSAL.js needs: clientId, scope, authority (no token needed). */
    async config() {
      let response;
      try {
        response = await fetch(`${baseUrl}/outlook/api/config`);
      } catch {
        throw new ApiError(0, UNREACHABLE);
      }
      return answerOf(response);
    },
    me: () => send("/outlook/api/me"),
    lookup: (request) => send("/outlook/api/lookup", { method: "POST", json: request }),
    createContact: (contact) => send("/outlook/api/contacts", { method: "POST", json: contact }),
    logEmail: (email) => send("/outlook/api/emails", { method: "POST", json: email }),
    recentActivities: (recordId, limit = 10) =>
      send(`/outlook/api/records/${encodeURIComponent(recordId)}/activities?limit=${limit}`),
    /** Save an attachment's bytes as a file of the activity's record. */
    saveAttachment: (activityId, attachment, bytes) =>
      send(`/outlook/api/activities/${encodeURIComponent(activityId)}/attachments`, {
        method: "POST",
        body: bytes,
        headers: {
          "Content-Type": attachment.contentType,
          "X-File-Name": encodeURIComponent(attachment.name),
        },
      }),
  };
}
