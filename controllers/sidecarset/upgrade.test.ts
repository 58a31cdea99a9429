import type { Pod } from '../../apis/core-objects';
import type { SidecarContainer, SidecarSet, SidecarSetSpec } from '../../apis/sidecarset';
import {
  SidecarSetHashAnnotation,
  SidecarSetInplaceUpdateStateAnnotation,
  SidecarSetUpgradableCondition,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import type { Action } from '../workload/actions';
import { hashesOf } from './hash';
import { injectSidecars } from './inject';
import { podSidecarSetHash } from './pod-annotations';
import { isSidecarConsistent, isSidecarPodReady } from './pod-state';
import { computeStatus } from './status';
import { pod as podFixture, sidecarSet } from './testing/fixtures';
import { planUpgrade, sidecarSetResultEvent, type UpgradeInput } from './upgrade';

const NOW = new Date('2026-12-03T12:00:00Z');

const proxy = (image: string, extra: Partial<SidecarContainer> = {}): SidecarContainer => ({
  name: 'proxy',
  image,
  podInjectPolicy: 'BeforeAppContainer',
  ...extra,
});
const mesh = (image: string, spec: Partial<SidecarSetSpec> = {}, name = 'mesh'): SidecarSet => {
  const set = sidecarSet(name, { containers: [proxy(image)], ...spec });
  return { ...set, metadata: { ...set.metadata, resourceVersion: '42' } };
};
const withStrategy = (set: SidecarSet, updateStrategy: SidecarSetSpec['updateStrategy']): SidecarSet => ({
  ...set,
  spec: { ...set.spec, updateStrategy },
});

/** What the kubelet reports for a container running `image`. */
const imageIdOf = (image: string | undefined) => `registry.invalid/x@sha256:${image}`;

/** The pod after the kubelet has (re)started every container as its spec says. */
function running(p: Pod, ready = true): Pod {
  return {
    ...p,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: p.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        imageID: imageIdOf(c.image),
        ready: ready || c.name !== 'app',
        restartCount: 0,
      })),
    },
  };
}

let seq = 0;
/** A pod injected by `sets`, Running and Ready unless told otherwise. */
function injectedPod(
  sets: SidecarSet[],
  o: { name?: string; labels?: Record<string, string>; ready?: boolean } = {},
) {
  seq++;
  const name = o.name ?? `web-${seq}`;
  const base = podFixture(
    {},
    { name, uid: `uid-${name}`, resourceVersion: String(seq), labels: { app: 'web', ...o.labels } },
  );
  const result = injectSidecars(base, sets, { now: NOW });
  if (result.type !== 'injected') throw new Error(result.type);
  return running(result.pod, o.ready ?? true);
}
const pods = (n: number, sets: SidecarSet[], o: { ready?: boolean } = {}) =>
  Array.from({ length: n }, () => injectedPod(sets, o));

const plan = (set: SidecarSet, matched: Pod[], extra: Partial<UpgradeInput> = {}) =>
  planUpgrade({ sidecarSet: set, pods: matched, latestRevision: 'mesh-rev2', now: NOW, ...extra });

type PatchAction = Extract<Action, { type: 'inPlaceUpdate' }>;
const patches = (actions: Action[]) => actions.filter((a): a is PatchAction => a.type === 'inPlaceUpdate');

/** Applies an in-place patch as the apiserver's strategic merge would (images by name, annotations). */
function applyPatch(p: Pod, action: PatchAction): Pod {
  const annotations = { ...p.metadata.annotations };
  for (const [k, v] of Object.entries(action.patch.metadata.annotations ?? {})) {
    if (v === null) delete annotations[k];
    else annotations[k] = v;
  }
  const images = new Map((action.patch.spec?.containers ?? []).map((c) => [c.name, c.image]));
  return {
    ...p,
    metadata: { ...p.metadata, annotations, resourceVersion: `${p.metadata.resourceVersion}1` },
    spec: {
      ...p.spec,
      containers: p.spec.containers.map((c) => ({ ...c, image: images.get(c.name) ?? c.image })),
    },
  };
}

/** The kubelet restarts containers whose image changed; `failing` images never become ready. */
function restart(p: Pod, failing: string[] = []): Pod {
  const statuses = (p.status?.containerStatuses ?? []).map((s) => {
    const spec = p.spec.containers.find((c) => c.name === s.name)!;
    if (spec.image === s.image) return s;
    return {
      ...s,
      image: spec.image,
      imageID: imageIdOf(spec.image),
      ready: !failing.includes(spec.image ?? ''),
      restartCount: (s.restartCount ?? 0) + 1,
    };
  });
  const ready = statuses.every((s) => s.ready);
  return {
    ...p,
    status: {
      ...p.status,
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: statuses,
    },
  };
}

/** One pod moved to the SidecarSet's version (patched and restarted). */
function upgraded(p: Pod, set: SidecarSet, failing: string[] = []): Pod {
  const action = patches(plan(withStrategy(set, { maxUnavailable: '100%' }), [p]).actions)[0]!;
  return restart(applyPatch(p, action), failing);
}

const v1 = mesh('proxy:1');
const v2 = mesh('proxy:2');

describe('SidecarSet upgrade plan: which pods move this round', () => {
  interface Case {
    name: string;
    strategy?: SidecarSetSpec['updateStrategy'];
    /** Pods at v1: ready ones, then unready ones. */
    ready: number;
    unready?: number;
    /** Pods already at v2: ready, unready by themselves, still restarting their sidecar. */
    upgradedReady?: number;
    upgradedUnready?: number;
    upgradedRestarting?: number;
    expected: number;
  }
  const cases: Case[] = [
    { name: 'maxUnavailable defaults to 1', ready: 4, expected: 1 },
    { name: 'maxUnavailable 2', strategy: { maxUnavailable: 2 }, ready: 4, expected: 2 },
    {
      name: 'maxUnavailable 50% of 5 rounds up to 3',
      strategy: { maxUnavailable: '50%' },
      ready: 5,
      expected: 3,
    },
    {
      name: 'maxUnavailable 1% of 5 rounds up to 1',
      strategy: { maxUnavailable: '1%' },
      ready: 5,
      expected: 1,
    },
    {
      name: 'partition 2 keeps 2 behind',
      strategy: { partition: 2, maxUnavailable: 10 },
      ready: 4,
      expected: 2,
    },
    {
      name: 'partition 50% of 5 rounds up: 3 stay',
      strategy: { partition: '50%', maxUnavailable: 10 },
      ready: 5,
      expected: 2,
    },
    {
      name: 'partition 99% still upgrades one',
      strategy: { partition: '99%', maxUnavailable: 10 },
      ready: 5,
      expected: 1,
    },
    {
      name: 'partition 100% upgrades none',
      strategy: { partition: '100%', maxUnavailable: 10 },
      ready: 5,
      expected: 0,
    },
    {
      name: 'partition counts the pods already upgraded as matched, not as waiting',
      strategy: { partition: 2, maxUnavailable: 10 },
      ready: 2,
      upgradedReady: 2,
      expected: 0,
    },
    {
      name: 'a pod unready by itself is upgraded without using the budget',
      ready: 3,
      unready: 1,
      expected: 2,
    },
    {
      name: 'pods unready by themselves are all upgraded even with the budget used up',
      ready: 2,
      unready: 2,
      upgradedUnready: 1,
      expected: 2,
    },
    {
      name: 'an upgraded pod that became unready by itself uses the budget',
      ready: 3,
      upgradedUnready: 1,
      expected: 0,
    },
    {
      name: 'an upgraded pod still restarting its sidecar uses the budget',
      strategy: { maxUnavailable: 2 },
      ready: 3,
      upgradedRestarting: 1,
      expected: 1,
    },
    { name: 'ready upgraded pods use no budget', ready: 2, upgradedReady: 3, expected: 1 },
    { name: 'paused upgrades nothing', strategy: { paused: true }, ready: 3, expected: 0 },
    { name: 'NotUpdate upgrades nothing', strategy: { type: 'NotUpdate' }, ready: 3, expected: 0 },
    { name: 'nothing to do when every pod is updated', ready: 0, upgradedReady: 3, expected: 0 },
  ];
  it.each(cases)('$name', (c) => {
    const set = withStrategy(v2, c.strategy);
    const matched = [
      ...pods(c.ready, [v1]),
      ...pods(c.unready ?? 0, [v1], { ready: false }),
      ...pods(c.upgradedReady ?? 0, [v1]).map((p) => upgraded(p, v2)),
      ...pods(c.upgradedUnready ?? 0, [v1]).map((p) => running(upgraded(p, v2), false)),
      ...pods(c.upgradedRestarting ?? 0, [v1]).map((p) => {
        const action = patches(plan(withStrategy(v2, { maxUnavailable: 1 }), [p]).actions)[0]!;
        return applyPatch(p, action);
      }),
    ];
    const result = plan(set, matched);
    expect(result.upgraded).toHaveLength(c.expected);
    expect(patches(result.actions)).toHaveLength(c.expected);
    expect(result.notUpgradable).toEqual([]);
  });

  it('upgrades the unready pods first (k8s ActivePods order)', () => {
    const [a, b] = pods(2, [v1]);
    const sick = injectedPod([v1], { ready: false });
    expect(plan(withStrategy(v2, { maxUnavailable: 1 }), [a!, b!, sick]).upgraded[0]).toBe(
      sick.metadata.name,
    );
  });

  it('upgrades only the pods updateStrategy.selector picks (canary)', () => {
    const canary = injectedPod([v1], { labels: { canary: 'true' } });
    const others = pods(3, [v1]);
    const set = withStrategy(v2, { selector: { matchLabels: { canary: 'true' } }, maxUnavailable: 10 });
    expect(plan(set, [...others, canary]).upgraded).toEqual([canary.metadata.name]);
  });

  it('orders by priority, then scatters `value: "*"` over every value the pods carry', () => {
    const gold = injectedPod([v1], { labels: { tier: 'gold' } });
    const plain = pods(2, [v1]);
    const weighted = withStrategy(v2, {
      priorityStrategy: {
        weightPriority: [{ weight: 50, matchSelector: { matchLabels: { tier: 'gold' } } }],
      },
    });
    expect(plan(weighted, [...plain, gold]).upgraded).toEqual([gold.metadata.name]);

    const zoned = ['a', 'a', 'a', 'b', 'b', 'b'].map((zone) => injectedPod([v1], { labels: { zone } }));
    const scattered = withStrategy(v2, { maxUnavailable: 6, scatterStrategy: [{ key: 'zone', value: '*' }] });
    const order = plan(scattered, zoned).upgraded.map(
      (name) => zoned.find((p) => p.metadata.name === name)!.metadata.labels!.zone,
    );
    expect(order).toHaveLength(6);
    // Never all of one zone first.
    expect(order.slice(0, 3)).not.toEqual(['a', 'a', 'a']);
    expect(order.slice(0, 3)).not.toEqual(['b', 'b', 'b']);
  });

  it('waits for a sidecar that is ready but still finishing an earlier upgrade', () => {
    const v3 = mesh('proxy:3');
    const [p] = pods(1, [v1]);
    const action = patches(plan(withStrategy(v2, { maxUnavailable: 1 }), [p!]).actions)[0]!;
    // The spec says proxy:2; the kubelet still reports proxy:1 as ready.
    const inFlight = applyPatch(p!, action);
    expect(isSidecarConsistent(inFlight, v2)).toBe(false);
    expect(plan(withStrategy(v3, { maxUnavailable: 10 }), [inFlight]).upgraded).toEqual([]);
  });
});

describe('SidecarSet upgrade plan: not upgradable in place', () => {
  const cases: { name: string; next: SidecarSet }[] = [
    {
      name: 'env changed',
      next: mesh('proxy:2', { containers: [proxy('proxy:2', { env: [{ name: 'A', value: '1' }] })] }),
    },
    {
      name: 'args changed with the image',
      next: mesh('proxy:2', { containers: [proxy('proxy:2', { args: ['--drain=5s'] })] }),
    },
    {
      name: 'resources changed',
      next: mesh('proxy:1', { containers: [proxy('proxy:1', { resources: { limits: { cpu: '1' } } })] }),
    },
  ];
  it.each(cases)('$name: condition SidecarSetUpgradable=False, an Event, nothing restarted', ({ next }) => {
    const matched = pods(3, [v1]);
    const result = plan(withStrategy(next, { maxUnavailable: 10 }), matched);
    expect(patches(result.actions)).toEqual([]);
    expect(result.notUpgradable).toHaveLength(3);
    expect(result.actions).toEqual(
      matched.map((p) => ({
        type: 'setPodCondition',
        name: p.metadata.name,
        namespace: p.metadata.namespace,
        conditions: [
          {
            type: SidecarSetUpgradableCondition,
            status: 'False',
            reason: 'UpdateImmutableField',
            message: '{"mesh":false}',
            lastTransitionTime: NOW.toISOString(),
          },
        ],
      })),
    );
    expect(result.events).toEqual([expect.objectContaining({ reason: 'NotUpgradablePods' })]);
  });

  it('writes the condition once: a pod already marked is not written again', () => {
    const next = mesh('proxy:1', { containers: [proxy('proxy:1', { env: [{ name: 'A', value: '1' }] })] });
    const [p] = pods(1, [v1]);
    const first = plan(next, [p!]).actions[0] as Extract<Action, { type: 'setPodCondition' }>;
    const marked = {
      ...p!,
      status: { ...p!.status, conditions: [...(p!.status?.conditions ?? []), ...first.conditions] },
    };
    const again = plan(next, [marked]);
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
    expect(again.notUpgradable).toEqual([marked.metadata.name]);
  });

  it('keeps the verdicts of other SidecarSets in the message; True only when all are upgradable', () => {
    const [p] = pods(1, [v1]);
    const other = {
      type: SidecarSetUpgradableCondition,
      status: 'False',
      reason: 'UpdateImmutableField',
      message: '{"logging":false}',
    };
    const marked = { ...p!, status: { ...p!.status, conditions: [...(p!.status?.conditions ?? []), other] } };
    const write = plan(withStrategy(v2, { maxUnavailable: 1 }), [marked]).actions[1] as Extract<
      Action,
      { type: 'setPodCondition' }
    >;
    expect(write.conditions[0]).toMatchObject({ status: 'False', message: '{"logging":false,"mesh":true}' });
  });
});

describe('SidecarSet upgrade: the pod write', () => {
  it('patches only the sidecar image, conditional on the observed resourceVersion, and records the state', () => {
    const [p] = pods(1, [v1]);
    const result = plan(withStrategy(v2, { maxUnavailable: 1 }), [p!]);
    const [update, condition] = result.actions;
    expect(update).toMatchObject({ type: 'inPlaceUpdate', name: p!.metadata.name, namespace: 'team-a' });
    const patch = (update as PatchAction).patch;
    expect(patch.spec).toEqual({ containers: [{ name: 'proxy', image: 'proxy:2' }] });
    expect(patch.metadata.resourceVersion).toBe(p!.metadata.resourceVersion);
    const state = JSON.parse(patch.metadata.annotations![SidecarSetInplaceUpdateStateAnnotation]!);
    expect(state.mesh).toMatchObject({
      revision: hashesOf(v2).hash,
      lastContainerStatuses: { proxy: { imageID: imageIdOf('proxy:1') } },
    });
    const hashes = JSON.parse(patch.metadata.annotations![SidecarSetHashAnnotation]!);
    expect(hashes.mesh).toEqual({
      updateTimestamp: '2026-12-03T12:00:00Z',
      hash: hashesOf(v2).hash,
      sidecarSetName: 'mesh',
      sidecarList: ['proxy'],
      controllerRevision: 'mesh-rev2',
    });
    // Never drained: readiness is the pod's own business during a sidecar upgrade.
    expect(result.actions.some((a) => a.type === 'drainAndUpdate')).toBe(false);
    expect(condition).toMatchObject({
      type: 'setPodCondition',
      conditions: [
        { type: SidecarSetUpgradableCondition, status: 'True', reason: 'AllSidecarsetUpgradable' },
      ],
    });
  });

  it('is consistent and counted ready and updated once the kubelet runs the new image', () => {
    const [p] = pods(1, [v1]);
    const action = patches(plan(v2, [p!]).actions)[0]!;
    const patched = applyPatch(p!, action);
    const status = (pod: Pod) => computeStatus({ sidecarSet: v2, pods: [pod], sidecarSets: [v2] }).status;
    expect(status(patched)).toMatchObject({
      matchedPods: 1,
      updatedPods: 1,
      readyPods: 0,
      updatedReadyPods: 0,
    });
    const restarted = restart(patched);
    expect(isSidecarConsistent(restarted, v2)).toBe(true);
    expect(status(restarted)).toMatchObject({ updatedPods: 1, readyPods: 1, updatedReadyPods: 1 });
    expect(restarted.status?.containerStatuses?.find((s) => s.name === 'app')?.restartCount).toBe(0);
  });

  it('two SidecarSets on one pod: each upgrades its own sidecar and keeps the other one’s entries', () => {
    const logV1 = sidecarSet('logging', {
      containers: [{ name: 'log', image: 'log:1', podInjectPolicy: 'AfterAppContainer' }],
    });
    const logV2 = sidecarSet('logging', {
      containers: [{ name: 'log', image: 'log:2', podInjectPolicy: 'AfterAppContainer' }],
    });
    const [p] = pods(1, [v1, logV1]);
    const meshDone = restart(applyPatch(p!, patches(plan(v2, [p!]).actions)[0]!));
    const logAction = patches(plan(logV2, [meshDone]).actions)[0]!;
    expect(logAction.patch.spec).toEqual({ containers: [{ name: 'log', image: 'log:2' }] });
    const both = restart(applyPatch(meshDone, logAction));
    expect(podSidecarSetHash(both, 'mesh')).toBe(hashesOf(v2).hash);
    expect(podSidecarSetHash(both, 'logging')).toBe(hashesOf(logV2).hash);
    const state = JSON.parse(both.metadata.annotations![SidecarSetInplaceUpdateStateAnnotation]!);
    expect(Object.keys(state).sort()).toEqual(['logging', 'mesh']);
    expect(isSidecarConsistent(both, v2) && isSidecarConsistent(both, logV2)).toBe(true);
  });
});

describe('SidecarSet hot upgrade', () => {
  const hot = (image: string) =>
    mesh(image, {
      containers: [
        proxy(image, { upgradeStrategy: { upgradeType: 'HotUpgrade', hotUpgradeEmptyImage: 'empty:1' } }),
      ],
    });
  const images = (p: Pod) => Object.fromEntries(p.spec.containers.map((c) => [c.name, c.image]));
  const working = (p: Pod) =>
    JSON.parse(p.metadata.annotations![SidecarSetWorkingHotUpgradeContainerAnnotation]!).proxy;
  const step = (set: SidecarSet, p: Pod, failing: string[] = []) => {
    const result = plan(set, [p]);
    const action = patches(result.actions)[0];
    return { result, pod: action ? restart(applyPatch(p, action), failing) : p };
  };

  it('alternates the working twin on each upgrade and empties the old one once the new one is ready', () => {
    let [p] = pods(1, [hot('proxy:1')]);
    expect(images(p!)).toMatchObject({ 'proxy-1': 'proxy:1', 'proxy-2': 'empty:1' });
    expect(working(p!)).toBe('proxy-1');

    // Upgrade 1: the idle twin gets the new image and becomes the working one.
    let s = step(hot('proxy:2'), p!);
    expect(s.result.upgraded).toHaveLength(1);
    p = s.pod;
    expect(images(p)).toMatchObject({ 'proxy-1': 'proxy:1', 'proxy-2': 'proxy:2' });
    expect(working(p)).toBe('proxy-2');
    expect(p.metadata.annotations).toMatchObject({
      'version.sidecarset.kruise.io/proxy-2': '42',
      'versionalt.sidecarset.kruise.io/proxy-2': '1',
      'versionalt.sidecarset.kruise.io/proxy-1': '42',
    });
    // Both twins run: the pod is not yet counted ready.
    expect(isSidecarPodReady(p, hot('proxy:2'))).toBe(false);

    // The new twin is ready: the old twin goes back to the empty image.
    s = step(hot('proxy:2'), p);
    expect(s.result.reset).toEqual([p.metadata.name]);
    p = s.pod;
    expect(images(p)).toMatchObject({ 'proxy-1': 'empty:1', 'proxy-2': 'proxy:2' });
    expect(p.metadata.annotations).toMatchObject({
      'version.sidecarset.kruise.io/proxy-1': '0',
      'versionalt.sidecarset.kruise.io/proxy-2': '0',
    });
    expect(isSidecarPodReady(p, hot('proxy:2'))).toBe(true);
    expect(plan(hot('proxy:2'), [p]).actions).toEqual([]);

    // Upgrade 2 goes into proxy-1.
    p = step(hot('proxy:3'), p).pod;
    expect(working(p)).toBe('proxy-1');
    p = step(hot('proxy:3'), p).pod;
    expect(images(p)).toMatchObject({ 'proxy-1': 'proxy:3', 'proxy-2': 'empty:1' });
    expect(p.status?.containerStatuses?.find((c) => c.name === 'app')?.restartCount).toBe(0);
  });

  it("reports the reset on the pod, as Kruise's ResetContainerSucceed / ResetContainerFailed", () => {
    let [p] = pods(1, [hot('proxy:1')]);
    p = step(hot('proxy:2'), p!).pod;
    const upgrade = plan(hot('proxy:3'), [pods(1, [hot('proxy:1')])[0]!]).actions[0]!;
    const reset = plan(hot('proxy:2'), [p]).actions[0]!;
    const about = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: p.metadata.name, namespace: p.metadata.namespace, uid: p.metadata.uid },
    };
    expect(sidecarSetResultEvent(reset, undefined)).toEqual({
      type: 'Normal',
      reason: 'ResetContainerSucceed',
      message: 'reset sidecar container image empty successfully',
      regarding: about,
    });
    expect(sidecarSetResultEvent(reset, undefined, new Error('conflict'))).toEqual({
      type: 'Warning',
      reason: 'ResetContainerFailed',
      message: 'reset sidecar container image empty failed: conflict',
      regarding: about,
    });
    // An upgrade itself keeps the kit's per-pod Event, on the SidecarSet.
    expect(sidecarSetResultEvent(upgrade, undefined)).toMatchObject({ reason: 'SuccessfulUpdatePodInPlace' });
    expect(sidecarSetResultEvent(upgrade, undefined)?.regarding).toBeUndefined();
  });

  it('a failing new image never takes over: the old twin keeps running', () => {
    let [p] = pods(1, [hot('proxy:1')]);
    p = step(hot('proxy:bad'), p!, ['proxy:bad']).pod;
    expect(images(p)).toMatchObject({ 'proxy-1': 'proxy:1', 'proxy-2': 'proxy:bad' });
    const again = plan(hot('proxy:bad'), [p]);
    expect(again.actions).toEqual([]);
    expect(images(p)['proxy-1']).toBe('proxy:1');
    // Fixing the image upgrades the unready twin, never the one still serving.
    const fixed = step(hot('proxy:2'), p).pod;
    expect(images(fixed)).toMatchObject({ 'proxy-1': 'proxy:1', 'proxy-2': 'proxy:2' });
  });
});
