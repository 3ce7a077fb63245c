/**
 * cdk8s-plus-27's generated Kubernetes classes (its `k8s` namespace: the typed
 * L1 objects every construct here builds), loaded on their own with require.
 * Importing the package from ESM loads its whole L2 library too and makes Node
 * scan its CommonJS (2.5 MB) for export names: ~0.1 s of every `mailagent`
 * start that synthesizes (node --cpu-prof of `mailagent template`).
 * Types: `import type * as K8s from 'cdk8s-plus-27/lib/imports/k8s.js'`.
 */
import { createRequire } from 'node:module';
import type * as K8s from 'cdk8s-plus-27/lib/imports/k8s.js';

export const k8s = createRequire(import.meta.url)('cdk8s-plus-27/lib/imports/k8s.js') as typeof K8s;
