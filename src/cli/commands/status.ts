import { NAMESPACE_HELP, NAMESPACE_OPTION, parseCount, releaseNameArg } from '../deploy-flags.js';
import { formatData, formatStatus, releaseSummary } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { status } from '../../deploy/status.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { outputFormat } from './list.js';

const usage = `Usage: mailagent status NAME [--revision N] [-o table|json|yaml] [-n NS]

Shows release NAME: its status, the agent's endpoints (Service DNS name and
ports), its users and where their passwords are, TLS, and whether the
Deployment is ready. Passwords are never printed: the output says how to read them.

Options:
${NAMESPACE_HELP}
      --revision N       a given revision (default: the newest)
  -o, --output FORMAT    table (default: text), json or yaml`;

export const statusCommand: Command = {
  name: 'status',
  summary: 'show a release: status, endpoints, users, where the passwords are',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION,
      revision: { type: 'string' },
      output: { type: 'string', short: 'o' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const format = outputFormat(values.output, usage);
    const revision = parseCount(values.revision, '--revision', 0);
    const report = await withCluster(values.namespace, (ctx) => status(ctx, name, revision));
    if (format === 'table') {
      process.stdout.write(formatStatus(report));
    } else {
      const { release, ...rest } = report;
      process.stdout.write(formatData({ ...releaseSummary(release), ...rest }, format));
    }
    return 0;
  },
};
