// Reading a password for the CLI: hidden typing on a terminal, or one line from a pipe.
import readline from 'node:readline';

function readLineFromPipe(): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!done) resolve('');
    });
  });
}

function askHidden(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) process.stderr.write(question);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

/** Asks twice on a terminal (they must match); reads one line when stdin is piped. */
export async function promptNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readLineFromPipe();
  for (;;) {
    const first = await askHidden('New password: ');
    const again = await askHidden('Repeat it: ');
    if (first === again) return first;
    process.stderr.write('The two passwords differ; try again.\n');
  }
}
