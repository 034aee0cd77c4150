// The built plugin (`npm run build` first; scripts/test.ts and `npm run test:ci` do it):
// dist/ holds what Grafana loads, with plugin.json still valid once the build has filled in
// version and date.
import fs from 'fs';
import path from 'path';
import { validatePluginJson } from './plugin.test';

const dist = path.join(__dirname, '..', 'dist');
const read = (p: string) => fs.readFileSync(path.join(dist, p), 'utf8');

describe('dist/', () => {
  it('has plugin.json and module.js for the app and for the panel', () => {
    for (const f of ['plugin.json', 'module.js', 'panels/replay/plugin.json', 'panels/replay/module.js']) {
      expect(fs.existsSync(path.join(dist, f)) ? f : `${f} missing: run npm run build`).toBe(f);
    }
  });

  it('plugin.json is valid with version and date filled in', () => {
    const json = JSON.parse(read('plugin.json'));
    expect(json.info.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(json.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(validatePluginJson(json)).toEqual([]);
    expect(validatePluginJson(JSON.parse(read('panels/replay/plugin.json')))).toEqual([]);
  });

  it('module.js stays small: the pages and the player load lazily', () => {
    expect(read('module.js').length).toBeLessThan(40_000);
  });
});
