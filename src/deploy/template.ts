/**
 * mailagent template NAME -f values.yaml: the objects an install would apply,
 * rendered offline (no cluster). Passwords and the self-signed certificate
 * are generated afresh, as `helm template` would: the output is meant for
 * `kubectl apply -f -` or for review, and is never stored.
 */
import { API_VERSION, KIND } from '../api/types.js';
import type { MailAgentSpec } from '../api/types.js';
import type { KubeObject } from '../constructs/mail-agent-chart.js';
import { renderOffline } from '../render/offline.js';
import { checkReleaseName } from './release.js';
import { MANAGED_BY } from './release.js';
import { redact, releaseLabels } from './manifest.js';

export interface TemplateOptions {
  namespace: string;
  values: MailAgentSpec;
  /** Replace Secret data with placeholders, as stored manifests are. */
  redactSecrets: boolean;
}

export async function template(name: string, opts: TemplateOptions): Promise<KubeObject[]> {
  checkReleaseName(name);
  const objects = await renderOffline(
    { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: opts.namespace }, spec: opts.values },
    { namespace: opts.namespace, managedBy: MANAGED_BY, extraLabels: releaseLabels(name) },
  );
  return opts.redactSecrets ? redact(objects) : objects;
}
