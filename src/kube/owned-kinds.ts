/** The kinds a mail agent's chart can produce: what prune must look at. */
export interface KindRef {
  apiVersion: string;
  kind: string;
}

export const OWNED_KINDS: readonly KindRef[] = [
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
];

export const objectKey = (o: { kind: string; metadata: { name?: string } }): string => `${o.kind}/${o.metadata.name ?? ''}`;
