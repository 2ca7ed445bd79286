// Volumes: create, the list (size, data, state, attached hosts, QoS, snapshots) and the clone tree of templates and clones.
import { get, post, volumePath } from './api.js';
import { card, el, fill, say, sayError, table } from './dom.js';
import { bytes, number, time } from './format.js';

const DETAIL_LIMIT = 200;

export function show(view, ctx) {
  const list = el('div', {});
  const name = el('input', { id: 'new-volume-name', name: 'name', required: true, autocomplete: 'off' });
  const size = el('input', { id: 'new-volume-size', name: 'size', value: '10GiB', required: true });
  const form = el('form', { class: 'row', id: 'create-volume', onsubmit: async (event) => {
    event.preventDefault();
    try {
      const v = await post('/v1/volumes', { name: name.value.trim(), size: size.value.trim() });
      say('Created volume ' + v.name + '.', 'ok');
      ctx.go('#/volume/' + encodeURIComponent(v.name));
    } catch (e) {
      sayError('Create volume', e);
    }
  } },
  el('label', { for: 'new-volume-name' }, 'Name'), name,
  el('label', { for: 'new-volume-size' }, 'Size'), size,
  el('button', { type: 'submit' }, 'Create volume'));
  fill(view, el('h1', {}, 'Volumes'), card('New volume', form), list);
  load(list, ctx.features).catch((e) => sayError('Volumes', e));
  return { stop() {} };
}

async function load(list, features) {
  const vols = await get('/v1/volumes');
  vols.sort((a, b) => a.name.localeCompare(b.name));
  const details = new Map();
  await each(vols.slice(0, DETAIL_LIMIT), async (v) => {
    const [detail, qos, attached, space] = await Promise.all([get(volumePath(v.name)), get(volumePath(v.name, 'qos')),
      features.hosts ? get(volumePath(v.name, 'attachments')) : null,
      features.space ? get(volumePath(v.name, 'space')) : null]);
    details.set(v.name, { snapshots: detail.snapshots.length, qos, attached, space });
  });
  fill(list,
    card('All volumes', table(null, ['Name', 'Size', 'Data', 'State', 'Kind', 'Attached to', 'QoS', 'Snapshots', 'Parent'],
      vols, (v) => {
        const d = details.get(v.name);
        return [link(v.name), bytes(v.spec.sizeBytes), d ? used(d.space) : '…', v.state, kind(v), d ? hosts(d.attached) : '…',
          d ? qos(d.qos) : '…', d ? number(d.snapshots) : '…', v.parent ? [link(v.parent), ' @ ', v.parentSnapshot] : ''];
      }, 'No volumes yet.')),
    vols.length > DETAIL_LIMIT ? el('p', { class: 'hint' }, 'Data, hosts, QoS and snapshots are shown for the first '
      + DETAIL_LIMIT + ' volumes.') : null,
    card('Clone tree', tree(vols)));
}

/** Runs fn over items, at most 6 at a time. */
async function each(items, fn) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      await fn(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, items.length) }, worker));
}

function link(name) {
  return el('a', { href: '#/volume/' + encodeURIComponent(name) }, name);
}

/** A volume's live data as last measured, with its bytes on the backend; a dash before a measurement. */
export function used(space) {
  if (space === null || space.liveBytes === null) {
    return el('span', { title: space ? space.note : 'this router does not measure volumes' }, '–');
  }
  return el('span', { title: 'measured ' + time(space.measuredAt) },
    bytes(space.liveBytes) + ' (' + bytes(space.backendBytes) + ' on the backend)');
}

/** The hosts a volume is attached to, with their mode; a dash when this router keeps no hosts. */
export function hosts(attached) {
  if (attached === null) {
    return '–';
  }
  if (attached.length === 0) {
    return 'none';
  }
  return attached.map((a) => a.host + ' (' + a.mode + (a.shared ? ', shared' : '') + ')').join(', ');
}

function kind(v) {
  if (v.template) {
    return 'template';
  }
  return v.parent ? 'clone' : 'volume';
}

function qos(q) {
  const caps = [];
  const add = (label, value, unit) => {
    if (value) {
      caps.push(label + ' ' + (unit ? bytes(value) + '/s' : number(value)));
    }
  };
  add('IOPS', q.iops);
  add('read IOPS', q.readIops);
  add('write IOPS', q.writeIops);
  add('bandwidth', q.bandwidth, true);
  add('read', q.readBandwidth, true);
  add('write', q.writeBandwidth, true);
  return caps.length === 0 ? 'uncapped' : caps.join(', ');
}

/** Templates and volumes with clones, each with its clones nested below it. */
function tree(vols) {
  const children = new Map();
  for (const v of vols) {
    if (v.parent) {
      if (!children.has(v.parent)) {
        children.set(v.parent, []);
      }
      children.get(v.parent).push(v);
    }
  }
  const names = new Set(vols.map((v) => v.name));
  const roots = vols.filter((v) => (!v.parent || !names.has(v.parent)) && (v.template || children.has(v.name)));
  if (roots.length === 0) {
    return el('p', { class: 'empty' }, 'No templates or clones.');
  }
  const branch = (v, seen) => el('li', {}, link(v.name), ' ', el('span', { class: 'tag' }, kind(v)),
    v.parentSnapshot ? el('span', { class: 'hint' }, ' from snapshot ' + v.parentSnapshot) : null,
    children.has(v.name) && !seen.has(v.name)
      ? el('ul', {}, children.get(v.name).map((c) => branch(c, new Set([...seen, v.name])))) : null);
  return el('ul', { class: 'tree', id: 'clone-tree' }, roots.map((r) => branch(r, new Set())));
}
