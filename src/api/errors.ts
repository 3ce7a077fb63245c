/** Typed errors for user input: each names the field path and what is allowed. */

/**
 * The base of every error the user can fix (bad input, a refused operation,
 * an unreachable cluster): the CLI prints its message without a stack trace
 * and exits 1. Anything else is a bug (exit 2). Defined in the lowest layer
 * so that every layer's errors can extend it.
 */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

export interface FieldError {
  /** e.g. "spec.users[2].name" */
  path: string;
  message: string;
}

export class ValidationError extends UserError {
  constructor(
    readonly source: string,
    readonly errors: readonly FieldError[],
  ) {
    super(`${source}: invalid MailAgent:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    this.name = 'ValidationError';
  }
}

/** A problem with a file or document the user gave us (not a schema error). */
export class InputError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
