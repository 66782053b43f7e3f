import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { addApprovedCommand, removeTrialCommand } from '../../../control/promote/edit-fleet-yaml.js';

const device = `# A web device in Beijing.
id: dev-001
labels: { role: web, site: bj }   # where it is
commands:
  # tried first here
  - name: disk-report # the trial
    run: df -hP / | tail -n 1
    timeout: 10s
  - name: other
    run: "echo 'quoted'"
`;

describe('removeTrialCommand', () => {
  it('removes only that command and keeps the rest, comments included', () => {
    const r = removeTrialCommand('devices/dev-001.yaml', device, 'disk-report');
    assert.deepEqual(r.value, { name: 'disk-report', run: 'df -hP / | tail -n 1', timeout: '10s' });
    assert.match(r.text, /^# A web device in Beijing\.\n/);
    assert.match(r.text, /labels: \{ role: web, site: bj \} +# where it is/);
    assert.match(r.text, /run: "echo 'quoted'"/);
    assert.doesNotMatch(r.text, /disk-report/);
    assert.deepEqual(parse(r.text).commands, [{ name: 'other', run: "echo 'quoted'" }]);
  });
  it('drops the commands key when it becomes empty', () => {
    const one = removeTrialCommand('d.yaml', 'id: d\ncommands:\n  - name: a\n    run: echo a\n', 'a');
    assert.deepEqual(parse(one.text), { id: 'd' });
  });
  const bad: [string, string, RegExp][] = [
    ['missing command', 'id: d\ncommands:\n  - name: b\n    run: x\n', /no command "a"/],
    ['no commands at all', 'id: d\n', /no command "a"/],
    ['commands not a list', 'id: d\ncommands: 3\n', /must be a list/],
    ['syntax error', 'id: [d\n', /d\.yaml/],
  ];
  for (const [name, text, re] of bad) it(`refuses: ${name}`, () => assert.throws(() => removeTrialCommand('d.yaml', text, 'a'), re));
});

describe('addApprovedCommand', () => {
  const { node } = removeTrialCommand('devices/dev-001.yaml', device, 'disk-report');
  const rollout = { steps: [1, '10%', '100%'] as (number | string)[], maxFailures: 1 };

  it('creates control.yaml when missing', () => {
    const text = addApprovedCommand('control.yaml', null, node, { select: { labels: { role: 'web' } }, rollout: rollout as never });
    assert.match(text, /^# Approved bash commands/);
    assert.deepEqual(parse(text), {
      commands: [{ name: 'disk-report', run: 'df -hP / | tail -n 1', timeout: '10s', select: { labels: { role: 'web' } }, rollout: { steps: [1, '10%', '100%'], maxFailures: 1 } }],
    });
    assert.match(text, /- name: disk-report # the trial/, 'the command keeps its own comments');
  });

  it('appends to an existing file and keeps its comments and formatting', () => {
    const existing = `# Approved commands.\n\ncommands:\n  - name: clean-tmp   # nightly\n    run: 'find /tmp -delete'\n    select: { labels: { role: web } }\n`;
    const text = addApprovedCommand('control.yaml', existing, node, { rollout: rollout as never });
    assert.ok(text.startsWith('# Approved commands.\n\ncommands:\n  - name: clean-tmp # nightly\n') || text.startsWith('# Approved commands.\n\ncommands:\n  - name: clean-tmp   # nightly\n'), text);
    assert.match(text, /run: 'find \/tmp -delete'/);
    const parsed = parse(text);
    assert.equal(parsed.commands.length, 2);
    assert.equal(parsed.commands[1].select, undefined);
  });

  it('handles a file that holds only a comment, or no commands key', () => {
    assert.deepEqual(parse(addApprovedCommand('control.yaml', '# nothing yet\n', node, { rollout: rollout as never })).commands.length, 1);
    assert.deepEqual(parse(addApprovedCommand('control.yaml', 'commands: []\n', node, { rollout: rollout as never })).commands.length, 1);
    assert.deepEqual(parse(addApprovedCommand('control.yaml', '{}\n', node, { rollout: rollout as never })).commands.length, 1);
  });

  it('does not fold long lines, in the moved command or in the others', () => {
    const long = 'find /tmp -xdev -name "drover-demo-*" -mtime +7 -delete; echo cleaned, and enough words to pass eighty columns';
    const existing = `commands:\n  - name: long\n    run: ${long}\n`;
    const trial = removeTrialCommand('d.yaml', `id: d\ncommands:\n  - name: n\n    run: echo ${long}\n`, 'n');
    const text = addApprovedCommand('control.yaml', existing, trial.node, { rollout: rollout as never });
    assert.ok(text.includes(`    run: ${long}\n`), text);
    assert.ok(text.includes(`    run: echo ${long}\n`), text);
  });

  it('refuses a name that is already approved', () => {
    const existing = 'commands:\n  - name: disk-report\n    run: echo\n';
    assert.throws(() => addApprovedCommand('control.yaml', existing, node, { rollout: rollout as never }), /already exists/);
  });

  it('replaces a select or rollout the trial might carry, from plain data too', () => {
    const text = addApprovedCommand('control.yaml', null, { name: 'x', run: 'echo', rollout: { steps: ['100%'] } }, { rollout: { steps: ['50%', '100%'], maxFailures: 0 } });
    assert.deepEqual(parse(text).commands[0].rollout, { steps: ['50%', '100%'], maxFailures: 0 });
  });
});
