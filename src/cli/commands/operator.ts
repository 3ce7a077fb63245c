import { stringify } from 'yaml';
import { loadKubeConfig } from '../../kube/config.js';
import { Operator } from '../../operator/manager.js';
import { DEFAULT_ALLOWED_IMAGES, parseAllowedImages } from '../../operator/image-policy.js';
import { LEASE_NAME, operatorRbacObjects } from '../../operator/rbac.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';

const usage = `Usage: mailagent operator [options]
       mailagent operator rbac [-n NS] [--lease-namespace NS] [--service-account NAME]

Runs the MailAgent operator against the cluster of KUBECONFIG (or in-cluster
credentials): reconciles every MailAgent into its ConfigMap, Secrets,
Deployment, Service, NetworkPolicy and claim, and reports status. Logs are
JSON lines on stdout. \`rbac\` prints the RBAC objects it needs for the same
options: a ClusterRole (or with -n, a Role in that namespace) and a Role for
its Lease in the lease namespace, bound to --service-account (default
mailagent-operator).

Options:
  -n, --namespace NS        watch only this namespace (default: all)
      --metrics-port N      Prometheus /metrics port (default 8080)
      --health-port N       /healthz and /readyz port (default 8081)
      --resync SECONDS      revisit every agent this often (default 300)
      --concurrency N       reconciles in parallel (default 4)
      --no-leader-elect     do not take a Lease (only one replica may run)
      --lease-namespace NS  namespace of the leader Lease (default: $POD_NAMESPACE or "default")
      --identity ID         leader identity (default: hostname_pid)
      --allowed-images LIST images a MailAgent may run, comma-separated; an entry
                            ending in "*" is a prefix (default: ${DEFAULT_ALLOWED_IMAGES.join(',')})`;

function int(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${flag} must be a whole number from 0 to 65535, got "${value}"`, usage);
  return n;
}

function allowedImages(value: string | undefined): readonly string[] {
  if (value === undefined) return DEFAULT_ALLOWED_IMAGES;
  const list = parseAllowedImages(value);
  if (!list.length) throw new UsageError(`--allowed-images needs at least one image (or a prefix ending in "*"), got "${value}"`, usage);
  return list;
}

export const operatorCommand: Command = {
  name: 'operator',
  summary: 'run the MailAgent operator (or print its RBAC rules)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION,
      namespace: { type: 'string', short: 'n' },
      'metrics-port': { type: 'string' },
      'health-port': { type: 'string' },
      resync: { type: 'string' },
      concurrency: { type: 'string' },
      'no-leader-elect': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      identity: { type: 'string' },
      'allowed-images': { type: 'string' },
      'service-account': { type: 'string' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const leaseNamespace = values['lease-namespace'] ?? process.env.POD_NAMESPACE ?? 'default';
    if (positionals[0] === 'rbac') {
      const objects = operatorRbacObjects({
        name: 'mailagent-operator', serviceAccount: values['service-account'] ?? 'mailagent-operator',
        operatorNamespace: leaseNamespace, watchNamespace: values.namespace,
      });
      process.stdout.write(objects.map((o) => stringify(o)).join('---\n'));
      return 0;
    }
    if (positionals[0] !== undefined) throw new UsageError(`unknown argument "${positionals[0]}"`, usage);
    const op = new Operator(loadKubeConfig(), {
      namespace: values.namespace,
      metricsPort: int(values['metrics-port'], 8080, 'metrics-port'),
      healthPort: int(values['health-port'], 8081, 'health-port'),
      resyncSeconds: Math.max(1, int(values.resync, 300, 'resync')),
      concurrency: Math.max(1, int(values.concurrency, 4, 'concurrency')),
      leaderElect: !values['no-leader-elect'],
      leaseNamespace,
      leaseName: LEASE_NAME,
      identity: values.identity,
      allowedImages: allowedImages(values['allowed-images']),
    });
    const done = new Promise<void>((resolve) => {
      const onSignal = (sig: string) => { op.log.info('signal received', { signal: sig }); void op.stop(0).then(resolve); };
      process.once('SIGTERM', () => { onSignal('SIGTERM'); });
      process.once('SIGINT', () => { onSignal('SIGINT'); });
    });
    await op.run();
    await done;
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  },
};
