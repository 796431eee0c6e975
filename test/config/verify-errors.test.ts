// Bad verify blocks, handshake rules and split expressions: each a
// file:line:col error naming the key, with a did-you-mean where one helps.
import { describe, expect, it } from 'vitest';
import { load } from '../helpers/config.js';

function errorsFor(verify: string, more = ''): string[] {
  const text = `version: 1\nsources:\n  s:\n    verify:\n${verify.replace(/^/gm, '      ')}\n${more}routes: []\n`;
  return load(text).errors;
}

describe('verify: bad input', () => {
  it('a key the preset does not have (in the schema, for another scheme): named, with its settings', () => {
    expect(errorsFor('scheme: stripe\nsecret: fake-secret-not-real\nheader: X-Sig')).toEqual([
      'routes.yaml:7:7: sources.s.verify.header: scheme "stripe" has no setting "header" (its settings: secret, tolerance)',
    ]);
  });

  it('a misspelt preset key: did you mean', () => {
    expect(errorsFor('scheme: github\nsecret: fake-secret-not-real\nallowSha: true')).toEqual(['routes.yaml:7:7: unknown key "allowSha" in sources.s.verify; did you mean "allowSha1"?']);
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\nsignatureFrm: a.b')[0]).toMatch(/^routes\.yaml:8:7: .*"signatureFrm".*did you mean "signatureFrom"/);
  });

  it('a format without signature', () => {
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\nformat: { pairs: "," }')).toEqual(['routes.yaml:8:7: sources.s.verify.format: missing required key "signature"']);
  });

  it('an unknown secretEncoding: did you mean', () => {
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\nsecretEncoding: base46')).toEqual([
      'routes.yaml:8:23: sources.s.verify.secretEncoding: "base46" is not one of utf8, base64, hex, whsec; did you mean "base64"?',
    ]);
  });

  it('a secret that is not what secretEncoding says', () => {
    expect(errorsFor('scheme: hmac\nsecret: "not hex at all!"\nheader: X-Sig\nsecretEncoding: hex')[0]).toMatch(/^routes\.yaml:6:15: sources\.s\.verify\.secret: not valid hex text/);
  });

  it('a signed template with an unknown part: did you mean, and the parts', () => {
    const [e] = errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\ntimestampHeader: X-Ts\nsigned: "{timestamp}.{bdy}"');
    expect(e).toMatch(/^routes\.yaml:9:15: sources\.s\.verify\.signed: unknown part \{bdy\}; did you mean "body"\? \(parts: \{body\}/);
  });

  it('{timestamp} with nowhere to read it from', () => {
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\nsigned: "{timestamp}.{body}"')[0]).toMatch(/^routes\.yaml:8:15: .*signed: uses \{timestamp\} but nothing says where/);
  });

  it('hmac with nowhere to find the signature', () => {
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real')[0]).toMatch(/^routes\.yaml:4:5: sources\.s\.verify: say where the signature is: "header".*"signatureFrom"/);
  });

  it('a public-key algorithm on hmac, an HMAC hash on signature, a bad public key', () => {
    expect(errorsFor('scheme: hmac\nsecret: fake-secret-not-real\nheader: X-Sig\nalgorithm: ed25519')[0]).toMatch(/algorithm: "ed25519" is not an HMAC hash/);
    expect(errorsFor('scheme: signature\npublicKey: abcd\nheader: X-Sig\nalgorithm: sha256').join('\n')).toMatch(/routes\.yaml:8:18: .*algorithm: scheme signature needs a public-key algorithm/);
    expect(errorsFor('scheme: signature\nalgorithm: ed25519\npublicKey: abcd\nheader: X-Sig')).toEqual([
      'routes.yaml:7:18: sources.s.verify.publicKey: not a valid Ed25519 public key (32 bytes, hex or base64, or PEM)',
    ]);
  });

  it('a tolerance that is not a duration', () => {
    expect(errorsFor('scheme: slack\nsecret: fake-secret-not-real\ntolerance: soon')[0]).toMatch(/^routes\.yaml:7:18: .*tolerance: "soon" is not a duration/);
  });

  it('a handshake rule whose when does not compile: positioned inside the expression, reported with the verify errors', () => {
    const errors = errorsFor('scheme: github\nsecret: fake-secret-not-real\nallowSha: true', `    handshake:\n      - when: 'type = "x" and'\n        respond: { body: '"ok"' }\n`);
    expect(errors).toEqual([
      'routes.yaml:7:7: unknown key "allowSha" in sources.s.verify; did you mean "allowSha1"?',
      'routes.yaml:9:29: sources.s.handshake[0].when: JSONata syntax error: Unexpected end of expression',
    ]);
  });

  it('a split that does not compile', () => {
    expect(errorsFor('scheme: none', `    split: 'events[' \n`)[0]).toMatch(/^routes\.yaml:6:\d+: sources\.s\.split: JSONata syntax error/);
  });
});
