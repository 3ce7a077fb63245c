/**
 * Shared helpers of the container suite: run a command, run the mail agent
 * image with podman on free loopback ports, wait for a protocol banner.
 *
 * Every container and volume made here carries the label TEST_LABEL, so the
 * global setup can remove what a crashed earlier run left behind.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const IMAGE = process.env.MAILAGENT_IMAGE ?? 'localhost/mailagent:dev';
export const TEST_LABEL = 'dev.localmail.container-test=1';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Run a command to completion; code -1 when it could not start or timed out. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let note = '';
    const timer = setTimeout(() => {
      note = `\n[${cmd} killed after ${opts.timeoutMs ?? 0} ms]`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      note += `\n[${cmd}: ${e.message}]`;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: note ? -1 : (code ?? -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + note,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export const podmanEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? path.join(repoRoot, 'docker', 'containers.conf'),
});

export function podman(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run('podman', args, { ...opts, env: podmanEnv() });
}

/** podman, failing with its stderr when it does. */
export async function podmanOk(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await podman(args, opts);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

const handedOut = new Set<number>();

/** A loopback TCP port nothing listens on now (and not handed out before in this process). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => {
          resolve(p);
        });
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** First line a server sends on connect, or an error text. */
export function readBanner(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (s: string): void => {
      sock.destroy();
      resolve(s);
    };
    sock.setTimeout(timeoutMs, () => {
      done(buf ? buf : 'timeout');
    });
    sock.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl).replace(/\r$/, ''));
    });
    sock.on('error', (e) => {
      done(`error: ${e.message}`);
    });
    sock.on('close', () => {
      done(buf ? buf : 'closed');
    });
  });
}

/** Wait until the server on a loopback port greets with `prefix`; returns the banner. */
export async function waitForBanner(port: number, prefix: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await readBanner(port);
    if (last.startsWith(prefix)) return last;
    await sleep(100);
  }
  throw new Error(`no "${prefix}" banner on 127.0.0.1:${port} within ${timeoutMs} ms (last: ${last})`);
}

/** The hardening a Kubernetes pod gets (restricted PSS + readOnlyRootFilesystem),
 * with tmpfs owned by uid 900 for the writable paths of the contract. */
export const HARDENED_UID900: readonly string[] = [
  '--user=900:900',
  '--cap-drop=ALL',
  '--security-opt=no-new-privileges',
  '--read-only',
  '--read-only-tmpfs=false',
  '--tmpfs=/run:U,mode=0755',
  '--tmpfs=/tmp:mode=1777',
  '--tmpfs=/var/spool/exim4:U,mode=0750',
  '--tmpfs=/var/lib/dovecot:U,mode=0750',
];

export interface AgentOptions {
  /** Container ports to publish, each on a free loopback port. */
  ports: readonly number[];
  hostname?: string;
  env?: Readonly<Record<string, string>>;
  /** Host directory mounted read-only at /etc/mailagent. */
  configDir?: string;
  /** Mount for /var/mail: a podman volume name; absent = tmpfs when hardened, image dir otherwise. */
  mailVolume?: string;
  /** Run as uid 900 with HARDENED_UID900. */
  hardened?: boolean;
  extraArgs?: readonly string[];
  /** Arguments after the image (the command, e.g. with --entrypoint in extraArgs). */
  command?: readonly string[];
}

export class Agent {
  private constructor(
    readonly name: string,
    private readonly published: ReadonlyMap<number, number>,
  ) {}

  static async start(opts: AgentOptions): Promise<Agent> {
    // A port picked free may be taken before podman binds it (parallel jest
    // workers, other software): try again with other ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await Agent.startOnce(opts);
      } catch (e) {
        if (attempt >= 3 || !/address already in use/i.test((e as Error).message)) throw e;
      }
    }
  }

  private static async startOnce(opts: AgentOptions): Promise<Agent> {
    const name = `mailagent-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const published = new Map<number, number>();
    const args = ['run', '-d', '--name', name, '--label', TEST_LABEL];
    for (const p of opts.ports) {
      const host = await freePort();
      published.set(p, host);
      args.push('-p', `127.0.0.1:${host}:${p}`);
    }
    if (opts.hostname) args.push('--hostname', opts.hostname);
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
    if (opts.configDir) args.push('-v', `${opts.configDir}:/etc/mailagent:ro`);
    if (opts.hardened) args.push(...HARDENED_UID900);
    if (opts.mailVolume) args.push('-v', `${opts.mailVolume}:/var/mail`);
    else if (opts.hardened) args.push('--tmpfs=/var/mail:U,mode=0770');
    args.push(...(opts.extraArgs ?? []), IMAGE, ...(opts.command ?? []));
    const r = await podman(args);
    if (r.code !== 0) {
      await podman(['rm', '-f', '-t', '0', name]);
      throw new Error(`podman run ${name} failed (${r.code}): ${r.stderr.trim()}`);
    }
    return new Agent(name, published);
  }

  /** Host port published for a container port. */
  port(containerPort: number): number {
    const p = this.published.get(containerPort);
    if (p === undefined) throw new Error(`container port ${containerPort} is not published`);
    return p;
  }

  /** Wait for the SMTP and POP3 greetings on the given container ports. */
  async waitReady(smtpPort: number, pop3Port: number, timeoutMs = 20_000): Promise<void> {
    try {
      await waitForBanner(this.port(smtpPort), '220 ', timeoutMs);
      await waitForBanner(this.port(pop3Port), '+OK', timeoutMs);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- container logs ---\n${await this.logs()}`, { cause: e });
    }
  }

  exec(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return podman(['exec', this.name, ...args], opts);
  }

  /** stdout and stderr of the container, interleaved as podman keeps them. */
  async logs(): Promise<string> {
    const r = await podman(['logs', this.name]);
    return r.stdout + r.stderr;
  }

  /** Exit code once the container has stopped (waits up to timeoutMs). */
  async waitExit(timeoutMs = 30_000): Promise<number> {
    const r = await podman(['wait', this.name], { timeoutMs });
    if (r.code !== 0) throw new Error(`podman wait ${this.name}: ${r.stderr.trim()}`);
    return Number(r.stdout.trim());
  }

  async remove(): Promise<void> {
    await podman(['rm', '-f', '-t', '0', this.name]);
  }
}

/** Run the image once in the foreground (for configurations that must fail). */
export function runOnce(args: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  return podman(['run', '--rm', '--label', TEST_LABEL, ...args, IMAGE], { timeoutMs });
}

/** A temporary directory (mode 0755, so uid 900 in a container can read it). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mailagent-${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * Write a /etc/mailagent tree: keys are relative paths, values the contents.
 * Files are world-readable like a Secret/ConfigMap mount with defaultMode 0644.
 */
export function writeConfigDir(prefix: string, files: Readonly<Record<string, string | Buffer>>): string {
  const dir = tempDir(prefix);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    writeFileSync(file, content, { mode: 0o644 });
  }
  return dir;
}
