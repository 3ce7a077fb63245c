import { NAMESPACE_HELP, NAMESPACE_OPTION, releaseNameArg } from '../deploy-flags.js';
import { withCluster } from '../../deploy/session.js';
import { uninstall } from '../../deploy/uninstall.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent uninstall NAME [--keep-history] [--dry-run] [--force] [-n NS]

Deletes every object of release NAME (found by its release label, including
the generated passwords and the mailbox claim) and its release records.
The namespace itself is left alone. Like install and upgrade it takes the
release lock: it waits for nobody and is refused while another operation
on the release is in progress.

Options:
${NAMESPACE_HELP}
      --keep-history     keep the release records, marked uninstalled ("mailagent history" still shows them)
      --dry-run          show what would be deleted
      --force            uninstall although an operation is in progress; only when that operation was
                         interrupted (a killed install): one still running could recreate objects`;

export const uninstallCommand: Command = {
  name: 'uninstall',
  summary: 'delete a release\'s objects and its history',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION,
      'keep-history': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      force: { type: 'boolean' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const r = await withCluster(values.namespace, (ctx) => uninstall(ctx, name, {
      keepHistory: values['keep-history'] ?? false, dryRun: values['dry-run'] ?? false, force: values.force ?? false,
    }));
    for (const key of r.deleted) console.log(`${r.dryRun ? 'would delete' : 'deleted'} ${key}`);
    console.log(r.dryRun
      ? `dry run: release "${name}" was not uninstalled`
      : `release "${name}" uninstalled${values['keep-history'] ? ' (history kept)' : ''}`);
    return 0;
  },
};
