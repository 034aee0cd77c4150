// Points the panel's webpack runtime at the app's dist/ root, where the build puts every
// lazy chunk. The scaffold's grafana-public-path (run first, by imports-loader) derives the
// public path from this module's own URL, which for a nested panel ends in panels/replay/,
// so without this the player chunk would be fetched from a directory that does not hold it.
// Kept apart from module.tsx so it runs before anything that could start a chunk load.

declare let __webpack_public_path__: string;

export const PANEL_DIR = 'panels/replay/';

/** The app's public path, given the one derived from the panel module's URL. */
export function appPublicPath(panelPublicPath: string): string {
  return panelPublicPath.endsWith(PANEL_DIR) ? panelPublicPath.slice(0, -PANEL_DIR.length) : panelPublicPath;
}

// Outside webpack (Jest) there is no runtime to point anywhere.
if (typeof __webpack_public_path__ === 'string') {
  __webpack_public_path__ = appPublicPath(__webpack_public_path__);
}
