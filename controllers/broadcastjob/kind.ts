// BroadcastJob as the workload kit sees it: its API resource and controller reference. Failures are
// reported as Events only (Kruise has no failure condition for BroadcastJob writes).
import type { BroadcastJob } from '../../apis';
import { resourceOf } from '../../apis/install';
import type { OwnerReference } from '../../runtime/meta';
import { controllerRef, type WorkloadKind } from '../workload';

export const BroadcastJobKind: WorkloadKind = { resource: resourceOf('BroadcastJob') };

export function broadcastJobRef(job: BroadcastJob): OwnerReference {
  return controllerRef(job, BroadcastJobKind.resource);
}
