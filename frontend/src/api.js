// Calls to our own API (same origin only). Errors carry the problem+json detail when there is one.
export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function getJSON(path) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new ApiError(0, 'unreachable');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, body.detail || res.statusText);
  return body;
}
