// Kubernetes core/v1 defaults that OpenKruise applies to embedded pod templates, sidecar containers and
// PVC templates (apis/apps/defaults/pod.go → k8s SetDefaults_PodSpec/Container/Probe/Volume...).
// Everything here works on untyped JSON so garbage input is left for validation to reject.

export type Json = Record<string, unknown>;

export function asObject(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Set obj[key] = value when it is unset (undefined, null or ""), the way Go zero values are defaulted. */
export function setDefault(obj: Json, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === '') obj[key] = value;
}

/** The object at obj[key], created empty when unset; undefined when it holds a non-object. */
export function ensureObject(obj: Json, key: string): Json | undefined {
  if (obj[key] === undefined || obj[key] === null) obj[key] = {};
  return asObject(obj[key]);
}

/** k8s SetDefaults_Container: :latest or untagged images are pulled Always, others IfNotPresent. */
export function defaultPullPolicy(image: unknown): string {
  if (typeof image !== 'string' || image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastPart.lastIndexOf(':');
  if (colon < 0 || lastPart.slice(colon + 1) === 'latest') return 'Always';
  return 'IfNotPresent';
}

function defaultFieldRef(holder: unknown): void {
  const ref = asObject(asObject(holder)?.fieldRef);
  if (ref) setDefault(ref, 'apiVersion', 'v1');
}

function defaultHttpGet(handler: unknown): void {
  const get = asObject(asObject(handler)?.httpGet);
  if (!get) return;
  setDefault(get, 'path', '/');
  setDefault(get, 'scheme', 'HTTP');
}

function defaultProbe(probe: unknown): void {
  const p = asObject(probe);
  if (!p) return;
  setDefault(p, 'timeoutSeconds', 1);
  setDefault(p, 'periodSeconds', 10);
  setDefault(p, 'successThreshold', 1);
  setDefault(p, 'failureThreshold', 3);
  defaultHttpGet(p);
}

/** SetDefaults_Container plus the per-field defaults Kruise calls for each container. */
export function defaultContainer(container: unknown, pullPolicy?: string): void {
  const c = asObject(container);
  if (!c) return;
  setDefault(c, 'imagePullPolicy', pullPolicy ?? defaultPullPolicy(c.image));
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  for (const port of asArray(c.ports)) {
    const p = asObject(port);
    if (p) setDefault(p, 'protocol', 'TCP');
  }
  for (const env of asArray(c.env)) defaultFieldRef(asObject(env)?.valueFrom);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = asObject(c.lifecycle);
  if (lifecycle) {
    defaultHttpGet(lifecycle.postStart);
    defaultHttpGet(lifecycle.preStop);
  }
}

const MODE_420_SOURCES = ['secret', 'configMap', 'downwardAPI', 'projected'];

/** Every VolumeSource member of core/v1 Volume, in the order the apiserver's validation visits them. */
export const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flexVolume',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flocker',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'configMap',
  'csi',
  'ephemeral',
  'image',
];

/** SetDefaultPodVolumes: emptyDir when no source, defaultMode 0644 for projected-style sources. */
export function defaultVolumes(volumes: unknown): void {
  for (const volume of asArray(volumes)) {
    const v = asObject(volume);
    if (!v) continue;
    // As the apiserver: unknown members are not sources (a Pod would drop them when decoding).
    if (!VOLUME_SOURCES.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
    for (const key of MODE_420_SOURCES) {
      const src = asObject(v[key]);
      if (src) setDefault(src, 'defaultMode', 420);
    }
    for (const item of asArray(asObject(v.downwardAPI)?.items)) defaultFieldRef(item);
    for (const source of asArray(asObject(v.projected)?.sources)) {
      for (const item of asArray(asObject(asObject(source)?.downwardAPI)?.items)) defaultFieldRef(item);
      const token = asObject(asObject(source)?.serviceAccountToken);
      if (token) setDefault(token, 'expirationSeconds', 3600);
    }
    const hostPath = asObject(v.hostPath);
    if (hostPath && hostPath.type === undefined) hostPath.type = '';
  }
}

/** SetDefaultPodSpec (Kruise): k8s pod-spec defaults, and imagePullPolicy Always for app containers. */
export function defaultPodTemplate(template: unknown): void {
  const spec = asObject(asObject(template)?.spec);
  if (!spec) return;
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'schedulerName', 'default-scheduler');
  if (spec.securityContext === undefined || spec.securityContext === null) spec.securityContext = {};
  defaultVolumes(spec.volumes);
  for (const c of asArray(spec.initContainers)) defaultContainer(c);
  // Kruise: "For in-place update, we set default imagePullPolicy to Always".
  for (const c of asArray(spec.containers)) defaultContainer(c, 'Always');
}

/** SetDefaults_PersistentVolumeClaim for volumeClaimTemplates. */
export function defaultPvcTemplates(templates: unknown): void {
  for (const t of asArray(templates)) {
    const spec = asObject(asObject(t)?.spec);
    if (spec) setDefault(spec, 'volumeMode', 'Filesystem');
  }
}
