// The flakelens VS Code extension: starts `flakelens lsp` for Nix files,
// passes the settings, and adds the restart / logs / hosts commands.
// Plain JavaScript on purpose: no build step between a checkout and a .vsix.
'use strict';

const vscode = require('vscode');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { LanguageClient, TransportKind, State } = require('vscode-languageclient/node');

const INSTALL_HINT =
  'Install it with "cargo install --path server" in a clone of the flakelens repository ' +
  '(it goes to ~/.cargo/bin, which must be on PATH), or set "flakelens.server.path" to the binary.';

let client;
let output;
let starting;

function config() {
  return vscode.workspace.getConfiguration('flakelens');
}

// What the server reads: the same object as initializationOptions and in
// workspace/didChangeConfiguration (docs/lsp.md, "Editor settings").
function serverSettings() {
  const c = config();
  const nonEmpty = (v) => (typeof v === 'string' && v.trim() !== '' ? expand(v.trim()) : null);
  return {
    upstream: {
      nixpkgs: nonEmpty(c.get('upstream.nixpkgs')),
      homeManager: nonEmpty(c.get('upstream.homeManager')),
      nixDarwin: nonEmpty(c.get('upstream.nixDarwin')),
    },
    diagnostics: { disabled: c.get('diagnostics.disabled') || [] },
    lsp: {
      codeLens: c.get('lsp.codeLens') !== false,
      inlayHints: c.get('lsp.inlayHints') === true,
      unusedHints: c.get('lsp.unusedHints') === true,
    },
  };
}

// `~` and `${workspaceFolder}` in paths from settings.
function expand(p) {
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  let out = p.replace(/\$\{workspaceFolder\}/g, folder ? folder.uri.fsPath : '');
  if (out === '~' || out.startsWith('~/')) out = path.join(os.homedir(), out.slice(1));
  return out;
}

// The first `name` on PATH that is an executable file.
function onPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch (_) {
      // not here
    }
  }
  return null;
}

// Runs `<binary> --version` (the server binary itself, never anything
// from the workspace); resolves to the version line or rejects with why.
function probe(binary) {
  return new Promise((resolve, reject) => {
    execFile(binary, ['--version'], { timeout: 10000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(error.code === 'ENOENT' ? 'no such file' : (stderr || error.message).trim()));
      else resolve(stdout.trim());
    });
  });
}

// The server binary to run, or a reason why there is none.
async function findServer() {
  const setting = (config().get('server.path') || '').trim();
  if (setting) {
    const binary = expand(setting);
    try {
      return { binary, version: await probe(binary) };
    } catch (error) {
      return { problem: `"flakelens.server.path" is ${binary}: ${error.message.split('\n')[0]}.` };
    }
  }
  const binary = onPath('flakelens');
  if (!binary) return { problem: 'flakelens is not on PATH and "flakelens.server.path" is not set.' };
  try {
    return { binary, version: await probe(binary) };
  } catch (error) {
    return { problem: `${binary} does not run: ${error.message.split('\n')[0]}.` };
  }
}

async function notifyMissing(problem) {
  output.appendLine(`flakelens: cannot start the language server: ${problem}`);
  output.appendLine(INSTALL_HINT);
  const choice = await vscode.window.showErrorMessage(
    `flakelens: cannot start the language server: ${problem} ${INSTALL_HINT}`,
    'Open Settings',
    'Show Logs',
  );
  if (choice === 'Open Settings') {
    vscode.commands.executeCommand('workbench.action.openSettings', 'flakelens.server.path');
  } else if (choice === 'Show Logs') {
    output.show(true);
  }
}

async function start() {
  const found = await findServer();
  if (!found.binary) {
    await notifyMissing(found.problem);
    return;
  }
  output.appendLine(`flakelens: starting ${found.binary} (${found.version})`);
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const serverOptions = {
    command: found.binary,
    args: ['lsp'],
    // The client appends `--stdio`; the server accepts it.
    transport: TransportKind.stdio,
    options: folder ? { cwd: folder.uri.fsPath } : undefined,
  };
  const clientOptions = {
    documentSelector: [{ scheme: 'file', language: 'nix' }],
    outputChannel: output,
    // `flakelens.trace.server` is read by the client itself (its id is "flakelens").
    initializationOptions: serverSettings(),
    markdown: { isTrusted: false, supportHtml: false },
  };
  client = new LanguageClient('flakelens', 'flakelens', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    output.appendLine(`flakelens: the server did not start: ${error && error.message}`);
    const choice = await vscode.window.showErrorMessage(
      `flakelens: the language server (${found.binary}) did not start: ${error && error.message}`,
      'Show Logs',
    );
    if (choice === 'Show Logs') output.show(true);
  }
}

async function stop() {
  const old = client;
  client = undefined;
  if (old) {
    try {
      await old.stop(5000);
    } catch (error) {
      output.appendLine(`flakelens: stopping the server: ${error && error.message}`);
    }
  }
}

async function restart() {
  if (starting) await starting;
  starting = (async () => {
    await stop();
    await start();
  })();
  try {
    await starting;
  } finally {
    starting = undefined;
  }
}

// "Show Hosts": which hosts' module closures hold the active file (asked
// from the server: `flakelens/hostsForFile`); pick one to list its closure.
/** Peeks at the references of the option at (uri, position), LSP-typed. */
async function showReferences(uri, position) {
  if (!client) return;
  const at = client.protocol2CodeConverter.asUri(uri);
  const pos = client.protocol2CodeConverter.asPosition(position);
  const locations = await vscode.commands.executeCommand('vscode.executeReferenceProvider', at, pos);
  await vscode.commands.executeCommand('editor.action.showReferences', at, pos, locations || []);
}

async function showHosts() {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'nix') {
    vscode.window.showInformationMessage('flakelens: open a Nix file first.');
    return;
  }
  if (!client || client.state !== State.Running) {
    vscode.window.showWarningMessage('flakelens: the language server is not running (see "flakelens: Show Logs").');
    return;
  }
  const uri = editor.document.uri.toString();
  let result;
  try {
    result = await client.sendRequest('flakelens/hostsForFile', { textDocument: { uri } });
  } catch (error) {
    vscode.window.showErrorMessage(`flakelens: hostsForFile failed: ${error && error.message}`);
    return;
  }
  const name = path.basename(editor.document.uri.fsPath);
  const hosts = (result && result.hosts) || [];
  if (hosts.length === 0) {
    vscode.window.showInformationMessage(`flakelens: ${name} is in no host's module closure.`);
    return;
  }
  const folder = vscode.workspace.getWorkspaceFolder(editor.document.uri);
  const rel = (u) => {
    const p = vscode.Uri.parse(u).fsPath;
    return folder ? path.relative(folder.uri.fsPath, p) : p;
  };
  const hostItems = hosts.map((h) => ({
    label: h.name,
    description: `${h.kind} · ${h.closure.length} module file${h.closure.length === 1 ? '' : 's'}` +
      (h.inlineModules ? ` + ${h.inlineModules} inline` : '') +
      (h.hasUnknownModules ? ' · some imports unknown' : ''),
    detail: h.inClosure ? `${name} is in its closure` : `defined in ${name}`,
    host: h,
  }));
  const picked = await vscode.window.showQuickPick(hostItems, {
    title: `flakelens: hosts of ${name}`,
    placeHolder: 'Pick a host to see its module closure',
  });
  if (!picked) return;
  const h = picked.host;
  const fileItems = [];
  if (h.definedAt) {
    fileItems.push({ label: `$(symbol-namespace) ${h.name}`, description: `defined in ${rel(h.definedAt.uri)}`, location: h.definedAt });
  }
  for (const u of h.closure) {
    fileItems.push({ label: `$(file) ${rel(u)}`, description: u === uri ? 'this file' : '', location: { uri: u } });
  }
  for (const ext of h.externalModules) {
    fileItems.push({ label: `$(package) ${ext}`, description: 'external module' });
  }
  const file = await vscode.window.showQuickPick(fileItems, {
    title: `flakelens: module closure of ${h.name}`,
    placeHolder: 'Pick a file to open it',
    matchOnDescription: true,
  });
  if (!file || !file.location) return;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(file.location.uri));
  const options = {};
  if (file.location.range) {
    const r = file.location.range;
    options.selection = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  }
  await vscode.window.showTextDocument(doc, options);
}

async function activate(context) {
  output = vscode.window.createOutputChannel('flakelens');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('flakelens.restartServer', restart),
    vscode.commands.registerCommand('flakelens.showLogs', () => output.show(true)),
    vscode.commands.registerCommand('flakelens.showHosts', showHosts),
    // The server's code lenses ("set by N hosts") carry this command.
    vscode.commands.registerCommand('flakelens.showReferences', showReferences),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('flakelens')) return;
      if (event.affectsConfiguration('flakelens.server.path')) {
        restart();
      } else if (client && client.state === State.Running) {
        client.sendNotification('workspace/didChangeConfiguration', { settings: { flakelens: serverSettings() } });
      }
    }),
  );
  starting = start();
  try {
    await starting;
  } finally {
    starting = undefined;
  }
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
