// Public surface of the apps.kruise.io API package.
export * from './broadcastjob';
export * from './cloneset';
export * from './cloneset-v1beta1';
export { ConversionError, convertObject, toInternal } from './convert';
export * from './core-objects';
export * from './core-types';
export { applyDefaults, type KindTypes } from './defaults';
export * from './intstr';
export * from './kinds';
export * from './pub';
export * from './sidecarset';
export * from './sidecarset-v1beta1';
export * from './statefulset';
export * from './statefulset-v1alpha1';
export * from './well-known';
export { dateTime, type IntOrString, int32, int64, intOrString, LabelSelector, ObjectMeta } from './zod-k8s';
