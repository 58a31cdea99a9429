// Fake nodes a test file creates for itself: each pool has its own label and taint, so only pods that ask
// for the pool land there, and the file's nodes are deleted after its tests.
import { randomBytes } from 'node:crypto';
import { fakeNode, KWOK_TOLERATION, type Taint } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { type KubeObject, Nodes } from '../../runtime/meta';
import { e2eClient } from './e2e';

export const POOL_KEY = 'outrigger.io/pool';
const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

export interface PoolNodeSpec {
  /** Short name; the node is called `<pool>-<name>`. */
  name: string;
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  /** Taints besides the kwok and pool taints. */
  taints?: Taint[];
}

export interface NodePool {
  pool: string;
  /** nodeSelector and tolerations that send a pod to this pool (kwok and pool taints tolerated). */
  placement: {
    nodeSelector: Record<string, string>;
    tolerations: { key?: string; operator: string; value?: string; effect?: string }[];
  };
  nodeName(name: string): string;
  /** Adds nodes to the pool and waits until they take pods (Ready, not-ready taint lifted); returns their full names. */
  add(nodes: PoolNodeSpec[]): Promise<string[]>;
}

type NodeObject = KubeObject & {
  spec?: { taints?: Taint[] };
  status?: { conditions?: { type: string; status: string }[] };
};

export const nodes = () => e2eClient().resource<NodeObject>(Nodes);

/** Call in a describe block: `nodePool(...)` creates a pool; every node created is deleted after all tests. */
export function useNodePools(): { nodePool(nodes: PoolNodeSpec[]): Promise<NodePool> } {
  const created: string[] = [];
  afterAll(async () => {
    await Promise.all(created.map((name) => nodes().delete({ name })));
  });

  async function nodePool(initial: PoolNodeSpec[]): Promise<NodePool> {
    const pool = `pool-${randomBytes(3).toString('hex')}`;
    const nodeName = (name: string) => `${pool}-${name}`;
    const add = async (specs: PoolNodeSpec[]) => {
      const names = specs.map((n) => nodeName(n.name));
      for (const n of specs) {
        const node = fakeNode({
          name: nodeName(n.name),
          capacity: n.capacity,
          labels: { [POOL_KEY]: pool, ...n.labels },
          kwokTaint: true,
          taints: [{ key: POOL_KEY, value: pool, effect: 'NoSchedule' }, ...(n.taints ?? [])],
        });
        await nodes().create(node as KubeObject);
        created.push(nodeName(n.name));
      }
      // Ready, and without the not-ready taint the apiserver puts on new nodes: kube-controller-manager
      // lifts it some seconds after Ready, node by node, and until then the node takes no pods.
      await waitFor(`the ${pool} nodes ${names.join(', ')} to be Ready and untainted`, async () => {
        const ready = await Promise.all(
          names.map(async (name) => {
            const node = await nodes().get({ name });
            return (
              node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
              !node.spec?.taints?.some((t) => t.key === NOT_READY_TAINT)
            );
          }),
        );
        return ready.every(Boolean);
      });
      return names;
    };
    await add(initial);
    const placement = {
      nodeSelector: { [POOL_KEY]: pool },
      tolerations: [KWOK_TOLERATION, { key: POOL_KEY, operator: 'Equal', value: pool, effect: 'NoSchedule' }],
    };
    return { pool, placement, nodeName, add };
  }

  return { nodePool };
}

/** Removes the node's taints with this key (the others stay), guarded by its resourceVersion. */
export async function removeTaint(name: string, key: string): Promise<void> {
  const node = await nodes().get({ name });
  const taints = (node.spec?.taints ?? []).filter((t) => t.key !== key);
  await nodes().patch(
    { name },
    { metadata: { resourceVersion: node.metadata?.resourceVersion }, spec: { taints } },
    { type: 'merge' },
  );
}
