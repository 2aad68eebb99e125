// The JSON admin API under /api/v1: every call resolves to the parsed body or throws an Error carrying code and status.

export class ApiError extends Error {
  constructor(message, code, status) { super(message); this.code = code; this.status = status; }
}

async function call(method, path, body) {
  const init = { method, headers: { accept: 'application/json' } };
  if (body !== undefined) { init.body = JSON.stringify(body); init.headers['content-type'] = 'application/json'; }
  let response;
  try { response = await fetch(`/api/v1${path}`, init); }
  catch (e) { throw new ApiError(`the broker did not answer: ${e.message}`, 'NETWORK', 0); }
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!response.ok) throw new ApiError(json?.error ?? `${response.status} ${response.statusText}`, json?.code ?? 'HTTP', response.status);
  return json;
}

const enc = encodeURIComponent;

export const api = {
  cluster: () => call('GET', '/cluster'),
  brokers: () => call('GET', '/brokers'),
  topics: () => call('GET', '/topics'),
  topic: name => call('GET', `/topics/${enc(name)}`),
  createTopic: body => call('POST', '/topics', body),
  deleteTopic: name => call('DELETE', `/topics/${enc(name)}`),
  messages: (topic, partition, params) => call('GET', `/topics/${enc(topic)}/partitions/${partition}/messages?${new URLSearchParams(params)}`),
  produce: (topic, body) => call('POST', `/topics/${enc(topic)}/messages`, body),
  groups: () => call('GET', '/groups'),
  group: id => call('GET', `/groups/${enc(id)}`),
};
