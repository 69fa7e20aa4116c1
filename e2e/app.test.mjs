// End-to-end: the trunk release build in `dist/`, served from a sub-path and driven in Debian's
// Chromium by playwright-core. Run with `node --test e2e/` after `trunk build --release`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { chromium } from "playwright-core";
import { serve } from "./static-server.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = new URL("../target/e2e-screenshots/", import.meta.url).pathname;

let browser;
let site;

before(async () => {
  site = await serve(new URL("../dist/", import.meta.url).pathname, "/some/sub/path/");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--enable-unsafe-webgpu",
      "--no-sandbox",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  site?.server.close();
});

/** Opens the app and records console errors and requests that leave the page's origin. */
async function open(viewport) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  const origin = new URL(site.base).origin;
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (!["blob:", "data:"].includes(url.protocol) && url.origin !== origin) {
      problems.push(`request to another origin: ${request.url()}`);
    }
  });
  await page.goto(site.base);
  return { page, problems };
}

test("the page names itself and shows the backend the worker trains on", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  await assert.doesNotReject(page.getByRole("heading", { name: "NetSentry" }).waitFor());

  const badge = page.getByTestId("backend");
  await page.waitForFunction(
    () => !document.querySelector('[data-testid="backend"]')?.textContent.startsWith("Detecting"),
    null,
    { timeout: 60_000 },
  );
  const label = (await badge.textContent()).trim();
  assert.match(label, /^(WebGPU · .+|CPU \(.+\))$/);

  const check = page.getByTestId("backend-check");
  await page.waitForFunction(
    () => document.querySelector('[data-testid="backend-check"]')?.textContent !== "Running…",
    null,
    { timeout: 60_000 },
  );
  assert.match(await check.textContent(), /^\d+ Adam steps in \d+ ms: loss [\d.]+ → [\d.]+$/);

  assert.match(await page.locator("footer").textContent(), /CIC-IDS 2017, Canadian Institute for Cybersecurity/);

  await page.screenshot({ path: `${SCREENSHOTS}shell-1280.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});
