/** Calls to the dashboard's JSON API; the session cookie set on first load authorizes them. */

/** A failed call, with the API's stable error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function get<T>(
  path: string,
  query: Record<string, string | number | undefined> = {},
): Promise<T> {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return call<T>(`api/${path}${qs ? `?${qs}` : ''}`, { method: 'GET' });
}

export async function post<T>(path: string, body: unknown = {}): Promise<T> {
  return call<T>(`api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  const json = await res.json().catch(() => ({ code: 'UNEXPECTED', message: res.statusText }));
  if (!res.ok) throw new ApiError(res.status, json.code ?? 'UNEXPECTED', json.message ?? res.statusText);
  return json as T;
}
