import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSelector, globToRegExp, matchesSelector, selectsEverything } from '../../../specs/resolve/match-selector.js';
import { SelectorSchema, type Selector } from '../../../specs/schema/selector.js';

const web = { role: 'web', site: 'bj', tier: 'gold' };
const db = { role: 'db', site: 'sh' };

describe('matchesSelector', () => {
  const cases: { name: string; sel: Selector | undefined; id: string; labels: Record<string, string>; want: boolean }[] = [
    { name: 'no selector selects every device', sel: undefined, id: 'x', labels: {}, want: true },
    { name: 'empty selector selects every device', sel: {}, id: 'x', labels: {}, want: true },
    { name: 'exact id', sel: { ids: ['dev-001'] }, id: 'dev-001', labels: {}, want: true },
    { name: 'exact id, other device', sel: { ids: ['dev-001'] }, id: 'dev-0011', labels: {}, want: false },
    { name: 'glob *', sel: { ids: ['lg-falcon*'] }, id: 'lg-falcon-07', labels: {}, want: true },
    { name: 'glob * matches the whole id only', sel: { ids: ['falcon*'] }, id: 'lg-falcon-07', labels: {}, want: false },
    { name: 'glob ?', sel: { ids: ['dev-00?'] }, id: 'dev-007', labels: {}, want: true },
    { name: 'glob ? is one character', sel: { ids: ['dev-00?'] }, id: 'dev-0070', labels: {}, want: false },
    { name: 'glob [abc]', sel: { ids: ['web-[ab]1'] }, id: 'web-b1', labels: {}, want: true },
    { name: 'glob [abc] miss', sel: { ids: ['web-[ab]1'] }, id: 'web-c1', labels: {}, want: false },
    { name: 'glob [!abc]', sel: { ids: ['web-[!ab]1'] }, id: 'web-c1', labels: {}, want: true },
    { name: 'dots in a glob are literal', sel: { ids: ['h.example*'] }, id: 'hXexample1', labels: {}, want: false },
    { name: 'any of several ids', sel: { ids: ['a', 'b*'] }, id: 'bee', labels: {}, want: true },
    { name: 'labels all match', sel: { labels: { role: 'web', site: 'bj' } }, id: 'x', labels: web, want: true },
    { name: 'labels one differs', sel: { labels: { role: 'web', site: 'sh' } }, id: 'x', labels: web, want: false },
    { name: 'label missing', sel: { labels: { gpu: 'yes' } }, id: 'x', labels: web, want: false },
    { name: 'in', sel: { match: [{ key: 'site', in: ['bj', 'gz'] }] }, id: 'x', labels: web, want: true },
    { name: 'in, value not listed', sel: { match: [{ key: 'site', in: ['gz'] }] }, id: 'x', labels: web, want: false },
    { name: 'in, label absent', sel: { match: [{ key: 'zone', in: ['a'] }] }, id: 'x', labels: web, want: false },
    { name: 'notIn', sel: { match: [{ key: 'role', notIn: ['db'] }] }, id: 'x', labels: web, want: true },
    { name: 'notIn, listed', sel: { match: [{ key: 'role', notIn: ['db'] }] }, id: 'x', labels: db, want: false },
    { name: 'notIn, label absent holds', sel: { match: [{ key: 'zone', notIn: ['a'] }] }, id: 'x', labels: web, want: true },
    { name: 'exists true', sel: { match: [{ key: 'tier', exists: true }] }, id: 'x', labels: web, want: true },
    { name: 'exists true, absent', sel: { match: [{ key: 'tier', exists: true }] }, id: 'x', labels: db, want: false },
    { name: 'exists false', sel: { match: [{ key: 'tier', exists: false }] }, id: 'x', labels: db, want: true },
    { name: 'exists false, present', sel: { match: [{ key: 'tier', exists: false }] }, id: 'x', labels: web, want: false },
    { name: 'every condition must hold', sel: { ids: ['web-*'], labels: { role: 'web' }, match: [{ key: 'site', in: ['bj'] }] }, id: 'web-1', labels: web, want: true },
    { name: 'every condition must hold (id fails)', sel: { ids: ['db-*'], labels: { role: 'web' } }, id: 'web-1', labels: web, want: false },
    { name: 'every condition must hold (expression fails)', sel: { labels: { role: 'web' }, match: [{ key: 'site', notIn: ['bj'] }] }, id: 'web-1', labels: web, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(matchesSelector(c.sel, c.id, c.labels), c.want);
      assert.equal(compileSelector(c.sel)(c.id, c.labels), c.want);
    });
  }
});

describe('selectors from YAML values', () => {
  it('numbers in in/notIn and label values compare as strings', () => {
    const sel = SelectorSchema.parse({ labels: { rack: 12 }, match: [{ key: 'row', in: [3, 4] }] });
    assert.equal(matchesSelector(sel, 'x', { rack: '12', row: '4' }), true);
    assert.equal(matchesSelector(sel, 'x', { rack: '12', row: '5' }), false);
  });
  it('an expression needs exactly one of in, notIn, exists', () => {
    for (const expr of [{ key: 'a' }, { key: 'a', in: ['x'], exists: true }, { key: 'a', in: ['x'], notIn: ['y'] }]) {
      assert.equal(SelectorSchema.safeParse({ match: [expr] }).success, false, JSON.stringify(expr));
    }
  });
  it('unknown selector fields are refused', () => {
    assert.equal(SelectorSchema.safeParse({ label: { role: 'web' } }).success, false);
  });
});

describe('selectsEverything / globToRegExp', () => {
  it('knows selectors without conditions', () => {
    assert.equal(selectsEverything(undefined), true);
    assert.equal(selectsEverything({ ids: [], labels: {}, match: [] }), true);
    assert.equal(selectsEverything({ ids: ['a'] }), false);
    assert.equal(selectsEverything({ labels: { a: 'b' } }), false);
    assert.equal(selectsEverything({ match: [{ key: 'a', exists: true }] }), false);
  });
  it('escapes regular-expression characters', () => {
    assert.equal(globToRegExp('a+b(c)').test('a+b(c)'), true);
    assert.equal(globToRegExp('a+b').test('aab'), false);
    assert.equal(globToRegExp('[').test('['), true);
  });
});
