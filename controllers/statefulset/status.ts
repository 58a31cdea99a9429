// Advanced StatefulSet status (Kruise updateStatus, completeRollingUpdate, updatePVCStatus), computed from
// the observed pods and claims only.
import type { StatefulSetStatus } from '../../apis';
import { selectorString } from '../../apis/labels';
import { tryParseQuantity } from '../../apis/quantity';
import { isAtRevision } from '../workload';
import { availability, isRunningAndReady, isTerminating, type StsContext } from './context';
import { ordinalClaims } from './new-pods';

export function computeStatus(ctx: StsContext, collisionCount: number): StatefulSetStatus {
  const current = ctx.currentRevision.metadata.name ?? '';
  const update = ctx.updateRevision.metadata.name ?? '';
  const pods = [...ctx.slots.values(), ...ctx.condemned];
  const status: StatefulSetStatus = {
    observedGeneration: ctx.sts.metadata?.generation,
    replicas: 0,
    readyReplicas: 0,
    availableReplicas: 0,
    currentReplicas: 0,
    updatedReplicas: 0,
    updatedReadyReplicas: 0,
    updatedAvailableReplicas: 0,
    currentRevision: current,
    updateRevision: update,
    collisionCount,
    conditions: [...(ctx.sts.status?.conditions ?? [])],
    labelSelector: selectorString(ctx.sts.spec?.selector),
  };
  for (const pod of pods) {
    // Kruise isCreated: the apiserver has given it a phase.
    if (pod.status?.phase) status.replicas++;
    const atUpdate = isAtRevision(pod, update);
    if (isRunningAndReady(pod)) {
      const available = availability(ctx, pod).available;
      status.readyReplicas++;
      status.availableReplicas += Number(available);
      status.updatedReadyReplicas! += Number(atUpdate);
      status.updatedAvailableReplicas! += Number(atUpdate && available);
    }
    if (pod.status?.phase && !isTerminating(pod)) {
      status.currentReplicas += Number(isAtRevision(pod, current));
      status.updatedReplicas += Number(atUpdate);
    }
  }
  const volumeClaims = claimStatus(ctx, [...ctx.slots.keys()]);
  if (volumeClaims.length > 0) status.volumeClaims = volumeClaims;
  // Kruise completeRollingUpdate: every pod updated and ready, so the update revision is current.
  if (
    ctx.sts.spec?.updateStrategy?.type === 'RollingUpdate' &&
    status.updatedReplicas === status.replicas &&
    status.readyReplicas === status.replicas
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = update;
  }
  return status;
}

/** Bytes of a `storage` quantity, undefined when absent or not a quantity. */
const storageOf = (list: Record<string, unknown> | undefined) => tryParseQuantity(list?.storage);

/**
 * Kruise updatePVCStatus: per claim template, the running ordinals whose claim asks for at least the
 * template's storage (compatible), and of those, the claims whose capacity has caught up (ready).
 */
function claimStatus(ctx: StsContext, ordinals: number[]): NonNullable<StatefulSetStatus['volumeClaims']> {
  const templates = ctx.sts.spec?.volumeClaimTemplates ?? [];
  if (templates.length === 0) return [];
  const claimsOf = new Map(ordinals.map((o) => [o, ordinalClaims(ctx.sts, o)]));
  return templates.map((template, i) => {
    const wanted = storageOf(template.spec?.resources?.requests);
    let compatibleReplicas = 0;
    let compatibleReadyReplicas = 0;
    for (const ordinal of ordinals) {
      const claim = ctx.claim(claimsOf.get(ordinal)?.[i]?.metadata.name ?? '');
      const requested = storageOf(claim?.spec?.resources?.requests);
      if (wanted === undefined || requested === undefined || requested < wanted) continue;
      compatibleReplicas++;
      const capacity = storageOf(
        (claim as { status?: { capacity?: Record<string, unknown> } }).status?.capacity,
      );
      if (capacity !== undefined && capacity >= requested) compatibleReadyReplicas++;
    }
    return { volumeClaimName: template.metadata?.name ?? '', compatibleReplicas, compatibleReadyReplicas };
  });
}
