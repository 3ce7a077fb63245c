/**
 * Renders a release through the same chart as the operator: cluster inputs
 * first (generated passwords read back so they stay stable, referenced
 * Secrets and TLS checked), then the chart with the deployer's labels.
 * Nothing is written here.
 */
import type * as k8s from '@kubernetes/client-node';
import { resolveSpec } from '../api/resolve.js';
import type { MailAgentSpec } from '../api/types.js';
import type { KubeObject } from '../kube/apply.js';
import { objectKey } from '../kube/owned-kinds.js';
import { apiSecretReader, renderWithClusterInputs, resolveClusterInputs } from '../render/cluster-inputs.js';
import { manifestOf, releaseLabels } from './manifest.js';
import { MANAGED_BY } from './release.js';

export interface RenderedRelease {
  objects: KubeObject[];
  /** The objects as YAML with Secret data redacted: what the record stores. */
  manifest: string;
}

export async function renderRelease(
  core: k8s.CoreV1Api, name: string, namespace: string, values: MailAgentSpec,
): Promise<RenderedRelease> {
  const spec = resolveSpec(values);
  const inputs = await resolveClusterInputs(apiSecretReader(core), name, namespace, spec);
  const objects = renderWithClusterInputs(name, namespace, spec, inputs, { managedBy: MANAGED_BY, extraLabels: releaseLabels(name) });
  return { objects, manifest: manifestOf(objects) };
}

export const keysOf = (objects: readonly KubeObject[]): Set<string> => new Set(objects.map(objectKey));
