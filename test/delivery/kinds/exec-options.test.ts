// exec: a payload value that would be read as an option by the program (argument injection such
// as git's --upload-pack=…) is refused when the argument is wholly a template.
import { describe, expect, it } from 'vitest';
import { exec } from '../../../src/delivery/kinds/exec.js';
import { PublishError, type Message } from '../../../src/delivery/kinds/types.js';

const compiled = exec.compile({ kind: 'exec', command: [process.execPath, '-e', 'process.stdin.resume()', '{{ remote }}', '--name={{ name }}'] });
if ('problems' in compiled) throw new Error(JSON.stringify(compiled.problems));
const settings = compiled;
const msg = (values: Record<string, string>): Message => ({ body: Buffer.from('{}'), contentType: 'application/json', values, headers: {}, deliveryId: 'd', topic: 't', source: 's', eventId: 'e' });

describe('exec option injection', () => {
  it('a wholly templated argument rendering to "-…" is refused, permanently, and nothing runs', async () => {
    const err = await exec.publish(undefined, msg({ 'command.3': '--upload-pack=touch /tmp/pwned', 'command.4': '--name=x' }), settings, 5000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PublishError);
    expect((err as PublishError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/starting with "-"/);
  });
  it('the same text after a literal prefix the config wrote (--name=…) is the config’s choice, and runs', async () => {
    const ok = await exec.publish(undefined, msg({ 'command.3': 'origin', 'command.4': '--name=-dash' }), settings, 5000);
    expect(ok.detail).toMatch(/exit 0/);
  });
});
