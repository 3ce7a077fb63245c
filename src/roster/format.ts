/** The roster as a table, CSV (RFC 4180) or JSON. Passwords appear only when the entries carry them. */
import { table } from '../deploy/output.js';
import { endpointNames } from './model.js';
import type { RosterEntry } from './model.js';


const showPasswords = (entries: readonly RosterEntry[]): boolean => entries.some((e) => e.password !== undefined);

/** The port to type with `host`: the external one when the agent is exposed. */
function portToType(e: RosterEntry, name: string): string {
  const p = e.endpoints.find((x) => x.name === name);
  if (!p) return '';
  return String((p.external ?? p.cluster).port);
}

const readyText = (r: boolean | undefined): string => (r === undefined ? '?' : r ? 'yes' : 'no');

export function formatRosterTable(entries: readonly RosterEntry[]): string {
  const names = endpointNames(entries);
  const pw = showPasswords(entries);
  return `${table(
    ['AGENT', 'NAMESPACE', 'ADDRESS', ...(pw ? ['PASSWORD'] : []), 'HOST', ...names.map((n) => n.toUpperCase()), 'IN-CLUSTER HOST', 'READY'],
    entries.map((e) => [e.agent, e.namespace, e.address, ...(pw ? [e.password ?? ''] : []), e.host,
      ...names.map((n) => portToType(e, n)), e.clusterHost, readyText(e.ready)]),
  )}\n`;
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * One line per user. `host` and the columns named after each endpoint are
 * what to type (from outside when exposed); `cluster_*` are the in-cluster
 * name and ports.
 */
export function formatRosterCsv(entries: readonly RosterEntry[]): string {
  const names = endpointNames(entries);
  const pw = showPasswords(entries);
  const header = ['agent', 'namespace', 'domain', 'user', 'address', ...(pw ? ['password'] : []), 'host', ...names,
    'cluster_host', ...names.map((n) => `cluster_${n}`), 'ca_configmap'];
  const rows = entries.map((e) => [e.agent, e.namespace, e.domain, e.user, e.address, ...(pw ? [e.password ?? ''] : []), e.host,
    ...names.map((n) => portToType(e, n)), e.clusterHost,
    ...names.map((n) => String(e.endpoints.find((x) => x.name === n)?.cluster.port ?? '')), `${e.ca.configMap}/${e.ca.key}`]);
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function formatRosterJson(entries: readonly RosterEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}
