/**
 * The IMAP client: {@link ImapClient} and the types of its options, results and events.
 *
 * @packageDocumentation
 */

export { ImapClient } from './client.js';
export type { ImapClientOptions, ImapGreeting, ImapLimits } from './options.js';
export type {
  CommandContext,
  ImapCallOptions,
  ImapCommand,
  ImapSession,
  ImapState,
  ImapTlsMode,
  MailboxEvent,
  MailboxEventStream,
  MailboxState,
} from './session.js';
export type { EventSubscriptionOptions } from './events.js';
export type { ImapCredentials, ImapLoginMethod, Namespaces } from './commands/connection.js';
export type { QresyncChange, QresyncParameters, QresyncResult, SelectOptions, SelectResult } from './commands/select.js';
export type { BodyRequest, FetchIterable, FetchOptions, FetchQuery, FetchSet } from './commands/fetch.js';
export type { BodyStream, FetchedMessage } from './fetch-message.js';
export type { IdleOptions } from './commands/idle.js';
export type { CreateMailboxOptions, ListOptions, MailboxEntry, SpecialUse } from './commands/mailboxes.js';
export type { StatusItem } from './commands/status.js';
export type { FlagUpdate, MessageSelector, StoreOperation, StoreOptions, StoreResult } from './commands/store.js';
export type { CopyProgress, CopyResult, MoveResult } from './commands/copy-move.js';
export type { ExpungeProgress, ExpungeResult } from './commands/expunge.js';
export type { AppendBody, AppendOptions, AppendResult } from './commands/append.js';
export type { SearchReturn, SearchSummary, SearchSummaryOptions } from './commands/search.js';
export type * from './wire/fetch-types.js';
export type * from './wire/response-code-types.js';
export type * from './wire/response-types.js';
export type { BodySink, BodyStart, UnreadableFetch } from './wire/assembler.js';
export type { BodySectionRequest, CommandArg } from './wire/command-args.js';
export type { SearchOptions, SearchQuery } from './wire/search.js';
export type { SeqNum, SequenceInput, SequenceRange, Uid } from './wire/sequence-set.js';
export { MAX_MESSAGE_NUMBER, SequenceSet, seqNum, uid } from './wire/sequence-set.js';
export { decodeModifiedUtf7, encodeModifiedUtf7 } from './wire/modified-utf7.js';
export { formatImapDate, formatImapDateTime, parseImapDate, parseImapDateTime } from './wire/date.js';
