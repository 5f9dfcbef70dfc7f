// Segment's own Node SDK (@segment/analytics-node) sending to the tracking API as to any Segment-compatible
// destination: `host` is the service, `path` the batch endpoint, the write key is the tenant API key (the SDK
// sends it as the Basic user name with an empty password). Sends identify, track and an Order Completed, flushes,
// and prints what the SDK saw of each HTTP exchange as the last line: {"requests": [...], "failures": [...]}.
// Env: SEGMENTS_URL, API_KEY, USER_ID.
import { Analytics } from '@segment/analytics-node';

const analytics = new Analytics({
  writeKey: process.env.API_KEY,
  host: process.env.SEGMENTS_URL,
  path: '/tracking/v1/batch',
  flushAt: 10,
  flushInterval: 60000,
  maxRetries: 0,
});

const requests = [];
const failures = [];
analytics.on('http_request', (r) => requests.push({ url: r.url, method: r.method, headers: r.headers }));
analytics.on('http_response', (r) => requests.push({ status: r.status }));
analytics.on('error', (e) => failures.push(String(e?.reason ?? e?.message ?? e)));

const userId = process.env.USER_ID;
analytics.identify({
  userId,
  traits: { name: 'Sam Segment', email: 'sam@example.com', address: { city: 'Hamburg', country: 'Germany' } },
});
analytics.track({ userId, event: 'Newsletter Subscribed', properties: { list: 'weekly' } });
analytics.track({
  userId,
  event: 'Order Completed',
  properties: {
    order_id: 'sdk-order-1',
    revenue: 42.5,
    currency: 'EUR',
    products: [{ product_id: 'p-1', name: 'Espresso Machine', price: 42.5, quantity: 1 }],
  },
});
await analytics.closeAndFlush({ timeout: 20000 });
console.log(JSON.stringify({ requests, failures }));
process.exit(failures.length === 0 ? 0 : 1);
