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

/** Asks twice on a terminal (they must match); reads one line when stdin is piped. */
export async function promptNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readLineFromPipe();
  // One interface for every question: lines typed ahead must not be lost between prompts.
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  let prompt = '';
  // Echo the prompt, nothing of what is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (prompt && s.includes(prompt)) process.stderr.write(prompt);
  };
  const ask = (question: string) =>
    new Promise<string>((resolve) => {
      prompt = question;
      rl.question(question, (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  try {
    for (;;) {
      const first = await ask('New password: ');
      const again = await ask('Repeat it: ');
      if (first === again) return first;
      process.stderr.write('The two passwords differ; try again.\n');
    }
  } finally {
    rl.close();
  }
}
