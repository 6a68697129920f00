/**
 * The task pane's entry point: wires Office.js (the `Office` global office.js defines), MSAL.js
 * and the API client together and starts the pane.
 */

import { createApiClient } from "./api.js";
import { createNestedAppAuth, scriptLoader } from "./auth.js";
import { createOfficeAdapter } from "./office-adapter.js";
import { startTaskPane } from "./taskpane.js";

const MSAL_URL = "/outlook/static/vendor/msal-browser.min.js";

async function main() {
  let adapter = null;
  const api = createApiClient({
    getAccessToken: (options) => adapter.getAccessToken(options),
    fetch: window.fetch.bind(window),
  });
  let config = null;
  let nestedAppAuth = null;
  adapter = createOfficeAdapter(window.Office, {
    // Made on first use: it needs the API's config, read once Office.js is ready.
    nestedAppAuth: (options) => {
      nestedAppAuth ??= createNestedAppAuth({
        loadMsal: scriptLoader(document, MSAL_URL, "msal"),
        config,
      });
      return nestedAppAuth(options);
    },
    signInUrl: `${window.location.origin}/outlook/sign-in`,
  });
  await adapter.ready();
  const pane = startTaskPane({ document, adapter, api });
  try {
    config = await api.config();
  } catch (error) {
    const alertBox = document.getElementById("error");
    alertBox.textContent = error.message;
    alertBox.hidden = false;
    return;
  }
  await pane.refresh();
}

main();
