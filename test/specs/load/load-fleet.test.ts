// The loader on small in-memory trees: one mistake gives one clear message at the right place,
// and a broken file does not cause echoes elsewhere.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { formatProblem, sortProblems } from '../../../specs/load/problem.js';
import { memoryTree } from '../../../specs/load/tree-reader.js';
import { closest, editDistance } from '../../../specs/load/zod-problems.js';
import { pkg, SHA_B } from '../fleet-from-yaml.js';

const cases: { name: string; files: Record<string, string>; want: string[] }[] = [
  { name: 'an empty repository is valid', files: {}, want: [] },
  { name: 'an empty fleet.yaml and control.yaml are fine', files: { 'fleet.yaml': '', 'control.yaml': '# nothing yet\n' }, want: [] },
  { name: 'an empty package file', files: { 'packages/a.yaml': '' }, want: ['packages/a.yaml:1:1: empty file: a package definition was expected'] },
  { name: 'a list instead of a map', files: { 'devices/d.yaml': '- role: web\n' }, want: ['devices/d.yaml:1:1: expected a map of fields, not a list'] },
  { name: 'a duplicate key names the key and the first one', files: { 'devices/d.yaml': 'labels: { a: b }\ndescription: x\nlabels: { c: d }\n' }, want: ['devices/d.yaml:3:1: duplicate key "labels" (first at line 1)'] },
  { name: 'two documents in one file', files: { 'devices/d.yaml': 'labels: { a: b }\n---\nlabels: { c: d }\n' }, want: ['devices/d.yaml:2:1: a second YAML document starts here: one document per file is expected'] },
  {
    name: 'only the first syntax error of a file (later ones are echoes)',
    files: { 'devices/d.yaml': 'labels:\n  - a\n - b\n' },
    want: ['devices/d.yaml:3:1: YAML syntax: A block sequence may not be used as an implicit map key'],
  },
  {
    name: 'a typo inside a union (repeat) is one problem',
    files: { 'control.yaml': 'commands:\n  - name: c\n    run: x\n    repeat: { evry: 1h }\n' },
    want: ['control.yaml:4:15: unknown field "evry" in commands[0].repeat (did you mean "every"?)'],
  },
  {
    name: 'an unknown discriminator names the choices',
    files: { 'users/bob.yaml': 'otp:\n  mode: sms\n' },
    want: ['users/bob.yaml:2:9: otp.mode must be one of totp, delivered, none'],
  },
  {
    name: 'a bad label key points at the key',
    files: { 'devices/d.yaml': 'labels:\n  ok: 1\n  bad key: x\n' },
    want: ['devices/d.yaml:3:3: labels: "bad key" is not a valid key: label keys use letters, digits, ".", "_", "/" and "-"'],
  },
  {
    name: 'control script and run: at once',
    files: { 'packages/a.yaml': pkg('a', '1', 'control: { script: control }\nrun: { command: ./a }\n') },
    want: ['packages/a.yaml:7:6: run: a package has either a control script or run:, not both'],
  },
  {
    name: 'a plain password is refused',
    files: { 'users/bob.yaml': 'password: hunter22\n' },
    want: ['users/bob.yaml:1:11: password must be a hash made by `drover hash-password` (scrypt$… or $argon2…), never a plain password'],
  },
  {
    name: 'a rollout that never reaches everybody',
    files: { 'packages/a.yaml': pkg('a', '1', 'rollout: { steps: [1, 50%] }\n') },
    want: ['packages/a.yaml:6:19: warning: the last step does not reach 100%: the remaining devices never get this version'],
  },
  {
    name: 'an override that changes the version needs an artifact',
    files: { 'packages/a.yaml': pkg('a', '1', 'overrides:\n  - select: { ids: [x] }\n    version: "2"\n'), 'devices/x.yaml': 'packages:\n  a: { version: "3" }\n' },
    want: [
      'devices/x.yaml:2:17: version "3" needs its own artifact: add artifact: { url, sha256 } for it (without one the agent would install the package\'s default artifact under this version)',
      'packages/a.yaml:8:14: version "2" needs its own artifact: add artifact: { url, sha256 } for it (without one the agent would install the package\'s default artifact under this version)',
    ],
  },
  {
    name: 'a pin of the same version needs no artifact',
    files: { 'packages/a.yaml': pkg('a', '1'), 'devices/x.yaml': 'packages:\n  a: { version: "1", state: stopped }\n' },
    want: [],
  },
  {
    name: 'an extra package that exists in packages/',
    files: { 'packages/a.yaml': pkg('a', '1'), 'devices/x.yaml': `extraPackages:\n  - name: a\n    version: "2"\n    artifact: { url: "https://m/a.tgz", sha256: "${SHA_B}" }\n` },
    want: ['devices/x.yaml:2:11: extra package "a" is already defined in packages/a.yaml:1:7: pin it under packages: instead'],
  },
  {
    name: 'a pin of the device\'s own extra package',
    files: { 'devices/x.yaml': `extraPackages:\n  - name: e\n    version: "2"\n    artifact: { url: "https://m/e.tgz", sha256: "${SHA_B}" }\npackages:\n  e: { state: stopped }\n` },
    want: ['devices/x.yaml:6:3: "e" is an extra package of this device: change it under extraPackages, not with a pin'],
  },
  {
    name: 'repeat.onVersionChange of an unknown package',
    files: { 'packages/nginx.yaml': pkg('nginx', '1'), 'control.yaml': 'commands:\n  - name: c\n    run: x\n    repeat: { onVersionChange: ngnix }\n' },
    want: ['control.yaml:4:32: unknown package "ngnix" (did you mean "nginx"?)'],
  },
  {
    name: 'duplicate approved commands and duplicate trials',
    files: {
      'control.yaml': 'commands:\n  - name: c\n    run: x\n  - name: c\n    run: y\n',
      'devices/d.yaml': 'commands:\n  - name: t\n    run: a\n  - name: t\n    run: b\n',
    },
    want: ['control.yaml:4:11: duplicate approved command "c" (first defined at control.yaml:2:11)', 'devices/d.yaml:4:11: duplicate command "t" in this device'],
  },
  {
    name: 'a broken package file is not reported again where it is pinned or referenced',
    files: {
      'packages/app.yaml': 'name: app\nversion: 1.10\n',
      'devices/d.yaml': 'packages:\n  app: { state: stopped }\n',
      'control.yaml': 'commands:\n  - name: c\n    run: x\n    repeat: { onVersionChange: app }\n',
    },
    want: ['packages/app.yaml:1:1: missing required field "artifact"', 'packages/app.yaml:2:10: version must be a string: quote it ("1.10") so YAML keeps it exact'],
  },
  {
    name: 'a broken device file does not make selectors "match nothing"',
    files: { 'packages/a.yaml': pkg('a', '1', 'select: { labels: { role: db } }\n'), 'devices/db.yaml': 'labels: { role: db }\nlabls: {}\n' },
    want: ['devices/db.yaml:2:1: unknown field "labls" (did you mean "labels"?)'],
  },
  {
    name: 'a typo in an artifact is not also "needs a checksum"',
    files: { 'packages/a.yaml': pkg('a', '1').replace('sha256:', 'sha265:') },
    want: ['packages/a.yaml:5:3: unknown field "sha265" in artifact (did you mean "sha256"?)'],
  },
  {
    name: 'a file name that is not a valid id says so',
    files: { 'devices/web 01.yaml': 'labels: { role: web }\n' },
    want: ['devices/web 01.yaml:1:1: the file name "web 01" is not a valid device id: it must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 128); rename the file'],
  },
  {
    name: 'limits in words',
    files: {
      'users/bob.yaml': 'access:\n  - select: { ids: [x] }\n    ports: [22, 70000]\n',
      'fleet.yaml': 'offlineAfter: 2.5\nkeepVersions: 0\n',
      'control.yaml': 'commands:\n  - name: c\n    run: ""\n    rollout: { steps: [] }\n',
    },
    want: [
      'control.yaml:3:10: commands[0].run must not be empty',
      'control.yaml:4:23: commands[0].rollout.steps: a rollout needs at least one step',
      'fleet.yaml:1:15: offlineAfter must be a whole number, not 2.5',
      'fleet.yaml:2:15: keepVersions must be at least 1',
      'users/bob.yaml:3:17: access[0].ports[1] must be at most 65535',
    ],
  },
  {
    name: 'empty values, numbers where text is expected, texts where lists are',
    files: {
      'packages/007.yaml': 'name: 007\nversion:\nartifact: { url: "https://m/a.tgz", md5: "' + 'f'.repeat(32) + '" }\nselect:\nrollout: { steps: "1,10%" }\n',
    },
    want: [
      'packages/007.yaml:1:7: name must be a string: quote it ("007")',
      'packages/007.yaml:2:9: version has no value (a string is expected)',
      'packages/007.yaml:4:8: select has no value (a map is expected)',
      'packages/007.yaml:5:19: rollout.steps must be a list, not the text "1,10%"',
    ],
  },
  {
    name: 'one form of a field or the other',
    files: {
      'control.yaml': 'commands:\n  - name: c\n    run: x\n    repeat: { every: 1h, onVersionChange: a }\n',
      'users/bob.yaml': 'otp: { to: x }\n',
    },
    want: [
      'control.yaml:4:26: "onVersionChange" cannot be used together with "every" in commands[0].repeat: use one of them',
      'users/bob.yaml:1:6: missing required field "mode" in otp (one of totp, delivered, none)',
    ],
  },
  {
    name: 'a package in a file of another name',
    files: { 'packages/a.yaml': pkg('b', '1') },
    want: ['packages/a.yaml:1:7: warning: package "b" is defined in a file named "a": name the file b.yaml'],
  },
  {
    name: 'both fleet.yaml and fleet.yml',
    files: { 'fleet.yaml': 'heartbeat: 1m\n', 'fleet.yml': 'heartbeat: 2m\n' },
    want: ['fleet.yml:1:1: both fleet.yaml and fleet.yml exist; keep one'],
  },
  {
    name: 'a stray YAML file at the top is a warning; dot files and READMEs are ignored',
    files: { 'fleets.yaml': 'x: 1\n', '.github/workflows/ci.yaml': 'on: push\n', 'packages/.keep': '', 'devices/README.md': '# devices\n' },
    want: ['fleets.yaml:1:1: warning: not part of the fleet layout (fleet.yaml, control.yaml, packages/, devices/, users/) (did you mean "fleet.yaml"?): ignored'],
  },
  {
    name: 'a misspelt folder is a warning for each of its files; other folders are left alone',
    files: { 'device/d1.yaml': 'labels: {}\n', 'device/d2.yaml': 'labels: {}\n', 'docs/example.yaml': 'x: 1\n', 'hosts.yaml': 'x: 1\n' },
    want: [
      'device/d1.yaml:1:1: warning: "device/" is not a fleet folder (did you mean "devices/"?): ignored',
      'device/d2.yaml:1:1: warning: "device/" is not a fleet folder (did you mean "devices/"?): ignored',
      'hosts.yaml:1:1: warning: not part of the fleet layout (fleet.yaml, control.yaml, packages/, devices/, users/): ignored',
    ],
  },
];

describe('loadFleet', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const result = await loadFleet(memoryTree(c.files));
      assert.deepEqual(result.problems.map(formatProblem), c.want);
      assert.equal(result.ok, !c.want.some((l) => !/: warning: /.test(l)));
    });
  }

  it('returns the spec with its sources and revision when valid', async () => {
    const result = await loadFleet(memoryTree({ 'packages/a.yaml': '# first line\n' + pkg('a', '1'), 'devices/d.yaml': 'labels: { role: web }\n' }), { revision: 'abc' });
    assert.ok(result.ok);
    assert.equal(result.spec.revision, 'abc');
    assert.deepEqual(result.spec.sources['package:a'], { file: 'packages/a.yaml', line: 2, col: 7 });
    assert.equal(result.spec.devices[0]!.id, 'd', 'the id defaults to the file name');
    assert.equal(result.spec.fleet.heartbeat, 240_000, 'fleet defaults without fleet.yaml');
  });

  it('sorts problems by file, line and column', () => {
    const p = (file: string, line: number, col: number) => ({ file, line, col, message: 'm', severity: 'error' as const });
    assert.deepEqual(sortProblems([p('b', 1, 1), p('a', 2, 1), p('a', 1, 5), p('a', 1, 2)]).map((x) => `${x.file}:${x.line}:${x.col}`), ['a:1:2', 'a:1:5', 'a:2:1', 'b:1:1']);
  });
});

describe('did-you-mean hints', () => {
  const cases: [string, string[], string | undefined][] = [
    ['verison', ['version', 'name'], 'version'],
    ['ngnix', ['nginx', 'redis'], 'nginx'],
    ['timout', ['timeout', 'run'], 'timeout'],
    ['Version', ['version'], 'version'],
    ['colour', ['select', 'state'], undefined],
    ['x', ['ab'], undefined],
  ];
  for (const [word, known, want] of cases) it(`${word} -> ${want}`, () => assert.equal(closest(word, known), want));
  it('editDistance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('ngnix', 'nginx'), 1);
    assert.equal(editDistance('abc', 'abc'), 0);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });
});
