// What a graphql-ws client (retrying as it does by default) sees when its key is revoked while it streams:
// its subscription ends with a 403 error, and subscribing again is refused at connection_init with 4403, which
// graphql-ws treats as final (no retry). Revokes the key itself through the admin API (ADMIN_KEY, TENANT_ID, KEY_ID) once connected.
// Prints {"errors": [...statuses], "closeCodes": [...]} and exits 0 when the client has given up.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { SEGMENTS_URL, API_KEY, ADMIN_KEY, TENANT_ID, KEY_ID, SEGMENT } = process.env;
const closeCodes = [];
const errors = [];
let revoked = false;
const client = createClient({
  url: SEGMENTS_URL.replace(/^http/, 'ws') + '/graphql',
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${API_KEY}` },
  retryAttempts: 3,
  retryWait: () => new Promise((r) => setTimeout(r, 200)),
  shouldRetry: () => true,
  on: {
    closed: (event) => closeCodes.push(event.code),
    connected: () => {
      if (revoked) return;
      revoked = true;
      setTimeout(async () => {
        const res = await fetch(`${SEGMENTS_URL}/admin/tenants/${TENANT_ID}/keys/${KEY_ID}`, {
          method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN_KEY}` },
        });
        if (res.status !== 200) { console.error('revoke', res.status); process.exit(3); }
      }, 500);
    },
  },
});
const timeout = setTimeout(() => { console.error('still running after 30 s', JSON.stringify({ errors, closeCodes })); process.exit(2); }, 30_000);
const subscribeOnce = () => new Promise((resolve) => {
  client.subscribe(
    { query: `subscription($s: String!) { membershipChanges(segment: $s) { kind } }`, variables: { s: SEGMENT } },
    {
      next: (r) => { for (const e of r.errors ?? []) errors.push(e.extensions?.status); },
      error: (e) => {
        if (Array.isArray(e)) for (const x of e) errors.push(x.extensions?.status);
        resolve();
      },
      complete: () => resolve(),
    },
  );
});
// the running subscription ends with the 403 error; the application subscribing again is refused for good
await subscribeOnce();
await subscribeOnce();
clearTimeout(timeout);
await client.dispose();
console.log(JSON.stringify({ errors, closeCodes }));
