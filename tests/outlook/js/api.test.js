/**
 * api.js against an HTTP server on loopback that answers as docs/outlook.md says the API does:
 * the browser's own fetch (Node's), real requests and bodies.
 */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";

import { ApiError, createApiClient } from "../../../outlook/static/api.js";

const requests = [];
let answers = [];
let server;
let baseUrl;

function answer(status, body, type = "application/json") {
  answers.push({ status, body, type });
}

before(async () => {
  server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      const next = answers.shift() || { status: 500, body: "no answer set", type: "text/plain" };
      response.writeHead(next.status, { "Content-Type": next.type });
      response.end(typeof next.body === "string" ? next.body : JSON.stringify(next.body));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  requests.length = 0;
  answers = [];
});

function client(tokens = ["token-1", "token-2"]) {
  const asked = [];
  const api = createApiClient({
    baseUrl,
    fetch,
    getAccessToken: async ({ forceRefresh }) => {
      asked.push(forceRefresh);
      return tokens[asked.length - 1];
    },
  });
  return { api, asked };
}

describe("the API client", () => {
  it("reads the config without a token", async () => {
    const config = { clientId: "c", scope: "api://c/access_as_user", authority: "https://a" };
    answer(200, config);
    const { api, asked } = client();
    assert.deepEqual(await api.config(), config);
    assert.equal(requests[0].url, "/outlook/api/config");
    assert.equal(requests[0].headers.authorization, undefined);
    assert.deepEqual(asked, []);
  });

  it("sends JSON with the bearer token", async () => {
    answer(200, { addresses: [], logged: { recordIds: [] } });
    const { api } = client();
    const lookup = { addresses: [{ email: "ada@engines.example", name: "Ada", role: "from" }] };
    assert.deepEqual(await api.lookup(lookup), { addresses: [], logged: { recordIds: [] } });
    const [sent] = requests;
    assert.equal(sent.method, "POST");
    assert.equal(sent.url, "/outlook/api/lookup");
    assert.equal(sent.headers.authorization, "Bearer token-1");
    assert.equal(sent.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(sent.body), lookup);
  });

  it("asks for a fresh token once when the API refuses the token", async () => {
    answer(401, { message: "Your sign-in has expired. Sign in again." });
    answer(201, { id: 42, name: "Ada" });
    const { api, asked } = client();
    assert.deepEqual(await api.createContact({ name: "Ada", email: "ada@x.example" }), {
      id: 42,
      name: "Ada",
    });
    assert.deepEqual(asked, [false, true]);
    assert.deepEqual(
      requests.map((r) => r.headers.authorization),
      ["Bearer token-1", "Bearer token-2"],
    );
  });

  it("gives up after the second refusal with the API's message", async () => {
    answer(401, { message: "Your sign-in has expired. Sign in again." });
    answer(401, { message: "This token is for another application." });
    const { api } = client();
    await assert.rejects(api.me(), (error) => {
      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 401);
      assert.equal(error.message, "This token is for another application.");
      return true;
    });
    assert.equal(requests.length, 2);
  });

  it("keeps the API's answer with its message (fields, duplicates)", async () => {
    const duplicate = { id: 42, name: "Ada Lovelace" };
    answer(409, { message: "Ada Lovelace already has the address ada@x.example.", duplicate });
    const { api } = client();
    await assert.rejects(api.createContact({ name: "Ada", email: "ada@x.example" }), (error) => {
      assert.equal(error.status, 409);
      assert.equal(error.message, "Ada Lovelace already has the address ada@x.example.");
      assert.deepEqual(error.body.duplicate, duplicate);
      return true;
    });
  });

  it("says the status when the answer is not the API's JSON", async () => {
    answer(502, "<html>Bad gateway</html>", "text/html");
    const { api } = client();
    await assert.rejects(api.logEmail({}), {
      name: "ApiError",
      message: "Kinabase refused the request (HTTP 502).",
    });
  });

  it("says Kinabase cannot be reached when the connection fails", async () => {
    const api = createApiClient({
      baseUrl: "http://127.0.0.1:1",
      fetch,
      getAccessToken: async () => "token",
    });
    await assert.rejects(api.me(), /Kinabase cannot be reached/);
    await assert.rejects(api.config(), /Kinabase cannot be reached/);
  });

  it("uploads an attachment's bytes with its type and percent-encoded name", async () => {
    answer(201, { id: 9, name: "Angebot für Ada.pdf", size: 4, contentType: "application/pdf" });
    const { api } = client();
    const bytes = new Uint8Array([37, 80, 68, 70]);
    const attachment = { name: "Angebot für Ada.pdf", contentType: "application/pdf" };
    await api.saveAttachment(501, attachment, bytes);
    const [sent] = requests;
    assert.equal(sent.url, "/outlook/api/activities/501/attachments");
    assert.equal(sent.headers["content-type"], "application/pdf");
    assert.equal(sent.headers["content-length"], "4");
    assert.equal(decodeURIComponent(sent.headers["x-file-name"]), "Angebot für Ada.pdf");
    assert.deepEqual([...sent.body], [37, 80, 68, 70]);
  });

  it("asks for a record's recent activities", async () => {
    answer(200, { activities: [] });
    const { api } = client();
    await api.recentActivities(42, 5);
    assert.equal(requests[0].url, "/outlook/api/records/42/activities?limit=5");
  });
});
