// plugin.json (the app's and the nested panel's) checked against Grafana's plugin.json
// schema (vendored in schema/, see schema/SOURCE.md), plus what the schema cannot say:
// the receiver route, the declared links matching module.tsx, the pages.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fs from 'fs';
import path from 'path';
import schema from '../schema/plugin.schema.json';
import appJson from './plugin.json';
import panelJson from './panels/replay/plugin.json';

export function validatePluginJson(json: unknown): string[] {
  const ajv = new Ajv({
    allErrors: true,
    strict: false, // Grafana's patterns use escapes (\-) that unicode mode rejects.
    unicodeRegExp: false,
  });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return validate(json) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
}

describe('plugin.json', () => {
  it('is valid against Grafana plugin.json schema (app and panel)', () => {
    expect(validatePluginJson(appJson)).toEqual([]);
    expect(validatePluginJson(panelJson)).toEqual([]);
  });

  it('the schema check can fail', () => {
    expect(validatePluginJson({ ...appJson, id: 'Not An Id', bogus: 1 }).length).toBeGreaterThanOrEqual(2);
    expect(
      validatePluginJson({ ...appJson, extensions: { addedLinks: [{ targets: ['x'], title: 'short' }] } })
    ).toEqual([expect.stringContaining('title')]);
  });

  it('proxies receiver/* to jsonData.receiverUrl with the token from secureJsonData', () => {
    expect(appJson.routes).toEqual([
      expect.objectContaining({
        path: 'receiver/*',
        url: '{{ .JsonData.receiverUrl }}',
        headers: expect.arrayContaining([
          { name: 'Authorization', content: 'Bearer {{ .SecureJsonData.receiverToken }}' },
        ]),
      }),
    ]);
  });

  it('declares the extension links module.tsx registers and needs Grafana >= 12.3', () => {
    expect(appJson.id).toBe('otel-replay-app');
    expect(appJson.extensions.addedLinks[0]!.targets.sort()).toEqual([
      'grafana/logsview/resource-attributes',
      'grafana/traceview/header/actions',
      'grafana/traceview/resource-attributes',
    ]);
    const module = fs.readFileSync(path.join(__dirname, 'module.tsx'), 'utf8');
    expect(module.match(/title: 'Replay session'/g)).toHaveLength(3);
    expect(appJson.dependencies.grafanaDependency).toBe('>=12.3.0');
  });
});
