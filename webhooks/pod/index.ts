// The pod mutating webhook: SidecarSet injection at /mutate-pod.
import type { AdmissionRegistry } from '../admission';
import { POD_MUTATE_PATH } from '../configurations';
import { type PodInjectionSources, type PodWebhookOptions, podInjectionHandler } from './handler';

export type { PodInjectionSources, PodWebhookOptions } from './handler';
export { podInjectionHandler } from './handler';
export { informerPodInjectionSources } from './sources';

export function registerPodWebhook(
  registry: AdmissionRegistry,
  sources: PodInjectionSources,
  options: PodWebhookOptions,
): void {
  registry.mutating(POD_MUTATE_PATH, podInjectionHandler(sources, options));
}
