/**
 * Exactly the API access the operator uses. The Helm chart
 * (charts/mailagent-operator) and `mailagent operator rbac` render these;
 * tests keep the chart in step.
 *
 * Two grants, each as narrow as the API allows:
 *  - OPERATOR_RULES where MailAgents live: a ClusterRole bound cluster-wide,
 *    or, with a watched namespace, a Role in that namespace only (Secrets
 *    included: no cluster-wide Secret access then);
 *  - LEADER_ELECTION_RULES in the operator's own namespace: create any Lease
 *    (create cannot be limited by name), get/update only its own.
 */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const CHILD_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

export const OPERATOR_RULES: readonly PolicyRule[] = [
  // watch MailAgents; delete expired ones (spec.lifetime)
  { apiGroups: ['localmail.dev'], resources: ['mailagents'], verbs: ['get', 'list', 'watch', 'delete'] },
  // status: server-side apply (a patch) only
  { apiGroups: ['localmail.dev'], resources: ['mailagents/status'], verbs: ['patch'] },
  // children: server-side apply (create + patch), prune (delete), watch for drift.
  // Secrets are also read for passwordSecretRef and spec.tls.secretName.
  { apiGroups: [''], resources: ['configmaps', 'secrets', 'services', 'persistentvolumeclaims'], verbs: CHILD_VERBS },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: CHILD_VERBS },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: CHILD_VERBS },
  // events are only created (repeats are dropped, never patched)
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** The leader election Lease's name (in the operator's namespace). */
export const LEASE_NAME = 'mailagent-operator';

export const LEADER_ELECTION_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEASE_NAME], verbs: ['get', 'update'] },
];

export const FIELD_MANAGER = 'mailagent-operator';

export interface RbacOptions {
  /** Name of the roles and bindings. */
  name: string;
  serviceAccount: string;
  /** Namespace of the operator: its ServiceAccount and its Lease. */
  operatorNamespace: string;
  /** Watched namespace; undefined = all (then a ClusterRole). */
  watchNamespace?: string | undefined;
}

const RBAC_API = 'rbac.authorization.k8s.io/v1';

/** The RBAC objects `mailagent operator rbac` prints (the chart renders the same). */
export function operatorRbacObjects(o: RbacOptions): Record<string, unknown>[] {
  const subjects = [{ kind: 'ServiceAccount', name: o.serviceAccount, namespace: o.operatorNamespace }];
  const roleRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const agentGrant = o.watchNamespace === undefined
    ? [
      { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name: o.name }, rules: OPERATOR_RULES },
      { apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata: { name: o.name }, roleRef: roleRef('ClusterRole', o.name), subjects },
    ]
    : [
      { apiVersion: RBAC_API, kind: 'Role', metadata: { name: o.name, namespace: o.watchNamespace }, rules: OPERATOR_RULES },
      { apiVersion: RBAC_API, kind: 'RoleBinding', metadata: { name: o.name, namespace: o.watchNamespace }, roleRef: roleRef('Role', o.name), subjects },
    ];
  const leaseName = `${o.name}-leader-election`;
  return [
    ...agentGrant,
    { apiVersion: RBAC_API, kind: 'Role', metadata: { name: leaseName, namespace: o.operatorNamespace }, rules: LEADER_ELECTION_RULES },
    { apiVersion: RBAC_API, kind: 'RoleBinding', metadata: { name: leaseName, namespace: o.operatorNamespace }, roleRef: roleRef('Role', leaseName), subjects },
  ];
}
