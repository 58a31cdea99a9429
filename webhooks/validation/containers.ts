// Per-container checks of core/v1 ValidatePodSpec (validateContainers / validateInitContainers): ports,
// env and envFrom with their downward-API paths, volume mounts and devices against the pod's volumes,
// probes and lifecycle handlers, resources with requests ≤ limits, resize policy and security context.
// Field errors carry the apiserver's paths, so a rejection names the same field a Pod would.
import {
  child,
  duplicate,
  type FieldError,
  forbidden,
  index,
  invalid,
  notFound,
  notSupported,
  required,
} from './field-error';
import { dns1123LabelErrors, dns1123SubdomainErrors, portNameErrors, qualifiedNameErrors } from './names';
import {
  asObj,
  eachObject,
  isSet,
  type J,
  listAt,
  memberTypes,
  nonNegativeInt,
  objectAt,
  portNumber,
  positiveInt,
  quantity,
  requiredString,
} from './pod-json';

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const CONTAINER_RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const MOUNT_PROPAGATIONS = ['None', 'HostToContainer', 'Bidirectional'];
const RECURSIVE_READ_ONLY = ['Disabled', 'IfPossible', 'Enabled'];
const RESIZE_RESOURCES = ['cpu', 'memory'];
const RESIZE_RESTART_POLICIES = ['NotRequired', 'RestartContainer'];
const HTTP_SCHEMES = ['HTTP', 'HTTPS'];
const PROC_MOUNTS = ['Default', 'Unmasked'];
const PROFILE_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'];
/** validEnvDownwardAPIFieldPathExpressions (labels/annotations only with a ['key'] subscript). */
const ENV_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** validVolumeDownwardAPIFieldPathExpressions. */
export const VOLUME_FIELD_PATHS = [
  'metadata.name',
  'metadata.namespace',
  'metadata.labels',
  'metadata.annotations',
  'metadata.uid',
];
const RESOURCE_FIELD_PATHS = [
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
];
const CPU_DIVISORS = ['1m', '1'];
const MEMORY_DIVISORS = ['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei'];
const STANDARD_RESOURCES = ['cpu', 'memory', 'ephemeral-storage'];

/** What a container is checked against: the pod's volumes (name → source type) and its context. */
export interface ContainerScope {
  volumes: ReadonlyMap<string, string>;
  /** 'init' for init containers: probes and lifecycle only with restartPolicy Always. */
  role: 'app' | 'init';
  /** The pod's terminationGracePeriodSeconds (a preStop sleep may not outlast it). */
  gracePeriod?: number;
}

/** IsRelaxedEnvVarName: printable ASCII other than '='. */
function envNameErrors(name: string): string[] {
  return /^[\x20-\x3c\x3e-\x7e]+$/.test(name)
    ? []
    : ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

export function validateContainerFields(raw: unknown, path: string, scope: ContainerScope): FieldError[] {
  const errs: FieldError[] = [];
  const c = objectAt(raw, path, errs);
  if (!c) return errs;
  errs.push(
    ...memberTypes(c, path, {
      name: 'string',
      image: 'string',
      command: 'array',
      args: 'array',
      workingDir: 'string',
      stdin: 'boolean',
      stdinOnce: 'boolean',
      tty: 'boolean',
    }),
  );
  if (!c.name) errs.push(required(child(path, 'name')));
  else if (typeof c.name === 'string') {
    for (const m of dns1123LabelErrors(c.name)) errs.push(invalid(child(path, 'name'), c.name, m));
  }
  if (!c.image) errs.push(required(child(path, 'image')));
  else if (typeof c.image === 'string' && c.image.trim() !== c.image) {
    errs.push(invalid(child(path, 'image'), c.image, 'must not have leading or trailing whitespace'));
  }
  errs.push(...oneOf(c.imagePullPolicy, child(path, 'imagePullPolicy'), PULL_POLICIES));
  errs.push(
    ...oneOf(
      c.terminationMessagePolicy,
      child(path, 'terminationMessagePolicy'),
      TERMINATION_MESSAGE_POLICIES,
    ),
  );
  errs.push(...validatePorts(c.ports, child(path, 'ports')));
  errs.push(...validateEnv(c.env, child(path, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(path, 'envFrom')));
  const mountPaths = new Set<string>();
  errs.push(...validateVolumeMounts(c.volumeMounts, child(path, 'volumeMounts'), scope, c, mountPaths));
  errs.push(...validateVolumeDevices(c.volumeDevices, child(path, 'volumeDevices'), scope, mountPaths));
  const sidecar = scope.role === 'init' && c.restartPolicy === 'Always';
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle'] as const) {
    if (scope.role === 'init' && !sidecar && isSet(c[probe])) {
      errs.push(
        forbidden(child(path, probe), 'may not be set for init containers without restartPolicy=Always'),
      );
    } else if (probe === 'lifecycle') {
      errs.push(...validateLifecycle(c.lifecycle, child(path, 'lifecycle'), scope.gracePeriod ?? 30));
    } else errs.push(...validateProbe(c[probe], child(path, probe), probe));
  }
  if (scope.role === 'init' && isSet(c.restartPolicy)) {
    errs.push(...oneOf(c.restartPolicy, child(path, 'restartPolicy'), CONTAINER_RESTART_POLICIES));
  }
  errs.push(...validateResources(c.resources, child(path, 'resources')));
  errs.push(...validateResizePolicy(c.resizePolicy, child(path, 'resizePolicy')));
  errs.push(...validateSecurityContext(c.securityContext, child(path, 'securityContext')));
  return errs;
}

/** A required value out of a fixed set (required because defaulting fills it in). */
function oneOf(v: unknown, path: string, supported: readonly string[]): FieldError[] {
  if (!isSet(v) || v === '') return [required(path)];
  return typeof v === 'string' && supported.includes(v) ? [] : [notSupported(path, v, supported)];
}

function optionalOneOf(v: unknown, path: string, supported: readonly string[]): FieldError[] {
  return isSet(v) && v !== '' ? oneOf(v, path, supported) : [];
}

function validatePorts(value: unknown, path: string): FieldError[] {
  const names = new Set<string>();
  return eachObject(value, path, (port, p, errs) => {
    if (isSet(port.name) && port.name !== '') {
      const name = String(port.name);
      for (const m of portNameErrors(name)) errs.push(invalid(child(p, 'name'), port.name, m));
      if (names.has(name)) errs.push(duplicate(child(p, 'name'), name));
      names.add(name);
    }
    if (!isSet(port.containerPort) || port.containerPort === 0)
      errs.push(required(child(p, 'containerPort')));
    else errs.push(...portNumber(port.containerPort, child(p, 'containerPort')));
    if (isSet(port.hostPort) && port.hostPort !== 0)
      errs.push(...portNumber(port.hostPort, child(p, 'hostPort')));
    errs.push(...oneOf(port.protocol, child(p, 'protocol'), PROTOCOLS));
  });
}

function validateEnv(value: unknown, path: string): FieldError[] {
  return eachObject(value, path, (env, p, errs) => {
    if (!env.name) errs.push(required(child(p, 'name')));
    else if (typeof env.name !== 'string')
      errs.push(invalid(child(p, 'name'), env.name, 'must be of type string'));
    else for (const m of envNameErrors(env.name)) errs.push(invalid(child(p, 'name'), env.name, m));
    errs.push(...memberTypes(env, p, { value: 'string' }));
    const from = objectAt(env.valueFrom, child(p, 'valueFrom'), errs);
    if (from) errs.push(...validateEnvSource(from, child(p, 'valueFrom'), env.value));
  });
}

const ENV_SOURCES = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'];

function validateEnvSource(from: J, path: string, value: unknown): FieldError[] {
  const set = ENV_SOURCES.filter((k) => isSet(from[k]));
  if (set.length === 0) {
    return [
      invalid(
        path,
        '',
        'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
      ),
    ];
  }
  if (set.length > 1) return [invalid(path, '', 'may not have more than one field specified at a time')];
  const errs: FieldError[] = [];
  if (typeof value === 'string' && value !== '') {
    errs.push(invalid(path, '', 'may not be specified when `value` is not empty'));
  }
  const source = set[0]!;
  const ref = objectAt(from[source], child(path, source), errs);
  if (!ref) return errs;
  if (source === 'fieldRef')
    errs.push(...validateFieldRef(ref, child(path, 'fieldRef'), ENV_FIELD_PATHS, true));
  else if (source === 'resourceFieldRef')
    errs.push(...validateResourceFieldRef(ref, child(path, source), false));
  else if (source === 'fileKeyRef') {
    errs.push(...requiredString(ref.volumeName, child(path, source, 'volumeName')));
    errs.push(...requiredString(ref.path, child(path, source, 'path')));
    errs.push(...requiredString(ref.key, child(path, source, 'key')));
  } else {
    errs.push(...requiredString(ref.name, child(path, source, 'name')));
    errs.push(...requiredString(ref.key, child(path, source, 'key')));
    if (typeof ref.key === 'string' && ref.key !== '')
      errs.push(...configMapKeyErrors(ref.key, child(path, source, 'key')));
  }
  return errs;
}

/** IsConfigMapKey. */
export function configMapKeyErrors(key: string, path: string): FieldError[] {
  if (key.length > 253) return [invalid(path, key, 'must be no more than 253 characters')];
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) {
    return [
      invalid(path, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"),
    ];
  }
  return key === '.' || key === '..' || key.startsWith('..')
    ? [invalid(path, key, "must not be '.' or '..' or start with '..'")]
    : [];
}

/**
 * validateObjectFieldSelector: apiVersion (defaulted to v1) and a supported fieldPath; labels and
 * annotations need a ['key'] subscript where `subscriptOnly`.
 */
export function validateFieldRef(
  ref: J,
  path: string,
  plain: readonly string[],
  subscriptOnly: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.apiVersion) errs.push(required(child(path, 'apiVersion')));
  if (!ref.fieldPath) return [...errs, required(child(path, 'fieldPath'))];
  const fieldPath = String(ref.fieldPath);
  const m = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fieldPath);
  if (m) {
    const key = m[1] === 'metadata.annotations' ? m[2]!.toLowerCase() : m[2]!;
    // The apiserver names the fieldRef itself for a bad subscript.
    for (const msg of qualifiedNameErrors(key)) errs.push(invalid(path, m[2], msg));
  } else if (!plain.includes(fieldPath) || (subscriptOnly && fieldPath.startsWith('metadata.l'))) {
    errs.push(notSupported(child(path, 'fieldPath'), fieldPath, plain));
  }
  return errs;
}

/** validateContainerResourceFieldSelector with the divisor check. */
export function validateResourceFieldRef(ref: J, path: string, inVolume: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (inVolume && !ref.containerName) errs.push(required(child(path, 'containerName')));
  if (!ref.resource) return [...errs, required(child(path, 'resource'))];
  const resource = String(ref.resource);
  const hugepages = /^(limits|requests)\.hugepages-/.test(resource);
  if (!RESOURCE_FIELD_PATHS.includes(resource) && !hugepages) {
    errs.push(notSupported(child(path, 'resource'), resource, RESOURCE_FIELD_PATHS));
    return errs;
  }
  if (isSet(ref.divisor)) {
    const divisor = String(ref.divisor);
    const allowed = resource.endsWith('.cpu') ? CPU_DIVISORS : MEMORY_DIVISORS;
    if (!allowed.includes(divisor)) {
      errs.push(
        invalid(
          child(path, 'divisor'),
          ref.divisor,
          `only divisor's values ${allowed.join(', ')} are supported with the ${resource.split('.')[1]} resource`,
        ),
      );
    }
  }
  return errs;
}

function validateEnvFrom(value: unknown, path: string): FieldError[] {
  return eachObject(value, path, (source, p, errs) => {
    if (isSet(source.prefix) && source.prefix !== '') {
      for (const m of envNameErrors(String(source.prefix)))
        errs.push(invalid(child(p, 'prefix'), source.prefix, m));
    }
    const set = ['configMapRef', 'secretRef'].filter((k) => isSet(source[k]));
    // The apiserver names the list, not the entry, for these two.
    if (set.length === 0) errs.push(invalid(path, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (set.length > 1)
      errs.push(invalid(path, '', 'may not have more than one field specified at a time'));
    else {
      const ref = objectAt(source[set[0]!], child(p, set[0]!), errs);
      const name = ref?.name;
      if (ref && !name) errs.push(required(child(p, set[0]!, 'name')));
      else if (typeof name === 'string') {
        for (const m of dns1123SubdomainErrors(name)) errs.push(invalid(child(p, set[0]!, 'name'), name, m));
      }
    }
  });
}

/** A relative path without '..' elements (validateLocalDescendingPath). */
export function localPathErrors(p: string, path: string): FieldError[] {
  if (p.startsWith('/')) return [invalid(path, p, 'must be a relative path')];
  if (p.split('/').includes('..')) return [invalid(path, p, "must not contain '..'")];
  return [];
}

function validateVolumeMounts(
  value: unknown,
  path: string,
  scope: ContainerScope,
  c: J,
  mountPaths: Set<string>,
): FieldError[] {
  const privileged = asObj(c.securityContext)?.privileged === true;
  return eachObject(value, path, (m, p, errs) => {
    errs.push(
      ...memberTypes(m, p, {
        name: 'string',
        mountPath: 'string',
        subPath: 'string',
        subPathExpr: 'string',
        readOnly: 'boolean',
      }),
    );
    if (!m.name) errs.push(required(child(p, 'name')));
    else if (!scope.volumes.has(String(m.name))) {
      errs.push(notFound(child(p, 'name'), m.name));
    }
    if (!m.mountPath) errs.push(required(child(p, 'mountPath')));
    else if (mountPaths.has(String(m.mountPath)))
      errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
    if (m.mountPath) mountPaths.add(String(m.mountPath));
    if (typeof m.subPath === 'string' && m.subPath !== '') {
      errs.push(...localPathErrors(m.subPath, child(path, 'subPath')));
      if (typeof m.subPathExpr === 'string' && m.subPathExpr !== '') {
        errs.push(
          invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'),
        );
      }
    }
    if (typeof m.subPathExpr === 'string' && m.subPathExpr !== '')
      errs.push(...localPathErrors(m.subPathExpr, child(path, 'subPathExpr')));
    // As the apiserver: subPath(Expr) and mountPropagation errors name the list, without the index.
    errs.push(...optionalOneOf(m.mountPropagation, child(path, 'mountPropagation'), MOUNT_PROPAGATIONS));
    if (m.mountPropagation === 'Bidirectional' && !privileged) {
      errs.push(
        forbidden(
          child(path, 'mountPropagation'),
          'Bidirectional mount propagation is available only to privileged containers',
        ),
      );
    }
    errs.push(...optionalOneOf(m.recursiveReadOnly, child(p, 'recursiveReadOnly'), RECURSIVE_READ_ONLY));
    if (m.recursiveReadOnly === 'Enabled' || m.recursiveReadOnly === 'IfPossible') {
      if (m.readOnly !== true)
        errs.push(forbidden(child(p, 'recursiveReadOnly'), 'may only be specified when readOnly is true'));
    }
  });
}

function validateVolumeDevices(
  value: unknown,
  path: string,
  scope: ContainerScope,
  mountPaths: ReadonlySet<string>,
): FieldError[] {
  const devicePaths = new Set<string>();
  return eachObject(value, path, (d, p, errs) => {
    const source = scope.volumes.get(String(d.name ?? ''));
    if (!d.name) errs.push(required(child(p, 'name')));
    else if (source === undefined) {
      errs.push(notFound(child(p, 'name'), d.name));
    } else if (source !== 'persistentVolumeClaim' && source !== 'ephemeral') {
      errs.push(
        invalid(
          child(p, 'name'),
          d.name,
          'can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
        ),
      );
    }
    if (!d.devicePath) errs.push(required(child(p, 'devicePath')));
    else {
      const dp = String(d.devicePath);
      if (devicePaths.has(dp)) errs.push(invalid(child(p, 'devicePath'), dp, 'must be unique'));
      if (mountPaths.has(dp))
        errs.push(invalid(child(p, 'devicePath'), dp, 'can not be used as a volumeMount path'));
      if (dp.split('/').includes('..'))
        errs.push(invalid(child(p, 'devicePath'), dp, "can not contain '..'"));
      devicePaths.add(dp);
    }
  });
}

/** validateHandler: exactly one of `types`, each checked. */
function validateHandler(h: J, path: string, types: readonly string[], grace = 30): FieldError[] {
  const set = types.filter((t) => isSet(h[t]));
  if (set.length === 0) return [required(path, 'must specify a handler type')];
  if (set.length > 1) return [forbidden(child(path, set[1]!), 'may not specify more than 1 handler type')];
  const type = set[0]!;
  const errs: FieldError[] = [];
  const action = objectAt(h[type], child(path, type), errs);
  if (!action) return errs;
  const p = child(path, type);
  switch (type) {
    case 'exec':
      if (!Array.isArray(action.command) || action.command.length === 0)
        errs.push(required(child(p, 'command')));
      break;
    case 'httpGet':
      errs.push(...portNumOrName(action.port, child(p, 'port')));
      errs.push(...oneOf(action.scheme, child(p, 'scheme'), HTTP_SCHEMES));
      listAt(action.httpHeaders, child(p, 'httpHeaders'), errs).forEach((header, i) => {
        const name = asObj(header)?.name;
        if (typeof name !== 'string' || !/^[-A-Za-z0-9!#$%&'*+.^_`|~]+$/.test(name)) {
          errs.push(
            invalid(
              child(index(child(p, 'httpHeaders'), i), 'name'),
              name,
              "a valid HTTP header must consist of alphanumeric characters or '-'",
            ),
          );
        }
      });
      break;
    case 'tcpSocket':
      errs.push(...portNumOrName(action.port, child(p, 'port')));
      break;
    case 'grpc':
      errs.push(...portNumber(action.port, child(p, 'port')));
      break;
    case 'sleep': {
      const seconds = action.seconds;
      if (!Number.isInteger(seconds) || (seconds as number) < 0 || (seconds as number) > grace) {
        errs.push(
          invalid(p, seconds, `must be non-negative and less than terminationGracePeriodSeconds (${grace})`),
        );
      }
      break;
    }
  }
  return errs;
}

/** ValidatePortNumOrName: a port number, or an IANA service name. */
function portNumOrName(v: unknown, path: string): FieldError[] {
  if (typeof v === 'number') return portNumber(v, path);
  if (typeof v !== 'string' || v === '') return [required(path)];
  if (/^\d+$/.test(v)) return portNumber(Number(v), path);
  return portNameErrors(v).map((m) => invalid(path, v, m));
}

const PROBE_HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function validateProbe(
  value: unknown,
  path: string,
  which: 'livenessProbe' | 'readinessProbe' | 'startupProbe',
): FieldError[] {
  const errs: FieldError[] = [];
  const probe = objectAt(value, path, errs);
  if (!probe) return errs;
  errs.push(...validateHandler(probe, path, PROBE_HANDLERS));
  for (const f of [
    'initialDelaySeconds',
    'timeoutSeconds',
    'periodSeconds',
    'successThreshold',
    'failureThreshold',
  ]) {
    errs.push(...nonNegativeInt(probe[f], child(path, f)));
  }
  if (which !== 'readinessProbe' && isSet(probe.successThreshold) && probe.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), probe.successThreshold, 'must be 1'));
  }
  if (isSet(probe.terminationGracePeriodSeconds)) {
    if (which === 'readinessProbe') {
      errs.push(
        invalid(
          child(path, 'terminationGracePeriodSeconds'),
          probe.terminationGracePeriodSeconds,
          'must not be set for readinessProbes',
        ),
      );
    } else
      errs.push(
        ...positiveInt(probe.terminationGracePeriodSeconds, child(path, 'terminationGracePeriodSeconds')),
      );
  }
  return errs;
}

function validateLifecycle(value: unknown, path: string, grace: number): FieldError[] {
  const errs: FieldError[] = [];
  const lifecycle = objectAt(value, path, errs);
  if (!lifecycle) return errs;
  for (const hook of ['postStart', 'preStop']) {
    const h = objectAt(lifecycle[hook], child(path, hook), errs);
    if (h)
      errs.push(...validateHandler(h, child(path, hook), ['exec', 'httpGet', 'tcpSocket', 'sleep'], grace));
  }
  return errs;
}

/** A resource name a container may request: cpu, memory, ephemeral-storage, hugepages-*, or extended. */
function resourceNameErrors(name: string): string[] {
  if (STANDARD_RESOURCES.includes(name) || name.startsWith('hugepages-')) return [];
  const errs = qualifiedNameErrors(name);
  if (errs.length > 0) return errs;
  if (!name.includes('/')) return ['must be a standard resource type or fully qualified'];
  if (name.startsWith('kubernetes.io/') || (name.split('/')[0] ?? '').endsWith('.kubernetes.io')) {
    return ['must be a standard resource for containers'];
  }
  return name.startsWith('requests.') ? ['must not start with requests.'] : [];
}

const isExtended = (name: string) => !STANDARD_RESOURCES.includes(name) && !name.startsWith('hugepages-');

/** ValidateContainerResourceRequirements: names, non-negative quantities, requests ≤ limits. */
function validateResources(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const res = objectAt(value, path, errs);
  if (!res) return errs;
  const parsed: Record<'limits' | 'requests', Map<string, number>> = {
    limits: new Map(),
    requests: new Map(),
  };
  for (const kind of ['limits', 'requests'] as const) {
    const list = objectAt(res[kind], child(path, kind), errs);
    for (const [name, v] of Object.entries(list ?? {})) {
      const p = `${child(path, kind)}[${name}]`;
      for (const m of resourceNameErrors(name)) errs.push(invalid(p, name, m));
      const q = quantity(v, p, errs);
      if (q === undefined) continue;
      if (q < 0) errs.push(invalid(p, v, 'must be greater than or equal to 0'));
      else if (isExtended(name) && !Number.isInteger(q)) errs.push(invalid(p, v, 'must be an integer'));
      parsed[kind].set(name, q);
    }
  }
  for (const [name, request] of parsed.requests) {
    const limit = parsed.limits.get(name);
    // The apiserver names the requests (or limits) map here, not the entry.
    const p = child(path, 'requests');
    if (isExtended(name)) {
      if (limit === undefined) {
        errs.push(required(child(path, 'limits'), 'Limit must be set for non overcommitable resources'));
      } else if (limit !== request) {
        errs.push(
          invalid(
            p,
            asObj(res.requests)?.[name],
            `must be equal to ${name} limit of ${asObj(res.limits)?.[name]}`,
          ),
        );
      }
    } else if (limit !== undefined && request > limit) {
      errs.push(
        invalid(
          p,
          asObj(res.requests)?.[name],
          `must be less than or equal to ${name} limit of ${asObj(res.limits)?.[name]}`,
        ),
      );
    }
  }
  return errs;
}

function validateResizePolicy(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  listAt(value, path, errs).forEach((raw, i) => {
    // The apiserver names the list for every resizePolicy error.
    const policy = objectAt(raw, index(path, i), errs);
    if (!policy) return;
    const name = String(policy.resourceName ?? '');
    if (!RESIZE_RESOURCES.includes(name)) errs.push(notSupported(path, name, RESIZE_RESOURCES));
    else if (seen.has(name)) errs.push(duplicate(path, name));
    seen.add(name);
    if (!RESIZE_RESTART_POLICIES.includes(String(policy.restartPolicy))) {
      errs.push(notSupported(path, policy.restartPolicy, RESIZE_RESTART_POLICIES));
    }
  });
  return errs;
}

/** seccompProfile / appArmorProfile: a known type, with localhostProfile exactly when Localhost. */
export function validateProfile(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const profile = objectAt(value, path, errs);
  if (!profile) return errs;
  errs.push(...oneOf(profile.type, child(path, 'type'), PROFILE_TYPES));
  const local = profile.localhostProfile;
  if (profile.type === 'Localhost' && (typeof local !== 'string' || local.trim() === '')) {
    errs.push(required(child(path, 'localhostProfile'), 'must be set when seccomp type is Localhost'));
  } else if (profile.type !== 'Localhost' && isSet(local)) {
    errs.push(
      invalid(child(path, 'localhostProfile'), local, 'can only be set when seccomp type is Localhost'),
    );
  }
  return errs;
}

function validateSecurityContext(value: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sc = objectAt(value, path, errs);
  if (!sc) return errs;
  errs.push(
    ...memberTypes(sc, path, {
      privileged: 'boolean',
      allowPrivilegeEscalation: 'boolean',
      readOnlyRootFilesystem: 'boolean',
      runAsNonRoot: 'boolean',
      capabilities: 'object',
    }),
  );
  errs.push(...nonNegativeInt(sc.runAsUser, child(path, 'runAsUser')));
  errs.push(...nonNegativeInt(sc.runAsGroup, child(path, 'runAsGroup')));
  if (sc.runAsNonRoot === true && sc.runAsUser === 0) {
    errs.push(invalid(child(path, 'runAsNonRoot'), true, 'must be false when runAsUser is 0'));
  }
  errs.push(...optionalOneOf(sc.procMount, child(path, 'procMount'), PROC_MOUNTS));
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    }
    const add = asObj(sc.capabilities)?.add;
    if (Array.isArray(add) && add.includes('CAP_SYS_ADMIN')) {
      errs.push(
        invalid(
          path,
          sc,
          'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN',
        ),
      );
    }
  }
  errs.push(...validateProfile(sc.seccompProfile, child(path, 'seccompProfile')));
  errs.push(...validateProfile(sc.appArmorProfile, child(path, 'appArmorProfile')));
  return errs;
}
