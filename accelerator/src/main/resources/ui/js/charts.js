// Live line charts of the last minutes (uPlot, served from the jar), fed one point per reading.
import { el } from './dom.js';

const WINDOW_SECONDS = 300;
const COLOURS = ['#1f6feb', '#c2410c', '#15803d', '#7c3aed'];

/**
 * A chart titled title with one line per name in series, values in unit; push(seconds, values)
 * adds a point (null for none) and drops points older than five minutes.
 */
export function liveChart(parent, title, series, unit, digits) {
  const box = el('figure', { class: 'chart' }, el('figcaption', {}, title + ' (' + unit + ')'));
  parent.appendChild(box);
  const data = [[], ...series.map(() => [])];
  const fmt = (u, v) => (v === null || v === undefined ? '–' : v.toFixed(digits));
  const opts = {
    width: Math.max(300, box.clientWidth - 8),
    height: 170,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 1)] } },
    axes: [{}, { size: 60, values: (u, ticks) => ticks.map((t) => t.toLocaleString('en-US')) }],
    series: [{}, ...series.map((name, i) => ({ label: name, stroke: COLOURS[i % COLOURS.length], width: 2, value: fmt }))],
  };
  const plot = new uPlot(opts, data, box);
  const resize = () => plot.setSize({ width: Math.max(300, box.clientWidth - 8), height: 170 });
  window.addEventListener('resize', resize);
  return {
    push(seconds, values) {
      data[0].push(seconds);
      values.forEach((v, i) => data[i + 1].push(v));
      while (data[0].length > 0 && data[0][0] < seconds - WINDOW_SECONDS) {
        data.forEach((column) => column.shift());
      }
      plot.setData(data);
    },
    points() {
      return data[0].length;
    },
    destroy() {
      window.removeEventListener('resize', resize);
      plot.destroy();
    },
  };
}
