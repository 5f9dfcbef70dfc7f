// Webhook deliveries checked by the official Standard Webhooks verifier (the `standardwebhooks` package that every
// language's library mirrors). DELIVERIES is a JSON file of [{id, timestamp, signature, body}] as the receiver got
// them; SECRET the subscription's whsec_ secret. Each delivery must verify, and the same delivery with its body
// changed by one character, or under another secret, must not. Prints {"verified": n, "refusedTampered": n}.
import { readFileSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';

const { DELIVERIES, SECRET } = process.env;
const deliveries = JSON.parse(readFileSync(DELIVERIES, 'utf8'));
const wh = new Webhook(SECRET);
const other = new Webhook('whsec_' + Buffer.from('another secret of 32 bytes......').toString('base64'));
let verified = 0;
let refusedTampered = 0;
for (const d of deliveries) {
  const headers = { 'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature };
  const payload = wh.verify(d.body, headers); // throws WebhookVerificationError when it does not verify
  if (payload.deliveryId !== d.id) throw new Error(`payload of ${d.id} says deliveryId ${payload.deliveryId}`);
  verified++;
  for (const [name, attempt] of [
    ['tampered body', () => wh.verify(d.body.replace('"', "'"), headers)],
    ['other secret', () => other.verify(d.body, headers)],
  ]) {
    try {
      attempt();
      throw new Error(`${name} of ${d.id} verified`);
    } catch (e) {
      if (e.name !== 'WebhookVerificationError') throw e;
      refusedTampered++;
    }
  }
}
console.log(JSON.stringify({ verified, refusedTampered }));
