// The overview's two charts, drawn as SVG: devices per condition (bars) and convergence since the
// current revision was applied (a step line of devices that reached it, under the fleet's size).
import { s } from './dom.js';
import { CONDITIONS, CONDITION_LABEL, num } from './format.js';

/** Horizontal bars, one per condition, each linking to the devices filtered by it. */
export function conditionChart(counts) {
  const total = CONDITIONS.reduce((n, c) => n + (counts?.[c] ?? 0), 0);
  const rowH = 34;
  const W = 520;
  const labelW = 110;
  const countW = 90;
  const barW = W - labelW - countW;
  const svg = s('svg', { class: 'chart conditions', viewBox: `0 0 ${W} ${rowH * CONDITIONS.length}`, role: 'img', 'aria-label': 'devices per condition' });
  CONDITIONS.forEach((c, i) => {
    const n = counts?.[c] ?? 0;
    const w = total ? Math.max(n ? 2 : 0, (n / total) * barW) : 0;
    const y = i * rowH;
    const link = s('a', { href: `#/devices?condition=${c}`, 'data-condition': c });
    link.append(
      s('text', { x: 0, y: y + 21, class: 'label' }, CONDITION_LABEL[c]),
      s('rect', { x: labelW, y: y + 6, width: barW, height: 20, rx: 3, class: 'track' }),
      s('rect', { x: labelW, y: y + 6, width: w.toFixed(1), height: 20, rx: 3, class: `bar c-${c}` }),
      s('text', { x: W, y: y + 21, class: 'count', 'text-anchor': 'end', 'data-count': c }, `${num(n)}${total ? ` · ${Math.round((n / total) * 100)}%` : ''}`),
    );
    svg.append(link);
  });
  return svg;
}

function fmtSpan(ms) {
  const sec = Math.round(ms / 1000);
  if (sec < 120) return `${sec} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  return `${(sec / 3600).toFixed(1)} h`;
}

/** Devices that reached the current revision over time, since it was applied. */
export function convergenceChart(view, now = Date.now()) {
  const W = 520;
  const H = 180;
  const pad = { l: 48, r: 12, t: 12, b: 26 };
  const svg = s('svg', { class: 'chart convergence', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'convergence since the last commit' });
  const points = view?.points ?? [];
  const since = view?.since ?? (points[0]?.at ?? now);
  const end = Math.max(now, points.length ? points[points.length - 1].at : now, since + 1000);
  const total = Math.max(1, ...points.map((p) => p.total));
  const x = (t) => pad.l + ((t - since) / (end - since)) * (W - pad.l - pad.r);
  const y = (v) => pad.t + (1 - v / total) * (H - pad.t - pad.b);
  // grid and axes
  for (const f of [0, 0.5, 1]) {
    const v = Math.round(total * f);
    svg.append(
      s('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }),
      s('text', { x: pad.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, num(v)),
    );
  }
  svg.append(
    s('text', { x: pad.l, y: H - 6, class: 'axis' }, 'applied'),
    s('text', { x: W - pad.r, y: H - 6, class: 'axis', 'text-anchor': 'end' }, `+${fmtSpan(end - since)} (now)`),
  );
  if (!points.length) {
    svg.append(s('text', { x: W / 2, y: H / 2, class: 'empty', 'text-anchor': 'middle' }, 'no samples yet'));
    return svg;
  }
  // step lines: total devices (dashed) and devices that reached the revision (filled area)
  let line = '';
  let totalLine = '';
  points.forEach((p, i) => {
    const px = x(p.at).toFixed(1);
    if (i === 0) {
      line = `M${px},${y(p.reached).toFixed(1)}`;
      totalLine = `M${px},${y(p.total).toFixed(1)}`;
    } else {
      line += `H${px}V${y(p.reached).toFixed(1)}`;
      totalLine += `H${px}V${y(p.total).toFixed(1)}`;
    }
  });
  const last = points[points.length - 1];
  line += `H${x(end).toFixed(1)}`;
  totalLine += `H${x(end).toFixed(1)}`;
  const area = `${line}V${y(0).toFixed(1)}H${x(points[0].at).toFixed(1)}Z`;
  svg.append(
    s('path', { d: area, class: 'area' }),
    s('path', { d: totalLine, class: 'total' }),
    s('path', { d: line, class: 'reached' }),
    s('text', { x: W - pad.r - 4, y: Math.max(pad.t + 12, y(last.reached) - 6), 'text-anchor': 'end', class: 'value' }, `${num(last.reached)} / ${num(last.total)}`),
  );
  return svg;
}
