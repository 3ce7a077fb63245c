export * from './names.js';
export * from './agent-config.js';
export * from './agent-secrets.js';
export * from './agent-network.js';
export * from './agent-storage.js';
export * from './agent-workload.js';
export * from './mail-agent-chart.js';
