// `switchboard init [dir]`: a starter that runs — routes.yaml (with a schema
// line for editors, one source, one target, one route, one test), the test's
// payload fixture and .env.example. It never overwrites: when any of the files
// exists, nothing is written and the command says which.
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { paint, type IO } from './io.js';
import { schemaPath } from './schema.js';
import { errorMessage } from '../lib/errors.js';

const FIXTURE = 'fixtures/github/issue_comment.created.json';

function routesYaml(schema: string): string {
  return `# yaml-language-server: $schema=${schema}
# A starter Switchboard config: GitHub issue comments by members of the repository
# go to a local request bin. Try it:
#   switchboard validate       check this file
#   switchboard test           run the test at the bottom
#   switchboard sink           (another terminal) a request bin on :9999 that prints what it gets
#   switchboard serve          webhooks arrive at POST http://localhost:8080/hooks/github
#   switchboard send github ${FIXTURE} -H 'X-GitHub-Event: issue_comment'
# Then point the target at your real service and the secret at GitHub's (see .env.example).
version: 1
server:
  port: 8080
store: sqlite:./data/switchboard.db

sources:
  github:
    verify:
      scheme: github                 # checks X-Hub-Signature-256; the topic is event.action
      secret: \${GITHUB_WEBHOOK_SECRET:-local-dev-secret-change-me}

targets:
  inbox:
    url: http://127.0.0.1:9999/github-comments

routes:
  - name: member-comments
    source: github
    topics: [issue_comment.created]
    filter: comment.author_association in ["OWNER", "MEMBER", "COLLABORATOR"]
    transform: |
      { "text": sender.login & " on #" & $string(issue.number) & " " & issue.title & ": " & comment.body }
    target: inbox

tests:
  - name: a member's comment reaches the inbox
    source: github
    headers: { X-GitHub-Event: issue_comment }
    payload: ./${FIXTURE}
    expect:
      - route: member-comments
        body: { text: "octocat on #42 The README has a typo: Fixed in the next release." }
`;
}

const FIXTURE_BODY = `${JSON.stringify(
  {
    action: 'created',
    issue: { number: 42, title: 'The README has a typo', state: 'open', user: { login: 'reporter' } },
    comment: { id: 1001, body: 'Fixed in the next release.', author_association: 'MEMBER', user: { login: 'octocat' } },
    repository: { full_name: 'example/project' },
    sender: { login: 'octocat' },
  },
  null,
  2,
)}\n`;

const ENV_EXAMPLE = `# Copy to .env (read for \${NAME} in routes.yaml; the real environment wins) and fill in.
# The secret you set on the GitHub webhook (Settings → Webhooks → Secret):
GITHUB_WEBHOOK_SECRET=
# Protects /admin (the inspector and API) beyond this machine:
SWITCHBOARD_ADMIN_TOKEN=
`;

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** `dir/a/b/c.json` → dir/a, dir/a/b, dir/a/b/c.json: every path init writes through. */
function parents(dir: string, name: string): string[] {
  const parts = name.split('/');
  return parts.map((_, i) => join(dir, ...parts.slice(0, i + 1)));
}

export function initCommand(dirArg: string, opts: { force: boolean }, io: IO): number {
  const c = paint(io);
  const dir = resolve(io.cwd, dirArg);
  if (existsSync(dir) && !statSync(dir).isDirectory()) {
    io.err(`${dirArg} exists and is not a directory`);
    return 1;
  }
  // The schema as this installation has it, relative to the new config so the line works from the repo and from node_modules alike.
  // Climbing far out of the new directory, an absolute path survives moving it better.
  const rel = relative(dir, schemaPath()).split(sep).join('/');
  const schema = /^(\.\.\/){3,}/.test(rel) ? schemaPath() : rel.startsWith('.') ? rel : `./${rel}`;
  const files: [string, string][] = [
    ['routes.yaml', routesYaml(schema)],
    [FIXTURE, FIXTURE_BODY],
    ['.env.example', ENV_EXAMPLE],
  ];
  // lstat, not exists: a dangling symlink is in the way too, and a symlinked folder
  // (fixtures -> elsewhere) would write outside the directory.
  const present = files.map(([name]) => name).filter((name) => lexists(join(dir, name)));
  const linked = files.flatMap(([name]) => parents(dir, name)).find((p) => lexists(p) && lstatSync(p).isSymbolicLink());
  if (linked) {
    io.err(`not written: ${relative(io.cwd, linked) || linked} is a symbolic link (init writes only into real directories it can see)`);
    return 1;
  }
  if (present.length) {
    io.err(`not written: ${present.map((p) => join(dirArg, p)).join(', ')} already exist${present.length === 1 ? 's' : ''} (init never overwrites; choose another directory)`);
    return 1;
  }
  if (!opts.force && existsSync(dir) && readdirSync(dir).length > 0) {
    io.err(`${dirArg} is not empty: init writes into an empty or new directory (--force writes beside what is there, still never over a file)`);
    return 1;
  }
  // All or nothing: a file that appears meanwhile stops it, and what was written goes again.
  const written: string[] = [];
  try {
    for (const [name, text] of files) {
      const file = join(dir, name);
      mkdirSync(resolve(file, '..'), { recursive: true });
      writeFileSync(file, text, { flag: 'wx' });
      written.push(file);
    }
  } catch (err) {
    for (const f of written) rmSync(f, { force: true });
    io.err(`not written: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'a file appeared while writing' : errorMessage(err)} (nothing was left behind)`);
    return 1;
  }
  for (const [name] of files) io.out(`${c.green('created')} ${join(dirArg, name)}`);
  const cd = dirArg === '.' ? '' : `cd ${dirArg} && `;
  io.out('');
  io.out(`Next: ${cd}switchboard test, then switchboard serve (and switchboard sink in another terminal to watch what is sent).`);
  return 0;
}
