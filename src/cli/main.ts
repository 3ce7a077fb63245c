/**
 * The `mailagent` command: a thin layer over the API, render, operator and
 * deploy modules. Commands are imported lazily so that offline ones (synth,
 * template, crd) start without loading the Kubernetes client.
 */
import { UserError } from '../api/errors.js';
import type { Command } from './command.js';
import { UsageError } from './command.js';

type Loader = () => Promise<Command>;

export const COMMANDS: Record<string, { summary: string; load: Loader }> = {
  synth: { summary: 'print the Kubernetes objects of a MailAgent (default: the demo agent)', load: async () => (await import('./commands/synth.js')).synthCommand },
  crd: { summary: 'print the MailAgent CustomResourceDefinition', load: async () => (await import('./commands/crd.js')).crdCommand },
  install: { summary: 'install a mail agent as a release (Helm-style, no operator needed)', load: async () => (await import('./commands/install.js')).installCommand },
  upgrade: { summary: 'upgrade a release to new values (prunes objects that left it)', load: async () => (await import('./commands/upgrade.js')).upgradeCommand },
  rollback: { summary: 'roll a release back to an earlier revision (writes a new revision)', load: async () => (await import('./commands/rollback.js')).rollbackCommand },
  uninstall: { summary: 'delete a release\'s objects and its history', load: async () => (await import('./commands/uninstall.js')).uninstallCommand },
  list: { summary: 'list releases', load: async () => (await import('./commands/list.js')).listCommand },
  history: { summary: 'show the revisions of a release', load: async () => (await import('./commands/history.js')).historyCommand },
  status: { summary: 'show a release: status, endpoints, users, where the passwords are', load: async () => (await import('./commands/status.js')).statusCommand },
  get: { summary: 'print the values or the manifest of a release revision', load: async () => (await import('./commands/get.js')).getCommand },
  template: { summary: 'render a release\'s objects offline, without a cluster', load: async () => (await import('./commands/template.js')).templateCommand },
  mail: { summary: 'list, show, wait for, delete and send an agent\'s mail (for tests and CI)', load: async () => (await import('./commands/mail.js')).mailCommand },
  roster: { summary: 'hand out credentials: per student and user, address, password, hosts and ports, CA', load: async () => (await import('./commands/roster.js')).rosterCommand },
  operator: { summary: 'run the MailAgent operator (or print its RBAC rules)', load: async () => (await import('./commands/operator.js')).operatorCommand },
};

function mainUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'mailagent: a local-only mail agent (Exim4 + Dovecot) on Kubernetes, for teaching and testing.',
    '',
    'Usage: mailagent COMMAND [options]      (mailagent COMMAND --help for details)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** Runs the CLI; returns the exit code. User errors never print a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainUsage());
    return name === undefined ? 1 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`mailagent: unknown command "${name}"\n\n${mainUsage()}`);
    return 1;
  }
  try {
    return await (await entry.load()).run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`mailagent ${name}: ${err.message}${err.usage ? `\n\n${err.usage}` : ''}`);
      return 1;
    }
    if (err instanceof UserError) {
      console.error(`mailagent ${name}: ${err.message}`);
      return 1;
    }
    console.error(`mailagent ${name}: internal error: ${process.env.MAILAGENT_DEBUG ? (err as Error).stack ?? String(err) : String(err)}`);
    return 2;
  }
}
