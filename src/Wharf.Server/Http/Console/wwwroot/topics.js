// Topics: the list with a create form, and one topic's partitions, offsets, sizes and configs.
import { api } from './api.js';
import { h, table, num, bytes, showError } from './dom.js';

export async function topics(view) {
  const list = await api.topics();
  const result = h('div', { class: 'result', testid: 'create-topic-result' });
  const form = h('form', { class: 'inline', testid: 'create-topic-form', id: 'create-topic-form' },
    h('label', {}, 'Name', h('input', { id: 'create-topic-name', testid: 'create-topic-name', required: true, placeholder: 'orders', pattern: '[a-zA-Z0-9._\\-]+' })),
    h('label', {}, 'Partitions', h('input', { id: 'create-topic-partitions', testid: 'create-topic-partitions', type: 'number', min: 1, value: '1' })),
    h('label', {}, 'Replication factor', h('input', { id: 'create-topic-rf', testid: 'create-topic-rf', type: 'number', min: 1, placeholder: 'default' })),
    h('button', { type: 'submit', testid: 'create-topic-submit' }, 'Create topic'));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const name = form.querySelector('#create-topic-name').value.trim();
    const partitions = parseInt(form.querySelector('#create-topic-partitions').value, 10);
    const rf = parseInt(form.querySelector('#create-topic-rf').value, 10);
    try {
      await api.createTopic({ name, partitions: Number.isNaN(partitions) ? null : partitions, replication_factor: Number.isNaN(rf) ? null : rf, configs: null });
      showError('');
      location.hash = `#/topics/${encodeURIComponent(name)}`;
    } catch (e) {
      result.textContent = `${e.code}: ${e.message}`;
    }
  });
  view.append(h('h1', {}, 'Topics'), form, result,
    table('topics-table', ['Name', { title: 'Partitions', num: true }, { title: 'Replication', num: true }, ''],
      list.topics.map(t => h('tr', { testid: `topic-row-${t.name}` },
        h('td', {}, h('a', { href: `#/topics/${encodeURIComponent(t.name)}` }, t.name)),
        h('td', { class: 'num' }, t.partitions), h('td', { class: 'num' }, t.replication_factor),
        h('td', {}, t.internal ? h('span', { class: 'tag' }, 'internal') : '')))));
}

export async function topic(view, name) {
  const t = await api.topic(name);
  const remove = h('button', { class: 'danger', testid: 'delete-topic', type: 'button' }, 'Delete topic');
  remove.addEventListener('click', async () => {
    if (!confirm(`Delete topic ${name} and all its messages?`)) return;
    await api.deleteTopic(name);
    location.hash = '#/topics';
  });
  view.append(
    h('h1', { testid: 'topic-detail' }, `Topic ${t.name}`),
    h('div', { class: 'cards' },
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Partitions'), h('div', { class: 'value' }, t.partitions.length)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Replication'), h('div', { class: 'value' }, t.replication_factor)),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Messages'), h('div', { class: 'value', testid: 'topic-message-count' }, num(t.message_count))),
      h('div', { class: 'card' }, h('div', { class: 'label' }, 'Size'), h('div', { class: 'value', testid: 'topic-size' }, bytes(t.size_bytes)))),
    h('h2', {}, 'Partitions'),
    table('partitions-table', ['Partition', 'Leader', 'Replicas', 'ISR', { title: 'Log start', num: true }, { title: 'High watermark', num: true }, { title: 'Size', num: true }, ''],
      t.partitions.map(p => h('tr', { testid: `partition-row-${p.partition}` },
        h('td', {}, p.partition), h('td', {}, p.leader), h('td', {}, p.replicas.join(', ')), h('td', {}, p.isr.join(', ')),
        h('td', { class: 'num' }, num(p.log_start_offset)), h('td', { class: 'num', testid: `partition-hw-${p.partition}` }, num(p.high_watermark)),
        h('td', { class: 'num' }, bytes(p.size_bytes)),
        h('td', {}, h('a', { href: `#/messages/${encodeURIComponent(t.name)}/${p.partition}` }, 'browse'))))),
    h('h2', {}, 'Configs'),
    table('configs-table', ['Name', 'Value', 'Source'], [...t.configs].sort((a, b) => (a.source === 'topic' ? 0 : 1) - (b.source === 'topic' ? 0 : 1)).map(c =>
      h('tr', {}, h('td', {}, c.name), h('td', {}, c.sensitive ? '(sensitive)' : (c.value ?? '—')), h('td', {}, h('span', { class: c.source === 'topic' ? 'tag' : 'muted' }, c.source))))),
    h('h2', {}, 'Danger zone'), remove);
}
