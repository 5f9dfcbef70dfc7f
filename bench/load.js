// Closed-loop HTTP load with autocannon (installed by bench/run.sh into bench/.node).
// usage: node bench/load.js <baseUrl> <apiKey> <mode: health|customer-segments|members> <connections> <seconds> <minId> <maxId> <segmentKeysCsv>
// Prints one JSON object: requests/s, latency percentiles (ms), errors.
'use strict';
const path = require('path');
const autocannon = require(path.join(__dirname, '.node', 'node_modules', 'autocannon'));

const [baseUrl, key, mode, connections, seconds, minId, maxId, keysCsv] = process.argv.slice(2);
const lo = Number(minId), hi = Number(maxId);
const keys = (keysCsv || '').split(',').filter(Boolean);
let state = 0x2545f491; // deterministic xorshift32, the same request sequence every run
function rnd() { state ^= state << 13; state >>>= 0; state ^= state >>> 17; state ^= state << 5; state >>>= 0; return state / 4294967296; }
function nextPath() {
  switch (mode) {
    case 'health': return '/q/health/live';
    case 'customer-segments': return '/customers/' + (lo + Math.floor(rnd() * (hi - lo + 1))) + '/segments';
    case 'members': return '/segments/' + keys[Math.floor(rnd() * keys.length)] + '/members?limit=50';
    default: throw new Error('unknown mode ' + mode);
  }
}
const headers = mode === 'health' ? {} : { authorization: 'Bearer ' + key };
autocannon({
  url: baseUrl, connections: Number(connections), duration: Number(seconds), headers, timeout: 60,
  requests: [{ method: 'GET', setupRequest: (req) => { req.path = nextPath(); return req; } }],
}, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  const l = r.latency;
  console.log(JSON.stringify({
    mode, connections: Number(connections), seconds: r.duration, requestsPerSec: r.requests.average,
    requestsTotal: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
    latencyMs: { mean: l.average, p50: l.p50, p90: l.p90, p97_5: l.p97_5, p99: l.p99, max: l.max },
  }));
});
