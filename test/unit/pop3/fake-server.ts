/**
 * The scripted fake server (test/helpers/scripted-server.ts) with POP3's usual session start.
 */
export * from '../../helpers/scripted-server.js';
import { afterEach } from 'vitest';
import { Pop3Client, type Pop3ClientOptions } from '../../../src/pop3/client.js';
import { C, S, startFakeServer, type FakeServer, type Step } from '../../helpers/scripted-server.js';

/** The usual start of a session: greeting, CAPA, USER/PASS, CAPA, STAT. */
export function login(options: { capa: string[]; count?: number; greeting?: string }): Step[] {
  const capa = ['+OK', ...options.capa, '.'];
  return [
    S(options.greeting ?? '+OK POP3 ready <1896.697170952@dbc.mtview.ca.us>'),
    C('CAPA'),
    S(...capa),
    C('USER alice'),
    S('+OK'),
    C('PASS secret pass'),
    S('+OK logged in'),
    C('CAPA'),
    S(...capa),
    C('STAT'),
    S(`+OK ${options.count ?? 3} 1000`),
  ];
}

/** What the POP3 unit tests share: fake servers and clients that are torn down after each test. */
export interface Pop3Harness {
  /** Starts a scripted server, closed after the test. */
  readonly serve: (script: Step[]) => Promise<FakeServer>;
  /** A client of a server (cleartext allowed, not connected yet), destroyed after the test. */
  readonly client: (server: FakeServer, extra?: Partial<Pop3ClientOptions>) => Pop3Client;
}

/** Registers the teardown (an `afterEach`) and returns the helpers. Call it at a test file's top. */
export function usePop3Harness(): Pop3Harness {
  const servers: FakeServer[] = [];
  const clients: Pop3Client[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    for (const server of servers.splice(0)) await server.close();
  });
  return {
    serve: async (script) => {
      const server = await startFakeServer(script);
      servers.push(server);
      return server;
    },
    client: (server, extra = {}) => {
      const client = new Pop3Client({ host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, ...extra });
      clients.push(client);
      return client;
    },
  };
}
