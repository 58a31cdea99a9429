// API discovery: which resources (and subresources, "pods/resize") a group-version serves. Each answer is
// asked once and kept; a failure is not kept, so the caller's retry asks again.
import type { KubeClient } from './client';

interface ResourceList {
  resources?: { name: string }[];
}

export class Discovery {
  private readonly served = new Map<string, Promise<Set<string>>>();

  constructor(private readonly client: Pick<KubeClient, 'request'>) {}

  /** Whether `groupVersion` ("v1", "apps/v1") serves `resource` ("pods", "pods/resize"). */
  async serves(groupVersion: string, resource: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.resources(groupVersion, signal)).has(resource);
  }

  private resources(groupVersion: string, signal?: AbortSignal): Promise<Set<string>> {
    let answer = this.served.get(groupVersion);
    if (!answer) {
      const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
      answer = this.client
        .request<ResourceList>({ method: 'GET', path, signal, idempotent: true })
        .then((list) => new Set((list.resources ?? []).map((r) => r.name)));
      this.served.set(groupVersion, answer);
      answer.catch(() => this.served.delete(groupVersion));
    }
    return answer;
  }
}
