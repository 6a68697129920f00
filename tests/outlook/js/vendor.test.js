/**
 * The MSAL.js build the service serves (outlook/static/vendor/) is the one package-lock.json
 * pins: `make vendor-msal` copies it after an upgrade, and this test fails until it has.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const require = createRequire(import.meta.url);

it("serves the locked @azure/msal-browser build, with its licence", () => {
  const packageDir = dirname(require.resolve("@azure/msal-browser/package.json"));
  const vendored = join(root, "outlook/static/vendor");
  assert.ok(
    readFileSync(join(packageDir, "lib/msal-browser.min.js")).equals(
      readFileSync(join(vendored, "msal-browser.min.js")),
    ),
    "outlook/static/vendor/msal-browser.min.js differs from the locked package: make vendor-msal",
  );
  assert.ok(
    readFileSync(join(packageDir, "LICENSE")).equals(
      readFileSync(join(vendored, "msal-browser.LICENSE.txt")),
    ),
  );
  const source = readFileSync(join(vendored, "msal-browser.min.js"), "utf8");
  assert.match(source, /createNestablePublicClientApplication/);
  assert.match(source, /PublicClientApplication/);
});
