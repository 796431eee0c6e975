// The ceiling for this stack on this machine: a bare Hono app on
// @hono/node-server that reads the POST body and answers 200.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('*', async (c) => {
  await c.req.arrayBuffer();
  return c.json({ ok: true });
});
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 0), hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ port: info.port })}\n`);
});
