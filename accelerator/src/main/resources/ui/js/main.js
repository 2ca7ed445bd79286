// The dashboard's shell: sign-in, navigation between pages (by the URL's #fragment) and sign-out.
import { ApiError, clearToken, get, onUnauthorized, setToken, token } from './api.js';
import { fill } from './dom.js';
import * as overview from './overview.js';
import * as volumes from './volumes.js';
import * as volume from './volume.js';
import * as jobs from './jobs.js';
import * as distributor from './distributor.js';

const pages = { overview, volumes, volume, jobs, distributor };
const view = document.getElementById('view');
const login = document.getElementById('login');
const nav = document.getElementById('nav');
const logout = document.getElementById('logout');
let features = null;
let current = null;

function stopPage() {
  if (current && current.stop) {
    current.stop();
  }
  current = null;
}

function showLogin(message) {
  stopPage();
  features = null;
  fill(view);
  nav.hidden = true;
  logout.hidden = true;
  login.hidden = false;
  document.getElementById('login-error').textContent = message || '';
  document.getElementById('token').focus();
}

/** Asks the router what it serves; this is also the check that the token is accepted. */
async function signIn() {
  try {
    features = await get('/v1/node');
  } catch (e) {
    clearToken();
    showLogin(e instanceof ApiError && e.status === 401 ? 'This token was not accepted (HTTP 401).'
      : 'The router did not answer: ' + e.message);
    return;
  }
  login.hidden = true;
  nav.hidden = false;
  logout.hidden = false;
  document.getElementById('nav-jobs').hidden = !features.jobs;
  document.getElementById('nav-distributor').hidden = !features.distributor;
  route();
}

function route() {
  if (!features) {
    return;
  }
  const hash = location.hash || '#/overview';
  const parts = hash.slice(2).split('/');
  let page = pages[parts[0]] ? parts[0] : 'overview';
  let arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join('/')) : null;
  if ((page === 'jobs' && !features.jobs) || (page === 'distributor' && !features.distributor)
      || (page === 'volume' && !arg)) {
    page = 'overview';
    arg = null;
  }
  stopPage();
  fill(view);
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === page || (page === 'volume' && a.dataset.page === 'volumes')) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
  current = pages[page].show(view, { features, arg, go: (h) => { location.hash = h; } });
}

document.getElementById('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('token');
  const value = input.value.trim();
  input.value = '';
  if (!value) {
    document.getElementById('login-error').textContent = 'Paste a token first.';
    return;
  }
  setToken(value);
  signIn();
});

logout.addEventListener('click', () => {
  clearToken();
  showLogin('Signed out.');
});

onUnauthorized(() => {
  clearToken();
  showLogin('The router no longer accepts this token (HTTP 401); sign in again.');
});

window.addEventListener('hashchange', route);

if (token()) {
  signIn();
} else {
  showLogin('');
}
