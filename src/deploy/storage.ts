/**
 * Where release records live, behind an interface as Helm's storage drivers
 * (pkg/storage/driver/driver.go). secrets-driver.ts is the implementation.
 */
import type { Release } from './release.js';

export interface ReleaseStorage {
  /** The namespace the records (and the releases) live in. */
  readonly namespace: string;
  /** One revision, or undefined when there is no such record. */
  get(name: string, version: number): Promise<Release | undefined>;
  /** Every stored revision of a release, oldest first (empty: no such release). */
  history(name: string): Promise<Release[]>;
  /** Every revision of every release in the namespace. */
  list(): Promise<Release[]>;
  /**
   * Stores a new revision. Fails with RecordExistsError when a record of
   * that revision exists: two operations that both read revision N and both
   * create N+1 cannot both succeed. This is the release lock.
   */
  create(release: Release): Promise<void>;
  /**
   * Rewrites a revision (its status). Fails with RecordChangedError when the
   * record changed since this storage object last read or wrote it.
   */
  update(release: Release): Promise<void>;
  /** Deletes a revision; no error when it is already gone. */
  delete(name: string, version: number): Promise<void>;
}

export class RecordExistsError extends Error {
  constructor(readonly releaseName: string, readonly version: number) {
    super(`release "${releaseName}" revision ${version} already exists`);
    this.name = 'RecordExistsError';
  }
}

export class RecordChangedError extends Error {
  constructor(readonly releaseName: string, readonly version: number) {
    super(`release "${releaseName}" revision ${version} was changed by another operation`);
    this.name = 'RecordChangedError';
  }
}
