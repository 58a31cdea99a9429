import type { LocalCluster } from '../../cluster/cluster';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __outriggerCluster?: LocalCluster };
  await holder.__outriggerCluster?.stop();
  holder.__outriggerCluster = undefined;
}
