// A small SVG line chart of lag samples ({t: ms, v: number}); redrawn whole on every sample.
import { h } from './dom.js';

const W = 640, H = 200, PAD = { l: 56, r: 12, t: 12, b: 28 };

export function lagChart(samples) {
  const svg = h('svg', { svg: true, class: 'lagchart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, testid: 'lag-chart', role: 'img', 'aria-label': 'lag over time' });
  const plotW = W - PAD.l - PAD.r, plotH = H - PAD.t - PAD.b;
  const max = niceMax(Math.max(1, ...samples.map(s => s.v)));
  const t0 = samples.length ? samples[0].t : 0, t1 = samples.length ? samples[samples.length - 1].t : 1;
  const span = Math.max(1, t1 - t0);
  const x = t => PAD.l + ((t - t0) / span) * plotW;
  const y = v => PAD.t + plotH - (v / max) * plotH;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4, yy = y(v);
    svg.append(h('line', { svg: true, class: 'grid', x1: PAD.l, x2: W - PAD.r, y1: yy, y2: yy }));
    svg.append(h('text', { svg: true, x: PAD.l - 6, y: yy + 4, 'text-anchor': 'end' }, v.toLocaleString('en-US')));
  }
  svg.append(h('line', { svg: true, class: 'axis', x1: PAD.l, x2: PAD.l, y1: PAD.t, y2: PAD.t + plotH }));
  svg.append(h('line', { svg: true, class: 'axis', x1: PAD.l, x2: W - PAD.r, y1: PAD.t + plotH, y2: PAD.t + plotH }));
  svg.append(h('text', { svg: true, x: PAD.l, y: H - 8 }, samples.length ? new Date(t0).toLocaleTimeString('en-GB') : ''));
  svg.append(h('text', { svg: true, x: W - PAD.r, y: H - 8, 'text-anchor': 'end' }, samples.length ? new Date(t1).toLocaleTimeString('en-GB') : ''));
  if (samples.length > 0) {
    const points = samples.map(s => `${x(s.t).toFixed(1)},${y(s.v).toFixed(1)}`).join(' ');
    svg.append(h('polyline', { svg: true, class: 'line', points, 'data-samples': samples.length }));
    const last = samples[samples.length - 1];
    svg.append(h('circle', { svg: true, class: 'dot', cx: x(last.t), cy: y(last.v), r: 3 }));
  }
  return svg;
}

// The smallest 4 × (1, 2 or 5 × 10^k) at or above value, so the four grid steps are round numbers.
function niceMax(value) {
  const raw = value / 4;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw);
  return Math.max(4, step * 4);
}
