import assert from 'node:assert/strict';
import { it } from 'node:test';
import { redactUrl, redactUrlsIn } from '../../lib/redact-url.js';

it('keeps no credentials, query or fragment', () => {
  const table: [string, string][] = [
    ['https://git.example/fleet.git', 'https://git.example/fleet.git'],
    ['https://bob:s3cret@git.example/fleet.git', 'https://***@git.example/fleet.git'],
    ['https://token@git.example:8443/f', 'https://***@git.example:8443/f'],
    ['http://mirror.example/a.tgz?sig=abc&t=1#x', 'http://mirror.example/a.tgz?…'],
    ['file:///srv/a.tgz', 'file:///srv/a.tgz'],
    ['postgres://u:s3cret@db:5432/drover?password=x&sslmode=require', 'postgres://***@db:5432/drover?…'],
    ['not a url user:pw@host', '(invalid URL)'],
  ];
  for (const [raw, want] of table) assert.equal(redactUrl(raw), want, raw);
});

it('redacts every URL inside a message, leaving the rest', () => {
  const table: [string, string][] = [
    ['connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED 127.0.0.1:5432'],
    ['cannot reach postgres://u:s3cret@db:5432/drover: timeout', 'cannot reach postgres://***@db:5432/drover: timeout'],
    ['a "https://t@x.example/a?k=v" and http://y.example/', 'a "https://***@x.example/a?…" and http://y.example/'],
  ];
  for (const [raw, want] of table) assert.equal(redactUrlsIn(raw), want, raw);
});
