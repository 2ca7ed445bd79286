// One volume: what it is, live I/O charts of the last minutes, snapshots (create, rollback, delete,
// clone), resize, template, reset and delete. Destructive actions ask first.
import { get, poll, post, del, volumePath } from './api.js';
import { card, el, fill, say, sayError, table } from './dom.js';
import { confirmAction } from './confirm.js';
import { liveChart } from './charts.js';
import { bytes, number, time } from './format.js';
import { hosts, used } from './volumes.js';

const STATS_EVERY_MS = 2000;
const MIB = 1024 * 1024;

export function show(view, ctx) {
  const name = ctx.arg;
  const summary = el('div', {});
  const snapshots = el('div', { id: 'snapshots' });
  const live = el('div', {});
  const actions = el('div', {});
  fill(view, el('h1', {}, 'Volume ', el('span', { id: 'volume-name' }, name)), summary, live, snapshots, actions);
  let charts = null;
  const startLive = () => {
    if (ctx.features.volumeStats) {
      charts = startCharts(live, name);
    } else {
      fill(live, card('Live I/O', el('p', { class: 'empty' }, 'This router keeps no per-volume meters.')));
    }
  };
  /** Stops the live figures and waits for a reading under way (before the volume goes away). */
  const stopLive = async () => {
    if (charts) {
      const c = charts;
      charts = null;
      await c.stop();
    }
  };
  const reload = async () => {
    const [detail, qos, attached, space] = await Promise.all([get(volumePath(name)), get(volumePath(name, 'qos')),
      ctx.features.hosts ? get(volumePath(name, 'attachments')) : null,
      ctx.features.space ? get(volumePath(name, 'space')) : null]);
    renderSummary(summary, detail, qos, attached, space);
    renderSnapshots(snapshots, name, detail.snapshots, reload);
    renderActions(actions, detail, reload, { ...ctx, startLive, stopLive });
  };
  reload().catch((e) => sayError('Volume ' + name, e));
  startLive();
  return { stop: stopLive };
}

function renderSummary(box, detail, qos, attached, space) {
  const v = detail.volume;
  const caps = Object.entries(qos).filter(([k, value]) => k !== 'burstSeconds' && value)
    .map(([k, value]) => k + ' ' + number(value));
  fill(box, card('Summary', el('dl', { class: 'figures wide' },
    el('dt', {}, 'Size'), el('dd', { id: 'volume-size' }, bytes(detail.sizeBytes)),
    el('dt', {}, 'Data'), el('dd', { id: 'volume-data' }, used(space)),
    el('dt', {}, 'State'), el('dd', {}, v.state),
    el('dt', {}, 'Kind'), el('dd', {}, v.template ? 'template (read-only)' : v.parent ? 'clone' : 'volume'),
    el('dt', {}, 'Parent'), el('dd', {}, v.parent
      ? [el('a', { href: '#/volume/' + encodeURIComponent(v.parent) }, v.parent), ' @ ', v.parentSnapshot] : '–'),
    el('dt', {}, 'Attached to'), el('dd', { id: 'volume-hosts' }, hosts(attached)),
    el('dt', {}, 'QoS'), el('dd', {}, caps.length ? caps.join(', ') : 'uncapped'),
    el('dt', {}, 'Cluster / SCO'), el('dd', {}, bytes(v.spec.clusterSize) + ' / ' + bytes(v.spec.scoSize)),
    el('dt', {}, 'Compression'), el('dd', {}, v.spec.compression || 'none'),
    el('dt', {}, 'Encryption'), el('dd', {}, v.spec.encryption || 'none'))));
}

/** Polls /stats and turns each pair of readings into rates on three charts and a row of figures. */
function startCharts(box, name) {
  const note = el('p', { class: 'hint', id: 'stats-note' });
  const figs = {};
  const fig = (id, label) => {
    figs[id] = el('dd', { id: 'fig-' + id }, '–');
    return [el('dt', {}, label), figs[id]];
  };
  const figures = el('dl', { class: 'figures wide' },
    fig('read-iops', 'Read IOPS'), fig('write-iops', 'Write IOPS'), fig('read-mib', 'Read MiB/s'),
    fig('write-mib', 'Write MiB/s'), fig('read-ms', 'Read latency ms'), fig('write-ms', 'Write latency ms'),
    fig('hit', 'Cache hit ratio'), fig('backlog', 'SCO backlog'));
  const chartRow = el('div', { class: 'charts' });
  fill(box, card('Live I/O (last 5 minutes)', note, figures, chartRow));
  const iops = liveChart(chartRow, 'IOPS', ['read', 'write'], 'requests/s', 0);
  const throughput = liveChart(chartRow, 'Throughput', ['read', 'write'], 'MiB/s', 2);
  const latency = liveChart(chartRow, 'Mean latency', ['read', 'write'], 'ms', 3);
  let last = null;
  const stop = poll(async () => {
    const s = await get(volumePath(name, 'stats'));
    note.textContent = s.label === null ? 'No client has attached this volume since the router started.'
      : s.shared ? 'This volume is past the per-volume label limit: the I/O figures are those of every such volume together.'
        : '';
    figs.hit.textContent = s.cacheHits + s.cacheMisses === 0 ? '–'
      : number(100 * s.cacheHits / (s.cacheHits + s.cacheMisses), 1) + ' %';
    figs.backlog.textContent = bytes(s.scoBacklogBytes);
    if (last && s.atMillis > last.atMillis) {
      const dt = (s.atMillis - last.atMillis) / 1000;
      const rate = (op, field) => (s.ops[op][field] - last.ops[op][field]) / dt;
      const meanMs = (op) => {
        const n = s.ops[op].requests - last.ops[op].requests;
        return n > 0 ? 1000 * (s.ops[op].latencySeconds - last.ops[op].latencySeconds) / n : null;
      };
      const r = { ri: rate('read', 'requests'), wi: rate('write', 'requests'), rb: rate('read', 'bytes') / MIB,
        wb: rate('write', 'bytes') / MIB, rl: meanMs('read'), wl: meanMs('write') };
      const t = s.atMillis / 1000;
      iops.push(t, [r.ri, r.wi]);
      throughput.push(t, [r.rb, r.wb]);
      latency.push(t, [r.rl, r.wl]);
      figs['read-iops'].textContent = number(r.ri);
      figs['write-iops'].textContent = number(r.wi);
      figs['read-mib'].textContent = number(r.rb, 2);
      figs['write-mib'].textContent = number(r.wb, 2);
      figs['read-ms'].textContent = r.rl === null ? '–' : number(r.rl, 3);
      figs['write-ms'].textContent = r.wl === null ? '–' : number(r.wl, 3);
    }
    last = s;
  }, STATS_EVERY_MS, (e) => {
    sayError('Live I/O', e);
    if (e.status === 404) {
      stop(); // the volume is gone: asking again every 2 s would only repeat the error
    }
  });
  return { async stop() {
    await stop();
    iops.destroy();
    throughput.destroy();
    latency.destroy();
  } };
}

function renderSnapshots(box, name, snaps, reload) {
  const input = el('input', { id: 'snapshot-name', name: 'snapshot', required: true, autocomplete: 'off',
    value: 'snap-' + new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '') });
  const form = el('form', { class: 'row', id: 'create-snapshot', onsubmit: (event) => {
    event.preventDefault();
    act('Snapshot ' + input.value.trim() + ' created.', 'Snapshot',
      () => post(volumePath(name, 'snapshots'), { name: input.value.trim() }), reload);
  } }, el('label', { for: 'snapshot-name' }, 'Name'), input, el('button', { type: 'submit' }, 'Create snapshot'));
  const rows = table(null, ['Snapshot', 'Created', 'On backend', 'Actions'], snaps.slice().reverse(), (s) => [
    s.name, time(s.created), s.onBackend ? 'yes' : 'not yet',
    el('div', { class: 'row' },
      button('Roll back', 'rollback', s.name, 'danger', async () => {
        if (await confirmAction('Roll back ' + name + '?', 'Every write to ' + name + ' after snapshot ' + s.name
            + ' and every later snapshot is discarded. Clients should be detached first.', 'Roll back')) {
          act('Rolled ' + name + ' back to ' + s.name + '.', 'Roll back',
            () => post(volumePath(name, 'rollback'), { snapshot: s.name }), reload);
        }
      }),
      button('Delete', 'delete-snapshot', s.name, 'danger', async () => {
        if (await confirmAction('Delete snapshot ' + s.name + '?', 'Snapshot ' + s.name + ' of ' + name
            + ' is removed; its space returns when the scrubber runs.', 'Delete snapshot')) {
          act('Deleted snapshot ' + s.name + '.', 'Delete snapshot',
            () => del(volumePath(name, 'snapshots', s.name)), reload);
        }
      }))]
  , 'No snapshots yet.');
  fill(box, card('Snapshots', form, rows));
}

function renderActions(box, detail, reload, ctx) {
  const v = detail.volume;
  const name = v.name;
  const snapSelect = el('select', { id: 'clone-snapshot' },
    el('option', { value: '' }, v.template ? 'the template\'s snapshot' : 'the latest snapshot'),
    detail.snapshots.slice().reverse().map((s) => el('option', { value: s.name }, s.name)));
  const cloneName = el('input', { id: 'clone-name', required: true, autocomplete: 'off', value: name + '-clone' });
  const count = el('input', { id: 'clone-count', type: 'number', min: '1', max: '1000', value: '1' });
  const cloneForm = el('form', { class: 'row', id: 'create-clone', onsubmit: (event) => {
    event.preventDefault();
    const n = Number(count.value);
    const body = n > 1 ? { prefix: cloneName.value.trim(), count: n } : { name: cloneName.value.trim() };
    if (snapSelect.value) {
      body.snapshot = snapSelect.value;
    }
    if (n > 1) {
      act('Started a job making ' + n + ' clones named ' + body.prefix + '1…' + body.prefix + n + '.', 'Clone',
        () => post(volumePath(name, 'clones'), body), () => ctx.go('#/jobs'));
    } else {
      act('Clone ' + body.name + ' created.', 'Clone', () => post(volumePath(name, 'clones'), body), reload);
    }
  } }, el('label', { for: 'clone-name' }, 'Clone name (prefix if more than one)'), cloneName,
  el('label', { for: 'clone-count' }, 'how many'), count,
  el('label', { for: 'clone-snapshot' }, 'of'), snapSelect, el('button', { type: 'submit' }, 'Clone'));

  const size = el('input', { id: 'resize-size', required: true, value: bytes(detail.sizeBytes).replace(' ', '') });
  const force = el('input', { id: 'resize-shrink', type: 'checkbox' });
  const resizeForm = el('form', { class: 'row', id: 'resize', onsubmit: async (event) => {
    event.preventDefault();
    if (force.checked && !(await confirmAction('Shrink ' + name + '?', 'Data beyond the new size ' + size.value.trim()
        + ' is lost.', 'Shrink'))) {
      return;
    }
    act('Resized ' + name + '.', 'Resize', () => post(volumePath(name, 'resize'),
      { size: size.value.trim(), force: force.checked }), reload);
  } }, el('label', { for: 'resize-size' }, 'New size'), size, force,
  el('label', { for: 'resize-shrink' }, 'allow shrinking'), el('button', { type: 'submit' }, 'Resize'));

  const lifecycle = el('div', { class: 'row' },
    v.template ? null : el('button', { type: 'button', id: 'make-template', onclick: async () => {
      if (await confirmAction('Make ' + name + ' a template?', name + ' becomes read-only for good; clones are made'
          + ' from its last snapshot.', 'Make template')) {
        act(name + ' is a template.', 'Make template', () => post(volumePath(name, 'template')), reload);
      }
    } }, 'Make template'),
    v.parent ? el('button', { type: 'button', class: 'danger', id: 'reset-volume', onclick: async () => {
      if (await confirmAction('Reset ' + name + '?', 'Every write to the clone ' + name + ' is discarded; it reads as '
          + v.parent + ' at ' + v.parentSnapshot + ' again.', 'Reset')) {
        act(name + ' was reset.', 'Reset', () => post(volumePath(name, 'reset')), reload);
      }
    } }, 'Reset to parent') : null,
    el('button', { type: 'button', class: 'danger', id: 'delete-volume', onclick: async () => {
      if (await confirmAction('Delete ' + name + '?', 'The volume ' + name + ', its snapshots and its data are deleted.',
        'Delete volume')) {
        await ctx.stopLive();
        const deleted = await act('Deleted ' + name + '.', 'Delete', () => del(volumePath(name)), () => ctx.go('#/volumes'));
        if (!deleted) {
          ctx.startLive();
        }
      }
    } }, 'Delete volume'));
  fill(box, card('Clone', cloneForm), card('Resize', resizeForm), card('Lifecycle', lifecycle));
}

function button(text, action, snapshot, kind, onclick) {
  return el('button', { type: 'button', class: kind, 'data-action': action, 'data-snapshot': snapshot,
    'aria-label': text + ' ' + snapshot, onclick }, text);
}

/** Runs the call fn, says how it went, then runs after; true if the call succeeded. */
async function act(done, what, fn, after) {
  say(what + '…');
  try {
    await fn();
  } catch (e) {
    sayError(what, e);
    return false;
  }
  say(done, 'ok');
  try {
    await after();
  } catch (e) {
    sayError(what, e);
  }
  return true;
}
