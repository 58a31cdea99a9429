// The SidecarSet hashes OpenKruise stamps on the SidecarSet and copies into every injected pod
// (pkg/control/sidecarcontrol/hash.go): sha256 over the Go JSON of the containers (and of the init
// containers when one of them is a native sidecar), safe-encoded. The upgrade controller compares them
// with the pods', so they must be byte-for-byte OpenKruise's.
import { createHash } from 'node:crypto';
import type { SidecarContainer, SidecarSet, SidecarSetSpec } from '../../apis/sidecarset';
import { SidecarSetHashAnnotation, SidecarSetHashWithoutImageAnnotation } from '../../apis/well-known';
import { safeEncode } from '../workload/history';
import { goJsonSidecarContainers } from './go-json';

type HashedSpec = Pick<SidecarSetSpec, 'containers' | 'initContainers'>;

/** A native sidecar: an init container that keeps running (Kubernetes ≥ 1.29). */
export const isNativeSidecar = (c: { restartPolicy?: string } | null | undefined): boolean =>
  c?.restartPolicy === 'Always';

/** Lists as they come: admission runs before the schema rejects a spec whose lists are not lists. */
const listOf = <T>(list: T[] | undefined): T[] => (Array.isArray(list) ? list : []);

function encodeSpec(spec: HashedSpec): string {
  const containers = goJsonSidecarContainers(spec.containers);
  if (!listOf(spec.initContainers).some(isNativeSidecar)) return `{"containers":${containers}}`;
  return `{"containers":${containers},"initContainers":${goJsonSidecarContainers(spec.initContainers)}}`;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** kruise.io/sidecarset-hash of a (defaulted) SidecarSet spec. */
export function sidecarSetHash(spec: HashedSpec): string {
  return safeEncode(sha256Hex(encodeSpec(spec)));
}

/** kruise.io/sidecarset-hash-without-image: the same with every image blanked. */
export function sidecarSetHashWithoutImage(spec: HashedSpec): string {
  const blank = (list: SidecarContainer[] | undefined) =>
    Array.isArray(list) ? list.map((c) => ({ ...c, image: '' })) : undefined;
  return sidecarSetHash({ containers: blank(spec.containers), initContainers: blank(spec.initContainers) });
}

/** What OpenKruise's SidecarSet mutating webhook does after defaulting: stamp both hashes. */
export function stampSidecarSetHashes(sidecarSet: SidecarSet): void {
  const spec = sidecarSet.spec ?? {};
  sidecarSet.metadata ??= {};
  sidecarSet.metadata.annotations = {
    ...sidecarSet.metadata.annotations,
    [SidecarSetHashAnnotation]: sidecarSetHash(spec),
    [SidecarSetHashWithoutImageAnnotation]: sidecarSetHashWithoutImage(spec),
  };
}

/** The hashes a SidecarSet carries, computed when the webhook has not stamped them (yet). */
export function hashesOf(sidecarSet: SidecarSet): { hash: string; withoutImage: string } {
  const annotations = sidecarSet.metadata?.annotations ?? {};
  const spec = sidecarSet.spec ?? {};
  return {
    hash: annotations[SidecarSetHashAnnotation] || sidecarSetHash(spec),
    withoutImage: annotations[SidecarSetHashWithoutImageAnnotation] || sidecarSetHashWithoutImage(spec),
  };
}
