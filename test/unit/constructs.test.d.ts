import type { KubeObject } from '../../src/constructs/index.js';
export type { KubeObject };
