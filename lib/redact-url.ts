// A URL as it may appear in logs, messages and status pages: credentials become `***`, a query
// string (it may carry a token) becomes `?…`, the fragment goes.
export function redactUrl(raw: string): string {
  try {
    const u = new URL(raw);
    const creds = u.username || u.password ? '***@' : '';
    return `${u.protocol}//${creds}${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}
