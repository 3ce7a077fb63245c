import { install } from '../../deploy/install.js';
import {
  NAMESPACE_HELP, NAMESPACE_OPTION, ROLLOUT_HELP, ROLLOUT_OPTIONS, VALUES_HELP, VALUES_OPTIONS,
  releaseNameArg, rolloutSettings, valuesInput,
} from '../deploy-flags.js';
import { formatDryRun, formatStatus, isDryRun } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { status } from '../../deploy/status.js';
import { resolveValues } from '../../deploy/values.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent install NAME -f values.yaml [--set PATH=VALUE]... [options]

Installs a mail agent named NAME as a release: renders it with the same chart
as the operator (no operator needed in the cluster), applies it with
server-side apply, and records revision 1 in a Secret
sh.mailagent.release.v1.NAME.v1. The values are the MailAgent spec, e.g.

  domain: pouet.com
  users: [{name: toto}, {name: tutu}]

They are validated before anything is applied. Generated passwords go to the
Secret NAME-credentials ("mailagent status NAME" shows how to read them).

Options:
${NAMESPACE_HELP}
${VALUES_HELP}
${ROLLOUT_HELP}
      --create-namespace create the namespace if it does not exist
      --description TEXT the revision's description (default "Install complete")

Example: mailagent install feature-x -n ci-feature-x --create-namespace -f values.yaml --wait`;

export const installCommand: Command = {
  name: 'install',
  summary: 'install a mail agent as a release (Helm-style, no operator needed)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION, ...VALUES_OPTIONS, ...ROLLOUT_OPTIONS,
      'create-namespace': { type: 'boolean' },
      description: { type: 'string' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const settings = rolloutSettings(values);
    // Values are read and validated before connecting to the cluster.
    const spec = resolveValues(await valuesInput(values));
    const result = await withCluster(values.namespace, async (ctx) => {
      const r = await install(ctx, name, {
        ...settings, values: spec, createNamespace: values['create-namespace'] ?? false, description: values.description,
      });
      return isDryRun(r) ? r : status(ctx, name, r.version);
    });
    process.stdout.write(isDryRun(result) ? formatDryRun(result) : formatStatus(result));
    return 0;
  },
};
