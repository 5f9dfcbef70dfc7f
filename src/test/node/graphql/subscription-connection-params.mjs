// A browser-style GraphQL subscription with graphql-ws (the client Apollo, urql and Relay use): the key travels in
// connectionParams (connection_init), never as an upgrade header. Subscribes to membershipChanges of SEGMENT, then
// creates customer EXTERNAL_ID through REST so that it enters, and prints the first event as JSON.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const { SEGMENTS_URL, API_KEY, SEGMENT, EXTERNAL_ID } = process.env;
const client = createClient({
  url: SEGMENTS_URL.replace(/^http/, 'ws') + '/graphql',
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${API_KEY}` },
  retryAttempts: 0,
});

const timeout = setTimeout(() => { console.error('no event within 20 s'); process.exit(2); }, 20_000);
const events = client.iterate({
  query: `subscription($s: String!) { membershipChanges(segment: $s) { segment kind customerExternalId } }`,
  variables: { s: SEGMENT },
});
client.on('connected', () => {
  // the subscription starts at the current end of the feed: write once it has surely started
  setTimeout(async () => {
    const res = await fetch(`${SEGMENTS_URL}/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${API_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ externalId: EXTERNAL_ID, priceTier: 'vip' }),
    });
    if (res.status !== 201) { console.error('create customer', res.status, await res.text()); process.exit(3); }
  }, 1500);
});
for await (const result of events) {
  if (result.errors) { console.error(JSON.stringify(result.errors)); process.exit(1); }
  console.log(JSON.stringify(result.data.membershipChanges));
  break;
}
clearTimeout(timeout);
await client.dispose();
