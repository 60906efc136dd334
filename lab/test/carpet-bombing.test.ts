// End to end in the lab: a carpet bombing across a /24 replayed through the router (lab/src/scenarios.ts, "carpet-bombing"), sampled by pmacctd's
// sfprobe, detected and mitigated by the running appliance; lab/test/support/attack-story.ts asserts the story.
import { vectorFamilyTest } from './support/attack-story.js';

vectorFamilyTest('carpet-bombing', 'carpet bombing across a /24: detected as carpet_bombing of the /24, Tier 1 drops it on the victim, FlowSpec for the /24 at the router, RTBH of its busiest hosts (never the /24), all withdrawn after it stops, audited and notified');
