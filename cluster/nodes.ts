/** The taint kwok's fake nodes carry, so only pods that tolerate it land there. */
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
  /** Extra taints besides the kwok taint. */
  taints?: Taint[];
  /** Set false to leave off the kwok taint, so pods without the toleration can land too. */
  kwokTaint?: boolean;
}

export const DEFAULT_NODE_CAPACITY = { cpu: '32', memory: '128Gi', pods: '110' };

/** A Node object kwok will manage (it selects nodes by the kwok.x-k8s.io/node=fake annotation). */
export function fakeNode(spec: FakeNodeSpec): Record<string, unknown> {
  const capacity = { ...DEFAULT_NODE_CAPACITY, ...spec.capacity };
  const taints = [...(spec.kwokTaint === false ? [] : [KWOK_TAINT]), ...(spec.taints ?? [])];
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
