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
  // Each chart: a title, the series' names from a sample, and the value of each series.
  const defs = [
    ['active connections per virtual server', (s) => s.services.map((v) => v.name), (s) => s.services.map((v) => v.active)],
    ['new connections per second per virtual server', (s) => s.services.map((v) => v.name), (s) => s.services.map((v) => v.cps)],
    ['active connections per real server', (s) => s.services.flatMap((v) => v.servers.map((r) => `${v.name} ${r.id}`)),
      (s) => s.services.flatMap((v) => v.servers.map((r) => r.active))],
  ];
  let key = '';
  let made = [];
  const src = new EventSource(box.dataset.events);
  src.addEventListener('sample', (ev) => {
    const s = JSON.parse(ev.data);
    const names = defs.map(([, n]) => n(s));
    if (JSON.stringify(names) !== key) {
      // The virtual or real servers changed (an ACCEPT): start the charts again.
      key = JSON.stringify(names);
      for (const c of made) { c.plot.destroy(); c.el.remove(); }
      made = defs.map(([title], i) => makeChart(box, title, names[i]));
      box.dataset.samples = '0';
    }
    made.forEach((c, i) => {
      const values = defs[i][2](s);
      c.data[0].push(s.t);
      values.forEach((v, k) => c.data[k + 1].push(v));
      if (c.data[0].length > WINDOW) for (const col of c.data) col.shift();
      c.plot.setData(c.data);
    });
    box.dataset.samples = String(Number(box.dataset.samples || '0') + 1);
    box.dataset.last = JSON.stringify(s.services.map((v) => [v.name, v.active, v.cps]));
  });
}

document.addEventListener('DOMContentLoaded', () => {
  autoUpdate();
  charts();
});
