/** Runs `mailagent operator` as a real child process against the test cluster. */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { kubeconfigPath, repoPath, waitFor } from './cluster.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => { resolve(port); });
    });
  });
}

export class OperatorProcess {
  readonly lines: string[] = [];
  private exited: Promise<number | null>;
  constructor(readonly child: ChildProcess, readonly port: number) {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      this.lines.push(...parts);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', (code) => { resolve(code); }));
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const r = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: r.status, body: await r.text() };
  }

  /** Sum of a Prometheus metric over all its label sets. */
  async metric(name: string): Promise<number> {
    const { body } = await this.get('/metrics');
    return body.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  get log(): string {
    return this.lines.join('\n');
  }
}

export async function startOperator(namespace: string, extra: string[] = [], waitReady = true): Promise<OperatorProcess> {
  const port = await freePort();
  const child = spawn(repoPath('bin', 'mailagent'), [
    'operator', '--namespace', namespace, '--health-port', String(port), '--metrics-port', String(port),
    '--resync', '2', '--lease-namespace', namespace, ...extra,
  ], { env: { ...process.env, KUBECONFIG: kubeconfigPath() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const op = new OperatorProcess(child, port);
  if (waitReady) {
    await waitFor(async () => (await op.get('/readyz')).status === 200, 30_000, `operator /readyz\n${op.log}`);
  }
  return op;
}
