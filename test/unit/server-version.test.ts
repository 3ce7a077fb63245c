import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isSupportedKubernetes, OLDEST_SUPPORTED_KUBERNETES_TEXT, parseServerVersion } from '../../src/kube/server-version.js';
import { generateSelfSigned } from '../../src/secrets/self-signed.js';

describe('supported Kubernetes versions', () => {
  it('reads major/minor as the API server reports them, "+" suffixes included', () => {
    expect(parseServerVersion({ major: '1', minor: '37' })).toEqual({ major: 1, minor: 37 });
    expect(parseServerVersion({ major: '1', minor: '35+' })).toEqual({ major: 1, minor: 35 });
    expect(parseServerVersion({ major: '', minor: '' })).toBeUndefined();
  });

  it('supports 1.35 and newer only', () => {
    expect(OLDEST_SUPPORTED_KUBERNETES_TEXT).toBe('1.35');
    expect(isSupportedKubernetes({ major: 1, minor: 34 })).toBe(false);
    expect(isSupportedKubernetes({ major: 1, minor: 35 })).toBe(true);
    expect(isSupportedKubernetes({ major: 1, minor: 37 })).toBe(true);
    expect(isSupportedKubernetes({ major: 2, minor: 0 })).toBe(true);
  });
});

// The real CLI against an HTTPS endpoint that answers /version as a 1.34
// API server does (no 1.34 plane is built here: it is out of support); any
// other request fails the test, so the operator must stop before doing more.
describe('mailagent operator on a server older than 1.35', () => {
  const BIN = fileURLToPath(new URL('../../bin/mailagent', import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), 'mailagent-old-server-'));
  const requests: string[] = [];
  let server: Server;
  let kubeconfig: string;

  beforeAll(async () => {
    const { cert, key } = await generateSelfSigned(['localhost']);
    server = createServer({ cert, key }, (req, res) => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/version') {
        res.end(JSON.stringify({ major: '1', minor: '34', gitVersion: 'v1.34.4', platform: 'linux/amd64' }));
      } else {
        res.statusCode = 500;
        res.end('{}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    kubeconfig = path.join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: old',
      `clusters: [{name: c, cluster: {server: "https://127.0.0.1:${String(port)}", insecure-skip-tls-verify: true}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: old, context: {cluster: c, user: u}}]', '',
    ].join('\n'));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  });

  it('refuses to start with one line naming the server, its version and the oldest supported', async () => {
    const child = spawn(BIN, ['operator', '--no-leader-elect', '--health-port', '0', '--metrics-port', '0'], { env: { ...process.env, KUBECONFIG: kubeconfig } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim()).toMatch(/^mailagent operator: the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ runs v1\.34\.4; mailagent supports Kubernetes 1\.35 and newer/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(requests).toEqual(['GET /version']);
  });
});
