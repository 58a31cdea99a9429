// Sidecar injection as one pure function: (pod, matching SidecarSets, revisions) → pod. The pod webhook
// calls it on pod creation; the upgrade controller reuses its pieces. It follows OpenKruise's
// pkg/webhook/pod/mutating/sidecarset.go, except that a pod that cannot be injected cleanly is denied
// with a message naming the SidecarSets involved, never admitted half-injected.

import type { ControllerRevision, Pod } from '../../apis/core-objects';
import type { Container, EnvVar, Volume } from '../../apis/core-types';
import type { SidecarContainer, SidecarSet } from '../../apis/sidecarset';
import {
  SidecarEnvIsInjected,
  SidecarEnvVersion,
  SidecarEnvVersionAlt,
  SidecarSetBaseAnnotation,
  SidecarSetCanaryAnnotation,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
  SidecarSetInjectedListAnnotation,
  SidecarSetVersionAltAnnotationPrefix,
  SidecarSetVersionAnnotationPrefix,
  SidecarSetWorkingHotUpgradeContainerAnnotation,
} from '../../apis/well-known';
import { isNativeSidecar } from './hash';
import { isActivePod } from './match';
import {
  formatUpgradeSpecs,
  injectedSidecarSetNames,
  metaTime,
  parseUpgradeSpecs,
  sortedStringMap,
  type UpgradeSpecs,
  workingHotUpgradeContainers,
} from './pod-annotations';
import { patchPodAnnotations } from './pod-metadata';
import { resourcesFromPolicy } from './resources-policy';
import { RevisionNotFoundError, suitableSidecarSet } from './revisions';

export interface InjectOptions {
  /** ControllerRevisions of the SidecarSets (injectionStrategy.revision); only their own are used. */
  revisions?: readonly ControllerRevision[];
  /** The updateTimestamp written into the hash annotations. */
  now?: Date;
  /** For injectionStrategy.revision policy Partial. */
  random?: () => number;
  /** OpenKruise's gate EnableSortSidecarContainerByName (default off, as in OpenKruise v1.9). */
  sortSidecarContainersByName?: boolean;
}

export type InjectResult =
  /** Nothing to do: no SidecarSet applies, or the pod is not active. */
  | { type: 'unchanged' }
  /** `pod` is the injected copy; `sidecarSets` the SidecarSets that injected or patched it. */
  | { type: 'injected'; pod: Pod; sidecarSets: string[] }
  | { type: 'denied'; message: string; sidecarSets: string[] };

/** A reason the pod cannot be injected, named after the SidecarSets involved. */
class InjectionError extends Error {
  constructor(
    readonly sidecarSets: string[],
    reason: string,
  ) {
    super(`SidecarSet ${sidecarSets.join(' and ')}: ${reason}`);
  }
}

/** An injected container and the SidecarSet it comes from. */
interface Injected {
  container: Container;
  from: string;
  /** Set when podInjectPolicy puts it after the app containers. */
  after: boolean;
}

interface Built {
  containers: Injected[];
  initContainers: Injected[];
  volumes: { volume: Volume; from: string }[];
  pullSecrets: { name?: string }[];
  annotations: Record<string, string>;
}

const nameOf = (s: SidecarSet) => s.metadata?.name ?? '';
const isInjectedContainer = (c: Container) =>
  (c.env ?? []).some((e) => e.name === SidecarEnvIsInjected && e.value === 'true');

/**
 * Injects `matching` (the SidecarSets selecting the pod; see matchingSidecarSets) into a copy of a pod
 * being created. Never throws: a pod that cannot be injected yields a denial.
 */
export function injectSidecars(
  pod: Pod,
  matching: readonly SidecarSet[],
  options: InjectOptions = {},
): InjectResult {
  if (!isActivePod(pod) || matching.length === 0) return { type: 'unchanged' };
  try {
    return inject(pod, chooseVersions(pod, matching, options), options);
  } catch (err) {
    if (err instanceof InjectionError) {
      return { type: 'denied', message: err.message, sidecarSets: err.sidecarSets };
    }
    const names = matching.map(nameOf);
    const reason = err instanceof Error ? err.message : String(err);
    return { type: 'denied', message: `SidecarSet ${names.join(' and ')}: ${reason}`, sidecarSets: names };
  }
}

/** Each SidecarSet at the revision this pod gets; canaries shadow their base. */
function chooseVersions(pod: Pod, matching: readonly SidecarSet[], options: InjectOptions): SidecarSet[] {
  const chosen = matching.map((s) => {
    try {
      return suitableSidecarSet(s, pod, options.revisions ?? [], options.random);
    } catch (err) {
      if (err instanceof RevisionNotFoundError)
        throw new InjectionError([nameOf(s)], `injectionStrategy.revision: ${err.message}`);
      throw err;
    }
  });
  const shadowed = new Set(
    chosen
      .filter((s) => s.metadata?.annotations?.[SidecarSetCanaryAnnotation] === 'true')
      .map((s) => s.metadata?.annotations?.[SidecarSetBaseAnnotation])
      .filter((base): base is string => !!base),
  );
  return chosen.filter((s) => !shadowed.has(nameOf(s)));
}

function inject(pod: Pod, sidecarSets: SidecarSet[], options: InjectOptions): InjectResult {
  const result = structuredClone(pod);
  result.metadata.annotations ??= {};
  const annotations = result.metadata.annotations;
  let metadataChanged = false;
  for (const s of sidecarSets) {
    try {
      metadataChanged = patchPodAnnotations(annotations, s.spec?.patchPodMetadata) || metadataChanged;
    } catch (err) {
      throw new InjectionError([nameOf(s)], `patchPodMetadata: ${(err as Error).message}`);
    }
  }
  const built = build(result, sidecarSets, options);
  const names = sidecarSets.map(nameOf);
  if (built.containers.length === 0 && built.initContainers.length === 0) {
    return metadataChanged ? { type: 'injected', pod: result, sidecarSets: names } : { type: 'unchanged' };
  }
  checkContainerNames(result, built);
  checkVolumes(result, built);
  const spec = result.spec;
  const inits = [...built.initContainers].sort((a, b) => compareNames(a.container, b.container));
  spec.initContainers = mergeContainers(spec.initContainers ?? [], inits);
  const containers = options.sortSidecarContainersByName
    ? [...built.containers].sort((a, b) => compareNames(a.container, b.container))
    : built.containers;
  spec.containers = mergeContainers(spec.containers, containers);
  spec.volumes = mergeByName(
    spec.volumes ?? [],
    built.volumes.map((v) => v.volume),
  );
  spec.imagePullSecrets = mergeByName(spec.imagePullSecrets ?? [], built.pullSecrets);
  if (spec.volumes.length === 0) delete spec.volumes;
  if (spec.initContainers.length === 0) delete spec.initContainers;
  if (spec.imagePullSecrets.length === 0) delete spec.imagePullSecrets;
  Object.assign(annotations, built.annotations);
  return { type: 'injected', pod: result, sidecarSets: names };
}

const compareNames = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

function build(pod: Pod, sidecarSets: SidecarSet[], options: InjectOptions): Built {
  const annotations = pod.metadata.annotations ?? {};
  const parse = (key: string) => {
    try {
      return parseUpgradeSpecs(annotations[key]);
    } catch (err) {
      throw new InjectionError(
        sidecarSets.map(nameOf),
        `pod annotation ${key} is not valid: ${(err as Error).message}`,
      );
    }
  };
  const hashes: UpgradeSpecs = parse(SidecarSetHashAnnotation);
  const hashesWithoutImage: UpgradeSpecs = parse(SidecarSetHashWithoutImageAnnotation);
  const working = workingHotUpgradeContainers(annotations);
  const injectedList = new Set(injectedSidecarSetNames(pod));
  const built: Built = { containers: [], initContainers: [], volumes: [], pullSecrets: [], annotations: {} };
  const timestamp = metaTime(options.now ?? new Date());
  let hotUpgrade = false;
  // resourcesPolicy targets the app's containers: none a matching SidecarSet injects.
  const sidecarNames = new Set(
    sidecarSets.flatMap((s) =>
      [...(s.spec?.initContainers ?? []), ...(s.spec?.containers ?? [])].map((c) => c.name),
    ),
  );

  for (const sidecarSet of sidecarSets) {
    const name = nameOf(sidecarSet);
    const spec = sidecarSet.spec ?? {};
    const setVolumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    const sidecarList = new Set<string>();
    injectedList.add(name);

    const prepare = (sidecar: SidecarContainer): Container => {
      for (const mount of [...(sidecar.volumeMounts ?? []), ...(sidecar.volumeDevices ?? [])]) {
        const volume = setVolumes.get(mount.name);
        if (volume) built.volumes.push({ volume, from: name });
      }
      const container = injectedContainer(sidecar, pod);
      if (sidecar.resourcesPolicy) {
        try {
          container.resources = resourcesFromPolicy(sidecar, pod, sidecarNames);
        } catch (err) {
          throw new InjectionError([name], `resourcesPolicy of ${sidecar.name}: ${(err as Error).message}`);
        }
      }
      return container;
    };
    const add = (list: Injected[], sidecar: SidecarContainer, container: Container, hot: boolean) => {
      // Unset counts as after, as in OpenKruise (defaulting sets BeforeAppContainer for containers).
      const after = sidecar.podInjectPolicy !== 'BeforeAppContainer';
      if (!hot || sidecar.upgradeStrategy?.upgradeType !== 'HotUpgrade') {
        list.push({ container, from: name, after });
        return;
      }
      hotUpgrade = true;
      const [first, second] = hotUpgradeTwins(container, sidecar.upgradeStrategy.hotUpgradeEmptyImage ?? '');
      list.push({ container: first, from: name, after }, { container: second, from: name, after });
      Object.assign(built.annotations, {
        [SidecarSetVersionAnnotationPrefix + first.name]: '1',
        [SidecarSetVersionAltAnnotationPrefix + first.name]: '0',
        [SidecarSetVersionAnnotationPrefix + second.name]: '0',
        [SidecarSetVersionAltAnnotationPrefix + second.name]: '1',
      });
      working[sidecar.name] = first.name;
    };

    for (const sidecar of spec.initContainers ?? []) {
      if (isNativeSidecar(sidecar)) sidecarList.add(sidecar.name);
      add(built.initContainers, sidecar, prepare(sidecar), isNativeSidecar(sidecar));
    }
    built.pullSecrets.push(...(spec.imagePullSecrets ?? []));
    for (const sidecar of spec.containers ?? []) {
      sidecarList.add(sidecar.name);
      add(built.containers, sidecar, prepare(sidecar), true);
    }
    if ((spec.initContainers ?? []).length + (spec.containers ?? []).length === 0) continue;
    const annotations = sidecarSet.metadata?.annotations ?? {};
    const list = [...sidecarList].sort();
    const revision = sidecarSet.status?.latestRevision;
    hashes[name] = {
      updateTimestamp: timestamp,
      hash: annotations[SidecarSetHashAnnotation] ?? '',
      sidecarSetName: name,
      sidecarList: list,
      ...(revision ? { controllerRevision: revision } : {}),
    };
    hashesWithoutImage[name] = {
      updateTimestamp: timestamp,
      hash: annotations[SidecarSetHashWithoutImageAnnotation] ?? '',
      sidecarSetName: name,
      sidecarList: list,
    };
  }
  built.annotations[SidecarSetHashAnnotation] = formatUpgradeSpecs(hashes);
  built.annotations[SidecarSetHashWithoutImageAnnotation] = formatUpgradeSpecs(hashesWithoutImage);
  built.annotations[SidecarSetInjectedListAnnotation] = [...injectedList].sort().join(',');
  if (hotUpgrade)
    built.annotations[SidecarSetWorkingHotUpgradeContainerAnnotation] = sortedStringMap(working);
  return built;
}

/** The sidecar as it goes into the pod: Kruise fields dropped, shared mounts, transferred env, IS_INJECTED. */
function injectedContainer(sidecar: SidecarContainer, pod: Pod): Container {
  const {
    podInjectPolicy: _policy,
    upgradeStrategy: _upgrade,
    shareVolumePolicy,
    shareVolumeDevicePolicy,
    transferEnv: _transfer,
    resourcesPolicy: _resources,
    ...plain
  } = structuredClone(sidecar);
  const container = plain as Container;
  const shared = shareVolumePolicy?.type === 'enabled' ? sharedMounts(pod) : { mounts: [], env: [] };
  const transferred = mergeEnv(transferredEnv(sidecar, pod), shared.env);
  container.volumeMounts = mergeMounts(container, shared.mounts);
  if (shareVolumeDevicePolicy?.type === 'enabled') container.volumeDevices = mergeDevices(container, pod);
  const env = container.env ?? [];
  if (!env.some((e) => e.name === SidecarEnvIsInjected))
    env.push({ name: SidecarEnvIsInjected, value: 'true' });
  container.env = mergeEnv(env, transferred);
  if (container.volumeMounts.length === 0) delete container.volumeMounts;
  return container;
}

const SUB_PATH_ENV = /\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g;

/** shareVolumePolicy: every app container's mounts, plus the env its subPathExpr refers to. */
function sharedMounts(pod: Pod): { mounts: NonNullable<Container['volumeMounts']>; env: EnvVar[] } {
  const mounts: NonNullable<Container['volumeMounts']> = [];
  const env: EnvVar[] = [];
  for (const app of pod.spec.containers) {
    if (isInjectedContainer(app)) continue;
    for (const mount of app.volumeMounts ?? []) {
      mounts.push(mount);
      for (const [, variable] of (mount.subPathExpr ?? '').matchAll(SUB_PATH_ENV)) {
        const found = app.env?.find((e) => e.name === variable);
        if (found) env.push(found);
      }
    }
  }
  return { mounts, env };
}

/** transferEnv: env vars copied from a named app container (by name, or from a label/annotation). */
function transferredEnv(sidecar: SidecarContainer, pod: Pod): EnvVar[] {
  const env: EnvVar[] = [];
  for (const transfer of sidecar.transferEnv ?? []) {
    const names = [...new Set([transfer.envName, ...(transfer.envNames ?? [])])]
      .filter((n): n is string => !!n)
      .sort();
    const source = transfer.sourceContainerNameFrom?.fieldRef
      ? containerNameFrom(transfer.sourceContainerNameFrom.fieldRef.fieldPath, pod)
      : transfer.sourceContainerName;
    const container = pod.spec.containers.find((c) => c.name === source);
    for (const name of names) {
      const found = container?.env?.find((e) => e.name === name);
      if (found) env.push(found);
    }
  }
  return env;
}

/** metadata.labels['k'] / metadata.annotations['k'] of the pod. */
function containerNameFrom(fieldPath: string, pod: Pod): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(fieldPath);
  if (!m) return undefined;
  return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!];
}

/** util.MergeEnvVar: `extra` entries whose name is not taken yet, in order. */
function mergeEnv(base: EnvVar[], extra: EnvVar[]): EnvVar[] {
  const names = new Set(base.map((e) => e.name));
  const merged = [...base];
  for (const e of extra) {
    if (names.has(e.name)) continue;
    names.add(e.name);
    merged.push(e);
  }
  return merged;
}

/** util.MergeVolumeMounts: shared mounts at paths the sidecar does not use yet. */
function mergeMounts(container: Container, extra: NonNullable<Container['volumeMounts']>) {
  const paths = new Set([
    ...(container.volumeMounts ?? []).map((m) => m.mountPath),
    ...(container.volumeDevices ?? []).map((d) => d.devicePath),
  ]);
  const merged = [...(container.volumeMounts ?? [])];
  for (const m of extra) {
    if (paths.has(m.mountPath)) continue;
    paths.add(m.mountPath);
    merged.push(m);
  }
  return merged;
}

/** shareVolumeDevicePolicy: the app containers' volumeDevices at paths the sidecar does not use yet. */
function mergeDevices(container: Container, pod: Pod) {
  const paths = new Set([
    ...(container.volumeDevices ?? []).map((d) => d.devicePath),
    ...(container.volumeMounts ?? []).map((m) => m.mountPath),
  ]);
  const merged = [...(container.volumeDevices ?? [])];
  for (const app of pod.spec.containers) {
    if (isInjectedContainer(app)) continue;
    for (const d of app.volumeDevices ?? []) {
      if (paths.has(d.devicePath)) continue;
      paths.add(d.devicePath);
      merged.push(d);
    }
  }
  return merged;
}

/** HotUpgrade: `<name>-1` runs the image, `<name>-2` idles on the empty image; both see their versions. */
function hotUpgradeTwins(container: Container, emptyImage: string): [Container, Container] {
  const versionEnv = (name: string): EnvVar[] => [
    {
      name: SidecarEnvVersion,
      valueFrom: {
        fieldRef: { fieldPath: `metadata.annotations['${SidecarSetVersionAnnotationPrefix}${name}']` },
      },
    },
    {
      name: SidecarEnvVersionAlt,
      valueFrom: {
        fieldRef: { fieldPath: `metadata.annotations['${SidecarSetVersionAltAnnotationPrefix}${name}']` },
      },
    },
  ];
  const twin = (suffix: string, image?: string): Container => {
    const copy = structuredClone(container);
    copy.name = `${container.name}${suffix}`;
    if (image !== undefined) copy.image = image;
    copy.env = [...(copy.env ?? []), ...versionEnv(copy.name)];
    return copy;
  };
  return [twin('-1'), twin('-2', emptyImage)];
}

/**
 * Container names must stay unique across the pod's containers and init containers. A sidecar may
 * replace a container of the same name only if that container was injected before (IS_INJECTED), as
 * when a pod is created from an injected pod's manifest; a clash with the app's own container, or
 * between two SidecarSets, is denied.
 */
function checkContainerNames(pod: Pod, built: Built): void {
  const own = new Map<string, 'container' | 'init container'>();
  const replaceable = new Set<string>();
  for (const [list, kind] of [
    [pod.spec.containers, 'container'],
    [pod.spec.initContainers ?? [], 'init container'],
  ] as const) {
    for (const c of list) {
      own.set(c.name, kind);
      if (isInjectedContainer(c)) replaceable.add(`${kind}/${c.name}`);
    }
  }
  const injectedBy = new Map<string, string>();
  for (const [list, kind] of [
    [built.containers, 'container'],
    [built.initContainers, 'init container'],
  ] as const) {
    for (const { container, from } of list) {
      const name = container.name;
      const other = injectedBy.get(name);
      if (other !== undefined) {
        const sets = other === from ? [from] : [other, from];
        throw new InjectionError(sets, `container name ${JSON.stringify(name)} is injected twice`);
      }
      injectedBy.set(name, from);
      const existing = own.get(name);
      if (existing !== undefined && !(existing === kind && replaceable.has(`${kind}/${name}`))) {
        throw new InjectionError(
          [from],
          `sidecar ${kind} ${JSON.stringify(name)} clashes with the pod's own ${existing} of that name`,
        );
      }
    }
  }
}

/**
 * Every injected mount must name a volume the pod or a SidecarSet provides, and two SidecarSets may
 * bring a volume of the same name only if they define it identically (the pod's own volume wins).
 */
function checkVolumes(pod: Pod, built: Built): void {
  const podVolumes = new Set((pod.spec.volumes ?? []).map((v) => v.name));
  const defined = new Map<string, { volume: Volume; from: string }>();
  for (const entry of built.volumes) {
    if (podVolumes.has(entry.volume.name)) continue;
    const other = defined.get(entry.volume.name);
    if (other && other.from !== entry.from && JSON.stringify(other.volume) !== JSON.stringify(entry.volume)) {
      throw new InjectionError(
        [other.from, entry.from],
        `volume ${JSON.stringify(entry.volume.name)} is defined differently by each`,
      );
    }
    defined.set(entry.volume.name, other ?? entry);
  }
  for (const { container, from } of [...built.containers, ...built.initContainers]) {
    for (const mount of [...(container.volumeMounts ?? []), ...(container.volumeDevices ?? [])]) {
      if (podVolumes.has(mount.name) || defined.has(mount.name)) continue;
      throw new InjectionError(
        [from],
        `container ${JSON.stringify(container.name)} mounts volume ${JSON.stringify(mount.name)}, which neither the pod nor the SidecarSet defines`,
      );
    }
  }
}

/** mergeSidecarContainers: same-named containers replaced in place, then before/after the app's. */
function mergeContainers(origin: Container[], injected: Injected[]): Container[] {
  const index = new Map(origin.map((c, i) => [c.name, i]));
  const merged = [...origin];
  const before: Container[] = [];
  const after: Container[] = [];
  for (const { container, after: isAfter } of injected) {
    const at = index.get(container.name);
    if (at !== undefined) merged[at] = container;
    else (isAfter ? after : before).push(container);
  }
  return [...before, ...merged, ...after];
}

/** util.MergeVolumes / mergeSidecarSecrets: the first entry of a name wins, the pod's own first. */
function mergeByName<T extends { name?: string }>(own: T[], extra: T[]): T[] {
  const seen = new Set<string | undefined>();
  const merged: T[] = [];
  for (const item of [...own, ...extra]) {
    if (seen.has(item.name)) continue;
    seen.add(item.name);
    merged.push(item);
  }
  return merged;
}
