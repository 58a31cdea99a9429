// kubectl-outrigger: the `kubectl outrigger` plugin (kubectl runs any `kubectl-<name>` on the PATH).
// The commands live in kubectl/; this only connects them to the process.
import { main } from '../kubectl/cli';

main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  tty: Boolean(process.stdout.isTTY),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
