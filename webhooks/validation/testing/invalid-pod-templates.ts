// Invalid pod templates, as data: each CR must be rejected at admission naming `field`, and the same pod
// spec sent as a Pod must be rejected by the apiserver itself naming `pod.field` — so our template
// validation refuses what a Pod would, where a Pod would. Spread over every kind and served version.
import { convertObject } from '../../../apis/convert';
import type { Json } from '../../../apis/convert-util';
import { KINDS, type KindName } from '../../../apis/kinds';

export interface InvalidPodTemplateCase {
  name: string;
  kind: KindName;
  /** The CR, in one of the kind's served versions. */
  object: Json;
  /** Path the admission denial must name. */
  field: string;
  /** The pod spec as a Pod; field '' = the apiserver refuses it while decoding, before any path. */
  pod: { object: Json; field: string };
}

// biome-ignore lint/suspicious/noExplicitAny: fixtures are plain JSON that the cases mutate freely.
type Spec = Record<string, any>;
type Where = { kind: KindName; version: 'v1alpha1' | 'v1beta1' };

const CS_A: Where = { kind: 'CloneSet', version: 'v1alpha1' };
const CS_B: Where = { kind: 'CloneSet', version: 'v1beta1' };
const STS_A: Where = { kind: 'StatefulSet', version: 'v1alpha1' };
const STS_B: Where = { kind: 'StatefulSet', version: 'v1beta1' };
const BCJ_A: Where = { kind: 'BroadcastJob', version: 'v1alpha1' };
const BCJ_B: Where = { kind: 'BroadcastJob', version: 'v1beta1' };
const SS_A: Where = { kind: 'SidecarSet', version: 'v1alpha1' };
const SS_B: Where = { kind: 'SidecarSet', version: 'v1beta1' };

const labels = { app: 'pt' };

/** A valid object of `kind` in its internal version; every case changes only its pod spec. */
export function baseObject(kind: KindName, name: string): Json {
  const meta = { name };
  const template = (extra: Spec = {}) => ({
    metadata: { labels },
    spec: { containers: [{ name: 'main', image: 'nginx:1.25' }], ...extra },
  });
  const apiVersion = KINDS[kind].apiVersion;
  switch (kind) {
    case 'CloneSet':
      return {
        apiVersion,
        kind,
        metadata: meta,
        spec: { replicas: 0, selector: { matchLabels: labels }, template: template() },
      };
    case 'StatefulSet':
      return {
        apiVersion,
        kind,
        metadata: meta,
        spec: { replicas: 0, serviceName: 'pt', selector: { matchLabels: labels }, template: template() },
      };
    case 'BroadcastJob':
      return {
        apiVersion,
        kind,
        metadata: meta,
        spec: { paused: true, template: template({ restartPolicy: 'Never' }) },
      };
    case 'SidecarSet':
      return {
        apiVersion,
        kind,
        metadata: meta,
        spec: {
          selector: { matchLabels: { app: `${name}-target` } },
          containers: [{ name: 'main', image: 'nginx:1.25' }],
        },
      };
  }
}

/**
 * A case: `mutate` changes the pod spec (for a SidecarSet, its spec: containers and volumes sit where a
 * pod has them); `rel` is the field path below it. `decodeError` marks values a Pod cannot even decode.
 */
function invalidTemplate(
  where: Where,
  name: string,
  rel: string,
  mutate: (spec: Spec) => void,
  decodeError = false,
): InvalidPodTemplateCase {
  const obj = baseObject(where.kind, name) as { spec: Spec };
  const podSpec: Spec = where.kind === 'SidecarSet' ? obj.spec : obj.spec.template.spec;
  mutate(podSpec);
  const object = convertObject(obj as Json, `apps.kruise.io/${where.version}`);
  const field = where.kind === 'SidecarSet' ? `spec.${rel}` : `spec.template.spec.${rel}`;
  const spec =
    where.kind === 'SidecarSet'
      ? { containers: podSpec.containers, initContainers: podSpec.initContainers, volumes: podSpec.volumes }
      : podSpec;
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: structuredClone(spec) };
  return {
    name,
    kind: where.kind,
    object,
    field,
    pod: { object: pod, field: decodeError ? '' : `spec.${rel}` },
  };
}

const c0 = (s: Spec) => s.containers[0];
const withVolume = (s: Spec, volume: Spec) => {
  s.volumes = [...(s.volumes ?? []), volume];
};

const resources: InvalidPodTemplateCase[] = [
  invalidTemplate(
    CS_A,
    'pt-cpu-syntax',
    'containers[0].resources.limits[cpu]',
    (s) => {
      c0(s).resources = { limits: { cpu: '1 core' } };
    },
    true,
  ),
  invalidTemplate(CS_B, 'pt-memory-negative', 'containers[0].resources.requests[memory]', (s) => {
    c0(s).resources = { requests: { memory: '-1Gi' } };
  }),
  invalidTemplate(STS_B, 'pt-cpu-over-limit', 'containers[0].resources.requests', (s) => {
    c0(s).resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
  }),
  invalidTemplate(STS_A, 'pt-memory-over-limit', 'containers[0].resources.requests', (s) => {
    c0(s).resources = { requests: { memory: '2Gi' }, limits: { memory: '1Gi' } };
  }),
  invalidTemplate(BCJ_A, 'pt-extended-fraction', 'containers[0].resources.limits[example.com/fpga]', (s) => {
    c0(s).resources = { limits: { 'example.com/fpga': '500m' } };
  }),
  invalidTemplate(BCJ_B, 'pt-extended-unequal', 'containers[0].resources.requests', (s) => {
    c0(s).resources = { requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '2' } };
  }),
  invalidTemplate(CS_A, 'pt-extended-no-limit', 'containers[0].resources.limits', (s) => {
    c0(s).resources = { requests: { 'example.com/gpu': '1' } };
  }),
  invalidTemplate(CS_B, 'pt-resource-name', 'containers[0].resources.limits[cpu cores]', (s) => {
    c0(s).resources = { limits: { 'cpu cores': '1' } };
  }),
  invalidTemplate(STS_B, 'pt-init-cpu-over-limit', 'initContainers[0].resources.requests', (s) => {
    s.initContainers = [
      {
        name: 'init',
        image: 'busybox:1.36',
        resources: { requests: { cpu: '500m' }, limits: { cpu: '250m' } },
      },
    ];
  }),
  invalidTemplate(SS_A, 'pt-sidecar-over-limit', 'containers[0].resources.requests', (s) => {
    c0(s).resources = { requests: { memory: '512Mi' }, limits: { memory: '256Mi' } };
  }),
  invalidTemplate(
    SS_B,
    'pt-sidecar-cpu-syntax',
    'containers[0].resources.requests[cpu]',
    (s) => {
      c0(s).resources = { requests: { cpu: 'half' } };
    },
    true,
  ),
  invalidTemplate(
    CS_A,
    'pt-sizelimit-syntax',
    'volumes[0].emptyDir.sizeLimit',
    (s) => {
      withVolume(s, { name: 'cache', emptyDir: { sizeLimit: 'big' } });
    },
    true,
  ),
];

const volumes: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-two-sources', 'volumes[0].hostPath', (s) => {
    withVolume(s, { name: 'data', hostPath: { path: '/data' }, emptyDir: {} });
  }),
  invalidTemplate(CS_B, 'pt-secret-and-configmap', 'volumes[0].configMap', (s) => {
    withVolume(s, { name: 'conf', secret: { secretName: 's' }, configMap: { name: 'c' } });
  }),
  invalidTemplate(STS_B, 'pt-hostpath-no-path', 'volumes[0].hostPath.path', (s) => {
    withVolume(s, { name: 'host', hostPath: {} });
  }),
  invalidTemplate(STS_A, 'pt-hostpath-type', 'volumes[0].hostPath.type', (s) => {
    withVolume(s, { name: 'host', hostPath: { path: '/var/run', type: 'Folder' } });
  }),
  invalidTemplate(BCJ_A, 'pt-secret-no-name', 'volumes[0].secret.secretName', (s) => {
    withVolume(s, { name: 'creds', secret: {} });
  }),
  invalidTemplate(BCJ_B, 'pt-configmap-no-name', 'volumes[0].configMap.name', (s) => {
    withVolume(s, { name: 'conf', configMap: {} });
  }),
  invalidTemplate(CS_A, 'pt-pvc-no-claim', 'volumes[0].persistentVolumeClaim.claimName', (s) => {
    withVolume(s, { name: 'data', persistentVolumeClaim: {} });
  }),
  invalidTemplate(CS_B, 'pt-items-absolute', 'volumes[0].configMap.items[0].path', (s) => {
    withVolume(s, { name: 'conf', configMap: { name: 'c', items: [{ key: 'a', path: '/etc/a' }] } });
  }),
  invalidTemplate(STS_B, 'pt-items-dotdot', 'volumes[0].secret.items[0].path', (s) => {
    withVolume(s, { name: 'creds', secret: { secretName: 's', items: [{ key: 'a', path: '../a' }] } });
  }),
  invalidTemplate(STS_A, 'pt-default-mode', 'volumes[0].configMap.defaultMode', (s) => {
    withVolume(s, { name: 'conf', configMap: { name: 'c', defaultMode: 0o1000 } });
  }),
  invalidTemplate(BCJ_A, 'pt-sizelimit-negative', 'volumes[0].emptyDir.sizeLimit', (s) => {
    withVolume(s, { name: 'cache', emptyDir: { sizeLimit: '-1Gi' } });
  }),
  invalidTemplate(BCJ_B, 'pt-volume-name', 'volumes[0].name', (s) => {
    withVolume(s, { name: 'Data', emptyDir: {} });
  }),
  invalidTemplate(CS_A, 'pt-volume-dup', 'volumes[1].name', (s) => {
    withVolume(s, { name: 'data', emptyDir: {} });
    withVolume(s, { name: 'data', emptyDir: {} });
  }),
  invalidTemplate(CS_B, 'pt-downward-volume-path', 'volumes[0].downwardAPI.fieldRef.fieldPath', (s) => {
    withVolume(s, {
      name: 'info',
      downwardAPI: { items: [{ path: 'node', fieldRef: { fieldPath: 'spec.nodeName' } }] },
    });
  }),
  invalidTemplate(
    STS_B,
    'pt-downward-no-container',
    'volumes[0].downwardAPI.resourceFieldRef.containerName',
    (s) => {
      withVolume(s, {
        name: 'info',
        downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { resource: 'limits.cpu' } }] },
      });
    },
  ),
  invalidTemplate(
    STS_A,
    'pt-token-short',
    'volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds',
    (s) => {
      withVolume(s, {
        name: 'token',
        projected: { sources: [{ serviceAccountToken: { path: 't', expirationSeconds: 60 } }] },
      });
    },
  ),
  invalidTemplate(BCJ_A, 'pt-nfs-relative', 'volumes[0].nfs.path', (s) => {
    withVolume(s, { name: 'share', nfs: { server: 'nfs.example.com', path: 'exports' } });
  }),
  invalidTemplate(BCJ_B, 'pt-csi-no-driver', 'volumes[0].csi.driver', (s) => {
    withVolume(s, { name: 'vault', csi: {} });
  }),
  invalidTemplate(SS_B, 'pt-sidecar-volume-sources', 'volumes[0].configMap', (s) => {
    withVolume(s, { name: 'conf', emptyDir: {}, configMap: { name: 'c' } });
  }),
];

const env: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-fieldref-path', 'containers[0].env[0].valueFrom.fieldRef.fieldPath', (s) => {
    c0(s).env = [{ name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'spec.hostname' } } }];
  }),
  invalidTemplate(CS_B, 'pt-fieldref-labels', 'containers[0].env[0].valueFrom.fieldRef.fieldPath', (s) => {
    c0(s).env = [{ name: 'LABELS', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }];
  }),
  invalidTemplate(STS_B, 'pt-fieldref-label-key', 'containers[0].env[0].valueFrom.fieldRef', (s) => {
    c0(s).env = [{ name: 'ZONE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['bad key!']" } } }];
  }),
  invalidTemplate(
    STS_A,
    'pt-resourcefieldref',
    'containers[0].env[0].valueFrom.resourceFieldRef.resource',
    (s) => {
      c0(s).env = [{ name: 'GPUS', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }];
    },
  ),
  invalidTemplate(
    BCJ_A,
    'pt-resourcefieldref-divisor',
    'containers[0].env[0].valueFrom.resourceFieldRef.divisor',
    (s) => {
      c0(s).env = [
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } } },
      ];
    },
  ),
  invalidTemplate(BCJ_B, 'pt-env-two-sources', 'containers[0].env[0].valueFrom', (s) => {
    c0(s).env = [
      {
        name: 'X',
        valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, secretKeyRef: { name: 's', key: 'k' } },
      },
    ];
  }),
  invalidTemplate(CS_A, 'pt-env-value-and-from', 'containers[0].env[0].valueFrom', (s) => {
    c0(s).env = [{ name: 'X', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }];
  }),
  invalidTemplate(
    CS_B,
    'pt-configmapkeyref-key',
    'containers[0].env[0].valueFrom.configMapKeyRef.key',
    (s) => {
      c0(s).env = [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm' } } }];
    },
  ),
  invalidTemplate(STS_B, 'pt-secretkeyref-key', 'containers[0].env[0].valueFrom.secretKeyRef.key', (s) => {
    c0(s).env = [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'a b' } } }];
  }),
  invalidTemplate(STS_A, 'pt-env-name-empty', 'containers[0].env[0].name', (s) => {
    c0(s).env = [{ name: '', value: 'x' }];
  }),
  invalidTemplate(BCJ_A, 'pt-env-name-equals', 'containers[0].env[0].name', (s) => {
    c0(s).env = [{ name: 'A=B', value: 'x' }];
  }),
  invalidTemplate(BCJ_B, 'pt-envfrom-no-source', 'containers[0].envFrom', (s) => {
    c0(s).envFrom = [{ prefix: 'X_' }];
  }),
  invalidTemplate(SS_A, 'pt-sidecar-envfrom-prefix', 'containers[0].envFrom[0].prefix', (s) => {
    c0(s).envFrom = [{ prefix: 'A=', configMapRef: { name: 'cm' } }];
  }),
  invalidTemplate(SS_B, 'pt-sidecar-fieldref', 'containers[0].env[0].valueFrom.fieldRef.fieldPath', (s) => {
    c0(s).env = [{ name: 'PHASE', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }];
  }),
];

const probes: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-probe-no-handler', 'containers[0].livenessProbe', (s) => {
    c0(s).livenessProbe = { periodSeconds: 5 };
  }),
  invalidTemplate(CS_B, 'pt-probe-two-handlers', 'containers[0].readinessProbe.tcpSocket', (s) => {
    c0(s).readinessProbe = { exec: { command: ['true'] }, tcpSocket: { port: 80 } };
  }),
  invalidTemplate(STS_B, 'pt-liveness-success', 'containers[0].livenessProbe.successThreshold', (s) => {
    c0(s).livenessProbe = { tcpSocket: { port: 80 }, successThreshold: 2 };
  }),
  invalidTemplate(STS_A, 'pt-probe-period', 'containers[0].readinessProbe.periodSeconds', (s) => {
    c0(s).readinessProbe = { httpGet: { port: 80 }, periodSeconds: -1 };
  }),
  invalidTemplate(
    BCJ_A,
    'pt-readiness-grace',
    'containers[0].readinessProbe.terminationGracePeriodSeconds',
    (s) => {
      c0(s).readinessProbe = { exec: { command: ['true'] }, terminationGracePeriodSeconds: 5 };
    },
  ),
  invalidTemplate(BCJ_B, 'pt-httpget-port', 'containers[0].livenessProbe.httpGet.port', (s) => {
    c0(s).livenessProbe = { httpGet: { port: 0 } };
  }),
  invalidTemplate(CS_A, 'pt-httpget-scheme', 'containers[0].startupProbe.httpGet.scheme', (s) => {
    c0(s).startupProbe = { httpGet: { port: 80, scheme: 'FTP' } };
  }),
  invalidTemplate(CS_B, 'pt-exec-empty', 'containers[0].livenessProbe.exec.command', (s) => {
    c0(s).livenessProbe = { exec: { command: [] } };
  }),
  invalidTemplate(STS_B, 'pt-init-probe', 'initContainers[0].readinessProbe', (s) => {
    s.initContainers = [
      { name: 'init', image: 'busybox:1.36', readinessProbe: { exec: { command: ['true'] } } },
    ];
  }),
  invalidTemplate(STS_A, 'pt-prestop-no-handler', 'containers[0].lifecycle.preStop', (s) => {
    c0(s).lifecycle = { preStop: {} };
  }),
  invalidTemplate(BCJ_A, 'pt-prestop-sleep', 'containers[0].lifecycle.preStop.sleep', (s) => {
    c0(s).lifecycle = { preStop: { sleep: { seconds: -1 } } };
  }),
  invalidTemplate(BCJ_B, 'pt-grpc-port', 'containers[0].readinessProbe.grpc.port', (s) => {
    c0(s).readinessProbe = { grpc: { port: 70000 } };
  }),
  invalidTemplate(SS_A, 'pt-sidecar-probe-handlers', 'containers[0].livenessProbe.httpGet', (s) => {
    c0(s).livenessProbe = { exec: { command: ['true'] }, httpGet: { port: 8080 } };
  }),
];

const ports: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-hostport-range', 'containers[0].ports[0].hostPort', (s) => {
    c0(s).ports = [{ containerPort: 80, hostPort: 70000 }];
  }),
  invalidTemplate(CS_B, 'pt-port-protocol', 'containers[0].ports[0].protocol', (s) => {
    c0(s).ports = [{ containerPort: 80, protocol: 'HTTP' }];
  }),
  invalidTemplate(STS_B, 'pt-port-name-long', 'containers[0].ports[0].name', (s) => {
    c0(s).ports = [{ containerPort: 80, name: 'a-very-long-port-name' }];
  }),
  invalidTemplate(STS_A, 'pt-port-name-dup', 'containers[0].ports[1].name', (s) => {
    c0(s).ports = [
      { containerPort: 80, name: 'http' },
      { containerPort: 81, name: 'http' },
    ];
  }),
  invalidTemplate(BCJ_A, 'pt-hostport-dup', 'containers[1].ports[0].hostPort', (s) => {
    c0(s).ports = [{ containerPort: 80, hostPort: 8080 }];
    s.containers.push({ name: 'side', image: 'nginx:1.25', ports: [{ containerPort: 81, hostPort: 8080 }] });
  }),
  invalidTemplate(BCJ_B, 'pt-hostnetwork-port', 'containers[0].ports[0].hostPort', (s) => {
    s.hostNetwork = true;
    c0(s).ports = [{ containerPort: 80, hostPort: 8080 }];
  }),
];

const mounts: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-mount-no-path', 'containers[0].volumeMounts[0].mountPath', (s) => {
    withVolume(s, { name: 'data', emptyDir: {} });
    c0(s).volumeMounts = [{ name: 'data' }];
  }),
  invalidTemplate(CS_B, 'pt-mount-dup-path', 'containers[0].volumeMounts[1].mountPath', (s) => {
    withVolume(s, { name: 'a', emptyDir: {} });
    withVolume(s, { name: 'b', emptyDir: {} });
    c0(s).volumeMounts = [
      { name: 'a', mountPath: '/data' },
      { name: 'b', mountPath: '/data' },
    ];
  }),
  invalidTemplate(STS_B, 'pt-subpath-absolute', 'containers[0].volumeMounts.subPath', (s) => {
    withVolume(s, { name: 'data', emptyDir: {} });
    c0(s).volumeMounts = [{ name: 'data', mountPath: '/data', subPath: '/abs' }];
  }),
  invalidTemplate(STS_A, 'pt-subpath-and-expr', 'containers[0].volumeMounts[0].subPathExpr', (s) => {
    withVolume(s, { name: 'data', emptyDir: {} });
    c0(s).volumeMounts = [{ name: 'data', mountPath: '/data', subPath: 'a', subPathExpr: '$(POD)' }];
  }),
  invalidTemplate(BCJ_A, 'pt-mount-propagation', 'containers[0].volumeMounts.mountPropagation', (s) => {
    withVolume(s, { name: 'data', emptyDir: {} });
    c0(s).volumeMounts = [{ name: 'data', mountPath: '/data', mountPropagation: 'Shared' }];
  }),
  invalidTemplate(BCJ_B, 'pt-bidirectional', 'containers[0].volumeMounts.mountPropagation', (s) => {
    withVolume(s, { name: 'data', hostPath: { path: '/mnt' } });
    c0(s).volumeMounts = [{ name: 'data', mountPath: '/data', mountPropagation: 'Bidirectional' }];
  }),
  invalidTemplate(CS_A, 'pt-init-mount-unknown', 'initContainers[0].volumeMounts[0].name', (s) => {
    s.initContainers = [
      { name: 'init', image: 'busybox:1.36', volumeMounts: [{ name: 'missing', mountPath: '/m' }] },
    ];
  }),
  invalidTemplate(CS_B, 'pt-device-not-pvc', 'containers[0].volumeDevices[0].name', (s) => {
    withVolume(s, { name: 'cache', emptyDir: {} });
    c0(s).volumeDevices = [{ name: 'cache', devicePath: '/dev/xvda' }];
  }),
  invalidTemplate(SS_B, 'pt-sidecar-mount-path', 'containers[0].volumeMounts[0].mountPath', (s) => {
    withVolume(s, { name: 'logs', emptyDir: {} });
    c0(s).volumeMounts = [{ name: 'logs' }];
  }),
];

const containerFields: InvalidPodTemplateCase[] = [
  invalidTemplate(STS_B, 'pt-image-whitespace', 'containers[0].image', (s) => {
    c0(s).image = ' nginx:1.25';
  }),
  invalidTemplate(STS_A, 'pt-pull-policy', 'containers[0].imagePullPolicy', (s) => {
    c0(s).imagePullPolicy = 'Sometimes';
  }),
  invalidTemplate(BCJ_A, 'pt-termination-policy', 'containers[0].terminationMessagePolicy', (s) => {
    c0(s).terminationMessagePolicy = 'Never';
  }),
  invalidTemplate(BCJ_B, 'pt-resize-resource', 'containers[0].resizePolicy', (s) => {
    c0(s).resizePolicy = [{ resourceName: 'gpu', restartPolicy: 'NotRequired' }];
  }),
  invalidTemplate(CS_A, 'pt-privileged-escalation', 'containers[0].securityContext', (s) => {
    c0(s).securityContext = { privileged: true, allowPrivilegeEscalation: false };
  }),
  invalidTemplate(CS_B, 'pt-run-as-user', 'containers[0].securityContext.runAsUser', (s) => {
    c0(s).securityContext = { runAsUser: -1 };
  }),
  invalidTemplate(
    STS_B,
    'pt-seccomp-localhost',
    'containers[0].securityContext.seccompProfile.localhostProfile',
    (s) => {
      c0(s).securityContext = { seccompProfile: { type: 'Localhost' } };
    },
  ),
  invalidTemplate(STS_A, 'pt-init-restart-policy', 'initContainers[0].restartPolicy', (s) => {
    s.initContainers = [{ name: 'init', image: 'busybox:1.36', restartPolicy: 'Sometimes' }];
  }),
  invalidTemplate(BCJ_A, 'pt-init-name-clash', 'initContainers[0].name', (s) => {
    s.initContainers = [{ name: 'main', image: 'busybox:1.36' }];
  }),
  invalidTemplate(SS_A, 'pt-sidecar-pull-policy', 'containers[0].imagePullPolicy', (s) => {
    c0(s).imagePullPolicy = 'Maybe';
  }),
];

const podFields: InvalidPodTemplateCase[] = [
  invalidTemplate(CS_A, 'pt-dns-policy', 'dnsPolicy', (s) => {
    s.dnsPolicy = 'Google';
  }),
  invalidTemplate(CS_B, 'pt-dns-none', 'dnsConfig', (s) => {
    s.dnsPolicy = 'None';
  }),
  invalidTemplate(STS_B, 'pt-dns-nameserver', 'dnsConfig.nameservers[0]', (s) => {
    s.dnsConfig = { nameservers: ['not-an-ip'] };
  }),
  invalidTemplate(STS_A, 'pt-node-selector', 'nodeSelector', (s) => {
    s.nodeSelector = { 'bad key': 'x' };
  }),
  invalidTemplate(BCJ_A, 'pt-toleration-value', 'tolerations[0].operator', (s) => {
    s.tolerations = [{ key: 'k', operator: 'Exists', value: 'v' }];
  }),
  invalidTemplate(BCJ_B, 'pt-toleration-effect', 'tolerations[0].effect', (s) => {
    s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoRun' }];
  }),
  invalidTemplate(CS_A, 'pt-toleration-seconds', 'tolerations[0].effect', (s) => {
    s.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 10 }];
  }),
  invalidTemplate(
    CS_B,
    'pt-affinity-no-terms',
    'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms',
    (s) => {
      s.affinity = {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      };
    },
  ),
  invalidTemplate(
    STS_B,
    'pt-affinity-operator',
    'affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator',
    (s) => {
      s.affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] }],
          },
        },
      };
    },
  ),
  invalidTemplate(
    STS_A,
    'pt-affinity-weight',
    'affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    (s) => {
      s.affinity = {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
          ],
        },
      };
    },
  ),
  invalidTemplate(
    BCJ_A,
    'pt-anti-affinity-key',
    'affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey',
    (s) => {
      s.affinity = {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels } }],
        },
      };
    },
  ),
  invalidTemplate(BCJ_B, 'pt-spread-skew', 'topologySpreadConstraints[0].maxSkew', (s) => {
    s.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }];
  }),
  invalidTemplate(CS_A, 'pt-spread-when', 'topologySpreadConstraints[0].whenUnsatisfiable', (s) => {
    s.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Sometimes' }];
  }),
  invalidTemplate(CS_B, 'pt-hostname', 'hostname', (s) => {
    s.hostname = 'Web_1';
  }),
  invalidTemplate(STS_B, 'pt-service-account', 'serviceAccountName', (s) => {
    s.serviceAccountName = 'Bad_SA';
  }),
  invalidTemplate(STS_A, 'pt-readiness-gate', 'readinessGates[0].conditionType', (s) => {
    s.readinessGates = [{ conditionType: 'bad type!' }];
  }),
  invalidTemplate(BCJ_A, 'pt-fsgroup', 'securityContext.fsGroup', (s) => {
    s.securityContext = { fsGroup: -5 };
  }),
  invalidTemplate(BCJ_B, 'pt-sysctl', 'securityContext.sysctls[0].name', (s) => {
    s.securityContext = { sysctls: [{ name: 'Kernel.X', value: '1' }] };
  }),
  invalidTemplate(CS_A, 'pt-host-alias', 'hostAliases[0].ip', (s) => {
    s.hostAliases = [{ ip: 'nope', hostnames: ['db'] }];
  }),
  invalidTemplate(CS_B, 'pt-ephemeral', 'ephemeralContainers', (s) => {
    s.ephemeralContainers = [{ name: 'debug', image: 'busybox:1.36' }];
  }),
  invalidTemplate(STS_B, 'pt-scheduling-gate-dup', 'schedulingGates[1]', (s) => {
    s.schedulingGates = [{ name: 'example.com/wait' }, { name: 'example.com/wait' }];
  }),
  invalidTemplate(STS_A, 'pt-os', 'os', (s) => {
    s.os = { name: 'plan9' };
  }),
];

export const INVALID_POD_TEMPLATES: readonly InvalidPodTemplateCase[] = [
  ...resources,
  ...volumes,
  ...env,
  ...probes,
  ...ports,
  ...mounts,
  ...containerFields,
  ...podFields,
];
