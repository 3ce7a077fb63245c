import { NAMESPACE_OPTION, VALUES_HELP, VALUES_OPTIONS, releaseNameArg, valuesInput } from '../deploy-flags.js';
import { template } from '../../deploy/template.js';
import { resolveValues } from '../../deploy/values.js';
import { toYamlStream } from '../../render/offline.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent template NAME -f values.yaml [--set PATH=VALUE]... [-n NS]

Prints the objects "mailagent install NAME" would apply, rendered offline
(no cluster needed), as multi-document YAML. Passwords and the self-signed
certificate are generated afresh on each run and printed in the Secrets, so
the output can be piped to "kubectl apply -f -"; --redact hides them.

Options:
  -n, --namespace NS     namespace to put on every object (default "default")
${VALUES_HELP}
      --redact           replace Secret data with placeholders (for review)`;

export const templateCommand: Command = {
  name: 'template',
  summary: 'render a release\'s objects offline, without a cluster',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION, ...VALUES_OPTIONS,
      redact: { type: 'boolean' },
    }, usage, 1);
    if (values.help) { console.log(usage); return 0; }
    const name = releaseNameArg(positionals, usage);
    const spec = resolveValues(await valuesInput(values));
    const objects = await template(name, { namespace: values.namespace ?? 'default', values: spec, redactSecrets: values.redact ?? false });
    process.stdout.write(toYamlStream(objects));
    return 0;
  },
};
