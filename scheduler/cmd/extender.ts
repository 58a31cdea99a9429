// Runs the resource-angle extender standalone: npm run extender -- --config config/scheduler/extender.yaml --port 8888
// Without informers the cache starts empty; --nodes FILE preloads a NodeList (JSON or YAML) for trials.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parse } from 'yaml';
import { type ExtenderConfig, loadConfig, parseConfig } from '../config';
import { Extender } from '../extender/extender';
import { createExtenderServer } from '../extender/server';
import { MemoryClusterState } from '../extender/state';
import type { Node } from '../types';

function options(): { config: ExtenderConfig; nodes?: string } {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      nodes: { type: 'string' },
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
  return { config, nodes: values.nodes };
}

function main(): void {
  const logger = pino({ name: 'angle-extender' });
  const { config, nodes } = options();
  const state = new MemoryClusterState(
    config.dimensions.map((d) => d.name),
    config.assumeTtlSeconds * 1000,
  );
  if (nodes) {
    const list = parse(readFileSync(nodes, 'utf8')) as { items?: Node[] };
    for (const n of list.items ?? []) state.upsertNode(n);
    logger.info({ nodes: state.nodeCount }, 'preloaded nodes');
  }
  const server = createExtenderServer(new Extender(config, state), { ...config.server, logger });
  server.listen(config.server.port, config.server.host, () => {
    logger.info(
      { ...config.server, policy: config.policy, dimensions: config.dimensions },
      'extender listening',
    );
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

try {
  main();
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
