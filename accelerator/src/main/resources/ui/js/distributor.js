// The distributor's stores: health, fragments and bytes per store, redundancy; repair and rebalance jobs.
import { get, poll, post } from './api.js';
import { card, el, fill, say, sayError, table } from './dom.js';
import { bytes, number } from './format.js';

export function show(view, ctx) {
  const box = el('div', {});
  const start = (op) => async () => {
    try {
      await post('/v1/distributor/' + op);
      say('Started a ' + op + ' job.', 'ok');
      ctx.go('#/jobs');
    } catch (e) {
      sayError(op, e);
    }
  };
  fill(view, el('h1', {}, 'Distributor'), el('div', { class: 'row' },
    el('button', { type: 'button', id: 'start-repair', onclick: start('repair') }, 'Repair'),
    el('button', { type: 'button', id: 'start-rebalance', onclick: start('rebalance') }, 'Rebalance')), box);
  const stop = poll(async () => {
    const d = await get('/v1/distributor');
    const s = d.status;
    fill(box,
      card('Redundancy', el('dl', { class: 'figures' },
        el('dt', {}, 'Policy'), el('dd', {}, s.policy),
        el('dt', {}, 'Full redundancy'), el('dd', { id: 'full-redundancy', class: d.fullRedundancy ? 'ok' : 'bad' }, d.fullRedundancy ? 'yes' : 'no'),
        el('dt', {}, 'Objects'), el('dd', {}, number(s.objects)),
        el('dt', {}, 'Degraded'), el('dd', {}, number(s.objectsDegraded)),
        el('dt', {}, 'Unreadable'), el('dd', {}, number(s.objectsUnreadable)),
        el('dt', {}, 'Fragments missing'), el('dd', {}, number(s.fragmentsMissing)),
        el('dt', {}, 'Survey took'), el('dd', {}, number(s.tookMillis) + ' ms'))),
      card('Stores', el('div', { id: 'stores' }, table(null, ['Store', 'Failure domain', 'Health', 'Fragments', 'Bytes', 'Namespaces missing', 'Error'],
        s.stores, (st) => [st.name, st.failureDomain, el('span', { class: st.health === 'OK' ? 'ok' : 'bad' }, st.health),
          number(st.fragments), bytes(st.bytes), number(st.namespacesMissing), st.error || '']))));
  }, 15000, (e) => sayError('Distributor', e));
  return { stop };
}
