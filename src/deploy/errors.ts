/**
 * Errors of the deployer's verbs. DeployError is a UserError (the CLI prints
 * its message and exits 1, no stack trace); toUserError turns what the API
 * server or the network said into one, naming what was being done.
 */
import { UserError } from '../api/errors.js';
import { KubeApiError } from '../kube/errors.js';
import { InputProblem } from '../render/cluster-inputs.js';

export class DeployError extends UserError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeployError';
  }
}

/** undici's message (the cause of "fetch failed") for a port on the Fetch standard's block list. */
const FETCH_BAD_PORT = 'bad port';
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'EAI_AGAIN', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && NETWORK_CODES.has(code)) return code;
    const m = /\b(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN)\b/.exec(e.message);
    if (m) return m[1];
  }
  return undefined;
}

function causedByBadPort(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.message === FETCH_BAD_PORT) return true;
  }
  return false;
}

/** User-facing errors pass through; API and network failures become DeployErrors; bugs stay as they are. */
export function toUserError(err: unknown, server?: string): unknown {
  if (err instanceof UserError) return err;
  if (err instanceof InputProblem) return new DeployError(err.message, { cause: err });
  if (err instanceof KubeApiError) {
    const hint = err.code === 401 || err.code === 403 ? ' (check your kubeconfig credentials and RBAC permissions)' : '';
    return new DeployError(`${err.message}${hint}`, { cause: err });
  }
  // client-node refuses plain HTTP, which is also what it falls back to with no kubeconfig at all.
  if (err instanceof Error && /HTTP protocol is not allowed/.test(err.message)) {
    return new DeployError(`cannot use the Kubernetes API server${server ? ` at ${server}` : ''}: ${err.message}; check KUBECONFIG (no kubeconfig found?)`, { cause: err });
  }
  // client-node 2 sends through undici's fetch, which never connects to the
  // ports the Fetch standard blocks (1, 6000, 10080, ...): "fetch failed",
  // caused by "bad port".
  if (causedByBadPort(err)) {
    const port = server ? new URL(server).port : '';
    return new DeployError(`cannot use the Kubernetes API server${server ? ` at ${server}` : ''}: port ${port || '(default)'} is one that fetch refuses (Fetch standard "bad ports"); serve the API on another port (6443 is usual) and update KUBECONFIG`, { cause: err });
  }
  const code = networkCode(err);
  if (code) {
    return new DeployError(`cannot reach the Kubernetes API server${server ? ` at ${server}` : ''} (${code}); check KUBECONFIG and that the cluster is running`, { cause: err });
  }
  return err;
}
