// Embedded core/v1 types (pod template, containers, PVCs, volumes). Only the fields our controllers and
// validators read are typed; everything else passes through. In CRDs these become
// `x-kubernetes-preserve-unknown-fields`, as OpenKruise stores them schemaless.
import { z } from 'zod';
import { coreOnly, embedded, int32, int64, LabelSelector, stringMap } from './zod-k8s';

const loose = () => z.looseObject({});

export const ObjectFieldSelector = z.object({
  apiVersion: z.string().optional(),
  fieldPath: z.string(),
});

export const EnvVar = z.looseObject({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z
    .looseObject({
      fieldRef: z.looseObject({ apiVersion: z.string().optional(), fieldPath: z.string() }).optional(),
    })
    .optional(),
});
export type EnvVar = z.infer<typeof EnvVar>;

export const ContainerPort = z.looseObject({
  name: z.string().optional(),
  containerPort: int32(),
  hostPort: int32().optional(),
  protocol: z.string().optional(),
});

export const ResourceRequirements = z.looseObject({
  limits: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  requests: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});

export const VolumeMount = z.looseObject({
  name: z.string(),
  mountPath: z.string(),
  subPath: z.string().optional(),
  subPathExpr: z.string().optional(),
  readOnly: z.boolean().optional(),
});

/** The core/v1 Container fields, each marked CRD-invisible (see SidecarContainer). */
export const containerShape = {
  name: coreOnly(z.string()),
  image: coreOnly(z.string().optional()),
  imagePullPolicy: coreOnly(z.string().optional()),
  command: coreOnly(z.array(z.string()).optional()),
  args: coreOnly(z.array(z.string()).optional()),
  workingDir: coreOnly(z.string().optional()),
  env: coreOnly(z.array(EnvVar).optional()),
  envFrom: coreOnly(z.array(loose()).optional()),
  ports: coreOnly(z.array(ContainerPort).optional()),
  resources: coreOnly(ResourceRequirements.optional()),
  resizePolicy: coreOnly(z.array(loose()).optional()),
  restartPolicy: coreOnly(z.string().optional()),
  volumeMounts: coreOnly(z.array(VolumeMount).optional()),
  volumeDevices: coreOnly(z.array(z.looseObject({ name: z.string(), devicePath: z.string() })).optional()),
  livenessProbe: coreOnly(loose().optional()),
  readinessProbe: coreOnly(loose().optional()),
  startupProbe: coreOnly(loose().optional()),
  lifecycle: coreOnly(loose().optional()),
  terminationMessagePath: coreOnly(z.string().optional()),
  terminationMessagePolicy: coreOnly(z.string().optional()),
  securityContext: coreOnly(loose().optional()),
  stdin: coreOnly(z.boolean().optional()),
  tty: coreOnly(z.boolean().optional()),
};

export const Container = embedded(containerShape);
export type Container = z.infer<typeof Container>;

export const Volume = embedded({ name: z.string() });
export type Volume = z.infer<typeof Volume>;

export const PodSpec = z.looseObject({
  containers: z.array(Container),
  initContainers: z.array(Container).optional(),
  ephemeralContainers: z.array(loose()).optional(),
  volumes: z.array(Volume).optional(),
  restartPolicy: z.string().optional(),
  activeDeadlineSeconds: int64().optional(),
  terminationGracePeriodSeconds: int64().optional(),
  dnsPolicy: z.string().optional(),
  schedulerName: z.string().optional(),
  securityContext: loose().optional(),
  nodeName: z.string().optional(),
  nodeSelector: stringMap().optional(),
  affinity: loose().optional(),
  tolerations: z.array(loose()).optional(),
  hostNetwork: z.boolean().optional(),
  hostname: z.string().optional(),
  subdomain: z.string().optional(),
  serviceAccountName: z.string().optional(),
  readinessGates: z.array(z.looseObject({ conditionType: z.string() })).optional(),
  topologySpreadConstraints: z.array(loose()).optional(),
  imagePullSecrets: z.array(z.looseObject({ name: z.string().optional() })).optional(),
  priorityClassName: z.string().optional(),
  overhead: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type PodSpec = z.infer<typeof PodSpec>;

export const TemplateMetadata = z.looseObject({
  name: z.string().optional(),
  labels: stringMap().optional(),
  annotations: stringMap().optional(),
  finalizers: z.array(z.string()).optional(),
});

/** core/v1 PodTemplateSpec. */
export const PodTemplateSpec = embedded({
  metadata: TemplateMetadata.optional(),
  spec: PodSpec,
});
export type PodTemplateSpec = z.infer<typeof PodTemplateSpec>;

/** core/v1 PersistentVolumeClaim as used in volumeClaimTemplates. */
export const PersistentVolumeClaim = embedded({
  metadata: TemplateMetadata.optional(),
  spec: z
    .looseObject({
      accessModes: z.array(z.string()).optional(),
      resources: ResourceRequirements.optional(),
      storageClassName: z.string().nullable().optional(),
      volumeMode: z.string().optional(),
      volumeName: z.string().optional(),
      selector: LabelSelector.optional(),
    })
    .optional(),
});
export type PersistentVolumeClaim = z.infer<typeof PersistentVolumeClaim>;

/** corev1.LocalObjectReference. */
export const LocalObjectReference = z.object({ name: z.string().default('') }).meta({
  'x-kubernetes-map-type': 'atomic',
});
