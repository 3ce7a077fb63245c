/**
 * test/run-all.sh counts each jest project with test/count-jest.mjs. Each
 * fixture directory under test/fixtures/jest-counting is run by a real jest
 * (a child process, as run-all.sh does) and counted by the same code.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { countJestRun, readReport } from '../count-jest.mjs';
import type { JestRunCount } from '../count-jest.mjs';

const fixtures = join(process.cwd(), 'test/fixtures/jest-counting');
const jestBin = join(process.cwd(), 'node_modules/jest/bin/jest.js');
const out = mkdtempSync(join(tmpdir(), 'count-jest-'));
afterAll(() => { rmSync(out, { recursive: true, force: true }); });

/** Runs jest on one fixture directory and counts its report, as run-all.sh does. */
function runFixture(dir: string): Promise<JestRunCount & { exitStatus: number }> {
  const report = join(out, `${dir}.json`);
  return new Promise((resolve) => {
    execFile(process.execPath, [jestBin, '--config', join(fixtures, 'jest.config.cjs'), '--json', `--outputFile=${report}`, join(fixtures, dir)],
      { env: { ...process.env, NODE_OPTIONS: '' } },
      (err) => {
        const exitStatus = err ? Number(err.code ?? 1) : 0;
        resolve({ ...countJestRun(readReport(report), exitStatus), exitStatus });
      });
  });
}

describe('count-jest on real jest runs', () => {
  it('counts a passing suite as passed, with no problem', async () => {
    expect(await runFixture('pass')).toEqual({ passed: 1, failed: 0, skipped: 0, problems: [], exitStatus: 0 });
  });

  it('fails a run whose afterAll hook throws, although every test passed (numFailedTests: 0)', async () => {
    const c = await runFixture('failing-after-all');
    expect(c.passed).toBe(1);
    expect(c.failed).toBe(1);
    expect(c.problems).toEqual([expect.stringMatching(/after-all\.fixture\.cjs: suite failed outside its tests: cleanup failed/)]);
  });

  it('fails a run whose beforeAll hook throws', async () => {
    const c = await runFixture('failing-before-all');
    expect(c.failed).toBeGreaterThanOrEqual(1);
    expect(c.passed).toBe(0);
  });

  it('fails a run with an error thrown outside a test body (from a timer)', async () => {
    const c = await runFixture('unhandled-error');
    expect(c.failed).toBeGreaterThanOrEqual(1);
  });

  it('fails a suite that cannot load, once (not again as "no test ran")', async () => {
    const c = await runFixture('import-error');
    expect(c.failed).toBe(1);
    expect(c.problems).toEqual([expect.stringMatching(/import-error\.fixture\.cjs: suite failed outside its tests: Cannot find module/)]);
  });

  it('counts a failing test once', async () => {
    const c = await runFixture('failing-test');
    expect([c.passed, c.failed, c.skipped]).toEqual([1, 1, 0]);
  });

  it.each([['skipped', 'pending'], ['todo', 'todo']])('reports a %s test as skipped, with a problem naming it', async (dir, status) => {
    const c = await runFixture(dir);
    expect([c.passed, c.failed, c.skipped]).toEqual([1, 0, 1]);
    expect(c.problems).toEqual([expect.stringContaining(`is ${status}; suites never skip`)]);
  });
});

describe('countJestRun on reports jest can write', () => {
  const base = {
    success: true, numTotalTests: 1, numPassedTests: 1, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0,
    numFailedTestSuites: 0, numRuntimeErrorTestSuites: 0, testResults: [],
  };

  it('fails a run without a report', () => {
    expect(countJestRun(null, 1)).toMatchObject({ failed: 1, problems: ['jest wrote no report (exit status 1)'] });
  });

  it('fails a run that jest exited non-zero without any failure in its report', () => {
    expect(countJestRun(base, 1)).toMatchObject({ passed: 1, failed: 1, problems: ['jest exited with status 1 without a failed test or suite'] });
  });

  it('fails a run that jest reports as unsuccessful (success: false) without any failure', () => {
    expect(countJestRun({ ...base, success: false }, 0)).toMatchObject({ failed: 1 });
  });

  it('counts runtime-error suites that are not in testResults', () => {
    expect(countJestRun({ ...base, success: false, numFailedTestSuites: 2, numRuntimeErrorTestSuites: 2 }, 1)).toMatchObject({ failed: 2 });
  });

  it('fails a run with no test at all', () => {
    expect(countJestRun({ ...base, numTotalTests: 0, numPassedTests: 0 }, 0)).toMatchObject({ failed: 1, problems: ['jest ran no test'] });
  });
});
