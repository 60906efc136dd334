// End to end in the lab: a UDP flood replayed through the router (lab/src/scenarios.ts, "udp-flood"), sampled by pmacctd's
// sfprobe, detected and mitigated by the running appliance; lab/test/support/attack-story.ts asserts the story.
import { vectorFamilyTest } from './support/attack-story.js';

vectorFamilyTest('udp-flood', 'UDP flood: detected and classified, Tier 1 drops it on the victim, FlowSpec then RTBH at the router, all withdrawn after it stops, audited and notified');
