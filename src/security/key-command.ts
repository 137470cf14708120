/**
 * `lessllm key new [--name NAME]` makes a gateway key and prints the key-file entry holding only its hash;
 * `lessllm key hash [KEY]` prints the SHA-256 of an existing key, read from stdin when not given, so the
 * key does not land in the shell history.
 */
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateKey, hashKey, minimumKeyLength } from './key-material.ts';

export type KeyCommandIo = {
  write(text: string): void;
  writeError(text: string): void;
  /** The first line of standard input (without its line break), or everything up to the end. */
  readLine(): Promise<string>;
};

const usage = `usage: lessllm key <command>

commands:
  new [--name NAME]   make a new gateway key; prints it once, and the key-file entry with its hash
  hash [KEY]          print the SHA-256 of a key for key_sha256 (reads the key from stdin when omitted)
`;

export async function runKeyCommand(argv: string[], io: KeyCommandIo = processIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { name: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    io.writeError(`lessllm key: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.write(usage);
    return 0;
  }
  const command = positionals[0];
  if (command === 'new' && positionals.length === 1) return newKey(values.name ?? 'new-key', io);
  if (command === 'hash' && positionals.length <= 2 && values.name === undefined) {
    // Headers arrive trimmed, so a key with surrounding spaces could never be presented as written.
    return printHash((positionals[1] ?? (await io.readLine())).trim(), io);
  }
  io.writeError(`lessllm key: ${command === undefined ? 'missing command' : `unexpected arguments: ${argv.join(' ')}`}\n\n${usage}`);
  return 2;
}

function newKey(name: string, io: KeyCommandIo): number {
  if (name.trim() === '') {
    io.writeError('lessllm key: --name must not be empty\n');
    return 2;
  }
  const key = generateKey();
  const entry = stringify([{ name, key_sha256: hashKey(key) }]);
  io.write(
    `${key}\n\n` +
      `Give this key to its user now: lessllm keeps only its hash and cannot show it again.\n` +
      `Add this entry under \`keys:\` in the key file (auth.key_file):\n\n` +
      indent(entry),
  );
  return 0;
}

function printHash(key: string, io: KeyCommandIo): number {
  if (key.length < minimumKeyLength) {
    io.writeError(`lessllm key: the key is ${key.length} characters long; a gateway key needs at least ${minimumKeyLength} (make one with: lessllm key new)\n`);
    return 1;
  }
  io.write(`${hashKey(key)}\n`);
  return 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line === '' ? line : `  ${line}`))
    .join('\n');
}

const processIo: KeyCommandIo = {
  write: (text) => void process.stdout.write(text),
  writeError: (text) => void process.stderr.write(text),
  async readLine() {
    if (process.stdin.isTTY) process.stderr.write('key: ');
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of process.stdin) {
      text += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.includes('\n')) break;
    }
    return text.split('\n')[0];
  },
};
