/**
 * The public POP3 API of mailwire: {@link Pop3Client} and the types its methods take and return.
 *
 * @packageDocumentation
 */
export { Pop3Client } from './client.js';
export type {
  Pop3CallOptions,
  Pop3ClientOptions,
  Pop3CloseResult,
  Pop3Credentials,
  Pop3Greeting,
  Pop3Limits,
  Pop3State,
  Pop3TlsMode,
} from './options.js';
export type { Pop3AuthMethod } from './auth.js';
export type { Pop3Capabilities, Pop3Language, Pop3ListEntry, Pop3Stat, Pop3UidlEntry } from './codec.js';
export type { Pop3Reply } from './commands.js';
export { Pop3Message, type CollectOptions } from './message.js';
