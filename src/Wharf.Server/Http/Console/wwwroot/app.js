// The console's router: one view per location hash; a view's timers stop when the hash changes.
import { h, showError } from './dom.js';
import { api } from './api.js';
import { overview, brokers } from './overview.js';
import { topics, topic } from './topics.js';
import { messages } from './messages.js';
import { produce } from './produce.js';
import { groups, group } from './groups.js';

const routes = [
  [/^#\/overview$/, 'overview', (v) => overview(v)],
  [/^#\/topics$/, 'topics', (v) => topics(v)],
  [/^#\/topics\/([^/]+)$/, 'topics', (v, m) => topic(v, decodeURIComponent(m[1]))],
  [/^#\/messages(?:\/([^/]+)\/(\d+))?$/, 'messages', (v, m) => messages(v, m[1] && decodeURIComponent(m[1]), m[2])],
  [/^#\/produce(?:\/([^/]+))?$/, 'produce', (v, m) => produce(v, m[1] && decodeURIComponent(m[1]))],
  [/^#\/groups$/, 'groups', (v) => groups(v)],
  [/^#\/groups\/([^/]+)$/, 'groups', (v, m, signal) => group(v, decodeURIComponent(m[1]), signal)],
  [/^#\/brokers$/, 'brokers', (v) => brokers(v)],
];

let current = null;

async function navigate() {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const hash = location.hash || '#/overview';
  const [pattern, nav, render] = routes.find(([p]) => p.test(hash)) ?? routes[0];
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.dataset.testid === `nav-${nav}`);
  const view = h('div', { testid: `page-${nav}` });
  document.getElementById('view').replaceChildren(view);
  showError('');
  try {
    await render(view, hash.match(pattern) ?? [], controller.signal);
    if (!controller.signal.aborted) view.setAttribute('data-loaded', 'true');
  } catch (e) {
    if (!controller.signal.aborted) showError(`${e.code ?? 'ERROR'}: ${e.message}`);
  }
}

window.addEventListener('hashchange', navigate);
navigate();
api.cluster().then(c => { document.getElementById('cluster-badge').textContent = `cluster ${c.cluster_id} · ${c.brokers.length} broker(s)`; }).catch(() => {});
