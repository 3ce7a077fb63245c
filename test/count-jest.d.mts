/** Types of test/count-jest.mjs (plain JavaScript, so run-all.sh runs it with node alone). */
export interface JestRunCount {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the run fails beyond failed tests, and every skipped or todo test. */
  problems: string[];
}
export function countJestRun(report: object | null, exitStatus: number): JestRunCount;
export function readReport(path: string): object | null;
