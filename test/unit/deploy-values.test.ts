import { describe, expect, it } from '@jest/globals';
import { InputError, ValidationError } from '../../src/api/errors.js';
import {
  applySet, buildValues, inferScalar, mergeValues, parseValuesFile, resolveValues, validateValues,
} from '../../src/deploy/values.js';
import type { Values } from '../../src/deploy/values.js';

const set = (values: Values, arg: string, asString = false): Values => {
  applySet(values, { arg, asString });
  return values;
};

describe('--set parsing (Helm strvals)', () => {
  it('sets nested fields and list items by path', () => {
    expect(set({}, 'users[0].name=toto')).toEqual({ users: [{ name: 'toto' }] });
    expect(set({}, 'imap.enabled=true')).toEqual({ imap: { enabled: true } });
    expect(set({}, 'storage.persistent=true,storage.size=2Gi')).toEqual({ storage: { persistent: true, size: '2Gi' } });
    expect(set({}, 'service.nodePorts.smtp=30025')).toEqual({ service: { nodePorts: { smtp: 30025 } } });
  });

  it('modifies existing lists in place and extends them', () => {
    const v: Values = { users: [{ name: 'toto' }, { name: 'tutu' }] };
    set(v, 'users[1].name=titi');
    set(v, 'users[2].name=zaza');
    expect(v).toEqual({ users: [{ name: 'toto' }, { name: 'titi' }, { name: 'zaza' }] });
    set(v, 'users[0].passwordSecretRef.name=pw,users[0].passwordSecretRef.key=toto');
    expect(v.users).toEqual([{ name: 'toto', passwordSecretRef: { name: 'pw', key: 'toto' } }, { name: 'titi' }, { name: 'zaza' }]);
  });

  it('leaves holes as null when an index skips ahead (validation then names them)', () => {
    expect(set({}, 'users[1].name=b')).toEqual({ users: [null, { name: 'b' }] });
  });

  it('infers types as Helm does; --set-string keeps strings', () => {
    expect(['true', 'false', 'null', '0', '42', '-7', '007', '1.5', '1e3', 'x'].map(inferScalar))
      .toEqual([true, false, null, 0, 42, -7, '007', '1.5', '1e3', 'x']);
    expect(set({}, 'a=true,b=12', true)).toEqual({ a: 'true', b: '12' });
    expect(set({}, 'a=')).toEqual({ a: '' });
  });

  it('parses {a,b} lists, escapes and values holding "="', () => {
    expect(set({}, 'a={x,1,true}')).toEqual({ a: ['x', 1, true] });
    expect(set({}, 'a={}')).toEqual({ a: [] });
    expect(set({}, 'a.b\\.c=1')).toEqual({ a: { 'b.c': 1 } });
    expect(set({}, 'a=x\\,y')).toEqual({ a: 'x,y' });
    expect(set({}, 'a=k=v')).toEqual({ a: 'k=v' });
  });

  it('null deletes a key', () => {
    expect(set({ tls: { secretName: 'x' }, domain: 'd' }, 'tls=null')).toEqual({ domain: 'd' });
  });

  it.each([
    ['users', /"users" is not KEY=VALUE/],
    ['=x', /empty field name/],
    ['a..b=1', /empty field name/],
    ['a.=1', /ends with "\."/],
    ['[0]=1', /starts with an index/],
    ['users[x].name=1', /bad list index/],
    ['users[0]x=1', /expected "\." or "\[" after "\]"/],
    ['users[5000].name=a', /too large/],
  ])('rejects %s', (arg, message) => {
    expect(() => set({}, arg)).toThrow(InputError);
    expect(() => set({}, arg)).toThrow(message);
  });

  it('refuses to descend into a scalar or treat a map as a list', () => {
    expect(() => set({ domain: 'x' }, 'domain.sub=1')).toThrow(/domain is a string; cannot set a field in it/);
    expect(() => set({ imap: { enabled: true } }, 'imap[0]=1')).toThrow(/imap is a object; cannot set an index/);
  });
});

describe('values merge (-f files in order)', () => {
  it('deep-merges maps, replaces lists and scalars, deletes on null, and copies', () => {
    const base: Values = { domain: 'a.com', users: [{ name: 'x' }], storage: { persistent: true, size: '1Gi' }, tls: { secretName: 't' } };
    const over: Values = { users: [{ name: 'y' }], storage: { size: '2Gi' }, tls: null };
    const merged = mergeValues(base, over);
    expect(merged).toEqual({ domain: 'a.com', users: [{ name: 'y' }], storage: { persistent: true, size: '2Gi' } });
    (merged.users as Values[])[0]!.name = 'changed';
    expect(over.users).toEqual([{ name: 'y' }]);
    expect(base.storage).toEqual({ persistent: true, size: '1Gi' });
  });

  it('applies files then --set, and starts from previous values with reuseValues', () => {
    const input = {
      files: [
        { source: 'a.yaml', text: 'domain: a.com\nusers: [{name: toto}]\n' },
        { source: 'b.yaml', text: 'imap: {enabled: true}\n' },
      ],
      sets: [{ arg: 'users[1].name=tutu', asString: false }],
    };
    expect(buildValues(input)).toEqual({ domain: 'a.com', users: [{ name: 'toto' }, { name: 'tutu' }], imap: { enabled: true } });
    const previous = { domain: 'p.com', users: [{ name: 'old' }] };
    expect(buildValues({ files: [], sets: [{ arg: 'users[1].name=new', asString: false }], reuseValues: true }, previous))
      .toEqual({ domain: 'p.com', users: [{ name: 'old' }, { name: 'new' }] });
    expect(previous.users).toHaveLength(1);
    expect(buildValues({ files: [], sets: [] }, previous)).toEqual({});
  });

  it('rejects a values file that is not one mapping', () => {
    expect(() => parseValuesFile({ source: 'v.yaml', text: '- a\n- b\n' })).toThrow(/v\.yaml: values must be a mapping .* not a list/);
    expect(() => parseValuesFile({ source: 'v.yaml', text: 'a: 1\n---\nb: 2\n' })).toThrow(/one YAML document; found 2/);
    expect(() => parseValuesFile({ source: 'v.yaml', text: 'a: [\n' })).toThrow(/v\.yaml: not valid YAML/);
    expect(parseValuesFile({ source: 'v.yaml', text: '' })).toEqual({});
  });
});

describe('values validation', () => {
  it('returns the spec when valid', () => {
    expect(validateValues({ domain: 'pouet.com', users: [{ name: 'toto' }] }, 'values')).toEqual({ domain: 'pouet.com', users: [{ name: 'toto' }] });
  });

  it('reports every problem with the field path of the values', () => {
    let err: unknown;
    try {
      resolveValues({ files: [{ source: 'v.yaml', text: 'domain: Bad_Domain\nusers: [{name: Root}, {name: postmaster}]\nrelay: true\n' }], sets: [{ arg: 'users[3].name=x', asString: false }] });
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.message).toMatch(/^values \(-f v\.yaml, --set\): invalid MailAgent:/);
    expect(v.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['domain', 'users[0].name', 'users[2]', 'relay']));
    expect(v.message).toMatch(/users\[0\]\.name: "Root": must be lowercase letters/);
    expect(v.message).toMatch(/relay: unknown field/);
  });

  it('names missing required fields and an empty values set', () => {
    expect(() => resolveValues({ files: [], sets: [] })).toThrow(/values: invalid MailAgent:\n {2}domain: is required\n {2}users: is required/);
  });
});

describe('keys that name Object.prototype ("__proto__", "constructor")', () => {
  const valid = 'domain: pouet.com\nusers:\n  - name: toto\n';
  const protoFile = { source: 'evil.yaml', text: '__proto__:\n  domain: pouet.com\n  users:\n    - name: toto\n' };

  it('a __proto__ map in a values file satisfies no required field: domain and users are missing, __proto__ is unknown', () => {
    let err: unknown;
    try { resolveValues({ files: [protoFile], sets: [] }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors.map((e) => e.path).sort()).toEqual(['__proto__', 'domain', 'users']);
    expect((err as ValidationError).errors.find((e) => e.path === '__proto__')?.message).toMatch(/^unknown field; allowed fields are domain, users/);
  });

  it.each([
    '__proto__.polluted=1',
    'users[0].__proto__.polluted=1',
    'constructor.prototype.polluted=1',
    'users[0].constructor.prototype.polluted=1',
  ])('--set %s leaves Object.prototype alone and is refused as an unknown field', (arg) => {
    const input = { files: [{ source: 'v.yaml', text: valid }], sets: [{ arg, asString: false }] };
    expect(() => resolveValues(input)).toThrow(/unknown field/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });

  it('merging a file with a __proto__ key over another keeps it an own key, not a prototype', () => {
    const merged = mergeValues(parseValuesFile({ source: 'a.yaml', text: valid }), parseValuesFile(protoFile));
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(merged)).toBeNull();
    expect(({} as Record<string, unknown>).domain).toBeUndefined();
  });

  it('a "constructor" or "toString" field is unknown, not taken for a schema', () => {
    expect(() => validateValues({ domain: 'pouet.com', users: [{ name: 'toto' }], constructor: 1, toString: 'x' }, 'v'))
      .toThrow(/constructor: unknown field[^]*toString: unknown field/);
  });
});
