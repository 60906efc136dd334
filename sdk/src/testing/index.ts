// @breakwater/sdk/testing: what a plugin author needs to unit-test a plugin without an appliance.
export { loadTier, loadNotifier, type LoadOptions, type LoadedTier, type LoadedNotifier } from './load-for-test.js';
export {
  createFakeTierContext,
  createFakeNotifierContext,
  type FakeTierContext,
  type FakeNotifierContext,
  type FakeContextOptions,
  type RecordedLog,
} from './fake-context.js';
export { createRecordingFacades, type RecordingFacades, type FacadeCall, type ActiveMitigation } from './recording-facades.js';
export { sampleAttack, sampleStage, sampleEvent } from './sample-attack.js';
export { sampleNotification } from './sample-notification.js';
export { startFakeProvider, type FakeProvider, type FakeAnswer, type RecordedRequest } from './fake-provider.js';
