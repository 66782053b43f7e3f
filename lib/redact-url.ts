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

/** A message with every URL in it redacted (an error from a client library may quote the URL it used). */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (u) => redactUrl(u));
}
