// Jobs (clones by count, distributor repair/rebalance/re-encode) with their live progress.
import { del, get, poll } from './api.js';
import { card, el, fill, say, sayError, table } from './dom.js';
import { confirmAction } from './confirm.js';
import { bytes, duration, number, time } from './format.js';

export function show(view) {
  const box = el('div', {});
  fill(view, el('h1', {}, 'Jobs'), box);
  const stop = poll(async () => {
    const jobs = await get('/v1/jobs');
    jobs.sort((a, b) => Date.parse(b.created) - Date.parse(a.created));
    fill(box, card('Jobs', table(null, ['Job', 'Kind', 'Target', 'State', 'Progress', 'Rate', 'ETA', 'Created', ''],
      jobs, row, 'No jobs.')));
  }, 2000, (e) => sayError('Jobs', e));
  return { stop };
}

function row(j) {
  const p = j.progress;
  const percent = p && p.total > 0 ? Math.min(100, 100 * p.done / p.total) : null;
  const progress = el('div', { class: 'progress' },
    percent === null ? el('progress', { 'aria-label': 'progress of ' + j.id })
      : el('progress', { max: '100', value: percent.toFixed(1), 'aria-label': 'progress of ' + j.id }),
    p ? ' ' + number(p.done) + (p.total > 0 ? ' / ' + number(p.total) : '') : '');
  const running = j.state === 'queued' || j.state === 'running';
  return [j.id, j.kind, j.target,
    el('span', { class: j.state === 'failed' ? 'bad' : j.state === 'succeeded' ? 'ok' : '' }, j.state,
      j.error ? ': ' + j.error.detail : ''),
    progress,
    p ? number(p.itemsPerSecond, 1) + '/s' + (p.bytesPerSecond > 0 ? ', ' + bytes(p.bytesPerSecond) + '/s' : '') : '–',
    running && p ? duration(p.etaSeconds) : '–',
    time(j.created),
    running ? el('button', { type: 'button', class: 'danger', onclick: async () => {
      if (await confirmAction('Cancel job ' + j.id + '?', 'The ' + j.kind + ' job on ' + j.target
          + ' stops; what it finished stays.', 'Cancel job')) {
        try {
          await del('/v1/jobs/' + encodeURIComponent(j.id));
          say('Cancelled job ' + j.id + '.', 'ok');
        } catch (e) {
          sayError('Cancel job', e);
        }
      }
    } }, 'Cancel') : ''];
}
