/**
 * Schema rules added by issue 12 (items 3 and 6): their JS twins, so the
 * offline validator reports what the API server would
 * (test/e2e/crd-rules.test.ts checks the CEL side on a real server).
 */
import { describe, expect, it } from '@jest/globals';
import { resolveSpec, validateAgentSpec, validateMailAgent, validateSpec, ValidationError } from '../../src/api/index.js';
import { OWN_SECRET_SUFFIXES, ownSecretMessages, quantityValue } from '../../src/api/schema.js';
import { childNames } from '../../src/constructs/names.js';
import { resolveClusterInputs } from '../../src/render/cluster-inputs.js';

const spec = (extra: Record<string, unknown>) => ({ domain: 'pouet.com', users: [{ name: 'toto' }], ...extra });

/** "path: message" of each problem the validator reports ([] when valid). */
function messagesOf(validate: () => unknown): string[] {
  try {
    validate();
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.errors.map((e) => `${e.path}: ${e.message}`);
  }
}
const errorsOf = (value: unknown): string[] => messagesOf(() => validateSpec(value));

describe('resources: requests <= limits (item 3)', () => {
  it('compares quantities across units', () => {
    expect(quantityValue('1Gi')).toBe(1024 * quantityValue('1Mi'));
    expect(quantityValue('500m')).toBe(0.5);
    expect(quantityValue('1.5k')).toBe(1500);
  });

  it.each([
    [{ requests: { memory: '64Mi' }, limits: { memory: '64Mi' } }],
    [{ requests: { memory: '1Gi' } }],
    [{ requests: { cpu: '500m' }, limits: { cpu: '1' } }],
  ])('accepts %j', (resources) => {
    expect(errorsOf(spec({ resources }))).toEqual([]);
  });

  it('refuses memory requests above the memory limit, naming the field', () => {
    expect(errorsOf(spec({ resources: { requests: { memory: '1Gi' }, limits: { memory: '512Mi' } } })))
      .toEqual(['spec.resources.requests.memory: must be at most limits.memory; lower the request or raise the limit']);
  });

  it('refuses cpu requests above the cpu limit', () => {
    expect(errorsOf(spec({ resources: { requests: { cpu: '2' }, limits: { cpu: '1500m' } } })))
      .toEqual(['spec.resources.requests.cpu: must be at most limits.cpu; lower the request or raise the limit']);
  });
});

describe("references to the agent's own Secrets (item 6)", () => {
  const agent = (name: string, extra: Record<string, unknown>) => ({ apiVersion: 'localmail.dev/v1alpha1', kind: 'MailAgent', metadata: { name }, spec: spec(extra) });

  const docErrors = (doc: unknown): string[] => messagesOf(() => validateMailAgent(doc));

  it('names the same Secrets the constructs write', () => {
    const names = childNames('pouet');
    expect(OWN_SECRET_SUFFIXES.map((x) => `pouet${x}`).sort()).toEqual([names.credentials, names.tls].sort());
  });

  it.each(['pouet-tls', 'pouet-credentials'])('refuses tls.secretName %s', (secretName) => {
    expect(docErrors(agent('pouet', { tls: { secretName } }))).toEqual([`spec.tls.secretName: ${ownSecretMessages.tls}`]);
    expect(() => validateAgentSpec('pouet', spec({ tls: { secretName } }), 'x')).toThrow(ownSecretMessages.tls);
  });

  it.each(['pouet-credentials', 'pouet-tls'])('refuses passwordSecretRef %s, naming the user', (name) => {
    const users = [{ name: 'toto' }, { name: 'tutu', passwordSecretRef: { name, key: 'tutu' } }];
    expect(docErrors(agent('pouet', { users }))).toEqual([`spec.users[1].passwordSecretRef.name: ${ownSecretMessages.password}`]);
  });

  it("accepts another agent's Secret names and the agent's own name without suffix", () => {
    expect(docErrors(agent('pouet', { tls: { secretName: 'other-tls' }, users: [{ name: 'toto', passwordSecretRef: { name: 'pouet', key: 'k' } }] }))).toEqual([]);
  });

  it('is refused by the shared render step too (the deployer path)', async () => {
    const read = () => Promise.resolve(undefined);
    await expect(resolveClusterInputs(read, 'pouet', 'ns', resolveSpec(spec({ tls: { secretName: 'pouet-tls' } }))))
      .rejects.toMatchObject({ name: 'InputProblem', reason: 'OwnSecretReference', field: 'spec.tls.secretName' });
  });
});
