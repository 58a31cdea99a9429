// SidecarContainer as Go's encoding/json writes it, so our hashes equal OpenKruise's. OpenKruise decodes
// the SidecarSet into its Go types (dropping unknown fields), then json.Marshal writes struct fields in
// declaration order, applies omitempty (never to structs), writes nil slices, maps and pointers without
// omitempty as null, canonicalises quantities and escapes <, > and &.
// Field order and tags: k8s.io/api v0.32 (OpenKruise v1.9's) corev1.Container plus Kruise's fields,
// dumped by reflection from those Go types.
import { canonicalQuantity } from '../../apis/quantity-format';

/** 'string' | 'int' | 'bool' | 'quantity' | 'intOrString', or the name of a struct in STRUCTS. */
type GoType = string | { ptr: GoType } | { slice: GoType } | { map: GoType };
type Field = readonly [name: string, type: GoType, omitempty?: true];

const ptr = (type: GoType): GoType => ({ ptr: type });
const slice = (type: GoType): GoType => ({ slice: type });
const map = (type: GoType): GoType => ({ map: type });

const STRUCTS: Record<string, readonly Field[]> = {
  AppArmorProfile: [
    ['type', 'string'],
    ['localhostProfile', ptr('string'), true],
  ],
  Capabilities: [
    ['add', slice('string'), true],
    ['drop', slice('string'), true],
  ],
  ConfigMapEnvSource: [
    ['name', 'string', true],
    ['optional', ptr('bool'), true],
  ],
  ConfigMapKeySelector: [
    ['name', 'string', true],
    ['key', 'string'],
    ['optional', ptr('bool'), true],
  ],
  ContainerPort: [
    ['name', 'string', true],
    ['hostPort', 'int', true],
    ['containerPort', 'int'],
    ['protocol', 'string', true],
    ['hostIP', 'string', true],
  ],
  ContainerResizePolicy: [
    ['resourceName', 'string'],
    ['restartPolicy', 'string'],
  ],
  EnvFromSource: [
    ['prefix', 'string', true],
    ['configMapRef', ptr('ConfigMapEnvSource'), true],
    ['secretRef', ptr('SecretEnvSource'), true],
  ],
  EnvVar: [
    ['name', 'string'],
    ['value', 'string', true],
    ['valueFrom', ptr('EnvVarSource'), true],
  ],
  EnvVarSource: [
    ['fieldRef', ptr('ObjectFieldSelector'), true],
    ['resourceFieldRef', ptr('ResourceFieldSelector'), true],
    ['configMapKeyRef', ptr('ConfigMapKeySelector'), true],
    ['secretKeyRef', ptr('SecretKeySelector'), true],
  ],
  ExecAction: [['command', slice('string'), true]],
  GRPCAction: [
    ['port', 'int'],
    ['service', ptr('string')],
  ],
  HTTPGetAction: [
    ['path', 'string', true],
    ['port', 'intOrString'],
    ['host', 'string', true],
    ['scheme', 'string', true],
    ['httpHeaders', slice('HTTPHeader'), true],
  ],
  HTTPHeader: [
    ['name', 'string'],
    ['value', 'string'],
  ],
  Lifecycle: [
    ['postStart', ptr('LifecycleHandler'), true],
    ['preStop', ptr('LifecycleHandler'), true],
  ],
  LifecycleHandler: [
    ['exec', ptr('ExecAction'), true],
    ['httpGet', ptr('HTTPGetAction'), true],
    ['tcpSocket', ptr('TCPSocketAction'), true],
    ['sleep', ptr('SleepAction'), true],
  ],
  ObjectFieldSelector: [
    ['apiVersion', 'string', true],
    ['fieldPath', 'string'],
  ],
  Probe: [
    ['exec', ptr('ExecAction'), true],
    ['httpGet', ptr('HTTPGetAction'), true],
    ['tcpSocket', ptr('TCPSocketAction'), true],
    ['grpc', ptr('GRPCAction'), true],
    ['initialDelaySeconds', 'int', true],
    ['timeoutSeconds', 'int', true],
    ['periodSeconds', 'int', true],
    ['successThreshold', 'int', true],
    ['failureThreshold', 'int', true],
    ['terminationGracePeriodSeconds', ptr('int'), true],
  ],
  ResourceClaim: [
    ['name', 'string'],
    ['request', 'string', true],
  ],
  ResourceExpr: [
    ['cpu', 'string', true],
    ['memory', 'string', true],
  ],
  ResourceFieldSelector: [
    ['containerName', 'string', true],
    ['resource', 'string'],
    ['divisor', 'quantity', true],
  ],
  ResourceRequirements: [
    ['limits', map('quantity'), true],
    ['requests', map('quantity'), true],
    ['claims', slice('ResourceClaim'), true],
  ],
  ResourcesExpr: [
    ['limits', ptr('ResourceExpr'), true],
    ['requests', ptr('ResourceExpr'), true],
  ],
  ResourcesPolicy: [
    ['targetContainersMode', 'string'],
    ['targetContainersNameRegex', 'string', true],
    ['resourcesExpr', 'ResourcesExpr'],
  ],
  SELinuxOptions: [
    ['user', 'string', true],
    ['role', 'string', true],
    ['type', 'string', true],
    ['level', 'string', true],
  ],
  SeccompProfile: [
    ['type', 'string'],
    ['localhostProfile', ptr('string'), true],
  ],
  SecretEnvSource: [
    ['name', 'string', true],
    ['optional', ptr('bool'), true],
  ],
  SecretKeySelector: [
    ['name', 'string', true],
    ['key', 'string'],
    ['optional', ptr('bool'), true],
  ],
  SecurityContext: [
    ['capabilities', ptr('Capabilities'), true],
    ['privileged', ptr('bool'), true],
    ['seLinuxOptions', ptr('SELinuxOptions'), true],
    ['windowsOptions', ptr('WindowsSecurityContextOptions'), true],
    ['runAsUser', ptr('int'), true],
    ['runAsGroup', ptr('int'), true],
    ['runAsNonRoot', ptr('bool'), true],
    ['readOnlyRootFilesystem', ptr('bool'), true],
    ['allowPrivilegeEscalation', ptr('bool'), true],
    ['procMount', ptr('string'), true],
    ['seccompProfile', ptr('SeccompProfile'), true],
    ['appArmorProfile', ptr('AppArmorProfile'), true],
  ],
  ShareVolumePolicy: [['type', 'string', true]],
  SidecarContainer: [
    ['name', 'string'],
    ['image', 'string', true],
    ['command', slice('string'), true],
    ['args', slice('string'), true],
    ['workingDir', 'string', true],
    ['ports', slice('ContainerPort'), true],
    ['envFrom', slice('EnvFromSource'), true],
    ['env', slice('EnvVar'), true],
    ['resources', 'ResourceRequirements', true],
    ['resizePolicy', slice('ContainerResizePolicy'), true],
    ['restartPolicy', ptr('string'), true],
    ['volumeMounts', slice('VolumeMount'), true],
    ['volumeDevices', slice('VolumeDevice'), true],
    ['livenessProbe', ptr('Probe'), true],
    ['readinessProbe', ptr('Probe'), true],
    ['startupProbe', ptr('Probe'), true],
    ['lifecycle', ptr('Lifecycle'), true],
    ['terminationMessagePath', 'string', true],
    ['terminationMessagePolicy', 'string', true],
    ['imagePullPolicy', 'string', true],
    ['securityContext', ptr('SecurityContext'), true],
    ['stdin', 'bool', true],
    ['stdinOnce', 'bool', true],
    ['tty', 'bool', true],
    ['podInjectPolicy', 'string', true],
    ['upgradeStrategy', 'SidecarContainerUpgradeStrategy', true],
    ['shareVolumePolicy', 'ShareVolumePolicy', true],
    ['shareVolumeDevicePolicy', ptr('ShareVolumePolicy'), true],
    ['transferEnv', slice('TransferEnvVar'), true],
    ['resourcesPolicy', ptr('ResourcesPolicy'), true],
  ],
  SidecarContainerUpgradeStrategy: [
    ['upgradeType', 'string', true],
    ['hotUpgradeEmptyImage', 'string', true],
  ],
  SleepAction: [['seconds', 'int']],
  SourceContainerNameSource: [['fieldRef', ptr('ObjectFieldSelector'), true]],
  TCPSocketAction: [
    ['port', 'intOrString'],
    ['host', 'string', true],
  ],
  TransferEnvVar: [
    ['sourceContainerName', 'string', true],
    ['sourceContainerNameFrom', ptr('SourceContainerNameSource'), true],
    ['envName', 'string', true],
    ['envNames', slice('string'), true],
  ],
  VolumeDevice: [
    ['name', 'string'],
    ['devicePath', 'string'],
  ],
  VolumeMount: [
    ['name', 'string'],
    ['readOnly', 'bool', true],
    ['recursiveReadOnly', ptr('string'), true],
    ['mountPath', 'string'],
    ['subPath', 'string', true],
    ['mountPropagation', ptr('string'), true],
    ['subPathExpr', 'string', true],
  ],
  WindowsSecurityContextOptions: [
    ['gmsaCredentialSpecName', ptr('string'), true],
    ['gmsaCredentialSpec', ptr('string'), true],
    ['runAsUserName', ptr('string'), true],
    ['hostProcess', ptr('bool'), true],
  ],
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Quantity and IntOrString are Go structs too. */
const isStruct = (type: string) => type in STRUCTS || type === 'quantity' || type === 'intOrString';

/** The Go zero value test encoding/json applies for omitempty (structs are never empty). */
function isEmpty(type: GoType, value: unknown): boolean {
  if (typeof type === 'string' && isStruct(type)) return false;
  if (value === undefined || value === null) return true;
  if (typeof type === 'object') {
    if ('ptr' in type) return false;
    if ('slice' in type) return Array.isArray(value) && value.length === 0;
    return isPlainObject(value) && Object.keys(value).length === 0;
  }
  if (type === 'string') return value === '';
  if (type === 'int') return value === 0;
  if (type === 'bool') return value === false;
  return false;
}

/** Go's encoding/json string escaping (HTML-safe). */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function encode(type: GoType, value: unknown): string {
  if (typeof type === 'object') {
    if ('ptr' in type) return value === undefined || value === null ? 'null' : encode(type.ptr, value);
    if ('slice' in type) {
      if (!Array.isArray(value)) return 'null';
      return `[${value.map((v) => encode(type.slice, v)).join(',')}]`;
    }
    if (!isPlainObject(value)) return 'null';
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${goJsonString(k)}:${encode(type.map, value[k])}`).join(',')}}`;
  }
  switch (type) {
    case 'string':
      return goJsonString(typeof value === 'string' ? value : '');
    case 'int':
      return String(typeof value === 'number' ? Math.trunc(value) : 0);
    case 'bool':
      return value === true ? 'true' : 'false';
    case 'quantity':
      return goJsonString(
        typeof value === 'string' || typeof value === 'number' ? canonicalQuantity(value) : '0',
      );
    case 'intOrString':
      return typeof value === 'string' ? goJsonString(value) : String(typeof value === 'number' ? value : 0);
    default:
      return encodeStruct(type, value);
  }
}

function encodeStruct(name: string, value: unknown): string {
  const object = isPlainObject(value) ? value : {};
  const parts: string[] = [];
  for (const [field, type, omitempty] of STRUCTS[name] ?? []) {
    const v = object[field];
    if (omitempty && isEmpty(type, v)) continue;
    parts.push(`${goJsonString(field)}:${encode(type, v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** json.Marshal of an OpenKruise SidecarContainer decoded from `container`. */
export function goJsonSidecarContainer(container: unknown): string {
  return encodeStruct('SidecarContainer', container);
}

/** json.Marshal of []SidecarContainer (nil when `containers` is not an array). */
export function goJsonSidecarContainers(containers: unknown): string {
  return encode(slice('SidecarContainer'), containers);
}
