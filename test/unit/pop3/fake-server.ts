/**
 * The scripted fake server (test/helpers/scripted-server.ts) with POP3's usual session start.
 */
export * from '../../helpers/scripted-server.js';
import { C, S, type Step } from '../../helpers/scripted-server.js';

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
