// ImapMailbox.close() called again while the first close runs: both settle only once LOGOUT is done.
import { afterEach, describe, expect, it } from 'vitest';
import { ImapMailbox } from '../../src/imap/mailbox.js';
import { login, selectInbox } from './imap/fake-server.js';
import { C, S, startFakeServer, until, waitEnd, type FakeServer } from '../helpers/scripted-server.js';

const servers: FakeServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

describe('ImapMailbox.close()', () => {
  it('called twice at once: the second call waits for the first one\'s LOGOUT', async () => {
    const state = { secondSettled: false }; // set once the second call had its chance to settle early
    const server = await startFakeServer([
      ...login(),
      ...selectInbox('A2', 1),
      C('A3 LOGOUT'),
      // LOGOUT stays unanswered until the test has seen whether the second close() settled.
      until(() => state.secondSettled),
      S('* BYE', 'A3 OK bye'),
      waitEnd(),
    ]);
    servers.push(server);
    const mailbox = await ImapMailbox.open({
      client: { host: '127.0.0.1', port: server.port, tls: 'none', allowCleartext: true, auth: { username: 'alice', password: 'secret', method: 'LOGIN' } },
    });
    const order: string[] = [];
    const first = mailbox.close().then((result) => {
      order.push('first');
      return result;
    });
    const second = mailbox.close().then((result) => {
      order.push('second');
      return result;
    });
    // Lets a second close() that does not wait settle before LOGOUT is answered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    state.secondSettled = true;
    expect(await second).toEqual(await first);
    expect(order).toEqual(['first', 'second']);
    await server.done;
  });
});
