// NetSentry's service worker: the page keeps working offline once it has been opened. Requests
// for the page's own files go to the network first (so a new build is picked up when online) and
// fall back to the copies the page put in the cache (see the script in index.html). Nothing else
// is touched: the page makes no request to any other origin.
const CACHE = "netsentry";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request).catch(() =>
      caches.match(request, { ignoreSearch: true }).then((cached) => cached ?? Response.error()),
    ),
  );
});
