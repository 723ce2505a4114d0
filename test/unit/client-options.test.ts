import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import type { CallOptions, ClientOptions } from '../../src/common/options.js';
import { Transport, type TransportHandlers } from '../../src/common/transport.js';
import { ImapClient } from '../../src/imap/client.js';
import { Pop3Client } from '../../src/pop3/client.js';
import { C, S, startFakeServer, type FakeServer } from '../helpers/scripted-server.js';
import { login as imapLogin } from './imap/fake-server.js';
import { login as pop3Login } from './pop3/fake-server.js';

/** An option a JavaScript caller got wrong (the types would have refused it), and the option's name in the message. */
interface BadOption {
  readonly name: string;
  readonly options: Record<string, unknown>;
}

/** Options with a fixed type, each given a value of another type (as from plain JavaScript). */
const BAD_CLIENT_OPTIONS: readonly BadOption[] = [
  { name: 'signal', options: { signal: {} } },
  { name: 'signal', options: { signal: new AbortController() } },
  { name: 'signal', options: { signal: 'abort' } },
  { name: 'tls', options: { tls: 'yes' } },
  { name: 'tls', options: { tls: true } },
  { name: 'tls', options: { tls: {} } },
  { name: 'allowCleartext', options: { allowCleartext: 'yes' } },
  { name: 'keepAlive', options: { keepAlive: 'yes' } },
  { name: 'keepAlive', options: { keepAlive: -1 } },
  { name: 'logger', options: { logger: {} } },
  { name: 'logger', options: { logger: 'console' } },
  { name: 'tlsOptions', options: { tlsOptions: 'insecure' } },
  { name: 'tlsOptions', options: { tlsOptions: true } },
  { name: 'connectTimeout', options: { connectTimeout: '5000' } },
  { name: 'connectTimeout', options: { connectTimeout: 0 } },
  { name: 'greetingTimeout', options: { greetingTimeout: '5000' } },
  { name: 'greetingTimeout', options: { greetingTimeout: Number.NaN } },
  { name: 'commandTimeout', options: { commandTimeout: '5000' } },
  { name: 'commandTimeout', options: { commandTimeout: 2 ** 31 } },
  { name: 'connector', options: { connector: {} } },
];

function refusal(make: () => unknown): unknown {
  try {
    make();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('client options from JavaScript callers', () => {
  for (const [protocol, make] of [
    ['ImapClient', (options: ClientOptions) => new ImapClient(options)],
    ['Pop3Client', (options: ClientOptions) => new Pop3Client(options)],
  ] as const) {
    for (const bad of BAD_CLIENT_OPTIONS) {
      it(`${protocol} refuses ${bad.name}: ${inspect(bad.options[bad.name], { depth: 0 })} when constructed`, () => {
        const error = refusal(() => make({ host: '127.0.0.1', port: 1143, ...bad.options }));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message).toMatch(new RegExp(`^${bad.name}\\b`));
      });
    }

    it(`${protocol} accepts well-typed options`, () => {
      const options: ClientOptions = {
        host: '127.0.0.1',
        port: 1143,
        tls: 'starttls',
        allowCleartext: false,
        signal: new AbortController().signal,
        keepAlive: 5_000,
        logger: () => undefined,
        tlsOptions: { rejectUnauthorized: true },
        connectTimeout: 1_000,
        greetingTimeout: 1_000,
        commandTimeout: 1_000,
        connector: () => Promise.reject(new Error('not used')),
      };
      expect(() => make(options)).not.toThrow();
      expect(() => make({ host: '127.0.0.1', keepAlive: false, signal: AbortSignal.timeout(1_000) })).not.toThrow();
    });
  }
});

describe('Transport options from JavaScript callers', () => {
  const handlers: TransportHandlers = { onData: () => undefined, onClose: () => undefined };
  const BAD_TRANSPORT_OPTIONS: readonly BadOption[] = [
    { name: 'tls', options: { tls: 'yes' } },
    { name: 'tls', options: { tls: 'implicit' } },
    { name: 'tls', options: { tls: {} } },
    { name: 'signal', options: { signal: {} } },
    { name: 'signal', options: { signal: new AbortController() } },
    { name: 'keepAlive', options: { keepAlive: 'yes' } },
    { name: 'logger', options: { logger: {} } },
    { name: 'tlsOptions', options: { tlsOptions: 'insecure' } },
    { name: 'connectTimeout', options: { connectTimeout: '5000' } },
  ];
  for (const bad of BAD_TRANSPORT_OPTIONS) {
    it(`connect() refuses ${bad.name}: ${inspect(bad.options[bad.name], { depth: 0 })} before opening a socket`, async () => {
      // Port 9 (discard) on the loopback: nothing listens there, so only the check can answer.
      const error = await Transport.connect({ host: '127.0.0.1', port: 9, ...bad.options }, handlers).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`^${bad.name}\\b`));
    });
  }
});

describe('call options from JavaScript callers', () => {
  const BAD_CALL_OPTIONS: readonly BadOption[] = [
    { name: 'signal', options: { signal: {} } },
    { name: 'signal', options: { signal: new AbortController() } },
    { name: 'timeout', options: { timeout: '50' } },
    { name: 'timeout', options: { timeout: -1 } },
    { name: 'timeout', options: { timeout: 2 ** 31 } },
  ];
  const servers: FakeServer[] = [];
  const made: { destroy(): void }[] = [];
  afterEach(async () => {
    for (const client of made.splice(0)) client.destroy();
    for (const server of servers.splice(0)) await server.close();
  });

  it('ImapClient refuses them before the command is queued: nothing is sent', async () => {
    const server = await startFakeServer([...imapLogin(), C('A2 NOOP'), S('A2 OK done')]);
    servers.push(server);
    const client = new ImapClient({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, auth: { username: 'alice', password: 'secret', method: 'LOGIN' } });
    made.push(client);
    await client.connect();
    for (const bad of BAD_CALL_OPTIONS) {
      const error = await Promise.resolve()
        .then(() => client.noop(bad.options as CallOptions))
        .catch((e: unknown) => e);
      expect(error, bad.name).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`^${bad.name}\\b`));
    }
    await client.noop();
    await server.done;
  });

  it('Pop3Client refuses them before the command is queued: a DELE is neither sent nor marked', async () => {
    const server = await startFakeServer([...pop3Login({ capa: ['USER'], count: 2 }), C('NOOP'), S('+OK')]);
    servers.push(server);
    const client = new Pop3Client({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, auth: { username: 'alice', password: 'secret pass', method: 'USER' } });
    made.push(client);
    await client.connect();
    for (const bad of BAD_CALL_OPTIONS) {
      const error = await client.delete(1, bad.options as CallOptions).catch((e: unknown) => e);
      expect(error, bad.name).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`^${bad.name}\\b`));
      const retrieved = await client.retrieveMany([1], bad.options as CallOptions).next().catch((e: unknown) => e);
      expect(retrieved, bad.name).toBeInstanceOf(InvalidArgumentError);
    }
    expect(client.markedDeleted).toEqual([]);
    await client.noop();
    await server.done;
  });
});

describe('limits from JavaScript callers', () => {
  const cases: readonly (readonly [string, () => unknown, string])[] = [
    ['Pop3Client', () => new Pop3Client({ host: '127.0.0.1', limits: 5 } as unknown as ClientOptions), 'limits'],
    ['Pop3Client', () => new Pop3Client({ host: '127.0.0.1', limits: { pipelineDepth: Number.NaN } }), 'limits.pipelineDepth'],
    ['Pop3Client', () => new Pop3Client({ host: '127.0.0.1', limits: { pipelineDepth: 2.5 } }), 'limits.pipelineDepth'],
    ['Pop3Client', () => new Pop3Client({ host: '127.0.0.1', limits: { bodyHighWaterMark: '1mb' } } as unknown as ClientOptions), 'limits.bodyHighWaterMark'],
    ['ImapClient', () => new ImapClient({ host: '127.0.0.1', limits: 'none' } as unknown as ClientOptions), 'limits'],
    ['ImapClient', () => new ImapClient({ host: '127.0.0.1', limits: { bodyHighWaterMark: '1mb' } } as unknown as ClientOptions), 'limits.bodyHighWaterMark'],
    ['ImapClient', () => new ImapClient({ host: '127.0.0.1', limits: { maxFetchBuffer: -1 } }), 'limits.maxFetchBuffer'],
  ];
  for (const [protocol, make, name] of cases) {
    it(`${protocol} refuses a bad ${name}`, () => {
      const error = refusal(make);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(new RegExp(`^${name.replace('.', '\\.')}\\b`));
    });
  }
});
