// Fixture repositories under test/fixtures/fleets/, one per class of mistake, with the exact
// `file:line:col: message` lines an operator reads in a pull-request check. Each position is also
// checked against the file: the text found there must be the offending node.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dirTreeReader } from '../../../lib/dir-tree-reader.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { formatProblem } from '../../../specs/load/problem.js';

const ROOT = join(import.meta.dirname, '../../fixtures/fleets');

/** [expected line, text that starts at that position in the file] */
type Expect = [line: string, at: string];

const FIXTURES: { dir: string; ok: boolean; problems: Expect[] }[] = [
  {
    dir: 'yaml-syntax',
    ok: false,
    problems: [
      ['devices/web-01.yaml:3:9: YAML syntax: this quoted string is never closed (add the closing ")', '"bj'],
      ['packages/app.yaml:7:11: YAML syntax: this "{" is never closed (add the matching "}")', '{ role: web'],
    ],
  },
  {
    dir: 'wrong-type',
    ok: false,
    problems: [
      ['devices/web-01.yaml:1:9: labels must be a map, not a list', '[role, web]'],
      ['fleet.yaml:1:12: heartbeat: "often" is not a duration (write e.g. 500ms, 30s, 5m, 1h30m)', 'often'],
      ['packages/app.yaml:6:15: keepVersions must be a number, not the text "two"', 'two'],
      ['packages/app.yaml:7:8: state must be one of started, stopped, absent', 'running'],
    ],
  },
  {
    dir: 'unknown-field',
    ok: false,
    problems: [
      ['control.yaml:4:5: unknown field "timout" in commands[0] (did you mean "timeout"?)', 'timout:'],
      ['packages/app.yaml:3:1: unknown field "verison" (did you mean "version"?)', 'verison:'],
    ],
  },
  {
    dir: 'duplicate-packages',
    ok: false,
    problems: [['packages/app-copy.yaml:2:7: duplicate package "app" (first defined at packages/app.yaml:1:7): was name "app-copy" meant?', 'app\n']],
  },
  {
    dir: 'duplicate-devices',
    ok: false,
    problems: [['devices/web-02.yaml:1:5: duplicate device "web-01" (first defined at devices/web-01.yaml:1:1): was id "web-02" meant?', 'web-01\n']],
  },
  {
    dir: 'unknown-package',
    ok: false,
    problems: [
      ['devices/web-01.yaml:3:3: pin of unknown package "ap" (did you mean "app"?): define it in packages/ap.yaml, or under extraPackages for this device alone', 'ap:'],
      ['devices/web-01.yaml:5:3: pin of unknown package "redis": define it in packages/redis.yaml, or under extraPackages for this device alone', 'redis:'],
    ],
  },
  {
    dir: 'command-conflict',
    ok: false,
    problems: [
      ['devices/web-01.yaml:4:11: command "clean-tmp" differs from the approved command of the same name at control.yaml:2:11, which also selects this device: rename the trial (e.g. "clean-tmp-v2") or remove one', 'clean-tmp\n'],
      ['devices/web-02.yaml:4:11: warning: command "clean-tmp" is the same as the approved one at control.yaml:2:11, which also selects this device: remove this trial copy', 'clean-tmp\n'],
    ],
  },
  {
    dir: 'checksum-length',
    ok: false,
    problems: [
      ['devices/web-01.yaml:6:12: packages.app.artifact.md5 must be 32 hexadecimal characters (this one has 31)', '0123456789abcdef0123456789abcde\n'],
      ['packages/app.yaml:5:11: artifact.sha256 must be 64 hexadecimal characters (this one has 63)', 'aaaa'],
      ['packages/legacy.yaml:5:11: artifact.sha256 must be 64 hexadecimal characters (this one has 32): 32 is the length of an md5, write it as md5:', '0123456789abcdef0123456789abcdef\n'],
    ],
  },
  {
    dir: 'selector-no-match',
    ok: true,
    problems: [
      ['control.yaml:4:13: warning: selector matches no device defined in devices/ (devices that register later may still match)', '{ ids: ["lg-*"] }'],
      ['packages/app.yaml:7:3: warning: selector matches no device defined in devices/ (devices that register later may still match)', 'labels: { role: gateway }'],
    ],
  },
  {
    dir: 'not-yaml',
    ok: false,
    problems: [
      ['devices/web-01.yaml.bak:1:1: only YAML files (.yaml) belong in devices/: rename or move this file', 'labels'],
      ['packages/app.json:1:1: only YAML files (.yaml) belong in packages/: rename or move this file', '{"name"'],
      ['users/bob.txt:1:1: only YAML files (.yaml) belong in users/: rename or move this file', 'bob'],
    ],
  },
  {
    dir: 'unquoted-version',
    ok: false,
    problems: [['packages/app.yaml:2:10: version must be a string: quote it ("1.10") so YAML keeps it exact', '1.10\n']],
  },
  {
    dir: 'missing-field',
    ok: false,
    problems: [
      ['control.yaml:2:5: missing required field "run" in commands[0]', 'name: clean-tmp'],
      ['packages/app.yaml:1:1: missing required field "artifact"', 'name: app'],
      ['users/alice.yaml:2:3: missing required field "to" in otp', 'mode: delivered'],
    ],
  },
];

function textAt(dir: string, line: string): string {
  const m = /^([^:]+):(\d+):(\d+): /.exec(line)!;
  const lines = readFileSync(join(ROOT, dir, m[1]!), 'utf8').split('\n');
  const rest = lines.slice(Number(m[2]) - 1);
  return [rest[0]!.slice(Number(m[3]) - 1), ...rest.slice(1)].join('\n');
}

describe('fixture fleets: every problem, at the offending node', () => {
  for (const f of FIXTURES) {
    it(f.dir, async () => {
      const result = await loadFleet(dirTreeReader(join(ROOT, f.dir)));
      assert.deepEqual(result.problems.map(formatProblem), f.problems.map(([line]) => line));
      assert.equal(result.ok, f.ok);
      for (const [line, at] of f.problems) {
        assert.ok(textAt(f.dir, line).startsWith(at), `${line}\n  points at ${JSON.stringify(textAt(f.dir, line).slice(0, 40))}, expected ${JSON.stringify(at)}`);
      }
    });
  }

  it('the example fleet is valid without a warning', async () => {
    const result = await loadFleet(dirTreeReader(join(import.meta.dirname, '../../../examples/fleet')));
    assert.deepEqual(result.problems.map(formatProblem), []);
    assert.ok(result.ok);
    assert.equal(result.spec.packages.length, 2);
  });
});
