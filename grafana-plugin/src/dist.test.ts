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

  // Grafana loads the app's module.js on every page (extension links) and the panel's on
  // every dashboard that has the panel; the player (~240 KB of rrweb-player) must stay in a
  // lazy chunk. Measured when the panel's player became lazy: 9.7 KB and 18.5 KB (it was
  // 271 KB with the player bundled in).
  it('module.js stays small: the pages and the player load lazily', () => {
    expect(read('module.js').length).toBeLessThan(16_000);
    expect(read('panels/replay/module.js').length).toBeLessThan(32_000);
  });

  it('the player is in a lazy chunk, not in either module.js', () => {
    // A class of rrweb-player's controller (not styled by the app), present wherever its code is bundled.
    const hasPlayer = (js: string) => js.includes('rr-controller');
    expect(hasPlayer(read('module.js'))).toBe(false);
    expect(hasPlayer(read('panels/replay/module.js'))).toBe(false);
    const chunks = fs.readdirSync(dist).filter((f) => /^\d+\.js$/.test(f));
    expect(chunks.filter((f) => hasPlayer(read(f)))).toHaveLength(1);
  });
});
