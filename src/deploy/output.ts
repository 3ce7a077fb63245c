/** How the CLI prints releases: tables, the status text, dry-run results. */
import { stringify } from 'yaml';
import type { DryRunResult } from './install.js';
import type { Release } from './release.js';
import type { StatusReport } from './status.js';

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function formatList(releases: readonly Release[]): string {
  return table(
    ['NAME', 'NAMESPACE', 'REVISION', 'UPDATED', 'STATUS', 'DOMAIN', 'USERS'],
    releases.map((r) => [r.name, r.namespace, String(r.version), r.info.lastDeployed, r.info.status, r.values.domain, String(r.values.users.length)]),
  );
}

export function formatHistory(releases: readonly Release[]): string {
  return table(
    ['REVISION', 'UPDATED', 'STATUS', 'DESCRIPTION'],
    releases.map((r) => [String(r.version), r.info.lastDeployed, r.info.status, r.info.description]),
  );
}

/** A machine-readable view of a record (no manifest unless asked). */
export function releaseSummary(r: Release): Record<string, unknown> {
  return { name: r.name, namespace: r.namespace, revision: r.version, status: r.info.status, firstDeployed: r.info.firstDeployed, lastDeployed: r.info.lastDeployed, description: r.info.description, domain: r.values.domain, users: r.values.users.map((u) => u.name) };
}

export type OutputFormat = 'table' | 'json' | 'yaml';

export function formatData(data: unknown, format: Exclude<OutputFormat, 'table'>): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

export function formatStatus(s: StatusReport): string {
  const r = s.release;
  const ns = r.namespace;
  const lines = [
    `NAME: ${r.name}`,
    `NAMESPACE: ${ns}`,
    `STATUS: ${r.info.status}`,
    `REVISION: ${r.version}`,
    `LAST DEPLOYED: ${r.info.lastDeployed}`,
    `DESCRIPTION: ${r.info.description}`,
  ];
  if (r.info.status === 'uninstalled') return `${lines.join('\n')}\n`;
  if (s.workload) lines.push(`WORKLOAD: ${s.workload}`);
  lines.push(
    '',
    `ENDPOINTS: Service ${r.name} (${s.serviceType}${s.clusterIP ? ` ${s.clusterIP}` : ''}), host ${s.host}`,
    table(['  PROTOCOL', 'PORT', 'URL'], s.endpoints.map((e) => [`  ${e.protocol}`, `${e.port}${e.nodePort ? ` (node port ${e.nodePort})` : ''}`, e.url])),
    `  Plain SMTP, POP3${s.endpoints.some((e) => e.protocol === 'imap') ? ' and IMAP' : ''} offer STARTTLS/STLS. From outside the cluster: kubectl -n ${ns} port-forward svc/${r.name} 2525:25 1100:110`,
    '',
    `USERS (domain ${r.values.domain}):`,
    table(['  ADDRESS', 'PASSWORD'], s.users.map((u) => [`  ${u.address}`, `${u.generated ? 'generated, ' : ''}Secret ${u.secret} key "${u.key}"`])),
    '',
    `CREDENTIALS: Secret ${s.credentialsSecret} holds the generated passwords (key = user name). Read one with:`,
    `  kubectl -n ${ns} get secret ${s.credentialsSecret} -o jsonpath='{.data.${s.users.find((u) => u.generated)?.name ?? 'USER'}}' | base64 -d; echo`,
    '',
    `TLS: Secret ${s.tlsSecret}${s.tlsSelfSigned ? ' (self-signed)' : ''}; clients trust the CA in ConfigMap ${s.caCert.configMap} key ${s.caCert.key}:`,
    `  kubectl -n ${ns} get configmap ${s.caCert.configMap} -o jsonpath='{.data.ca\\.crt}' > ${r.name}-ca.crt`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatDryRun(d: DryRunResult): string {
  const notes = [
    `# dry run of release "${d.name}" in namespace ${d.namespace}: accepted by the API server (server-side dry run); nothing applied or stored.`,
    '# Secret data is redacted.',
    ...d.wouldDelete.map((k) => `# would delete ${k}`),
  ];
  return `${notes.join('\n')}\n---\n${d.manifest}`;
}

export const isDryRun = (r: object): r is DryRunResult => 'dryRun' in r;
