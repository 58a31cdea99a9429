// SidecarSet injection on the real control plane: what the pod webhook writes into created pods, for
// bare pods, a CloneSet's and a Deployment's; SidecarSet admission; the status the controller keeps.
import { resourceOf } from '../../apis/install';
import {
  SidecarSetCustomVersionLabel,
  SidecarSetHashAnnotation,
  SidecarSetHashWithoutImageAnnotation,
} from '../../apis/well-known';
import { KWOK_TOLERATION } from '../../cluster/nodes';
import { waitFor } from '../../cluster/wait';
import { sidecarSetHash } from '../../controllers/sidecarset/hash';
import { ConfigMaps, Deployments, type KubeObject, Namespaces } from '../../runtime/meta';
import {
  CONFIGURATION_CONFIGMAP,
  PATCH_POD_METADATA_WHITELIST_KEY,
} from '../../webhooks/validation/sidecarset-references';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { OPERATOR_NS } from '../cluster/webhooks';
import {
  containerNames,
  createObservedSidecarSet,
  createSidecarSet,
  initContainerNames,
  injectedList,
  observedSidecarSet,
  type PodObject,
  pods,
  type SidecarSetObject,
  sidecarSets,
  useOperator,
} from './sidecarset-harness';

function podOf(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  spec: Partial<PodObject['spec']> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'example.com/app:v1',
          env: [{ name: 'TZ', value: 'Europe/Paris' }],
          volumeMounts: [{ name: 'logs', mountPath: '/var/log/app' }],
        },
      ],
      volumes: [{ name: 'logs', emptyDir: {} }],
      tolerations: [KWOK_TOLERATION],
      terminationGracePeriodSeconds: 0,
      ...spec,
    },
  } as PodObject;
}

/** An Istio-style mesh: iptables init container and Envoy as a native sidecar, in namespaces labelled mesh=on. */
const mesh = (name: string): SidecarSetObject => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'SidecarSet',
  metadata: { name },
  spec: {
    selector: { matchLabels: { 'e2e-mesh': 'true' } },
    namespaceSelector: { matchLabels: { [`${name}-mesh`]: 'on' } },
    initContainers: [
      {
        name: 'mesh-init',
        image: 'example.com/proxy:1.22',
        args: ['istio-iptables', '-p', '15001'],
        securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
      },
      {
        name: 'mesh-proxy',
        image: 'example.com/proxy:1.22',
        restartPolicy: 'Always',
        volumeMounts: [{ name: 'mesh-certs', mountPath: '/etc/certs' }],
      },
    ],
    volumes: [{ name: 'mesh-certs', emptyDir: { medium: 'Memory' } }],
    updateStrategy: { type: 'NotUpdate' },
    imagePullSecrets: [{ name: 'mesh-registry' }],
  },
});

/** A log agent appended after the app, sharing its volumes and its TZ. */
const logAgent = (name: string, namespace: string): SidecarSetObject => ({
  apiVersion: 'apps.kruise.io/v1alpha1',
  kind: 'SidecarSet',
  metadata: { name },
  spec: {
    namespace,
    selector: { matchLabels: { 'e2e-logs': 'true' } },
    containers: [
      {
        name: 'log-agent',
        image: 'example.com/fluent-bit:3.0',
        podInjectPolicy: 'AfterAppContainer',
        shareVolumePolicy: { type: 'enabled' },
        transferEnv: [{ sourceContainerName: 'app', envName: 'TZ' }],
      },
    ],
  },
});

describe('SidecarSet injection', () => {
  const ns = useTestNamespace('sidecar');
  const operator = useOperator({ cloneSetNamespace: () => ns.name });
  let meshName = '';
  let logName = '';

  beforeAll(async () => {
    meshName = `${ns.name}-mesh`;
    logName = `${ns.name}-logs`;
    await e2eClient()
      .resource(Namespaces)
      .patch({ name: ns.name }, { metadata: { labels: { [`${meshName}-mesh`]: 'on' } } }, { type: 'merge' });
    await createObservedSidecarSet(operator, mesh(meshName));
    await createObservedSidecarSet(operator, logAgent(logName, ns.name));
  });

  itOnLocalCluster(
    'injects two SidecarSets into a pod: order, env, volumes, native sidecars, annotations',
    async () => {
      const created = await pods().create(podOf(ns.name, 'both', { 'e2e-mesh': 'true', 'e2e-logs': 'true' }));
      expect(initContainerNames(created)).toEqual(['mesh-init', 'mesh-proxy']);
      expect(created.spec.initContainers?.[1]?.restartPolicy).toBe('Always');
      expect(containerNames(created)).toEqual(['app', 'log-agent']);
      const agent = created.spec.containers[1]!;
      expect(agent.env).toEqual([
        { name: 'IS_INJECTED', value: 'true' },
        { name: 'TZ', value: 'Europe/Paris' },
      ]);
      expect(agent.volumeMounts).toEqual([
        expect.objectContaining({ name: 'logs', mountPath: '/var/log/app' }),
      ]);
      expect(created.spec.volumes?.map((v) => v.name)).toEqual(['logs', 'mesh-certs']);
      expect(created.spec.imagePullSecrets).toEqual([{ name: 'mesh-registry' }]);
      expect(injectedList(created)).toBe([logName, meshName].sort().join(','));

      const stored = await sidecarSets().get({ name: meshName });
      const hash = stored.metadata?.annotations?.[SidecarSetHashAnnotation];
      expect(hash).toBe(sidecarSetHash(stored.spec!));
      const podHashes = JSON.parse(created.metadata?.annotations?.[SidecarSetHashAnnotation] ?? '{}');
      expect(podHashes[meshName]).toMatchObject({
        hash,
        sidecarSetName: meshName,
        sidecarList: ['mesh-proxy'],
      });
      const withoutImage = JSON.parse(
        created.metadata?.annotations?.[SidecarSetHashWithoutImageAnnotation] ?? '{}',
      );
      expect(withoutImage[meshName].hash).toBe(
        stored.metadata?.annotations?.[SidecarSetHashWithoutImageAnnotation],
      );

      // kwok runs it: the native sidecar does not keep the pod from becoming Ready.
      await waitFor('the injected pod to be Ready', async () => {
        const pod = await pods().get({ namespace: ns.name, name: 'both' });
        return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      });
    },
  );

  itOnLocalCluster('honours namespaceSelector: a namespace without the label gets no mesh', async () => {
    const other = `${ns.name}-plain`;
    const namespaces = e2eClient().resource(Namespaces);
    await namespaces.create({ metadata: { name: other } });
    try {
      const created = await pods().create(podOf(other, 'plain', { 'e2e-mesh': 'true' }));
      expect(initContainerNames(created)).toEqual([]);
      expect(injectedList(created)).toBeUndefined();
    } finally {
      await pods()
        .delete({ namespace: other, name: 'plain' }, { gracePeriodSeconds: 0 })
        .catch(() => undefined);
      await namespaces.delete({ name: other });
    }
  });

  itOnLocalCluster(
    'denies a pod whose container is named like a sidecar, naming the SidecarSet',
    async () => {
      const clash = podOf(ns.name, 'clash', { 'e2e-logs': 'true' });
      clash.spec.containers.push({ name: 'log-agent', image: 'example.com/mine:1' });
      await expect(pods().create(clash)).rejects.toThrow(
        `pod ${ns.name}/clash cannot be injected: SidecarSet ${logName}: sidecar container "log-agent" clashes with the pod's own container of that name`,
      );
    },
  );

  itOnLocalCluster("injects a CloneSet's and a Deployment's pods", async () => {
    const template = {
      metadata: { labels: { app: 'workload', 'e2e-mesh': 'true', 'e2e-logs': 'true' } },
      spec: {
        containers: [{ name: 'app', image: 'example.com/app:v1', env: [{ name: 'TZ', value: 'UTC' }] }],
        tolerations: [KWOK_TOLERATION],
        terminationGracePeriodSeconds: 0,
      },
    };
    const spec = { replicas: 2, selector: { matchLabels: { app: 'workload' } }, template };
    await e2eClient()
      .resource(resourceOf('CloneSet'))
      .create({
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'CloneSet',
        metadata: { name: 'clone', namespace: ns.name },
        spec,
      } as KubeObject);
    await e2eClient()
      .resource(Deployments)
      .create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'deploy', namespace: ns.name },
        spec,
      } as KubeObject);
    const owned = await waitFor(
      '2 CloneSet and 2 Deployment pods',
      async () => {
        const items = (await pods().list({ namespace: ns.name, labelSelector: 'app=workload' })).items;
        const owners = items.map((p) => p.metadata?.ownerReferences?.[0]?.kind);
        return owners.filter((k) => k === 'CloneSet').length === 2 &&
          owners.filter((k) => k === 'ReplicaSet').length === 2
          ? items
          : undefined;
      },
      120_000,
    );
    for (const pod of owned) {
      expect(initContainerNames(pod)).toEqual(['mesh-init', 'mesh-proxy']);
      expect(containerNames(pod)).toEqual(['app', 'log-agent']);
      expect(injectedList(pod)).toBe([logName, meshName].sort().join(','));
    }
  });

  itOnLocalCluster('keeps the status: matchedPods and observedGeneration', async () => {
    const status = await observedSidecarSet(logName, (ss) => ss.status?.matchedPods === 5);
    expect(status.status).toMatchObject({ matchedPods: 5, updatedPods: 5, missingSidecarPods: 0 });
    expect(status.status?.latestRevision).toMatch(new RegExp(`^${logName}-`));
  });

  itOnLocalCluster('admits patchPodMetadata only with keys the configuration ConfigMap allows', async () => {
    const name = `${ns.name}-patch`;
    const patched = (): SidecarSetObject => ({
      ...logAgent(name, ns.name),
      spec: {
        ...logAgent(name, ns.name).spec,
        selector: { matchLabels: { 'e2e-patch': 'true' } },
        containers: [{ name: 'patch-agent', image: 'example.com/agent:1' }],
        patchPodMetadata: [{ annotations: { 'prometheus.io/scrape': 'true' }, patchPolicy: 'Retain' }],
      },
    });
    await expect(createSidecarSet(operator, patched())).rejects.toThrow(
      /spec\.patchPodMetadata: SidecarSet patch metadata whitelist not found/,
    );
    const configMaps = e2eClient().resource(ConfigMaps);
    await configMaps.create({
      metadata: { name: CONFIGURATION_CONFIGMAP, namespace: OPERATOR_NS },
      data: {
        [PATCH_POD_METADATA_WHITELIST_KEY]: JSON.stringify({
          rules: [{ allowedAnnotationKeyExprs: ['^prometheus\\.io/'] }],
        }),
      },
    } as KubeObject);
    try {
      await createObservedSidecarSet(operator, patched());
      const pod = await pods().create(podOf(ns.name, 'patched', { 'e2e-patch': 'true' }));
      expect(pod.metadata?.annotations?.['prometheus.io/scrape']).toBe('true');
    } finally {
      await configMaps.delete({ namespace: OPERATOR_NS, name: CONFIGURATION_CONFIGMAP });
    }
  });

  itOnLocalCluster(
    'injects the revision injectionStrategy.revision names, and admits only existing ones',
    async () => {
      const name = `${ns.name}-pinned`;
      const v1: SidecarSetObject = {
        apiVersion: 'apps.kruise.io/v1alpha1',
        kind: 'SidecarSet',
        metadata: { name, labels: { [SidecarSetCustomVersionLabel]: 'v1' } },
        spec: {
          namespace: ns.name,
          selector: { matchLabels: { 'e2e-pinned': 'true' } },
          containers: [{ name: 'pinned', image: 'example.com/pinned:1' }],
        },
      };
      await createSidecarSet(operator, v1);
      const recorded = await observedSidecarSet(name, (ss) => !!ss.status?.latestRevision);
      const v1Revision = recorded.status!.latestRevision!;
      await expect(
        sidecarSets().patch(
          { name },
          { spec: { injectionStrategy: { revision: { revisionName: `${name}-nope` } } } },
          { type: 'merge' },
        ),
      ).rejects.toThrow(/spec\.injectionStrategy\.revision: cannot find it/);
      await sidecarSets().patch(
        { name },
        {
          metadata: { labels: { [SidecarSetCustomVersionLabel]: 'v2' } },
          spec: {
            containers: [{ name: 'pinned', image: 'example.com/pinned:2' }],
            injectionStrategy: { revision: { customVersion: 'v1' } },
          },
        },
        { type: 'merge' },
      );
      const pod = await pods().create(podOf(ns.name, 'pinned', { 'e2e-pinned': 'true' }));
      expect(pod.spec.containers.find((c) => c.name === 'pinned')?.image).toBe('example.com/pinned:1');
      const hashes = JSON.parse(pod.metadata?.annotations?.[SidecarSetHashAnnotation] ?? '{}');
      expect(hashes[name].controllerRevision).toBe(v1Revision);
    },
  );
});
