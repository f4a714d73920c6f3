// Entry point: a tiny history-API router, the API key prompt and the live
// status light. Each view is a module with mount(container, ctx) that
// returns a dispose function (which stops its fetches and live feed).

import { settings, APIError } from './api.js';
import { el, clear } from './util.js';
import * as listView from './list.js';
import * as traceView from './trace.js';
import * as sessionsView from './sessions.js';
import * as dashboardView from './dashboard.js';
import * as alertsView from './alerts.js';

const routes = [
  { re: /^\/$/, nav: 'traces', view: (m, q) => (c, ctx) => listView.mount(c, ctx, q) },
  { re: /^\/traces\/(.+)$/, nav: 'traces', view: (m, q) => (c, ctx) => traceView.mount(c, ctx, decodeURIComponent(m[1]), q) },
  { re: /^\/sessions$/, nav: 'sessions', view: (m, q) => (c, ctx) => sessionsView.mountList(c, ctx, q) },
  { re: /^\/sessions\/(.+)$/, nav: 'sessions', view: (m, q) => (c, ctx) => sessionsView.mountSession(c, ctx, decodeURIComponent(m[1])) },
  { re: /^\/dashboard$/, nav: 'dashboard', view: (m, q) => (c, ctx) => dashboardView.mount(c, ctx, q) },
  { re: /^\/alerts$/, nav: 'alerts', view: () => (c, ctx) => alertsView.mount(c, ctx) },
];

let dispose = null;
const viewEl = document.getElementById('view');
const liveEl = document.getElementById('live-status');
const repoInput = document.getElementById('repo-input');

const ctx = {
  navigate(path, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', path);
    else history.pushState(null, '', path);
    render();
  },
  // setQuery rewrites the current URL's query without re-rendering (views
  // keep their filter state in the URL so reloads and links keep it).
  setQuery(params) {
    const u = new URL(window.location.href);
    u.search = '';
    for (const [k, v] of Object.entries(params)) {
      if (v === undefined || v === null || v === '' || v === false) continue;
      if (Array.isArray(v)) v.forEach((x) => u.searchParams.append(k, x));
      else u.searchParams.set(k, v);
    }
    history.replaceState(null, '', u.pathname + u.search);
  },
  setLive(state) {
    liveEl.dataset.state = state;
    liveEl.title = `live change feed: ${state}`;
  },
  // fail shows an error in place of the view; auth errors open the key
  // prompt so the user can fix them right there.
  fail(container, err) {
    if (err && err.name === 'AbortError') return;
    clear(container);
    container.appendChild(el('div', { class: 'error-box', role: 'alert' },
      el('strong', { text: err instanceof APIError ? 'API error' : 'Error' }), ' ', String(err && err.message ? err.message : err)));
    if (err instanceof APIError && (err.isAuth || (err.status === 400 && /repo/.test(err.message)))) {
      openKeyDialog(err.message);
    }
  },
};

function render() {
  if (dispose) { try { dispose(); } catch (e) { console.error(e); } dispose = null; }
  ctx.setLive('off');
  const path = window.location.pathname.replace(/\/+$/, '') || '/';
  const q = new URLSearchParams(window.location.search);
  clear(viewEl);
  for (const nav of document.querySelectorAll('[data-nav]')) nav.classList.remove('active');
  for (const r of routes) {
    const m = path.match(r.re);
    if (!m) continue;
    const navEl = document.querySelector(`[data-nav="${r.nav}"]`);
    if (navEl) navEl.classList.add('active');
    dispose = r.view(m, q)(viewEl, ctx) || null;
    return;
  }
  viewEl.appendChild(el('div', { class: 'error-box' }, 'No such page: ', path, ' ', el('a', { href: '/', 'data-link': true }, 'back to traces')));
}

// Links marked data-link navigate inside the app; modified clicks keep the
// browser's behaviour (new tab etc.).
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/')) return;
  e.preventDefault();
  ctx.navigate(href);
});
window.addEventListener('popstate', render);

// ---- API key and repo ----
const dialog = document.getElementById('key-dialog');
const keyInput = document.getElementById('key-input');
const keyRepoInput = document.getElementById('key-repo-input');
const keyError = document.getElementById('key-error');

function openKeyDialog(reason) {
  if (dialog.open) return;
  keyInput.value = settings.apiKey;
  keyRepoInput.value = settings.repo;
  keyError.textContent = reason || '';
  dialog.showModal();
  keyInput.focus();
}

dialog.addEventListener('close', () => {
  if (dialog.returnValue === 'save') {
    settings.apiKey = keyInput.value.trim();
    settings.repo = keyRepoInput.value.trim();
  } else if (dialog.returnValue === 'clear') {
    settings.apiKey = '';
  } else {
    return;
  }
  repoInput.value = settings.repo;
  render();
});
document.getElementById('key-button').addEventListener('click', () => openKeyDialog(''));

repoInput.value = settings.repo;
repoInput.addEventListener('change', () => {
  settings.repo = repoInput.value.trim();
  render();
});

// Allow ?api_key= / ?repo= once on first load (handy for links from
// scripts); the key is moved to localStorage and removed from the URL.
(function adoptURLSettings() {
  const u = new URL(window.location.href);
  let changed = false;
  for (const [param, setter] of [['api_key', (v) => { settings.apiKey = v; }], ['repo', (v) => { settings.repo = v; repoInput.value = v; }]]) {
    if (u.searchParams.has(param)) {
      setter(u.searchParams.get(param));
      u.searchParams.delete(param);
      changed = true;
    }
  }
  if (changed) history.replaceState(null, '', u.pathname + u.search);
})();

render();
