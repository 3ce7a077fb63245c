/**
 * Counts every HTTP request this process sends to the API server, like
 * client-go's rest_client_requests_total. client-node 2 sends every API call,
 * list and watch through undici, which publishes each request it creates on
 * the diagnostics channel `undici:request:create` (the npm undici module and
 * Node's built-in fetch share channels by name): one subscription sees reads,
 * writes, lists and watches alike, without patching any module.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** undici's channel for "a request was created" (undici/lib/core/diagnostics.js). */
export const UNDICI_REQUEST_CREATE_CHANNEL = 'undici:request:create';

/** The part of undici's Request object this reads. */
interface UndiciRequestLike { origin?: string | URL; method?: string }

let installed = false;

function hostOf(origin: string | URL | undefined): string {
  if (origin === undefined) return '';
  try {
    return (origin instanceof URL ? origin : new URL(origin)).host;
  } catch {
    return '';
  }
}

export function countRequests(apiHost: string, count: (method: string) => void): void {
  if (installed) return;
  installed = true;
  diagnosticsChannel.subscribe(UNDICI_REQUEST_CREATE_CHANNEL, (message) => {
    const request = (message as { request?: UndiciRequestLike } | undefined)?.request;
    if (hostOf(request?.origin) === apiHost) count((request?.method ?? 'GET').toUpperCase());
  });
}
