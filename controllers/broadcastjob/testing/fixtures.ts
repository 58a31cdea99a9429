// BroadcastJob, Node and job-pod fixtures for plan tests. Test-only.
import { applyDefaults, type BroadcastJob, type Node, type NodeTaint, type Pod } from '../../../apis';
import { pinnedNode } from '../../../apis/node-fit';
import { newPod } from '../new-pod';
import { type PlanInput, plan } from '../plan';

export const NOW = new Date('2026-01-01T12:00:00Z');
export const secondsAgo = (s: number) =>
  new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

export const KWOK_TOLERATION = { key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' };

/** A defaulted job `warm` in `ns`, restartPolicy Never, tolerating nothing but what `spec` says. */
export function job(spec: Partial<NonNullable<BroadcastJob['spec']>> = {}, status?: BroadcastJob['status']) {
  const { template, ...rest } = spec;
  const raw: BroadcastJob = {
    apiVersion: 'apps.kruise.io/v1alpha1',
    kind: 'BroadcastJob',
    metadata: { name: 'warm', namespace: 'ns', uid: 'job-uid' },
    spec: {
      template: template ?? {
        metadata: { labels: { app: 'warm' } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
      ...rest,
    },
    status,
  };
  return applyDefaults('BroadcastJob', raw) as BroadcastJob;
}

export interface NodeOptions {
  labels?: Record<string, string>;
  taints?: NodeTaint[];
  unschedulable?: boolean;
  allocatable?: Record<string, string>;
}

export function node(name: string, o: NodeOptions = {}): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: { cpu: '4', memory: '8Gi', pods: '110', ...o.allocatable } },
  };
}

export const nodes = (...names: string[]) => names.map((n) => node(n));

export interface JobPodOptions {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Bound by the scheduler (spec.nodeName set); default true unless Pending. */
  bound?: boolean;
  restarts?: number;
  deleting?: boolean;
}

/** The pod the job creates on `nodeName`, in the state asked for. */
export function jobPod(j: BroadcastJob, nodeName: string, o: JobPodOptions = {}): Pod {
  const pod = newPod(j, nodeName);
  const phase = o.phase ?? 'Running';
  pod.metadata.uid = `uid-${pod.metadata.name}`;
  if (o.bound ?? phase !== 'Pending') pod.spec.nodeName = nodeName;
  if (o.deleting) pod.metadata.deletionTimestamp = secondsAgo(1);
  pod.status = {
    phase,
    containerStatuses: [{ name: 'main', restartCount: o.restarts ?? 0 }],
  };
  return pod;
}

/** plan() with nothing else on the nodes unless `podsOnNode` says so. */
export function run(input: Partial<PlanInput> & { job: BroadcastJob }) {
  return plan({ pods: [], nodes: [], podsOnNode: () => [], now: NOW, ...input });
}

export const created = (p: ReturnType<typeof run>) =>
  p.actions.flatMap((a) => (a.type === 'createPod' ? [pinnedNode(a.pod) ?? ''] : []));

export const deleted = (p: ReturnType<typeof run>) =>
  p.actions.flatMap((a) => (a.type === 'deletePod' ? [a.name] : []));
