/**
 * A release's values: the MailAgent spec, built as Helm builds values
 * (pkg/cli/values/options.go, pkg/strvals): `-f` files merged in order (maps
 * deep-merged, lists replaced, null deletes a key), then each `--set` applied
 * on top (paths like users[0].name=toto, types inferred), then validated
 * against the MailAgent schema before anything touches the cluster.
 */
import { InputError, ValidationError } from '../api/errors.js';
import type { FieldError } from '../api/errors.js';
import { parseYamlDocuments } from '../api/load.js';
import type { MailAgentSpec } from '../api/types.js';
import { validateSpec } from '../api/validate.js';

export type Values = Record<string, unknown>;

export interface ValuesFile {
  /** Where the text came from, for messages ("values.yaml"). */
  source: string;
  text: string;
}

export interface SetArg {
  /** The argument as given, for messages. */
  arg: string;
  /** Keep every value a string (--set-string). */
  asString: boolean;
}

export interface ValuesInput {
  files: readonly ValuesFile[];
  sets: readonly SetArg[];
  /** Start from the previous revision's values (upgrade --reuse-values). */
  reuseValues?: boolean;
}

/** An index larger than this in --set is surely a typo (Helm caps at 65536). */
const MAX_INDEX = 1000;

export const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/*
 * Keys come from the user ("__proto__", "constructor"): values are built in
 * null-prototype maps and only ever read and written as own properties, so
 * no key reaches Object.prototype or finds a field through a prototype; the
 * validator then reports such a key as an unknown field.
 */
const newMap = (): Values => Object.create(null) as Values;
const getOwn = (map: Values, key: string): unknown => (Object.hasOwn(map, key) ? map[key] : undefined);
function setOwn(map: Values | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Deep merge: maps merge, anything else in `override` replaces; null deletes. Inputs are not modified. */
export function mergeValues(base: Values, override: Values): Values {
  const out = newMap();
  for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(override)) {
    const prev = getOwn(out, k);
    if (v === null) Reflect.deleteProperty(out, k);
    else if (isMap(v) && isMap(prev)) setOwn(out, k, mergeValues(prev, v));
    else setOwn(out, k, isMap(v) ? mergeValues(newMap(), v) : structuredClone(v));
  }
  return out;
}

export function parseValuesFile(file: ValuesFile): Values {
  const docs = parseYamlDocuments(file.text, file.source);
  if (docs.length > 1) throw new InputError(`${file.source}: a values file holds one YAML document; found ${docs.length}`);
  const doc = docs[0] ?? {};
  if (!isMap(doc)) {
    throw new InputError(`${file.source}: values must be a mapping of MailAgent spec fields (domain, users, ...), not ${Array.isArray(doc) ? 'a list' : typeof doc}`);
  }
  return doc;
}

type Segment = { key: string } | { index: number };

/** Splits on `sep` outside braces, honouring backslash escapes (kept for the next stage). */
function splitTopLevel(text: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '\\' && i + 1 < text.length) { cur += c + text.charAt(i + 1); i++; continue; }
    if (c === '{') depth++;
    if (c === '}') depth = Math.max(0, depth - 1);
    if (c === sep && depth === 0) { parts.push(cur); cur = ''; continue; }
    cur += c;
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\(.)/g, '$1');

function parsePath(key: string, arg: string): Segment[] {
  const fail = (why: string): never => { throw new InputError(`--set ${arg}: ${why}`); };
  const segments: Segment[] = [];
  let cur = '';
  let afterIndex = false;
  let i = 0;
  while (i < key.length) {
    const c = key.charAt(i);
    if (c === '\\' && i + 1 < key.length) { cur += key.charAt(i + 1); afterIndex = false; i += 2; continue; }
    if (c === '.') {
      if (cur !== '') segments.push({ key: cur });
      else if (!afterIndex) fail(`empty field name in "${key}"`);
      cur = '';
      afterIndex = false;
      i++;
      if (i === key.length) fail(`"${key}" ends with "."`);
      continue;
    }
    if (c === '[') {
      if (cur !== '') segments.push({ key: cur });
      else if (!afterIndex) fail(segments.length === 0 ? `"${key}" starts with an index; values are a map (e.g. users[0].name=toto)` : `empty field name in "${key}"`);
      cur = '';
      const end = key.indexOf(']', i);
      const digits = end < 0 ? '' : key.slice(i + 1, end);
      if (!/^[0-9]+$/.test(digits)) fail(`bad list index in "${key}"; use a number, e.g. users[0]`);
      const index = Number(digits);
      if (index > MAX_INDEX) fail(`list index ${index} is too large (at most ${MAX_INDEX})`);
      segments.push({ index });
      afterIndex = true;
      i = end + 1;
      if (i < key.length && key.charAt(i) !== '.' && key.charAt(i) !== '[') fail(`expected "." or "[" after "]" in "${key}"`);
      continue;
    }
    cur += c;
    afterIndex = false;
    i++;
  }
  if (cur !== '') segments.push({ key: cur });
  else if (!afterIndex) fail(`empty field name in "${key}"`);
  return segments;
}

/** Helm's typedVal: true/false, null, integers without a leading zero; anything else is a string. */
export function inferScalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^(0|-?[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  return text;
}

function parseValue(raw: string, asString: boolean): unknown {
  const typed = (s: string): unknown => (asString ? unescape(s) : inferScalar(unescape(s)));
  if (raw.startsWith('{') && raw.endsWith('}')) {
    const inner = raw.slice(1, -1);
    return inner === '' ? [] : splitTopLevel(inner, ',').map(typed);
  }
  return typed(raw);
}

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : `a ${typeof v}`);

function setPath(root: Values, path: Segment[], value: unknown, arg: string): void {
  let node: Values | unknown[] = root;
  let where = '';
  for (const [i, seg] of path.entries()) {
    const last = i === path.length - 1;
    const next = path[i + 1];
    const fresh = (): Values | unknown[] => (next && 'index' in next ? [] : newMap());
    if ('key' in seg) {
      if (!isMap(node)) throw new InputError(`--set ${arg}: ${where || 'the values'} is ${describe(node)}, not a map; cannot set "${seg.key}" in it`);
      if (last) {
        if (value === null) Reflect.deleteProperty(node, seg.key);
        else setOwn(node, seg.key, value);
        return;
      }
      let child = getOwn(node, seg.key);
      if (!(isMap(child) || Array.isArray(child)) || (next && 'index' in next) !== Array.isArray(child)) {
        if (child !== undefined && child !== null) {
          throw new InputError(`--set ${arg}: ${where ? `${where}.` : ''}${seg.key} is ${describe(child)}; cannot set ${next && 'index' in next ? 'an index' : 'a field'} in it`);
        }
        child = fresh();
        setOwn(node, seg.key, child);
      }
      node = child as Values | unknown[];
      where = where ? `${where}.${seg.key}` : seg.key;
    } else {
      if (!Array.isArray(node)) throw new InputError(`--set ${arg}: ${where} is ${describe(node)}, not a list`);
      // Helm extends the list as needed; holes become null (and fail validation).
      while (node.length <= seg.index) node.push(null);
      if (last) { setOwn(node, seg.index, value); return; }
      let child = node[seg.index];
      if (!(isMap(child) || Array.isArray(child))) {
        if (child !== null) throw new InputError(`--set ${arg}: ${where}[${seg.index}] is ${describe(child)}; cannot set a field in it`);
        child = fresh();
        setOwn(node, seg.index, child);
      }
      node = child as Values | unknown[];
      where = `${where}[${seg.index}]`;
    }
  }
}

/** Applies one --set/--set-string argument ("a.b=1,users[0].name=toto") to `values`, in place. */
export function applySet(values: Values, set: SetArg): void {
  for (const assignment of splitTopLevel(set.arg, ',')) {
    const eq = assignment.search(/(?<!\\)=/);
    if (eq < 0) throw new InputError(`--set ${set.arg}: "${assignment}" is not KEY=VALUE (e.g. users[0].name=toto, imap.enabled=true)`);
    const path = parsePath(assignment.slice(0, eq), set.arg);
    setPath(values, path, parseValue(assignment.slice(eq + 1), set.asString), set.arg);
  }
}

/** Files merged in order, then --set: the raw values, not yet validated. */
export function buildValues(input: ValuesInput, previous?: MailAgentSpec): Values {
  let values: Values = input.reuseValues && previous ? mergeValues(newMap(), previous as unknown as Values) : newMap();
  for (const f of input.files) values = mergeValues(values, parseValuesFile(f));
  for (const s of input.sets) applySet(values, s);
  return values;
}

export function describeSources(input: ValuesInput): string {
  const parts = [
    ...(input.reuseValues ? ['the previous revision'] : []),
    ...input.files.map((f) => `-f ${f.source}`),
    ...(input.sets.length ? ['--set'] : []),
  ];
  return `values${parts.length ? ` (${parts.join(', ')})` : ''}`;
}

/**
 * Validates values as a MailAgent spec. Field paths are those of the values
 * (users[1].name), which is what -f files and --set are written in.
 */
export function validateValues(values: Values, source: string): MailAgentSpec {
  try {
    return validateSpec(values, source, 'spec');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    const errors: FieldError[] = err.errors.map((e) => ({ ...e, path: e.path.replace(/^spec\.?/, '') || '(values)' }));
    throw new ValidationError(source, errors);
  }
}

export function resolveValues(input: ValuesInput, previous?: MailAgentSpec): MailAgentSpec {
  return validateValues(buildValues(input, previous), describeSources(input));
}
