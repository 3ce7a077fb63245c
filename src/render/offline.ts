/**
 * Renders a MailAgent without a cluster (`mailagent synth`, the deployer's
 * `template`): passwords and the self-signed certificate are generated here
 * instead of being read back from the cluster.
 */
import { stringify } from 'yaml';
import { resolveSpec } from '../api/resolve.js';
import type { MailAgent } from '../api/types.js';
import { childNames } from '../constructs/names.js';
import { synthMailAgent } from '../constructs/mail-agent-chart.js';
import type { KubeObject } from '../constructs/mail-agent-chart.js';
import { generatePassword } from '../secrets/passwords.js';
import { agentDnsNames, generateSelfSigned } from '../secrets/self-signed.js';

export interface OfflineOptions {
  namespace?: string | undefined;
  /** Known passwords (e.g. the demo's); others are generated. */
  passwords?: Readonly<Record<string, string>>;
  managedBy?: string;
  extraLabels?: Record<string, string>;
}

export async function renderOffline(agent: MailAgent, opts: OfflineOptions = {}): Promise<KubeObject[]> {
  const spec = resolveSpec(agent.spec);
  const name = agent.metadata.name;
  const namespace = opts.namespace ?? agent.metadata.namespace;
  const generatedPasswords = Object.fromEntries(spec.users
    .filter((u) => !u.passwordSecretRef)
    .map((u) => [u.name, opts.passwords?.[u.name] ?? generatePassword()]));
  const generatedTls = spec.tlsSecretName === undefined
    ? await generateSelfSigned(agentDnsNames(spec.domain, childNames(name).service, namespace))
    : undefined;
  return synthMailAgent({
    name, namespace, spec, generatedPasswords,
    generatedTls: generatedTls && { cert: generatedTls.cert, key: generatedTls.key, ca: generatedTls.ca },
    managedBy: opts.managedBy, extraLabels: opts.extraLabels,
  });
}

export function toYamlStream(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
}
