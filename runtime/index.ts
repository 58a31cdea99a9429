// The runtime's public API: import from 'runtime' (this file) rather than from individual modules.
//
//   const code = await startManager({
//     kubeconfig, leaderElection: { leaseName: 'outrigger-manager', namespace: 'kruise-system' },
//     controllers: [(mgr) => {
//       const pods = mgr.lister(Pods);
//       const expectations = new Expectations({ metrics: mgr.metrics, controller: 'cloneset' });
//       controller(mgr).for(CloneSets).owns(Pods).withOptions({ workers: 4 }).complete(async (key, ctx) => {
//         ... read the cache, plan, act through mgr.client.resource(Pods) with ctx.signal ...
//         return { requeueAfter: 30_000 };
//       });
//     }],
//   });
//
// Data path: apiserver → Informer (list-watch cache) → handlers enqueue keys → WorkQueue → reconcile(key).
export {
  ControllerBuilder,
  type ControllerHost,
  controller,
  controllerOwnerKey,
  generationChanged,
  type MapFunc,
  type Predicate,
} from './builder';
export { type IndexFunc, type Lister, Store, standardIndexers } from './cache';
export {
  type ClientOptions,
  type Credentials,
  createClient,
  credentialsForServer,
  credentialsFromKubeConfig,
  type DeleteOptions,
  KubeClient,
  type KubeConfig,
  type ListOptions,
  loadKubeConfig,
  type PatchOptions,
  type PatchType,
  ResourceClient,
  retryOnConflict,
  type Scale,
  type WatchEvent,
  type WriteOptions,
} from './client';
export { Backoff, type Clock, realClock, sleep } from './clock';
export { Controller, type ControllerOptions, type Runnable } from './controller';
export {
  ApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  isTooManyRequests,
  isTransient,
  TerminalError,
} from './errors';
export { type CoreEvent, EventRecorder, type EventSink, type EventType, eventSinkFor } from './events';
export { Expectations, type ExpectedAction } from './expectations';
export { type Check, HealthServer } from './health';
export { type EventHandler, Informer, type InformerOptions } from './informer';
export { InformerFactory, type InformerScope } from './informerfactory';
export {
  defaultIdentity,
  LeaderElector,
  type LeaseRecord,
  type LeaseStore,
  leaseStoreFor,
} from './leaderelection';
export { createLogger, type Logger, silentLogger } from './log';
export { type LeaderElectionConfig, LeaderElectionLostError, Manager, type ManagerOptions } from './manager';
export * from './meta';
export { addProcessMetrics, createRuntimeMetrics, type RuntimeMetrics } from './metrics';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  type RateLimiter,
} from './ratelimiter';
export { nextStep, type ReconcileContext, type ReconcileResult, type Reconciler } from './reconcile';
export { type ControllerSetup, type StartManagerOptions, startManager } from './start';
export { WorkQueue, type WorkQueueOptions } from './workqueue';
