// Groups: the list, and one group's members, committed offsets and lag, with a lag-over-time chart sampled while the
// page is open (every few seconds; the samples live in this page only).
import { api } from './api.js';
import { h, table, num } from './dom.js';
import { lagChart } from './chart.js';

const SAMPLE_EVERY_MS = 3000;
const MAX_SAMPLES = 200;
const history = new Map();

export async function groups(view) {
  const list = await api.groups();
  view.append(h('h1', {}, 'Groups'),
    list.groups.length === 0 ? h('p', { class: 'muted', testid: 'groups-empty' }, 'No groups yet.') :
    table('groups-table', ['Group', 'Type', 'Protocol', 'State', 'Coordinator'], list.groups.map(g =>
      h('tr', { testid: `group-row-${g.group_id}` },
        h('td', {}, h('a', { href: `#/groups/${encodeURIComponent(g.group_id)}` }, g.group_id)),
        h('td', {}, h('span', { class: 'tag' }, g.type)), h('td', {}, g.protocol_type || '—'),
        h('td', {}, g.state), h('td', {}, g.coordinator)))));
}

export async function group(view, id, signal) {
  const samples = history.get(id) ?? [];
  history.set(id, samples);
  const head = h('div');
  const chart = h('div');
  const members = h('div');
  const offsets = h('div');
  view.append(h('h1', { testid: 'group-detail' }, `Group ${id}`), head, h('h2', {}, 'Lag over time'), chart,
    h('h2', {}, 'Partitions'), offsets, h('h2', {}, 'Members'), members);

  const draw = g => {
    head.replaceChildren(h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Type'), h('div', { class: 'value' }, g.type)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'State'), h('div', { class: 'value', testid: 'group-state' }, g.state)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Members'), h('div', { class: 'value' }, g.members.length)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Total lag'), h('div', { class: 'value', testid: 'group-total-lag' }, num(g.total_lag))),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Coordinator'), h('div', { class: 'value' }, g.coordinator))));
    chart.replaceChildren(lagChart(samples));
    offsets.replaceChildren(table('group-offsets-table',
      ['Topic', 'Partition', { title: 'Committed', num: true }, { title: 'Log end', num: true }, { title: 'Lag', num: true }],
      g.offsets.map(o => h('tr', { testid: `group-offset-${o.topic}-${o.partition}` },
        h('td', {}, o.topic), h('td', {}, o.partition), h('td', { class: 'num' }, num(o.committed_offset)),
        h('td', { class: 'num' }, num(o.log_end_offset)), h('td', { class: 'num', testid: `lag-${o.topic}-${o.partition}` }, num(o.lag))))));
    members.replaceChildren(g.members.length === 0 ? h('p', { class: 'muted' }, 'No members.') :
      table('group-members-table', ['Member', 'Client', 'Host', 'Assignment'], g.members.map(m =>
        h('tr', {}, h('td', {}, m.member_id), h('td', {}, m.client_id), h('td', {}, m.client_host),
          h('td', {}, m.assignment.map(a => `${a.topic}[${a.partitions.join(',')}]`).join(' '))))));
  };

  const sample = async () => {
    const g = await api.group(id);
    samples.push({ t: Date.now(), v: g.total_lag });
    if (samples.length > MAX_SAMPLES) samples.shift();
    if (!signal.aborted) draw(g);
  };
  await sample();
  const timer = setInterval(() => sample().catch(() => { /* the next sample retries */ }), SAMPLE_EVERY_MS);
  signal.addEventListener('abort', () => clearInterval(timer));
}
