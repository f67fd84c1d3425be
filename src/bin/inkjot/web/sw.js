// inkjot serve's service worker: keeps the page working offline. On install it stores the page's
// files, /api/info, the wasm library, the model and the default language's pack; afterwards it
// answers GETs of the page's files from that cache first (storing what it fetches, such as a pack
// loaded when its language is first chosen), /api/info from the network first (the cached copy
// when the server is gone), and leaves the rest of /api/ (recognition by the server) to the
// network. The cache is named after the server's build and the files it serves (`inkjot serve`
// fills in CACHE), so a new binary, model or .wasm gets a new cache and the old one is deleted.
'use strict';

const CACHE = '%CACHE%';
const PAGE = ['./', 'app.js', 'style.css', 'handwriting.js'];

/** `url` without its query: the page opened with `?engine=server` is the same file. */
function key(url) {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  return u.href;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const urls = [...PAGE];
    const response = await fetch('api/info', { cache: 'no-store' });
    if (response.ok) {
      const info = await response.clone().json();
      await cache.put(key(new URL('api/info', self.registration.scope)), response);
      const wasm = info.wasm || {};
      if (wasm.available) {
        urls.push(wasm.module, wasm.wasm, wasm.model);
        const pack = wasm.languages && wasm.languages[info.default];
        if (pack) urls.push(pack.lm, pack.decoder);
      }
    }
    await cache.addAll([...new Set(urls)]); // addAll refuses a URL given twice
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('inkjot-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key(request.url));
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) await cache.put(key(request.url), response.clone());
  return response;
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key(request.url), response.clone());
    return response;
  } catch (err) {
    const hit = await cache.match(key(request.url));
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  const path = url.pathname.slice(scope.pathname.length);
  if (path === 'api/info') event.respondWith(networkFirst(request));
  else if (!path.startsWith('api/')) event.respondWith(cacheFirst(request));
});
