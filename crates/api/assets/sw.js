// doorstep's service worker: the app shell, and the member's day lists for
// when the network is gone. Served from /sw.js (scope /) with no-cache.
//
// Personal pages are kept in a cache named after the session
// ("doorstep-pages-<id>", the id from <body data-cache>), served only while
// that session is the one last seen signed in, and dropped as soon as a
// page shows the browser signed out (the sign-in form) or another user.
// Sign-out also clears everything: app.js first, then the server's
// Clear-Site-Data.
'use strict';

const SHELL = 'doorstep-shell-v1';
const META = 'doorstep-meta';
const PAGES = 'doorstep-pages-';
const SHELL_FILES = ['/assets/doorstep.css', '/assets/app.js', '/manifest.webmanifest', '/assets/icon.svg'];
const DAY_LIST = '/lich-cua-toi';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('doorstep-shell-') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function currentSession() {
  const meta = await caches.open(META);
  const found = await meta.match('/session');
  return found ? found.text() : null;
}

async function setSession(id) {
  const meta = await caches.open(META);
  await meta.put('/session', new Response(id));
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES) && name !== PAGES + id) await caches.delete(name);
  }
}

async function forget() {
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES) || name === META) await caches.delete(name);
  }
}

function isDayList(url) {
  return url.origin === self.location.origin && url.pathname === DAY_LIST;
}

// Keeps a day list's answer under its session, with the time it was saved.
async function keep(request, response) {
  const html = await response.text();
  const found = html.match(/<body data-cache="([0-9a-f]+)"/);
  if (!found) return;
  await setSession(found[1]);
  const saved = new Date().toISOString();
  const body = html.replace('<body ', '<body data-saved-at="' + saved + '" ');
  const cache = await caches.open(PAGES + found[1]);
  await cache.put(request.url, new Response(body, {
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  }));
}

async function dayList(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    const url = new URL(response.url);
    if (url.pathname === '/dang-nhap') {
      await forget();
    } else if (response.ok && isDayList(url)) {
      event.waitUntil(keep(request, response.clone()));
    }
    return response;
  } catch (offline) {
    const session = await currentSession();
    if (session) {
      const cache = await caches.open(PAGES + session);
      const saved = await cache.match(request.url);
      if (saved) return saved;
    }
    throw offline;
  }
}

async function shellOrNetwork(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(SHELL);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (offline) {
    const saved = await caches.match(request, { cacheName: SHELL });
    if (saved) return saved;
    throw offline;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (isDayList(url)) {
    event.respondWith(dayList(event));
  } else if (SHELL_FILES.includes(url.pathname)) {
    event.respondWith(shellOrNetwork(request));
  } else if (request.mode === 'navigate') {
    // Any other page: watch for signs that the session is gone.
    event.respondWith(fetch(request).then((response) => {
      if (new URL(response.url).pathname === '/dang-nhap') event.waitUntil(forget());
      return response;
    }));
  }
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.type === 'keep' && Array.isArray(data.urls)) {
    // The day's and tomorrow's lists, fetched now while the network is here.
    event.waitUntil(Promise.all(data.urls.map(async (path) => {
      const url = new URL(path, self.location.origin);
      if (!isDayList(url)) return;
      try {
        const response = await fetch(url.href, { credentials: 'same-origin' });
        if (response.ok && isDayList(new URL(response.url))) await keep(new Request(url.href), response);
      } catch (offline) { /* kept next time */ }
    })));
  } else if (data.type === 'forget') {
    event.waitUntil(forget());
  }
});

// Background Sync, where the browser has it: the open pages send the outbox.
self.addEventListener('sync', (event) => {
  if (event.tag === 'doorstep-outbox') {
    event.waitUntil(self.clients.matchAll({ type: 'window' }).then((all) => {
      all.forEach((c) => c.postMessage({ type: 'flush' }));
    }));
  }
});
