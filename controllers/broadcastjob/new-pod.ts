// The pod a BroadcastJob runs on one node: its template, the job's two labels, a name derived from the
// job and the node, and a required node affinity that admits only that node, so kube-scheduler binds it
// there (Kruise's default --assign-bcj-pods-by-scheduler, like a DaemonSet).
import {
  type BroadcastJob,
  BroadcastJobControllerUidLabel,
  BroadcastJobNameLabel,
  type Pod,
  type PodSpec,
} from '../../apis';
import { pinToNode } from '../../apis/node-fit';
import { keyedPodName } from '../workload';
import { broadcastJobRef } from './kind';

/** broadcastjob-name and broadcastjob-controller-uid: how users and the job find its pods. */
export function jobLabels(job: BroadcastJob): Record<string, string> {
  return {
    [BroadcastJobNameLabel]: job.metadata?.name ?? '',
    [BroadcastJobControllerUidLabel]: job.metadata?.uid ?? '',
  };
}

export function podNameFor(job: BroadcastJob, node: string): string {
  return keyedPodName(job.metadata ?? {}, node);
}

export function newPod(job: BroadcastJob, node: string): Pod {
  const template = job.spec!.template;
  const spec: PodSpec = structuredClone(template.spec);
  spec.affinity = pinToNode(spec.affinity, node);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: podNameFor(job, node),
      namespace: job.metadata?.namespace,
      labels: { ...template.metadata?.labels, ...jobLabels(job) },
      ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ...(template.metadata?.finalizers ? { finalizers: [...template.metadata.finalizers] } : {}),
      ownerReferences: [broadcastJobRef(job)],
    },
    spec,
  };
}
