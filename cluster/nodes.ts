/**
 * kwok's usual taint for fake nodes: it keeps real pods off them in a cluster that also has real nodes.
 * The local cluster has none, so its nodes go without it (any manifest runs there); tests that want a
 * node only their own pods reach ask for it with `kwokTaint: true` and tolerate it.
 */
export const KWOK_TAINT = { key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' } as const;
export const KWOK_TOLERATION = { key: KWOK_TAINT.key, operator: 'Exists', effect: 'NoSchedule' } as const;

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface FakeNodeSpec {
  name: string;
  /** Capacity, also used as allocatable: cpu, memory, pods, nvidia.com/gpu or any extended resource. */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Add kwok's taint (default false): only pods with KWOK_TOLERATION land on the node. */
  kwokTaint?: boolean;
}

export const DEFAULT_NODE_CAPACITY = { cpu: '32', memory: '128Gi', pods: '110' };

/** A Node object kwok will manage (it selects nodes by the kwok.x-k8s.io/node=fake annotation). */
export function fakeNode(spec: FakeNodeSpec): Record<string, unknown> {
  const capacity = { ...DEFAULT_NODE_CAPACITY, ...spec.capacity };
  const taints = [...(spec.kwokTaint ? [KWOK_TAINT] : []), ...(spec.taints ?? [])];
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        type: 'kwok',
        ...spec.labels,
      },
    },
    spec: taints.length > 0 ? { taints } : {},
    status: { capacity, allocatable: capacity },
  };
}

/** `count` identical nodes named `${prefix}-0` … */
export function fakeNodes(count: number, template: Omit<FakeNodeSpec, 'name'> = {}, prefix = 'kwok-node') {
  return Array.from({ length: count }, (_, i) => ({ ...template, name: `${prefix}-${i}` }));
}
