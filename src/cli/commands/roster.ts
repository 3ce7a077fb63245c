import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';

const FORMATS = ['table', 'csv', 'json', 'handout', 'handout-html'] as const;
type Format = typeof FORMATS[number];

const usage = `Usage: mailagent roster (NAME | -l SELECTOR | --chart-release RELEASE) [-n NS | -A]
                        [-o table|csv|json|handout|handout-html] [--show-passwords] [--node-address ADDRESS]

Lists, per agent and user, what to type into a mail client: the address, the
password (only with --show-passwords), the host and port of every endpoint
(SMTP, submission, SMTPS, POP3, POP3S, IMAP...: whatever the agent serves),
from outside the cluster when the agent is exposed (node address + node port,
or the load balancer's address) and from inside it, and the CA to trust.

Which agents:
  NAME                     one MailAgent, or else the deployer release NAME
  -l, --selector SELECTOR  every MailAgent matching a label selector (e.g. course=net101)
      --chart-release REL  every MailAgent made by a Helm release of charts/mailagent
  -n, --namespace NS       where to look (default: the kubeconfig context's, else "default")
  -A, --all-namespaces     look in every namespace (classrooms with a namespace per student)

Options:
  -o, --output FORMAT      table (default); csv (one line per user); json; handout (Markdown,
                           one page per student with Python and Thunderbird settings);
                           handout-html (the same as one printable HTML document)
      --show-passwords     read and print the passwords (from each agent's Secrets)
      --node-address ADDR  the address students reach a node at, for agents exposed on node
                           ports (default: a Ready node's ExternalIP, else its InternalIP)

Agents whose facts cannot be read (no Service yet, a Secret you may not read)
are reported on stderr and the others listed; the exit code is then 1.`;

function format(value: string | undefined): Format {
  const f = value ?? 'table';
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--output ${f}: use ${FORMATS.join(', ')}`, usage);
  return f as Format;
}

export const rosterCommand: Command = {
  name: 'roster',
  summary: 'hand out credentials: per student and user, address, password, hosts and ports, CA',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION,
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      selector: { type: 'string', short: 'l' },
      'chart-release': { type: 'string' },
      output: { type: 'string', short: 'o' },
      'show-passwords': { type: 'boolean' },
      'node-address': { type: 'string' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const fmt = format(values.output);
    const [name] = positionals;
    const given = [name, values.selector, values['chart-release']].filter((v) => v !== undefined).length;
    if (given !== 1) throw new UsageError('give exactly one of NAME, -l SELECTOR or --chart-release RELEASE', usage);
    if (values['all-namespaces'] && values.namespace !== undefined) throw new UsageError('-n and -A exclude each other', usage);
    if (name !== undefined && values['all-namespaces']) throw new UsageError('NAME names one agent in one namespace: use -n, not -A', usage);

    // Loaded here: offline commands must not pay for the Kubernetes client.
    const { loadKubeConfig } = await import('../../kube/config.js');
    const { defaultNamespace } = await import('../../deploy/context.js');
    const { toUserError } = await import('../../deploy/errors.js');
    const { apiRosterCluster } = await import('../../roster/cluster.js');
    const { gatherRoster } = await import('../../roster/gather.js');
    const { buildRoster } = await import('../../roster/model.js');
    const { formatRosterCsv, formatRosterJson, formatRosterTable } = await import('../../roster/format.js');
    const { formatHandoutHtml, formatHandoutMarkdown } = await import('../../roster/handout.js');

    const kc = loadKubeConfig();
    const namespace = values['all-namespaces'] ? undefined : values.namespace ?? defaultNamespace(kc);
    const target = name !== undefined
      ? { kind: 'agent' as const, namespace: namespace ?? 'default', name }
      : values.selector !== undefined
        ? { kind: 'selector' as const, namespace, selector: values.selector }
        : { kind: 'chartRelease' as const, namespace, release: values['chart-release'] ?? '' };
    let gathered;
    try {
      gathered = await gatherRoster(apiRosterCluster(kc), target, {
        showPasswords: values['show-passwords'] ?? false, nodeAddress: values['node-address'],
      });
    } catch (err) {
      throw toUserError(err, kc.getCurrentCluster()?.server);
    }
    for (const p of gathered.problems) process.stderr.write(`mailagent roster: ${p}\n`);
    const entries = buildRoster(gathered.agents, { nodeAddress: gathered.nodeAddress });
    const out = {
      table: formatRosterTable, csv: formatRosterCsv, json: formatRosterJson, handout: formatHandoutMarkdown, 'handout-html': formatHandoutHtml,
    }[fmt];
    if (entries.length) process.stdout.write(out(entries));
    return gathered.problems.length ? 1 : 0;
  },
};
