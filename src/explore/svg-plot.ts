// A small line-chart writer: SVG text with axes, "nice" ticks, axis labels, a legend, one polyline
// per series and optional vertical error bars. No DOM and no browser; the output is deterministic.

export interface PlotPoint {
  x: number;
  y: number;
  /** Error bar (for example a 95 % interval), drawn when both ends are given. */
  yLow?: number;
  yHigh?: number;
  /** Tooltip text (an SVG <title>). */
  label?: string;
}

export interface PlotSeries {
  name: string;
  points: PlotPoint[];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: PlotSeries[];
  width?: number;
  height?: number;
  /** Fix the y range (e.g. [0, 1] for rates); otherwise it is taken from the data. */
  yDomain?: [number, number];
}

/** Colour-blind-safe palette (Okabe-Ito), cycled. */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Ticks at 1, 2 or 5 × 10^k covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let t = start; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks[ticks.length - 1] < hi) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(4)));
}

function n2(v: number): string {
  return (Math.round(v * 100) / 100).toString();
}

/** A line chart as a standalone SVG document. */
export function lineChartSvg(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const legendRows = options.series.length;
  const longest = Math.max(0, ...options.series.map((s) => s.name.length));
  const margin = { top: 40, right: Math.min(320, 48 + 7 * longest), bottom: 56, left: 70 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const all = options.series.flatMap((s) => s.points);
  const xs = all.map((p) => p.x).filter(Number.isFinite);
  const ys = all.flatMap((p) => [p.y, p.yLow ?? p.y, p.yHigh ?? p.y]).filter(Number.isFinite);
  const xTicks = niceTicks(xs.length > 0 ? Math.min(...xs) : 0, xs.length > 0 ? Math.max(...xs) : 1);
  const yTicks = options.yDomain !== undefined ? niceTicks(options.yDomain[0], options.yDomain[1]) : niceTicks(ys.length > 0 ? Math.min(...ys) : 0, ys.length > 0 ? Math.max(...ys) : 1);
  const [x0, x1] = [xTicks[0] ?? 0, xTicks[xTicks.length - 1] ?? 1];
  const [y0, y1] = [yTicks[0] ?? 0, yTicks[yTicks.length - 1] ?? 1];
  const sx = (x: number): number => margin.left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const sy = (y: number): number => margin.top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(options.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);
  // Grid and ticks.
  out.push('<g class="axis x-axis" stroke="#e5e7eb">');
  for (const t of xTicks) out.push(`<line x1="${n2(sx(t))}" y1="${margin.top}" x2="${n2(sx(t))}" y2="${margin.top + plotH}"/>`);
  out.push('</g><g class="axis y-axis" stroke="#e5e7eb">');
  for (const t of yTicks) out.push(`<line x1="${margin.left}" y1="${n2(sy(t))}" x2="${margin.left + plotW}" y2="${n2(sy(t))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#374151"/>`);
  out.push('<g class="ticks" fill="#374151">');
  for (const t of xTicks) out.push(`<text x="${n2(sx(t))}" y="${margin.top + plotH + 18}" text-anchor="middle">${fmtTick(t)}</text>`);
  for (const t of yTicks) out.push(`<text x="${margin.left - 8}" y="${n2(sy(t) + 4)}" text-anchor="end">${fmtTick(t)}</text>`);
  out.push('</g>');
  out.push(`<text class="x-label" x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle" font-size="13">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text class="y-label" x="18" y="${margin.top + plotH / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${margin.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`);

  options.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x || a.y - b.y);
    out.push(`<g class="series" data-series="${escapeXml(s.name)}" stroke="${color}" fill="${color}">`);
    if (pts.length > 1) out.push(`<polyline fill="none" stroke-width="2" points="${pts.map((p) => `${n2(sx(p.x))},${n2(sy(p.y))}`).join(' ')}"/>`);
    for (const p of pts) {
      if (p.yLow !== undefined && p.yHigh !== undefined && Number.isFinite(p.yLow) && Number.isFinite(p.yHigh)) {
        out.push(`<line class="error-bar" x1="${n2(sx(p.x))}" y1="${n2(sy(p.yLow))}" x2="${n2(sx(p.x))}" y2="${n2(sy(p.yHigh))}" stroke-width="1.2" opacity="0.6"/>`);
      }
      const tip = p.label ?? `${s.name}: (${fmtTick(p.x)}, ${fmtTick(p.y)})`;
      out.push(`<circle cx="${n2(sx(p.x))}" cy="${n2(sy(p.y))}" r="4"><title>${escapeXml(tip)}</title></circle>`);
    }
    out.push('</g>');
  });

  // Legend, right of the plot.
  out.push(`<g class="legend" transform="translate(${margin.left + plotW + 16}, ${margin.top})">`);
  options.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const y = i * 20;
    out.push(`<line x1="0" y1="${y + 6}" x2="18" y2="${y + 6}" stroke="${color}" stroke-width="2"/><circle cx="9" cy="${y + 6}" r="4" fill="${color}"/>`);
    out.push(`<text x="24" y="${y + 10}">${escapeXml(s.name)}</text>`);
  });
  if (legendRows === 0) out.push('<text x="0" y="10">no data</text>');
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
