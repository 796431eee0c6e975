import { config } from '/work/main/bench/common.mjs';
import { loadConfigText } from '/work/main/dist/config/load.js';
import { YamlFile } from '/work/main/dist/config/yamldoc.js';
import { interpolate } from '/work/main/dist/config/env.js';
import { validateSchema } from '/work/main/dist/config/schema.js';
import { compileConfig } from '/work/main/dist/config/compile.js';
const text = config({ routes: 1000, sink: 'http://127.0.0.1:9', store: 'sqlite:/tmp/x.db', topicIndexed: true });
for (let i = 0; i < 3; i++) {
  let t = performance.now(); const r = loadConfigText('/tmp/r.yaml', text); const total = performance.now() - t;
  t = performance.now(); const y = new YamlFile('/tmp/r.yaml', text); y.syntaxIssues(); const tYaml = performance.now() - t;
  t = performance.now(); const env = interpolate(y, process.env); const tEnv = performance.now() - t;
  t = performance.now(); const data = y.doc.toJS({ maxAliasCount: 100 }); const tJs = performance.now() - t;
  t = performance.now(); const sch = validateSchema(y, data); const tSch = performance.now() - t;
  t = performance.now(); compileConfig({ yaml: y, data, badPaths: sch.badPaths, secrets: env.secrets, env: process.env }); const tComp = performance.now() - t;
  console.log({ total: Math.round(total), ok: !!r.config, yaml: Math.round(tYaml), env: Math.round(tEnv), toJS: Math.round(tJs), schema: Math.round(tSch), compile: Math.round(tComp) });
}
