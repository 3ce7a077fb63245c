import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEMO_PASSWORDS, demoMailAgent } from '../../api/demo.js';
import { InputError } from '../../api/errors.js';
import { loadMailAgents } from '../../api/load.js';
import { renderOffline, toYamlStream } from '../../render/offline.js';
import { HELP_OPTION, parseCommandArgs } from '../args.js';
import type { Command } from '../command.js';

const usage = `Usage: mailagent synth [-f agent.yaml] [-n NAMESPACE] [-o DIR]

Prints the Kubernetes objects of one or more MailAgents as multi-document
YAML (ready for \`kubectl apply -f -\`). With no -f: the demo agent "pouet"
(domain pouet.com, users toto/toto and tutu/tutu, self-signed TLS).
Users without passwordSecretRef get generated passwords, printed in the
<name>-credentials Secret.

Options:
  -f, --file FILE        MailAgent manifest(s) to render ("-" for stdin)
  -n, --namespace NS     namespace to put on every object
  -o, --output DIR       write DIR/<name>.k8s.yaml instead of printing`;

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

export const synthCommand: Command = {
  name: 'synth',
  summary: 'print the Kubernetes objects of a MailAgent (default: the demo agent)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      ...HELP_OPTION,
      file: { type: 'string', short: 'f' },
      namespace: { type: 'string', short: 'n' },
      output: { type: 'string', short: 'o' },
    }, usage);
    if (values.help) { console.log(usage); return 0; }
    const agents = values.file ? loadMailAgents(await readInput(values.file), values.file) : [demoMailAgent()];
    const passwords = values.file ? {} : DEMO_PASSWORDS;
    for (const agent of agents) {
      const objects = await renderOffline(agent, { namespace: values.namespace, passwords });
      const yaml = toYamlStream(objects);
      if (values.output) {
        await mkdir(values.output, { recursive: true });
        const path = join(values.output, `${agent.metadata.name}.k8s.yaml`);
        await writeFile(path, yaml);
        console.error(`wrote ${path}`);
      } else {
        process.stdout.write(agents.length > 1 ? `---\n${yaml}` : yaml);
      }
    }
    return 0;
  },
};
