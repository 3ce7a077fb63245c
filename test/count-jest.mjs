/**
 * Counts one jest run for test/run-all.sh: passed, failed and skipped tests,
 * plus the reasons a run fails although no single test failed.
 *
 * A run is only as good as everything jest says about it, not just
 * numFailedTests: a failing beforeAll/afterAll hook, an error thrown outside
 * a test, or a suite that could not load leaves numFailedTests at 0 but the
 * suite failed; `success` is false; jest exits non-zero. Each of those counts
 * as a failure here. Skipped and todo tests are counted as skipped and are
 * reported as problems: this project's suites never skip (README), so
 * run-all.sh fails the run when any are left.
 *
 * Usage: node test/count-jest.mjs REPORT.json JEST_EXIT_STATUS
 * Prints "PASSED FAILED SKIPPED" on the first line, then one line per problem.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The first informative line of a jest failure message (jest's own heading skipped). */
const firstLine = (text) => String(text ?? '').split('\n').map((l) => l.trim())
  .find((l) => l !== '' && !l.startsWith('● Test suite failed to run')) ?? '';

/**
 * @param {object | null} report jest's --json report (null: none was written)
 * @param {number} exitStatus jest's process exit status
 * @returns {{ passed: number, failed: number, skipped: number, problems: string[] }}
 */
export function countJestRun(report, exitStatus) {
  if (!report) {
    return { passed: 0, failed: 1, skipped: 0, problems: [`jest wrote no report (exit status ${exitStatus})`] };
  }
  const problems = [];
  const suites = report.testResults ?? [];
  let failed = report.numFailedTests ?? 0;

  // Suites that failed outside their tests: a hook, a load error, an error thrown between tests.
  // jest counts them in numFailedTestSuites (and load errors in numRuntimeErrorTestSuites) but
  // not in numFailedTests, so each adds one failure.
  const failedOutsideTests = suites.filter((s) => s.status === 'failed'
    && !(s.assertionResults ?? []).some((a) => a.status === 'failed'));
  for (const s of failedOutsideTests) {
    problems.push(`${s.name}: suite failed outside its tests: ${firstLine(s.failureMessage ?? s.message) || 'no message'}`);
  }
  const suitesWithFailedTests = suites.filter((s) => s.status === 'failed'
    && (s.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  const suiteFailures = Math.max(
    failedOutsideTests.length,
    (report.numFailedTestSuites ?? 0) - suitesWithFailedTests,
    report.numRuntimeErrorTestSuites ?? 0,
  );
  failed += suiteFailures;
  if (suiteFailures > failedOutsideTests.length) {
    problems.push(`${suiteFailures - failedOutsideTests.length} more suite(s) failed to run (numFailedTestSuites ${report.numFailedTestSuites}, numRuntimeErrorTestSuites ${report.numRuntimeErrorTestSuites})`);
  }

  if ((report.numTotalTests ?? 0) === 0 && failed === 0) {
    failed += 1;
    problems.push('jest ran no test');
  }
  // Whatever else made jest call the run a failure (e.g. an error after the last test).
  if (report.success === false && failed === 0) {
    failed += 1;
    problems.push('jest reported the run as failed (success: false) without a failed test or suite');
  }
  if (exitStatus !== 0 && failed === 0) {
    failed += 1;
    problems.push(`jest exited with status ${exitStatus} without a failed test or suite`);
  }

  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const s of suites) {
    for (const a of s.assertionResults ?? []) {
      if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo' || a.status === 'disabled') {
        problems.push(`${s.name}: "${a.fullName}" is ${a.status}; suites never skip: make it run or delete it`);
      }
    }
  }
  if (skipped > 0 && !problems.some((p) => p.includes('suites never skip'))) {
    problems.push(`${skipped} test(s) skipped or todo; suites never skip`);
  }
  return { passed: report.numPassedTests ?? 0, failed, skipped, problems };
}

/** Reads a report file; a missing or unreadable one is null (counted as a failure). */
export function readReport(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [reportPath, status] = process.argv.slice(2);
  if (!reportPath || status === undefined || !/^[0-9]+$/.test(status)) {
    console.error('usage: node test/count-jest.mjs REPORT.json JEST_EXIT_STATUS');
    process.exit(2);
  }
  const c = countJestRun(readReport(reportPath), Number(status));
  console.log(`${c.passed} ${c.failed} ${c.skipped}`);
  for (const p of c.problems) console.log(p);
}
