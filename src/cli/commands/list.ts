import { list } from '../../deploy/list.js';
import { NAMESPACE_HELP, NAMESPACE_OPTION } from '../deploy-flags.js';
import { formatData, formatList, releaseSummary } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { UsageError } from '../command.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent list [-n NS | -A] [-a] [-o table|json|yaml]

Lists releases (the newest revision of each) in a namespace, or in all.

Options:
${NAMESPACE_HELP}
  -A, --all-namespaces   list releases in every namespace
  -a, --all              also list uninstalled releases (kept with --keep-history)
  -o, --output FORMAT    table (default), json or yaml`;

export function outputFormat(value: string | undefined, usageText: string): 'table' | 'json' | 'yaml' {
  const f = value ?? 'table';
  if (f !== 'table' && f !== 'json' && f !== 'yaml') throw new UsageError(`--output ${f}: use table, json or yaml`, usageText);
  return f;
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list releases',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION,
      'all-namespaces': { type: 'boolean', short: 'A' },
      all: { type: 'boolean', short: 'a' },
      output: { type: 'string', short: 'o' },
    }, usage);
    if (values.help) { console.log(usage); return 0; }
    const format = outputFormat(values.output, usage);
    const releases = await withCluster(values.namespace, (ctx) => list(ctx, {
      allNamespaces: values['all-namespaces'] ?? false, all: values.all ?? false,
    }));
    if (format !== 'table') process.stdout.write(formatData(releases.map(releaseSummary), format));
    else console.log(formatList(releases));
    return 0;
  },
};
