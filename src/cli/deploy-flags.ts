/**
 * Command-line flags shared by the deployer's commands (parsed with args.ts),
 * as Helm's pkg/cmd/flags.go: the flag specs, their help text, and turning
 * them into the typed settings the deploy layer takes (values flags -f,
 * --set, --set-string read into a ValuesInput; --timeout durations;
 * --history-max). Usage errors are raised here, never in src/deploy.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../api/errors.js';
import type { RolloutSettings } from '../deploy/operation.js';
import { DEFAULT_HISTORY_MAX } from '../deploy/retention.js';
import type { ValuesFile, ValuesInput } from '../deploy/values.js';
import { UsageError } from './command.js';

export const NAMESPACE_OPTION = { namespace: { type: 'string', short: 'n' } } as const;

export const VALUES_OPTIONS = {
  values: { type: 'string', short: 'f', multiple: true },
  set: { type: 'string', multiple: true },
  'set-string': { type: 'string', multiple: true },
} as const;

export const ROLLOUT_OPTIONS = {
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  atomic: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'history-max': { type: 'string' },
} as const;

export const NAMESPACE_HELP = '  -n, --namespace NS     namespace of the release (default: the kubeconfig context\'s, else "default")';
export const VALUES_HELP = [
  '  -f, --values FILE      values (the MailAgent spec: domain, users, ...) from a YAML file ("-" for stdin);',
  '                         repeatable, later files override earlier ones (maps merge, lists replace)',
  '      --set PATH=VALUE   set values on the command line, e.g. --set users[0].name=toto,imap.enabled=true;',
  '                         repeatable, applied after -f; true/false/null/integers are typed, null deletes',
  '      --set-string P=V   like --set, but every value stays a string',
].join('\n');
export const ROLLOUT_HELP = [
  '      --wait             wait until the agent\'s Deployment is rolled out and available',
  '      --timeout DURATION how long --wait waits (default 5m; e.g. 90s, 10m, 1h)',
  '      --atomic           on failure, undo: remove a failed install, roll a failed upgrade back (implies --wait)',
  '      --dry-run          render and validate with the API server (server-side dry run); store and change nothing',
  `      --history-max N    keep at most N revisions of the release (default ${DEFAULT_HISTORY_MAX}; 0: no limit)`,
].join('\n');

export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "5m", "90s", "1h30m", "1.5m" (Go durations, as Helm's --timeout) or bare seconds "300" -> ms. */
export function parseDuration(text: string, flag = '--timeout'): number {
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(text)) {
    throw new UsageError(`${flag} ${JSON.stringify(text)}: not a duration; use e.g. 90s, 5m or 1h30m`);
  }
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000);
  const ms = Math.round(total);
  if (ms <= 0) throw new UsageError(`${flag} ${text}: must be more than zero`);
  return ms;
}

export function parseCount(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[0-9]+$/.test(text)) throw new UsageError(`${flag} ${JSON.stringify(text)}: must be a whole number`);
  return Number(text);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function readValuesFiles(paths: readonly string[]): Promise<ValuesFile[]> {
  const out: ValuesFile[] = [];
  for (const p of paths) {
    if (p === '-') { out.push({ source: '(stdin)', text: await readStdin() }); continue; }
    try {
      out.push({ source: p, text: await readFile(p, 'utf8') });
    } catch (err) {
      throw new InputError(`${p}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return out;
}

export interface ValuesFlags {
  values?: string[] | undefined;
  set?: string[] | undefined;
  'set-string'?: string[] | undefined;
}

export async function valuesInput(flags: ValuesFlags, reuseValues = false): Promise<ValuesInput> {
  return {
    files: await readValuesFiles(flags.values ?? []),
    sets: [
      ...(flags.set ?? []).map((arg) => ({ arg, asString: false })),
      ...(flags['set-string'] ?? []).map((arg) => ({ arg, asString: true })),
    ],
    reuseValues,
  };
}

export interface RolloutFlags {
  wait?: boolean | undefined;
  timeout?: string | undefined;
  atomic?: boolean | undefined;
  'dry-run'?: boolean | undefined;
  'history-max'?: string | undefined;
}

export function rolloutSettings(flags: RolloutFlags): RolloutSettings {
  const atomic = flags.atomic ?? false;
  return {
    // As Helm: --atomic implies --wait (a failure it could undo must be seen).
    wait: (flags.wait ?? false) || atomic,
    timeoutMs: flags.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(flags.timeout),
    atomic,
    dryRun: flags['dry-run'] ?? false,
    historyMax: parseCount(flags['history-max'], '--history-max', DEFAULT_HISTORY_MAX),
  };
}

/** NAME positional (release name) with a usage error when missing. */
export function releaseNameArg(positionals: readonly string[], usage: string, index = 0): string {
  const name = positionals[index];
  if (name === undefined) throw new UsageError('missing release NAME', usage);
  return name;
}
