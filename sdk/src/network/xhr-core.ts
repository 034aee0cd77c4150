// What the XHR instrumentation (still on the @opentelemetry/core 2.x line) imports from
// core, served from the 3.x copy everything else uses: the bundled builds resolve its
// `@opentelemetry/core` import here (see build.ts) instead of shipping a second copy.
// 3.x dropped `otperformance`, which was the global `performance` in browsers.

export { getStringListFromEnv, hrTime, isUrlIgnored } from '@opentelemetry/core';
export const otperformance: Performance = performance;
