/**
 * Helpers of the node tests: an agent's Service address, credentials and CA,
 * and real mail clients (Python's smtplib/poplib, test/node/support/mailclient.py)
 * talking to the Service from this host (ClusterIP, through kube-proxy).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { kubectl, kubectlOk, repoPath, run, waitFor } from '../../e2e/support/cluster.js';

export const PORTS = { smtp: 25, smtps: 465, submission: 587, pop3: 110, pop3s: 995 } as const;

/**
 * Connecting and answering EHLO take milliseconds; a server that waited on
 * DNS for smtplib's default EHLO (an IP literal) took 10 s here (issue 12).
 */
export const FAST_SMTP_MS = 1000;

export interface SendOptions {
  host: string;
  port: number;
  mode: 'plain' | 'starttls' | 'tls';
  user?: string;
  password?: string;
  from: string;
  to: string;
  subject?: string;
  body?: string;
  cafile?: string;
  servername?: string;
}

export interface FetchOptions {
  host: string;
  port: number;
  mode: 'plain' | 'stls' | 'tls';
  user: string;
  password: string;
  cafile?: string;
  servername?: string;
}

export interface ClientResult {
  ok: boolean;
  stage?: string;
  code?: number;
  error?: string;
  tls?: { version: string; subjectAltName: string[] } | null;
  /** smtplib's default EHLO name and how long connect and EHLO took (send only). */
  timing?: { helo?: string; connectMs?: number; ehloMs?: number };
}

export interface Message { subject: string; from: string; to: string; body: string; originalTo: string; envelopeTo: string }
export interface FetchResult extends ClientResult { messages?: Message[] }

const PYTHON = process.env.MAILAGENT_PYTHON ?? 'python3';

async function client<T extends ClientResult>(args: string[]): Promise<T> {
  const r = await run(PYTHON, [repoPath('test', 'node', 'support', 'mailclient.py'), ...args], { timeoutMs: 60_000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`mailclient.py ${args[0]} exited ${r.code} without a result: ${r.stderr.trim() || r.stdout.trim()}`);
  }
}

function common(o: { host: string; port: number; mode: string; user?: string; password?: string; cafile?: string; servername?: string }): string[] {
  const a = ['--host', o.host, '--port', String(o.port), '--mode', o.mode];
  if (o.user !== undefined) a.push('--user', o.user);
  if (o.password !== undefined) a.push('--password', o.password);
  if (o.cafile) a.push('--cafile', o.cafile);
  if (o.servername) a.push('--servername', o.servername);
  return a;
}

/** Sends one message with smtplib; never throws for a refusal (see .ok/.code). */
export function sendMail(o: SendOptions): Promise<ClientResult> {
  return client<ClientResult>(['send', ...common(o), '--from', o.from, '--to', o.to,
    '--subject', o.subject ?? 'hello', '--body', o.body ?? 'hello from the node tests']);
}

/** Lists every message of a POP3 mailbox with poplib (nothing is deleted). */
export function fetchMail(o: FetchOptions): Promise<FetchResult> {
  return client<FetchResult>(['fetch', ...common(o)]);
}

/** Polls the mailbox until a message with this subject is there; returns all messages. */
export async function waitForMessage(o: FetchOptions, subject: string, timeoutMs = 30_000): Promise<Message[]> {
  let last: FetchResult | undefined;
  try {
    return await waitFor(async () => {
      last = await fetchMail(o);
      return last.ok && last.messages?.some((m) => m.subject === subject) ? last.messages : undefined;
    }, timeoutMs, `message "${subject}" in ${o.user}'s mailbox`, 500);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last POP3 result: ${JSON.stringify(last)}`, { cause: e });
  }
}

/** Reads the first line a TCP server sends (a banner); rejects on error or after timeoutMs. */
export function banner(host: string, port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = '';
    const done = (err?: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf.split(/\r?\n/)[0]!);
    };
    const timer = setTimeout(() => { done(new Error(`no banner from ${host}:${port} within ${timeoutMs} ms`)); }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => { buf += d; if (buf.includes('\n')) done(); });
    sock.on('error', (e) => { done(e); });
    sock.on('end', () => { done(new Error(`${host}:${port} closed without a banner`)); });
  });
}

/**
 * Waits until a Service answers on its SMTP and POP3 ports. A MailAgent is
 * Ready when its pod is; the Service routes to it once the EndpointSlice
 * controller and kube-proxy caught up (about a second later).
 */
export async function waitServiceAnswers(ip: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await banner(ip, PORTS.smtp)).startsWith('220 ') && (await banner(ip, PORTS.pop3)).startsWith('+OK'),
    timeoutMs, `SMTP and POP3 banners through the Service ${ip}`, 200);
}

/** Fails with the whole client result (stage, code, error) unless it succeeded. */
export function expectOk(r: ClientResult): void {
  if (!r.ok) throw new Error(`mail client failed: ${JSON.stringify(r)}`);
  expectFastSmtp(r);
}

/** Fails unless connect and EHLO (smtplib's default name) were quick, when the result has timings. */
export function expectFastSmtp(r: ClientResult): void {
  const { connectMs, ehloMs } = r.timing ?? {};
  if ((connectMs ?? 0) > FAST_SMTP_MS || (ehloMs ?? 0) > FAST_SMTP_MS) {
    throw new Error(`SMTP too slow (connect ${connectMs} ms, EHLO ${ehloMs} ms as ${r.timing?.helo}); over ${FAST_SMTP_MS} ms means a DNS wait`);
  }
}

/** The ClusterIP of a Service. */
export async function serviceIP(ns: string, name: string): Promise<string> {
  const ip = (await kubectlOk(['-n', ns, 'get', 'service', name, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) throw new Error(`Service ${ns}/${name} has no ClusterIP (${ip})`);
  return ip;
}

/** The decoded data of a Secret. */
export async function secretData(ns: string, name: string): Promise<Record<string, string>> {
  const json = JSON.parse(await kubectlOk(['-n', ns, 'get', 'secret', name, '-o', 'json'])) as { data?: Record<string, string> };
  return Object.fromEntries(Object.entries(json.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/** The passwords of an agent's users (Secret <agent>-credentials, key = user). */
export function credentials(ns: string, agent: string): Promise<Record<string, string>> {
  return secretData(ns, `${agent}-credentials`);
}

let tmp: string | undefined;
/** Writes text to a file in a private temporary directory; returns its path. */
export function tempFile(name: string, text: string): string {
  tmp ??= mkdtempSync(path.join(os.tmpdir(), 'mailagent-node-'));
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/** The CA clients should trust, from the TLS Secret or the ConfigMap (ca.crt of either); returns a file. */
export async function caFile(ns: string, agent: string, from: 'secret' | 'configmap' = 'secret'): Promise<string> {
  let pem: string;
  if (from === 'secret') {
    pem = (await secretData(ns, `${agent}-tls`))['ca.crt'] ?? '';
  } else {
    pem = (await kubectlOk(['-n', ns, 'get', 'configmap', `${agent}-config`, '-o', 'jsonpath={.data.ca\\.crt}']));
  }
  if (!pem.includes('BEGIN CERTIFICATE')) throw new Error(`no CA certificate in ${from} of ${ns}/${agent}`);
  return tempFile(`${ns}-${agent}-${from}-ca.crt`, pem);
}

/** kubectl wait for a MailAgent's Ready condition. */
export async function waitAgentReady(ns: string, name: string, timeoutS = 120): Promise<void> {
  const r = await kubectl(['-n', ns, 'wait', '--for=condition=Ready', `mailagent/${name}`, `--timeout=${timeoutS}s`],
    { timeoutMs: (timeoutS + 30) * 1000 });
  if (r.code !== 0) {
    const status = await kubectl(['-n', ns, 'get', 'mailagent', name, '-o', 'jsonpath={.status}']);
    const pods = await kubectl(['-n', ns, 'get', 'pods', '-o', 'wide']);
    throw new Error(`MailAgent ${ns}/${name} not Ready after ${timeoutS}s: ${r.stderr.trim()}\nstatus: ${status.stdout}\n${pods.stdout}`);
  }
}

/** Waits until leftovers(ns) is empty; the error lists what is still there. */
export async function waitNothingLeft(ns: string, timeoutMs: number): Promise<void> {
  let left: string[] = [];
  try {
    await waitFor(async () => {
      left = await leftovers(ns);
      return left.length === 0;
    }, timeoutMs, `no objects left in ${ns}`, 1000);
  } catch (e) {
    throw new Error(`${(e as Error).message}: still there: ${left.join(', ')}`, { cause: e });
  }
}

/** Names of the objects left in a namespace (besides what every namespace has). */
export async function leftovers(ns: string, selector?: string): Promise<string[]> {
  const kinds = 'deployments,replicasets,pods,services,configmaps,secrets,networkpolicies,persistentvolumeclaims,mailagents';
  const args = ['-n', ns, 'get', kinds, '-o', 'name'];
  if (selector) args.push('-l', selector);
  const out = await kubectlOk(args);
  return out.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'configmap/kube-root-ca.crt');
}
