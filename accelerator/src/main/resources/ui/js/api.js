// Calls of the Scoria REST API with the bearer token the user pasted. The token lives in
// sessionStorage (this tab only) and travels only in the Authorization header, never in a URL.
const KEY = 'scoria.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  sessionStorage.setItem(KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/** A call that the API answered with an error; problem is its RFC 9457 body when it sent one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
    this.status = status;
    this.problem = problem;
  }
}

const listeners = [];

/** fn() runs when the API refuses the token (401): the page signs out. */
export function onUnauthorized(fn) {
  listeners.push(fn);
}

export async function call(method, path, body) {
  const headers = { 'Authorization': 'Bearer ' + token(), 'Accept': 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) {
    return null;
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = { detail: text };
    }
  }
  if (!response.ok) {
    if (response.status === 401) {
      listeners.forEach((fn) => fn());
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body === undefined ? {} : body);
export const del = (path) => call('DELETE', path);

/** The API path of a volume (and of a sub-resource), its name escaped. */
export function volumePath(name, ...rest) {
  return ['/v1/volumes', encodeURIComponent(name), ...rest.map(encodeURIComponent)].join('/');
}

/**
 * Runs fn now and then every ms milliseconds after the previous run finished (never two at once);
 * returns a function that stops it and resolves once a run under way has finished. Errors go to
 * onError (the poll goes on).
 */
export function poll(fn, ms, onError) {
  let stopped = false;
  let timer = null;
  let running = Promise.resolve();
  const run = async () => {
    try {
      await fn();
    } catch (e) {
      if (!stopped && onError) {
        onError(e);
      }
    }
    if (!stopped) {
      timer = setTimeout(() => {
        running = run();
      }, ms);
    }
  };
  running = run();
  return () => {
    stopped = true;
    clearTimeout(timer);
    return running;
  };
}
