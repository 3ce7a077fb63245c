/**
 * Release records as Secrets, as Helm's pkg/storage/driver/secrets.go: one
 * Secret per revision, named sh.mailagent.release.v1.<name>.v<version>, of
 * type mailagent.localmail.dev/release.v1, labelled name/owner/status/version,
 * whose data.release holds base64(gzip(json)) of the record (so, as with
 * Helm, the API shows it base64-encoded once more).
 *
 * Updates carry the resourceVersion last seen, so a record rewritten by
 * another process in between is never silently overwritten.
 */
import * as k8s from '@kubernetes/client-node';
import { isConflict, isNotFound, kubeError } from '../kube/errors.js';
import { RECORD_OWNER, RECORD_TYPE, decodeRelease, encodeRelease, recordLabels, recordName, byVersion } from './release.js';
import type { Release } from './release.js';
import { RecordChangedError, RecordExistsError } from './storage.js';
import type { ReleaseStorage } from './storage.js';
import { DeployError } from './errors.js';

function toSecret(release: Release, resourceVersion?: string): k8s.V1Secret {
  const now = String(Math.floor(Date.now() / 1000));
  return Object.assign(new k8s.V1Secret(), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: recordName(release.name, release.version),
      namespace: release.namespace,
      labels: { ...recordLabels(release), [resourceVersion ? 'modifiedAt' : 'createdAt']: now },
      ...(resourceVersion ? { resourceVersion } : {}),
    },
    type: RECORD_TYPE,
    data: { release: Buffer.from(encodeRelease(release), 'utf8').toString('base64') },
  });
}

function fromSecret(s: k8s.V1Secret): Release {
  const name = s.metadata?.name ?? '(unnamed)';
  const data = s.data?.release;
  if (data === undefined) throw new DeployError(`release record Secret ${name} has no data.release; delete it or restore it`);
  try {
    return decodeRelease(Buffer.from(data, 'base64').toString('utf8'));
  } catch (err) {
    throw new DeployError(`release record Secret ${name} cannot be decoded (${(err as Error).message}); delete it or restore it`);
  }
}

const ownerSelector = `owner=${RECORD_OWNER}`;

export class SecretsDriver implements ReleaseStorage {
  /** record name -> resourceVersion last read or written. */
  private readonly seen = new Map<string, string>();

  constructor(private readonly core: k8s.CoreV1Api, readonly namespace: string) {}

  private remember(s: k8s.V1Secret): void {
    const name = s.metadata?.name;
    const rv = s.metadata?.resourceVersion;
    if (name && rv) this.seen.set(name, rv);
  }

  async get(name: string, version: number): Promise<Release | undefined> {
    const key = recordName(name, version);
    let s: k8s.V1Secret;
    try {
      s = await this.core.readNamespacedSecret({ name: key, namespace: this.namespace });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw kubeError(err, `read release record ${this.namespace}/${key}`);
    }
    this.remember(s);
    return fromSecret(s);
  }

  private async query(labelSelector: string): Promise<Release[]> {
    let list: k8s.V1SecretList;
    try {
      list = await this.core.listNamespacedSecret({ namespace: this.namespace, labelSelector });
    } catch (err) {
      throw kubeError(err, `list release records in ${this.namespace}`);
    }
    const out: Release[] = [];
    for (const s of list.items) {
      if (s.type !== RECORD_TYPE) continue;
      this.remember(s);
      out.push(fromSecret(s));
    }
    return out.sort(byVersion);
  }

  history(name: string): Promise<Release[]> {
    return this.query(`${ownerSelector},name=${name}`);
  }

  list(): Promise<Release[]> {
    return this.query(ownerSelector);
  }

  async create(release: Release): Promise<void> {
    try {
      this.remember(await this.core.createNamespacedSecret({ namespace: this.namespace, body: toSecret(release) }));
    } catch (err) {
      if (isConflict(err)) throw new RecordExistsError(release.name, release.version);
      throw kubeError(err, `create release record ${recordName(release.name, release.version)}`);
    }
  }

  async update(release: Release): Promise<void> {
    const key = recordName(release.name, release.version);
    if (!this.seen.has(key) && !(await this.get(release.name, release.version))) {
      throw new RecordChangedError(release.name, release.version);
    }
    const rv = this.seen.get(key);
    try {
      this.remember(await this.core.replaceNamespacedSecret({ name: key, namespace: this.namespace, body: toSecret(release, rv) }));
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) throw new RecordChangedError(release.name, release.version);
      throw kubeError(err, `update release record ${key}`);
    }
  }

  async delete(name: string, version: number): Promise<void> {
    const key = recordName(name, version);
    try {
      await this.core.deleteNamespacedSecret({ name: key, namespace: this.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw kubeError(err, `delete release record ${key}`);
    }
    this.seen.delete(key);
  }
}

/** Every revision of every release in every namespace (list -A). */
export async function listAllNamespaces(core: k8s.CoreV1Api): Promise<Release[]> {
  let list: k8s.V1SecretList;
  try {
    list = await core.listSecretForAllNamespaces({ labelSelector: ownerSelector });
  } catch (err) {
    throw kubeError(err, 'list release records in all namespaces');
  }
  return list.items.filter((s) => s.type === RECORD_TYPE).map(fromSecret).sort(byVersion);
}
