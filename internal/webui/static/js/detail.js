// The detail pane of one node: a generation as a chat transcript (system,
// user, assistant, tool calls, tool results, images) with model,
// parameters, token usage and cost; a tool call's arguments and result; a
// retrieval's query and documents with scores; and for every kind its
// events, feedback, evaluations, tags, metadata, metrics, attachments,
// errors, unknown data and its commit history.

import { api, getBlobURL } from './api.js';
import { el, clear, kindIcon, fmtDuration, fmtInt, fmtCost, fmtTime, parseTime, pretty, jsonBlock, isEmpty } from './util.js';

function section(title, id, ...content) {
  return el('section', { class: 'd-section', id }, el('h3', null, title), ...content);
}

function kv(rows) {
  return el('table', { class: 'kv' }, el('tbody', null,
    rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) =>
      el('tr', null, el('th', null, k), el('td', null, v instanceof Node ? v : String(v))))));
}

// value renders a metadata value: JSON strings are parsed so nested
// objects read as objects.
function value(v) {
  if (v !== null && typeof v === 'object') return jsonBlock(v);
  const s = pretty(v);
  return s.includes('\n') ? el('pre', { class: 'json' }, s) : el('span', { class: 'mono' }, s);
}

function mapTable(m, id) {
  return el('table', { class: 'kv', id }, el('tbody', null,
    Object.keys(m).sort().map((k) => el('tr', null, el('th', null, k), el('td', null, value(m[k]))))));
}

// ---- chat transcript ----

function textOf(v) {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : pretty(v);
}

function imageEl(src, alt) {
  if (typeof src !== 'string') return null;
  if (!/^(data:image\/|https?:|blob:)/.test(src)) return el('span', { class: 'mono small' }, src);
  return el('img', { class: 'msg-image', src, alt: alt || 'image', loading: 'lazy' });
}

function toolCallBox(name, args, id) {
  return el('div', { class: 'tool-call' },
    el('div', { class: 'tool-call-head' }, '⚒ ', el('strong', null, name || '(tool)'), id ? el('span', { class: 'mono small muted' }, ` ${id}`) : null),
    jsonBlock(args));
}

// contentParts renders OpenAI content arrays and Anthropic content
// blocks; unknown part types are shown as JSON rather than dropped.
function contentParts(content) {
  if (typeof content === 'string') return [el('div', { class: 'msg-text' }, content)];
  if (!Array.isArray(content)) return content === null || content === undefined ? [] : [jsonBlock(content)];
  return content.map((p) => {
    if (typeof p === 'string') return el('div', { class: 'msg-text' }, p);
    switch (p && p.type) {
      case 'text': case 'input_text': case 'output_text':
        return el('div', { class: 'msg-text' }, p.text || '');
      case 'image_url':
        return imageEl(typeof p.image_url === 'string' ? p.image_url : p.image_url && p.image_url.url);
      case 'input_image':
        return imageEl(p.image_url || p.url);
      case 'image':
        if (p.source && p.source.type === 'base64') return imageEl(`data:${p.source.media_type};base64,${p.source.data}`);
        return imageEl(p.source && p.source.url);
      case 'tool_use':
        return toolCallBox(p.name, p.input, p.id);
      case 'tool_result':
        return el('div', { class: 'tool-result' }, el('div', { class: 'small muted' }, `tool result ${p.tool_use_id || ''}`), ...contentParts(p.content));
      // OTel GenAI semantic-convention parts (gen_ai.input/output.messages).
      case 'tool_call':
        return toolCallBox(p.name, p.arguments, p.id);
      case 'tool_call_response':
        return el('div', { class: 'tool-result' }, el('div', { class: 'small muted' }, `tool result ${p.id || ''}`), jsonBlock(p.response !== undefined ? p.response : p.result));
      case 'reasoning': case 'thinking':
        return reasoningBlock(p.content || p.thinking || p.text);
      case 'blob':
        if (/^image\//.test(p.mime_type || '') && typeof p.content === 'string') return imageEl(`data:${p.mime_type};base64,${p.content}`);
        return el('div', { class: 'small muted' }, `${p.modality || 'blob'} ${p.mime_type || ''} (${(p.content || '').length} base64 chars)`);
      case 'uri':
        return p.modality === 'image' || /^image\//.test(p.mime_type || '') ? imageEl(p.uri) : el('a', { href: p.uri, target: '_blank', rel: 'noopener noreferrer' }, p.uri);
      // OpenAI Responses API output items.
      case 'function_call':
        return toolCallBox(p.name, p.arguments, p.call_id || p.id);
      case 'function_call_output':
        return el('div', { class: 'tool-result' }, el('div', { class: 'small muted' }, `tool result ${p.call_id || ''}`), jsonBlock(p.output));
      case 'message':
        return el('div', null, ...contentParts(p.content));
      // Vercel AI SDK prompt parts (ai.prompt.messages).
      case 'tool-call':
        return toolCallBox(p.toolName, p.input !== undefined ? p.input : p.args, p.toolCallId);
      case 'tool-result':
        return el('div', { class: 'tool-result' }, el('div', { class: 'small muted' }, `tool result ${p.toolCallId || ''}`),
          jsonBlock(p.output && p.output.value !== undefined ? p.output.value : (p.output !== undefined ? p.output : p.result)));
      case 'file': {
        const mt = p.mediaType || p.mimeType || '';
        if (/^image\//.test(mt) && typeof p.data === 'string') return imageEl(/^(https?:|data:)/.test(p.data) ? p.data : `data:${mt};base64,${p.data}`);
        return jsonBlock(p);
      }
      case 'input_audio':
        return el('div', { class: 'small muted' }, `audio (${(p.input_audio && p.input_audio.format) || 'unknown format'})`);
      default:
        return jsonBlock(p);
    }
  });
}

function reasoningBlock(text) {
  return el('details', { class: 'reasoning' }, el('summary', { class: 'small muted' }, 'reasoning'), el('div', { class: 'msg-text' }, textOf(text)));
}

function message(m, extraClass) {
  if (m === null || typeof m !== 'object') return el('div', { class: 'msg' }, jsonBlock(m));
  // OpenInference keeps a {message: {...}} wrapper.
  if (m.message && typeof m.message === 'object' && !m.role) m = m.message;
  const role = m.role || 'message';
  const body = [];
  if (m.reasoning || m.reasoning_content) body.push(reasoningBlock(m.reasoning || m.reasoning_content));
  const content = m.content !== undefined ? m.content : m.parts;
  // Tool results are usually JSON text: show them formatted.
  if ((role === 'tool' || role === 'function') && typeof content === 'string') body.push(jsonBlock(content));
  else body.push(...contentParts(content));
  for (const tc of m.tool_calls || []) {
    const f = tc.function || {};
    body.push(toolCallBox(f.name || tc.name, f.arguments !== undefined ? f.arguments : tc.arguments, tc.id));
  }
  if (m.function_call) body.push(toolCallBox(m.function_call.name, m.function_call.arguments));
  const label = role === 'tool' || role === 'function'
    ? `tool result${m.tool_call_id ? ` · ${m.tool_call_id}` : ''}${m.name ? ` · ${m.name}` : ''}`
    : role;
  return el('div', { class: `msg msg-${role} ${extraClass || ''}`, dataset: { role } },
    el('div', { class: 'msg-role' }, label), ...body);
}

// completionMessages extracts what the model answered: the choices of a
// chat completion, the text of a text completion, or the fold's summary.
function completionMessages(n) {
  const r = n.result;
  const out = [];
  if (r && Array.isArray(r.choices)) {
    for (const c of r.choices) {
      if (c.message) out.push(message({ role: 'assistant', ...c.message }, 'msg-completion'));
      else if (c.text !== undefined) out.push(message({ role: 'assistant', content: c.text }, 'msg-completion'));
    }
  } else if (r && Array.isArray(r.content) && r.role) {
    out.push(message(r, 'msg-completion'));
  } else if (r && Array.isArray(r.output)) {
    out.push(message({ role: 'assistant', content: r.output }, 'msg-completion'));
  } else if (n.completion && (n.completion.text || (n.completion.toolCalls || []).length)) {
    out.push(message({ role: 'assistant', content: n.completion.text || null, tool_calls: n.completion.toolCalls }, 'msg-completion'));
  }
  return out;
}

function generationSections(n) {
  const out = [];
  const params = n.modelParameters && !isEmpty(n.modelParameters) ? mapTable(n.modelParameters, 'model-params') : el('span', { class: 'muted' }, 'none');
  out.push(section('Model', 'model', kv([
    ['model', n.model], ['provider', n.provider],
    ['response model', n.completion && n.completion.model !== n.model ? n.completion.model : ''],
    ['finish', n.completion && (n.completion.finishReasons || []).join(', ')],
    ['prompt', n.maximPromptId ? `${n.maximPromptId}${n.maximPromptVersionId ? ` @ ${n.maximPromptVersionId}` : ''}` : ''],
    ['parameters', params],
  ])));
  const u = n.usage;
  out.push(section('Usage', 'usage', el('div', { class: 'usage-cards' },
    card('input tokens', u ? fmtInt(u.inputTokens) : '–', 'usage-input'),
    card('output tokens', u ? fmtInt(u.outputTokens) : '–', 'usage-output'),
    card('total tokens', u ? fmtInt(u.totalTokens) : '–', 'usage-total'),
    card('cost', n.cost ? fmtCost(n.cost.total) : '–', 'usage-cost'),
  ), u && (u.cacheReadTokens || u.cacheWriteTokens || u.reasoningTokens)
    ? el('div', { class: 'small muted usage-details' }, [
      u.cacheReadTokens ? `cache read ${fmtInt(u.cacheReadTokens)}` : '',
      u.cacheWriteTokens ? `cache write ${fmtInt(u.cacheWriteTokens)}` : '',
      u.reasoningTokens ? `reasoning ${fmtInt(u.reasoningTokens)}` : ''].filter(Boolean).join(' · ')) : null,
  costNote(n)));
  const msgs = (n.messages || []).map((m) => message(m));
  const comp = completionMessages(n);
  out.push(section('Transcript', 'transcript',
    msgs.length || comp.length ? el('div', { class: 'chat' }, ...msgs, ...comp) : el('p', { class: 'muted' }, 'No messages recorded.')));
  if (n.result && n.result.error) {
    out.push(section('Result error', 'result-error', jsonBlock(n.result.error, 'error-json')));
  }
  if (n.result) out.push(collapsible('Raw result', jsonBlock(n.result)));
  return out;
}

function card(label, v, id) {
  return el('div', { class: 'card', id }, el('div', { class: 'card-value' }, v), el('div', { class: 'card-label' }, label));
}

function collapsible(title, content, open) {
  return el('details', { class: 'd-section', open: !!open }, el('summary', null, title), content);
}

// ---- tool calls and retrievals ----

function toolSections(n) {
  const out = [];
  if (n.description) out.push(section('Description', 'tool-description', el('p', null, n.description)));
  out.push(section('Arguments', 'tool-args', n.args !== undefined ? jsonBlock(n.args) : el('p', { class: 'muted' }, 'none')));
  const result = n.result !== undefined ? n.result : n.output;
  out.push(section('Result', 'tool-result', result !== undefined ? jsonBlock(result) : el('p', { class: 'muted' }, n.errors && n.errors.length ? 'failed (see errors)' : 'no result yet')));
  return out;
}

function docScore(d) {
  if (d && typeof d === 'object') {
    for (const k of ['score', 'relevance_score', 'similarity', 'distance']) if (typeof d[k] === 'number') return [k, d[k]];
    if (d.metadata && typeof d.metadata.score === 'number') return ['score', d.metadata.score];
  }
  return null;
}

function docBody(d) {
  if (typeof d === 'string') return el('div', { class: 'doc-text' }, pretty(d));
  if (d && typeof d === 'object') {
    const text = d.content ?? d.text ?? d.pageContent ?? d.page_content ?? d.document;
    const rest = { ...d };
    for (const k of ['content', 'text', 'pageContent', 'page_content', 'document', 'score', 'relevance_score', 'similarity', 'distance']) delete rest[k];
    return el('div', null, text !== undefined ? el('div', { class: 'doc-text' }, textOf(text)) : null, isEmpty(rest) ? null : jsonBlock(rest));
  }
  return jsonBlock(d);
}

function retrievalSections(n) {
  const out = [];
  out.push(section('Query', 'retrieval-query', n.input !== undefined ? el('div', { class: 'msg-text' }, textOf(n.input)) : el('p', { class: 'muted' }, 'none')));
  let docs = n.output;
  if (docs && !Array.isArray(docs) && Array.isArray(docs.documents)) docs = docs.documents;
  if (Array.isArray(docs)) {
    out.push(section(`Documents (${docs.length})`, 'retrieval-docs', el('ol', { class: 'docs' },
      docs.map((d, i) => {
        const s = docScore(d);
        return el('li', { class: 'doc' }, el('div', { class: 'doc-head small muted' }, `#${i + 1}`, s ? el('span', { class: 'pill score' }, `${s[0]} ${Number(s[1]).toFixed(3)}`) : null), docBody(d));
      }))));
  } else if (docs !== undefined) {
    out.push(section('Documents', 'retrieval-docs', jsonBlock(docs)));
  }
  return out;
}

// ---- sub-records ----

function attachmentsSection(atts, signal) {
  return section(`Attachments (${atts.length})`, 'attachments', el('ul', { class: 'attachments' }, atts.map((a) => {
    const isImage = (a.mimeType || '').startsWith('image/');
    const li = el('li', { class: 'attachment', dataset: { id: a.id } },
      el('div', null, el('strong', null, a.name || a.id), ' ',
        el('span', { class: 'small muted' }, [a.type, a.mimeType, a.size !== undefined ? `${fmtInt(a.size)} bytes` : ''].filter(Boolean).join(' · '))));
    if (a.type === 'url' && a.url) {
      li.append(el('div', null, el('a', { href: a.url, target: '_blank', rel: 'noopener noreferrer' }, a.url)));
      if (isImage) li.append(imageEl(a.url, a.name));
    } else if (a.key) {
      if (isImage) {
        const holder = el('div', { class: 'small muted' }, 'loading image…');
        li.append(holder);
        getBlobURL(a.key, signal, a.mimeType).then((b) => { clear(holder).append(el('img', { class: 'msg-image attachment-image', src: b.url, alt: a.name || a.id })); })
          .catch((err) => { if (err.name !== 'AbortError') holder.textContent = `cannot load: ${err.message}`; });
      }
      li.append(el('button', {
        type: 'button', class: 'download',
        onclick: async (e) => {
          const btn = e.currentTarget;
          try {
            const b = await getBlobURL(a.key, undefined, a.mimeType);
            const link = el('a', { href: b.url, download: a.name || a.id });
            document.body.append(link); link.click(); link.remove();
            setTimeout(() => URL.revokeObjectURL(b.url), 30000);
          } catch (err) { btn.textContent = `download failed: ${err.message}`; }
        },
      }, 'Download'));
    }
    if (!isEmpty(a.tags)) li.append(mapTable(a.tags));
    return li;
  })));
}

function eventsSection(events, traceStart) {
  return section(`Events (${events.length})`, 'events', el('table', { class: 'grid' },
    el('thead', null, el('tr', null, el('th', null, 'name'), el('th', null, 'time'), el('th', null, 'tags / metadata'))),
    el('tbody', null, events.map((e) => {
      const t = parseTime(e.timestamp);
      return el('tr', null, el('td', null, e.name || e.id),
        el('td', { class: 'nowrap small' }, e.timestamp ? `${fmtTime(e.timestamp)}${Number.isNaN(t) ? '' : ` (+${fmtDuration(t - traceStart)})`}` : '–'),
        el('td', null, isEmpty(e.tags) ? null : mapTable(e.tags), isEmpty(e.metadata) ? null : mapTable(e.metadata), isEmpty(e.extra) ? null : mapTable(e.extra)));
    }))));
}

function feedbackSection(fb) {
  return section(`Feedback (${fb.length})`, 'feedback', el('ul', { class: 'plain' }, fb.map((f) =>
    el('li', null, el('span', { class: 'pill score' }, `score ${pretty(f.score)}`), ' ', f.comment || '', isEmpty(f.extra) ? null : mapTable(f.extra)))));
}

// Evaluations: the collector's verdicts (with "result": evaluator, score,
// pass/fail, reason, the judge's model, tokens and cost, or why no verdict
// was reached) first, then the SDK's evaluation requests.
function evaluationsSection(evs) {
  const verdicts = evs.filter((e) => e.with === 'result');
  const requests = evs.filter((e) => e.with !== 'result');
  const verdictRow = (e) => {
    const j = e.judge || {};
    const judge = e.judge ? [j.model, (j.inputTokens || j.outputTokens) ? `${fmtInt(j.inputTokens || 0)} / ${fmtInt(j.outputTokens || 0)} tokens` : '',
      j.cost !== undefined ? fmtCost(j.cost) : '', j.attempts > 1 ? `${j.attempts} attempts` : ''].filter(Boolean).join(' · ') : '';
    const verdict = e.error ? el('span', { class: 'badge error' }, 'error')
      : e.pass === undefined ? el('span', { class: 'badge' }, '–')
        : el('span', { class: `badge ${e.pass ? 'pass' : 'error'}` }, e.pass ? 'pass' : 'fail');
    return el('tr', { class: 'eval-verdict', dataset: { evaluator: e.evaluator || '' } },
      el('td', null, el('strong', null, e.evaluator || '(evaluator)')),
      el('td', { class: 'num' }, e.score !== undefined ? pretty(e.score) : '–'),
      el('td', null, verdict),
      el('td', null, e.error ? el('span', { class: 'error-text' }, e.error) : (e.reason || '')),
      el('td', { class: 'small' }, judge),
      el('td', { class: 'nowrap small muted' }, e.timestamp ? fmtTime(e.timestamp) : ''));
  };
  return section(`Evaluations (${evs.length})`, 'evaluations',
    verdicts.length ? el('table', { class: 'kv eval-table' },
      el('thead', null, el('tr', null, ['evaluator', 'score', 'verdict', 'reason', 'judge', 'time'].map((h) => el('th', { text: h })))),
      el('tbody', null, verdicts.map(verdictRow))) : null,
    requests.length ? el('ul', { class: 'plain' }, requests.map((e) =>
      el('li', null, el('strong', null, (e.evaluators || []).join(', ') || '(evaluators)'), ' ',
        el('span', { class: 'small muted' }, [e.with ? `with ${e.with}` : '', e.timestamp ? fmtTime(e.timestamp) : ''].filter(Boolean).join(' · ')),
        isEmpty(e.variables) ? null : mapTable(e.variables)))) : null);
}

function errorsSection(n) {
  const rows = [...(n.errors || [])];
  if (n.kind === 'error') rows.unshift({ source: 'error node', message: n.message, code: n.code, type: n.errorType });
  return section(`Errors (${rows.length})`, 'errors', el('ul', { class: 'plain errors' }, rows.map((e) =>
    el('li', { class: 'error-item' }, el('strong', null, e.message || '(no message)'), ' ',
      el('span', { class: 'small muted' }, [e.code && `code ${e.code}`, e.type && `type ${e.type}`, e.source && `from ${e.source}`].filter(Boolean).join(' · '))))));
}

// ---- commit history ----

function historySection(n, signal) {
  const body = el('div', { class: 'small muted' }, 'loading…');
  const sec = section('Commit history', 'history', body);
  api.entity(n.kind, n.id, signal).then((res) => {
    clear(body).className = '';
    const commits = res.commits || [];
    body.append(el('table', { class: 'grid history' },
      el('thead', null, el('tr', null, el('th', null, 'time'), el('th', null, 'action'), el('th', null, 'data'))),
      el('tbody', null, commits.map((c) => el('tr', { dataset: { action: c.action } },
        el('td', { class: 'nowrap small', title: `version ${c.version}\ncommit ${c.commitId}` }, fmtTime(c.time)),
        el('td', null, el('span', { class: 'pill' }, c.action), c.from ? el('div', { class: 'small muted' }, `via ${c.from.kind}/${c.from.id}`) : null),
        el('td', null, el('details', null, el('summary', { class: 'mono small' }, summarize(c.data)), jsonBlock(c.data))))))));
  }).catch((err) => {
    if (err.name !== 'AbortError') body.textContent = `history unavailable: ${err.message}`;
  });
  return sec;
}

function summarize(data) {
  const s = JSON.stringify(data);
  return s && s.length > 80 ? `${s.slice(0, 77)}…` : s || '';
}

// linksSection lists the span's links (an agent hand-off to or from
// another trace) as links to that trace, with the linked span selected.
function linksSection(links) {
  return section(`Links (${links.length})`, 'links', el('ul', { class: 'plain links-list' }, links.map((l) => {
    const href = `/traces/${encodeURIComponent(l.traceId)}${l.spanId ? `?span=${encodeURIComponent(l.spanId)}` : ''}`;
    return el('li', null,
      el('a', { href, 'data-link': true, class: 'mono span-link' }, l.spanId ? `${l.traceId} / ${l.spanId}` : l.traceId),
      isEmpty(l.attributes) ? null : mapTable(l.attributes));
  })));
}

// ---- the pane ----

export function renderDetail(n, { signal, traceStart = 0 } = {}) {
  const start = parseTime(n.startTimestamp);
  const out = el('div', { class: 'detail-body', dataset: { key: `${n.kind}:${n.id}`, kind: n.kind } });
  out.append(el('h2', null, kindIcon(n.kind), ' ', n.name || n.message || n.id,
    (n.errors && n.errors.length) || n.kind === 'error' ? el('span', { class: 'badge error' }, 'error') : null,
    n.ended ? null : el('span', { class: 'badge running' }, 'open')));
  out.append(kv([
    ['kind', n.kind], ['id', el('span', { class: 'mono' }, n.id)],
    ['start', n.startTimestamp ? `${fmtTime(n.startTimestamp)}${Number.isNaN(start) || !traceStart ? '' : ` (+${fmtDuration(start - traceStart)})`}` : ''],
    ['end', n.endTimestamp ? fmtTime(n.endTimestamp) : ''],
    ['duration', n.durationMs !== undefined ? fmtDuration(n.durationMs) : ''],
    ['session', n.sessionId ? el('a', { href: `/sessions/${encodeURIComponent(n.sessionId)}`, 'data-link': true }, n.sessionId) : ''],
    ['span kind', n.spanKind || ''],
    ['counted in', n.pairedWith ? el('span', { class: 'mono', title: 'the server half of a CLIENT/SERVER pair: the same call is counted on the caller' }, n.pairedWith) : ''],
    ['commits', n.commitCount],
    ['subtree', n.totals && n.children && n.children.length ? `${fmtInt(n.totals.totalTokens)} tokens · ${fmtCost(n.totals.cost)} · ${n.totals.errors} errors` : ''],
  ]));

  if ((n.errors && n.errors.length) || n.kind === 'error') out.append(errorsSection(n));

  switch (n.kind) {
    case 'generation': out.append(...generationSections(n)); break;
    case 'tool_call': out.append(...toolSections(n)); break;
    case 'retrieval': out.append(...retrievalSections(n)); break;
    default:
      if (n.input !== undefined) out.append(section('Input', 'input', jsonBlock(n.input)));
      if (n.output !== undefined) out.append(section('Output', 'output', jsonBlock(n.output)));
  }
  if (n.kind === 'generation' || n.kind === 'tool_call') {
    if (n.input !== undefined) out.append(section('Input', 'input', jsonBlock(n.input)));
    if (n.output !== undefined && n.kind === 'generation') out.append(section('Output', 'output', jsonBlock(n.output)));
  }

  if (!isEmpty(n.links)) out.append(linksSection(n.links));
  if (!isEmpty(n.attachments)) out.append(attachmentsSection(n.attachments, signal));
  if (!isEmpty(n.events)) out.append(eventsSection(n.events, traceStart));
  if (!isEmpty(n.feedback)) out.append(feedbackSection(n.feedback));
  if (!isEmpty(n.evaluations)) out.append(evaluationsSection(n.evaluations));
  if (!isEmpty(n.tags)) out.append(section('Tags', 'tags', mapTable(n.tags, 'tags-table')));
  if (!isEmpty(n.metadata)) out.append(section('Metadata', 'metadata', mapTable(n.metadata, 'metadata-table')));
  if (!isEmpty(n.metrics)) out.append(section('Metrics', 'metrics', mapTable(n.metrics, 'metrics-table')));
  if (!isEmpty(n.extra)) out.append(section('Other data', 'extra', mapTable(n.extra)));
  if (!isEmpty(n.unknown)) {
    out.append(section(`Unrecognized commits (${n.unknown.length})`, 'unknown', el('ul', { class: 'plain' }, n.unknown.map((u) =>
      el('li', null, el('span', { class: 'pill' }, u.action), ' ', u.reason || '', jsonBlock(u.data))))));
  }
  if (n.kind !== 'event') out.append(historySection(n, signal));
  return out;
}

// costNote says where a generation's cost came from: the client sent it,
// or it was computed with a named price (per million tokens), or no price
// is known for the model.
function costNote(n) {
  const c = n.cost;
  if (!c) {
    return n.usage ? el('div', { class: 'small muted cost-note', id: 'cost-note' }, `no price known for ${(n.completion && n.completion.model) || n.model || 'this model'}: cost unknown`) : null;
  }
  const parts = [`input ${fmtCost(c.input)} · output ${fmtCost(c.output)}`];
  if (c.source === 'sent') {
    parts.push('sent by the client');
  } else if (c.price) {
    const p = c.price;
    // genai-prices keys: *_mtok are USD per million tokens, *_kcount per
    // thousand requests.
    const rates = Object.entries(p.prices || {}).map(([k, v]) => {
      const unit = k.endsWith('_mtok') ? '/M' : k.endsWith('_kcount') ? '/1k req' : '';
      return `${k.replace(/_(mtok|kcount)$/, '').replace(/_/g, ' ')} $${v}${unit}`;
    });
    parts.push(`computed with ${p.provider ? `${p.provider}/` : ''}${p.model} (${rates.join(', ')}) from ${p.source}`);
  }
  return el('div', { class: 'small muted cost-note', id: 'cost-note' }, parts.join(' · '));
}
