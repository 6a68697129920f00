/**
 * Access tokens for the service's API with MSAL.js, in the two ways Outlook allows.
 *
 * - Nested app authentication (`createNestedAppAuth`): Outlook brokers the token for the pane;
 *   MSAL's nestable client asks silently first and shows Microsoft's prompt only when it must.
 * - The sign-in dialog (`signInInDialog`, run by `/outlook/sign-in` in Outlook's dialog where NAA
 *   is not supported): a redirect sign-in with MSAL's public client, then the token goes to the
 *   pane with `messageParent` (office-adapter.js reads it).
 *
 * MSAL.js is served by the service (`/outlook/static/vendor/msal-browser.min.js`) and loaded only
 * when a token is first needed; both functions take it (and the API's `config`: clientId, scope,
 * authority, from GET /outlook/api/config) as parameters.
 */

/** A token provider for office-adapter.js: `({forceRefresh}) → access token`. */
export function createNestedAppAuth({ loadMsal, config }) {
  let application = null;

  async function client() {
    if (!application) {
      const msal = await loadMsal();
      application = await msal.createNestablePublicClientApplication({
        auth: { clientId: config.clientId, authority: config.authority },
      });
    }
    return application;
  }

  return async function nestedAppAuth({ forceRefresh = false } = {}) {
    const pca = await client();
    const request = { scopes: [config.scope], forceRefresh };
    const account = pca.getActiveAccount() || pca.getAllAccounts()[0];
    try {
      const result = await pca.acquireTokenSilent(account ? { ...request, account } : request);
      return result.accessToken;
    } catch {
      // No token in the cache or from the broker without the user: ask them.
      const result = await pca.acquireTokenPopup(request);
      return result.accessToken;
    }
  };
}

/**
 * The dialog's work: finish a sign-in Microsoft redirected back from, or start one. Sends the
 * pane `{"token", "expiresOn"}`, or `{"error"}` with a message for the user.
 */
export async function signInInDialog({ msal, config, redirectUri, messageParent }) {
  try {
    const pca = new msal.PublicClientApplication({
      auth: { clientId: config.clientId, authority: config.authority, redirectUri },
      cache: { cacheLocation: "sessionStorage" },
    });
    await pca.initialize();
    const result = await pca.handleRedirectPromise();
    if (!result) {
      await pca.acquireTokenRedirect({ scopes: [config.scope], redirectUri });
      return;
    }
    messageParent(
      JSON.stringify({ token: result.accessToken, expiresOn: result.expiresOn.toISOString() }),
    );
  } catch (error) {
    const reason = error && error.message ? error.message : String(error);
    messageParent(JSON.stringify({ error: `Signing in to Microsoft failed: ${reason}` }));
  }
}

/** Load the UMD build of MSAL.js once (its global is `msal`). */
export function scriptLoader(document, src, globalName) {
  let loading = null;
  return function load() {
    if (!loading) {
      loading = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = () => resolve(document.defaultView[globalName]);
        script.onerror = () => reject(new Error(`Could not load ${src}`));
        document.head.append(script);
      });
    }
    return loading;
  };
}
