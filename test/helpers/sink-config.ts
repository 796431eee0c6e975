/**
 * A config with one GitHub-verified source `gh` whose every event goes to the
 * sink's /sink, with `$eventId` in the body so the sink can tell events apart;
 * a short lease and fast retries, for crash and outage tests.
 */
export function sinkConfig(sink: string, secret: string, transform = '{ "event": $eventId }'): string {
  return `version: 1
server: { lease: 2s }
defaults: { timeout: 1s, retry: { attempts: 30, initialDelay: 50ms, maxDelay: 300ms } }
sources:
  gh:
    verify: { scheme: github, secret: ${secret} }
targets:
  sink: { url: "${sink}/sink", concurrency: 20 }
routes:
  - { name: to-sink, source: gh, transform: '${transform}', target: sink }
`;
}
