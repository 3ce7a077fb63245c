import { mailAgentCrdYaml } from '../../api/crd.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent crd

Prints the MailAgent CustomResourceDefinition (mailagents.localmail.dev),
generated from the API schema. Install it with: mailagent crd | kubectl apply -f -`;

export const crdCommand: Command = {
  name: 'crd',
  summary: 'print the MailAgent CustomResourceDefinition',
  usage,
  run(argv) {
    const { values } = parseCommandArgs(argv, HELP_OPTION, usage);
    if (values.help) console.log(usage);
    else process.stdout.write(mailAgentCrdYaml());
    return Promise.resolve(0);
  },
};
