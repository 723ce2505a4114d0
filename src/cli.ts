#!/usr/bin/env node
/**
 * The `mailwire` command (the package's `bin`): `mailwire demo [--url URL]`.
 *
 * @packageDocumentation
 */
import { demoMain, DEMO_USAGE } from './demo/main.js';

/**
 * Runs the command line.
 *
 * @param argv - the arguments after the program name.
 * @returns the exit code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const io = {
    stdout: (text: string) => process.stdout.write(text),
    stderr: (text: string) => process.stderr.write(text),
    env: process.env,
  };
  const [command, ...rest] = argv;
  if (command === 'demo') return demoMain(rest, io);
  if (command === undefined || command === '--help' || command === '-h') {
    io.stdout(`Usage: mailwire demo [--url URL]...\n\n${DEMO_USAGE}`);
    return command === undefined ? 2 : 0;
  }
  io.stderr(`Unknown command ${JSON.stringify(command)}\n\n${DEMO_USAGE}`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
