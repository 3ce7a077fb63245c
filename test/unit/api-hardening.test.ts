/**
 * Schema rules added by issue 12 (items 3 and 6): their JS twins, so the
 * offline validator reports what the API server would
 * (test/e2e/crd-rules.test.ts checks the CEL side on a real server).
 */
import { describe, expect, it } from '@jest/globals';
import { validateSpec, ValidationError } from '../../src/api/index.js';
import { quantityValue } from '../../src/api/schema.js';

const spec = (extra: Record<string, unknown>) => ({ domain: 'pouet.com', users: [{ name: 'toto' }], ...extra });

function errorsOf(value: unknown): string[] {
  try {
    validateSpec(value);
    return [];
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.errors.map((e) => `${e.path}: ${e.message}`);
  }
}

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
