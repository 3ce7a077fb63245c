import { describe, expect, it } from '@jest/globals';
import { deploymentState, formatDuration, streamProgress } from '../../src/deploy/wait.js';

const deployment = (status: Record<string, unknown>, generation = 2, replicas = 1): any => ({
  metadata: { name: 'pouet', generation }, spec: { replicas }, status,
});

describe('rollout readiness', () => {
  it('is ready when the controller saw the spec and every replica is updated and available', () => {
    expect(deploymentState(deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 })))
      .toEqual({ ready: true, failed: false, summary: 'Deployment pouet: 1/1 available, 1/1 updated' });
  });

  it('waits for observedGeneration, updated replicas, old replicas and availability', () => {
    expect(deploymentState(deployment({ observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 })).summary)
      .toMatch(/waiting for the controller to see generation 2/);
    expect(deploymentState(deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 0, availableReplicas: 1 })).ready).toBe(false);
    expect(deploymentState(deployment({ observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 1 })).summary).toMatch(/1 old replica\(s\) terminating/);
    expect(deploymentState(deployment({ observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 })))
      .toEqual({ ready: false, failed: false, summary: 'Deployment pouet: 0/1 available, 1/1 updated' });
    expect(deploymentState(deployment({})).ready).toBe(false);
  });

  it('fails at once when the progress deadline is exceeded', () => {
    const s = deploymentState(deployment({ observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "pouet-1" has timed out progressing.' }] }));
    expect(s).toMatchObject({ ready: false, failed: true });
    expect(s.summary).toMatch(/timed out progressing/);
  });

  it('formats durations as given', () => {
    expect([formatDuration(300_000), formatDuration(10_000), formatDuration(1500)]).toEqual(['5m', '10s', '1500ms']);
  });
});

describe('progress display', () => {
  const fakeStream = (isTTY: boolean) => {
    const writes: string[] = [];
    return { writes, stream: { isTTY, columns: 80, write: (s: string) => { writes.push(s); return true; } } as any };
  };

  it('updates a single line on a TTY', () => {
    const { writes, stream } = fakeStream(true);
    const p = streamProgress(stream, () => 0);
    p.update('a'); p.update('b'); p.done();
    expect(writes).toEqual(['\r\x1b[2K[0s] a', '\r\x1b[2K[0s] b', '\n']);
  });

  it('prints a plain line per change otherwise', () => {
    const { writes, stream } = fakeStream(false);
    let t = 0;
    const p = streamProgress(stream, () => t);
    p.update('a'); t = 2000; p.update('a'); p.update('b'); p.done();
    expect(writes).toEqual(['[0s] a\n', '[2s] b\n']);
  });
});
