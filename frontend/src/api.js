// Calls to our own API (same origin only). Errors carry the problem+json detail when there is one,
// in the page's language (the server translates it: Accept-Language and the riskmap_lang cookie).
import { lang, t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

function token() { return sessionStorage.getItem('riskmap.token'); }

// any call: JSON in and out, the bearer token when signed in; a problem's detail as the message
export async function api(method, path, body) {
  const headers = { Accept: 'application/json', 'Accept-Language': lang() === 'zh' ? 'zh-CN' : 'en' };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  const init = { method, headers };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, t('apiDown'));
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.detail || t('httpError')(res.status));
  return data;
}

export async function getJSON(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json', 'Accept-Language': lang() === 'zh' ? 'zh-CN' : 'en' } });
  } catch (err) {
    throw new ApiError(0, 'unreachable');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.detail || res.statusText);
  return body;
}
