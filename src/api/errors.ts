/** Typed errors for user input: each names the field path and what is allowed. */

export interface FieldError {
  /** e.g. "spec.users[2].name" */
  path: string;
  message: string;
}

export class ValidationError extends Error {
  constructor(
    readonly source: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`${source}: invalid MailAgent:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}

/** A problem with a file or document the user gave us (not a schema error). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
