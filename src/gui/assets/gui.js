// tsvs configuration tool: the little JavaScript the pages use. Without it
// every page still works (forms post, "update now" reloads); with it the
// monitoring block refreshes itself and the charts draw from server-sent events.
'use strict';

function autoUpdate() {
  const live = document.getElementById('live');
  if (!live) return;
  const every = Number(live.dataset.refresh || '0');
  if (!every) return;
  setInterval(async () => {
    try {
      const res = await fetch('/control/live', { credentials: 'same-origin' });
      if (res.ok) live.innerHTML = await res.text(); // escaped by the server's template
    } catch (e) {
      // the tool is restarting: try again next time
    }
  }, every * 1000);
}

const WINDOW = 120; // samples kept per chart (two minutes at one a second)

function makeChart(box, title, names) {
  const width = Math.max(320, Math.min(900, box.clientWidth || 600));
  const series = [{}].concat(names.map((n, i) => ({ label: n, stroke: `hsl(${(i * 67) % 360} 70% 40%)`, width: 2 })));
  const data = [[]].concat(names.map(() => []));
  const el = document.createElement('div');
  box.appendChild(el);
  return { plot: new uPlot({ title, width, height: 220, series, scales: { x: { time: true } } }, data, el), data, names, el };
}

function charts() {
  const box = document.getElementById('charts');
  if (!box || typeof EventSource === 'undefined' || typeof uPlot === 'undefined') return;
  let key = '';
  let active = null;
  let cps = null;
  const src = new EventSource(box.dataset.events);
  src.addEventListener('sample', (ev) => {
    const s = JSON.parse(ev.data);
    const names = s.services.map((v) => v.name);
    if (names.join('\n') !== key) {
      // The set of virtual servers changed (an ACCEPT): start the charts again.
      key = names.join('\n');
      for (const c of [active, cps]) if (c) { c.plot.destroy(); c.el.remove(); }
      active = makeChart(box, 'active connections per virtual server', names);
      cps = makeChart(box, 'new connections per second per virtual server', names);
      box.dataset.samples = '0';
    }
    for (const [c, field] of [[active, 'active'], [cps, 'cps']]) {
      c.data[0].push(s.t);
      s.services.forEach((v, i) => c.data[i + 1].push(v[field]));
      if (c.data[0].length > WINDOW) for (const col of c.data) col.shift();
      c.plot.setData(c.data);
    }
    box.dataset.samples = String(Number(box.dataset.samples || '0') + 1);
    box.dataset.last = JSON.stringify(s.services.map((v) => [v.name, v.active, v.cps]));
  });
}

document.addEventListener('DOMContentLoaded', () => {
  autoUpdate();
  charts();
});
