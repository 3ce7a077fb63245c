/**
 * Turns client-node's ApiException (raw body text) into an error with the API
 * server's own message. Recognised by shape, not class, so that offline
 * commands importing this module do not load the Kubernetes client.
 */
interface ApiExceptionLike { code: number; body: unknown }

function isApiException(err: unknown): err is ApiExceptionLike & Error {
  return err instanceof Error && typeof (err as Partial<ApiExceptionLike>).code === 'number' && 'body' in err;
}

export class KubeApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'KubeApiError';
  }
}

interface StatusBody { message?: string; reason?: string }

export function kubeError(err: unknown, what: string): Error {
  if (isApiException(err)) {
    let status: StatusBody = {};
    try {
      // client-node gives the response text; none at all for a 401.
      const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
      if (body !== null && typeof body === 'object') status = body;
    } catch { /* body was not JSON */ }
    return new KubeApiError(err.code, status.reason ?? '', `${what}: ${status.message ?? `HTTP ${err.code}`}`);
  }
  if (err instanceof Error) return new Error(`${what}: ${err.message}`, { cause: err });
  return new Error(`${what}: ${String(err)}`);
}

export const isNotFound = (err: unknown): boolean =>
  (isApiException(err) && err.code === 404) || (err instanceof KubeApiError && err.code === 404);

export const isConflict = (err: unknown): boolean =>
  (isApiException(err) && err.code === 409) || (err instanceof KubeApiError && err.code === 409);
