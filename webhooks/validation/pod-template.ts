// The parts of core/v1 ValidateObjectMeta / ValidatePodTemplateSpec that OpenKruise's webhooks run on
// embedded templates and sidecar containers.
import type { Container, PodTemplateSpec, Volume } from '../../apis/core-types';
import type { ObjectMeta } from '../../apis/zod-k8s';
import { child, duplicate, type FieldError, index, invalid, notSupported, required } from './field-error';
import { dns1123LabelErrors, dns1123SubdomainErrors, portNameErrors, qualifiedNameErrors } from './names';
import { validateLabels } from './selectors';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
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

function validatePorts(c: Container, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (c.ports ?? []).forEach((port, i) => {
    const p = index(child(path, 'ports'), i);
    if (port.name !== undefined && port.name !== '') {
      for (const m of portNameErrors(port.name)) errs.push(invalid(child(p, 'name'), port.name, m));
      if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      names.add(port.name);
    }
    if (port.containerPort < 1 || port.containerPort > 65535) {
      errs.push(
        invalid(child(p, 'containerPort'), port.containerPort, 'must be between 1 and 65535, inclusive'),
      );
    }
    if (port.protocol !== undefined && !PROTOCOLS.includes(port.protocol)) {
      errs.push(notSupported(child(p, 'protocol'), port.protocol, PROTOCOLS));
    }
  });
  return errs;
}

function validateMounts(c: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const p = index(child(path, 'volumeMounts'), i);
    if (!m.name) errs.push(required(child(p, 'name')));
    else if (!volumes.has(m.name))
      errs.push(invalid(child(p, 'name'), m.name, 'must reference a volume of the pod'));
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    else if (mountPaths.has(m.mountPath))
      errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
    mountPaths.add(m.mountPath);
  });
  return errs;
}

/** One container (ValidateContainers' per-container checks). */
export function validateContainer(c: Container, path: string, volumes: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!c.name) errs.push(required(child(path, 'name')));
  else for (const m of dns1123LabelErrors(c.name)) errs.push(invalid(child(path, 'name'), c.name, m));
  if (!c.image) errs.push(required(child(path, 'image')));
  else if (c.image.trim() !== c.image) {
    errs.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  }
  if (c.imagePullPolicy !== undefined && !PULL_POLICIES.includes(c.imagePullPolicy)) {
    errs.push(notSupported(child(path, 'imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  }
  (c.env ?? []).forEach((e, i) => {
    if (!e.name || e.name.includes('=')) {
      errs.push(
        invalid(
          child(index(child(path, 'env'), i), 'name'),
          e.name,
          "must be non-empty and must not contain '='",
        ),
      );
    }
  });
  errs.push(...validatePorts(c, path));
  errs.push(...validateMounts(c, path, volumes));
  return errs;
}

/** Containers and init containers together: names unique across both lists. */
export function validateContainerLists(
  containers: readonly Container[],
  initContainers: readonly Container[],
  path: { containers: string; initContainers: string },
  volumes: ReadonlySet<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  const visit = (list: readonly Container[], base: string) =>
    list.forEach((c, i) => {
      const p = index(base, i);
      errs.push(...validateContainer(c, p, volumes));
      if (c.name && seen.has(c.name)) errs.push(duplicate(child(p, 'name'), c.name));
      seen.add(c.name);
    });
  visit(initContainers, path.initContainers);
  visit(containers, path.containers);
  return errs;
}

/** Volume names: valid DNS labels, unique; returns the name set too. */
export function validateVolumes(
  volumes: readonly Volume[],
  path: string,
): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = child(index(path, i), 'name');
    if (!v.name) errs.push(required(p));
    else for (const m of dns1123LabelErrors(v.name)) errs.push(invalid(p, v.name, m));
    if (v.name && names.has(v.name)) errs.push(duplicate(p, v.name));
    names.add(v.name);
  });
  return { errs, names };
}

/** Template labels and annotations only. */
export function validateTemplateMetadata(template: PodTemplateSpec, path: string): FieldError[] {
  const errs = validateLabels(template.metadata?.labels, child(path, 'metadata', 'labels'));
  errs.push(...validateAnnotations(template.metadata?.annotations, child(path, 'metadata', 'annotations')));
  return errs;
}

/** ValidatePodTemplateSpec; extraVolumes are names that count as pod volumes (volumeClaimTemplates). */
export function validatePodTemplate(
  template: PodTemplateSpec,
  path: string,
  extraVolumes: readonly string[] = [],
): FieldError[] {
  const spec = template.spec;
  const specPath = child(path, 'spec');
  const errs = validateTemplateMetadata(template, path);
  const vols = validateVolumes(spec.volumes ?? [], child(specPath, 'volumes'));
  errs.push(...vols.errs);
  for (const v of extraVolumes) vols.names.add(v);
  if (spec.containers.length === 0)
    errs.push(required(child(specPath, 'containers'), 'must have at least one container'));
  errs.push(
    ...validateContainerLists(
      spec.containers,
      spec.initContainers ?? [],
      { containers: child(specPath, 'containers'), initContainers: child(specPath, 'initContainers') },
      vols.names,
    ),
  );
  if (spec.restartPolicy !== undefined && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(notSupported(child(specPath, 'restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  }
  if (spec.dnsPolicy !== undefined && !DNS_POLICIES.includes(spec.dnsPolicy)) {
    errs.push(notSupported(child(specPath, 'dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  }
  if (spec.terminationGracePeriodSeconds !== undefined && spec.terminationGracePeriodSeconds < 0) {
    errs.push(
      invalid(
        child(specPath, 'terminationGracePeriodSeconds'),
        spec.terminationGracePeriodSeconds,
        'must be greater than or equal to 0',
      ),
    );
  }
  return errs;
}
