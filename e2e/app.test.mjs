// End-to-end: the trunk release build in `dist/`, served from a sub-path and driven in Debian's
// Chromium by playwright-core. Run with `node --test e2e/` after `trunk build --release`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { chromium } from "playwright-core";
import { serve } from "./static-server.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = new URL("../target/e2e-screenshots/", import.meta.url).pathname;
/** The pictures in the README and docs/page.md: taken here, so they show the page as it is. */
const DOCS = new URL("../docs/", import.meta.url).pathname;
/** axe-core, the accessibility checker, run inside the page (CDP's evaluate is not bound by its CSP). */
const AXE = await readFile(new URL("../node_modules/axe-core/axe.min.js", import.meta.url), "utf8");

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

/** The page's width and, when it passes `limit`, the innermost elements that stick out. */
async function widthOn(page, limit) {
  return page.evaluate((limit) => {
    const wide = [...document.querySelectorAll("body *")]
      .filter((element) => element.getBoundingClientRect().right > limit + 1)
      .filter((element) => ![...element.children].some((child) => child.getBoundingClientRect().right > limit + 1))
      .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
      .slice(0, 5)
      .map((element) => `<${element.tagName.toLowerCase()} class="${element.className}"> ${Math.round(element.getBoundingClientRect().right)} px`);
    return { width: document.documentElement.scrollWidth, wide };
  }, limit);
}

/** Fails when axe-core finds a serious or critical accessibility violation in the page as it is. */
async function assertAccessible(page, state) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    // axe-core's own work is a long task of the test's, not the page's: its span is kept so the
    // responsiveness check can leave it out.
    const start = performance.now();
    const { violations } = await window.axe.run(document, { resultTypes: ["violations"] });
    (window.axeSpans ??= []).push([start, performance.now()]);
    return violations
      .filter((violation) => ["serious", "critical"].includes(violation.impact))
      .map((violation) => `${violation.id} (${violation.impact}): ${violation.help}: ${violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(" | ")}`);
  });
  assert.deepEqual(violations, [], `axe-core in the ${state} page`);
}

/** Clicks `button` and returns the file it offers: its suggested name and its bytes. */
async function download(page, button) {
  const [offered] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const stream = await offered.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { name: offered.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/** Opens the app and records console errors and requests that leave the page's origin; `init`
 * runs in the page before any of its own scripts. */
async function open(viewport, options = {}, init = undefined) {
  const page = await browser.newPage({ viewport, ...options });
  if (init) await page.addInitScript(init);
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

  // The page may not connect anywhere but its own origin: its Content-Security-Policy blocks it.
  const blocked = await page.evaluate(() =>
    fetch("https://example.com/").then(() => "fetched", (error) => String(error)),
  );
  assert.notEqual(blocked, "fetched");
  assert.ok(problems.some((problem) => problem.includes("Content Security Policy")), problems.join("\n"));
  await page.close();
});

test("the page follows a dark system theme, the theme switch overrides it either way, and Present enlarges it", async () => {
  // This browser lacks the File System Access API, as Firefox and Safari do.
  const { page, problems } = await open({ width: 1280, height: 800 }, { colorScheme: "dark" }, () => {
    window.showOpenFilePicker = undefined;
  });
  await page.getByRole("heading", { name: "NetSentry" }).waitFor();
  assert.match(await page.getByTestId("follow-unavailable").textContent(), /needs the File System Access API, which Chromium-based browsers/);
  assert.equal(await page.getByTestId("follow-file").count(), 0);
  // The page's paper colour, as the sum of its red, green and blue (0–765).
  const brightness = () =>
    page.evaluate(() =>
      getComputedStyle(document.documentElement)
        .backgroundColor.match(/\d+/g)
        .slice(0, 3)
        .reduce((sum, channel) => sum + Number(channel), 0),
    );
  assert.ok((await brightness()) < 150, `dark system theme: paper ${await brightness()}`);
  const theme = page.getByTestId("theme");
  await theme.selectOption("light");
  assert.ok((await brightness()) > 600, `light chosen: paper ${await brightness()}`);
  await theme.selectOption("");
  assert.ok((await brightness()) < 150, "back to the system's dark");
  await page.emulateMedia({ colorScheme: "light" });
  await theme.selectOption("dark");
  assert.ok((await brightness()) < 150, "dark chosen on a light system");
  // Present mode: type half as large again, for the back of a lecture hall; off again.
  const rootSize = () => page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  const normal = await rootSize();
  const present = page.getByTestId("present");
  await present.click();
  assert.equal(await present.getAttribute("aria-pressed"), "true");
  assert.equal(await rootSize(), normal * 1.5);
  await page.screenshot({ path: `${SCREENSHOTS}dark-present-1280.png`, fullPage: true });
  await assertAccessible(page, "dark, Present");
  await present.click();
  assert.equal(await present.getAttribute("aria-pressed"), "false");
  assert.equal(await rootSize(), normal);
  await page.screenshot({ path: `${SCREENSHOTS}dark-1280.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the set-up lives in the link: Copy link opens a fresh page with the same sample, detector, rule, agent, costs and look", async () => {
  const clipboard = { permissions: ["clipboard-read", "clipboard-write"] };
  const { page, problems } = await open({ width: 1280, height: 800 }, clipboard);
  await page.getByTestId("sample-choice").selectOption("cse-cic-ids2018-sample.csv");
  await page.getByTestId("model-kind").selectOption("knn");
  const target = page.getByTestId("target-fpr");
  await target.fill("2.5");
  await target.dispatchEvent("change");
  const clip = page.getByTestId("clip");
  await clip.fill("1.5");
  await clip.dispatchEvent("change");
  const k = page.getByTestId("knn-k");
  await k.fill("1");
  await k.dispatchEvent("change");
  await page.getByTestId("agent-algorithm").selectOption("ppo");
  const missed = page.getByTestId("cost-fn");
  await missed.fill("9");
  await missed.dispatchEvent("change");
  await page.getByTestId("theme").selectOption("dark");
  await page.getByTestId("present").click();
  await page.getByTestId("copy-link").click();
  await page.waitForFunction(() => /Link copied/.test(document.querySelector('[data-testid="copy-link-status"]')?.textContent ?? ""));
  const link = await page.evaluate(() => navigator.clipboard.readText());
  const url = new URL(link);
  // The set-up is in the fragment only: nothing of it is sent to the server.
  assert.equal(url.search, "");
  assert.match(url.hash, /^#sample=cse-cic-ids2018-sample\.csv&model=knn&rule=target&fpr=2\.5&clip=1\.5&k=1&code=\d+&seed=\d+&agent=ppo&episodes=\d+&reward=[\d.]+&fp=[\d.]+&fn=9&theme=dark&present=on$/);

  /** The set-up a page shows, control by control. */
  const shown = (on) =>
    Promise.all([
      on.getByTestId("sample-choice").inputValue(),
      on.getByTestId("model-kind").inputValue(),
      on.getByTestId("threshold-rule").inputValue(),
      on.getByTestId("target-fpr").inputValue(),
      on.getByTestId("clip").inputValue(),
      on.getByTestId("knn-k").inputValue(),
      on.getByTestId("agent-algorithm").inputValue(),
      on.getByTestId("cost-fn").inputValue(),
      on.getByTestId("theme").inputValue(),
      on.getByTestId("present").getAttribute("aria-pressed"),
      on.evaluate(() => document.documentElement.dataset.theme),
    ]);
  const expected = ["cse-cic-ids2018-sample.csv", "knn", "target", "2.5", "1.5", "1", "ppo", "9", "dark", "true", "dark"];
  assert.deepEqual(await shown(page), expected);
  const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await fresh.goto(link);
  await fresh.getByTestId("load-sample").waitFor();
  assert.deepEqual(await shown(fresh), expected);
  await assertAccessible(fresh, "restored from a link");
  // A reload keeps it too: the page's own URL follows every change.
  await page.reload();
  await page.getByTestId("load-sample").waitFor();
  assert.deepEqual(await shown(page), expected);
  // A link opened in the same tab applies at once, without a reload.
  await page.evaluate(() => (location.hash = "#model=pca&agent=a2c"));
  await page.waitForFunction(() => document.querySelector('[data-testid="model-kind"]').value === "pca");
  assert.equal(await page.getByTestId("agent-algorithm").inputValue(), "a2c");
  // A link that cannot be used in full says what was not used and keeps the defaults there.
  // (The same tab: the fragment alone changes, and the page applies it at once.)
  await fresh.goto(`${site.base}#model=nonsense&fn=-3&agent=a2c`);
  await fresh.getByTestId("link-problems").waitFor();
  const said = await fresh.getByTestId("link-problems").textContent();
  assert.match(said, /The link's model=nonsense was not used: no detector has that name\./);
  assert.match(said, /The link's fn=-3 was not used: expected a number from 0 to 1000\./);
  assert.equal(await fresh.getByTestId("model-kind").inputValue(), "ensemble");
  assert.equal(await fresh.getByTestId("agent-algorithm").inputValue(), "a2c");
  await fresh.close();
  assert.deepEqual(problems, []);
  await page.close();
});

test("the bundled sample loads in the worker and its report is shown", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  // A file dragged over the drop zone lights it up; leaving puts it back.
  const zone = page.getByTestId("dropzone");
  const transfer = await page.evaluateHandle(() => new DataTransfer());
  const lit = (on) =>
    page.waitForFunction(
      (on) => document.querySelector('[data-testid="dropzone"]').classList.contains("over") === on,
      on,
      { timeout: 5_000 },
    );
  await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
  await lit(true);
  await zone.dispatchEvent("dragleave", { dataTransfer: transfer });
  await lit(false);
  await page.getByTestId("load-sample").click();
  const summary = page.getByTestId("ingest-summary");
  await summary.waitFor({ timeout: 60_000 });
  const text = await summary.textContent();
  assert.match(text, /3000 rows read from 1 file\(s\), 2998 kept, 2 dropped/);
  assert.match(text, /BENIGN/);
  assert.match(text, /duplicate: 2/);
  await page.screenshot({ path: `${SCREENSHOTS}data-1280.png`, fullPage: true });
  // Asked to, the page keeps the repeated rows too, as pandas counts them.
  await page.getByTestId("keep-duplicates").check();
  await page.getByTestId("load-sample").click();
  await page.waitForFunction(
    () => /3000 rows read from 1 file\(s\), 3000 kept, 0 dropped/.test(document.querySelector('[data-testid="ingest-summary"]')?.textContent ?? ""),
    null,
    { timeout: 60_000 },
  );
  assert.deepEqual(problems, []);
  await page.close();
});

test("a model trained on one dataset's sample is tested on another's, on a phone", async () => {
  const { page, problems } = await open({ width: 390, height: 844 });
  await page.getByTestId("shared-features").check();
  await page.getByTestId("load-sample").click();
  await page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });
  assert.match(
    await page.getByTestId("ingest-files").textContent(),
    /cicids2017-sample\.csv: CIC-IDS 2017, improved re-extraction \(Engelen et al\.\), 91 columns; 3000 rows read, 2998 kept/,
  );
  assert.match(await page.getByTestId("ingest-summary").textContent(), /76 features/);
  // PCA fits in one pass: the test is about where the model is tested, not how it trains.
  await page.getByTestId("model-kind").selectOption("pca");
  await page.getByTestId("train-ae").click();
  const testedOn = page.getByTestId("tested-on");
  await testedOn.waitFor({ timeout: 60_000 });
  assert.match(
    await testedOn.textContent(),
    /^Tested on all \d+ flows of cicids2017-sample\.csv \(CIC-IDS 2017\): the model fitted all \d+ benign flows, so each flow was scored by the fold model its content falls in, which did not fit it \(4-fold cross-fitting/,
  );

  await page.getByTestId("sample-choice").selectOption("cic-ddos2019-sample.csv");
  await page.getByTestId("load-sample").click();
  await page.waitForFunction(() => /CIC-DDoS2019, published layout, 88 columns/.test(document.querySelector('[data-testid="ingest-files"]')?.textContent ?? ""));
  await page.waitForFunction(() => /learnt from/.test(document.querySelector('[data-testid="tested-on"]')?.textContent ?? ""), null, { timeout: 60_000 });
  assert.equal(
    await testedOn.textContent(),
    "Tested on all 2730 flows of cic-ddos2019-sample.csv (CIC-DDoS2019), none of which trained or tuned the model: it learnt from cicids2017-sample.csv (CIC-IDS 2017).",
  );
  const results = await page.locator("div.results").textContent();
  assert.match(results, /Reflection DDoS/);
  assert.match(results, /Exploitation DDoS/);

  // An analyst's own flows, without labels: scored and ranked, with why; no detection rates.
  const sample = await readFile(new URL("../static/cicids2017-sample.csv", import.meta.url), "utf8");
  const [header, ...rows] = sample.trim().split(/\r?\n/);
  const names = header.split(",");
  const keep = names.map((name) => !["Label", "Attempted Category"].includes(name));
  const strip = (line) => line.split(",").filter((_, index) => keep[index]).join(",");
  await page.getByTestId("file-input").setInputFiles({
    name: "own-flows.csv",
    mimeType: "text/csv",
    buffer: Buffer.from([header, ...rows.slice(0, 200)].map(strip).join("\n") + "\n"),
  });
  await page.getByTestId("no-attacks").waitFor({ timeout: 60_000 });
  assert.match(await page.getByTestId("ingest-summary").textContent(), /own-flows\.csv has no Label column/);
  assert.match(await page.getByTestId("no-attacks").textContent(), /None of these 200 flows is labelled as an attack/);
  const ranked = page.getByTestId("most-unusual").locator("tbody tr");
  assert.equal(await ranked.count(), 10);
  // Each "why?" names its flow for a screen reader.
  assert.match(
    await ranked.first().getByRole("button").getAttribute("aria-label"),
    /^Why did flow \d+ \(unlabelled\) score [\d.]+\?$/,
  );
  await ranked.first().getByRole("button").click();
  await page.getByTestId("explanation").waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("explanation").textContent(), /\(unlabelled\), anomaly score/);
  const { width, wide } = await widthOn(page, 390);
  assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen: ${wide.join(", ")}`);
  await page.screenshot({ path: `${SCREENSHOTS}cross-dataset-390.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a bad file gets an error naming its line, labels render as text, and a phone fits", async () => {
  const { page, problems } = await open({ width: 390, height: 844 });
  const input = page.getByTestId("file-input");
  await input.setInputFiles({
    name: "broken.csv",
    mimeType: "text/csv",
    buffer: Buffer.from('Flow Duration,Label\n1,BENIGN\n"2,BENIGN\n3,BENIGN\n'),
  });
  const banner = page.getByTestId("error");
  await banner.waitFor({ timeout: 60_000 });
  assert.match(await banner.textContent(), /^broken\.csv, line 3/);

  // A label that looks like markup is data: it shows as text and runs nothing.
  await input.setInputFiles({
    name: "markup.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("Flow Duration,Label\n1,<img src=x onerror=alert(1)>\n2,BENIGN\n"),
  });
  const summary = page.getByTestId("ingest-summary");
  await summary.waitFor({ timeout: 60_000 });
  assert.match(await summary.textContent(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator(".summary img").count(), 0);
  // The error of the earlier load is gone once a load works.
  assert.equal(await banner.count(), 0);

  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide on a 390 px screen`);
  await page.screenshot({ path: `${SCREENSHOTS}data-390.png`, fullPage: true });
  await page
    .locator("section.panel", { has: page.getByRole("heading", { name: "Data", exact: true }) })
    .screenshot({ path: `${DOCS}screenshot-phone.png` });
  assert.deepEqual(problems, []);
  await page.close();
});

test("the lesson walks its seven steps from the keyboard, each with this run's figures and its panel outlined", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  const started = Date.now();
  await page.getByTestId("start-lesson").focus();
  await page.keyboard.press("Enter");
  const title = page.locator("#lesson-title");
  const text = page.getByTestId("lesson-text");
  const next = page.getByTestId("lesson-next");
  /** Waits until the lesson's text matches `pattern`, then checks the step's title and outline. */
  const step = async (number, name, pattern, outlined, timeout = 60_000) => {
    await page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('[data-testid="lesson-text"]')?.textContent ?? ""),
      pattern.source,
      { timeout },
    );
    assert.equal(await title.textContent(), `Lesson, step ${number} of 7: ${name}`);
    assert.deepEqual(await page.locator(".lesson-focus").evaluateAll((elements) => elements.map((element) => element.id)), [outlined]);
  };
  await step(1, "What normal traffic is", /This sample holds 2998 flows: 149\d benign and 150\d attacks \(DDoS 500, /, "data-panel");
  await assertAccessible(page, "lesson's first step");
  // The keyboard walks on: Next keeps the focus from step to step.
  await next.focus();
  await page.keyboard.press("Enter");
  await step(2, "Train the detector on benign flows only", /Trained: the .+ scored 2998 flows, 1500 of them attacks/, "model-panel", 120_000);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), "lesson-next");
  await page.keyboard.press("Enter");
  await step(3, "Read the anomaly score", /half the benign flows \(blue\) score below the [\d.]+–[\d.]+ bin/, "score-histogram");
  await page.keyboard.press("Enter");
  await step(4, "Move the threshold: the trade-off", /flags [\d.]+ % of the benign flows \(false alarms\) and catches [\d.]+ % of the attacks/, "threshold-explorer");
  await page.keyboard.press("Enter");
  const auc = await page.getByTestId("roc-auc").textContent();
  await step(5, "The ROC curve: every threshold at once", new RegExp(`area under it \\(ROC-AUC\\) is ${auc.replace(".", "\\.")}`), "ranking-curves");
  await page.keyboard.press("Enter");
  await step(6, "Costs, and an agent that learns from them", /The DQN agent practised for 60 episodes/, "agent-panel", 120_000);
  // Decisions stream in the replay once the agent is compared.
  await page.getByTestId("decision").first().waitFor({ timeout: 60_000 });
  const seconds = (Date.now() - started) / 1000;
  await page.keyboard.press("Enter");
  await step(7, "Compare: agent, best threshold, supervised baseline", /On the other half of the flows: The DQN agent .+ A logistic regression on the same observations cost [\d.]+/, "agent-comparison");
  assert.equal(await next.getAttribute("aria-disabled"), "true");
  await assertAccessible(page, "lesson's last step");
  // Back returns a step without training again; the glossary explains the page's words.
  await page.getByTestId("lesson-back").focus();
  await page.keyboard.press("Enter");
  await step(6, "Costs, and an agent that learns from them", /The DQN agent practised for 60 episodes/, "agent-panel");
  await page.getByTestId("glossary").locator("summary").click();
  assert.match(await page.getByTestId("glossary").textContent(), /ROC-AUC.+random attack outscores|ROC-AUC.+random attack scores above/);
  // A term on the page shows its meaning on keyboard focus.
  const term = page.locator(".term", { hasText: "Code size" });
  await term.focus();
  assert.ok(await term.locator(".tip").isVisible());
  await page.getByTestId("lesson-end").click();
  assert.equal(await page.getByTestId("lesson").count(), 0);
  assert.equal(await page.locator(".lesson-focus").count(), 0);
  console.log(`lesson: decisions streaming ${seconds.toFixed(1)} s after starting it`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("sample → autoencoder → agent → replayed decisions → explanation, with errors that keep results", async () => {
  // The page must stay responsive from the moment it opens, as a new user drives it: once its
  // controls are drawn, no main-thread task over 100 ms (the RAIL budget for answering input).
  // Before that the browser compiles and instantiates the 25 MB module, with no control on screen
  // to answer: those tasks (50–115 ms on the development machine) are printed and held to 300 ms.
  // Tasks over 50 ms (the browser's "long task") are printed. Each long task is kept with the step
  // under way and, from the long-animation-frame entries, the scripts that ran in it, so a
  // failure says where the time went.
  const { page, problems } = await open({ width: 1280, height: 800 }, {}, () => {
    // The file picker hands over the file the test writes (below), as a user's choice would.
    window.showOpenFilePicker = async () => [window.liveFile];
    window.step = "opening the page";
    window.longTasks = [];
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[data-testid="load-sample"]')) return;
      window.drawnAt = performance.now();
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        window.longTasks.push({ ms: Math.round(entry.duration), step: window.step, start: entry.startTime });
      }
    }).observe({ type: "longtask" });
    window.longFrames = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const scripts = entry.scripts.map((script) => `${script.invoker} ${Math.round(script.duration)} ms`);
        window.longFrames.push(`${Math.round(entry.duration)} ms (${window.step}): ${scripts.join(", ")}`);
      }
    }).observe({ type: "long-animation-frame" });
  });
  await page.getByTestId("load-sample").waitFor();
  await assertAccessible(page, "empty");
  const started = Date.now();
  await page.evaluate(() => (window.step = "loading the sample"));
  await page.getByTestId("load-sample").click();
  await page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });
  await assertAccessible(page, "loaded");
  await page.evaluate(() => (window.step = "training the autoencoder"));
  await page.getByTestId("train-ae").click();
  // Training shows a progress bar, named for a screen reader, with the time it has left.
  const trainProgress = page.getByTestId("train-progress");
  await page.waitForFunction(
    () => /^\d+ %, about \d+ s left$/.test(document.querySelector('[data-testid="train-progress"] span')?.textContent ?? ""),
    null,
    { timeout: 60_000 },
  );
  assert.equal(await trainProgress.locator("progress").getAttribute("aria-label"), "Training the detector");
  const auc = page.getByTestId("roc-auc");
  await auc.waitFor({ timeout: 120_000 });
  const modelSeconds = (Date.now() - started) / 1000;
  const value = Number(await auc.textContent());
  assert.ok(value > 0.9 && value <= 1, `ROC-AUC ${value}`);
  // The detection rate at 0.1 %, 1 % and 5 % false positives stands beside it.
  const budgets = await page.getByTestId("tpr-at-fpr").locator("tbody td:first-child").allTextContents();
  assert.deepEqual(budgets, ["≤ 0.1 %", "≤ 1 %", "≤ 5 %"]);
  assert.match(await page.getByTestId("train-status").textContent(), /^done/);
  assert.equal((await page.getByTestId("train-ae").textContent()).trim(), "Train");

  // The default threshold's outcome on the loaded flows is stated: its false-positive rate
  // and recall.
  const outcome = await page.getByTestId("threshold-outcome").textContent();
  const recall = outcome.match(/false-positive rate [\d.]+ % on the benign flows, recall ([\d.]+) % of the attacks/);
  assert.ok(recall, outcome);
  // The hint that the threshold lets most attacks through stands exactly when it does (which
  // of the two the sample gives depends on the seed; the rule itself is pinned natively, beside
  // Evaluation::attacks_let_through).
  const hint = page.getByTestId("threshold-hint");
  if (Number(recall[1]) < 50) {
    assert.match(await hint.textContent(), /lets \d+ % of them through/);
  } else {
    assert.equal(await hint.count(), 0, outcome);
  }
  // Charts name their axes and mark three values along each.
  const roc = page.locator('svg[aria-label="ROC curve"]');
  assert.deepEqual(await roc.locator(".axis-name").allTextContents(), ["false-positive rate", "recall"]);
  assert.equal(await roc.locator(".tick").count(), 6);
  // The threshold slider starts at the model's threshold and moving it changes the decisions.
  const readout = page.getByTestId("threshold-readout");
  const atModel = await readout.textContent();
  assert.match(atModel, /the model's: 2 % false-positive target/);
  const slider = page.getByTestId("threshold");
  // A screen reader hears the threshold and the rates it gives, not a bin number.
  assert.equal(await slider.getAttribute("aria-valuetext"), atModel);
  const modelEdge = await slider.inputValue();
  await page.evaluate(() => (window.step = "moving the threshold slider"));
  await slider.fill("0");
  const atLowest = await readout.textContent();
  assert.match(atLowest, /recall 1\.000, false-positive rate 1\.0000/);
  await slider.fill(modelEdge);
  assert.equal(await readout.textContent(), atModel);
  await assertAccessible(page, "trained");

  // Every chart shows its numbers as a table and offers its picture and data as files.
  const rocFigure = page.locator("figure", { has: roc });
  const dataToggle = rocFigure.getByTestId("chart-data");
  await dataToggle.click();
  assert.equal(await dataToggle.getAttribute("aria-expanded"), "true");
  const dataTable = rocFigure.locator(".chart-data table");
  assert.deepEqual(await dataTable.locator("thead th").allTextContents(), ["series", "false-positive rate", "recall"]);
  const tableRows = await dataTable.locator("tbody tr").count();
  assert.ok(tableRows >= 2, `${tableRows} rows in the ROC chart's table`);
  await assertAccessible(page, "trained, a chart's data shown");
  const csv = await download(page, rocFigure.getByTestId("chart-csv"));
  assert.equal(csv.name, "netsentry-roc-curve.csv");
  const csvLines = csv.bytes.toString("utf8").trim().split("\n");
  assert.equal(csvLines[0], "series,false-positive rate,recall");
  assert.equal(csvLines.length, 1 + tableRows);
  assert.match(csvLines.at(-1), /^ROC,1,1$/);
  const svg = await download(page, rocFigure.getByTestId("chart-svg"));
  assert.equal(svg.name, "netsentry-roc-curve.svg");
  const svgText = svg.bytes.toString("utf8");
  assert.match(svgText, /^<svg[^>]+xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svgText, /<title>ROC curve<\/title>/);
  assert.match(svgText, /<polyline[^>]+style="[^"]*stroke: ?rgb/);
  const png = await download(page, rocFigure.getByTestId("chart-png"));
  assert.equal(png.name, "netsentry-roc-curve.png");
  assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  // The PNG is twice the chart's 600 × 180 units, for a projector.
  assert.deepEqual([png.bytes.readUInt32BE(16), png.bytes.readUInt32BE(20)], [1200, 360]);
  await dataToggle.click();
  assert.equal(await rocFigure.locator(".chart-data table").count(), 0);

  await page.evaluate(() => (window.step = "training the agent"));
  await page.getByTestId("train-agent").click();
  await page.getByTestId("agent-progress").locator("progress").waitFor({ timeout: 60_000 });
  const status = page.getByTestId("agent-status");
  await page.waitForFunction(
    () => document.querySelector('[data-testid="agent-status"]')?.textContent.startsWith("done"),
    null,
    { timeout: 120_000 },
  );
  const agentSeconds = (Date.now() - started) / 1000;
  assert.match(await status.textContent(), /^done: 60 episodes/);
  await assertAccessible(page, "agent compared");
  // At 1,280 px no number or heading of the comparison breaks over two lines.
  // (A cell's text is on one line when all its line boxes share one top.)
  const wrapped = await page.getByTestId("comparison").locator("td, thead th").evaluateAll((cells) =>
    cells
      .filter((cell) => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size > 1;
      })
      .map((cell) => cell.textContent),
  );
  assert.deepEqual(wrapped, []);
  const comparison = await page.getByTestId("comparison").textContent();
  // The verdict in one of its three forms: which one depends on what this run's agent learnt.
  assert.match(
    comparison,
    /The DQN agent (cost [\d.]+ against [\d.]+ for the best fixed threshold: \d+ % (less|more)|and the best fixed threshold cost the same: [\d.]+)\./,
  );
  assert.match(comparison, /The model's threshold \(2 % false-positive target \(Harrell–Davis quantile of benign out-of-fold scores\)\)/);
  // Plain supervised learning on the agent's inputs stands beside it, in the table and the verdict.
  assert.match(comparison, /A logistic regression on the same observations cost [\d.]+/);
  assert.match(comparison, /Supervised: logistic regression on the agent's inputs/);

  // Decisions stream in the replay; clicking one explains it.
  await page.evaluate(() => (window.step = "replaying decisions"));
  const decisions = page.getByTestId("decision");
  await decisions.first().waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="decision"]').length >= 3, null, {
    timeout: 10_000,
  });
  const first = await decisions.first().textContent();
  assert.match(first, /(flag|allow)(✓ right|✗ wrong)$/);
  await assertAccessible(page, "replaying");
  await page.evaluate(() => (window.step = "explaining a flow"));
  await decisions.first().click();
  const explanation = page.getByTestId("explanation");
  await explanation.waitFor({ timeout: 30_000 });
  const explained = await explanation.textContent();
  assert.match(explained, /^Flow \d+ \(.+\), anomaly score [\d.]+/);
  assert.equal(await explanation.locator("tbody tr").count(), 8);
  // Follow a file: the page looks at a CSV as it grows and scores each new flow with the trained
  // detector and agent. The file lives in the origin's private file system, and the test appends
  // to it as CICFlowMeter would: whole rows, half a row, then its end and a bad row.
  await page.evaluate(() => (window.step = "following a file"));
  const sampleLines = (await readFile(new URL("../static/cicids2017-sample.csv", import.meta.url), "utf8")).split(/\r?\n/);
  const liveRows = (from, count) => sampleLines.slice(from, from + count).map((line) => `${line}\n`).join("");
  await page.evaluate(async (text) => {
    const root = await navigator.storage.getDirectory();
    window.liveFile = await root.getFileHandle("live.csv", { create: true });
    window.appendLive = async (more) => {
      const size = (await window.liveFile.getFile()).size;
      const writable = await window.liveFile.createWritable({ keepExistingData: true });
      await writable.seek(size);
      await writable.write(more);
      await writable.close();
    };
    await window.appendLive(text);
  }, `${sampleLines[0]}\n${liveRows(1, 3)}`);
  await page.getByTestId("follow-file").click();
  const followStatus = (pattern) =>
    page.waitForFunction(
      (source) => new RegExp(source).test(document.querySelector('[data-testid="follow-status"]')?.textContent ?? ""),
      pattern.source,
      { timeout: 30_000 },
    );
  await followStatus(/^Following live\.csv: 3 flows scored, \d+ flagged by the agent, 0 rows skipped$/);
  const attackRow = liveRows(1600, 1);
  await page.evaluate((more) => window.appendLive(more), liveRows(4, 1) + attackRow.slice(0, 40));
  await followStatus(/: 4 flows scored/);
  await page.evaluate((more) => window.appendLive(more), `${attackRow.slice(40)}1,2,3\n`);
  await followStatus(/: 5 flows scored, \d+ flagged by the agent, 1 rows skipped$/);
  assert.match(await page.getByTestId("followed-flow").first().textContent(), /^line 6: DDoS/);
  assert.match(await page.getByTestId("follow-skipped").textContent(), /live\.csv, line 7: 3 fields where the header has 91/);
  await assertAccessible(page, "following a file");
  await page.getByTestId("follow-stop").click();

  const [openingTasks, longTasks, longFrames] = await page.evaluate(() => [
    window.longTasks.filter(({ start }) => start < window.drawnAt),
    window.longTasks
      .filter(({ start }) => start >= window.drawnAt)
      .filter(({ start }) => !(window.axeSpans ?? []).some(([from, to]) => start >= from - 1 && start <= to)),
    window.longFrames,
  ]);
  await page.screenshot({ path: `${SCREENSHOTS}trained-1280.png`, fullPage: true });
  const detectorPanel = page.locator("#model-panel");
  await detectorPanel.screenshot({ path: `${DOCS}screenshot-trained.png` });
  // The README shows the page in the reader's own theme: the same panel, dark.
  await page.getByTestId("theme").selectOption("dark");
  await assertAccessible(page, "trained, dark");
  await detectorPanel.screenshot({ path: `${DOCS}screenshot-trained-dark.png` });
  await page.getByTestId("theme").selectOption("");

  // Every control has a name, and the keyboard reaches the main ones.
  const unnamed = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, button")]
      .filter((control) => !(control.labels?.length || control.getAttribute("aria-label") || control.textContent.trim()))
      .map((control) => control.outerHTML),
  );
  assert.deepEqual(unnamed, []);
  await page.locator("body").focus();
  const reached = new Set();
  const unringed = new Set();
  for (let press = 0; press < 160; press++) {
    await page.keyboard.press("Tab");
    const [testid, outline, tag] = await page.evaluate(() => {
      const active = document.activeElement;
      return [active?.dataset.testid ?? "", active ? getComputedStyle(active).outlineStyle : "none", active?.tagName ?? ""];
    });
    reached.add(testid);
    // Each control the keyboard reaches shows a focus ring.
    // (Past the last control focus leaves the page: the body has no ring to show.)
    if (outline === "none" && tag !== "BODY") unringed.add(`${tag} ${testid}`);
  }
  assert.deepEqual([...unringed], []);
  for (const testid of ["load-sample", "file-input", "train-ae", "threshold", "train-agent", "decision", "export-model"]) {
    assert.ok(reached.has(testid), `Tab never reaches ${testid}`);
  }

  // A malformed file: the banner names it, and the results already shown stay.
  await page.getByTestId("file-input").setInputFiles({
    name: "junk.csv",
    mimeType: "text/csv",
    buffer: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x0a]),
  });
  await page.getByTestId("error").waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("error").textContent(), /^junk\.csv/);
  await assertAccessible(page, "error");
  assert.equal(Number(await auc.textContent()), value);
  assert.ok((await page.getByTestId("comparison").count()) === 1);

  assert.deepEqual(problems, []);
  const described = longTasks.map(({ ms, step }) => `${ms} ms (${step})`);
  const opening = openingTasks.map(({ ms }) => `${ms} ms`);
  assert.deepEqual(
    longTasks.filter(({ ms }) => ms > 100),
    [],
    `main-thread tasks over 50 ms: ${described}; frames over 50 ms: ${longFrames}`,
  );
  assert.deepEqual(openingTasks.filter(({ ms }) => ms > 300), [], `tasks over 50 ms before the page was drawn: ${opening}`);
  console.log(`first model scored after ${modelSeconds.toFixed(1)} s, agent compared after ${agentSeconds.toFixed(1)} s (from clicking Load sample)`);
  console.log(`main-thread tasks over 50 ms before the page was drawn: ${JSON.stringify(opening)}`);
  console.log(`main-thread tasks over 50 ms once drawn: ${JSON.stringify(described)}`);
  console.log(`frames over 50 ms while training: ${JSON.stringify(longFrames)}`);
  await page.close();
});

test("the classic peers train beside the ensemble and the comparison lines them up", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  await page.getByTestId("load-sample").click();
  await page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });
  const compared = page.getByTestId("detector-comparison").locator("tbody tr");
  await page.getByTestId("train-ae").click();
  await compared.first().waitFor({ timeout: 120_000 });
  // k is the page's to choose, as on the command line.
  await page.getByLabel("k (kNN)").fill("3");
  await page.getByLabel("k (kNN)").dispatchEvent("change");
  for (const [kind, rows] of [["knn", 2], ["iforest", 3], ["pca", 4], ["hbos", 5]]) {
    await page.getByTestId("model-kind").selectOption(kind);
    await page.getByTestId("train-ae").click();
    await page.waitForFunction(
      (rows) => document.querySelectorAll('[data-testid="detector-comparison"] tbody tr').length === rows,
      rows,
      { timeout: 60_000 },
    );
  }
  const names = await compared.locator("th").allTextContents();
  assert.deepEqual(names, ["Ensemble (autoencoder, kNN, PCA)", "kNN distance", "Isolation Forest", "PCA reconstruction", "HBOS (feature histograms)"]);
  for (const row of await compared.all()) {
    const auc = Number(await row.locator("td").first().textContent());
    assert.ok(auc > 0.5 && auc <= 1, `ROC-AUC ${auc}`);
  }
  assert.equal(await page.locator(".roc-overlay polyline").count(), 5);
  assert.match(await page.getByTestId("train-status").textContent(), /^done: fitted in one pass/);

  // How much normal traffic is enough: kNN fitted on growing draws of the benign flows, each
  // tested on the same set-aside flows; the kept model and the comparison stay as they are.
  await page.getByTestId("model-kind").selectOption("knn");
  await page.getByTestId("learning-curve").click();
  await page.waitForFunction(
    () => /^\d+ points, each tested on the same \d+ flows/.test(document.querySelector('[data-testid="learning-curve-status"]')?.textContent ?? ""),
    null,
    { timeout: 60_000 },
  );
  const fitted = (await page.getByTestId("learning-curve-table").locator("tbody th").allTextContents()).map(Number);
  assert.deepEqual(fitted.slice(0, 3), [250, 500, 1000]);
  assert.ok(fitted.length >= 4 && fitted.at(-1) > 1000 && fitted.at(-1) < 1500, `${fitted}`);
  for (const auc of await page.getByTestId("learning-curve-table").locator("tbody td:first-of-type").allTextContents()) {
    assert.ok(Number(auc) > 0.5 && Number(auc) <= 1, `ROC-AUC ${auc}`);
  }
  assert.equal(await compared.count(), 5);
  assert.equal((await page.getByTestId("learning-curve").textContent()).trim(), "How much normal traffic is enough?");
  await page.screenshot({ path: `${SCREENSHOTS}detectors-1280.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("Pause holds training and Stop ends it within a second; model, agent, scores and metrics export, and an agent file imports", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  await page.getByTestId("load-sample").click();
  await page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });

  // A long run, stopped: the button is back within a second and the best weights are evaluated.
  await page.getByLabel("Epochs").fill("1000");
  await page.getByLabel("Epochs").dispatchEvent("change");
  await page.getByTestId("train-ae").click();
  await page.waitForFunction(() => /epoch [3-9]|epoch \d\d/.test(document.querySelector('[data-testid="train-status"]')?.textContent ?? ""));
  // One job at a time: the agent cannot start while the autoencoder trains.
  assert.ok(await page.getByTestId("train-agent").isDisabled());
  // Pause holds training where it is; Resume goes on.
  await page.getByTestId("pause-ae").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="train-status"]')?.textContent.startsWith("paused"));
  // The step under way when Pause arrived may still report; then nothing moves.
  await page.waitForTimeout(300);
  const pausedAt = await page.getByTestId("train-status").textContent();
  await page.waitForTimeout(600);
  assert.equal(await page.getByTestId("train-status").textContent(), pausedAt);
  // The visible status is not a live region; a hidden one speaks at most every few seconds while
  // training runs, and at once when it pauses.
  assert.equal(await page.getByTestId("train-status").getAttribute("role"), null);
  const spoken = page.getByTestId("train-status").locator("xpath=following-sibling::p[@role='status'][1]");
  assert.equal(await spoken.textContent(), pausedAt);
  await page.getByTestId("pause-ae").click();
  await page.waitForFunction(
    (before) => {
      const now = document.querySelector('[data-testid="train-status"]')?.textContent ?? "";
      return now.startsWith("training") && now !== before.replace(/^paused: /, "");
    },
    pausedAt,
  );
  const stopClicked = Date.now();
  await page.getByTestId("train-ae").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="train-ae"]')?.textContent.trim() === "Train", null, {
    timeout: 5_000,
  });
  const stopMs = Date.now() - stopClicked;
  assert.ok(stopMs < 1000, `Stop took ${stopMs} ms`);
  console.log(`Stop answered in ${stopMs} ms`);
  await page.getByTestId("roc-auc").waitFor({ timeout: 10_000 });
  assert.match(await page.getByTestId("train-status").textContent(), /of 1000/);

  await page.getByTestId("train-agent").click();
  await page.getByTestId("comparison").waitFor({ timeout: 120_000 });

  const download = async (testid) => {
    const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
    const path = `${SCREENSHOTS}${file.suggestedFilename()}`;
    await file.saveAs(path);
    return { name: file.suggestedFilename(), bytes: await readFile(path), path };
  };
  const model = await download("export-model");
  assert.equal(model.name, "netsentry-model.safetensors");
  // safetensors: an 8-byte little-endian header length, then a JSON header with our metadata.
  const headerLength = Number(model.bytes.readBigUInt64LE(0));
  const header = JSON.parse(model.bytes.subarray(8, 8 + headerLength).toString("utf8"));
  assert.ok(JSON.parse(header.__metadata__.netsentry).format_version >= 1);
  assert.ok(Object.keys(header).some((name) => name.endsWith(".weight")));

  const scores = await download("export-scores");
  const lines = scores.bytes.toString("utf8").trim().split("\n");
  assert.match(lines[0], /^row,label,score,flagged,feature_1,observed_1,reconstructed_1/);
  assert.equal(lines.length, 1 + 2998);

  const metrics = JSON.parse((await download("export-metrics")).bytes.toString("utf8"));
  assert.ok(metrics.model.roc_auc > 0.9);
  assert.equal(metrics.agent.algorithm, "DQN");
  assert.ok(metrics.agent.history.length > 0);

  const agent = await download("export-agent");
  assert.equal(agent.name, "netsentry-agent-dqn.safetensors");
  assert.deepEqual(problems, []);
  await page.close();

  // A fresh page: load the sample, import the agent file, and see scores and decisions at once.
  const fresh = await open({ width: 1280, height: 800 });
  await fresh.page.getByTestId("load-sample").click();
  await fresh.page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });
  await fresh.page.getByTestId("import-model").setInputFiles(agent.path);
  await fresh.page.getByTestId("comparison").waitFor({ timeout: 60_000 });
  assert.match(await fresh.page.getByTestId("transfer-status").textContent(), /^Imported a DQN agent/);
  assert.ok(Number(await fresh.page.getByTestId("roc-auc").textContent()) > 0.9);
  await fresh.page.getByTestId("decision").first().waitFor({ timeout: 10_000 });

  // A file that is not a model gets a message naming it.
  await fresh.page.getByTestId("import-model").setInputFiles(scores.path);
  await fresh.page.waitForFunction(() =>
    document.querySelector('[data-testid="transfer-status"]')?.textContent.startsWith("netsentry-scored-flows.csv:"),
  );
  // The user can move training to the CPU; the imported model moves with it and still explains.
  await fresh.page.getByTestId("backend-choice").selectOption("cpu");
  await fresh.page.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent.startsWith("CPU ("));
  await fresh.page.getByTestId("decision").first().click();
  await fresh.page.getByTestId("explanation").waitFor({ timeout: 30_000 });
  assert.deepEqual(fresh.problems, []);
  await fresh.page.close();
});

test("once opened, the page works offline: it reloads, loads the sample and trains", async () => {
  const { page, problems } = await open({ width: 1280, height: 800 });
  // The service worker controls the page and the page has cached its files (page, styles, icon,
  // script, wasm, sample).
  const ready = () =>
    page.evaluate(async () => {
      const cache = await caches.open("netsentry");
      return navigator.serviceWorker.controller !== null && (await cache.keys()).length >= 6;
    });
  for (let tries = 0; !(await ready()); tries++) {
    assert.ok(tries < 120, "the page did not become ready for offline use in 30 s");
    await page.waitForTimeout(250);
  }
  await page.context().setOffline(true);
  await page.reload();
  await page.getByRole("heading", { name: "NetSentry" }).waitFor({ timeout: 30_000 });
  await page.getByTestId("load-sample").click();
  await page.getByTestId("ingest-summary").waitFor({ timeout: 60_000 });
  await page.getByLabel("Epochs").fill("3");
  await page.getByLabel("Epochs").dispatchEvent("change");
  await page.getByTestId("train-ae").click();
  await page.getByTestId("roc-auc").waitFor({ timeout: 60_000 });
  await page.context().setOffline(false);
  assert.deepEqual(problems, []);
  await page.close();
});
