/**
 * Which images a MailAgent may run. Whoever may create a MailAgent makes the
 * operator create a Pod, with the agent's Secrets mounted: without a policy
 * that is "run any image", a right the user may not have. An entry is an
 * image reference, or a prefix ending in "*" ("registry.example/mail/*").
 */
import { DEFAULT_IMAGE } from '../api/defaults.js';

/** What --allowed-images defaults to: the mail image the operator itself defaults to. */
export const DEFAULT_ALLOWED_IMAGES: readonly string[] = [DEFAULT_IMAGE];

export function imageAllowed(image: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => (a.endsWith('*') ? image.startsWith(a.slice(0, -1)) : image === a));
}

/** Parses a comma-separated --allowed-images value; empty entries are dropped. */
export function parseAllowedImages(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
