// Every sample in config/samples, in every version it is written in, applies to the real apiserver with
// our CRDs, conversion and admission webhooks: a server-side apply dry run (nothing is stored).
import type { Json } from '../../apis/convert-util';
import { resourceOf } from '../../apis/install';
import { isKindName, KINDS } from '../../apis/kinds';
import { sampleFiles } from '../../config/samples/testing/samples';
import type { KubeObject } from '../../runtime/meta';
import { e2eClient, itOnLocalCluster, useTestNamespace } from '../cluster/e2e';
import { useCustomResourceWebhooks } from '../cluster/webhooks';

const docs = sampleFiles().flatMap(({ file, docs }) =>
  docs.map((doc) => [`${file} as ${doc.apiVersion}`, doc] as const),
);

describe('config/samples', () => {
  const ns = useTestNamespace('samples');
  useCustomResourceWebhooks();

  it('has samples to apply', () => {
    expect(docs.length).toBeGreaterThanOrEqual(40);
  });

  itOnLocalCluster.each(docs)('%s applies (server-side dry run)', async (_name, doc: Json) => {
    if (!isKindName(doc.kind)) throw new Error(`sample of unknown kind ${String(doc.kind)}`);
    const kind = doc.kind;
    const object = structuredClone(doc) as KubeObject & Json;
    if (KINDS[kind].scope === 'Namespaced') object.metadata = { ...object.metadata, namespace: ns.name };
    const version = String(doc.apiVersion).split('/')[1]!;
    const applied = await e2eClient()
      .resource<KubeObject & Json>({ ...resourceOf(kind), version })
      .apply(object, { fieldManager: 'outrigger-samples', dryRun: true });
    expect(applied.apiVersion).toBe(doc.apiVersion);
    expect(applied.metadata?.name).toBe((doc.metadata as Json).name);
  });
});
