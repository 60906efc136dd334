// The traffic routes and the attack routes again, with detection in its own thread (detection.thread: true): the
// same tests, the same answers. Each test file runs in a process of its own, so the setting stays in this one
// (the harnesses read it when they start an appliance).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DetectionThread } from '../../src/detection/detection-thread.js';
import { startRoutesHarness } from './routes-support.js';

process.env.BW_TEST_DETECTION_THREAD = '1';
await import('./routes-attacks.test.js');
await import('./traffic-series-retention.test.js');

test('the harness runs detection in its own thread, and /health says so', async () => {
  const h = await startRoutesHarness();
  try {
    assert.ok(h.appliance.detection instanceof DetectionThread);
    const report = await h.appliance.detection.reportNow();
    assert.equal((report.thread as { running: boolean }).running, true);
    assert.equal(typeof (report.samples as { counted: number }).counted, 'number', "the thread's own report is there");
  } finally {
    await h.close();
  }
});
