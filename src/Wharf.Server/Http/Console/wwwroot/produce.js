// Produce one message: topic, optional partition and key, value, headers (one "name: value" per line).
import { api } from './api.js';
import { h } from './dom.js';

export async function produce(view, topicName) {
  const topicList = (await api.topics()).topics.filter(t => !t.internal);
  const topic = h('select', { id: 'produce-topic', testid: 'produce-topic' },
    topicList.map(t => h('option', { value: t.name, selected: t.name === topicName }, t.name)));
  const partition = h('input', { id: 'produce-partition', testid: 'produce-partition', type: 'number', min: 0, placeholder: 'by key' });
  const key = h('input', { id: 'produce-key', testid: 'produce-key', placeholder: 'none' });
  const value = h('textarea', { id: 'produce-value', testid: 'produce-value', rows: 6, placeholder: '{"hello": "world"}' });
  const headers = h('textarea', { id: 'produce-headers', testid: 'produce-headers', rows: 3, placeholder: 'source: console' });
  const result = h('div', { class: 'result', testid: 'produce-result' });
  const form = h('form', { class: 'stack', testid: 'produce-form' },
    h('label', {}, 'Topic', topic), h('label', {}, 'Partition (empty: chosen by key)', partition), h('label', {}, 'Key', key),
    h('label', {}, 'Value', value), h('label', {}, 'Headers', headers),
    h('div', {}, h('button', { type: 'submit', testid: 'produce-submit' }, 'Produce')), result);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const parsedHeaders = {};
    for (const line of headers.value.split('\n').map(l => l.trim()).filter(Boolean)) {
      const colon = line.indexOf(':');
      if (colon < 0) parsedHeaders[line] = null;
      else parsedHeaders[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
    const p = parseInt(partition.value, 10);
    try {
      const done = await api.produce(topic.value, {
        partition: Number.isNaN(p) ? null : p, key: key.value === '' ? null : key.value, value: value.value,
        headers: parsedHeaders, key_encoding: null, value_encoding: null,
      });
      result.replaceChildren(h('span', { class: 'ok', testid: 'produce-ok' }, `Produced to ${done.topic}-${done.partition} at offset ${done.offset}`), ' ',
        h('a', { href: `#/messages/${encodeURIComponent(done.topic)}/${done.partition}` }, 'browse'));
    } catch (e) {
      result.replaceChildren(h('span', { class: 'error-text' }, `${e.code}: ${e.message}`));
    }
  });
  view.append(h('h1', {}, 'Produce'), form);
}
