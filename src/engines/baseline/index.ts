export { BaselineDetector, DEVIATION_TITLES, type DeviationKind, type SubjectFacts } from './detector.js';
export { SeenState, meanHourly, type RateState } from './state.js';
export { agentFamily, dataResources, valuesOf, isReadOnly, shortService, type Dimension } from './profile.js';
