/**
 * Replay over a real socket: a loopback server that plays a transcript's server side, for code
 * that opens its own connection.
 *
 * @packageDocumentation
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

import type { MailwireError } from '../common/errors.js';
import { FixtureMismatchError, FixtureUnconsumedError } from './errors.js';
import { checkChunking, checkTranscript } from './replay.js';
import { ReplayScript, type ReplayChunking, type ScriptOutput } from './script.js';
import { TEST_CERT, TEST_KEY } from './test-cert.js';
import type { Transcript } from './transcript.js';

/** Options of {@link startReplayServer}. */
export interface ReplayServerOptions {
  /**
   * Implicit TLS from the first byte, with the bundled test certificate ({@link TEST_CERT}, for
   * `localhost` and `127.0.0.1`): the client must trust {@link ReplayServer.ca}. Default: TLS when the
   * transcript's header says `tls: implicit`.
   */
  readonly tls?: boolean | undefined;
  /**
   * How the server's bytes are split into writes. Default `'recorded'`. TCP may join or split
   * writes again on the way; use `replayConnector` when the chunking itself matters.
   */
  readonly chunking?: ReplayChunking | undefined;
}

/** A running replay server. */
export interface ReplayServer {
  /** The loopback address it listens on: `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on (chosen by the system). */
  readonly port: number;
  /** The PEM certificate to trust (`tlsOptions.ca`), for implicit TLS and for STARTTLS/STLS. */
  readonly ca: string;
  /** The name the certificate is issued for (`tlsOptions.servername`): `localhost`. */
  readonly servername: string;
  /**
   * Resolves when every session of the transcript was played to its end and its connection closed;
   * rejects with the first failure ({@link FixtureMismatchError}, {@link FixtureFormatError}), or
   * with {@link FixtureUnconsumedError} when a connection closed before its session was played to
   * its end.
   */
  done(): Promise<void>;
  /** Throws the first failure, or {@link FixtureUnconsumedError} for the first line not played. */
  assertDone(): void;
  /**
   * Stops listening and ends open connections, then settles like {@link ReplayServer.assertDone}:
   * rejects with the failure or the first line not played.
   */
  close(): Promise<void>;
}

/**
 * Starts a server on `127.0.0.1` (a free port) that replays `transcript` to whoever connects: the
 * n-th connection plays the n-th session. It checks what the client sends as
 * {@link replayConnector} does; on a mismatch it closes the connection (the client sees the
 * connection drop) and the failure is reported by {@link ReplayServer.done} and
 * {@link ReplayServer.close}. A `@tls` step is a real TLS handshake on the connection (STARTTLS/STLS)
 * with the bundled test certificate.
 *
 * @param transcript - the transcript to play.
 * @param options - implicit TLS, chunking.
 * @throws InvalidArgumentError when `transcript` is not a parsed transcript (a Promise, a file name)
 *   or `chunking` is not one of its forms.
 *
 * @example
 * ```ts
 * const server = await startReplayServer(await loadTranscript('fixtures/pop3/login-user.txt'), { tls: true });
 * const client = await Pop3Client.connect({
 *   host: server.host, port: server.port, tls: 'implicit',
 *   tlsOptions: { ca: server.ca, servername: server.servername }, auth,
 * });
 * await client.close();
 * await server.close(); // rejects if the client did not do what the transcript says
 * ```
 */
export async function startReplayServer(transcript: Transcript, options: ReplayServerOptions = {}): Promise<ReplayServer> {
  checkTranscript(transcript, 'startReplayServer');
  const chunking = options.chunking ?? 'recorded';
  checkChunking(chunking);
  const implicitTls = options.tls ?? transcript.header.tls === 'implicit';
  const secureContext = tls.createSecureContext({ key: TEST_KEY, cert: TEST_CERT });
  const scripts: ReplayScript[] = [];
  const sockets = new Set<net.Socket>();
  let failure: MailwireError | undefined;
  let settled = false;
  /** close() ends the open connections: that is not the client ending them early. */
  let stopping = false;
  let resolveDone!: () => void;
  let rejectDone!: (error: MailwireError) => void;
  const donePromise = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  donePromise.catch(() => undefined);

  const fail = (error: MailwireError): void => {
    failure ??= error;
    if (!settled) {
      settled = true;
      rejectDone(error);
    }
  };
  const checkDone = (): void => {
    if (settled || failure !== undefined || sockets.size > 0) return;
    if (scripts.length === transcript.sessions.length && scripts.every((script) => script.finished)) {
      settled = true;
      resolveDone();
    }
  };

  const onConnection = (socket: net.Socket): void => {
    socket.on('error', () => undefined);
    const index = scripts.length;
    if (index >= transcript.sessions.length) {
      // Refused at once, and not tracked: the 'close' handler that would forget it is never added.
      fail(
        new FixtureMismatchError({
          line: transcript.endLine ?? 0,
          expected: `(no further connection: the transcript holds ${transcript.sessions.length})`,
          actual: `connection #${index + 1}`,
          reason: 'the client opened more connections than were recorded',
          file: transcript.file,
        }),
      );
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    let current: net.Socket = socket;
    const onData = (chunk: Buffer): void => {
      script.receive(chunk);
    };
    const output: ScriptOutput = {
      send: (chunk) => {
        if (!current.destroyed) current.write(chunk);
      },
      fail: (error) => {
        fail(error);
        current.destroy();
      },
      serverClose: () => {
        current.end();
      },
      tlsNext: () => {
        // STARTTLS/STLS: the go-ahead was written; the client's next bytes are its ClientHello.
        socket.removeListener('data', onData);
        const secure = new tls.TLSSocket(socket, { isServer: true, secureContext });
        secure.on('error', () => undefined);
        secure.on('data', onData);
        secure.on('end', () => {
          script.clientClosed();
          secure.end();
        });
        current = secure;
        script.tlsStarted();
      },
    };
    const script = new ReplayScript(transcript, index, chunking, output);
    scripts.push(script);
    socket.on('data', onData);
    socket.on('end', () => {
      if (current === socket) {
        script.clientClosed();
        socket.end();
      }
    });
    socket.on('close', () => {
      sockets.delete(socket);
      if (!stopping && failure === undefined) {
        // Closed by the client (also without a FIN first, as after a reset) ...
        script.clientClosed();
        // ... before its session was played to its end: the next connection plays the next session.
        if (!script.finished) {
          const left = script.unconsumed()!;
          fail(new FixtureUnconsumedError(left.line, left.text, transcript.file));
        }
      }
      checkDone();
    });
    script.start();
  };

  const server = implicitTls ? tls.createServer({ key: TEST_KEY, cert: TEST_CERT }, onConnection) : net.createServer(onConnection);
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as net.AddressInfo;

  const assertDone = (): void => {
    if (failure !== undefined) throw failure;
    for (const script of scripts) {
      const left = script.unconsumed();
      if (left !== undefined) throw new FixtureUnconsumedError(left.line, left.text, transcript.file);
    }
    if (scripts.length < transcript.sessions.length) {
      throw new FixtureUnconsumedError(
        transcript.endLine ?? 0,
        `@connect (connection #${scripts.length + 1} was never opened)`,
        transcript.file,
      );
    }
  };

  return {
    host: '127.0.0.1',
    port: address.port,
    ca: TEST_CERT,
    servername: 'localhost',
    done: () => donePromise,
    assertDone,
    close: async () => {
      stopping = true;
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      for (const socket of sockets) socket.destroy();
      await closed;
      try {
        assertDone();
      } catch (error) {
        if (!settled) {
          settled = true;
          rejectDone(error as MailwireError);
        }
        throw error;
      }
      if (!settled) {
        settled = true;
        resolveDone();
      }
    },
  };
}
