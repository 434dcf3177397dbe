// Small SVG charts drawn here (no chart library, nothing from a CDN). Each chart is a figure
// with a caption, an SVG with role="img" and a text alternative, and the numbers in a table
// under "Show data" for anyone who cannot see the picture.
import { h, svg, uid } from './dom.js';
import { t } from './i18n.js';

const W = 560;
const H = 240;
const PAD = { top: 16, right: 16, bottom: 40, left: 48 };
// Series colours that keep 3:1 against white (WCAG non-text contrast) and differ in dash too.
const COLOURS = ['#1f5fa8', '#b03a00', '#2e7d32', '#6a3d9a'];
const DASHES = ['', '6 4', '2 3', '8 3 2 3'];

function scale(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (v) => rangeMin + ((v - domainMin) / span) * (rangeMax - rangeMin);
}

function frame(caption, description, body, table) {
  const titleId = uid('chart-title');
  const descId = uid('chart-desc');
  return h(
    'figure',
    { class: 'chart' },
    h('figcaption', { id: titleId }, caption),
    svg(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': `${titleId} ${descId}`, preserveAspectRatio: 'xMidYMid meet' },
      svg('desc', { id: descId }, description),
      body,
    ),
    h('details', {}, h('summary', {}, t('chart.showData')), table),
  );
}

function dataTable(headers, rows) {
  return h(
    'table',
    { class: 'data' },
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c)))))),
  );
}

function axes(y, yMin, yMax, ticks, format) {
  const out = [];
  for (let i = 0; i <= ticks; i += 1) {
    const v = yMin + ((yMax - yMin) * i) / ticks;
    const yy = y(v);
    out.push(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: yy, y2: yy, class: 'grid' }));
    out.push(svg('text', { x: PAD.left - 6, y: yy + 4, 'text-anchor': 'end', class: 'tick' }, format(v)));
  }
  return out;
}

// labels: x labels; series: [{name, values: [number|null]}]; values outside [yMin, yMax] clamp.
export function lineChart({ caption, description, labels, series, yMin = 0, yMax = 1, format = String }) {
  const x = scale(0, Math.max(labels.length - 1, 1), PAD.left + 8, W - PAD.right - 8);
  const y = scale(yMin, yMax, H - PAD.bottom, PAD.top);
  const body = [...axes(y, yMin, yMax, 4, format)];
  labels.forEach((label, i) => {
    body.push(svg('text', { x: x(i), y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, label));
  });
  series.forEach((s, si) => {
    const points = s.values
      .map((v, i) => (v === null || v === undefined ? null : [x(i), y(Math.min(yMax, Math.max(yMin, v)))]))
      .filter(Boolean);
    if (points.length > 1) {
      body.push(
        svg('polyline', {
          points: points.map((p) => p.join(',')).join(' '),
          fill: 'none',
          stroke: COLOURS[si % COLOURS.length],
          'stroke-width': 2.5,
          'stroke-dasharray': DASHES[si % DASHES.length] || null,
        }),
      );
    }
    for (const [px, py] of points) {
      body.push(svg('circle', { cx: px, cy: py, r: 3.5, fill: COLOURS[si % COLOURS.length] }));
    }
  });
  body.push(legend(series.map((s) => s.name)));
  const table = dataTable(
    [t('chart.period'), ...series.map((s) => s.name)],
    labels.map((label, i) => [label, ...series.map((s) => (s.values[i] === null || s.values[i] === undefined ? '—' : format(s.values[i])))]),
  );
  return frame(caption, description, body, table);
}

// groups: [{label, values: [number]}] with one value per series name.
export function barChart({ caption, description, groups, seriesNames, format = String }) {
  // Counts: the axis runs to a multiple of 4 so its five ticks are whole numbers.
  const max = Math.max(4, Math.ceil(Math.max(...groups.flatMap((g) => g.values)) / 4) * 4);
  const y = scale(0, max, H - PAD.bottom, PAD.top);
  const band = (W - PAD.left - PAD.right) / Math.max(groups.length, 1);
  const barW = Math.min(48, Math.max(4, (band * 0.8) / seriesNames.length));
  const body = [...axes(y, 0, max, 4, (v) => format(Math.round(v)))];
  groups.forEach((g, gi) => {
    const x0 = PAD.left + gi * band + (band - barW * seriesNames.length) / 2;
    g.values.forEach((v, si) => {
      const top = y(v);
      body.push(
        svg(
          'rect',
          {
            x: x0 + si * barW,
            y: top,
            width: barW - 2,
            height: Math.max(0, H - PAD.bottom - top),
            fill: COLOURS[si % COLOURS.length],
            class: si === 1 ? 'hatched' : null,
          },
          svg('title', {}, `${g.label}, ${seriesNames[si]}: ${format(v)}`),
        ),
      );
    });
    body.push(svg('text', { x: x0 + (barW * seriesNames.length) / 2, y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'tick' }, shorten(g.label)));
  });
  body.push(legend(seriesNames));
  const table = dataTable([t('chart.category'), ...seriesNames], groups.map((g) => [g.label, ...g.values.map(format)]));
  return frame(caption, description, body, table);
}

function shorten(text) {
  return text.length > 12 ? `${text.slice(0, 11)}…` : text;
}

function legend(names) {
  return svg(
    'g',
    { class: 'legend' },
    names.map((name, i) => [
      svg('rect', { x: PAD.left + i * 150, y: H - 14, width: 12, height: 12, fill: COLOURS[i % COLOURS.length] }),
      svg('text', { x: PAD.left + i * 150 + 16, y: H - 4, class: 'tick' }, name),
    ]),
  );
}
