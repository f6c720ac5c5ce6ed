export { scoreAll, dataTime, RISK_ENGINE, type ScoreOptions, type ScoreSummary } from './score-all.js';
export { riskOf, riskFreshness, type RiskQuery } from './query.js';
export { riskPosture, type RiskPosture } from './posture.js';
export { combine, scoreSql, bandOf, severityOfWeight } from './score.js';
export { riskSettings, readDefaults, DEFAULTS_FILE, THRESHOLD_NAMES, type RiskSettings, type Thresholds } from './settings.js';
export { SIGNALS, OWN_TITLES } from './signals.js';
