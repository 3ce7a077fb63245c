/**
 * Mail clients nobody here wrote, driven from the tests: swaks (SMTP), curl
 * (SMTP/POP3/IMAP with or without TLS), Python's smtplib/poplib/imaplib, and
 * openssl for a test CA.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, type RunResult } from './podman.js';

export interface SwaksOptions {
  to: string;
  from?: string;
  auth?: { user: string; password: string; mechanism?: 'PLAIN' | 'LOGIN' };
  /** starttls: STARTTLS required; implicit: TLS on connect (port 465). */
  tls?: 'starttls' | 'implicit';
  /** Verify the server certificate against this CA file. */
  caFile?: string;
  header?: string;
  body?: string;
  extra?: readonly string[];
}

/** Run swaks against 127.0.0.1:port; the transcript is in stdout. */
export function swaks(port: number, o: SwaksOptions): Promise<RunResult> {
  const args = ['--server', '127.0.0.1', '--port', String(port), '--timeout', '20', '--to', o.to];
  args.push('--from', o.from ?? 'sender@elsewhere.example');
  if (o.auth) {
    args.push('--auth', o.auth.mechanism ?? 'PLAIN', '--auth-user', o.auth.user, '--auth-password', o.auth.password);
  }
  if (o.tls === 'starttls') args.push('--tls');
  if (o.tls === 'implicit') args.push('--tls-on-connect');
  if (o.caFile) args.push('--tls-verify', '--tls-ca-path', o.caFile);
  if (o.header) args.push('--header', o.header);
  if (o.body) args.push('--body', o.body);
  args.push(...(o.extra ?? []));
  return run('swaks', args, { timeoutMs: 60_000 });
}

/** The server reply lines of a swaks transcript ("<-", "<~", "<**", "<~*" lines), without the arrows. */
export function replies(r: RunResult): string[] {
  return r.stdout
    .split('\n')
    .filter((l) => /^\s*<[-~*]+\s/.test(l))
    .map((l) => l.replace(/^\s*<\S*\s+/, ''));
}

/** Run curl with the given arguments (quiet, errors shown). */
export function curl(args: readonly string[], input?: string): Promise<RunResult> {
  return run('curl', ['-sS', '--max-time', '30', ...args], { timeoutMs: 60_000, ...(input === undefined ? {} : { input }) });
}

/** curl arguments that make `domain:port` resolve to the published loopback port. */
export const resolveTo = (domain: string, port: number): string[] => ['--resolve', `${domain}:${port}:127.0.0.1`];

/** Run a Python 3 program given as text, with arguments (sys.argv[1:]). */
export function python(code: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<RunResult> {
  return run('python3', ['-c', code, ...args], { timeoutMs });
}

/** Run a Python program and parse the JSON it prints last; throws with its stderr on failure. */
export async function pythonJson<T>(code: string, args: readonly string[] = [], timeoutMs = 120_000): Promise<T> {
  const r = await python(code, args, timeoutMs);
  if (r.code !== 0) throw new Error(`python3 failed (${r.code}): ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

async function openssl(args: readonly string[]): Promise<void> {
  const r = await run('openssl', args, { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

export interface TestPki {
  caCrt: string;
  crt: string;
  key: string;
}

/** A test CA and a server certificate for `domain` (RSA key) signed by it, in `dir`. */
export async function makePki(dir: string, domain: string): Promise<TestPki> {
  const f = (n: string): string => path.join(dir, n);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=mailagent test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('tls.key'), '-out', f('tls.csr'),
    '-subj', `/CN=${domain}`]);
  writeFileSync(f('ext.cnf'), `subjectAltName=DNS:${domain}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  await openssl(['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('tls.crt'), '-days', '2', '-extfile', f('ext.cnf')]);
  return { caCrt: f('ca.crt'), crt: f('tls.crt'), key: f('tls.key') };
}

/** A unique token to find one message among others. */
export const token = (label: string): string => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
