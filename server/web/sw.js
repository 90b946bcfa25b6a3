// The service worker: keeps the app's files for offline use and answers navigations to the
// app and to tag URLs (/t/{code}) with the app's shell, so a QR opened by the phone's camera
// app works offline once the app has been used on the phone. Data lives in IndexedDB; API
// calls are never cached here. The server fills in BUILD and FILES when it serves this file.
// The management console (/console/, its files under /web/console/) is for desktops: it is
// not among FILES and this worker never answers its requests, the network does.
const BUILD = "__BUILD__";
const FILES = "__FILES__".split(",");
const CACHE = `rk-shell-${BUILD}`;
const SHELL = "/app/";

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((k) => k.startsWith("rk-shell-") && k !== CACHE).map((k) => caches.delete(k)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

function isConsole(url) {
  return url.pathname === "/console" || url.pathname.startsWith("/console/") ||
    url.pathname.startsWith("/web/console/");
}

function isAppPage(url) {
  return url.pathname === "/" || url.pathname === "/app" || url.pathname.startsWith(SHELL) ||
    url.pathname.startsWith("/t/");
}

// Opened once per start of the worker. Files are looked up by their exact URL (the app
// adds no query strings to them): matching while ignoring the query string makes the
// browser go through every entry of the cache for every file.
let opened = null;

async function fromCache(request, key) {
  opened ??= caches.open(CACHE);
  const hit = await (await opened).match(key ?? request);
  return hit ?? fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isConsole(url)) return;
  if (request.mode === "navigate" && isAppPage(url)) {
    event.respondWith(fromCache(request, SHELL));
  } else if (url.pathname.startsWith("/web/")) {
    event.respondWith(fromCache(request));
  }
});
