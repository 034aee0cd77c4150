// Just enough User-Agent reading to fill the browser/OS/device columns of the session
// index (what users filter on). Resource attributes from the SDK (browser.name,
// os.name, device.type) win over this when present.

export interface UserAgentInfo {
  browser: string | null;
  os: string | null;
  device: 'mobile' | 'tablet' | 'desktop' | null;
}

// Order matters: Edge and Opera carry "Chrome", Chrome carries "Safari".
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(?:e|A|iOS)?\/(\d+)/, 'Edge'],
  [/\b(?:OPR|Opera)\/(\d+)/, 'Opera'],
  [/\bSamsungBrowser\/(\d+)/, 'Samsung Internet'],
  [/\b(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
  [/\b(?:HeadlessChrome)\/(\d+)/, 'Headless Chrome'],
  [/\b(?:Chrome|CriOS|Chromium)\/(\d+)/, 'Chrome'],
  [/\bVersion\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari\//, 'Safari'],
];

const SYSTEMS: [RegExp, string][] = [
  [/\b(?:iPhone|iPad|iPod)\b.*\bOS (\d+)/, 'iOS'],
  [/\bAndroid (\d+)/, 'Android'],
  [/\bWindows NT\b/, 'Windows'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bMac OS X\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];

export function parseUserAgent(ua: string | null | undefined): UserAgentInfo {
  if (!ua) return { browser: null, os: null, device: null };
  const s = ua.slice(0, 1024);
  let browser: string | null = null;
  for (const [re, name] of BROWSERS) {
    const m = re.exec(s);
    if (m) { browser = `${name} ${m[1]}`; break; }
  }
  let os: string | null = null;
  for (const [re, name] of SYSTEMS) {
    const m = re.exec(s);
    if (m) { os = m[1] ? `${name} ${m[1]}` : name; break; }
  }
  const device = /\biPad\b|\bTablet\b/.test(s) || (/\bAndroid\b/.test(s) && !/\bMobile\b/.test(s))
    ? 'tablet'
    : /\bMobi|\biPhone\b|\biPod\b/.test(s) ? 'mobile' : 'desktop';
  return { browser, os, device };
}
