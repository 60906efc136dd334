// End to end in the lab: a IP fragments replayed through the router (lab/src/scenarios.ts, "ip-fragments"), sampled by pmacctd's
// sfprobe, detected and mitigated by the running appliance; lab/test/support/attack-story.ts asserts the story.
import { vectorFamilyTest } from './support/attack-story.js';

vectorFamilyTest('ip-fragments', 'IP fragments: detected and classified, Tier 1 drops the later fragments on the victim (ip frag-off & 0x1fff != 0), FlowSpec with the fragment match then RTBH at the router, all withdrawn after it stops, audited and notified');
