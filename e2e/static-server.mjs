// A static file server for the end-to-end tests: serves `dist/` under a sub-path on 127.0.0.1,
// so the tests also prove the build works when hosted below the site root.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, resolve, sep } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".csv": "text/csv",
  ".json": "application/json",
};

/** Serves `root` at `http://127.0.0.1:<port><prefix>`; resolves to the server and its base URL. */
export async function serve(root, prefix = "/") {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    if (!path.startsWith(prefix)) {
      response.writeHead(404).end();
      return;
    }
    let relative = path.slice(prefix.length) || "index.html";
    if (relative.endsWith("/")) relative += "index.html";
    const file = resolve(join(root, relative));
    if (!file.startsWith(resolve(root) + sep)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${server.address().port}${prefix}` };
}
