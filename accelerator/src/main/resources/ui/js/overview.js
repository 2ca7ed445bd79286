// Overview: the node(s), capacity, backend health from /v1/ready, and alerts.
import { ApiError, get, poll } from './api.js';
import { card, el, fill, sayError, table } from './dom.js';
import { bytes, number } from './format.js';

const EVERY_MS = 5000;
/** The distributor's status is a survey of every store: asked for on every sixth refresh only. */
const DISTRIBUTOR_EVERY = 6;

export function show(view, ctx) {
  const body = el('div', { class: 'grid' });
  fill(view, el('h1', {}, 'Overview'), body);
  let round = 0;
  let distributor = null;
  const stop = poll(async () => {
    const surveyNow = ctx.features.distributor && round++ % DISTRIBUTOR_EVERY === 0;
    const [ready, vols, cluster, jobs, survey] = await Promise.all([
      readiness(),
      get('/v1/volumes'),
      ctx.features.cluster ? get('/v1/cluster') : null,
      ctx.features.jobs ? get('/v1/jobs') : [],
      surveyNow ? get('/v1/distributor') : distributor,
    ]);
    distributor = survey;
    fill(body, nodeCard(cluster), capacityCard(vols), healthCard(ready), alertsCard(ready, jobs, distributor));
  }, EVERY_MS, (e) => sayError('Overview', e));
  return { stop };
}

/** /v1/ready answers 200 when ready and 503 (a problem with the same checks) when not. */
async function readiness() {
  try {
    return await get('/v1/ready');
  } catch (e) {
    if (e instanceof ApiError && e.status === 503 && e.problem && e.problem.checks) {
      return { status: 'not ready', checks: e.problem.checks, detail: e.problem.detail };
    }
    throw e;
  }
}

function nodeCard(cluster) {
  if (!cluster) {
    return card('Node', el('p', {}, 'A single router (no cluster section) at ', el('code', {}, location.host), '.'));
  }
  return card('Nodes',
    table(null, ['Node', 'Health', 'NBD', 'API', 'Volumes'], cluster.nodes, (n) => [
      n.node + (n.node === cluster.self ? ' (this node)' : ''), n.health, n.nbd, n.api, number(n.volumes.length)]));
}

function capacityCard(vols) {
  const provisioned = vols.reduce((sum, v) => sum + v.spec.sizeBytes, 0);
  const templates = vols.filter((v) => v.template).length;
  const clones = vols.filter((v) => v.parent).length;
  return card('Capacity', el('dl', { class: 'figures' },
    el('dt', {}, 'Volumes'), el('dd', { id: 'overview-volumes' }, number(vols.length)),
    el('dt', {}, 'Templates'), el('dd', {}, number(templates)),
    el('dt', {}, 'Clones'), el('dd', {}, number(clones)),
    el('dt', {}, 'Provisioned'), el('dd', {}, bytes(provisioned))));
}

function healthCard(ready) {
  return card('Backend health',
    el('p', { class: ready.status === 'ready' ? 'ok' : 'bad', id: 'readiness' },
      ready.status === 'ready' ? 'Ready' : 'Not ready'),
    table(null, ['Check', 'State', 'Found'], ready.checks, (c) => [
      c.name, el('span', { class: c.ok ? 'ok' : 'bad' }, c.ok ? 'ok' : 'failing'), c.detail || '']));
}

function alertsCard(ready, jobs, distributor) {
  const alerts = [];
  for (const c of ready.checks.filter((x) => !x.ok)) {
    alerts.push('Check ' + c.name + ' is failing' + (c.detail ? ': ' + c.detail : ''));
  }
  if (distributor && !distributor.fullRedundancy) {
    const s = distributor.status;
    const stores = s.stores.filter((x) => x.health !== 'OK').map((x) => x.name + ' ' + x.health.toLowerCase());
    alerts.push('Distributor below full redundancy: ' + number(s.objectsDegraded) + ' objects degraded, '
      + number(s.objectsUnreadable) + ' unreadable' + (stores.length ? '; stores ' + stores.join(', ') : '')
      + ' (run a repair)');
  }
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const j of jobs.filter((x) => x.state === 'failed' && Date.parse(x.finished) > dayAgo)) {
    alerts.push('Job ' + j.kind + ' on ' + j.target + ' failed' + (j.error ? ': ' + j.error.detail : ''));
  }
  return card('Alerts', alerts.length === 0 ? el('p', { class: 'ok', id: 'alerts' }, 'No alerts.')
    : el('ul', { class: 'alerts', id: 'alerts' }, alerts.map((a) => el('li', {}, a))));
}
