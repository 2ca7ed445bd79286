// Numbers as people read them.
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) {
    return '–';
  }
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1).replace(/\.0+$/, '')) + ' ' + UNITS[i];
}

export function number(n, digits) {
  if (n === null || n === undefined || Number.isNaN(n)) {
    return '–';
  }
  return n.toLocaleString('en-US', { maximumFractionDigits: digits === undefined ? 0 : digits });
}

export function time(iso) {
  if (!iso) {
    return '–';
  }
  const d = new Date(iso);
  return d.toLocaleString('sv-SE');
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) {
    return '–';
  }
  if (seconds < 60) {
    return seconds + ' s';
  }
  if (seconds < 3600) {
    return Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s';
  }
  return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
}
