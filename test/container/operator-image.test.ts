/**
 * The operator's image (docker/operator.Dockerfile via
 * docker/build-operator-image.sh): built from the Node.js 24 binary, and the
 * mailagent CLI runs in it as the non-root user the chart uses.
 * MAILAGENT_OPERATOR_IMAGE names the tag (default localhost/mailagent-operator:dev).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import path from 'node:path';
import { podman, podmanEnv, repoRoot, run } from './support/podman.js';

const OPERATOR_IMAGE = process.env.MAILAGENT_OPERATOR_IMAGE ?? 'localhost/mailagent-operator:dev';
/** The Node.js major the operator runs on (Node.js 24 LTS). */
const NODE_MAJOR = 24;
const BUILD_TIMEOUT_MS = 900_000;

describe('the operator image', () => {
  beforeAll(async () => {
    const r = await run('bash', [path.join(repoRoot, 'docker', 'build-operator-image.sh')], {
      env: { ...podmanEnv(), MAILAGENT_OPERATOR_IMAGE: OPERATOR_IMAGE }, timeoutMs: BUILD_TIMEOUT_MS,
    });
    if (r.code !== 0) throw new Error(`docker/build-operator-image.sh exited ${String(r.code)}:\n${r.stderr}`);
    expect(r.stdout.trim()).toBe(OPERATOR_IMAGE);
  }, BUILD_TIMEOUT_MS);

  test(`runs Node.js ${String(NODE_MAJOR)} (node --version inside the image)`, async () => {
    const r = await podman(['run', '--rm', '--entrypoint', 'node', OPERATOR_IMAGE, '--version']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(new RegExp(`^v${String(NODE_MAJOR)}\\.\\d+\\.\\d+$`));
  });

  test('runs the mailagent CLI as uid 65532 with production dependencies only', async () => {
    const help = await podman(['run', '--rm', OPERATOR_IMAGE, 'operator', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mailagent operator/);
    const id = await podman(['run', '--rm', '--entrypoint', 'id', OPERATOR_IMAGE, '-u']);
    expect(id.stdout.trim()).toBe('65532');
    const dev = await podman(['run', '--rm', '--entrypoint', 'ls', OPERATOR_IMAGE, '/opt/mailagent/node_modules/typescript']);
    expect(dev.code).not.toBe(0);
  });
});
