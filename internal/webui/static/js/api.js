// The query API client: every call carries the API key header; the live
// feed is read with fetch streaming because EventSource cannot send
// headers.

const KEY_STORAGE = 'otelcol-genai.apiKey';
const REPO_STORAGE = 'otelcol-genai.repo';

export const settings = {
  get apiKey() { return localStorage.getItem(KEY_STORAGE) || ''; },
  set apiKey(v) { if (v) localStorage.setItem(KEY_STORAGE, v); else localStorage.removeItem(KEY_STORAGE); },
  get repo() { return localStorage.getItem(REPO_STORAGE) || ''; },
  set repo(v) { if (v) localStorage.setItem(REPO_STORAGE, v); else localStorage.removeItem(REPO_STORAGE); },
};

export class APIError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
  get isAuth() { return this.status === 401 || this.status === 403; }
}

function headers() {
  const h = { Accept: 'application/json' };
  if (settings.apiKey) h['x-maxim-api-key'] = settings.apiKey;
  return h;
}

// url builds an API URL; the repo setting is added unless the caller set
// one, and empty parameters are dropped.
export function url(path, params = {}) {
  const u = new URL(path, window.location.origin);
  const p = { ...params };
  if (p.repo === undefined && settings.repo) p.repo = settings.repo;
  for (const [k, v] of Object.entries(p)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => x !== '' && u.searchParams.append(k, x));
    else u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

async function errorOf(res) {
  let msg = `${res.status} ${res.statusText}`;
  try {
    const body = await res.json();
    if (body && body.message) msg = `${res.status}: ${body.message}`;
  } catch { /* not JSON */ }
  return new APIError(res.status, msg);
}

export async function getJSON(path, params, signal) {
  const res = await fetch(url(path, params), { headers: headers(), signal });
  if (!res.ok) throw await errorOf(res);
  return res.json();
}

// getBlobURL fetches an attachment with the key and returns an object URL
// (an <img src> or download link cannot send the header itself). SDK keys
// are "{repo}/{entity}/{id}/files/original/{attachment}"; a store that keeps
// blobs relative to their repository answers 404 for the full key, so the
// key without its repo segment is tried next. mimeType (from the
// attachment record) replaces a generic stored content type.
export async function getBlobURL(key, signal, mimeType) {
  const candidates = [key];
  const repo = settings.repo;
  const slash = key.indexOf('/');
  if (slash > 0 && (!repo || key.slice(0, slash) === repo)) candidates.push(key.slice(slash + 1));
  let lastErr;
  for (const k of candidates) {
    const params = slash > 0 && !repo ? { repo: key.slice(0, slash) } : {};
    const res = await fetch(url(`/api/v1/attachments/${k.split('/').map(encodeURIComponent).join('/')}`, params), { headers: headers(), signal });
    if (res.status === 404) { lastErr = await errorOf(res); continue; }
    if (!res.ok) throw await errorOf(res);
    let blob = await res.blob();
    if (mimeType && (!blob.type || blob.type === 'application/octet-stream')) blob = new Blob([blob], { type: mimeType });
    return { url: URL.createObjectURL(blob), type: blob.type, size: blob.size };
  }
  throw lastErr;
}

export const api = {
  traces: (q, signal) => getJSON('/api/v1/traces', q, signal),
  trace: (id, signal) => getJSON(`/api/v1/traces/${encodeURIComponent(id)}`, {}, signal),
  sessions: (q, signal) => getJSON('/api/v1/sessions', q, signal),
  session: (id, signal) => getJSON(`/api/v1/sessions/${encodeURIComponent(id)}`, {}, signal),
  stats: (q, signal) => getJSON('/api/v1/stats', q, signal),
  alerts: (q, signal) => getJSON('/api/v1/alerts', q, signal),
  entity: (kind, id, signal) => getJSON(`/api/v1/entities/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`, {}, signal),
};

// parseSSE feeds text chunks and calls onEvent({event, data, id}) per
// complete event; comment lines (heartbeats) are ignored.
export function sseParser(onEvent) {
  let buf = '';
  let ev = { event: 'message', data: [], id: undefined };
  return (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + (buf[i] === '\r' && buf[i + 1] === '\n' ? 2 : 1));
      if (line === '') {
        if (ev.data.length) onEvent({ event: ev.event, data: ev.data.join('\n'), id: ev.id });
        ev = { event: 'message', data: [], id: undefined };
        continue;
      }
      if (line.startsWith(':')) continue;
      const c = line.indexOf(':');
      const field = c < 0 ? line : line.slice(0, c);
      let value = c < 0 ? '' : line.slice(c + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') ev.event = value;
      else if (field === 'data') ev.data.push(value);
      else if (field === 'id') ev.id = value;
    }
  };
}

// live subscribes to /api/v1/live and reconnects with backoff until
// stop() is called. onChange gets each change event's JSON; onResync is
// called when the server says changes were dropped (and after a
// reconnect, since changes may have been missed meanwhile).
export function live(params, { onChange, onResync, onState }) {
  const ctrl = new AbortController();
  let stopped = false;
  let delay = 500;
  const setState = (s) => onState && onState(s);

  async function run() {
    let connectedOnce = false;
    while (!stopped) {
      try {
        const res = await fetch(url('/api/v1/live', params), {
          headers: { ...headers(), Accept: 'text/event-stream' },
          signal: ctrl.signal,
          cache: 'no-store',
        });
        if (!res.ok || !res.body) throw await errorOf(res);
        setState('open');
        if (connectedOnce && onResync) onResync();
        connectedOnce = true;
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        const feed = sseParser((e) => {
          if (e.event === 'change') {
            try { onChange(JSON.parse(e.data)); } catch (err) { console.warn('live: bad event', err); }
          } else if (e.event === 'resync' && onResync) {
            onResync();
          }
        });
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          feed(value);
        }
      } catch (err) {
        if (stopped) return;
        if (err instanceof APIError && err.isAuth) { setState('auth'); return; }
      }
      if (stopped) return;
      setState('closed');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return { stop() { stopped = true; ctrl.abort(); setState('off'); } };
}
