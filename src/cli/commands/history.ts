import { history } from '../../deploy/history.js';
import { NAMESPACE_HELP, NAMESPACE_OPTION, parseCount, releaseNameArg } from '../deploy-flags.js';
import { formatData, formatHistory, releaseSummary } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';
import { outputFormat } from './list.js';

const usage = `Usage: mailagent history NAME [--max N] [-o table|json|yaml] [-n NS]

Shows the stored revisions of release NAME, oldest first.

Options:
${NAMESPACE_HELP}
      --max N            only the newest N revisions
  -o, --output FORMAT    table (default), json or yaml`;

export const historyCommand: Command = {
  name: 'history',
  summary: 'show the revisions of a release',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION,
      max: { type: 'string' },
      output: { type: 'string', short: 'o' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const format = outputFormat(values.output, usage);
    const max = parseCount(values.max, '--max', 0);
    const revisions = await withCluster(values.namespace, (ctx) => history(ctx, name, { max }));
    if (format !== 'table') process.stdout.write(formatData(revisions.map(releaseSummary), format));
    else console.log(formatHistory(revisions));
    return 0;
  },
};
