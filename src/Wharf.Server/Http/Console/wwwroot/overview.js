// Overview (cluster id, controller, brokers) and the broker list.
import { api } from './api.js';
import { h, table } from './dom.js';

function card(label, value, testid) {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value', testid }, value));
}

function brokerTable(cluster) {
  return table('brokers-table', ['Node', 'Host', 'Port', 'Rack', 'Role'], cluster.brokers.map(b =>
    h('tr', { testid: `broker-row-${b.node_id}` }, h('td', {}, b.node_id), h('td', {}, b.host), h('td', {}, b.port),
      h('td', {}, b.rack ?? '—'), h('td', {}, b.is_controller ? h('span', { class: 'tag' }, 'controller') : ''))));
}

export async function overview(view) {
  const [cluster, topics, groups] = await Promise.all([api.cluster(), api.topics(), api.groups()]);
  view.append(
    h('h1', {}, 'Overview'),
    h('div', { class: 'cards' },
      card('Cluster id', cluster.cluster_id ?? '—', 'cluster-id'),
      card('Controller', cluster.controller_id, 'controller-id'),
      card('Brokers', cluster.brokers.length, 'broker-count'),
      card('Topics', topics.topics.filter(t => !t.internal).length, 'topic-count'),
      card('Groups', groups.groups.length, 'group-count')),
    h('h2', {}, 'Brokers'), brokerTable(cluster));
}

export async function brokers(view) {
  const cluster = await api.cluster();
  view.append(h('h1', {}, 'Brokers'), brokerTable(cluster));
}
