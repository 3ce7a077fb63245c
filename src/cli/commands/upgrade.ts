import {
  NAMESPACE_HELP, NAMESPACE_OPTION, ROLLOUT_HELP, ROLLOUT_OPTIONS, VALUES_HELP, VALUES_OPTIONS,
  releaseNameArg, rolloutSettings, valuesInput,
} from '../deploy-flags.js';
import { formatDryRun, formatStatus, isDryRun } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { status } from '../../deploy/status.js';
import { upgrade } from '../../deploy/upgrade.js';
import { buildValues } from '../../deploy/values.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent upgrade NAME -f values.yaml [--set PATH=VALUE]... [options]

Upgrades release NAME to new values: writes a new revision, applies the
objects with server-side apply, and deletes the release's objects that are no
longer rendered. The mail claim (PersistentVolumeClaim) is deleted only with
--force: storage.persistent going from true to false is refused without it,
since the mail in the claim would be lost. Generated passwords stay the same; new users get new
ones. The values are validated before anything is applied.

Options:
${NAMESPACE_HELP}
${VALUES_HELP}
      --reuse-values     start from the current revision's values and apply -f/--set on top
                         (e.g. --reuse-values --set users[2].name=zaza adds a user)
  -i, --install          install the release if it does not exist yet
${ROLLOUT_HELP}
      --create-namespace with --install: create the namespace if it does not exist
      --description TEXT the revision's description (default "Upgrade complete")
      --force            delete the mail claim (and the mail in it) when the new values turn
                         storage.persistent off; refused without it`;

export const upgradeCommand: Command = {
  name: 'upgrade',
  summary: 'upgrade a release to new values (prunes objects that left it)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION, ...VALUES_OPTIONS, ...ROLLOUT_OPTIONS,
      'reuse-values': { type: 'boolean' },
      install: { type: 'boolean', short: 'i' },
      'create-namespace': { type: 'boolean' },
      description: { type: 'string' },
      force: { type: 'boolean' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const settings = rolloutSettings(values);
    const input = await valuesInput(values, values['reuse-values'] ?? false);
    // Syntax errors in -f/--set surface before connecting; validation happens
    // in upgrade(), against the current values when --reuse-values.
    buildValues(input);
    const result = await withCluster(values.namespace, async (ctx) => {
      const r = await upgrade(ctx, name, {
        ...settings, values: input, install: values.install ?? false,
        createNamespace: values['create-namespace'] ?? false, description: values.description, force: values.force ?? false,
      });
      return isDryRun(r) ? r : status(ctx, name, r.version);
    });
    process.stdout.write(isDryRun(result) ? formatDryRun(result) : formatStatus(result));
    return 0;
  },
};
