import { stringify } from 'yaml';
import { getRelease } from '../../deploy/get.js';
import { NAMESPACE_HELP, NAMESPACE_OPTION, parseCount, releaseNameArg } from '../deploy-flags.js';
import { formatData } from '../../deploy/output.js';
import { withCluster } from '../../deploy/session.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import { UsageError } from '../command.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent get values|manifest NAME [--revision N] [-n NS]

  values     the values (MailAgent spec) of a revision, as YAML (-o json for JSON)
  manifest   the objects that revision applied, as YAML; Secret data is redacted
             (passwords and keys are never stored in release records)

Options:
${NAMESPACE_HELP}
      --revision N       a given revision (default: the newest)
  -o, --output FORMAT    values only: yaml (default) or json`;

export const getCommand: Command = {
  name: 'get',
  summary: 'print the values or the manifest of a release revision',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      ...HELP_OPTION, ...NAMESPACE_OPTION,
      revision: { type: 'string' },
      output: { type: 'string', short: 'o' },
    }, usage, 2);
    if (values.help) { console.log(usage); return 0; }
    const what = positionals[0];
    if (what !== 'values' && what !== 'manifest') {
      throw new UsageError(what === undefined ? 'missing what to get: values or manifest' : `cannot get "${what}": use values or manifest`, usage);
    }
    const name = releaseNameArg(positionals, usage, 1);
    const format = values.output ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new UsageError(`--output ${format}: use yaml or json`, usage);
    const revision = parseCount(values.revision, '--revision', 0);
    const release = await withCluster(values.namespace, (ctx) => getRelease(ctx, name, revision));
    if (what === 'manifest') process.stdout.write(release.manifest);
    else process.stdout.write(format === 'json' ? formatData(release.values, 'json') : stringify(release.values, { lineWidth: 0 }));
    return 0;
  },
};
