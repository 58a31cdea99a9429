// The one executor: applies any workload's plan through the client, in order, with create/delete and
// resource-version expectations; records the plan's Events and one Event per pod result; decides the
// failure condition; writes the status. Writes happen here and nowhere else.

import { setMaxListeners } from 'node:events';
import type { Pod } from '../../apis';
import type { KubeClient } from '../../runtime/client';
import { retryOnConflict } from '../../runtime/client';
import { isAlreadyExists, isConflict, isNotFound } from '../../runtime/errors';
import type { EventRecorder } from '../../runtime/events';
import type { Expectations } from '../../runtime/expectations';
import { deepEqual } from '../../runtime/json';
import {
  ControllerRevisions,
  type KubeObject,
  objectKey,
  PersistentVolumeClaims,
  Pods,
  type ResourceType,
} from '../../runtime/meta';
import type { ResourceVersionExpectations } from '../../runtime/resource-version';
import { type PodPatch, type ResizePatch, startInPlaceUpdate } from '../inplace';
import type { Action, Phase, PlanEvent, PodAction, WorkloadPlan } from './actions';
import { withFailureCondition } from './conditions';
import { type PodUpdates, podUpdateMethod } from './metrics';
import { releasePatch } from './ownership';

/** What the executor needs to know of a kind. */
export interface WorkloadKind {
  /** The owner's API resource: owner patches and the status subresource go there. */
  resource: ResourceType;
  /** The condition a failed phase sets (CloneSet: FailedScale, FailedUpdate); none: Events only. */
  failureCondition?: (phase: Phase) => string | undefined;
  /** The kind's own per-pod Event for an applied action; default the kit's `resultEvent` (CloneSet's words). */
  resultEvent?: (action: Action, owner: Owner, error?: unknown) => PlanEvent | undefined;
  /**
   * The status change only moves counters of pods in progress (ready, updated, …), which no plan reads:
   * with a `StatusPacer`, such a change is written at most once per interval. None: every change at once.
   */
  progressOnly?: (before: unknown, after: unknown) => boolean;
}

/** How often a status whose only change is progress counters is written, at most. */
export const PROGRESS_STATUS_INTERVAL_MS = 1000;

/**
 * Per owner, when its status was last written. During a rollout the counters move with nearly every pod
 * event; writing each move costs a status write, its conversion for every served version and a watch event
 * to every watcher, and it tells a user watching no more than one write a second does.
 */
export class StatusPacer {
  private readonly written = new Map<string, number>();

  constructor(
    private readonly intervalMs = PROGRESS_STATUS_INTERVAL_MS,
    private readonly now = () => Date.now(),
  ) {}

  /** How long a progress-only change of the owner's status waits; 0: write it now. */
  delayMs(ownerKey: string): number {
    const last = this.written.get(ownerKey);
    return last === undefined ? 0 : Math.max(0, last + this.intervalMs - this.now());
  }

  wrote(ownerKey: string): void {
    this.written.set(ownerKey, this.now());
  }

  forget(ownerKey: string): void {
    this.written.delete(ownerKey);
  }
}

/**
 * Per owner, where its next create group's slow start begins: at the window its last group reached for
 * the same revision, and at 1 after a failure or for another revision. A sliding rollout recreates a few
 * dozen pods in each of many reconciles; ramping every group from 1 again costs a round trip per doubling.
 */
export class CreateWindows {
  private readonly windows = new Map<string, { revision: string; size: number }>();

  start(ownerKey: string, revision: string | undefined): number {
    const window = this.windows.get(ownerKey);
    return window && window.revision === revision ? window.size : 1;
  }

  record(ownerKey: string, revision: string | undefined, size: number, failed: boolean): void {
    if (failed || revision === undefined) this.windows.delete(ownerKey);
    else this.windows.set(ownerKey, { revision, size: Math.min(size, POD_WRITE_CONCURRENCY) });
  }

  forget(ownerKey: string): void {
    this.windows.delete(ownerKey);
  }
}

export interface ExecutorDeps {
  client: KubeClient;
  events: EventRecorder;
  expectations: Expectations;
  rvExpectations: ResourceVersionExpectations;
  kind: WorkloadKind;
  /** Counts each pod update started, in place or by recreation. */
  podUpdates?: PodUpdates;
  /** Kept across reconciles by the controller; without it every create group starts at 1. */
  createWindows?: CreateWindows;
  /** Kept across reconciles by the controller; without it every status change is written at once. */
  statusPacer?: StatusPacer;
}

export interface ExecuteResult {
  /** The cache was stale (409, AlreadyExists): plan again after a backoff. */
  requeue: boolean;
  /** The first action that failed for another reason. */
  error?: unknown;
  /** A progress-only status change was left for later: reconcile again after this long to write it. */
  statusDueInMs?: number;
}

/** The owner as the executor reads it: its key, uid and last status. */
export type Owner = KubeObject & { status?: unknown };

/** Pod writes of one group go out concurrently, this many in flight at a time. */
const POD_WRITE_CONCURRENCY = 32;

/** Outcome of one action: undefined when it succeeded. */
type Failure = { error: unknown; stale: boolean } | undefined;

export async function execute(
  owner: Owner,
  plan: WorkloadPlan,
  deps: ExecutorDeps,
  signal: AbortSignal,
): Promise<ExecuteResult> {
  // Every concurrent request listens on the signal (dozens at a time): not a leak.
  setMaxListeners(0, signal);
  const apply = new ActionApplier(owner, deps, signal);
  const conditionType = (message: string | undefined) =>
    message === undefined ? undefined : deps.kind.failureCondition?.(plan.phase);
  const statusWith = (message: string | undefined) => {
    const type = conditionType(message);
    return type && message !== undefined
      ? withFailureCondition(plan.status as object, type, message, new Date())
      : plan.status;
  };
  // The plan's status comes from what it observed, not from how its actions end, so it is written while
  // they run (unless an action writes the owner itself): the next reconcile waits for the slower of the two,
  // not for both in turn. Only an action's failure changes it, and then it is written again.
  const ownerWrites = plan.actions.some((a) => a.type === 'patchOwner' || a.type === 'deleteOwner');
  const statusDueInMs =
    ownerWrites || plan.failure !== undefined ? 0 : progressDelayMs(owner, plan.status, deps);
  const early =
    ownerWrites || statusDueInMs > 0
      ? undefined
      : settled(writeStatus(owner, statusWith(plan.failure), deps, signal));
  let failure: Failure;
  let deferred = false;
  for (const stage of stagesOf(groupActions(plan.actions))) {
    // Every group of the stage ends before the reconcile does, even when one throws (an abort).
    const results = await Promise.allSettled(
      stage.map((group) =>
        group.kind === 'create'
          ? apply.createSlowStart(group.units, plan.createsAtOnce)
          : apply.chains(group.chains),
      ),
    );
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      failure ??= result.value;
    }
    if (failure) break;
  }
  for (const e of plan.events) void deps.events.event(owner, e.type, e.reason, e.message);
  const actionFailure = failure && !failure.stale ? messageOf(failure.error) : undefined;
  if (early) {
    const written = await early.then((r) => {
      if ('error' in r) throw r.error;
      return r.value;
    });
    if (actionFailure !== undefined && conditionType(actionFailure)) {
      await writeStatus(written ?? owner, statusWith(actionFailure), deps, signal);
    }
  } else if (ownerWrites || (actionFailure !== undefined && conditionType(actionFailure))) {
    // A failure condition is news: it goes out at once, with the counters the plan saw.
    await writeStatus(owner, statusWith(actionFailure ?? plan.failure), deps, signal);
  } else {
    deferred = true;
  }
  return {
    requeue: failure?.stale ?? false,
    error: failure && !failure.stale ? failure.error : undefined,
    ...(deferred ? { statusDueInMs } : {}),
  };
}

/** How long the plan's status may wait: only a progress-only change, and only with a pacer. */
function progressDelayMs(owner: Owner, status: unknown, deps: ExecutorDeps): number {
  const { statusPacer, kind } = deps;
  if (!statusPacer || !kind.progressOnly || deepEqual(owner.status ?? {}, status)) return 0;
  return kind.progressOnly(owner.status ?? {}, status) ? statusPacer.delayMs(objectKey(owner)) : 0;
}

/**
 * Writes status through /status when it differs, at the cached owner's resourceVersion first (the
 * reconcile checked the cache holds our last write, so it is usually current: one request, not a GET
 * and a PUT), re-reading only on conflict (Kruise's status updater). The written version is expected in
 * the cache before the next plan: a plan on the status before this write would count again what this one
 * already counted (pods deleted by a failing job and counted failed).
 */
async function writeStatus(
  owner: Owner,
  status: unknown,
  deps: ExecutorDeps,
  signal: AbortSignal,
): Promise<Owner | undefined> {
  if (deepEqual(owner.status ?? {}, status)) return undefined;
  const owners = deps.client.resource<Owner>(deps.kind.resource);
  const ref = { namespace: owner.metadata?.namespace, name: owner.metadata?.name ?? '' };
  // Without a resourceVersion the PUT would be unconditional: read one first.
  let base: Owner | undefined = owner.metadata?.resourceVersion ? owner : undefined;
  let written: Owner | undefined;
  await retryOnConflict(async () => {
    const latest = base ?? (await owners.get(ref, { signal }));
    base = undefined;
    written = await owners.updateStatus({ ...latest, status }, { signal });
    deps.rvExpectations.expect(written);
    deps.statusPacer?.wrote(objectKey(owner));
  }).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
  return written;
}

/** The promise's outcome as a value, so it can wait while other work runs without an unhandled rejection. */
function settled<T>(promise: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Kruise's per-pod Event for an applied action (reason, message), when the action has one. */
export function resultEvent(action: Action, error?: unknown): PlanEvent | undefined {
  const failed = error !== undefined;
  const why = failed ? `: ${messageOf(error)}` : '';
  const type = failed ? 'Warning' : 'Normal';
  switch (action.type) {
    case 'createPod':
      return failed
        ? { type, reason: 'FailedCreate', message: `failed to create pod ${action.pod.metadata.name}${why}` }
        : { type, reason: 'SuccessfulCreate', message: `succeed to create pod ${action.pod.metadata.name}` };
    case 'createPVC':
      return failed
        ? { type, reason: 'FailedCreate', message: `failed to create pvc ${action.pvc.metadata.name}${why}` }
        : undefined;
    case 'deletePod':
      return failed
        ? { type, reason: 'FailedDelete', message: `failed to delete pod ${action.name}${why}` }
        : { type, reason: 'SuccessfulDelete', message: `succeed to delete pod ${action.name}` };
    case 'inPlaceUpdate':
    case 'drainAndUpdate': {
      const what = `update pod ${action.name} in-place(revision ${action.revision})`;
      return failed
        ? { type, reason: 'FailedUpdatePodInPlace', message: `failed to ${what}${why}` }
        : { type, reason: 'SuccessfulUpdatePodInPlace', message: `successfully ${what}` };
    }
    case 'patchPodMetadata': {
      const report = action.report;
      if (!report) return undefined;
      return failed
        ? { type, reason: `Failed${report.reason}`, message: `failed to ${report.what}${why}` }
        : { type, reason: `Successful${report.reason}`, message: `successfully ${report.what}` };
    }
    default:
      return undefined;
  }
}

type CreateAction = Extract<Action, { type: 'createPVC' | 'createPod' }>;
type CreateUnit = CreateAction[];
/** Pod writes: each chain is one pod's actions, in order; chains of different pods run concurrently. */
type ActionGroup = { kind: 'create'; units: CreateUnit[] } | { kind: 'pods'; chains: Action[][] };

const POD_ACTIONS = new Set<Action['type']>([
  'deletePod',
  'patchPodMetadata',
  'setPodCondition',
  'inPlaceUpdate',
  'drainAndUpdate',
  'releasePod',
]);

function isPodAction(action: Action): action is PodAction {
  return POD_ACTIONS.has(action.type);
}

/**
 * Consecutive creates become one slow-start group (a unit is a pod with the PVCs listed before it);
 * consecutive pod writes become one concurrent group with a chain per pod; anything else runs alone.
 */
export function groupActions(actions: Action[]): ActionGroup[] {
  const groups: ActionGroup[] = [];
  let unit: CreateUnit = [];
  /** The open group of pod writes and its chain per pod; a non-pod action closes it. */
  let open: { chains: Action[][]; byPod: Map<string, Action[]> } | undefined;
  for (const action of actions) {
    if (action.type === 'createPVC' || action.type === 'createPod') {
      open = undefined;
      unit.push(action);
      if (action.type === 'createPVC') continue;
      const last = groups[groups.length - 1];
      if (last?.kind === 'create') last.units.push(unit);
      else groups.push({ kind: 'create', units: [unit] });
      unit = [];
    } else if (isPodAction(action)) {
      if (!open) {
        open = { chains: [], byPod: new Map() };
        groups.push({ kind: 'pods', chains: open.chains });
      }
      const pod = `${action.namespace ?? ''}/${action.name}`;
      const chain = open.byPod.get(pod);
      if (chain) chain.push(action);
      else {
        const started = [action as Action];
        open.byPod.set(pod, started);
        open.chains.push(started);
      }
    } else {
      open = undefined;
      groups.push({ kind: 'pods', chains: [[action]] });
    }
  }
  if (unit.length > 0) groups.push({ kind: 'create', units: [unit] });
  return groups;
}

/**
 * Runs together consecutive groups of creates and pod writes that name no pod or claim in common: each
 * write was planned within the budget on its own (a pod still to be created already counts as
 * unavailable), so a pod's delete need not wait for another pod's create. A failure in one group does not
 * stop the others of its stage, only the stages after it. Any other action (revisions, claims' owners, the
 * owner) runs alone, in order.
 */
export function stagesOf(groups: ActionGroup[]): ActionGroup[][] {
  const stages: ActionGroup[][] = [];
  let open: { groups: ActionGroup[]; names: Set<string> } | undefined;
  for (const group of groups) {
    const names = namesOf(group);
    if (!names) {
      open = undefined;
      stages.push([group]);
    } else if (open && [...names].every((n) => !open?.names.has(n))) {
      open.groups.push(group);
      for (const n of names) open.names.add(n);
    } else {
      open = { groups: [group], names };
      stages.push(open.groups);
    }
  }
  return stages;
}

/**
 * The names of the pods and claims a create or pod-write group touches (namespaces left out, so a name
 * in two namespaces counts as shared); undefined for any other action.
 */
function namesOf(group: ActionGroup): Set<string> | undefined {
  const names = new Set<string>();
  const actions = group.kind === 'create' ? group.units.flat() : group.chains.flat();
  for (const a of actions) {
    if (a.type === 'createPod') names.add(`pod ${a.pod.metadata?.name}`);
    else if (a.type === 'createPVC') names.add(`claim ${a.pvc.metadata?.name}`);
    else if (isPodAction(a)) {
      names.add(`pod ${a.name}`);
      if (a.type === 'deletePod') for (const c of a.pvcs) names.add(`claim ${c}`);
    } else return undefined;
  }
  return names;
}

class ActionApplier {
  private readonly key: string;
  constructor(
    private readonly owner: Owner,
    private readonly deps: ExecutorDeps,
    private readonly signal: AbortSignal,
  ) {
    this.key = objectKey(owner);
  }

  /**
   * Kruise slowStartBatch's ramp (1, then each success lets two more go: the number in flight doubles
   * every round trip) without its lock-step: a slow create does not hold back the next ones, and at most
   * POD_WRITE_CONCURRENCY are in flight (each is a socket and an admission review). After a failure no
   * more are sent. The ramp begins where the owner's last group of the same revision left it (CreateWindows),
   * or at what the plan allows at once, if more.
   */
  async createSlowStart(units: CreateUnit[], atOnce = 1): Promise<Failure> {
    const { expectations } = this.deps;
    for (const unit of units) {
      for (const a of unit) if (this.observable(a)) expectations.expect(this.key, 'create', createdName(a));
    }
    const revisions = new Set(units.flat().flatMap((a) => (a.type === 'createPod' ? [a.revision] : [])));
    const revision = revisions.size === 1 ? [...revisions][0] : undefined;
    let next = 0;
    let allowed = Math.max(this.deps.createWindows?.start(this.key, revision) ?? 1, atOnce);
    let failure: Failure;
    let thrown: { error: unknown } | undefined;
    const inFlight = new Set<Promise<void>>();
    const send = (unit: CreateUnit) => {
      const sent: Promise<void> = this.createUnit(unit)
        .then(
          (result) => {
            if (result) failure ??= result;
            else allowed++;
          },
          (error: unknown) => {
            thrown ??= { error };
          },
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    for (;;) {
      while (
        !failure &&
        !thrown &&
        next < units.length &&
        inFlight.size < Math.min(allowed, POD_WRITE_CONCURRENCY)
      )
        send(units[next++] as CreateUnit);
      if (inFlight.size === 0) break;
      await Promise.race(inFlight);
    }
    this.deps.createWindows?.record(this.key, revision, allowed, Boolean(failure || thrown));
    if (thrown) throw thrown.error;
    if (failure) {
      // Creates never sent will never be observed.
      for (const unit of units.slice(next))
        for (const a of unit) expectations.observe(this.key, 'create', createdName(a));
    }
    return failure;
  }

  /** Runs the chains with POD_WRITE_CONCURRENCY in flight, each in order; after a failure, starts no more. */
  async chains(chains: Action[][]): Promise<Failure> {
    let next = 0;
    let failure: Failure;
    const worker = async () => {
      while (!failure && next < chains.length) {
        for (const action of chains[next++] as Action[]) {
          const result = await this.run(action);
          failure ??= result;
          if (result) break;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(POD_WRITE_CONCURRENCY, chains.length) }, worker));
    return failure;
  }

  /**
   * The informers match a created object back to its owner by controller reference: a claim without
   * ours (a StatefulSet's retained claims) is never observed, so nothing may wait for it.
   */
  private observable(action: CreateAction): boolean {
    if (action.type === 'createPod') return true;
    return action.pvc.metadata.ownerReferences.some(
      (r) => r.controller && r.uid === this.owner.metadata?.uid,
    );
  }

  private async createUnit(unit: CreateUnit): Promise<Failure> {
    for (let i = 0; i < unit.length; i++) {
      const failure = await this.run(unit[i] as Action);
      if (failure) {
        for (const a of unit.slice(i + 1)) this.deps.expectations.observe(this.key, 'create', createdName(a));
        return failure;
      }
    }
    return undefined;
  }

  /** Applies one action and records its per-pod Event. */
  private async run(action: Action): Promise<Failure> {
    let failure: Failure;
    try {
      await this.apply(action);
    } catch (error) {
      if (this.signal.aborted) throw error;
      failure = { error, stale: isConflict(error) || isAlreadyExists(error) };
    }
    const error = failure?.error;
    const method = error === undefined ? podUpdateMethod(action) : undefined;
    if (method) this.deps.podUpdates?.inc({ kind: this.deps.kind.resource.kind, method });
    const kindEvent = this.deps.kind.resultEvent;
    const event = kindEvent ? kindEvent(action, this.owner, error) : resultEvent(action, error);
    if (event)
      void this.deps.events.event(event.regarding ?? this.owner, event.type, event.reason, event.message);
    return failure;
  }

  private async apply(action: Action): Promise<void> {
    const { client } = this.deps;
    const ns = this.owner.metadata?.namespace;
    const opts = { signal: this.signal };
    switch (action.type) {
      case 'createRevision':
        await client.resource(ControllerRevisions).create(action.revision, opts);
        return;
      case 'updateRevisionNumber':
        await client
          .resource(ControllerRevisions)
          .patch(
            { namespace: action.namespace ?? ns, name: action.name },
            { revision: action.revision },
            { ...opts, type: 'merge' },
          );
        return;
      case 'labelRevision':
        await client
          .resource(ControllerRevisions)
          .patch(
            { namespace: action.namespace ?? ns, name: action.name },
            { metadata: { labels: action.labels } },
            { ...opts, type: 'merge' },
          );
        return;
      case 'deleteRevision':
        await ignoreNotFound(
          client
            .resource(ControllerRevisions)
            .delete({ namespace: action.namespace ?? ns, name: action.name }, opts),
        );
        return;
      case 'createPVC':
        return this.createPVC(action.pvc);
      case 'createPod':
        return this.createPod(action.pod);
      case 'deletePod':
        return this.deletePod(action.namespace ?? ns, action.name, action.uid, action.pvcs);
      case 'deletePVC':
        await ignoreNotFound(
          client.resource(PersistentVolumeClaims).delete({ namespace: ns, name: action.name }, opts),
        );
        return;
      case 'setPVCOwner': {
        const patch = { metadata: { ownerReferences: [action.owner] } };
        const ref = { namespace: ns, name: action.name };
        await client.resource(PersistentVolumeClaims).patch(ref, patch, { ...opts, type: 'merge' });
        return;
      }
      case 'updatePVCOwners': {
        const removed = action.remove.map((uid) => ({ $patch: 'delete', uid }));
        const patch = { metadata: { ownerReferences: [...removed, ...action.add] } };
        const ref = { namespace: ns, name: action.name };
        await client.resource(PersistentVolumeClaims).patch(ref, patch, { ...opts, type: 'strategic' });
        return;
      }
      case 'patchOwner': {
        const ref = { namespace: ns, name: this.owner.metadata?.name ?? '' };
        await client.resource(this.deps.kind.resource).patch(ref, action.patch, { ...opts, type: 'merge' });
        return;
      }
      case 'deleteOwner': {
        const ref = { namespace: ns, name: this.owner.metadata?.name ?? '' };
        const uid = this.owner.metadata?.uid;
        const options = {
          ...opts,
          preconditions: uid ? { uid } : undefined,
          propagationPolicy: 'Background' as const,
        };
        await ignoreNotFound(client.resource(this.deps.kind.resource).delete(ref, options));
        return;
      }
      case 'releasePod': {
        const patch = releasePatch(action.uid, this.owner.metadata?.uid ?? '');
        const ref = { namespace: action.namespace ?? ns, name: action.name };
        await ignoreNotFound(client.resource(Pods).patch(ref, patch, { ...opts, type: 'strategic' }));
        return;
      }
      default:
        return this.patchPod(action);
    }
  }

  private async createPVC(pvc: KubeObject): Promise<void> {
    const name = pvc.metadata?.name ?? '';
    try {
      await this.deps.client.resource(PersistentVolumeClaims).create(pvc, { signal: this.signal });
    } catch (err) {
      this.deps.expectations.observe(this.key, 'create', name);
      if (!isAlreadyExists(err)) throw err;
    }
  }

  private async createPod(pod: KubeObject): Promise<void> {
    const pods = this.deps.client.resource(Pods);
    let created: KubeObject;
    try {
      created = await pods.create(pod, { signal: this.signal });
    } catch (err) {
      this.deps.expectations.observe(this.key, 'create', pod.metadata?.name ?? '');
      throw err;
    }
    // Until the cache shows the pod, plans read it from this answer (podsAsWritten): no need to wait.
    this.deps.rvExpectations.expect(created);
    this.deps.expectations.observe(this.key, 'create', pod.metadata?.name ?? '');
  }

  /** Deletes the pod (only the one we planned on: uid precondition), then the PVCs of its instance. */
  private async deletePod(
    ns: string | undefined,
    name: string,
    uid: string | undefined,
    pvcs: string[],
  ): Promise<void> {
    const { client, expectations, rvExpectations } = this.deps;
    expectations.expect(this.key, 'delete', name);
    try {
      const answer = await client
        .resource<Pod>(Pods)
        .delete({ namespace: ns, name }, { signal: this.signal, preconditions: uid ? { uid } : undefined });
      // A terminating pod: plans read it from this answer until the cache shows it (podsAsWritten). A pod
      // removed at once is waited for: no answer says it is gone.
      if (answer?.metadata?.deletionTimestamp) {
        rvExpectations.expect(answer);
        expectations.observe(this.key, 'delete', name);
      }
    } catch (err) {
      expectations.observe(this.key, 'delete', name);
      if (!isNotFound(err)) throw err;
    }
    for (const pvc of pvcs) {
      expectations.expect(this.key, 'delete', pvc);
      try {
        await client
          .resource(PersistentVolumeClaims)
          .delete({ namespace: ns, name: pvc }, { signal: this.signal });
      } catch (err) {
        expectations.observe(this.key, 'delete', pvc);
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async patchPod(
    action: Extract<
      Action,
      { type: 'patchPodMetadata' | 'setPodCondition' | 'inPlaceUpdate' | 'drainAndUpdate' }
    >,
  ) {
    const pods = this.deps.client.resource<Pod>(Pods);
    const ref = { namespace: action.namespace ?? this.owner.metadata?.namespace, name: action.name };
    const opts = { signal: this.signal, type: 'strategic' as const };
    const written = (obj: KubeObject) => this.deps.rvExpectations.expect(obj);
    switch (action.type) {
      case 'patchPodMetadata':
        written(await pods.patch(ref, action.patch, opts));
        return;
      case 'setPodCondition': {
        const patch: Record<string, unknown> = { status: { conditions: action.conditions } };
        const metadata = { ...action.metadata, resourceVersion: action.resourceVersion };
        if (metadata.resourceVersion === undefined) delete metadata.resourceVersion;
        if (Object.keys(metadata).length > 0) patch.metadata = metadata;
        written(await pods.patch(ref, patch, { ...opts, subresource: 'status' }));
        return;
      }
      case 'inPlaceUpdate':
        return this.updateInPlace(ref, action.patch, action.resizePatch);
      case 'drainAndUpdate': {
        const patch = { status: { conditions: action.conditions } };
        const drained = await pods.patch(ref, patch, { ...opts, subresource: 'status' });
        written(drained);
        // The pod the drain returned is current: the engine's next step is the patch, sent right away.
        const step = startInPlaceUpdate(drained, action.request, action.options);
        if (step.type === 'patchPod') await this.updateInPlace(ref, step.patch, step.resizePatch);
        return;
      }
    }
  }

  /** pods/<name>/resize first (container resources), then the conditional pod patch. */
  private async updateInPlace(
    ref: { namespace?: string; name: string },
    patch: PodPatch,
    resize?: ResizePatch,
  ) {
    const pods = this.deps.client.resource<Pod>(Pods);
    const opts = { signal: this.signal, type: 'strategic' as const };
    let resourceVersion = patch.metadata.resourceVersion;
    if (resize) {
      const resized = await pods.patch(
        ref,
        { ...resize, metadata: { resourceVersion } },
        { ...opts, subresource: 'resize' },
      );
      resourceVersion = resized.metadata?.resourceVersion ?? resourceVersion;
    }
    const updated = await pods.patch(
      ref,
      { ...patch, metadata: { ...patch.metadata, resourceVersion } },
      opts,
    );
    this.deps.rvExpectations.expect(updated);
  }
}

function createdName(action: CreateAction): string {
  return (action.type === 'createPVC' ? action.pvc.metadata.name : action.pod.metadata.name) ?? '';
}

async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
