/**
 * auth.js: nested app authentication and the sign-in dialog with MSAL.js. MSAL's clients are
 * stand-ins here that record what the pane asks of them (MSAL itself would reach Microsoft).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createNestedAppAuth, signInInDialog } from "../../../outlook/static/auth.js";

const config = {
  clientId: "0d3c1e2a-7b4f-4c1e-9a8d-5e6f7a8b9c0d",
  scope: "api://0d3c1e2a-7b4f-4c1e-9a8d-5e6f7a8b9c0d/access_as_user",
  authority: "https://login.microsoftonline.com/organizations",
};

function nestableMsal({ silent, popup, accounts = [] }) {
  const calls = { created: [], silent: [], popup: [], loads: 0 };
  const msal = {
    async createNestablePublicClientApplication(options) {
      calls.created.push(options);
      return {
        getActiveAccount: () => null,
        getAllAccounts: () => accounts,
        async acquireTokenSilent(request) {
          calls.silent.push(request);
          return silent(request);
        },
        async acquireTokenPopup(request) {
          calls.popup.push(request);
          return popup(request);
        },
      };
    },
  };
  const loadMsal = async () => {
    calls.loads += 1;
    return msal;
  };
  return { loadMsal, calls };
}

describe("nested app authentication", () => {
  it("asks silently for the API's scope, with the app registration, MSAL loaded once", async () => {
    const { loadMsal, calls } = nestableMsal({
      silent: async () => ({ accessToken: "silent-token" }),
      popup: async () => assert.fail("no prompt when the silent request succeeds"),
      accounts: [{ homeAccountId: "ada" }],
    });
    const getToken = createNestedAppAuth({ loadMsal, config });
    assert.equal(await getToken(), "silent-token");
    assert.equal(await getToken({ forceRefresh: true }), "silent-token");
    assert.equal(calls.loads, 1);
    assert.deepEqual(calls.created, [
      { auth: { clientId: config.clientId, authority: config.authority } },
    ]);
    assert.deepEqual(calls.silent, [
      { scopes: [config.scope], forceRefresh: false, account: { homeAccountId: "ada" } },
      { scopes: [config.scope], forceRefresh: true, account: { homeAccountId: "ada" } },
    ]);
  });

  it("shows Microsoft's prompt when the silent request fails", async () => {
    const { loadMsal, calls } = nestableMsal({
      silent: async () => {
        throw new Error("interaction_required");
      },
      popup: async () => ({ accessToken: "prompted-token" }),
    });
    assert.equal(await createNestedAppAuth({ loadMsal, config })(), "prompted-token");
    assert.deepEqual(calls.popup, [{ scopes: [config.scope], forceRefresh: false }]);
  });
});

function redirectMsal({ redirectResult, failure }) {
  const calls = { options: [], redirects: [] };
  class PublicClientApplication {
    constructor(options) {
      calls.options.push(options);
    }

    async initialize() {
      if (failure) throw new Error(failure);
    }

    async handleRedirectPromise() {
      return redirectResult;
    }

    async acquireTokenRedirect(request) {
      calls.redirects.push(request);
    }
  }
  return { msal: { PublicClientApplication }, calls };
}

describe("the sign-in dialog", () => {
  const redirectUri = "https://kinabase.example/outlook/sign-in";

  it("starts a redirect sign-in for the API's scope when Microsoft has not answered yet", async () => {
    const { msal, calls } = redirectMsal({ redirectResult: null });
    const sent = [];
    await signInInDialog({ msal, config, redirectUri, messageParent: (m) => sent.push(m) });
    assert.deepEqual(calls.options, [
      {
        auth: { clientId: config.clientId, authority: config.authority, redirectUri },
        cache: { cacheLocation: "sessionStorage" },
      },
    ]);
    assert.deepEqual(calls.redirects, [{ scopes: [config.scope], redirectUri }]);
    assert.deepEqual(sent, []);
  });

  it("sends the pane the token and its expiry once Microsoft has answered", async () => {
    const expiresOn = new Date("2026-11-30T11:00:00Z");
    const { msal, calls } = redirectMsal({ redirectResult: { accessToken: "jwt", expiresOn } });
    const sent = [];
    await signInInDialog({ msal, config, redirectUri, messageParent: (m) => sent.push(m) });
    assert.deepEqual(calls.redirects, []);
    assert.deepEqual(sent.map((m) => JSON.parse(m)), [
      { token: "jwt", expiresOn: "2026-11-30T11:00:00.000Z" },
    ]);
  });

  it("sends the pane what went wrong", async () => {
    const { msal } = redirectMsal({ redirectResult: null, failure: "AADSTS65001: consent" });
    const sent = [];
    await signInInDialog({ msal, config, redirectUri, messageParent: (m) => sent.push(m) });
    assert.deepEqual(sent.map((m) => JSON.parse(m)), [
      { error: "Signing in to Microsoft failed: AADSTS65001: consent" },
    ]);
  });
});
