// `rollout plan`: what a rollout will do, before it happens. The controllers' own pure plan functions
// decide; this file only stands in for the apiserver and the kubelet around them. It applies each plan's
// actions to an in-memory copy of the observed objects, makes every pod that was created or patched
// Running and Ready at the next step ("each batch becomes ready"), moves the clock past minReadySeconds
// and grace periods, and plans again, until the controller has nothing left to do. A pod "starts" its
// update the moment a plan first touches it for the update revision (startedUpdate); the pods that start
// between two kubelet steps form one batch. The preview and the real rollout run the same decisions,
// so they cannot disagree unless pods do not become ready (the preview then shows where it stops).
import {
  type CloneSet,
  type ControllerRevision,
  ControllerRevisionHashLabel,
  type PersistentVolumeClaim,
  type Pod,
  type PodCondition,
  podCondition,
  SpecifiedDeleteLabel,
  type StatefulSet,
  templateOfRevision,
} from '../apis';
import { plan as planCloneSet } from '../controllers/cloneset';
import {
  changeKind,
  diffPodTemplates,
  drainedFor,
  readGraceSpec,
  readUpdateState,
  startInPlaceUpdate,
  strategyCanUpdateInPlace,
} from '../controllers/inplace';
import { plan as planStatefulSet } from '../controllers/statefulset';
import {
  type Action,
  isAtRevision,
  isHooked,
  lifecycleState,
  type WorkloadPlan,
} from '../controllers/workload';
import type { KubeObject } from '../runtime/meta';

export type PreviewKind = 'CloneSet' | 'StatefulSet';

export interface PreviewInput {
  kind: PreviewKind;
  /** The workload as it will be (defaults applied), with its current status. */
  owner: CloneSet | StatefulSet;
  pods: Pod[];
  revisions: ControllerRevision[];
  pvcs: PersistentVolumeClaim[];
  now: Date;
  resizeSupported: boolean;
  /** Stop after this many kubelet steps (a rollout that never ends, e.g. a failing update). */
  maxSteps?: number;
}

export type UpdateHow = 'in place' | 'recreate' | 'relabel';

export interface PodUpdate {
  pod: string;
  how: UpdateHow;
  why: string;
  /** Waits for its inPlaceUpdate lifecycle hook first. */
  hooked?: boolean;
}

export interface Batch {
  pods: PodUpdate[];
  /** Pods created in this batch (surge, replacements, scale-out): their names are picked at random. */
  created: number;
}

export interface Preview {
  kind: PreviewKind;
  name: string;
  currentRevision: string;
  updateRevision: string;
  batches: Batch[];
  /** Pods that stay at an old revision when the rollout ends, and why. */
  held: { pod: string; why: string }[];
  /** Pods deleted without a replacement (scale in, fewer replicas than pods). */
  removed: string[];
  /** Why the simulated rollout stopped before every pod was updated (failure, hook, step limit). */
  stopped?: string;
  notes: string[];
}

/** Whether the controller has begun moving `pod` to `revision` (any first step of either path). */
export function startedUpdate(pod: Pod, revision: string): boolean {
  if (isAtRevision(pod, revision)) return true;
  if (pod.metadata.deletionTimestamp) return true;
  if (pod.metadata.labels?.[SpecifiedDeleteLabel] !== undefined) return true;
  if (drainedFor(pod) === revision || readUpdateState(pod)?.revision === revision) return true;
  return lifecycleState(pod) === 'PreparingUpdate';
}

const MAX_PLANS_PER_STEP = 50;

export function previewRollout(input: PreviewInput): Preview {
  const world = new World(input);
  const owner = world.owner;
  const name = owner.metadata?.name ?? '';
  const preview: Preview = {
    kind: input.kind,
    name,
    currentRevision: '',
    updateRevision: '',
    batches: [],
    held: [],
    removed: [],
    notes: [],
  };
  const started = new Map<string, PodUpdate>();
  // How many pods the new replicas count drops: the first scale-in deletions are those.
  const replicas = (input.owner.spec as { replicas?: number } | undefined)?.replicas ?? 1;
  const excess = Math.max(0, input.pods.filter((p) => !p.metadata.deletionTimestamp).length - replicas);
  const maxSteps = input.maxSteps ?? 200;
  let steps = 0;
  for (; steps < maxSteps; steps++) {
    const batch: Batch = { pods: [], created: 0 };
    let acted = false;
    for (let i = 0; i < MAX_PLANS_PER_STEP; i++) {
      const p = world.plan();
      // The revision the pods are at when the preview starts.
      if (steps === 0 && i === 0) {
        preview.currentRevision = (p.status as { currentRevision?: string }).currentRevision ?? '';
      }
      preview.updateRevision = (p.status as { updateRevision?: string }).updateRevision ?? '';
      if (p.failure) preview.stopped = p.failure;
      const before = new Map(structuredClone(world.pods).map((pod) => [pod.metadata.name ?? '', pod]));
      world.apply(p);
      const update = preview.updateRevision;
      // In the order the plan wrote them: the controller's update order.
      const touched = p.actions.map((a) => (a as { name?: string }).name ?? '');
      const order = (n: string) => (touched.includes(n) ? touched.indexOf(n) : touched.length);
      const names = [...before.keys()].sort((a, b) => order(a) - order(b));
      for (const podName of names) {
        const old = before.get(podName) as Pod;
        if (started.has(podName) || isAtRevision(old, update)) continue;
        const now = world.pods.find(
          (q) => q.metadata.name === podName && q.metadata.uid === old.metadata.uid,
        );
        if (now && !startedUpdate(now, update)) continue;
        const scaledIn = !now && isScaleIn(p.actions, podName);
        if (scaledIn && preview.removed.length < excess) {
          preview.removed.push(podName);
          started.set(podName, { pod: podName, how: 'recreate', why: 'removed' });
          continue;
        }
        const how: UpdateHow =
          !now || now.metadata.labels?.[SpecifiedDeleteLabel] !== undefined ? 'recreate' : 'in place';
        const step = describeUpdate(world, old, how);
        // Past the pods the new replicas drop, a scale in takes back a surge pod: its place goes to one.
        if (scaledIn) step.why = `replaced by a surge pod; ${step.why}`;
        if (now && lifecycleState(now) === 'PreparingUpdate') step.hooked = true;
        started.set(podName, step);
        batch.pods.push(step);
      }
      batch.created += p.actions.filter((a) => a.type === 'createPod').length;
      if (p.actions.length === 0) break;
      acted = true;
      world.tick(1);
    }
    if (batch.pods.length > 0 || batch.created > 0) preview.batches.push(batch);
    const changed = world.kubeletStep();
    if (!acted && !changed) break;
  }
  if (steps >= maxSteps) preview.stopped ??= `the rollout had not settled after ${maxSteps} steps`;
  for (const pod of world.pods) {
    if (!isAtRevision(pod, preview.updateRevision)) {
      preview.held.push({ pod: pod.metadata.name ?? '', why: heldBecause(world, pod) });
    }
  }
  preview.held.sort((a, b) => a.pod.localeCompare(b.pod, undefined, { numeric: true }));
  if (pausedOf(input)) preview.notes.push('the rollout is paused: nothing moves until it is resumed');
  return preview;
}

/** Deleted by the plan for another reason than the update (a rollout deletes with 'update' or a specified delete). */
function isScaleIn(actions: Action[], name: string): boolean {
  const deletion = actions.find((a) => a.type === 'deletePod' && a.name === name);
  return (
    deletion?.type === 'deletePod' &&
    deletion.reason !== 'update' &&
    deletion.reason !== 'specified to delete'
  );
}

function pausedOf(input: PreviewInput): boolean {
  const s = input.owner.spec?.updateStrategy as
    | { paused?: boolean; rollingUpdate?: { paused?: boolean } }
    | undefined;
  return Boolean(s?.paused || s?.rollingUpdate?.paused);
}

/** In place or recreate, and why: the template diff from the pod's revision to the update revision. */
function describeUpdate(world: World, pod: Pod, how: UpdateHow): PodUpdate {
  const name = pod.metadata.name ?? '';
  const update = world.revisions.find((r) => r.metadata.name === world.updateRevision);
  const own = world.revisions.find((r) => isAtRevision(pod, r.metadata.name ?? ''));
  const from = own && templateOfRevision(own);
  const to = update && templateOfRevision(update);
  if (!from || !to)
    return { pod: name, how, why: `its revision ${revisionLabel(pod)} is no longer in the history` };
  const diff = diffPodTemplates(from, to);
  const changes = [
    ...Object.entries(diff.images).map(([c, image]) => `image ${c}=${image}`),
    ...Object.keys(diff.resources).map((c) => `resources of ${c}`),
    ...(diff.metadata ? ['labels/annotations'] : []),
  ];
  if (how === 'in place') {
    const kind = changeKind(diff, { resizeSupported: world.resizeSupported });
    if (kind === 'none') return { pod: name, how: 'relabel', why: 'same template under a new revision name' };
    return { pod: name, how, why: changes.join(', ') || 'in-place change' };
  }
  if (!strategyCanUpdateInPlace(world.policy)) {
    return {
      pod: name,
      how,
      why: `policy ${world.policy ?? 'ReCreate'}${changes.length ? `; ${changes.join(', ')}` : ''}`,
    };
  }
  const kind = changeKind(diff, { resizeSupported: world.resizeSupported });
  if (kind === 'recreate') {
    const reasons =
      diff.recreateReasons.length > 0 ? diff.recreateReasons : ['resources (the cluster cannot resize)'];
    return { pod: name, how, why: `cannot change in place: ${reasons.join(', ')}` };
  }
  return { pod: name, how, why: 'specified for deletion' };
}

function heldBecause(world: World, pod: Pod): string {
  const o = world.owner;
  if (world.kind === 'CloneSet') {
    const s = (o as CloneSet).spec?.updateStrategy;
    if (s?.paused) return 'paused';
    if (s?.type === 'OnDelete') return 'OnDelete: updates when you delete it';
    if (s?.partition !== undefined) return `partition ${String(s.partition)}`;
  } else {
    const s = (o as StatefulSet).spec?.updateStrategy;
    if (s?.rollingUpdate?.paused) return 'paused';
    if (s?.type === 'OnDelete') return 'OnDelete: updates when you delete it';
    if (s?.rollingUpdate?.partition !== undefined) return `partition ${String(s.rollingUpdate.partition)}`;
  }
  if (lifecycleState(pod) === 'PreparingUpdate') return 'waits for its inPlaceUpdate lifecycle hook';
  return 'not updated';
}

const revisionLabel = (pod: Pod) => pod.metadata.labels?.[ControllerRevisionHashLabel] ?? '(none)';

/** The apiserver and kubelet, as far as a plan can tell: objects in memory, pods ready at each step. */
class World {
  readonly kind: PreviewKind;
  owner: CloneSet | StatefulSet;
  pods: Pod[];
  revisions: ControllerRevision[];
  pvcs: PersistentVolumeClaim[];
  readonly resizeSupported: boolean;
  updateRevision = '';
  private now: number;
  private uid = 0;
  private ids = 0;
  /** Pods written since the last kubelet step (their containers restart or start). */
  private readonly pending = new Set<string>();

  constructor(input: PreviewInput) {
    this.kind = input.kind;
    this.owner = structuredClone(input.owner);
    this.pods = structuredClone(input.pods);
    this.revisions = structuredClone(input.revisions);
    this.pvcs = structuredClone(input.pvcs);
    this.resizeSupported = input.resizeSupported;
    this.now = input.now.getTime();
  }

  get policy(): string | undefined {
    if (this.kind === 'CloneSet') return (this.owner as CloneSet).spec?.updateStrategy?.type;
    return (this.owner as StatefulSet).spec?.updateStrategy?.rollingUpdate?.podUpdatePolicy;
  }

  private get minReadySeconds(): number {
    if (this.kind === 'CloneSet') return (this.owner as CloneSet).spec?.minReadySeconds ?? 0;
    return (this.owner as StatefulSet).spec?.updateStrategy?.rollingUpdate?.minReadySeconds ?? 0;
  }

  plan(): WorkloadPlan {
    const now = new Date(this.now);
    const p: WorkloadPlan =
      this.kind === 'CloneSet'
        ? planCloneSet({
            cloneSet: this.owner as CloneSet,
            pods: this.pods,
            revisions: this.revisions,
            pvcs: this.pvcs,
            now,
            resizeSupported: this.resizeSupported,
            newInstanceId: () => `new${++this.ids}`,
          })
        : planStatefulSet({
            statefulSet: this.owner as StatefulSet,
            pods: this.pods,
            revisions: this.revisions,
            claim: (name) =>
              this.pvcs.find((c) => c.metadata?.name === name) as
                | (PersistentVolumeClaim & KubeObject)
                | undefined,
            now,
            resizeSupported: this.resizeSupported,
          });
    this.updateRevision = (p.status as { updateRevision?: string }).updateRevision ?? '';
    return p;
  }

  tick(ms: number): void {
    this.now += ms;
  }

  apply(p: WorkloadPlan): void {
    for (const action of p.actions) this.applyAction(action);
    this.owner = { ...this.owner, status: p.status } as CloneSet | StatefulSet;
  }

  private pod(name: string): Pod | undefined {
    return this.pods.find((p) => p.metadata.name === name);
  }

  private applyAction(a: Action): void {
    const at = new Date(this.now).toISOString();
    switch (a.type) {
      case 'createRevision':
        this.revisions.push(structuredClone(a.revision));
        return;
      case 'updateRevisionNumber': {
        const r = this.revisions.find((x) => x.metadata.name === a.name);
        if (r) r.revision = a.revision;
        return;
      }
      case 'deleteRevision':
        this.revisions = this.revisions.filter((r) => r.metadata.name !== a.name);
        return;
      case 'createPVC':
        this.pvcs.push(structuredClone(a.pvc) as PersistentVolumeClaim);
        return;
      case 'deletePVC':
        this.pvcs = this.pvcs.filter((c) => c.metadata?.name !== a.name);
        return;
      case 'createPod': {
        const pod = structuredClone(a.pod);
        pod.metadata.uid = `preview-${++this.uid}`;
        pod.metadata.creationTimestamp = at;
        pod.metadata.resourceVersion = '1';
        pod.spec.nodeName ??= 'preview-node';
        pod.status = { phase: 'Pending', conditions: [] };
        this.pods.push(pod);
        this.pending.add(pod.metadata.name ?? '');
        return;
      }
      case 'deletePod':
        this.pods = this.pods.filter((p) => p.metadata.name !== a.name);
        return;
      case 'patchPodMetadata': {
        const pod = this.pod(a.name);
        if (!pod) return;
        mergeMetadata(pod, a.patch.metadata);
        if (a.patch.metadata.finalizers) {
          pod.metadata.finalizers = [
            ...new Set([...(pod.metadata.finalizers ?? []), ...a.patch.metadata.finalizers]),
          ];
        }
        bump(pod);
        return;
      }
      case 'setPodCondition': {
        const pod = this.pod(a.name);
        if (!pod) return;
        setConditions(pod, a.conditions);
        if (a.metadata) mergeMetadata(pod, a.metadata);
        syncReady(pod, at);
        bump(pod);
        return;
      }
      case 'drainAndUpdate': {
        const pod = this.pod(a.name);
        if (!pod) return;
        setConditions(pod, a.conditions);
        syncReady(pod, at);
        bump(pod);
        // The executor builds the patch from the drained pod, as the real one does.
        const step = startInPlaceUpdate(pod, a.request, a.options);
        if (step.type === 'patchPod') this.patchSpec(pod, step.patch, step.resizePatch, at);
        return;
      }
      case 'inPlaceUpdate': {
        const pod = this.pod(a.name);
        if (pod) this.patchSpec(pod, a.patch, a.resizePatch, at);
        return;
      }
      case 'patchOwner':
        this.owner = mergePatch(this.owner, a.patch) as CloneSet | StatefulSet;
        return;
      default:
        // releasePod, deleteOwner, PVC owners: nothing a rollout preview shows.
        return;
    }
  }

  private patchSpec(
    pod: Pod,
    patch: {
      metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };
      spec?: { containers: { name: string; image: string }[] };
    },
    resize: { spec: { containers: { name: string; resources: unknown }[] } } | undefined,
    at: string,
  ): void {
    mergeMetadata(pod, patch.metadata);
    for (const c of patch.spec?.containers ?? []) {
      const target = pod.spec.containers.find((x) => x.name === c.name);
      if (target) target.image = c.image;
    }
    for (const c of resize?.spec.containers ?? []) {
      const target = pod.spec.containers.find((x) => x.name === c.name);
      if (target) target.resources = c.resources as typeof target.resources;
    }
    // The kubelet restarts the containers: not ready until the next step.
    setConditions(pod, [{ type: 'ContainersReady', status: 'False', lastTransitionTime: at }]);
    syncReady(pod, at);
    bump(pod);
    this.pending.add(pod.metadata.name ?? '');
  }

  /**
   * Every pod written or created since the last step runs its containers and turns Ready; hook handlers
   * release pods waiting in PreparingUpdate; the clock moves past minReadySeconds and grace periods.
   * Whether anything changed.
   */
  kubeletStep(): boolean {
    // Pods being deleted are gone by the next step.
    const remaining = this.pods.filter((p) => !p.metadata.deletionTimestamp);
    let changed = remaining.length !== this.pods.length;
    this.pods = remaining;
    this.tick(Math.max(this.minReadySeconds, this.graceSeconds()) * 1000 + 1000);
    const at = new Date(this.now).toISOString();
    for (const pod of this.pods) {
      const name = pod.metadata.name ?? '';
      const hook = (this.owner.spec as { lifecycle?: { inPlaceUpdate?: Parameters<typeof isHooked>[0] } })
        ?.lifecycle?.inPlaceUpdate;
      if (lifecycleState(pod) === 'PreparingUpdate' && isHooked(hook, pod)) {
        // The user's hook handler lets the pod go.
        const labels = Object.fromEntries(Object.keys(hook?.labelsHandler ?? {}).map((k) => [k, null]));
        mergeMetadata(pod, { labels });
        pod.metadata.finalizers = (pod.metadata.finalizers ?? []).filter(
          (f) => !hook?.finalizersHandler?.includes(f),
        );
        changed = true;
      }
      if (!this.pending.has(name) && pod.status?.phase === 'Running') continue;
      runContainers(pod, at);
      syncReady(pod, at);
      bump(pod);
      changed = true;
    }
    this.pending.clear();
    return changed;
  }

  private graceSeconds(): number {
    const s = this.owner.spec?.updateStrategy as
      | {
          inPlaceUpdateStrategy?: { gracePeriodSeconds?: number };
          rollingUpdate?: { inPlaceUpdateStrategy?: { gracePeriodSeconds?: number } };
        }
      | undefined;
    const grace =
      s?.inPlaceUpdateStrategy?.gracePeriodSeconds ??
      s?.rollingUpdate?.inPlaceUpdateStrategy?.gracePeriodSeconds ??
      0;
    return this.pods.some((p) => readGraceSpec(p)) ? grace : 0;
  }
}

function bump(pod: Pod): void {
  pod.metadata.resourceVersion = String(Number(pod.metadata.resourceVersion ?? '0') + 1);
}

function mergeMetadata(
  pod: Pod,
  patch: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
): void {
  pod.metadata.labels = mergeStrings(pod.metadata.labels, patch.labels);
  pod.metadata.annotations = mergeStrings(pod.metadata.annotations, patch.annotations);
}

function mergeStrings(
  into: Record<string, string> | undefined,
  patch: Record<string, string | null> | undefined,
): Record<string, string> | undefined {
  if (!patch) return into;
  const out = { ...into };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

function setConditions(pod: Pod, conditions: PodCondition[]): void {
  pod.status ??= {};
  const kept = (pod.status.conditions ?? []).filter((c) => !conditions.some((d) => d.type === c.type));
  pod.status.conditions = [...kept, ...structuredClone(conditions)];
}

/** The kubelet's Ready: containers ready and every readiness gate True; the transition time moves with it. */
function syncReady(pod: Pod, at: string): void {
  const containers = podCondition(pod, 'ContainersReady')?.status === 'True';
  const gates = (pod.spec.readinessGates ?? []).every(
    (g) => podCondition(pod, g.conditionType)?.status === 'True',
  );
  const status = containers && gates ? 'True' : 'False';
  const current = podCondition(pod, 'Ready');
  if (current?.status === status) return;
  setConditions(pod, [{ type: 'Ready', status, lastTransitionTime: at }]);
}

/** Containers run the spec's images (a changed image has a new image id), restarting where asked. */
function runContainers(pod: Pod, at: string): void {
  const state = readUpdateState(pod);
  const previous = new Map((pod.status?.containerStatuses ?? []).map((s) => [s.name, s]));
  pod.status ??= {};
  pod.status.phase = 'Running';
  pod.status.containerStatuses = pod.spec.containers.map((c) => {
    const before = previous.get(c.name);
    const restarted =
      before &&
      (before.image !== c.image || state?.lastContainerStatuses?.[c.name]?.restartCount !== undefined);
    return {
      name: c.name,
      image: c.image,
      imageID: `preview://${c.image}`,
      ready: true,
      started: true,
      restartCount: (before?.restartCount ?? 0) + (restarted ? 1 : 0),
      ...(c.resources ? { resources: structuredClone(c.resources) } : {}),
    } as NonNullable<NonNullable<Pod['status']>['containerStatuses']>[number];
  });
  setConditions(
    pod,
    ['PodScheduled', 'Initialized', 'ContainersReady'].map((type) => ({
      type,
      status: 'True',
      lastTransitionTime: at,
    })),
  );
}

/** JSON merge patch (RFC 7386). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
