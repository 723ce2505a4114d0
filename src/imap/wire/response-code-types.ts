/**
 * The typed response codes of status responses (`[UIDNEXT 4]`, `[TRYCREATE]`, ...).
 *
 * @packageDocumentation
 */

import type { NumberRange } from './response-types.js';

/** Codes that carry no data (RFC 3501, RFC 9051, RFC 5530, RFC 4978, RFC 7162, RFC 4315). */
export type SimpleResponseCodeName =
  | 'ALERT'
  | 'PARSE'
  | 'READ-ONLY'
  | 'READ-WRITE'
  | 'TRYCREATE'
  | 'UIDNOTSTICKY'
  | 'NOMODSEQ'
  | 'CLOSED'
  | 'COMPRESSIONACTIVE'
  | 'UNAVAILABLE'
  | 'AUTHENTICATIONFAILED'
  | 'AUTHORIZATIONFAILED'
  | 'EXPIRED'
  | 'PRIVACYREQUIRED'
  | 'CONTACTADMIN'
  | 'NOPERM'
  | 'INUSE'
  | 'EXPUNGEISSUED'
  | 'CORRUPTION'
  | 'SERVERBUG'
  | 'CLIENTBUG'
  | 'CANNOT'
  | 'LIMIT'
  | 'OVERQUOTA'
  | 'ALREADYEXISTS'
  | 'NONEXISTENT'
  | 'NOTSAVED'
  | 'HASCHILDREN'
  | 'UNKNOWN-CTE';

/** The names {@link SimpleResponseCode} can take, as a set (for parsing). */
export const SIMPLE_RESPONSE_CODES: ReadonlySet<string> = new Set<SimpleResponseCodeName>([
  'ALERT', 'PARSE', 'READ-ONLY', 'READ-WRITE', 'TRYCREATE', 'UIDNOTSTICKY', 'NOMODSEQ', 'CLOSED',
  'COMPRESSIONACTIVE', 'UNAVAILABLE', 'AUTHENTICATIONFAILED', 'AUTHORIZATIONFAILED', 'EXPIRED',
  'PRIVACYREQUIRED', 'CONTACTADMIN', 'NOPERM', 'INUSE', 'EXPUNGEISSUED', 'CORRUPTION', 'SERVERBUG',
  'CLIENTBUG', 'CANNOT', 'LIMIT', 'OVERQUOTA', 'ALREADYEXISTS', 'NONEXISTENT', 'NOTSAVED',
  'HASCHILDREN', 'UNKNOWN-CTE',
]);

/** A response code without data, e.g. `[TRYCREATE]`. */
export interface SimpleResponseCode {
  /** The code name. */
  readonly kind: SimpleResponseCodeName;
}

/** `[CAPABILITY IMAP4rev1 ...]`. */
export interface CapabilityCode {
  /** Discriminant. */
  readonly kind: 'CAPABILITY';
  /** Capability names, upper-cased. */
  readonly capabilities: readonly string[];
}

/** `[BADCHARSET (UTF-8)]`. */
export interface BadCharsetCode {
  /** Discriminant. */
  readonly kind: 'BADCHARSET';
  /** The charsets the server supports (may be empty). */
  readonly charsets: readonly string[];
}

/** `[PERMANENTFLAGS (\Deleted \Seen \*)]`; `\*` means new keywords may be created. */
export interface PermanentFlagsCode {
  /** Discriminant. */
  readonly kind: 'PERMANENTFLAGS';
  /** The flags that can be changed permanently, `\*` included when sent. */
  readonly flags: readonly string[];
}

/**
 * Codes that carry one number: `[UIDNEXT 4]`, `[UIDVALIDITY 3857529045]`, `[UNSEEN 12]`. The value
 * is at least 1 (nz-number): a code that says 0 is an {@link OtherCode}.
 */
export interface NumberCode {
  /** Discriminant. */
  readonly kind: 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN';
  /** The value. */
  readonly value: number;
}

/** `[HIGHESTMODSEQ 715194045007]` (RFC 7162). */
export interface HighestModseqCode {
  /** Discriminant. */
  readonly kind: 'HIGHESTMODSEQ';
  /** The value (64-bit). */
  readonly value: bigint;
}

/** `[MODIFIED 7,9]` (RFC 7162): messages a conditional STORE did not change. */
export interface ModifiedCode {
  /** Discriminant. */
  readonly kind: 'MODIFIED';
  /** The message numbers or UIDs that failed the condition. */
  readonly set: readonly NumberRange[];
}

/** `[APPENDUID 38505 3955]` (RFC 4315). */
export interface AppendUidCode {
  /** Discriminant. */
  readonly kind: 'APPENDUID';
  /** UIDVALIDITY of the destination mailbox (at least 1: a code that says 0 is an {@link OtherCode}). */
  readonly uidValidity: number;
  /** The UIDs assigned (one per appended message; MULTIAPPEND may give a range). */
  readonly uids: readonly NumberRange[];
}

/** `[COPYUID 38505 304,319:320 3956:3958]` (RFC 4315). */
export interface CopyUidCode {
  /** Discriminant. */
  readonly kind: 'COPYUID';
  /** UIDVALIDITY of the destination mailbox (at least 1: a code that says 0 is an {@link OtherCode}). */
  readonly uidValidity: number;
  /** The source UIDs, in the server's order: a range it sent descending (`5:3`) has `start` 5, `end` 3. */
  readonly sourceUids: readonly NumberRange[];
  /** The destination UIDs, in the same order (element by element, the copies of the source UIDs). */
  readonly destinationUids: readonly NumberRange[];
}

/** A code this parser does not know, or a known one whose data could not be read. */
export interface OtherCode {
  /** Discriminant. */
  readonly kind: 'other';
  /** The code name, upper-cased. */
  readonly name: string;
  /** The code's data as sent (empty when none). */
  readonly text: string;
}

/** Every response code. */
export type ResponseCode =
  | SimpleResponseCode
  | CapabilityCode
  | BadCharsetCode
  | PermanentFlagsCode
  | NumberCode
  | HighestModseqCode
  | ModifiedCode
  | AppendUidCode
  | CopyUidCode
  | OtherCode;
