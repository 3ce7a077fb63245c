/**
 * The CEL rules added for issue 12 (items 2, 3 and 6) on a real API server,
 * each against its JS twin: the server and `mailagent validate` agree on
 * what is refused, and say it with the same message.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { validateMailAgent, ValidationError } from '../../src/api/index.js';
import { installMailAgentCrd, kubectl, withNamespace } from './support/cluster.js';

const ns = withNamespace('crd-rules');

const agent = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name }, spec });

/** The server's verdict (dry run: nothing stored) and the offline validator's messages. */
async function verdicts(doc: ReturnType<typeof agent>): Promise<{ server: string; offline: string[] }> {
  const r = await kubectl(['-n', ns.name, 'create', '--dry-run=server', '-f', '-'], { input: JSON.stringify(doc) });
  let offline: string[] = [];
  try {
    validateMailAgent(doc);
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    offline = err.errors.map((e) => `${e.path}: ${e.message}`);
  }
  return { server: r.code === 0 ? 'accepted' : r.stderr.replace(/\s+/g, ' '), offline };
}

beforeAll(async () => {
  await installMailAgentCrd();
});

describe('issue 12 CEL rules agree with their JS twins', () => {
  const base = { domain: 'pouet.com', users: [{ name: 'toto' }] };

  test.each(['30d', '365d', '366d', '1d12h'])('lifetime %s is accepted by both', async (lifetime) => {
    expect(await verdicts(agent('life', { ...base, lifetime }))).toEqual({ server: 'accepted', offline: [] });
  });

  test.each(['367d', '9000h', '99999999999999999999d'])('lifetime %s is refused by both, with the bound', async (lifetime) => {
    const v = await verdicts(agent('life', { ...base, lifetime }));
    expect(v.offline).toEqual(['spec.lifetime: must be at most 366d; choose a shorter lifetime or remove it (never expire)']);
    expect(v.server).toContain('spec.lifetime');
    expect(v.server).toContain('must be at most 366d');
  });

  test('memory requests above an explicit limit: refused by both', async () => {
    const v = await verdicts(agent('greedy', { ...base, resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } }));
    expect(v.offline).toEqual(['spec.resources.requests.memory: must be at most limits.memory; lower the request or raise the limit']);
    expect(v.server).toContain('spec.resources.requests.memory');
    expect(v.server).toContain('must be at most limits.memory');
  });

  test('requests within limits across units: accepted by both', async () => {
    expect(await verdicts(agent('fine', { ...base, resources: { requests: { memory: '512Mi', cpu: '500m' }, limits: { memory: '1Gi', cpu: '1' } } })))
      .toEqual({ server: 'accepted', offline: [] });
  });

  test.each([
    [{ tls: { secretName: 'pouet-tls' } }, 'spec.tls.secretName'],
    [{ tls: { secretName: 'pouet-credentials' } }, 'spec.tls.secretName'],
    [{ users: [{ name: 'toto', passwordSecretRef: { name: 'pouet-credentials', key: 'toto' } }] }, 'spec.users'],
  ])("a reference to the agent's own Secret %j is refused by both", async (extra, field) => {
    const v = await verdicts(agent('pouet', { ...base, ...extra }));
    expect(v.offline).toHaveLength(1);
    expect(v.offline[0]).toContain('must not name a Secret the agent writes itself');
    expect(v.server).toContain(field);
    expect(v.server).toContain('must not name a Secret the agent writes itself');
  });

  test("another agent's Secret names are fine", async () => {
    expect(await verdicts(agent('pouet', { ...base, tls: { secretName: 'other-tls' } }))).toEqual({ server: 'accepted', offline: [] });
  });
});
