/**
 * The release record: what the deployer stores for every revision of a
 * release, mirroring Helm's (pkg/release + pkg/storage/driver/util.go).
 * A release is one mail agent; its name is the agent's name.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { metadataNameRule } from '../api/schema.js';
import type { MailAgentSpec } from '../api/types.js';
import { DeployError } from './errors.js';

export type ReleaseStatus =
  | 'deployed'
  | 'superseded'
  | 'failed'
  | 'uninstalled'
  | 'pending-install'
  | 'pending-upgrade'
  | 'pending-rollback'
  /** An uninstall holds the lock (Helm's status of the same name). */
  | 'uninstalling';

export const PENDING_STATUSES: readonly ReleaseStatus[] = ['pending-install', 'pending-upgrade', 'pending-rollback', 'uninstalling'];

export interface ReleaseInfo {
  status: ReleaseStatus;
  /** When revision 1 was created (ISO 8601). */
  firstDeployed: string;
  /** When this revision was last written (ISO 8601). */
  lastDeployed: string;
  description: string;
}

export interface Release {
  name: string;
  namespace: string;
  /** The revision, from 1. */
  version: number;
  info: ReleaseInfo;
  /** The MailAgent spec as given (validated), before defaults. */
  values: MailAgentSpec;
  /**
   * The objects applied, as YAML, with every Secret's data values replaced
   * by REDACTED_VALUE: passwords and keys never go into the record.
   */
  manifest: string;
}

/** Field manager of every apply the deployer makes. */
export const FIELD_MANAGER = 'mailagent-deployer';
/** app.kubernetes.io/managed-by of the objects the deployer applies. */
export const MANAGED_BY = 'mailagent-deployer';
/** Label on every object of a release: what upgrade prunes and uninstall deletes. */
export const RELEASE_LABEL = 'mailagent.localmail.dev/release';
/** Secret type of release records (Helm: helm.sh/release.v1). */
export const RECORD_TYPE = 'mailagent.localmail.dev/release.v1';
/** The owner label of release records (Helm: owner=helm). */
export const RECORD_OWNER = 'mailagent';
/**
 * Replaces Secret data values in stored manifests. Not valid base64 on
 * purpose: applying a stored manifest by hand fails instead of overwriting
 * passwords with garbage.
 */
export const REDACTED_VALUE = '<redacted>';

/** sh.mailagent.release.v1.<name>.v<version> (Helm: sh.helm.release.v1.<name>.v<version>). */
export function recordName(name: string, version: number): string {
  return `sh.mailagent.release.v1.${name}.v${version}`;
}

export function recordLabels(release: Release): Record<string, string> {
  return {
    name: release.name,
    owner: RECORD_OWNER,
    status: release.info.status,
    version: String(release.version),
  };
}

export const isPending = (r: Release): boolean => PENDING_STATUSES.includes(r.info.status);

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b, 0x08]);

/** base64(gzip(json)), as Helm's encodeRelease. */
export function encodeRelease(release: Release): string {
  return gzipSync(Buffer.from(JSON.stringify(release), 'utf8'), { level: 9 }).toString('base64');
}

/** The inverse of encodeRelease; also accepts uncompressed JSON, as Helm's decodeRelease. */
export function decodeRelease(data: string): Release {
  const raw = Buffer.from(data, 'base64');
  const json = raw.subarray(0, 3).equals(GZIP_MAGIC) ? gunzipSync(raw) : raw;
  const parsed = JSON.parse(json.toString('utf8')) as unknown;
  if (!isRelease(parsed)) throw new Error('not a release record (missing name, namespace, version or info.status)');
  return parsed;
}

function isRelease(v: unknown): v is Release {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  const info = r.info as Record<string, unknown> | undefined;
  return typeof r.name === 'string' && typeof r.namespace === 'string' && typeof r.version === 'number'
    && typeof info === 'object' && typeof info.status === 'string' && typeof r.manifest === 'string';
}

/** Newest revision first is how history is shown; storage returns oldest first. */
export const byVersion = (a: Release, b: Release): number => a.version - b.version;

export function latest(history: readonly Release[]): Release | undefined {
  return [...history].sort(byVersion).at(-1);
}

/** The newest revision whose status is deployed. */
export function lastDeployed(history: readonly Release[]): Release | undefined {
  return [...history].sort(byVersion).filter((r) => r.info.status === 'deployed').at(-1);
}

/**
 * The error text when a revision in a pending-* state blocks an operation.
 * An interrupted install has nothing to roll back to, and an interrupted
 * uninstall is finished by uninstalling again: both take --force, since only
 * the user can tell an interrupted operation from one still running.
 */
export function operationInProgressMessage(pending: Release): string {
  const fix = (pending.info.status === 'pending-install' && pending.version === 1) || pending.info.status === 'uninstalling'
    ? `run "mailagent uninstall ${pending.name} -n ${pending.namespace} --force"`
    : `run "mailagent rollback ${pending.name} -n ${pending.namespace}"`;
  return `release "${pending.name}" has an operation in progress (${pending.info.status} since ${pending.info.lastDeployed}); `
    + `wait for it, or ${fix} if it was interrupted`;
}

/** The release name is the MailAgent name: the same rule applies. */
export function checkReleaseName(name: string): void {
  if (!metadataNameRule.holds(name as never)) {
    throw new DeployError(`release name "${name}": ${metadataNameRule.message}`);
  }
}
