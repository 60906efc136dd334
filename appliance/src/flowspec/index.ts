// The FlowSpec rule model and everything that works on a rule without talking to a daemon: validation,
// JSON parsing, router profiles, and the ExaBGP / BIRD / GoBGP renderers. BGP speakers build on this.
export * from './rule.js';
export { FLOW_COMPONENTS, componentInfo, type ComponentInfo, type MatchComponentName } from './components.js';
export * from './numeric-match.js';
export { bitmask, describeBitmaskMatch } from './bitmask-match.js';
export { parsePrefix, prefixInside, canonicalPrefix, type ParsedPrefix } from './prefix.js';
export { actionExtendedCommunity, extendedCommunityHex, float32Bits, type ExtendedCommunityWords } from './action-communities.js';
export { validateFlowSpecRule, assertValidFlowSpecRule, problemError, type FlowSpecProblem, type FlowSpecValidation, type FlowSpecValidationOptions } from './validate.js';
export { parseFlowSpecRule } from './parse-rule.js';
export { FlowSpecRuleSchema } from './rule-schema.js';
export { decodeFlowSpecNlri, componentsToMatch, type WireComponent } from './decode-components.js';
export { renderExabgpAnnounce, renderExabgpWithdraw, renderExabgpMatch, renderExabgpThen } from './render-exabgp.js';
export { renderBirdRoute, renderBirdFlowNet, renderBirdRouteAttributes } from './render-bird.js';
export { renderGobgpAdd, renderGobgpDel, renderGobgpMatch, renderGobgpThen, ribArgs as gobgpRibArgs } from './render-gobgp.js';
export * from './router-profiles.js';
export { applyRouterProfile, profileRefusalError, type ProfileFit, type TrimmedPart, type ApplyProfileOptions } from './apply-router-profile.js';
