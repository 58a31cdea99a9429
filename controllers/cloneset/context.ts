// What one CloneSet reconcile's decisions depend on, resolved once, and what each half returns.
import type { CloneSet, ControllerRevision, PersistentVolumeClaim, Pod } from '../../apis';
import type { Action, ClusterFacts, PlanEvent } from '../workload';
import type { Budgets } from './diffs';

export interface SyncContext {
  cs: CloneSet;
  /** Active pods (not terminal, not being deleted) the CloneSet keeps. */
  pods: Pod[];
  pvcs: PersistentVolumeClaim[];
  revisions: ControllerRevision[];
  currentRevision: ControllerRevision;
  updateRevision: ControllerRevision;
  budgets: Budgets;
  now: Date;
  cluster: Pick<ClusterFacts, 'resizeSupported' | 'nodeLabels'>;
  /** Kruise's InPlaceUpdateEnvFromMetadata gate. */
  envFromMetadata: boolean;
  newInstanceId: () => string;
}

export interface PhaseResult {
  actions: Action[];
  events: PlanEvent[];
  /** Something was changed: the reconcile stops here, as Kruise's "modified". */
  modified: boolean;
  requeueAfterMs?: number;
  /** Plan-time failure, reported by the executor as FailedScale/FailedUpdate. */
  failure?: string;
}

export function emptyResult(): PhaseResult {
  return { actions: [], events: [], modified: false };
}
