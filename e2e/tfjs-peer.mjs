// The TF.js peer of `tests/browser_bench.rs`'s `autoencoder_throughput`: the same
// autoencoder (81-64-32-8-32-64-81, tanh between hidden layers, linear code and output, Adam at
// 2e-3, mean squared error) trained and scored in headless Chromium by TensorFlow.js 4.22 on its
// WebAssembly backend with SIMD (single-threaded, as NetSentry's worker is: a page without
// cross-origin isolation has no threads), printing rows/s at batches 128, 256 and 1024 and for
// scoring. TF.js is timed at its best: 102,400 rows in one `fit` call per figure after a warm-up
// call, `predict` in batches of 8,192 plus each row's mean squared error, median of three.
// Run by `make bench` after the browser benchmark; or `node e2e/tfjs-peer.mjs`.
import { chromium } from "playwright-core";
import { serve } from "./static-server.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const site = await serve(new URL("..", import.meta.url).pathname, "/");
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.goto(`${site.base}e2e/tfjs-peer.html`);
  const figures = await page.evaluate(async (wasmPath) => {
    const tf = globalThis.tf;
    tf.wasm.setWasmPaths(wasmPath);
    await tf.setBackend("wasm");
    await tf.ready();
    const columns = 81;
    const rows = 102_400;
    const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const build = () => {
      const model = tf.sequential();
      const widths = [[64, "tanh"], [32, "tanh"], [8, "linear"], [32, "tanh"], [64, "tanh"], [columns, "linear"]];
      widths.forEach(([units, activation], index) => {
        model.add(tf.layers.dense(index === 0 ? { units, activation, inputShape: [columns] } : { units, activation }));
      });
      model.compile({ optimizer: tf.train.adam(2e-3), loss: "meanSquaredError" });
      return model;
    };
    const x = tf.randomNormal([rows, columns], 0, 1, "float32", 1);
    const result = { backend: tf.getBackend(), simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"), training: {} };
    let model;
    for (const batch of [128, 256, 1024]) {
      model = build();
      const warm = x.slice([0, 0], [batch * 4, columns]);
      await model.fit(warm, warm, { batchSize: batch, epochs: 1, verbose: 0 });
      warm.dispose();
      const paces = [];
      for (let run = 0; run < 3; run += 1) {
        const started = performance.now();
        await model.fit(x, x, { batchSize: batch, epochs: 1, shuffle: true, verbose: 0 });
        paces.push(rows / ((performance.now() - started) / 1000));
      }
      result.training[batch] = median(paces);
    }
    const paces = [];
    for (let run = 0; run < 4; run += 1) {
      const started = performance.now();
      const errors = tf.tidy(() => model.predict(x, { batchSize: 8192 }).sub(x).square().mean(1));
      await errors.data();
      errors.dispose();
      if (run > 0) paces.push(rows / ((performance.now() - started) / 1000));
    }
    result.scoring = median(paces);
    return result;
  }, `${site.base}node_modules/@tensorflow/tfjs-backend-wasm/dist/`);
  if (figures.backend !== "wasm") throw new Error(`TF.js ran on ${figures.backend}, not wasm`);
  console.log(`TF.js 4.22 on WebAssembly${figures.simd ? " with SIMD" : " without SIMD"}, the same 81-64-32-8-32-64-81 tanh autoencoder, 102,400 rows:`);
  for (const [batch, pace] of Object.entries(figures.training)) {
    console.log(`  training at batch ${batch}: ${Math.round(pace)} rows/s`);
  }
  console.log(`  scoring: ${Math.round(figures.scoring)} rows/s`);
} finally {
  await browser.close();
  site.server.close();
}
