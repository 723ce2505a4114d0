/**
 * mailwire's test kit (`mailwire/testing`): record a real IMAP or POP3 session once, then replay it
 * in unit tests without a server.
 *
 * - {@link recordingConnector} wraps a connector and writes the session to a transcript as it
 *   happens (secrets redacted, IMAP tags normalised);
 * - {@link replayConnector} plays a transcript to a client instead of a socket;
 * - {@link startReplayServer} plays it on a loopback port (plain, implicit TLS or STARTTLS) for code
 *   that opens its own connection;
 * - {@link parseTranscript}, {@link loadTranscript}, {@link formatTranscript} read and write the
 *   transcript format (documented on {@link TRANSCRIPT_MAGIC}'s module and in docs/testing.md).
 *
 * @packageDocumentation
 */
export type { Connection, Connector } from '../common/connector.js';
export { defaultConnector } from '../common/connector.js';
export type { TransportHandlers, TransportOptions, TransportTlsOptions } from '../common/transport.js';
export type { WireLogEntry, WireLogger, WirePart } from '../common/wirelog.js';
export { FixtureFormatError, FixtureMismatchError, FixtureUnconsumedError } from './errors.js';
export { recordingConnector, type RecordOptions, type RecordingConnector } from './record.js';
export { replayConnector, type ReplayChunking, type ReplayConnector, type ReplayOptions } from './replay.js';
export { startReplayServer, type ReplayServer, type ReplayServerOptions } from './replay-server.js';
export { TEST_CERT, TEST_KEY } from './test-cert.js';
export {
  REDACTED_TEXT,
  TRANSCRIPT_MAGIC,
  TranscriptFormatter,
  chunkBytes,
  escapeTranscriptBytes,
  eventLine,
  formatTranscript,
  formatTranscriptHeader,
  loadTranscript,
  loadTranscriptSync,
  parseTranscript,
  saveTranscript,
  type ParseTranscriptOptions,
  type Transcript,
  type TranscriptChunk,
  type TranscriptCloseEvent,
  type TranscriptComments,
  type TranscriptDirection,
  type TranscriptEvent,
  type TranscriptHeader,
  type TranscriptPiece,
  type TranscriptProtocol,
  type TranscriptSession,
  type TranscriptTlsEvent,
  type TranscriptTlsMode,
} from './transcript.js';
