export { trace, nodeInfo, TRACE_LIMITS } from './trace.js';
export { traceEvent, resolveHandle } from './event-chain.js';
export { SqlAdjacency, type Adjacency } from './adjacency.js';
export { toMermaid } from './mermaid.js';
export * from './types.js';
export { GraphIndex } from './graph-index.js';
