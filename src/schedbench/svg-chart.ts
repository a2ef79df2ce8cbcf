// A grouped bar chart as hand-written SVG: stacked panels sharing one set of
// categories (the schedulers), each with its own y axis (linear or log),
// ticks, grid lines, a legend, and a <title> tooltip per bar.

export interface Series {
  name: string;
  color: string;
  /** One per category; null = not measured (no bar). */
  values: (number | null)[];
}

export interface Panel {
  title: string;
  log: boolean;
  series: Series[];
}

const PANEL_H = 190;
const GAP = 70;
const LEFT = 72;
const RIGHT = 24;
const TOP = 64;
const GROUP_W = 62;

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
}

/** A round step for about five ticks up to max. */
function niceStep(max: number): number {
  const raw = max / 5;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

interface Scale {
  y: (v: number) => number;
  ticks: number[];
}

function scale(panel: Panel, top: number): Scale {
  const vals = panel.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v) && (!panel.log || v > 0));
  const bottom = top + PANEL_H;
  if (panel.log) {
    const lo = Math.floor(Math.log10(vals.length ? Math.min(...vals) : 1));
    const hi = Math.max(lo + 1, Math.ceil(Math.log10(vals.length ? Math.max(...vals) : 10)));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e++) ticks.push(Math.pow(10, e));
    return { y: (v) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * PANEL_H, ticks };
  }
  const max = vals.length ? Math.max(...vals) : 1;
  const step = niceStep(max > 0 ? max : 1);
  const top2 = Math.ceil((max > 0 ? max : 1) / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top2 + step / 2; v += step) ticks.push(v);
  return { y: (v) => bottom - (v / top2) * PANEL_H, ticks };
}

export function renderChart(title: string, subtitle: string, categories: string[], panels: Panel[]): string {
  const plotW = Math.max(560, categories.length * GROUP_W);
  const width = LEFT + plotW + RIGHT;
  const height = TOP + panels.length * (PANEL_H + GAP) + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${LEFT}" y="44" fill="#555555">${escapeXml(subtitle)}</text>`);
  panels.forEach((panel, pi) => {
    const top = TOP + pi * (PANEL_H + GAP) + 20;
    const bottom = top + PANEL_H;
    const sc = scale(panel, top);
    out.push(`<g class="panel">`);
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${escapeXml(panel.title)}</text>`);
    for (const t of sc.ticks) {
      const y = sc.y(t).toFixed(1);
      out.push(`<line x1="${LEFT}" y1="${y}" x2="${LEFT + plotW}" y2="${y}" stroke="#e5e5e5"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333333">${fmt(t)}</text>`);
    }
    out.push(`<line x1="${LEFT}" y1="${top}" x2="${LEFT}" y2="${bottom}" stroke="#333333"/>`);
    out.push(`<line x1="${LEFT}" y1="${bottom}" x2="${LEFT + plotW}" y2="${bottom}" stroke="#333333"/>`);
    const gw = plotW / categories.length;
    const bw = (gw * 0.8) / panel.series.length;
    categories.forEach((cat, ci) => {
      const x0 = LEFT + ci * gw + gw * 0.1;
      panel.series.forEach((s, si) => {
        const v = s.values[ci];
        if (v === null || !Number.isFinite(v) || (panel.log && v <= 0)) return;
        const y = Math.max(top, sc.y(v));
        const x = (x0 + si * bw).toFixed(1);
        out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${Math.max(0.5, bottom - y).toFixed(1)}" fill="${s.color}">` +
          `<title>${escapeXml(`${cat} ${s.name}: ${fmt(v)}`)}</title></rect>`);
      });
      out.push(`<text x="${(x0 + gw * 0.4).toFixed(1)}" y="${bottom + 16}" text-anchor="middle">${escapeXml(cat)}</text>`);
    });
    // Legend, right-aligned above the plot.
    let lx = LEFT + plotW;
    for (const s of [...panel.series].reverse()) {
      lx -= 14 + s.name.length * 7 + 14;
      out.push(`<rect x="${lx}" y="${top - 18}" width="12" height="12" fill="${s.color}"/>`);
      out.push(`<text x="${lx + 16}" y="${top - 8}">${escapeXml(s.name)}</text>`);
    }
    out.push(`</g>`);
  });
  out.push(`</svg>`);
  return out.join('\n') + '\n';
}
