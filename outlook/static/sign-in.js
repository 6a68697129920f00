/**
 * The sign-in dialog's entry point (`/outlook/sign-in`, opened by office-adapter.js where nested
 * app authentication is not available): signs in with MSAL.js and sends the token to the pane.
 */

import { createApiClient } from "./api.js";
import { signInInDialog } from "./auth.js";
import { createOfficeAdapter } from "./office-adapter.js";

async function main() {
  const adapter = createOfficeAdapter(window.Office);
  await adapter.ready();
  let config;
  try {
    config = await createApiClient({ fetch: window.fetch.bind(window) }).config();
  } catch (error) {
    adapter.messageParent(JSON.stringify({ error: error.message }));
    return;
  }
  await signInInDialog({
    msal: window.msal,
    config,
    redirectUri: `${window.location.origin}${window.location.pathname}`,
    messageParent: (message) => adapter.messageParent(message),
  });
}

main();
