// Runs the resource-angle extender standalone against a cluster:
//   npm run extender -- --kubeconfig PATH --config config/scheduler/extender.yaml --port 8888
// Node and pod informers fill its cache; its verbs answer 503 until they have synced. In a pod the
// in-cluster service account is used (see config/scheduler/extender-deployment.yaml).
import { parseArgs } from 'node:util';
import { createClient } from '../../runtime/client';
import { startManager } from '../../runtime/start';
import { type ExtenderConfig, loadConfig, parseConfig } from '../config';
import { setupExtender } from '../extender/runnable';

const USAGE = `usage: extender [--kubeconfig PATH] [--config FILE] [--port N] [--host ADDR]
  --kubeconfig  default: $KUBECONFIG, ~/.kube/config, or in-cluster config
  --config      the extender's YAML config (default: built-in defaults, as config/scheduler/extender.yaml)
  --port        overrides server.port; --host overrides server.host`;

function options(): { config: ExtenderConfig; kubeconfig?: string } {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: 'string' },
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
    },
  });
  const config = values.config ? loadConfig(values.config) : parseConfig('');
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port: invalid port ${values.port}`);
    config.server.port = port;
  }
  if (values.host !== undefined) config.server.host = values.host;
  return { config, kubeconfig: values.kubeconfig };
}

/**
 * bind's writes (the Binding, and the device annotation's own write if configured) share this many
 * connections to the apiserver: concurrent binds otherwise open a TLS connection each (about 50 in a burst
 * of 500 pods). The extender serves no webhook, so no request of its own waits on another.
 */
const API_SOCKETS = 8;

async function main(): Promise<void> {
  const { config, kubeconfig } = options();
  // The extender's own server answers /healthz, /readyz and /metrics, so the manager's is off; scoring
  // writes nothing, so every replica serves and none needs the lease.
  await startManager({
    name: 'angle-extender',
    client: createClient(kubeconfig, { maxSockets: API_SOCKETS }),
    healthAddress: false,
    leaderElection: false,
    controllers: [setupExtender(config)],
  });
}

main().catch((err: Error) => {
  process.stderr.write(`extender: ${err.message}\n${USAGE}\n`);
  process.exit(2);
});
