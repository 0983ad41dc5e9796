// doorstep's pages work without this file. With it: the service worker (the
// day's and tomorrow's lists kept for when the network is gone), an outbox
// for outcomes tapped offline (IndexedDB, each with its idempotency key, so
// the server records each once however often it is sent), and a sign-out
// that sends what waits, asks if something cannot be sent, then clears.
'use strict';
(function () {
  const body = document.body;
  const en = body.dataset.lang === 'en';
  const t = (vi, english) => (en ? english : vi);
  const session = body.dataset.cache || '';

  // ---- the outbox -------------------------------------------------------
  function openOutbox() {
    return new Promise((resolve, reject) => {
      const open = indexedDB.open('doorstep', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('outbox', { keyPath: 'key' });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
  }

  async function outbox(mode, work) {
    const db = await openOutbox();
    return new Promise((resolve, reject) => {
      const tx = db.transaction('outbox', mode);
      const result = work(tx.objectStore('outbox'));
      tx.oncomplete = () => { db.close(); resolve(result && result.result); };
      tx.onerror = () => { db.close(); reject(tx.error); };
    });
  }

  const waiting = () => outbox('readonly', (s) => s.getAll());
  const put = (entry) => outbox('readwrite', (s) => s.put(entry));
  const remove = (key) => outbox('readwrite', (s) => s.delete(key));
  const clearOutbox = () => outbox('readwrite', (s) => s.clear());

  // Shows "waiting to send" on the residents whose results wait.
  async function showWaiting() {
    let entries = [];
    try { entries = await waiting(); } catch (e) { return; }
    document.querySelectorAll('[data-pending]').forEach((tag) => { tag.hidden = true; });
    for (const entry of entries) {
      const row = document.getElementById('r' + entry.visit + '-' + entry.resident);
      const tag = row && row.querySelector('[data-pending]');
      if (tag) {
        tag.textContent = entry.stuck
          ? t('chưa gửi được — mở lại khi có mạng', 'could not be sent — open again online')
          : t('chờ gửi', 'waiting to send') + ': ' + entry.label;
        tag.hidden = false;
      }
    }
  }

  let flushing = false;
  // Sends what waits, oldest first; answers how many are left.
  async function flush() {
    if (flushing) return -1;
    flushing = true;
    try {
      const entries = (await waiting()).sort((a, b) => a.at - b.at);
      for (const entry of entries) {
        if (entry.stuck) continue;
        let response;
        try {
          response = await fetch(entry.action, {
            method: 'POST',
            body: new URLSearchParams(entry.body),
            credentials: 'same-origin',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          });
        } catch (offline) {
          break;
        }
        const path = new URL(response.url).pathname;
        if (path === '/dang-nhap') break; // signed out: kept until signed in again
        if (response.ok && response.redirected && path === '/lich-cua-toi') {
          await remove(entry.key);
        } else {
          entry.stuck = true; // the server asks or refuses: shown, never lost
          await put(entry);
        }
      }
      return (await waiting()).length;
    } finally {
      flushing = false;
      showWaiting();
    }
  }

  // A tap on a result: sent at once when the network is there, else kept.
  async function tap(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains('tap-form')) return;
    event.preventDefault();
    const data = new FormData(form);
    const fields = Array.from(data.entries()).map(([k, v]) => [k, String(v)]);
    const resultField = fields.find(([k]) => /^r\d+$/.test(k));
    if (!resultField) return;
    const resident = resultField[0].slice(1);
    const visit = (form.getAttribute('action').match(/\/visits\/(\d+)\//) || [])[1];
    const send = () => HTMLFormElement.prototype.submit.call(form);
    if (navigator.onLine) {
      try {
        const response = await fetch(form.action, {
          method: 'POST', body: new URLSearchParams(fields), credentials: 'same-origin',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        });
        if (response.redirected) { window.location.assign(response.url); return; }
        // The server asks first (a change) or refuses: its page, as without
        // script; nothing was written, so sending the form again is safe.
        send();
        return;
      } catch (offline) { /* kept below */ }
    }
    const row = document.getElementById('r' + visit + '-' + resident);
    const current = row ? row.dataset.current : '';
    const button = form.querySelector('button');
    const label = button ? button.textContent.trim() : resultField[1];
    const forNeed = fields.some(([k]) => /^g\d+$/.test(k));
    if (current && !forNeed && current !== resultField[1]) {
      if (!window.confirm(t('Đổi kết quả đã ghi? Sẽ ghi: ', 'Change the recorded result? To: ') + label)) return;
      fields.push(['correction', '1']);
      const key = fields.find(([k]) => k === 'key');
      if (key) key[1] = 'c' + key[1] + '-' + Date.now().toString(36);
    }
    const key = (fields.find(([k]) => k === 'key') || [])[1] || ('o' + Date.now());
    await put({ key, action: form.getAttribute('action'), body: fields, visit, resident, label, at: Date.now() });
    await showWaiting();
    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.ready
        .then((r) => r.sync && r.sync.register('doorstep-outbox'))
        .catch(() => {});
    }
    flush();
  }

  // Sign-out: send what waits; ask if some cannot be sent; then clear.
  async function signOut(event) {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute('data-sign-out')) return;
    event.preventDefault();
    let left = 0;
    try { left = await flush(); if (left < 0) left = (await waiting()).length; } catch (e) { left = 0; }
    if (left > 0 && !window.confirm(t(
      'Còn ' + left + ' kết quả chưa gửi được. Đăng xuất sẽ xoá chúng khỏi máy này. Vẫn đăng xuất?',
      left + ' result(s) could not be sent. Signing out deletes them from this phone. Sign out anyway?'))) {
      return;
    }
    try { await clearOutbox(); } catch (e) { /* nothing kept */ }
    try {
      for (const name of await caches.keys()) {
        if (name.startsWith('doorstep-pages-') || name === 'doorstep-meta') await caches.delete(name);
      }
    } catch (e) { /* no Cache Storage */ }
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: 'forget' });
    }
    HTMLFormElement.prototype.submit.call(form);
  }

  // "Offline — list saved at HH:MM", on a list the service worker kept.
  function showSaved() {
    const note = document.querySelector('[data-offline]');
    const saved = body.dataset.savedAt;
    if (!note || !saved) return;
    const at = new Date(saved);
    const hhmm = String(at.getHours()).padStart(2, '0') + ':' + String(at.getMinutes()).padStart(2, '0');
    note.textContent = t('Đang ngoại tuyến — danh sách đã lưu lúc ', 'Offline — list saved at ') + hhmm;
    note.hidden = false;
  }

  document.addEventListener('submit', (event) => { tap(event); signOut(event); });
  window.addEventListener('online', () => { flush(); });

  if ('serviceWorker' in navigator && session) {
    navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then((r) => {
      // The day's list and tomorrow's, kept while the network is here.
      if (window.location.pathname === '/lich-cua-toi' && !body.dataset.savedAt && r.active) {
        const urls = [window.location.pathname + window.location.search, '/lich-cua-toi'];
        const tomorrow = document.querySelector('a.tomorrow');
        const next = document.querySelector('a[rel=next]');
        if (tomorrow) urls.push(tomorrow.getAttribute('href'));
        else if (next) urls.push(next.getAttribute('href'));
        r.active.postMessage({ type: 'keep', urls });
      }
    }).catch(() => {});
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'flush') flush();
    });
  }
  showSaved();
  if (session && window.indexedDB) {
    showWaiting();
    flush();
    window.setInterval(flush, 30000);
  }
})();
