/**
 * The message shape `mailagent mail ... -o json` prints and `openInbox()`
 * returns. It is a stable contract (README "Testing your app's mail in CI"
 * lists it): fields may be added, none renamed or removed.
 */

export interface Address {
  /** "alice@example.org" */
  address: string;
  /** Display name, "" when there is none. */
  name: string;
}

export interface Attachment {
  /** File name, "" when the part has none. */
  filename: string;
  /** MIME type, e.g. "application/pdf". */
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** "attachment" or "inline". */
  disposition: string;
  /** Content-ID of inline parts (without <>), "" otherwise. */
  contentId: string;
}

export interface MessageSummary {
  /** IMAP UID of the message in the user's INBOX: stable until it is deleted. */
  id: string;
  /** Message-ID header, "" when absent. */
  messageId: string;
  from: Address[];
  /** To header. */
  to: Address[];
  cc: Address[];
  /** Envelope recipients (Exim's Envelope-To), what the mail was really delivered for. */
  envelopeTo: string[];
  /** Envelope sender (Return-Path), "" for bounces. */
  envelopeFrom: string;
  subject: string;
  /** Date header as ISO 8601, else the delivery time. */
  date: string;
  /** When the agent stored it (IMAP INTERNALDATE), ISO 8601. */
  receivedAt: string;
  /** Size of the raw message in bytes. */
  size: number;
  /** The user whose mailbox holds it. */
  user: string;
}

export interface MailMessage extends MessageSummary {
  /** The text/plain body ("" when none). */
  text: string;
  /** The text/html body ("" when none). */
  html: string;
  /** Every header, lower-case names, in order; repeated headers appear more than once. */
  headers: { name: string; value: string }[];
  attachments: Attachment[];
  /** http(s) and mailto links found in the text and in the HTML (href), deduplicated, in order. */
  links: string[];
}

/** What `waitFor` and `mail wait` look for. Every given field must match. */
export interface MessageFilter {
  /** An envelope or header recipient address (case-insensitive, exact). */
  to?: string | undefined;
  /** The From or envelope sender address (case-insensitive, exact). */
  from?: string | undefined;
  /** A regular expression (or a string taken as one) the subject must match. */
  subject?: RegExp | string | undefined;
  /** Only messages the agent stored at or after this time. */
  since?: Date | undefined;
}
