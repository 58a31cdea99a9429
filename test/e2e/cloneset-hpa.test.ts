// A HorizontalPodAutoscaler can target a CloneSet: kube-controller-manager's HPA controller reads and
// writes replicas through the CloneSet's scale subresource, and the CloneSet controller follows.
import { waitFor } from '../../cluster/wait';
import type { KubeObject, ResourceType } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useCustomResourceWebhooks } from '../cluster/webhooks';
import {
  cloneSetOf,
  cloneSets,
  type RunningController,
  startController,
  waitRolledOut,
} from './cloneset-harness';

const HorizontalPodAutoscalers: ResourceType = {
  group: 'autoscaling',
  version: 'v2',
  plural: 'horizontalpodautoscalers',
  kind: 'HorizontalPodAutoscaler',
  namespaced: true,
};

interface Hpa extends KubeObject {
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    conditions?: { type: string; status: string; reason?: string }[];
  };
}

describe('CloneSet and the HorizontalPodAutoscaler', () => {
  const ns = useTestNamespace('cloneset-hpa');
  let running: RunningController | undefined;

  // The HPA reads the scale subresource in the group's preferred version (v1beta1), which the apiserver
  // converts from the stored v1alpha1 through our conversion webhook.
  useCustomResourceWebhooks();

  beforeAll(async () => {
    running = await startController(ns.name);
  });
  afterAll(async () => {
    await running?.stop();
  });

  itOnLocalCluster('scales the CloneSet up to the HPA minimum through the scale subresource', async () => {
    await cloneSets().create(cloneSetOf('web', ns.name, { replicas: 2 }));
    await waitRolledOut(ns.name, 'web');
    // No metrics server runs here, so the HPA can only enforce its bounds: 2 replicas < minReplicas 3.
    await e2eClient()
      .resource<Hpa>(HorizontalPodAutoscalers)
      .create({
        metadata: { name: 'web', namespace: ns.name },
        spec: {
          scaleTargetRef: { apiVersion: 'apps.kruise.io/v1alpha1', kind: 'CloneSet', name: 'web' },
          minReplicas: 3,
          maxReplicas: 5,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
            },
          ],
        },
      } as Hpa);

    const hpa = await waitFor(
      'the HPA to read the CloneSet scale and raise it to 3',
      async () => {
        const h = await e2eClient()
          .resource<Hpa>(HorizontalPodAutoscalers)
          .get({ namespace: ns.name, name: 'web' });
        return h.status?.desiredReplicas === 3 ? h : undefined;
      },
      120_000,
    );
    expect(hpa.status?.conditions?.find((c) => c.type === 'AbleToScale')?.status).toBe('True');
    expect((await cloneSets().get({ namespace: ns.name, name: 'web' })).spec?.replicas).toBe(3);
    const pods = await waitRolledOut(ns.name, 'web');
    expect(pods).toHaveLength(3);
  });
});
