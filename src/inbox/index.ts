/** src/inbox: read, wait for and delete an agent's mail; send a test message. */
export { openInbox, defaultNamespace } from './open.js';
export type { OpenInboxOptions, Transport } from './open.js';
export { Inbox, RECONNECT_ATTEMPTS, formatMs } from './inbox.js';
export type { InboxOptions } from './inbox.js';
export { sendMail } from './send.js';
export type { SendOptions, SendResult } from './send.js';
export { InboxError, NotFoundError, AgentNotReadyError, WaitTimeoutError } from './errors.js';
export { MemoryMailbox } from './memory-mailbox.js';
export type { MailboxSession, MailboxConnector, RawMessage } from './mailbox.js';
export { matches, describeFilter } from './filter.js';
export { parseMessage, summarize } from './parse.js';
export type { Address, Attachment, MailMessage, MessageFilter, MessageSummary } from './types.js';
