// CloneSet as the workload kit sees it: its API resource, failure conditions, controller reference and
// what its revisions store.
import type { CloneSet } from '../../apis';
import { resourceOf } from '../../apis/install';
import type { OwnerReference } from '../../runtime/meta';
import { controllerRef, type RevisionSource, templateRevisionSource, type WorkloadKind } from '../workload';

export const CloneSetKind: WorkloadKind = {
  resource: resourceOf('CloneSet'),
  failureCondition: (phase) => (phase === 'scale' ? 'FailedScale' : 'FailedUpdate'),
};

export function cloneSetRef(cs: CloneSet): OwnerReference {
  return controllerRef(cs, CloneSetKind.resource);
}

export function revisionSource(cs: CloneSet): RevisionSource {
  return templateRevisionSource(cs, cloneSetRef(cs));
}
