// Advanced StatefulSet as the workload kit sees it: its API resource, failure conditions, controller
// reference and what its revisions store.
import type { StatefulSet } from '../../apis';
import { resourceOf } from '../../apis/install';
import type { OwnerReference } from '../../runtime/meta';
import { controllerRef, type RevisionSource, templateRevisionSource, type WorkloadKind } from '../workload';

/** Kruise's conditions: FailedCreatePod when scaling fails, FailedUpdatePod when updating does. */
export const StatefulSetKind: WorkloadKind = {
  resource: resourceOf('StatefulSet'),
  failureCondition: (phase) => (phase === 'scale' ? 'FailedCreatePod' : 'FailedUpdatePod'),
};

export function statefulSetRef(sts: StatefulSet): OwnerReference {
  return controllerRef(sts, StatefulSetKind.resource);
}

export function revisionSource(sts: StatefulSet): RevisionSource {
  return templateRevisionSource(sts, statefulSetRef(sts));
}
