// Advanced StatefulSet as the workload kit sees it: its API resource, failure conditions, per-pod Events,
// controller reference and what its revisions store.
import type { StatefulSet } from '../../apis';
import { resourceOf } from '../../apis/install';
import { deepEqual } from '../../runtime/json';
import type { OwnerReference } from '../../runtime/meta';
import {
  type Action,
  controllerRef,
  messageOf,
  type Owner,
  ordinalName,
  type PlanEvent,
  type RevisionSource,
  resultEvent,
  templateRevisionSource,
  type WorkloadKind,
} from '../workload';

/**
 * Kruise StatefulPodControl recordPodEvent / recordClaimEvent: `SuccessfulCreate` "create Pod web-0 in
 * StatefulSet web successful", `FailedDelete` "delete Pod … failed error: …", claims likewise. In-place
 * updates use the Events Kruise's ASTS shares with CloneSet.
 */
export function statefulSetEvent(action: Action, owner: Owner, error?: unknown): PlanEvent | undefined {
  const set = owner.metadata?.name ?? '';
  const podEvent = (verb: string, pod: string): PlanEvent =>
    error === undefined
      ? {
          type: 'Normal',
          reason: `Successful${title(verb)}`,
          message: `${verb} Pod ${pod} in StatefulSet ${set} successful`,
        }
      : {
          type: 'Warning',
          reason: `Failed${title(verb)}`,
          message: `${verb} Pod ${pod} in StatefulSet ${set} failed error: ${messageOf(error)}`,
        };
  switch (action.type) {
    case 'createPod':
      return podEvent('create', action.pod.metadata.name ?? '');
    case 'deletePod':
      return podEvent('delete', action.name);
    case 'patchPodMetadata':
      // Only the identity repair is Kruise's UpdateStatefulPod; other metadata writes are silent there.
      return action.reason === 'identity' ? podEvent('update', action.name) : undefined;
    case 'createPVC': {
      const claim = action.pvc.metadata.name;
      const pod = podOfClaim(claim, set);
      return error === undefined
        ? {
            type: 'Normal',
            reason: 'SuccessfulCreate',
            message: `create Claim ${claim} Pod ${pod} in StatefulSet ${set} success`,
          }
        : {
            type: 'Warning',
            reason: 'FailedCreate',
            message: `create Claim ${claim} for Pod ${pod} in StatefulSet ${set} failed error: ${messageOf(error)}`,
          };
    }
    default:
      return resultEvent(action, error);
  }
}

const title = (verb: string) => verb.charAt(0).toUpperCase() + verb.slice(1);

/** `<template>-<set>-<ordinal>` → `<set>-<ordinal>`. */
function podOfClaim(claim: string, set: string): string {
  return ordinalName(set, Number(claim.slice(claim.lastIndexOf('-') + 1)));
}

/** The status counters of pods in progress; no plan reads them back (revisions and conditions it does). */
const PROGRESS_COUNTERS = new Set([
  'replicas',
  'readyReplicas',
  'availableReplicas',
  'currentReplicas',
  'updatedReplicas',
  'updatedReadyReplicas',
  'updatedAvailableReplicas',
]);

/** Every field that differs between the two statuses is a progress counter. */
export function progressOnly(before: unknown, after: unknown): boolean {
  const a = (before ?? {}) as Record<string, unknown>;
  const b = (after ?? {}) as Record<string, unknown>;
  const fields = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...fields].every((f) => PROGRESS_COUNTERS.has(f) || deepEqual(a[f], b[f]));
}

/** Kruise's conditions: FailedCreatePod when scaling fails, FailedUpdatePod when updating does. */
export const StatefulSetKind: WorkloadKind = {
  resource: resourceOf('StatefulSet'),
  failureCondition: (phase) => (phase === 'scale' ? 'FailedCreatePod' : 'FailedUpdatePod'),
  resultEvent: statefulSetEvent,
  progressOnly,
};

export function statefulSetRef(sts: StatefulSet): OwnerReference {
  return controllerRef(sts, StatefulSetKind.resource);
}

export function revisionSource(sts: StatefulSet): RevisionSource {
  return templateRevisionSource(sts, statefulSetRef(sts));
}
