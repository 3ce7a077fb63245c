/**
 * Exactly the API access the operator uses, as ClusterRole rules. The Helm
 * chart (charts/mailagent-operator) and `mailagent operator rbac` render
 * these; a test keeps the chart in step.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const CHILD_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

export const OPERATOR_RULES: readonly PolicyRule[] = [
  // watch MailAgents; delete expired ones (spec.lifetime)
  { apiGroups: ['localmail.dev'], resources: ['mailagents'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: ['localmail.dev'], resources: ['mailagents/status'], verbs: ['get', 'patch', 'update'] },
  // children: server-side apply (create + patch), prune (delete), watch for drift.
  // Secrets are also read for passwordSecretRef and spec.tls.secretName.
  { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'persistentvolumeclaims'], verbs: CHILD_VERBS },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: CHILD_VERBS },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: CHILD_VERBS },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  // leader election
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export const FIELD_MANAGER = 'mailagent-operator';
