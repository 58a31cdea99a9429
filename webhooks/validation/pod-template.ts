// core/v1 ValidateObjectMeta and ValidatePodTemplateSpec for embedded templates and sidecar containers
// (containers.ts, volumes.ts and scheduling.ts hold the parts).
import type { PodTemplateSpec } from '../../apis/core-types';
import { defaultContainer } from '../../apis/pod-defaults';
import type { ObjectMeta } from '../../apis/zod-k8s';
import { type ContainerScope, validateContainerFields } from './containers';
import {
  child,
  duplicate,
  type FieldError,
  forbidden,
  index,
  invalid,
  MAX_FIELD_ERRORS,
  notSupported,
  required,
} from './field-error';
import { dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors } from './names';
import {
  asList,
  asObj,
  isSet,
  type J,
  listAt,
  nonNegativeInt,
  objectAt,
  positiveInt,
  quantity,
} from './pod-json';
import {
  validateAffinity,
  validateDnsConfig,
  validateHostAliases,
  validateOs,
  validatePodSecurityContext,
  validateReadinessGates,
  validateSchedulingGates,
  validateTolerations,
  validateTopologySpread,
} from './scheduling';
import { validateLabels } from './selectors';
import { validateVolumeList } from './volumes';

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];
const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const m of qualifiedNameErrors(k.toLowerCase()))
      errs.push(invalid(path, k, `key ${JSON.stringify(k)}: ${m}`));
    size += k.length + v.length;
  }
  if (size > TOTAL_ANNOTATION_SIZE)
    errs.push(invalid(path, size, `must have at most ${TOTAL_ANNOTATION_SIZE} bytes`));
  return errs;
}

/** ValidateObjectMeta with a per-kind name check (nameErrors returns messages for a bad name). */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  nameErrors: (n: string) => string[],
): FieldError[] {
  const errs: FieldError[] = [];
  const name = meta?.name ?? '';
  if (name === '' && !meta?.generateName)
    errs.push(required('metadata.name', 'name or generateName is required'));
  if (name !== '') for (const m of nameErrors(name)) errs.push(invalid('metadata.name', name, m));
  errs.push(...validateLabels(meta?.labels, 'metadata.labels'));
  errs.push(...validateAnnotations(meta?.annotations, 'metadata.annotations'));
  return errs;
}

export const dnsSubdomainName = dns1123SubdomainErrors;

/**
 * Containers and init containers together: names unique across both lists. `volumes` maps each pod
 * volume to its source type (a Set of names is taken as sources unknown). Stops early once
 * MAX_FIELD_ERRORS are found, so a huge invalid template costs little.
 */
export function validateContainerLists(
  containers: readonly unknown[],
  initContainers: readonly unknown[],
  path: { containers: string; initContainers: string },
  volumes: ReadonlySet<string> | ReadonlyMap<string, string>,
  gracePeriod?: number,
): FieldError[] {
  const byName =
    volumes instanceof Map
      ? volumes
      : new Map([...(volumes as ReadonlySet<string>)].map((v) => [v, 'unknown']));
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const visit = (list: readonly unknown[], base: string, role: ContainerScope['role']) => {
    for (const [i, c] of list.entries()) {
      if (errs.length >= MAX_FIELD_ERRORS) return;
      const p = index(base, i);
      errs.push(...validateContainerFields(defaulted(c, role), p, { volumes: byName, role, gracePeriod }));
      const name = asObj(c)?.name;
      if (typeof name === 'string' && name !== '') {
        if (seen.has(name)) errs.push(duplicate(child(p, 'name'), name));
        seen.add(name);
      }
    }
  };
  // As the apiserver: app containers first, so a name clash is reported on the init container.
  visit(containers, path.containers, 'app');
  visit(initContainers, path.initContainers, 'init');
  return errs;
}

/** A defaulted copy of one container, as the apiserver would see it (app containers pull Always, as Kruise). */
function defaulted(c: unknown, role: ContainerScope['role']): unknown {
  const o = asObj(c);
  if (!o) return c;
  const copy = structuredClone(o);
  defaultContainer(copy, role === 'app' ? 'Always' : undefined);
  return copy;
}

/** Volume names and sources; returns the name set too. */
export function validateVolumes(
  volumes: readonly unknown[],
  path: string,
): { errs: FieldError[]; names: Set<string>; sources: Map<string, string> } {
  const { errs, volumes: sources } = validateVolumeList(volumes, path);
  return { errs, names: new Set(sources.keys()), sources };
}

/** Template labels and annotations only. */
export function validateTemplateMetadata(template: PodTemplateSpec, path: string): FieldError[] {
  const errs = validateLabels(template.metadata?.labels, child(path, 'metadata', 'labels'));
  errs.push(...validateAnnotations(template.metadata?.annotations, child(path, 'metadata', 'annotations')));
  return errs;
}

/**
 * ValidatePodTemplateSpec, as complete as the apiserver's own for Pods, so a bad template is rejected
 * here rather than as a FailedCreate on every pod. `extraVolumes` are names that count as pod volumes
 * (volumeClaimTemplates, which become persistentVolumeClaim volumes).
 */
export function validatePodTemplate(
  template: PodTemplateSpec,
  path: string,
  extraVolumes: readonly string[] = [],
): FieldError[] {
  const errs = validateTemplateMetadata(template, path);
  errs.push(...validatePodSpec(template.spec as unknown as J, child(path, 'spec'), extraVolumes));
  return errs;
}

function validatePodSpec(spec: J, path: string, extraVolumes: readonly string[]): FieldError[] {
  const { errs, volumes } = validateVolumeList(spec.volumes, child(path, 'volumes'));
  for (const v of extraVolumes) if (!volumes.has(v)) volumes.set(v, 'persistentVolumeClaim');
  const containers = listAt(spec.containers, child(path, 'containers'), errs);
  const initContainers = listAt(spec.initContainers, child(path, 'initContainers'), errs);
  if (containers.length === 0)
    errs.push(required(child(path, 'containers'), 'must have at least one container'));
  const paths = { containers: child(path, 'containers'), initContainers: child(path, 'initContainers') };
  const grace = Number.isInteger(spec.terminationGracePeriodSeconds)
    ? (spec.terminationGracePeriodSeconds as number)
    : 30;
  errs.push(...validateContainerLists(containers, initContainers, paths, volumes, grace));
  if (errs.length >= MAX_FIELD_ERRORS) return errs;
  errs.push(...validateHostPorts(containers, initContainers, paths, spec.hostNetwork === true));
  if (listAt(spec.ephemeralContainers, child(path, 'ephemeralContainers'), errs).length > 0) {
    errs.push(
      forbidden(child(path, 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'),
    );
  }
  errs.push(...requiredOneOf(spec.restartPolicy, child(path, 'restartPolicy'), RESTART_POLICIES));
  errs.push(...requiredOneOf(spec.dnsPolicy, child(path, 'dnsPolicy'), DNS_POLICIES));
  errs.push(...validateDnsConfig(spec.dnsConfig, spec.dnsPolicy, child(path, 'dnsConfig')));
  const nodeSelector = objectAt(spec.nodeSelector, child(path, 'nodeSelector'), errs);
  errs.push(
    ...validateLabels(nodeSelector as Record<string, string> | undefined, child(path, 'nodeSelector')),
  );
  for (const f of [
    'serviceAccountName',
    'nodeName',
    'priorityClassName',
    'runtimeClassName',
    'schedulerName',
  ]) {
    if (typeof spec[f] === 'string' && spec[f] !== '') {
      for (const m of dns1123SubdomainErrors(spec[f] as string))
        errs.push(invalid(child(path, f), spec[f], m));
    }
  }
  for (const f of ['hostname', 'subdomain']) {
    if (typeof spec[f] === 'string' && spec[f] !== '') {
      for (const m of dns1123LabelErrors(spec[f] as string)) errs.push(invalid(child(path, f), spec[f], m));
    }
  }
  errs.push(...positiveInt(spec.activeDeadlineSeconds, child(path, 'activeDeadlineSeconds')));
  errs.push(
    ...nonNegativeInt(spec.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds')),
  );
  if (isSet(spec.preemptionPolicy)) {
    errs.push(...requiredOneOf(spec.preemptionPolicy, child(path, 'preemptionPolicy'), PREEMPTION_POLICIES));
  }
  errs.push(...validateTolerations(spec.tolerations, child(path, 'tolerations')));
  errs.push(...validateAffinity(spec.affinity, child(path, 'affinity')));
  errs.push(
    ...validateTopologySpread(spec.topologySpreadConstraints, child(path, 'topologySpreadConstraints')),
  );
  errs.push(...validateHostAliases(spec.hostAliases, child(path, 'hostAliases')));
  errs.push(...validateReadinessGates(spec.readinessGates, child(path, 'readinessGates')));
  errs.push(...validatePodSecurityContext(spec.securityContext, child(path, 'securityContext')));
  errs.push(...validateSchedulingGates(spec.schedulingGates, child(path, 'schedulingGates')));
  errs.push(...validateOs(spec.os, child(path, 'os')));
  const overhead = objectAt(spec.overhead, child(path, 'overhead'), errs);
  for (const [name, v] of Object.entries(overhead ?? {})) {
    const q = quantity(v, `${child(path, 'overhead')}[${name}]`, errs);
    if (q !== undefined && q < 0)
      errs.push(invalid(`${child(path, 'overhead')}[${name}]`, v, 'must be greater than or equal to 0'));
  }
  return errs;
}

function requiredOneOf(v: unknown, path: string, supported: readonly string[]): FieldError[] {
  if (!isSet(v) || v === '') return [required(path)];
  return supported.includes(String(v)) ? [] : [notSupported(path, v, supported)];
}

/** AccumulateUniqueHostPorts, and hostNetwork's hostPort == containerPort. */
function validateHostPorts(
  containers: readonly unknown[],
  initContainers: readonly unknown[],
  paths: { containers: string; initContainers: string },
  hostNetwork: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const used = new Set<string>();
  const visit = (list: readonly unknown[], base: string) =>
    list.forEach((c, i) => {
      asList(asObj(c)?.ports).forEach((raw, j) => {
        const port = asObj(raw);
        if (!port) return;
        const p = index(child(index(base, i), 'ports'), j);
        if (
          hostNetwork &&
          isSet(port.hostPort) &&
          port.hostPort !== 0 &&
          port.hostPort !== port.containerPort
        ) {
          errs.push(
            invalid(
              child(p, 'hostPort'),
              port.hostPort,
              'must match `containerPort` when `hostNetwork` is true',
            ),
          );
        }
        const hostPort = hostNetwork ? port.containerPort : port.hostPort;
        if (!isSet(hostPort) || hostPort === 0) return;
        const key = `${port.hostIP ?? ''}/${hostPort}/${port.protocol ?? 'TCP'}`;
        if (used.has(key))
          errs.push(duplicate(child(p, 'hostPort'), `${hostPort}/${port.protocol ?? 'TCP'}`));
        used.add(key);
      });
    });
  visit(initContainers, paths.initContainers);
  visit(containers, paths.containers);
  return errs;
}
