import { NAMESPACE_HELP, NAMESPACE_OPTION, ROLLOUT_OPTIONS, parseCount, releaseNameArg, rolloutSettings } from '../deploy-flags.js';
import { formatDryRun, formatStatus, isDryRun } from '../../deploy/output.js';
import { rollback } from '../../deploy/rollback.js';
import { withCluster } from '../../deploy/session.js';
import { status } from '../../deploy/status.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent rollback NAME [REVISION] [options]

Rolls release NAME back to an earlier revision (default: the one before the
newest) by writing a new revision with that revision's values. Passwords
stay those stored in the cluster. Also the way out of an interrupted
install/upgrade: a pending newest revision is marked failed.

Options:
${NAMESPACE_HELP}
      --wait             wait until the agent's Deployment is rolled out and available
      --timeout DURATION how long --wait waits (default 5m)
      --dry-run          render and validate with the API server; change nothing
      --history-max N    keep at most N revisions (default 10; 0: no limit)
      --force            go back to a revision without persistent storage although that deletes the
                         mail claim and the mail in it (refused without --force)`;

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'roll a release back to an earlier revision (writes a new revision)',
  usage,
  async run(argv) {
    const { wait, timeout, 'dry-run': dryRun, 'history-max': historyMax } = ROLLOUT_OPTIONS;
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION, wait, timeout, 'dry-run': dryRun, 'history-max': historyMax,
      force: { type: 'boolean' },
    }, usage, 2);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const revision = parseCount(positionals[1], 'REVISION', 0);
    const settings = rolloutSettings(values);
    const result = await withCluster(values.namespace, async (ctx) => {
      const r = await rollback(ctx, name, { ...settings, revision, force: values.force ?? false });
      return isDryRun(r) ? r : status(ctx, name, r.version);
    });
    process.stdout.write(isDryRun(result) ? formatDryRun(result) : formatStatus(result));
    return 0;
  },
};
