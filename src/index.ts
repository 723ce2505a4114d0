/**
 * mailwire: typed IMAP and POP3 clients for Node.js with zero runtime dependencies.
 *
 * - {@link ImapClient}: IMAP4rev1/IMAP4rev2 with pipelining, streamed bodies and IDLE.
 * - {@link Pop3Client}: POP3 with CAPA, SASL, STLS, pipelining and streamed RETR/TOP.
 * - Every failure is a {@link MailwireError} with a stable `code`.
 * - Test kit (record and replay sessions): `mailwire/testing`.
 *
 * @packageDocumentation
 */
export * from './common/errors.js';
export { Secret } from './common/secret.js';
export type { WireLogEntry, WireLogger, WirePart } from './common/wirelog.js';
export { Transport, type TransportHandlers, type TransportOptions, type TransportTlsOptions } from './common/transport.js';
export { defaultConnector, type Connection, type Connector, type RecordSetting } from './common/connector.js';
export type { CallOptions, ChunkOptions, ClientOptions, TlsMode } from './common/options.js';
export type { SaslCredentials, SaslMechanismName } from './common/sasl/index.js';
export {
  decodeEncodedWords,
  getHeaderValue,
  parseAddressList,
  parseHeaderFields,
  unfoldHeaderValue,
  type HeaderField,
  type MailAddress,
} from './common/mime/index.js';

export * from './pop3/index.js';

export { ImapClient } from './imap/client.js';
export { StoreError, StoreInterruptedError } from './imap/commands/store.js';
export { CopyError, CopyInterruptedError } from './imap/commands/copy-move.js';
export { ExpungeError, ExpungeInterruptedError } from './imap/commands/expunge.js';
export type * from './imap/index.js';
export {
  BUFFER_BODY,
  MAX_MESSAGE_NUMBER,
  SequenceSet,
  decodeModifiedUtf7,
  encodeModifiedUtf7,
  formatImapDate,
  formatImapDateTime,
  parseImapDate,
  parseImapDateTime,
  seqNum,
  uid,
} from './imap/wire/index.js';

export { openMailbox, parseMailboxUrl, type OpenMailboxOptions, type MailboxUrl } from './open-mailbox.js';
export {
  imapMessageId,
  parseMessageId,
  pop3MessageId,
  type DeleteResult,
  type HeaderSummary,
  type HeadersOptions,
  type ImapMessageId,
  type Mailbox,
  type MailboxCloseResult,
  type MailboxProtocol,
  type MailboxTraits,
  type MailboxWatch,
  type MessageContent,
  type MessageId,
  type MessageInfo,
  type Pop3MessageId,
  type WatchEvent,
  type WatchOptions,
} from './common/mailbox.js';
export { ImapMailbox, type ImapMailboxOptions } from './imap/mailbox.js';
export { Pop3Mailbox, type Pop3MailboxOptions } from './pop3/mailbox.js';
