export { runDetections, ENGINE as DETECTIONS_ENGINE, type DetectOptions, type DetectResult } from './run.js';
export { loadRules, compile, matchingRules, RULES_DIR, type CompiledRule, type RuleSet } from './load.js';
export { RuleEvaluator, alertIdentities } from './evaluate.js';
export { Rule, RuleFile, Condition, Match } from './schema.js';
export { viewFromEvent, viewFromRow, FactsCache, type EventView } from './view.js';
