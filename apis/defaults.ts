// applyDefaults: OpenKruise's SetDefaults_* for our four kinds, used by the controllers and the mutating
// webhook alike. It mutates `obj` in place (and returns it), works on untyped JSON, is idempotent, and
// leaves values of the wrong type alone so validation can report them.
import type { BroadcastJob } from './broadcastjob';
import type { CloneSet } from './cloneset';
import type { KindName } from './kinds';
import {
  asArray,
  asObject,
  defaultContainer,
  defaultPodTemplate,
  defaultPvcTemplates,
  defaultVolumes,
  ensureObject,
  type Json,
  setDefault,
} from './pod-defaults';
import type { SidecarSet } from './sidecarset';
import type { StatefulSet } from './statefulset';
import { MaxInt32 } from './well-known';

export interface KindTypes {
  CloneSet: CloneSet;
  StatefulSet: StatefulSet;
  BroadcastJob: BroadcastJob;
  SidecarSet: SidecarSet;
}

const DEFAULTERS: Record<KindName, (spec: Json) => void> = {
  CloneSet: defaultCloneSet,
  StatefulSet: defaultStatefulSet,
  BroadcastJob: defaultBroadcastJob,
  SidecarSet: defaultSidecarSet,
};

export function applyDefaults<K extends KindName>(kind: K, obj: KindTypes[K]): KindTypes[K];
export function applyDefaults(kind: KindName, obj: unknown): unknown;
export function applyDefaults(kind: KindName, obj: unknown): unknown {
  const root = asObject(obj);
  if (!root) return obj;
  const spec = ensureObject(root, 'spec');
  if (spec) DEFAULTERS[kind](spec);
  return obj;
}

/** SetDefaultsCloneSet (v1alpha1), with template defaults (gate TemplateNoDefaults off). */
function defaultCloneSet(spec: Json): void {
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
  defaultPvcTemplates(spec.volumeClaimTemplates);
  ensureObject(spec, 'scaleStrategy');
  const strategy = ensureObject(spec, 'updateStrategy');
  if (!strategy) return;
  setDefault(strategy, 'type', 'ReCreate');
  if (strategy.type === 'InPlaceIfPossible' || strategy.type === 'InPlaceOnly') {
    ensureObject(strategy, 'inPlaceUpdateStrategy');
  }
  setDefault(strategy, 'partition', 0);
  setDefault(strategy, 'maxUnavailable', '20%');
  setDefault(strategy, 'maxSurge', 0);
}

/** SetDefaultsStatefulSet (v1beta1); gate StatefulSetAutoDeletePVC on, StatefulSetAutoResizePVCGate off. */
function defaultStatefulSet(spec: Json): void {
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = ensureObject(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    const rolling = strategy.type === 'RollingUpdate' ? ensureObject(strategy, 'rollingUpdate') : undefined;
    if (rolling) {
      setDefault(rolling, 'partition', 0);
      setDefault(rolling, 'maxUnavailable', 1);
      setDefault(rolling, 'podUpdatePolicy', 'ReCreate');
      setDefault(rolling, 'minReadySeconds', 0);
    }
  }
  const retention = ensureObject(spec, 'persistentVolumeClaimRetentionPolicy');
  if (retention) {
    setDefault(retention, 'whenDeleted', 'Retain');
    setDefault(retention, 'whenScaled', 'Retain');
  }
  ensureObject(spec, 'volumeClaimUpdateStrategy');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(spec.template);
  defaultPvcTemplates(spec.volumeClaimTemplates);
}

/** SetDefaultsBroadcastJob. */
function defaultBroadcastJob(spec: Json): void {
  defaultPodTemplate(spec.template);
  const completion = ensureObject(spec, 'completionPolicy');
  if (completion) setDefault(completion, 'type', 'Always');
  setDefault(spec, 'parallelism', MaxInt32);
  const failure = ensureObject(spec, 'failurePolicy');
  if (failure) setDefault(failure, 'type', 'FailFast');
}

/** SetDefaultsSidecarSet (hash annotations are the SidecarSet controller's/webhook's business). */
function defaultSidecarSet(spec: Json): void {
  const strategy = ensureObject(spec, 'updateStrategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    setDefault(strategy, 'maxUnavailable', 1);
    setDefault(strategy, 'partition', 0);
  }
  for (const c of asArray(spec.initContainers)) defaultSidecarContainer(c, 'AfterAppContainer');
  for (const c of asArray(spec.containers)) defaultSidecarContainer(c, 'BeforeAppContainer');
  defaultVolumes(spec.volumes);
  setDefault(spec, 'revisionHistoryLimit', 10);
  for (const patch of asArray(spec.patchPodMetadata)) {
    const p = asObject(patch);
    if (p) setDefault(p, 'patchPolicy', 'Retain');
  }
  const injection = ensureObject(spec, 'injectionStrategy');
  const revision = asObject(injection?.revision);
  if (revision) setDefault(revision, 'policy', 'Always');
}

function defaultSidecarContainer(container: unknown, injectPolicy: string): void {
  const c = asObject(container);
  if (!c) return;
  setDefault(c, 'podInjectPolicy', injectPolicy);
  const upgrade = ensureObject(c, 'upgradeStrategy');
  if (upgrade) setDefault(upgrade, 'upgradeType', 'ColdUpgrade');
  const share = ensureObject(c, 'shareVolumePolicy');
  if (share) setDefault(share, 'type', 'disabled');
  for (const t of asArray(c.transferEnv)) {
    const ref = asObject(asObject(asObject(t)?.sourceContainerNameFrom)?.fieldRef);
    if (ref) setDefault(ref, 'apiVersion', 'v1');
  }
  const policy = asObject(c.resourcesPolicy);
  if (policy) setDefault(policy, 'targetContainersNameRegex', '.*');
  defaultContainer(c);
}
