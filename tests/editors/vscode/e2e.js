#!/usr/bin/env node
// The flakelens extension in a real VS Code (code-server), driven through
// Debian's Chromium with playwright-core, on a copy of the poglets fixture:
// F12 on `services.poglets.enable` opens the module at the declaration, a
// `port = "8420"` edit shows a type error in the Problems panel and undo
// clears it, completion inside `services.poglets = { … }` offers
// `controlPort`, the "Show Hosts" command lists the host. Also: activation
// by `workspaceContains:**/flake.nix`, settings sent as initializationOptions
// and on change (disabling `type-mismatch` in the Settings editor hides the
// error), and a server path that does not run gives an error notification.
// Positions come from searching the fixture text, not from line numbers.
//
//   node e2e.js --vsix flakelens.vsix --server path/to/flakelens --out DIR [--beside other.vsix]
// --beside: another extension installed first (the Nix IDE stand-in, which
// contributes the same `nix` language and `source.nix` grammar).
// Env: CODE_SERVER (code-server binary), CHROMIUM (default /usr/bin/chromium),
//      E2E_TIMEOUT_MS (whole run, default 240000), KEEP_TMP=1 keeps the temp dir.
// Exit: 0 pass, 1 a check failed. Screenshots and report.json go to DIR.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const http = require('http');
const { chromium } = require('playwright-core');

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const repo = path.resolve(__dirname, '../../..');
const VSIX = path.resolve(arg('--vsix', path.join(repo, 'vscode-extension/flakelens.vsix')));
const SERVER = path.resolve(arg('--server', path.join(repo, 'target/debug/flakelens')));
const BESIDE = arg('--beside', null);
const OUT = path.resolve(arg('--out', path.join(repo, 'target/editors/vscode')));
const FIXTURE = path.join(repo, 'tests/fixtures/poglets');
const CODE_SERVER = process.env.CODE_SERVER || 'code-server';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const HARD_MS = Number(process.env.E2E_TIMEOUT_MS || 240000);
const t0 = Date.now();
const log = (...a) => console.error(`[${String(Date.now() - t0).padStart(6)}ms]`, ...a);

fs.mkdirSync(OUT, { recursive: true });
const report = { checks: [], timings: {}, ok: false };
let server;
let browser;
let tmp;

function killServer() {
  try {
    // The whole group: code-server, its extension host and flakelens.
    if (server && server.exitCode === null) process.kill(-server.pid, 'SIGKILL');
  } catch (_) {
    // already gone
  }
}
function writeReport() {
  report.elapsed_ms = Date.now() - t0;
  fs.writeFileSync(path.join(OUT, 'report.json'), JSON.stringify(report, null, 2));
}
const hard = setTimeout(() => {
  log('HARD TIMEOUT');
  report.error = `hard timeout after ${HARD_MS} ms`;
  writeReport();
  killServer();
  process.exit(1);
}, HARD_MS);
process.on('exit', killServer);

function check(name, ok, detail) {
  report.checks.push({ name, ok: !!ok, detail });
  log(ok ? 'PASS' : 'FAIL', name, detail !== undefined ? JSON.stringify(detail) : '');
  if (!ok) throw new Error(`check failed: ${name}`);
}
const mark = (key) => {
  report.timings[key] = Date.now() - t0;
};

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
function healthy(port) {
  return new Promise((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    r.on('error', () => resolve(false));
    r.on('timeout', () => {
      r.destroy();
      resolve(false);
    });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// 1-based line and column of `needle` + `delta` in `text` (as VS Code's
// status bar shows them).
function lineCol(text, needle, delta = 0) {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`${needle} not in the fixture`);
  const before = text.slice(0, at + delta);
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  return { line, col };
}

async function main() {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flakelens-vscode-e2e-'));
  const userData = path.join(tmp, 'user-data');
  const extensions = path.join(tmp, 'extensions');
  const ws = path.join(tmp, 'poglets');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(extensions, { recursive: true });
  fs.cpSync(FIXTURE, ws, { recursive: true });
  const hostFile = 'hosts/neptune/configuration.nix';
  const moduleFile = 'hosts/modules/servers/poglets.nix';
  const hostText = fs.readFileSync(path.join(ws, hostFile), 'utf8');
  const moduleText = fs.readFileSync(path.join(ws, moduleFile), 'utf8');
  // The poglets block of the host sets `enable`, `port` and `controlPort`.
  const block = hostText.slice(hostText.indexOf('poglets = {'));
  if (!/^\s*enable = true;/m.test(block) || !/^\s*port = 8420;/m.test(block)) {
    throw new Error(`${hostFile} no longer has the poglets block this test edits`);
  }
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'flakelens.server.path': SERVER,
    // Checked in the client's trace: settings reach the server.
    'flakelens.diagnostics.disabled': ['duplicate-package'],
    'flakelens.trace.server': 'verbose',
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'chat.disableAIFeatures': true,
    'editor.quickSuggestions': { other: false, comments: false, strings: false },
    'editor.wordBasedSuggestions': 'off',
    'editor.autoSurround': 'languageDefined',
    'editor.minimap.enabled': false,
    'files.autoSave': 'off',
    'window.restoreWindows': 'none',
    'workbench.colorTheme': 'Default Light Modern',
  }, null, 2));
  const cfg = path.join(tmp, 'config.yaml'); // else code-server writes ~/.config/code-server
  fs.writeFileSync(cfg, 'auth: none\ncert: false\n');
  const common = ['--config', cfg, '--user-data-dir', userData, '--extensions-dir', extensions];

  // 1. The .vsix, installed the way a user installs a downloaded one.
  if (BESIDE) {
    const other = execFileSync(CODE_SERVER, [...common, '--install-extension', path.resolve(BESIDE)], { encoding: 'utf8', timeout: 120000 });
    check('the other nix extension installed', /successfully installed/i.test(other), other.trim().split('\n').pop());
  }
  log('installing', VSIX);
  const installed = execFileSync(CODE_SERVER, [...common, '--install-extension', VSIX], { encoding: 'utf8', timeout: 120000 });
  check('vsix installed', /successfully installed/i.test(installed), installed.trim().split('\n').pop());
  if (BESIDE) {
    const list = execFileSync(CODE_SERVER, [...common, '--list-extensions'], { encoding: 'utf8', timeout: 60000 });
    const ids = list.trim().split(/\s+/);
    check('both extensions are installed', ids.includes('flakelens.flakelens') && ids.length === 2, ids);
  }
  mark('installed');

  // 2. code-server in its own process group (killed as a whole).
  const port = await freePort();
  server = spawn(CODE_SERVER, [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--disable-file-downloads', ws], {
    detached: true,
    stdio: ['ignore', fs.openSync(path.join(OUT, 'code-server.log'), 'w'), fs.openSync(path.join(OUT, 'code-server.err.log'), 'w')],
  });
  let up = false;
  for (let i = 0; i < 240 && !up; i++) {
    up = await healthy(port);
    if (!up) await sleep(250);
  }
  check('code-server answers /healthz', up, { port });
  mark('code_server_up');

  // 3. The workbench in Chromium.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000);
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 90000 });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 90000 });
  mark('workbench');

  const status = async (id) => (await page.locator(`.statusbar-item[id="${id}"]`).innerText().catch(() => '?')).trim();
  const openFile = async (name) => {
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    await page.locator('.quick-input-list .monaco-list-row').first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator(`.tab.active[aria-label*="${path.basename(name)}"]`).waitFor();
  };
  // Clicking the text of a line focuses Monaco's textarea (keys sent after
  // a panel had focus may not reach the editor otherwise).
  const line = (re) => page.locator('.editor-instance .view-line').filter({ hasText: re }).first();
  const clickLine = async (re, key) => {
    await line(re).click();
    if (key) await page.keyboard.press(key);
  };
  const activeTab = async () => (await page.locator('.tab.active').getAttribute('aria-label').catch(() => '')) || '';

  // 4. Before any file is open: activated by `workspaceContains:**/flake.nix`
  //    (the extension host logs why it activated an extension).
  const activation = async () => {
    const logs = path.join(userData, 'logs');
    const found = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'remoteexthost.log') found.push(fs.readFileSync(p, 'utf8'));
    });
    try { walk(logs); } catch (_) { /* not yet */ }
    const m = found.join('\n').match(/_doActivateExtension flakelens\.flakelens,.*activationEvent: '([^']*)'/);
    return m ? m[1] : null;
  };
  let event = null;
  for (let i = 0; i < 80 && !event; i++) {
    event = await activation();
    if (!event) await sleep(250);
  }
  check('activated by the workspace holding flake.nix', event === 'workspaceContains:**/flake.nix', event);

  // 5. The host file: language mode Nix, our grammar colours it.
  await openFile(hostFile);
  const mode = await status('status.editor.mode');
  check('language mode is Nix', /^nix$/i.test(mode), mode);
  mark('opened');
  await page.screenshot({ path: path.join(OUT, '1-opened.png') });

  // 6. F12 on `enable` in `services = { poglets = { enable = true; … } }`
  //    -> poglets.nix at `enable = mkEnableOption`. The first F12 may come
  //    before the server is up: retry a few times.
  const decl = lineCol(moduleText, 'enable = mkEnableOption');
  const enableLine = /^\s*enable\s=\strue;\s*$/;
  let jumped = false;
  let attempt = 0;
  for (; attempt < 6 && !jumped; attempt++) {
    if (attempt > 0) {
      await page.keyboard.press('Escape');
      await sleep(2000);
    }
    await clickLine(enableLine, 'Home'); // Home: first non-blank, `e` of enable
    await page.keyboard.press('F12');
    jumped = await page.locator('.tab.active[aria-label*="poglets.nix"]').waitFor({ timeout: 8000 }).then(() => true, () => false);
  }
  report.definition_attempts = attempt;
  check('F12 on services.poglets.enable opens poglets.nix', jumped, await activeTab());
  const want = `Ln ${decl.line}, Col ${decl.col}`;
  await page.waitForFunction((w) => (document.querySelector('[id="status.editor.selection"]')?.textContent || '').includes(w), want, { timeout: 5000 }).catch(() => {});
  const at = await status('status.editor.selection');
  check(`cursor at the declaration (${want})`, at.includes(want), at);
  await page.screenshot({ path: path.join(OUT, '2-definition.png') });
  mark('definition');

  // The code lens over the declaration says which hosts set it; clicking
  // it peeks at the references (the extension's flakelens.showReferences).
  const lens = page.locator('.codelens-decoration a', { hasText: 'set by 1 host: neptune' }).first();
  const lensShown = await lens.waitFor({ timeout: 10000 }).then(() => true, () => false);
  check('code lens "set by 1 host: neptune" on the declaration', lensShown,
    await page.locator('.codelens-decoration').allTextContents().catch(() => []));
  if (lensShown) {
    await lens.click();
    const peek = await page.locator('.peekview-widget').first().waitFor({ timeout: 8000 }).then(() => true, () => false);
    check('clicking the lens peeks at the references', peek, await activeTab());
    await page.keyboard.press('Escape');
  }

  // The settings went to the server as initializationOptions (the verbose
  // trace in the "flakelens" output channel logs the initialize params).
  const clientLog = () => {
    const found = [];
    const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/flakelens\.log$/.test(e.name)) found.push(fs.readFileSync(p, 'utf8'));
    });
    try { walk(path.join(userData, 'logs')); } catch (_) { /* not yet */ }
    return found.join('\n');
  };
  let options = null;
  for (let i = 0; i < 40 && !options; i++) {
    const m = clientLog().match(/Sending request 'initialize - \(0\)'\.\s*Params: ([\s\S]*?)\n\s*\n?\[Trace/);
    try {
      if (m) options = JSON.parse(m[1]).initializationOptions;
    } catch (_) {
      // not complete yet
    }
    if (!options) await sleep(250);
  }
  check('settings sent as initializationOptions',
    options && JSON.stringify(options.diagnostics) === '{"disabled":["duplicate-package"]}', options);

  // 7. `port = "8420"`: a type error in the Problems panel; undo clears it.
  await page.locator('.tab', { hasText: path.basename(hostFile) }).first().click();
  await page.locator(`.tab.active[aria-label*="${path.basename(hostFile)}"]`).waitFor();
  const portLine = /^\s*port\s=\s8420;\s*$/;
  await clickLine(portLine, 'End');
  await page.keyboard.press('ArrowLeft'); // before `;`
  await page.keyboard.press('Control+Shift+ArrowLeft'); // selects 8420
  // `"` with a selection surrounds it (one edit, so one undo step).
  await page.keyboard.type('"');
  await line(/^\s*port\s=\s"8420";\s*$/).waitFor({ timeout: 5000 });
  await page.keyboard.press('Control+Shift+M');
  const problems = page.locator('.markers-panel');
  const mismatch = problems.locator('.monaco-list-row', { hasText: /type-mismatch/ });
  const shown = await mismatch.first().waitFor({ timeout: 30000 }).then(() => true, () => false);
  const problemText = (await problems.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
  check('Problems panel shows the type error', shown && /8420/.test(problemText), problemText.slice(0, 240));
  const squiggle = await page.locator('.view-overlays .squiggly-error').count();
  check('error squiggle in the editor', squiggle > 0, squiggle);
  await page.screenshot({ path: path.join(OUT, '3-type-error.png') });
  mark('type_error');

  await clickLine(/^\s*port\s=\s"8420";\s*$/);
  await page.keyboard.press('Control+Z');
  await line(portLine).waitFor({ timeout: 5000 });
  const cleared = await mismatch.first().waitFor({ state: 'detached', timeout: 30000 }).then(() => true, () => false);
  const afterUndo = (await problems.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
  check('undo clears the type error', cleared && !/type-mismatch/.test(afterUndo), afterUndo.slice(0, 160));
  await page.screenshot({ path: path.join(OUT, '4-undone.png') });
  mark('undo');

  // 8. Completion on a new line inside `poglets = { … }`.
  await clickLine(enableLine, 'End');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+Space');
  const suggest = page.locator('.editor-widget.suggest-widget.visible');
  const listed = await suggest.getByText('controlPort').first().waitFor({ timeout: 15000 }).then(() => true, () => false);
  const suggestText = (await suggest.innerText().catch(() => '')).replace(/\s+/g, ' ');
  check('completion inside services.poglets = { … } offers controlPort', listed, suggestText.slice(0, 200));
  await page.screenshot({ path: path.join(OUT, '5-completion.png') });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Z');
  mark('completion');

  // 9. "flakelens: Show Hosts…" from the command palette.
  await page.keyboard.press('F1');
  const palette = page.locator('.quick-input-widget input');
  await palette.waitFor();
  await palette.fill('>flakelens: Show Hosts');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Show Hosts' }).first().waitFor();
  await page.keyboard.press('Enter');
  const hostRow = page.locator('.quick-input-list .monaco-list-row', { hasText: 'neptune' });
  const hostListed = await hostRow.first().waitFor({ timeout: 15000 }).then(() => true, () => false);
  const pickText = (await page.locator('.quick-input-widget').innerText().catch(() => '')).replace(/\s+/g, ' ');
  check('Show Hosts lists neptune for the host file', hostListed && !/venus/.test(pickText), pickText.slice(0, 200));
  await page.screenshot({ path: path.join(OUT, '6-hosts.png') });
  await page.keyboard.press('Escape');
  mark('hosts');

  // 10. `flakelens.diagnostics.disabled` set in the Settings editor while a
  //     type error is shown: the change reaches the running server
  //     (workspace/didChangeConfiguration) and the error goes away.
  await page.locator('.tab', { hasText: path.basename(hostFile) }).first().click();
  await clickLine(portLine, 'End');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Control+Shift+ArrowLeft');
  await page.keyboard.type('"');
  await page.keyboard.press('Control+Shift+M');
  const again = await mismatch.first().waitFor({ timeout: 30000 }).then(() => true, () => false);
  check('the type error is back after the same edit', again);
  await page.keyboard.press('Control+,');
  await page.locator('.settings-editor').waitFor();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('flakelens.diagnostics.disabled');
  const disabledItem = page.locator('.settings-editor .setting-item-contents', { hasText: 'Diagnostics: Disabled' });
  await disabledItem.first().locator('.setting-list-addButton, .monaco-button', { hasText: 'Add Item' }).first().click();
  await disabledItem.first().locator('input').first().fill('type-mismatch');
  await page.keyboard.press('Enter');
  const hidden = await mismatch.first().waitFor({ state: 'detached', timeout: 30000 }).then(() => true, () => false);
  check('disabling type-mismatch in the settings hides the error', hidden,
    (await problems.innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 160));
  await page.screenshot({ path: path.join(OUT, '7-disabled.png') });
  mark('disabled');

  // 11. A server path that does not run: an error notification with the
  //     install instructions, never a silent failure.
  //     Set through the Settings editor, as a user would (an outside edit of
  //    settings.json is not noticed by code-server here).
  await page.keyboard.press('Control+,');
  await page.locator('.settings-editor').waitFor();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('flakelens.server.path');
  // code-server is a remote window: machine-overridable settings are on
  // the "Remote" tab.
  await page.locator('.settings-editor .settings-tabs-widget .action-label', { hasText: 'Remote' }).first().click();
  const pathInput = page.locator('.settings-editor .setting-item-contents', { hasText: 'Server: Path' }).locator('input');
  await pathInput.first().waitFor();
  await pathInput.first().fill(path.join(tmp, 'no-such-flakelens'));
  await page.keyboard.press('Tab');
  const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'cannot start the language server' });
  const notified = await toast.first().waitFor({ timeout: 30000 }).then(() => true, () => false);
  const toastText = (notified ? await toast.first().innerText() : '').replace(/\s+/g, ' ');
  check('a server that does not run gives an error notification with install steps',
    notified && /cargo install/.test(toastText), toastText.slice(0, 300));
  await page.screenshot({ path: path.join(OUT, '8-no-server.png') });
  mark('no_server');

  report.ok = true;
}

main()
  .catch(async (error) => {
    report.error = String((error && error.stack) || error).slice(0, 2000);
    log('ERROR', error && error.message);
    try {
      const page = browser && browser.contexts()[0] && browser.contexts()[0].pages()[0];
      if (page) await page.screenshot({ path: path.join(OUT, 'failure.png') });
    } catch (_) {
      // no screenshot
    }
  })
  .finally(async () => {
    try {
      if (browser) await browser.close();
    } catch (_) {
      // closed
    }
    clearTimeout(hard);
    // The client's log (server stderr included) as an artefact.
    try {
      const logs = path.join(tmp, 'user-data', 'logs');
      const found = [];
      const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/flakelens\.log$/.test(e.name)) found.push(p);
      });
      walk(logs);
      found.forEach((p, i) => fs.copyFileSync(p, path.join(OUT, `client${i ? i : ''}.log`)));
    } catch (_) {
      // no client log
    }
    writeReport();
    killServer();
    if (report.ok && tmp && !process.env.KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    log(report.ok ? 'OK' : 'FAILED', 'artefacts in', OUT);
    process.exit(report.ok ? 0 : 1);
  });
