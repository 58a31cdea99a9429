// The Outrigger operator process: connects to the cluster, serves /healthz, /readyz and /metrics, logs
// JSON, and runs the controllers on the elected leader. Controllers, webhooks and the extender plug in here.
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { startManager } from '../runtime/start';

const USAGE = `usage: manager [--kubeconfig PATH] [--health-addr HOST:PORT] [--leader-elect=true|false]
                [--leader-election-namespace NS] [--leader-election-id NAME]
  --kubeconfig                 default: $KUBECONFIG, ~/.kube/config, or in-cluster config
  --health-addr                /healthz, /readyz, /metrics (default 127.0.0.1:8081; 0.0.0.0:8081 in a pod)
  --leader-elect               run controllers only on the Lease holder (default true)
  --leader-election-namespace  default: $POD_NAMESPACE, else kube-system
  --leader-election-id         the Lease name (default outrigger-manager)`;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      'health-addr': { type: 'string', default: '127.0.0.1:8081' },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string', default: process.env.POD_NAMESPACE ?? 'kube-system' },
      'leader-election-id': { type: 'string', default: 'outrigger-manager' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values['leader-elect'] !== 'true' && values['leader-elect'] !== 'false') {
    throw new Error(`--leader-elect must be true or false, got "${values['leader-elect']}"`);
  }
  return values;
}

/**
 * Under `npm start` the manager runs in its own process group (so Ctrl-C reaches it once, from
 * start.ts); this stops it should start.ts die without stopping it.
 */
function abortWhenParentExits(): AbortSignal | undefined {
  if (process.env.OUTRIGGER_EXIT_WITH_PARENT !== '1') return undefined;
  const parent = process.ppid;
  const controller = new AbortController();
  const timer = setInterval(() => {
    if (process.ppid !== parent) controller.abort();
  }, 1000);
  timer.unref();
  return controller.signal;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await startManager({
    signal: abortWhenParentExits(),
    name: 'outrigger-manager',
    kubeconfig: options.kubeconfig,
    healthAddress: options['health-addr'],
    leaderElection:
      options['leader-elect'] === 'true'
        ? {
            leaseName: options['leader-election-id'],
            namespace: options['leader-election-namespace'],
            identity: `${os.hostname()}_${process.pid}`,
          }
        : false,
    controllers: [],
  });
}

main().catch((err: Error) => {
  process.stderr.write(`manager: ${err.message}\n${USAGE}\n`);
  process.exit(1);
});
