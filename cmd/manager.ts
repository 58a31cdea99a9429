// The Outrigger operator process: connects to the cluster, serves /healthz, /readyz and /metrics, logs
// JSON, and runs the controllers on the elected leader. Controllers, webhooks and the extender plug in here.
import { parseArgs } from 'node:util';
import { CONTROLLER_NAMES, type ControllerSelection, selectControllers } from '../controllers/catalog';
import { setupNoControllerReporter } from '../controllers/no-controller';
import { defaultIdentity } from '../runtime/leaderelection';
import type { Manager } from '../runtime/manager';
import { startManager } from '../runtime/start';
import { configAt as extenderConfigAt } from '../scheduler/config';
import { setupExtender } from '../scheduler/extender/runnable';
import {
  endpointOfUrl,
  OPERATOR_NAMESPACE,
  WEBHOOK_PORT,
  type WebhookEndpoint,
  webhookSummary,
} from '../webhooks/configurations';
import { operatorWebhooks } from '../webhooks/setup';

const USAGE = `usage: manager [--controllers LIST] [--kubeconfig PATH] [--health-addr HOST:PORT] [--leader-elect=true|false]
                [--leader-election-namespace NS] [--leader-election-id NAME]
  --controllers                which controllers run (default *): * for all, a name to run one, -name to
                               switch one off, e.g. *,-sidecarset. Names: ${CONTROLLER_NAMES.join(', ')}.
                               Objects of a kind whose controller is off get a NoController Event
  --kubeconfig                 default: $KUBECONFIG, ~/.kube/config, or in-cluster config
  --health-addr                /healthz, /readyz, /metrics (default 127.0.0.1:8081; 0.0.0.0:8081 in a pod)
  --leader-elect               run controllers only on the Lease holder (default true)
  --leader-election-namespace  default: $POD_NAMESPACE, else kube-system
  --leader-election-id         the Lease name (default outrigger-manager)
  --webhook                    off | local | cluster (default: cluster in a pod, else off). 'local' registers
                               https://127.0.0.1:<port> webhook configurations and removes them on exit;
                               'cluster' serves the configurations in config/webhook and keeps their caBundle
  --webhook-port               default 9443; 0 picks a free port (local only)
  --webhook-host               the address to serve on (default: 0.0.0.0 in cluster mode, 127.0.0.1 local)
  --webhook-service-url        cluster mode: https://HOST[:PORT] where the apiserver reaches the replicas,
                               when not through the Service (sets the CRDs' conversion URL and adds HOST to
                               the certificate; the webhook configurations must use the same URL)
  --namespace                  the operator's namespace, for the certificate Secret (default: $POD_NAMESPACE,
                               else ${OPERATOR_NAMESPACE})
  --extender-addr              serve the resource-angle scheduler extender at HOST:PORT (default: off)
  --extender-config            its YAML config (default: the built-in one, as config/scheduler/extender.yaml)`;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      controllers: { type: 'string', default: '*' },
      kubeconfig: { type: 'string' },
      'health-addr': { type: 'string', default: '127.0.0.1:8081' },
      'leader-elect': { type: 'string', default: 'true' },
      'leader-election-namespace': { type: 'string', default: process.env.POD_NAMESPACE ?? 'kube-system' },
      'leader-election-id': { type: 'string', default: 'outrigger-manager' },
      webhook: { type: 'string', default: process.env.KUBERNETES_SERVICE_HOST ? 'cluster' : 'off' },
      'webhook-port': { type: 'string', default: String(WEBHOOK_PORT) },
      'webhook-host': { type: 'string' },
      'webhook-service-url': { type: 'string' },
      namespace: { type: 'string', default: process.env.POD_NAMESPACE ?? OPERATOR_NAMESPACE },
      'extender-addr': { type: 'string' },
      'extender-config': { type: 'string' },
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
  if (!['off', 'local', 'cluster'].includes(values.webhook)) {
    throw new Error(`--webhook must be off, local or cluster, got "${values.webhook}"`);
  }
  const port = Number(values['webhook-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--webhook-port must be a port number, got "${values['webhook-port']}"`);
  }
  const serviceUrl = values['webhook-service-url'];
  if (serviceUrl !== undefined && values.webhook !== 'cluster') {
    throw new Error('--webhook-service-url needs --webhook=cluster');
  }
  return {
    ...values,
    selection: selectControllers(values.controllers),
    webhookMode: values.webhook as 'off' | 'local' | 'cluster',
    webhookPort: port,
    webhookEndpoint: serviceUrl === undefined ? undefined : flagEndpoint(serviceUrl),
  };
}

function flagEndpoint(url: string): WebhookEndpoint {
  try {
    return endpointOfUrl(url);
  } catch (err) {
    throw new Error(`--webhook-service-url: ${(err as Error).message}`);
  }
}

/** Admission webhooks for our CRs and the pod injector, served on every replica (no leader needed). */
function setupWebhooks(
  mode: 'local' | 'cluster',
  host: string | undefined,
  port: number,
  namespace: string,
  clusterEndpoint: WebhookEndpoint | undefined,
) {
  return (mgr: Manager) => {
    const webhooks = operatorWebhooks(mgr, {
      mode,
      namespace,
      host: host ?? (mode === 'local' ? '127.0.0.1' : '0.0.0.0'),
      port,
      clusterEndpoint,
    });
    mgr.add(webhooks);
    mgr.addReadyCheck('webhooks', () => webhooks.ready());
  };
}

/** The controllers chosen by --controllers, and a reporter for each kind whose controller is off. */
function setupControllers(selection: ControllerSelection, flag: string, namespace: string) {
  return (mgr: Manager) => {
    for (const entry of selection.enabled) entry.setup(mgr, { namespace });
    for (const entry of selection.disabled) {
      setupNoControllerReporter(mgr, entry, `switched off: --controllers=${flag}`);
    }
  };
}

/** One log line saying what this process runs. */
function logWhatRuns(options: ReturnType<typeof parseOptions>) {
  return (mgr: Manager) => {
    const names = (entries: { name: string }[]) => entries.map((e) => e.name);
    mgr.logger.info(
      {
        controllers: names(options.selection.enabled),
        switchedOff: names(options.selection.disabled),
        webhooks: options.webhookMode === 'off' ? [] : webhookSummary(),
        extender: options['extender-addr'] ?? 'off',
      },
      'what runs',
    );
  };
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
            identity: defaultIdentity(),
          }
        : false,
    controllers: [
      logWhatRuns(options),
      setupControllers(options.selection, options.controllers, options.namespace),
      ...(options.webhookMode === 'off'
        ? []
        : [
            setupWebhooks(
              options.webhookMode,
              options['webhook-host'],
              options.webhookPort,
              options.namespace,
              options.webhookEndpoint,
            ),
          ]),
      ...(options['extender-addr']
        ? [setupExtender(extenderConfigAt(options['extender-addr'], options['extender-config']))]
        : []),
    ],
  });
}

main().catch((err: Error) => {
  process.stderr.write(`manager: ${err.message}\n${USAGE}\n`);
  process.exit(1);
});
