// Follows one workload's pods through a watch (not by polling LISTs, which would load the apiserver the
// benchmark measures): progress counters, the rollout's invariants at every pod event, and the moment
// it settles. Each pod is kept as the few facts the checks need, so checking every event stays cheap.
import { performance } from 'node:perf_hooks';
import type { KubeClient } from '../../runtime/client';
import { Informer } from '../../runtime/informer';
import { silentLogger } from '../../runtime/log';
import { type KubeObject, Pods } from '../../runtime/meta';

export interface TrackedPod extends KubeObject {
  spec?: { nodeName?: string; containers: { image: string }[] };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { image: string }[];
  };
}

interface PodState {
  uid: string;
  terminating: boolean;
  ready: boolean;
  specImage: string;
  runningImage: string;
}

export interface RolloutLimits {
  replicas: number;
  maxUnavailable: number;
  maxSurge: number;
  /** The image being replaced: a pod leaving it starts an update (batches). */
  fromImage?: string;
}

export interface Progress {
  pods: number;
  terminating: number;
  ready: number;
  newSpec: number;
  newImageRunning: number;
  newReady: number;
}

/** When each stage of a pod's replacement was first seen, in ms (performance.now()). */
interface PodTimes {
  name: string;
  created?: number;
  bound?: number;
  ready?: number;
  deleting?: number;
  gone?: number;
}

/**
 * One stage's durations in ms: median, 90th and 99th percentile and the longest. A batched rollout
 * ends with its slowest chain of pods, so the tail decides as much as the median.
 */
export interface StageSpread {
  stage: string;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Mean and latest time of one step over a window's pods, in ms. */
export interface StepTimes {
  mean: number;
  latest: number;
}

export interface WindowSteps {
  pods: number;
  deleted: StepTimes;
  gone: StepTimes;
  created: StepTimes;
  bound: StepTimes;
  ready: StepTimes;
}

export class RolloutTracker {
  private readonly informer: Informer<TrackedPod>;
  private readonly stop = new AbortController();
  private readonly pods = new Map<string, PodState>();
  /** Uids of the pods deleted since the tracker started. */
  readonly deletedUids = new Set<string>();
  private limits?: RolloutLimits;
  private waiter?: { image: string; replicas: number; resolve: () => void };
  readonly violations: string[] = [];
  /** When each pod still at the old image began its update (deleted or its spec changed), in ms. */
  readonly updateStarts: number[] = [];
  peakUnavailable = 0;
  events = 0;
  /** Per pod uid, from checkLimits on: the stage timings `stages()` summarises. */
  private readonly times = new Map<string, PodTimes>();
  private timing = false;

  constructor(client: KubeClient, namespace: string, app: string) {
    this.informer = new Informer<TrackedPod>(client.resource<TrackedPod>(Pods), {
      namespace,
      labelSelector: `app=${app}`,
      logger: silentLogger(),
    });
    this.informer.addEventHandler({
      onAdd: (pod) => this.record(pod),
      onUpdate: (_old, pod) => this.record(pod),
      onDelete: (pod) => {
        const uid = pod.metadata?.uid ?? '';
        const known = this.pods.get(uid);
        if (known && !known.terminating) this.noteUpdateStart(known.specImage);
        this.stamp(pod, 'gone');
        this.pods.delete(uid);
        this.deletedUids.add(uid);
        this.afterEvent();
      },
    });
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await this.informer.waitForSync(this.stop.signal);
  }

  /** Stops the watch and the checks: events already received after this (the workload's own deletion) count for nothing. */
  close(): void {
    this.stop.abort();
    this.limits = undefined;
    this.timing = false;
  }

  /** Checks the invariants at every event from now on (replicas + maxSurge pods, maxUnavailable). */
  checkLimits(limits: RolloutLimits): void {
    this.limits = limits;
    this.peakUnavailable = 0;
    this.violations.length = 0;
    this.updateStarts.length = 0;
    this.times.clear();
    this.timing = true;
  }

  /**
   * Where a replacement's time goes, from the tracker's watch: the old pod's graceful termination, the
   * controller's create after the old pod of that name is gone, scheduling, the kubelet's start, and the
   * controller's next update start after a new pod is ready (the i-th ready frees the window slot that
   * the (i + window)-th update start takes).
   */
  stages(window: number): StageSpread[] {
    const pods = [...this.times.values()];
    type Stage = Exclude<keyof PodTimes, 'name'>;
    const between = (from: Stage, to: Stage) =>
      pods.flatMap((t) => {
        const a = t[from];
        const b = t[to];
        return a !== undefined && b !== undefined ? [b - a] : [];
      });
    const recreated = this.replacements().map(
      ({ old, next }) => (next.created as number) - (old.gone as number),
    );
    const readies = pods.flatMap((t) => (t.ready !== undefined ? [t.ready] : []));
    readies.sort((a, b) => a - b);
    const starts = [...this.updateStarts].sort((a, b) => a - b);
    const refill = starts.slice(window).flatMap((s, i) => {
      const freed = readies[i];
      return freed !== undefined ? [s - freed] : [];
    });
    return [
      spread('old pod terminating → gone', between('deleting', 'gone')),
      spread('gone → same name created', recreated),
      spread('created → bound', between('created', 'bound')),
      spread('bound → ready', between('bound', 'ready')),
      spread('new pod ready → next update start', refill),
    ];
  }

  /** When the first update started, when the window was first full, and when the last update started, in ms after `since`. */
  rolloutStart(since: number, window: number): { first?: number; windowFull?: number; last?: number } {
    const starts = [...this.updateStarts].sort((a, b) => a - b);
    const after = (t: number | undefined) => (t === undefined ? undefined : t - since);
    return { first: after(starts[0]), windowFull: after(starts[window - 1]), last: after(starts.at(-1)) };
  }

  /**
   * The first window's replacements, as mean and latest ms after `since` at each step (old pod deleted,
   * gone, new pod created, bound, ready). The window's pods then free the slots of the next ones, so when
   * they get ready on average sets the pace of the rest of the rollout.
   */
  firstWindow(since: number, window: number): WindowSteps | undefined {
    const first = this.replacements()
      .filter(({ old }) => old.deleting !== undefined)
      .sort((a, b) => (a.old.deleting as number) - (b.old.deleting as number))
      .slice(0, window);
    const rows = first.flatMap(({ old, next }) => {
      const steps = [old.deleting, old.gone, next.created, next.bound, next.ready];
      return steps.every((s) => s !== undefined) ? [steps.map((s) => (s as number) - since)] : [];
    });
    if (rows.length === 0) return undefined;
    const column = (i: number) => rows.map((r) => r[i] as number);
    const summary = (i: number) => ({
      mean: column(i).reduce((a, b) => a + b, 0) / rows.length,
      latest: Math.max(...column(i)),
    });
    return {
      pods: rows.length,
      deleted: summary(0),
      gone: summary(1),
      created: summary(2),
      bound: summary(3),
      ready: summary(4),
    };
  }

  /** Each pod that is gone paired with the pod of its name created after it (its replacement). */
  private replacements(): { old: PodTimes; next: PodTimes }[] {
    const byName = new Map<string, PodTimes[]>();
    for (const t of this.times.values()) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
    return [...byName.values()].flatMap((same) => {
      const old = same.find((t) => t.gone !== undefined);
      const next = same.find((t) => t !== old && t.created !== undefined);
      return old && next ? [{ old, next }] : [];
    });
  }

  private stamp(pod: TrackedPod, stage: Exclude<keyof PodTimes, 'name'>): void {
    if (!this.timing) return;
    const uid = pod.metadata?.uid ?? '';
    const t = this.times.get(uid) ?? { name: pod.metadata?.name ?? '' };
    // Binding and readiness are stages of a new pod only (a pod updated in place was bound before).
    if ((stage === 'bound' || stage === 'ready') && t.created === undefined) return;
    t[stage] ??= performance.now();
    this.times.set(uid, t);
  }

  /**
   * The update starts grouped into batches: a start less than `gapMs` after the previous one joins its
   * batch. With gapMs half a pod start, one-by-one updates give one batch per pod and a window of N pods
   * started together gives one per N.
   */
  batches(gapMs: number): number {
    const starts = [...this.updateStarts].sort((a, b) => a - b);
    return starts.filter((t, i) => i === 0 || t - (starts[i - 1] as number) >= gapMs).length;
  }

  /** Resolves once exactly `replicas` pods exist, none terminating, all ready and running `image`. */
  settled(replicas: number, image: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiter = { image, replicas, resolve };
      this.afterEvent();
    });
  }

  progress(image: string): Progress {
    const p = { pods: 0, terminating: 0, ready: 0, newSpec: 0, newImageRunning: 0, newReady: 0 };
    for (const pod of this.pods.values()) {
      p.pods++;
      if (pod.terminating) p.terminating++;
      if (pod.ready) p.ready++;
      if (pod.specImage === image) p.newSpec++;
      if (pod.runningImage === image) p.newImageRunning++;
      if (pod.ready && pod.specImage === image) p.newReady++;
    }
    return p;
  }

  /** The pods there now. */
  current(): TrackedPod[] {
    return this.informer.lister.list();
  }

  private record(pod: TrackedPod): void {
    const uid = pod.metadata?.uid ?? '';
    const terminating = Boolean(pod.metadata?.deletionTimestamp);
    const specImage = pod.spec?.containers[0]?.image ?? '';
    const known = this.pods.get(uid);
    if (!known) this.stamp(pod, 'created');
    if (pod.spec?.nodeName) this.stamp(pod, 'bound');
    if (terminating) this.stamp(pod, 'deleting');
    if (known && ((terminating && !known.terminating) || specImage !== known.specImage))
      this.noteUpdateStart(known.specImage);
    this.pods.set(uid, {
      uid,
      terminating,
      ready:
        !terminating && (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      specImage,
      runningImage: pod.status?.containerStatuses?.[0]?.image ?? '',
    });
    if (this.pods.get(uid)?.ready) this.stamp(pod, 'ready');
    this.afterEvent();
  }

  /** A pod at `image` is deleted or changed: an update starts if that is the image being replaced. */
  private noteUpdateStart(image: string): void {
    if (this.limits?.fromImage === image) this.updateStarts.push(performance.now());
  }

  private afterEvent(): void {
    this.events++;
    let active = 0;
    let ready = 0;
    let settledPods = 0;
    for (const pod of this.pods.values()) {
      if (pod.terminating) continue;
      active++;
      if (pod.ready) ready++;
      if (pod.ready && pod.specImage === this.waiter?.image && pod.runningImage === this.waiter.image)
        settledPods++;
    }
    if (this.limits) this.check(active, ready);
    const w = this.waiter;
    if (w && this.pods.size === w.replicas && settledPods === w.replicas) {
      this.waiter = undefined;
      w.resolve();
    }
  }

  private check(active: number, ready: number): void {
    const { replicas, maxUnavailable, maxSurge } = this.limits as RolloutLimits;
    const unavailable = Math.max(0, replicas - ready);
    this.peakUnavailable = Math.max(this.peakUnavailable, unavailable);
    const at = `at ${new Date().toISOString().slice(11, 23)} (event ${this.events})`;
    if (unavailable > maxUnavailable)
      this.violations.push(`${at}: ${unavailable} unavailable > maxUnavailable ${maxUnavailable}`);
    if (active > replicas + maxSurge)
      this.violations.push(`${at}: ${active} active pods > replicas ${replicas} + maxSurge ${maxSurge}`);
  }
}

function spread(stage: string, ms: number[]): StageSpread {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { stage, count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}
