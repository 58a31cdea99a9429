import type { Pod, PodCondition } from '../../apis';
import {
  InPlaceUpdateGraceAnnotation,
  InPlaceUpdateReadyCondition,
  InPlaceUpdateStateAnnotation,
  type PodTemplateSpec,
} from '../../apis';
import { diffPodTemplates } from './diff';
import {
  drainedFor,
  type InPlaceStep,
  refreshInPlace,
  StartInPlaceUpdateReason,
  startInPlaceUpdate,
} from './engine';
import { type InPlaceConfig, isUpdateCompleted, readUpdateState } from './state';

const T0 = new Date('2026-01-01T12:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const template = (image: string): PodTemplateSpec => ({ spec: { containers: [{ name: 'main', image }] } });
const request = { revision: 'web-v2', diff: diffPodTemplates(template('nginx:1'), template('nginx:2')) };

function runningPod(opts: { gate?: boolean; conditions?: PodCondition[]; rv?: string } = {}): Pod {
  return {
    metadata: {
      name: 'web-a',
      uid: 'u1',
      resourceVersion: opts.rv ?? '10',
      labels: { 'controller-revision-hash': 'web-v1' },
    },
    spec: {
      containers: [{ name: 'main', image: 'nginx:1' }],
      ...(opts.gate === false ? {} : { readinessGates: [{ conditionType: InPlaceUpdateReadyCondition }] }),
    },
    status: {
      phase: 'Running',
      conditions: opts.conditions ?? [{ type: InPlaceUpdateReadyCondition, status: 'True' }],
      containerStatuses: [{ name: 'main', image: 'nginx:1', imageID: 'sha-1', ready: true }],
    },
  };
}

/** What the apiserver would hold after the step (a strategic merge of labels/annotations/images/conditions). */
function apply(pod: Pod, step: InPlaceStep, rv: string): Pod {
  const next = structuredClone(pod);
  next.metadata.resourceVersion = rv;
  if (step.type === 'setCondition' || step.type === 'drain') {
    const others = (next.status?.conditions ?? []).filter(
      (c) => !step.conditions.some((s) => s.type === c.type),
    );
    next.status = { ...next.status, conditions: [...others, ...step.conditions] };
  }
  if (step.type === 'patchPod') {
    for (const field of ['labels', 'annotations'] as const) {
      const merged: Record<string, string> = { ...next.metadata[field] };
      for (const [k, v] of Object.entries(step.patch.metadata[field] ?? {})) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      next.metadata[field] = merged;
    }
    for (const c of step.patch.spec?.containers ?? []) {
      next.spec.containers.find((x) => x.name === c.name)!.image = c.image;
    }
  }
  return next;
}

/** The kubelet restarts the container with the new image. */
function kubeletRestarts(pod: Pod, imageID: string, image = pod.spec.containers[0]!.image): Pod {
  const next = structuredClone(pod);
  next.status!.containerStatuses = [{ name: 'main', image, imageID, ready: true }];
  return next;
}

describe('in-place update state machine', () => {
  it('drains, then patches, then waits for the kubelet, then restores readiness', () => {
    let pod = runningPod();
    const drain = startInPlaceUpdate(pod, request, { now: T0 });
    expect(drain).toMatchObject({ type: 'drain', request, options: { now: T0 } });
    expect(drain.type === 'drain' && drain.conditions.map((c) => [c.type, c.status])).toEqual([
      [InPlaceUpdateReadyCondition, 'False'],
      ['Ready', 'False'],
    ]);
    pod = apply(pod, drain, '11');
    expect(drainedFor(pod)).toBe('web-v2');

    // The caller asks again with the pod the drain write returned.
    const patch = startInPlaceUpdate(pod, request, { now: at(1) });
    expect(patch.type).toBe('patchPod');
    if (patch.type !== 'patchPod') return;
    expect(patch.patch.metadata.resourceVersion).toBe('11');
    expect(patch.patch.spec).toEqual({ containers: [{ name: 'main', image: 'nginx:2' }] });
    pod = apply(pod, patch, '12');
    expect(readUpdateState(pod)).toMatchObject({
      revision: 'web-v2',
      updateTimestamp: at(1).toISOString(),
      lastContainerStatuses: { main: { imageID: 'sha-1' } },
    });
    expect(startInPlaceUpdate(pod, request, { now: at(2) })).toEqual({ type: 'none' });
    expect(refreshInPlace(pod, { now: at(2), keepDrainedFor: 'web-v2' }).type).toBe('wait');

    pod = kubeletRestarts(pod, 'sha-2');
    const ready = refreshInPlace(pod, { now: at(3), keepDrainedFor: 'web-v2' });
    expect(ready).toMatchObject({ type: 'setCondition', resourceVersion: '12' });
    expect(ready.type === 'setCondition' && ready.conditions).toEqual([
      { type: InPlaceUpdateReadyCondition, status: 'True', lastTransitionTime: at(3).toISOString() },
    ]);
  });

  it('never patches the spec while the cache has not shown the drain (OpenKruise #2276)', () => {
    // The drain was written, but the cache still holds the pod with InPlaceUpdateReady=True.
    const stale = runningPod();
    for (let i = 0; i < 3; i++) expect(startInPlaceUpdate(stale, request, { now: at(i) }).type).toBe('drain');
  });

  it('re-drains when the cache shows a drain for another revision', () => {
    const drainedForV2 = apply(runningPod(), startInPlaceUpdate(runningPod(), request, { now: T0 }), '11');
    const v3 = { ...request, revision: 'web-v3' };
    expect(startInPlaceUpdate(drainedForV2, v3, { now: at(1) }).type).toBe('drain');
  });

  it('keeps a drained, not yet patched pod drained while its revision is still wanted (#2276)', () => {
    const drained = apply(runningPod(), startInPlaceUpdate(runningPod(), request, { now: T0 }), '11');
    expect(refreshInPlace(drained, { now: at(1), keepDrainedFor: 'web-v2' }).type).toBe('wait');
    // Rollout paused or rolled back: nothing will patch it, so it becomes ready again.
    expect(refreshInPlace(drained, { now: at(1) })).toMatchObject({
      type: 'setCondition',
      resourceVersion: '11',
    });
  });

  it('patches directly a pod without the readiness gate', () => {
    const step = startInPlaceUpdate(runningPod({ gate: false, conditions: [] }), request, { now: T0 });
    expect(step.type).toBe('patchPod');
  });

  it('sets the missing condition on a gated pod nobody updates (OpenKruise #892)', () => {
    const fresh = runningPod({ conditions: [] });
    expect(refreshInPlace(fresh, { now: T0 })).toMatchObject({ type: 'setCondition' });
    expect(refreshInPlace(runningPod(), { now: T0 })).toEqual({ type: 'none' });
  });

  it('defers images for gracePeriodSeconds, then applies them', () => {
    let pod = apply(runningPod(), startInPlaceUpdate(runningPod(), request, { now: T0 }), '11');
    const first = startInPlaceUpdate(pod, request, { now: T0, gracePeriodSeconds: 30 });
    expect(first.type === 'patchPod' && first.patch.spec).toBeUndefined();
    pod = apply(pod, first, '12');
    pod.metadata.labels!['controller-revision-hash'] = 'web-v2';
    expect(pod.metadata.annotations?.[InPlaceUpdateGraceAnnotation]).toBeDefined();
    expect(isUpdateCompleted(pod, readUpdateState(pod)!)).toBe(false);

    expect(refreshInPlace(pod, { now: at(10.5) })).toEqual({
      type: 'wait',
      reason: 'in-place grace period',
      requeueAfterMs: 20_000,
    });
    const late = refreshInPlace(pod, { now: at(31) });
    expect(late.type === 'patchPod' && late.patch.spec).toEqual({
      containers: [{ name: 'main', image: 'nginx:2' }],
    });
    pod = apply(pod, late, '13');
    expect(pod.metadata.annotations?.[InPlaceUpdateGraceAnnotation]).toBeUndefined();
    expect(readUpdateState(pod)?.lastContainerStatuses).toEqual({ main: { imageID: 'sha-1' } });
  });

  it('drops a grace spec when the pod moved to another revision', () => {
    let pod = apply(runningPod(), startInPlaceUpdate(runningPod(), request, { now: T0 }), '11');
    pod = apply(pod, startInPlaceUpdate(pod, request, { now: T0, gracePeriodSeconds: 30 }), '12');
    const step = refreshInPlace(pod, { now: at(1) });
    expect(
      step.type === 'patchPod' && step.patch.metadata.annotations?.[InPlaceUpdateGraceAnnotation],
    ).toBeNull();
    expect(step.type === 'patchPod' && step.patch.spec).toBeUndefined();
  });

  it('sends container resources to the resize subresource', () => {
    const withCpu = (cpu: string): PodTemplateSpec => ({
      spec: { containers: [{ name: 'main', image: 'nginx:1', resources: { requests: { cpu } } }] },
    });
    const resize = { revision: 'web-v2', diff: diffPodTemplates(withCpu('1'), withCpu('2')) };
    const step = startInPlaceUpdate(runningPod(), resize, { now: T0 });
    // A resize without a RestartContainer policy does not take the pod out of endpoints.
    expect(step.type).toBe('patchPod');
    expect(step.type === 'patchPod' && step.resizePatch).toEqual({
      spec: { containers: [{ name: 'main', resources: { requests: { cpu: '2' } } }] },
    });
    expect(
      step.type === 'patchPod' && JSON.parse(step.patch.metadata.annotations![InPlaceUpdateStateAnnotation]!),
    ).toMatchObject({
      updateResources: true,
      updateImages: false,
    });
  });

  it('treats a drain written by someone else (no revision in the message) like Kruise', () => {
    const foreign = runningPod({
      conditions: [{ type: InPlaceUpdateReadyCondition, status: 'False', reason: StartInPlaceUpdateReason }],
    });
    expect(drainedFor(foreign)).toBe('');
    expect(refreshInPlace(foreign, { now: T0, keepDrainedFor: 'web-v2' }).type).toBe('setCondition');
  });
});

describe('env from metadata', () => {
  const readsTier = (tier: string): PodTemplateSpec => ({
    metadata: { labels: { tier } },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'nginx:1',
          env: [{ name: 'TIER', valueFrom: { fieldRef: { fieldPath: "metadata.labels['tier']" } } }],
        },
      ],
    },
  });
  const relabel = { revision: 'web-v2', diff: diffPodTemplates(readsTier('a'), readsTier('b')) };

  it('patches the label, records the restart count and completes only once the container restarted', () => {
    let pod = runningPod({ gate: false });
    pod.status!.containerStatuses![0]!.restartCount = 2;
    const step = startInPlaceUpdate(pod, relabel, { now: T0 });
    expect(step.type === 'patchPod' && step.patch.metadata.labels).toEqual({ tier: 'b' });
    pod = apply(pod, step, '11');
    const state = readUpdateState(pod)!;
    expect(state).toMatchObject({
      updateEnvFromMetadata: true,
      lastContainerStatuses: { main: { restartCount: 2 } },
    });
    expect(isUpdateCompleted(pod, state)).toBe(false);
    pod.status!.containerStatuses![0]!.restartCount = 3;
    expect(isUpdateCompleted(pod, state)).toBe(true);
  });

  it('drains a gated pod first: its container restarts', () => {
    expect(startInPlaceUpdate(runningPod(), relabel, { now: T0 }).type).toBe('drain');
  });
});

describe('a workload with its own InPlaceConfig (SidecarSet)', () => {
  const config: InPlaceConfig = {
    state: { annotation: 'kruise.io/sidecarset-inplace-update-state', key: 'mesh' },
    grace: { annotation: 'example.com/grace' },
    readinessCondition: 'example.com/SidecarReady',
    revisionOf: (pod) => pod.metadata.annotations?.['example.com/revision'],
  };

  it('drains and restores its own condition and keeps other entries of the keyed state', () => {
    let pod = runningPod({ gate: false, conditions: [] });
    pod.spec.readinessGates = [{ conditionType: config.readinessCondition }];
    pod.metadata.annotations = { [config.state.annotation]: JSON.stringify({ other: { revision: 'o1' } }) };
    const drain = startInPlaceUpdate(pod, request, { now: T0, config });
    expect(drain.type === 'drain' && drain.conditions[0]).toMatchObject({
      type: config.readinessCondition,
      status: 'False',
    });
    pod = apply(pod, drain, '11');
    expect(drainedFor(pod, config)).toBe('web-v2');
    expect(drainedFor(pod)).toBeUndefined();
    const patch = startInPlaceUpdate(pod, request, { now: at(1), config });
    pod = apply(pod, patch, '12');
    const map = JSON.parse(pod.metadata.annotations![config.state.annotation]!);
    expect(Object.keys(map).sort()).toEqual(['mesh', 'other']);
    expect(readUpdateState(pod, config)?.revision).toBe('web-v2');
    expect(readUpdateState(pod)).toBeUndefined();
    pod = kubeletRestarts(pod, 'sha-2');
    expect(refreshInPlace(pod, { now: at(2), config })).toMatchObject({
      type: 'setCondition',
      conditions: [{ type: config.readinessCondition, status: 'True' }],
    });
  });
});
