// The message browser: one partition from an offset, a time or its newest messages; values shown pretty-printed when
// they are JSON; a search box keeps the fetched messages whose key, value or headers contain the text.
import { api } from './api.js';
import { h, table, time, bytes } from './dom.js';

function payloadText(p) {
  if (p === null) return null;
  if (p.encoding !== 'utf8') return `base64: ${p.data}`;
  const trimmed = p.data.trim();
  if (!p.truncated && (trimmed.startsWith('{') || trimmed.startsWith('['))) {
    try { return JSON.stringify(JSON.parse(trimmed), null, 2); } catch { /* not JSON: shown as is */ }
  }
  return p.data;
}

function payloadCell(p, testid) {
  const text = payloadText(p);
  return h('td', {}, text === null ? h('span', { class: 'muted' }, 'null') : h('pre', { testid }, text),
    p && p.truncated ? h('div', { class: 'muted' }, `showing ${bytes(p.data.length)} of ${bytes(p.size)}`) : null);
}

function matches(m, q) {
  if (!q) return true;
  const needle = q.toLowerCase();
  const texts = [payloadText(m.key), payloadText(m.value), ...m.headers.flatMap(x => [x.key, payloadText(x.value)])];
  return texts.some(t => t !== null && t.toLowerCase().includes(needle));
}

export async function messages(view, topicName, partitionText) {
  const topicList = (await api.topics()).topics;
  const topicSelect = h('select', { id: 'browse-topic', testid: 'browse-topic' },
    topicList.map(t => h('option', { value: t.name, selected: t.name === topicName }, t.name)));
  const partitionSelect = h('select', { id: 'browse-partition', testid: 'browse-partition' });
  const fillPartitions = () => {
    const t = topicList.find(x => x.name === topicSelect.value);
    partitionSelect.replaceChildren(...Array.from({ length: t ? t.partitions : 0 }, (_, i) =>
      h('option', { value: String(i), selected: String(i) === partitionText }, String(i))));
  };
  fillPartitions();
  topicSelect.addEventListener('change', fillPartitions);
  const mode = h('select', { id: 'browse-mode', testid: 'browse-mode' },
    h('option', { value: 'latest' }, 'Newest'), h('option', { value: 'offset' }, 'From offset'), h('option', { value: 'timestamp' }, 'From time'));
  const offset = h('input', { id: 'browse-offset', testid: 'browse-offset', type: 'number', min: 0, value: '0' });
  const at = h('input', { id: 'browse-timestamp', testid: 'browse-timestamp', type: 'datetime-local', step: 1 });
  const limit = h('input', { id: 'browse-limit', testid: 'browse-limit', type: 'number', min: 1, max: 500, value: '50' });
  const search = h('input', { id: 'browse-search', testid: 'browse-search', type: 'search', placeholder: 'filter key, value, headers' });
  const status = h('div', { class: 'muted result', testid: 'browse-status' });
  const results = h('div', { testid: 'browse-results' });
  let page = null;

  const render = () => {
    if (!page) return;
    const shown = page.messages.filter(m => matches(m, search.value));
    status.textContent = `${page.topic}-${page.partition}: offsets ${page.start_offset}–${page.next_offset - 1} of [${page.log_start_offset}, ${page.high_watermark}); ${shown.length} of ${page.messages.length} shown`;
    results.replaceChildren(table('messages-table', ['Offset', 'Timestamp', 'Key', 'Value', 'Headers', { title: 'Size', num: true }],
      shown.map(m => h('tr', { testid: `message-${m.offset}` },
        h('td', {}, m.offset), h('td', {}, time(m.timestamp)),
        payloadCell(m.key, 'message-key'), payloadCell(m.value, 'message-value'),
        h('td', {}, m.headers.map(x => h('div', {}, h('span', { class: 'tag' }, x.key), ' ', payloadText(x.value) ?? 'null'))),
        h('td', { class: 'num' }, m.size)))));
  };

  let latest = 0;
  const load = async (from) => {
    const mine = ++latest;
    const params = { limit: limit.value || '50' };
    if (from !== undefined) params.offset = String(from);
    else if (mode.value === 'offset') params.offset = offset.value || '0';
    else if (mode.value === 'timestamp' && at.value) params.timestamp = String(new Date(at.value).getTime());
    try {
      const answer = await api.messages(topicSelect.value, partitionSelect.value, params);
      if (mine !== latest) return; // a later fetch was asked for: its answer wins, whatever the order they arrive in
      page = answer;
      render();
    } catch (e) {
      if (mine !== latest) return;
      page = null;
      results.replaceChildren();
      status.textContent = `${e.code}: ${e.message}`;
    }
  };

  const form = h('form', { class: 'inline', testid: 'browse-form' },
    h('label', {}, 'Topic', topicSelect), h('label', {}, 'Partition', partitionSelect), h('label', {}, 'Start', mode),
    h('label', {}, 'Offset', offset), h('label', {}, 'Time (local)', at), h('label', {}, 'Limit', limit),
    h('button', { type: 'submit', testid: 'browse-submit' }, 'Fetch'),
    h('label', {}, 'Search', search));
  form.addEventListener('submit', e => { e.preventDefault(); load(); });
  search.addEventListener('input', render);
  const next = h('button', { type: 'button', testid: 'browse-next' }, 'Next page');
  next.addEventListener('click', () => page && load(page.next_offset));
  view.append(h('h1', {}, 'Messages'), form, status, results, h('p', {}, next));
  if (topicSelect.value) await load();
}
